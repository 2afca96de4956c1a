/* test-faults.c: faults a call survives, with real processes on 127.0.0.1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Three participants in a room, then: the signaling server is killed and
 * restarted on the same port (media never stops, nobody reconnects a peer
 * connection); a participant is killed (the others drop it at once); a
 * participant is frozen (dropped after the heartbeat timeout) and thawed
 * (it resumes and media flows both ways again); a participant dies while
 * the server is away (the others drop it when the server is back); the
 * server dies during a newcomer's join (media flows soon after it is back).
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "lattice-test-proc.h"

#define MEDIA_TIMEOUT_S 60

/* Helpers shared by the three tests */

static GPtrArray *
start_room (const char *link,
            guint       n)
{
  GPtrArray *peers = g_ptr_array_new_with_free_func ((GDestroyNotify) lattice_test_proc_free);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("peer-%c", 'a' + i);

      g_ptr_array_add (peers, lattice_test_peer_join (name, link, NULL));
    }
  return peers;
}

/* Every peer got a first video and audio frame from every other one (or
 * only to and from @only), at or after @since_ms. Returns how long it
 * took, in ms from since_ms. */
static gint64
assert_media_flows (GPtrArray       *peers,
                    LatticeTestProc *only,
                    gint64           since_ms)
{
  g_autoptr(GPtrArray) just_one = g_ptr_array_new ();

  if (only == NULL)
    lattice_test_wait_media_flows (peers, peers, since_ms, MEDIA_TIMEOUT_S);
  else
    {
      g_ptr_array_add (just_one, only);
      lattice_test_wait_media_flows (just_one, peers, since_ms, MEDIA_TIMEOUT_S);
      lattice_test_wait_media_flows (peers, just_one, since_ms, MEDIA_TIMEOUT_S);
    }
  return lattice_test_now_ms () - since_ms;
}

static void
assert_no_event_about (LatticeTestProc *proc,
                       gint64           since_ms,
                       const char      *event,
                       const char      *member,
                       LatticeTestProc *other)
{
  JsonObject *found = lattice_test_proc_find_event (proc, since_ms, event, member,
                                                    lattice_test_proc_get_id (other));

  if (found != NULL)
    g_error ("%s: unexpected %s about %s at %" G_GINT64_FORMAT, lattice_test_proc_get_name (proc),
             event, lattice_test_proc_get_name (other), lattice_test_event_time (found));
}

/* The signaling server dies mid-call and comes back on the same port. */

