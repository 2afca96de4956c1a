/* server-main.c: lattice-server, the signaling server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeServer"

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "lattice-log.h"
#include "lattice-protocol.h"
#include "lattice-signal-server.h"

typedef struct {
  char     *host;
  gint      port;
  gint      max_room_size;
  gint      max_message_size;
  gint      max_rate;
  gint      heartbeat_interval;
  gint      heartbeat_timeout;
  gint      max_connections_per_address;
  gint      max_password_attempts;
  char     *tls_cert;
  char     *tls_key;
  GStrv     origins;
  GStrv     stun;
  GStrv     turn;
  char     *turn_secret;
  gboolean  verbose;
  gboolean  test_mitm_fingerprints;
  gboolean  version;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->host);
  g_free (o->tls_cert);
  g_free (o->tls_key);
  g_strfreev (o->origins);
  g_strfreev (o->stun);
  g_strfreev (o->turn);
  g_free (o->turn_secret);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

static gboolean
parse_options (Options   *o,
               int       *argc,
               char    ***argv,
               GError   **error)
{
  const GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &o->host,
      N_("Address to listen on (default 127.0.0.1)"), N_("ADDR") },
    { "port", 'p', 0, G_OPTION_ARG_INT, &o->port,
      N_("Port to listen on (default 8787; 0 picks a free one)"), N_("N") },
    { "max-room-size", 0, 0, G_OPTION_ARG_INT, &o->max_room_size,
      N_("Participants allowed in one room (default 8)"), N_("N") },
    { "max-message-size", 0, 0, G_OPTION_ARG_INT, &o->max_message_size,
      N_("Largest message accepted, in bytes (default 65536)"), N_("BYTES") },
    { "max-rate", 0, 0, G_OPTION_ARG_INT, &o->max_rate,
      N_("Messages per second one client may send (default 50)"), N_("N") },
    { "heartbeat-interval", 0, 0, G_OPTION_ARG_INT, &o->heartbeat_interval,
      N_("Milliseconds between the server’s pings (default 5000)"), N_("MS") },
    { "heartbeat-timeout", 0, 0, G_OPTION_ARG_INT, &o->heartbeat_timeout,
      N_("Milliseconds of silence before a client is dropped (default 15000)"), N_("MS") },
    { "max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &o->max_connections_per_address,
      N_("Websockets open at once from one address (default 20)"), N_("N") },
    { "max-password-attempts", 0, 0, G_OPTION_ARG_INT, &o->max_password_attempts,
      N_("Wrong passwords one address may give for a room within a minute before it "
         "must wait a minute (default 5)"), N_("N") },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_cert,
      N_("PEM certificate: serve wss:// instead of ws://"), N_("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_key,
      N_("PEM private key, if not in the certificate file"), N_("FILE") },
    { "allow-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->origins,
      N_("Accept browser websockets only from this Origin (repeatable; default: any)"), N_("ORIGIN") },
    { "stun", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->stun,
      N_("STUN server handed to clients, e.g. stun:stun.example.org:3478 (repeatable)"), N_("URI") },
    { "turn", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->turn,
      N_("TURN server handed to clients, turn:HOST:PORT or turn:USER:PASS@HOST:PORT (repeatable)"), N_("URI") },
    { "turn-secret", 0, 0, G_OPTION_ARG_STRING, &o->turn_secret,
      N_("Shared secret for short-lived TURN credentials (coturn use-auth-secret); "
         "better given in $LATTICE_TURN_SECRET"), N_("SECRET") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose,
      N_("Also log refused messages and other details"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &o->version,
      N_("Print the version and exit"), NULL },
    /* Test only, hidden and untranslated: a malicious server, for tests/app/test-verification-e2e.c */
    { "test-mitm-fingerprints", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &o->test_mitm_fingerprints,
      "Test only: forge the DTLS fingerprints in relayed offers and answers", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new (_("— the Lattice signaling server"));

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Introduces the participants of each room to each other and relays their\n"
      "connection offers. Media never passes through it. Websocket at /ws, a page\n"
      "with the room's link at /ROOM."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  return g_option_context_parse (context, argc, argv, error);
}

static gboolean
check_range (const char *flag,
             gint        value,
             gint        min,
             gint        max,
             GError    **error)
{
  if (value >= min && value <= max)
    return TRUE;

  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("--%s must be between %d and %d"), flag, min, max);
  return FALSE;
}

