/* test-turn.c: only a relay works
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * coturn on 127.0.0.1 and two lattice-peers that may use relay candidates
 * only (--relay-only): media flows, and each end's selected candidate pair
 * is a relay one. Once with credentials given to the peers (--turn), once
 * with the short-lived ones lattice-server derives from coturn's shared
 * secret (--turn-secret), which go through LatticeCall's ICE conversion.
 * Skipped (exit status 77) where coturn's turnserver is not installed.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "lattice-test-proc.h"

#define SECRET "lattice-test-secret"

/* Answers a STUN Binding request: coturn is listening. */
static gboolean
turn_answers (guint port)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", port);
  /* type 0x0001, length 0, the magic cookie, a transaction id */
  static const guint8 request[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
                                      'l', 'a', 't', 't', 'i', 'c', 'e', '-', 't', 'e', 's', 't' };
  guint8 reply[512];

  g_socket_set_timeout (socket, 1);
  if (g_socket_send_to (socket, address, (const char *) request, sizeof request, NULL, NULL) < 0)
    return FALSE;
  return g_socket_receive (socket, (char *) reply, sizeof reply, NULL, NULL) >= 20 &&
         reply[0] == 0x01 && reply[1] == 0x01;
}

/* coturn on 127.0.0.1:@port, relaying on 127.0.0.1 too; @auth: its
 * options for credentials. */
static LatticeTestProc *
start_turn (guint              port,
            const char *const *auth,
            const char        *dir)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  LatticeTestProc *turn;
  guint tries = 0;

  g_ptr_array_add (argv, g_strdup ("turnserver"));
  for (guint i = 0; auth[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (auth[i]));
  g_ptr_array_add (argv, g_strdup ("-n"));  /* no configuration file */
  g_ptr_array_add (argv, g_strdup ("--listening-ip=127.0.0.1"));
  g_ptr_array_add (argv, g_strdup ("--relay-ip=127.0.0.1"));
  g_ptr_array_add (argv, g_strdup_printf ("--listening-port=%u", port));
  g_ptr_array_add (argv, g_strdup ("--realm=lattice.test"));
  g_ptr_array_add (argv, g_strdup ("--allow-loopback-peers"));  /* both relays are on 127.0.0.1 */
  g_ptr_array_add (argv, g_strdup ("--fingerprint"));
  g_ptr_array_add (argv, g_strdup ("--no-cli"));
  g_ptr_array_add (argv, g_strdup ("--no-tls"));
  g_ptr_array_add (argv, g_strdup ("--no-dtls"));
  g_ptr_array_add (argv, g_strdup ("--no-tcp-relay"));
  /* nothing of the machine's own coturn set-up: database, pid, logs */
  g_ptr_array_add (argv, g_strdup_printf ("--db=%s/turndb", dir));
  g_ptr_array_add (argv, g_strdup_printf ("--pidfile=%s/turnserver.pid", dir));
  g_ptr_array_add (argv, g_strdup_printf ("--log-file=%s/turnserver.log", dir));
  g_ptr_array_add (argv, g_strdup ("--no-stdout-log"));
  g_ptr_array_add (argv, g_strdup ("--simple-log"));
  g_ptr_array_add (argv, NULL);
  turn = lattice_test_proc_start ("turnserver", (const char *const *) argv->pdata);

  while (!turn_answers (port) && !lattice_test_proc_exited (turn) && tries++ < 20)
    lattice_test_run_for (200);
  g_assert_false (lattice_test_proc_exited (turn));
  g_assert_true (turn_answers (port));
  return turn;
}

/* coturn's files: its database, pid and log. */
static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

typedef struct {
  LatticeTestProc *receiver;
  LatticeTestProc *sender;
} PairCheck;

/* media from sender, and the pair in use is a relayed one */
static gboolean
relayed_media_flows (gpointer data)
{
  PairCheck *check = data;
  const char *from = lattice_test_proc_get_id (check->sender);
  JsonObject *peer = lattice_test_stats_peer (lattice_test_proc_last_event (check->receiver, "stats"), from);

  return lattice_test_proc_has_first_frame (check->receiver, 0, from, "video") &&
         lattice_test_proc_has_first_frame (check->receiver, 0, from, "audio") &&
         peer != NULL &&
         g_strcmp0 (json_object_get_string_member_with_default (peer, "candidate", NULL), "relay") == 0 &&
         lattice_test_stats_video_frames (lattice_test_proc_last_event (check->receiver, "stats"), from) > 0;
}