static void
test_server_dies (void)
{
  g_autoptr(LatticeTestProc) server = NULL;
  g_autoptr(LatticeTestProc) observer = NULL;
  g_autoptr(GPtrArray) peers = NULL;
  g_autofree char *port_arg = NULL;
  g_autofree char *link = NULL;
  gint64 killed_ms, restarted_ms;
  guint port, actual;

  port = lattice_test_free_port ();
  port_arg = g_strdup_printf ("%u", port);
  server = lattice_test_server_start ((const char *const[]) { "--port", port_arg, NULL }, &actual);
  g_assert_cmpuint (actual, ==, port);
  link = g_strdup_printf ("http://127.0.0.1:%u/outage", port);
  peers = start_room (link, 3);
  assert_media_flows (peers, NULL, 0);
  lattice_test_run_for (2000);

  /* Not "now + 1": the peers notice the kill within the same millisecond
   * (the socket is reset at once), and their clock's ms may still be the
   * one the test's was in. The call was quiet for 2 s before. */
  killed_ms = lattice_test_now_ms ();
  lattice_test_proc_signal (server, SIGKILL);
  g_assert_cmpint (lattice_test_proc_wait_exit (server, 10), ==, -SIGKILL);
  g_clear_pointer (&server, lattice_test_proc_free);
  for (guint i = 0; i < peers->len; i++)
    lattice_test_proc_wait_event (g_ptr_array_index (peers, i), killed_ms, "signaling", "state", "reconnecting", 20);

  /* the outage: every peer keeps printing stats, with rising counters */
  for (guint i = 0; i < peers->len; i++)
    {
      lattice_test_proc_wait_stats (g_ptr_array_index (peers, i), killed_ms, 8, 40);
    }
  restarted_ms = lattice_test_now_ms ();
  for (guint r = 0; r < peers->len; r++)
    for (guint s = 0; s < peers->len; s++)
      if (r != s)
        g_assert_cmpuint (lattice_test_assert_frames_rise (g_ptr_array_index (peers, r), g_ptr_array_index (peers, s),
                                              killed_ms, restarted_ms), >=, 5);
  g_test_message ("media flowed through a %" G_GINT64_FORMAT " ms outage", restarted_ms - killed_ms);

  /* a new server on the same port, knowing nothing: everyone resumes */
  server = lattice_test_server_start ((const char *const[]) { "--port", port_arg, NULL }, &actual);
  g_assert_cmpuint (actual, ==, port);
  for (guint i = 0; i < peers->len; i++)
    {
      gint64 t = lattice_test_proc_wait_event (g_ptr_array_index (peers, i), restarted_ms, "signaling", "state", "joined", 40);

      g_test_message ("%s back in the room %" G_GINT64_FORMAT " ms after the restart",
                      lattice_test_proc_get_name (g_ptr_array_index (peers, i)), t - restarted_ms);
    }

  /* the new server's room holds the same three participants */
  observer = lattice_test_peer_join ("observer", link, (const char *const[]) { "--video", "none", "--audio", "none", NULL });
  for (guint i = 0; i < peers->len; i++)
    lattice_test_proc_wait_event (observer, 0, "participant-joined", "id", lattice_test_proc_get_id (g_ptr_array_index (peers, i)), 10);
  lattice_test_assert_clean_exit (observer);

  /* and the peer connections between them never noticed a thing */
  lattice_test_run_for (2000);
  for (guint r = 0; r < peers->len; r++)
    for (guint s = 0; s < peers->len; s++)
      {
        LatticeTestProc *receiver = g_ptr_array_index (peers, r);
        LatticeTestProc *sender = g_ptr_array_index (peers, s);

        if (r == s)
          continue;
        assert_no_event_about (receiver, killed_ms, "peer-state", "id", sender);
        assert_no_event_about (receiver, killed_ms, "first-frame", "from", sender);
        assert_no_event_about (receiver, killed_ms, "participant-left", "id", sender);
        assert_no_event_about (receiver, killed_ms, "participant-joined", "id", sender);
        lattice_test_assert_frames_rise (receiver, sender, killed_ms, lattice_test_now_ms ());
      }

  for (guint i = 0; i < peers->len; i++)
    lattice_test_assert_clean_exit (g_ptr_array_index (peers, i));
  lattice_test_proc_signal (server, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (server, 20), ==, 0);
}

static LatticeTestProc *
restart_server (const char *port_arg)
{
  guint actual;
  LatticeTestProc *server = lattice_test_server_start ((const char *const[]) { "--port", port_arg, NULL }, &actual);

  g_assert_cmpuint (actual, ==, g_ascii_strtoull (port_arg, NULL, 10));
  return server;
}

static void
kill_server (LatticeTestProc **server)
{
  lattice_test_proc_signal (*server, SIGKILL);
  g_assert_cmpint (lattice_test_proc_wait_exit (*server, 10), ==, -SIGKILL);
  g_clear_pointer (server, lattice_test_proc_free);
}

/* A participant dies while the server is away: when the server is back,
 * the others drop it at once (it is not in the room any more), and never
 * try to connect to it again. */

