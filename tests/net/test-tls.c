/* test-tls.c: wss://, the host certificate and certificate pins
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeTest"

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "lattice-certificate.h"
#include "lattice-link.h"
#include "lattice-signal-server.h"
#include "lattice-signaling-client.h"

#include "lattice-test-wait.h"

/* One host certificate for the whole run: making keys is the slow part. */
static char *cert_dir;
static GTlsCertificate *host_cert;
static char *host_fp;

/* A client and what it went through. */
typedef struct {
  LatticeSignalingClient *client;
  guint                   n_joined;
  gboolean                last_resumed;
  gboolean                ever_joined;
} Watch;

static void
on_joined (LatticeSignalingClient *client, gboolean resumed, Watch *w)
{
  w->n_joined++;
  w->last_resumed = resumed;
}

static void
on_state (LatticeSignalingClient *client, GParamSpec *pspec, Watch *w)
{
  if (lattice_signaling_client_get_state (client) == LATTICE_SIGNALING_STATE_JOINED)
    w->ever_joined = TRUE;
}

static Watch *
watch_new (LatticeSignalingClient *client)
{
  Watch *w = g_new0 (Watch, 1);

  w->client = client;
  g_object_set (client, "reconnect-min-ms", 50, "reconnect-max-ms", 400, NULL);
  g_signal_connect (client, "joined", G_CALLBACK (on_joined), w);
  g_signal_connect (client, "notify::state", G_CALLBACK (on_state), w);
  return w;
}