static void
assert_relayed_call (const char        *link,
                     const char *const *peer_args)
{
  g_autoptr(LatticeTestProc) a = lattice_test_peer_start ("peer-a", link, peer_args);
  g_autoptr(LatticeTestProc) b = NULL;
  gint64 start = lattice_test_now_ms ();
  PairCheck check;

  lattice_test_proc_wait_joined (a, 30);
  b = lattice_test_peer_start ("peer-b", link, peer_args);
  lattice_test_proc_wait_joined (b, 30);

  check = (PairCheck) { a, b };
  g_assert_true (lattice_test_wait (relayed_media_flows, &check, 60));
  check = (PairCheck) { b, a };
  g_assert_true (lattice_test_wait (relayed_media_flows, &check, 60));
  g_test_message ("relayed media both ways after %" G_GINT64_FORMAT " ms",
                  lattice_test_now_ms () - start);

  start = lattice_test_now_ms ();
  lattice_test_proc_wait_stats (a, start, 6, 30);
  g_assert_cmpuint (lattice_test_assert_frames_rise (a, b, start, G_MAXINT64), >=, 3);
  lattice_test_assert_clean_exit (a);
  lattice_test_assert_clean_exit (b);
}

/* The peers are given the TURN server and its long-term credentials. */
static void
test_peer_credentials (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lattice-turn-XXXXXX", NULL);
  g_autoptr(LatticeTestProc) turn = NULL;
  g_autoptr(LatticeTestProc) server = NULL;
  g_autofree char *turn_uri = NULL;
  g_autofree char *link = NULL;
  guint turn_port = lattice_test_free_port ();
  guint port;

  turn = start_turn (turn_port, (const char *const[]) { "--lt-cred-mech", "--user=test:test", NULL }, dir);
  server = lattice_test_server_start (NULL, &port);
  link = g_strdup_printf ("http://127.0.0.1:%u/relayed", port);
  turn_uri = g_strdup_printf ("turn://test:test@127.0.0.1:%u", turn_port);
  assert_relayed_call (link, (const char *const[]) { "--turn", turn_uri, "--relay-only", NULL });

  lattice_test_proc_signal (server, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (server, 20), ==, 0);
  lattice_test_proc_signal (turn, SIGTERM);
  lattice_test_proc_wait_exit (turn, 20);
  remove_dir (dir);
}

/* The signaling server hands out short-lived credentials ("expiry:id",
 * HMAC of coturn's shared secret) with a turn: URI; the peers are told
 * nothing but to relay. */
static void
test_server_credentials (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lattice-turn-XXXXXX", NULL);
  g_autoptr(LatticeTestProc) turn = NULL;
  g_autoptr(LatticeTestProc) server = NULL;
  g_autofree char *turn_uri = NULL;
  g_autofree char *link = NULL;
  guint turn_port = lattice_test_free_port ();
  guint port;

  turn = start_turn (turn_port, (const char *const[]) { "--use-auth-secret",
                                                        "--static-auth-secret=" SECRET, NULL }, dir);
  turn_uri = g_strdup_printf ("turn:127.0.0.1:%u", turn_port);
  server = lattice_test_server_start ((const char *const[]) { "--turn", turn_uri,
                                                              "--turn-secret", SECRET, NULL }, &port);
  link = g_strdup_printf ("http://127.0.0.1:%u/relayed", port);
  assert_relayed_call (link, (const char *const[]) { "--relay-only", NULL });

  lattice_test_proc_signal (server, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (server, 20), ==, 0);
  lattice_test_proc_signal (turn, SIGTERM);
  lattice_test_proc_wait_exit (turn, 20);
  remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *turnserver = NULL;

  g_test_init (&argc, &argv, NULL);

  turnserver = g_find_program_in_path ("turnserver");
  if (turnserver == NULL)
    {
      g_print ("SKIP: coturn's turnserver is not installed (Debian package coturn)\n");
      return 77;
    }

  g_test_add_func ("/turn/peer-credentials", test_peer_credentials);
  g_test_add_func ("/turn/server-credentials", test_server_credentials);

  return g_test_run ();
}