static void
test_dies_while_server_away (void)
{
  g_autoptr(LatticeTestProc) server = NULL;
  g_autoptr(GPtrArray) peers = NULL;
  g_autofree char *port_arg = g_strdup_printf ("%u", lattice_test_free_port ());
  g_autofree char *link = g_strdup_printf ("http://127.0.0.1:%s/ghost", port_arg);
  LatticeTestProc *ghost;
  gint64 killed_ms, restarted_ms;

  server = restart_server (port_arg);
  peers = start_room (link, 3);
  assert_media_flows (peers, NULL, 0);
  ghost = g_ptr_array_index (peers, 2);

  killed_ms = lattice_test_now_ms ();
  kill_server (&server);
  lattice_test_proc_signal (ghost, SIGKILL);
  g_assert_cmpint (lattice_test_proc_wait_exit (ghost, 10), ==, -SIGKILL);
  /* the survivors see its connection fail (nothing arrives any more) */
  for (guint i = 0; i < 2; i++)
    lattice_test_proc_wait_event (g_ptr_array_index (peers, i), killed_ms, "peer-state", "state", "failed", 30);

  restarted_ms = lattice_test_now_ms ();
  server = restart_server (port_arg);
  for (guint i = 0; i < 2; i++)
    {
      LatticeTestProc *survivor = g_ptr_array_index (peers, i);
      gint64 joined = lattice_test_proc_wait_event (survivor, restarted_ms, "signaling", "state", "joined", 40);
      gint64 left = lattice_test_proc_wait_event (survivor, restarted_ms, "participant-left", "id",
                                                  lattice_test_proc_get_id (ghost), 20);

      g_test_message ("%s dropped the dead participant %" G_GINT64_FORMAT " ms after its rejoin",
                      lattice_test_proc_get_name (survivor), left - joined);
      g_assert_cmpint (left - joined, <=, 5000);
    }
  /* and does not try it again */
  lattice_test_run_for (5000);
  for (guint i = 0; i < 2; i++)
    {
      LatticeTestProc *survivor = g_ptr_array_index (peers, i);
      gint64 left = lattice_test_proc_wait_event (survivor, restarted_ms, "participant-left", "id",
                                                  lattice_test_proc_get_id (ghost), 1);

      assert_no_event_about (survivor, left + 1, "peer-state", "id", ghost);
      assert_no_event_about (survivor, left + 1, "participant-joined", "id", ghost);
    }
  for (guint i = 0; i < 2; i++)
    lattice_test_assert_clean_exit (g_ptr_array_index (peers, i));
  lattice_test_proc_signal (server, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (server, 20), ==, 0);
}

/* The server dies while a newcomer is setting up its connections (its
 * offers, answers or candidates may be lost) and comes back 2 s later:
 * the rejoin offers again to every connection not connected, so media
 * flows soon after, not when the 20 s connect timeout runs out. */

#define JOIN_OUTAGE_MS 2000

static void
test_server_dies_during_join (void)
{
  g_autoptr(LatticeTestProc) server = NULL;
  g_autoptr(GPtrArray) peers = NULL;
  g_autofree char *port_arg = g_strdup_printf ("%u", lattice_test_free_port ());
  g_autofree char *link = g_strdup_printf ("http://127.0.0.1:%s/join-outage", port_arg);
  LatticeTestProc *newcomer;
  gint64 restarted_ms;

  server = restart_server (port_arg);
  peers = start_room (link, 2);
  assert_media_flows (peers, NULL, 0);

  newcomer = lattice_test_peer_start ("newcomer", link, NULL);
  g_ptr_array_add (peers, newcomer);
  lattice_test_proc_wait_event (newcomer, 0, "joined", NULL, NULL, 30);
  kill_server (&server);
  lattice_test_run_for (JOIN_OUTAGE_MS);
  restarted_ms = lattice_test_now_ms ();
  server = restart_server (port_arg);
  assert_media_flows (peers, newcomer, 0);
  g_test_message ("media to and from the newcomer %" G_GINT64_FORMAT " ms after the restart",
                  lattice_test_now_ms () - restarted_ms);
  g_assert_cmpint (lattice_test_now_ms () - restarted_ms, <, 15000);

  for (guint i = 0; i < peers->len; i++)
    lattice_test_assert_clean_exit (g_ptr_array_index (peers, i));
  lattice_test_proc_signal (server, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (server, 20), ==, 0);
}

/* A participant's process is killed: the server sees its TCP connection
 * close at once, and the others drop it within 3 s. */