static void
watch_free (Watch *w)
{
  g_assert_finalize_object (w->client);
  g_free (w);
  /* Let the connections the client let go finish closing. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
is_state (Watch                 *w,
          LatticeSignalingState  state)
{
  return lattice_signaling_client_get_state (w->client) == state;
}

static gboolean
is_settled (Watch *w)
{
  return is_state (w, LATTICE_SIGNALING_STATE_JOINED) || is_state (w, LATTICE_SIGNALING_STATE_FAILED);
}

static LatticeSignalServer *
start_server (guint port)
{
  g_autoptr(GError) error = NULL;
  LatticeSignalServer *server = lattice_signal_server_new ();

  g_object_set (server, "tls-certificate", host_cert, NULL);
  lattice_signal_server_listen (server, "127.0.0.1", port, &error);
  g_assert_no_error (error);
  return server;
}

static void
stop_server (LatticeSignalServer *server)
{
  lattice_signal_server_stop (server);
  g_assert_finalize_object (server);
}

static Watch *
new_client (guint       port,
            const char *pin)
{
  g_autofree char *uri = g_strdup_printf ("wss://127.0.0.1:%u/ws", port);
  LatticeSignalingClient *client = lattice_signaling_client_new (uri, "secure", "Ada", NULL);

  lattice_signaling_client_set_pinned_fingerprint (client, pin);
  return watch_new (client);
}

static Watch *
connect_and_settle (Watch *w)
{
  lattice_signaling_client_connect (w->client);
  wait_until (is_settled (w));
  return w;
}

/* (a) The invite link's pin lets the client in, over wss://. */
static void
test_pinned_join (void)
{
  LatticeSignalServer *server = start_server (0);
  guint port = lattice_signal_server_get_port (server);
  g_autoptr(LatticeLink) link = lattice_link_new ("127.0.0.1", port, "secure", TRUE);
  g_autofree char *text = NULL;
  g_autoptr(LatticeLink) parsed = NULL;
  g_autoptr(GError) error = NULL;
  Watch *w;

  lattice_link_set_fingerprint (link, host_fp);
  text = lattice_link_to_string (link);
  parsed = lattice_link_parse (text, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (parsed->ws_uri, ==, link->ws_uri);

  w = connect_and_settle (watch_new (lattice_signaling_client_new_for_link (parsed, "Ada", NULL)));
  g_assert_no_error (lattice_signaling_client_get_error (w->client));
  g_assert_true (is_state (w, LATTICE_SIGNALING_STATE_JOINED));
  g_assert_cmpstr (lattice_signaling_client_get_pinned_fingerprint (w->client), ==, host_fp);
  g_assert_cmpstr (lattice_signaling_client_get_peer_certificate_fingerprint (w->client), ==, host_fp);
  g_assert_cmpuint (lattice_signal_server_get_n_clients (server), ==, 1);

  lattice_signaling_client_disconnect (w->client);
  watch_free (w);
  stop_server (server);
}

/* (b) Another certificate than the pinned one: someone in the middle. */
static void
test_wrong_pin (void)
{
  LatticeSignalServer *server = start_server (0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) other = lattice_certificate_new_self_signed ("other", NULL, &error);
  g_autofree char *other_fp = NULL;
  const GError *client_error;
  Watch *w;

  g_assert_no_error (error);
  other_fp = lattice_certificate_get_fingerprint (other);
  g_assert_cmpstr (other_fp, !=, host_fp);

  w = connect_and_settle (new_client (lattice_signal_server_get_port (server), other_fp));
  client_error = lattice_signaling_client_get_error (w->client);
  g_assert_error (client_error, LATTICE_SIGNALING_ERROR,
                  LATTICE_SIGNALING_ERROR_CERTIFICATE_MISMATCH);
  g_assert_nonnull (strstr (client_error->message, "does not match the invite link"));
  g_assert_true (is_state (w, LATTICE_SIGNALING_STATE_FAILED));
  g_assert_false (w->ever_joined);
  g_assert_cmpuint (w->n_joined, ==, 0);
  /* What the server did present, for a report. */
  g_assert_cmpstr (lattice_signaling_client_get_peer_certificate_fingerprint (w->client), ==, host_fp);
  g_assert_cmpuint (lattice_signal_server_get_n_rooms (server), ==, 0);

  watch_free (w);
  stop_server (server);
}

/* (c) No pin: the CA check fails, the UI gets the fingerprint to show,
 * and once the user trusts it the same client gets in. */
static void
test_untrusted_then_trusted (void)
{
  LatticeSignalServer *server = start_server (0);
  const GError *client_error;
  const char *seen;
  Watch *w = connect_and_settle (new_client (lattice_signal_server_get_port (server), NULL));

  client_error = lattice_signaling_client_get_error (w->client);
  g_assert_error (client_error, LATTICE_SIGNALING_ERROR,
                  LATTICE_SIGNALING_ERROR_CERTIFICATE_UNTRUSTED);
  g_assert_true (is_state (w, LATTICE_SIGNALING_STATE_FAILED));
  g_assert_false (w->ever_joined);
  seen = lattice_signaling_client_get_peer_certificate_fingerprint (w->client);
  g_assert_cmpstr (seen, ==, host_fp);
  g_assert_nonnull (strstr (client_error->message, host_fp));
  g_assert_cmpuint (lattice_signal_server_get_n_rooms (server), ==, 0);

  lattice_signaling_client_set_pinned_fingerprint (w->client, seen);
  connect_and_settle (w);
  g_assert_no_error (lattice_signaling_client_get_error (w->client));
  g_assert_true (is_state (w, LATTICE_SIGNALING_STATE_JOINED));
  g_assert_cmpuint (w->n_joined, ==, 1);

  lattice_signaling_client_disconnect (w->client);
  watch_free (w);
  stop_server (server);
}

/* A pin cannot be checked without TLS: refuse rather than pretend. */
static void
test_pin_needs_tls (void)
{
  LatticeSignalingClient *client = lattice_signaling_client_new ("ws://127.0.0.1:1/ws", "r",
                                                                  "Ada", NULL);
  Watch *w;

  lattice_signaling_client_set_pinned_fingerprint (client, host_fp);
  w = connect_and_settle (watch_new (client));
  g_assert_error (lattice_signaling_client_get_error (w->client), G_IO_ERROR,
                  G_IO_ERROR_INVALID_ARGUMENT);
  watch_free (w);
}

static char *
cert_info (GTlsCertificate *certificate,
           const char      *property)
{
  char *value = NULL;

  g_object_get (certificate, property, &value, NULL);
  return value;
}

/* (d) What is saved loads back as the same certificate: same pin. */
static void
test_save_load (void)
{
  g_autofree char *path = g_build_filename (cert_dir, "saved.pem", NULL);
  g_autoptr(GTlsCertificate) loaded = NULL;
  g_autoptr(GTlsCertificate) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fp = NULL;
  g_autofree char *subject = NULL;
  GStatBuf st;

  g_assert_true (lattice_certificate_save (host_cert, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  loaded = lattice_certificate_load (path, &error);
  g_assert_no_error (error);
  fp = lattice_certificate_get_fingerprint (loaded);
  g_assert_cmpstr (fp, ==, host_fp);
  g_assert_true (g_tls_certificate_is_same (loaded, host_cert));
  subject = cert_info (loaded, "subject-name");
  g_assert_nonnull (strstr (subject, "CN=lattice-test-host"));

  /* load_or_create() found the file it made at start-up. */
  again = lattice_certificate_load_or_create (cert_dir, "ignored", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&fp, g_free);
  fp = lattice_certificate_get_fingerprint (again);
  g_assert_cmpstr (fp, ==, host_fp);

  g_remove (path);
}

/* A fresh certificate: new key, new pin; the names a browser would check. */
static void
test_new_certificate (void)
{
  const char *ips[] = { "192.168.1.20", "fd00::20", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) cert = lattice_certificate_new_self_signed ("meet.local", ips, &error);
  g_autoptr(GTlsCertificate) ca = NULL;
  g_autoptr(GSocketConnectable) by_ip = g_network_address_new ("127.0.0.1", 443);
  g_autoptr(GSocketConnectable) by_lan = g_network_address_new ("192.168.1.20", 443);
  g_autoptr(GSocketConnectable) by_name = g_network_address_new ("meet.local", 443);
  g_autoptr(GSocketConnectable) elsewhere = g_network_address_new ("example.org", 443);
  g_autoptr(GPtrArray) addresses = NULL;
  g_autofree char *fp = NULL;
  g_autofree char *pem = NULL;

  g_assert_no_error (error);
  fp = lattice_certificate_get_fingerprint (cert);
  g_assert_true (lattice_fingerprint_is_valid (fp));
  g_assert_cmpstr (fp, !=, host_fp);

  /* Trusting it as its own CA shows which names it is valid for. */
  pem = cert_info (cert, "certificate-pem");
  ca = g_tls_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_tls_certificate_verify (cert, by_ip, ca), ==, 0);
  g_assert_cmpint (g_tls_certificate_verify (cert, by_lan, ca), ==, 0);
  g_assert_cmpint (g_tls_certificate_verify (cert, by_name, ca), ==, 0);
  g_assert_cmpint (g_tls_certificate_verify (cert, elsewhere, ca), ==,
                   G_TLS_CERTIFICATE_BAD_IDENTITY);
  g_object_get (cert, "ip-addresses", &addresses, NULL);
  g_assert_nonnull (addresses);
  g_assert_cmpuint (addresses->len, ==, 3);
}

/* (e) The host restarts on the same port with the same certificate:
 * the client reconnects and resumes, the pin still holding. */
static void
test_reconnect_keeps_pin (void)
{
  LatticeSignalServer *server = start_server (0);
  guint port = lattice_signal_server_get_port (server);
  g_autofree char *id = NULL;
  Watch *w = connect_and_settle (new_client (port, host_fp));

  g_assert_true (is_state (w, LATTICE_SIGNALING_STATE_JOINED));
  id = g_strdup (lattice_signaling_client_get_participant_id (w->client));
  stop_server (server);
  wait_until (is_state (w, LATTICE_SIGNALING_STATE_RECONNECTING));

  server = start_server (port);
  wait_until (w->n_joined == 2 || is_state (w, LATTICE_SIGNALING_STATE_FAILED));
  g_assert_no_error (lattice_signaling_client_get_error (w->client));
  g_assert_true (is_state (w, LATTICE_SIGNALING_STATE_JOINED));
  g_assert_true (w->last_resumed);
  g_assert_cmpstr (lattice_signaling_client_get_participant_id (w->client), ==, id);
  g_assert_cmpstr (lattice_signaling_client_get_pinned_fingerprint (w->client), ==, host_fp);

  lattice_signaling_client_disconnect (w->client);
  watch_free (w);
  stop_server (server);
}

/* The same port, another certificate: a reconnect fails for good instead
 * of retrying forever or, worse, going through. */
static void
test_reconnect_to_other_certificate (void)
{
  LatticeSignalServer *server = start_server (0);
  guint port = lattice_signal_server_get_port (server);
  g_autoptr(GTlsCertificate) other = NULL;
  g_autoptr(GError) error = NULL;
  Watch *w = connect_and_settle (new_client (port, host_fp));

  g_assert_true (is_state (w, LATTICE_SIGNALING_STATE_JOINED));
  stop_server (server);
  wait_until (is_state (w, LATTICE_SIGNALING_STATE_RECONNECTING));

  other = lattice_certificate_new_self_signed ("impostor", NULL, &error);
  g_assert_no_error (error);
  server = lattice_signal_server_new ();
  g_object_set (server, "tls-certificate", other, NULL);
  lattice_signal_server_listen (server, "127.0.0.1", port, &error);
  g_assert_no_error (error);

  wait_until (is_state (w, LATTICE_SIGNALING_STATE_FAILED));
  g_assert_error (lattice_signaling_client_get_error (w->client), LATTICE_SIGNALING_ERROR,
                  LATTICE_SIGNALING_ERROR_CERTIFICATE_MISMATCH);
  g_assert_cmpuint (w->n_joined, ==, 1);

  watch_free (w);
  stop_server (server);
}

static void
remove_cert_dir (void)
{
  g_autofree char *path = g_build_filename (cert_dir, LATTICE_CERTIFICATE_FILE_NAME, NULL);

  g_remove (path);
  g_rmdir (cert_dir);
}

int
main (int    argc,
      char **argv)
{
  const char *ips[] = { "127.0.0.1", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  /* The host's own folder is made, as the app's will be. */
  base = g_dir_make_tmp ("lattice-tls-XXXXXX", &error);
  g_assert_no_error (error);
  cert_dir = g_build_filename (base, "lattice", NULL);
  host_cert = lattice_certificate_load_or_create (cert_dir, "lattice-test-host", ips, &error);
  g_assert_no_error (error);
  host_fp = lattice_certificate_get_fingerprint (host_cert);

  g_test_add_func ("/tls/pinned-join", test_pinned_join);
  g_test_add_func ("/tls/wrong-pin", test_wrong_pin);
  g_test_add_func ("/tls/untrusted-then-trusted", test_untrusted_then_trusted);
  g_test_add_func ("/tls/pin-needs-tls", test_pin_needs_tls);
  g_test_add_func ("/tls/save-load", test_save_load);
  g_test_add_func ("/tls/new-certificate", test_new_certificate);
  g_test_add_func ("/tls/reconnect-keeps-pin", test_reconnect_keeps_pin);
  g_test_add_func ("/tls/reconnect-to-other-certificate", test_reconnect_to_other_certificate);

  ret = g_test_run ();

  remove_cert_dir ();
  g_rmdir (base);
  g_clear_object (&host_cert);
  g_free (host_fp);
  g_free (cert_dir);
  return ret;
}