static gboolean
check_uris (const char  *flag,
            GStrv        uris,
            const char  *scheme,
            const char  *other_scheme,
            GError     **error)
{
  for (guint i = 0; uris != NULL && uris[i] != NULL; i++)
    {
      if (g_str_has_prefix (uris[i], scheme) ||
          (other_scheme != NULL && g_str_has_prefix (uris[i], other_scheme)))
        continue;

      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--%s: “%s” does not start with %s"), flag, uris[i], scheme);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_options (Options  *o,
               GError  **error)
{
  return check_range ("port", o->port, 0, 65535, error) &&
         check_range ("max-room-size", o->max_room_size, 1, 1000, error) &&
         check_range ("max-message-size", o->max_message_size, 256, 16 * 1024 * 1024, error) &&
         check_range ("max-rate", o->max_rate, 1, 100000, error) &&
         check_range ("heartbeat-interval", o->heartbeat_interval, 10, G_MAXINT, error) &&
         check_range ("heartbeat-timeout", o->heartbeat_timeout, 10, G_MAXINT, error) &&
         check_range ("max-connections-per-address", o->max_connections_per_address,
                      1, 1000000, error) &&
         check_range ("max-password-attempts", o->max_password_attempts, 1, 1000000, error) &&
         check_uris ("stun", o->stun, "stun:", NULL, error) &&
         check_uris ("turn", o->turn, "turn:", "turns:", error);
}

static gboolean
configure (LatticeSignalServer  *server,
           Options              *o,
           GError              **error)
{
  g_object_set (server,
                "max-room-size", (guint) o->max_room_size,
                "max-message-size", (guint) o->max_message_size,
                "max-rate", (guint) o->max_rate,
                "heartbeat-interval", (guint) o->heartbeat_interval,
                "heartbeat-timeout", (guint) o->heartbeat_timeout,
                "max-connections-per-address", (guint) o->max_connections_per_address,
                "max-password-attempts", (guint) o->max_password_attempts,
                "allowed-origins", o->origins,
                "stun-servers", o->stun,
                "turn-servers", o->turn,
                "turn-secret", o->turn_secret,
                "test-mitm-fingerprints", o->test_mitm_fingerprints,
                NULL);
  if (o->test_mitm_fingerprints)
    g_message ("TEST MODE: forging the DTLS fingerprints of relayed offers and answers");

  if (o->tls_cert != NULL)
    {
      g_autoptr(GTlsCertificate) certificate =
        o->tls_key ? g_tls_certificate_new_from_files (o->tls_cert, o->tls_key, error)
                   : g_tls_certificate_new_from_file (o->tls_cert, error);

      if (certificate == NULL)
        return FALSE;
      g_object_set (server, "tls-certificate", certificate, NULL);
    }
  else if (o->tls_key != NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--tls-key needs --tls-cert"));
      return FALSE;
    }

  if (o->turn != NULL && o->turn_secret == NULL)
    g_message ("No TURN secret: only TURN URIs with USER:PASS@ in them are handed out");
  return TRUE;
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static int
fail (const char *what,
      GError     *error)
{
  g_printerr ("lattice-server: %s%s%s\n", what ? what : "", what ? ": " : "", error->message);
  return 1;
}

int
main (int   argc,
      char *argv[])
{
  g_auto(Options) o = {
    .port = LATTICE_SIGNAL_SERVER_DEFAULT_PORT,
    .max_room_size = LATTICE_SIGNAL_SERVER_DEFAULT_ROOM_SIZE,
    .max_message_size = LATTICE_PROTOCOL_DEFAULT_MAX_MESSAGE_SIZE,
    .max_rate = LATTICE_SIGNAL_SERVER_DEFAULT_RATE,
    .heartbeat_interval = LATTICE_SIGNAL_SERVER_DEFAULT_HEARTBEAT_MS,
    .heartbeat_timeout = LATTICE_SIGNAL_SERVER_DEFAULT_TIMEOUT_MS,
    .max_connections_per_address = LATTICE_SIGNAL_SERVER_DEFAULT_CONNECTIONS_PER_ADDRESS,
    .max_password_attempts = LATTICE_SIGNAL_SERVER_DEFAULT_PASSWORD_ATTEMPTS,
  };
  g_autoptr(LatticeSignalServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *where = NULL;
  guint sigint_id, sigterm_id;
  gboolean ipv6;

  lattice_log_init ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (!parse_options (&o, &argc, &argv, &error) || !check_options (&o, &error))
    {
      g_printerr ("lattice-server: %s\n%s\n", error->message,
                  _("Run “lattice-server --help” to see the options."));
      return 2;
    }

  if (o.version)
    {
      g_print ("lattice-server %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (o.verbose)
    g_log_set_debug_enabled (TRUE);
  /* From the environment, so the secret need not show in `ps`. */
  if (o.turn_secret == NULL && g_getenv ("LATTICE_TURN_SECRET") != NULL &&
      *g_getenv ("LATTICE_TURN_SECRET") != '\0')
    o.turn_secret = g_strdup (g_getenv ("LATTICE_TURN_SECRET"));
  if (o.host == NULL)
    o.host = g_strdup ("127.0.0.1");

  server = lattice_signal_server_new ();
  if (!configure (server, &o, &error))
    return fail (NULL, error);

  ipv6 = strchr (o.host, ':') != NULL;
  where = g_strdup_printf ("%s%s%s:%d", ipv6 ? "[" : "", o.host, ipv6 ? "]" : "", o.port);
  if (!lattice_signal_server_listen (server, o.host, o.port, &error))
    {
      g_autofree char *what = g_strdup_printf (_("cannot listen on %s"), where);

      return fail (what, error);
    }

  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  /* Tests and scripts wait for this exact line. */
  g_print ("lattice-server listening on %s://%s%s%s:%u/ws\n",
           o.tls_cert ? "wss" : "ws", ipv6 ? "[" : "", o.host, ipv6 ? "]" : "",
           lattice_signal_server_get_port (server));
  fflush (stdout);

  g_main_loop_run (loop);

  g_message ("Shutting down");
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  lattice_signal_server_stop (server);
  return 0;
}