static void
test_peer_killed (void)
{
  g_autoptr(LatticeTestProc) server = NULL;
  g_autoptr(GPtrArray) peers = NULL;
  g_autofree char *link = NULL;
  LatticeTestProc *victim;
  gint64 killed_ms;
  guint port;

  server = lattice_test_server_start (NULL, &port);
  link = g_strdup_printf ("http://127.0.0.1:%u/killed", port);
  peers = start_room (link, 3);
  assert_media_flows (peers, NULL, 0);

  victim = g_ptr_array_index (peers, 2);
  killed_ms = lattice_test_now_ms ();
  lattice_test_proc_signal (victim, SIGKILL);
  for (guint i = 0; i < 2; i++)
    {
      LatticeTestProc *survivor = g_ptr_array_index (peers, i);
      gint64 t = lattice_test_proc_wait_event (survivor, killed_ms, "participant-left", "id",
                             lattice_test_proc_get_id (victim), 10);

      g_test_message ("kill -> participant-left at %s: %" G_GINT64_FORMAT " ms",
                      lattice_test_proc_get_name (survivor), t - killed_ms);
      g_assert_cmpint (t - killed_ms, <=, 3000);
    }
  g_assert_cmpint (lattice_test_proc_wait_exit (victim, 10), ==, -SIGKILL);
  for (guint i = 0; i < 2; i++)
    lattice_test_assert_clean_exit (g_ptr_array_index (peers, i));
  lattice_test_proc_signal (server, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (server, 20), ==, 0);
}

/* A participant freezes (SIGSTOP): dropped after the heartbeat timeout,
 * taken back when it thaws (SIGCONT). */

static void
test_peer_frozen (void)
{
  g_autoptr(LatticeTestProc) server = NULL;
  g_autoptr(GPtrArray) peers = NULL;
  g_autofree char *link = NULL;
  LatticeTestProc *frozen;
  gint64 stopped_ms, thawed_ms;
  guint port;

  /* the default heartbeat, 5 s, and its timeout, 15 s */
  server = lattice_test_server_start (NULL, &port);
  link = g_strdup_printf ("http://127.0.0.1:%u/frozen", port);
  peers = start_room (link, 3);
  assert_media_flows (peers, NULL, 0);

  frozen = g_ptr_array_index (peers, 2);
  stopped_ms = lattice_test_now_ms ();
  lattice_test_proc_signal (frozen, SIGSTOP);
  for (guint i = 0; i < 2; i++)
    {
      LatticeTestProc *other = g_ptr_array_index (peers, i);
      gint64 t = lattice_test_proc_wait_event (other, stopped_ms, "participant-left", "id",
                             lattice_test_proc_get_id (frozen), 60);

      g_test_message ("freeze -> participant-left at %s: %" G_GINT64_FORMAT " ms",
                      lattice_test_proc_get_name (other), t - stopped_ms);
      g_assert_cmpint (t - stopped_ms, <=, 40000);
    }

  thawed_ms = lattice_test_now_ms ();
  lattice_test_proc_signal (frozen, SIGCONT);
  /* its client finds the websocket gone and resumes as the same id */
  lattice_test_proc_wait_event (frozen, thawed_ms, "signaling", "state", "reconnecting", 30);
  lattice_test_proc_wait_event (frozen, thawed_ms, "signaling", "state", "joined", 30);
  for (guint i = 0; i < 2; i++)
    lattice_test_proc_wait_event (g_ptr_array_index (peers, i), thawed_ms, "participant-joined", "id",
                lattice_test_proc_get_id (frozen), 30);
  g_test_message ("thaw -> media both ways: %" G_GINT64_FORMAT " ms",
                  assert_media_flows (peers, frozen, thawed_ms));
  for (guint i = 0; i < 2; i++)
    {
      LatticeTestProc *other = g_ptr_array_index (peers, i);
      gint64 now = lattice_test_now_ms ();

      lattice_test_proc_wait_stats (other, now, 6, 30);
      lattice_test_assert_frames_rise (other, frozen, now, lattice_test_now_ms ());
    }

  for (guint i = 0; i < peers->len; i++)
    lattice_test_assert_clean_exit (g_ptr_array_index (peers, i));
  lattice_test_proc_signal (server, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (server, 20), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/faults/server-dies", test_server_dies);
  g_test_add_func ("/faults/peer-killed", test_peer_killed);
  g_test_add_func ("/faults/dies-while-server-away", test_dies_while_server_away);
  g_test_add_func ("/faults/server-dies-during-join", test_server_dies_during_join);
  g_test_add_func ("/faults/peer-frozen", test_peer_frozen);

  return g_test_run ();
}
