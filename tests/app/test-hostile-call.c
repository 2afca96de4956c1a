/* test-hostile-call.c: a real call goes on while hostile clients attack its server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 7, "Bad input": a lattice-server process on 127.0.0.1, three
 * lattice-peer processes in a call with real media in room "call", then
 * 10,000 malformed, mutated and oversized messages from hostile clients:
 * two in room "call" itself, one in room "other", one that joined nothing
 * and one that never said hello. Throughout the flood and after it the
 * server stays up and takes fresh joins, every bad message gets an error
 * or is lost to a close the server announced, and the call's video keeps
 * flowing between all three without a peer connection so much as wavering.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "lattice-test-hostile.h"
#include "lattice-test-proc.h"
#include "lattice-test-ws.h"

#define N_PEERS           3
#define N_BAD_MESSAGES    10000
#define MEDIA_TIMEOUT_S   60
#define WINDOW_S          5    /* the media and the server are checked this often */
#define MAX_WINDOWS       40   /* the whole flood: 200 s at most */
/* Unpaced, the 10,000 messages are over in 3 s, before the call could be
 * looked at even once. A pause after each answered window of 8 makes them
 * last at least 2000 / 8 * 100 ms = 25 s per client, less the windows a
 * close cut short (about a quarter): several checks of the call, whatever
 * the machine. */
#define PAUSE_MS          100
#define MIN_WINDOWS       3
#define AFTER_STATS       6    /* stats lines (one a second) watched after it */
/* Smaller than the default 64 KiB so oversized messages are cheap to send
 * and the flood stays quick; still far above any offer the peers send. */
#define MAX_MESSAGE_SIZE  32768

typedef struct {
  LatticeTestProc *server;
  GPtrArray       *peers;      /* LatticeTestProc */
  GPtrArray       *hostiles;   /* LatticeHostile */
  char            *ws_uri;
  char            *link;
  guint            probes;     /* fresh joins made during the flood */
} Fixture;

/* --- The call ------------------------------------------------------------ */

/* Since @since_ms no peer saw another one leave, nor its connection to it
 * change from "connected". The hostile members in room "call" come and go
 * all the time: events about them are expected, and not looked at. */
static void
assert_call_intact (Fixture *f,
                    gint64   since_ms)
{
  for (guint r = 0; r < f->peers->len; r++)
    {
      LatticeTestProc *receiver = g_ptr_array_index (f->peers, r);
      GPtrArray *events = lattice_test_proc_get_events (receiver);

      for (guint i = 0; i < events->len; i++)
        {
          JsonObject *event = g_ptr_array_index (events, i);
          const char *name = json_object_get_string_member_with_default (event, "event", "");
          const char *id = json_object_get_string_member_with_default (event, "id", "");

          if (lattice_test_event_time (event) < since_ms)
            continue;
          for (guint s = 0; s < f->peers->len; s++)
            {
              if (s == r || g_strcmp0 (id, lattice_test_proc_get_id (g_ptr_array_index (f->peers, s))) != 0)
                continue;
              if (g_str_equal (name, "participant-left") ||
                  (g_str_equal (name, "peer-state") &&
                   g_strcmp0 (json_object_get_string_member_with_default (event, "state", ""), "connected") != 0))
                g_error ("%s: %s about %s at %" G_GINT64_FORMAT, lattice_test_proc_get_name (receiver),
                         name, lattice_test_proc_get_name (g_ptr_array_index (f->peers, s)),
                         lattice_test_event_time (event));
            }
        }
    }
}

/* Every peer decoded more video from every other one over each 5 s in
 * [@from_ms, @to_ms]; returns the fewest stats lines any pair had there. */
static guint
assert_video_rises (Fixture *f,
                    gint64   from_ms,
                    gint64   to_ms)
{
  guint fewest = G_MAXUINT;

  for (guint r = 0; r < f->peers->len; r++)
    for (guint s = 0; s < f->peers->len; s++)
      if (r != s)
        fewest = MIN (fewest, lattice_test_assert_frames_rise (g_ptr_array_index (f->peers, r),
                                                               g_ptr_array_index (f->peers, s),
                                                               from_ms, to_ms));
  return fewest;
}

/* --- The server ---------------------------------------------------------- */

/* A well-behaved newcomer, over a websocket of its own, in a room of its
 * own (so nothing but its own joined can come first). */
static void
assert_server_answers (Fixture *f)
{
  g_autoptr(LatticeTestWs) ws = NULL;
  g_autoptr(LatticeMessage) welcome = NULL;
  g_autoptr(LatticeMessage) joined = NULL;

  g_assert_false (lattice_test_proc_exited (f->server));
  ws = lattice_test_ws_connect (f->ws_uri, NULL, NULL, NULL);
  lattice_test_ws_send (ws, "{\"type\":\"hello\",\"version\":1}");
  welcome = lattice_test_ws_expect (ws, LATTICE_MESSAGE_WELCOME);
  lattice_test_ws_sendf (ws, "{\"type\":\"join\",\"room\":\"probe-%u\",\"name\":\"Probe\"}", f->probes++);
  joined = lattice_test_ws_expect (ws, LATTICE_MESSAGE_JOINED);
  g_assert_cmpuint (joined->participants->len, ==, 0);
}

/* --- The hostiles -------------------------------------------------------- */

static void
add_hostile (Fixture            *f,
             LatticeHostileRole  role,
             const char         *room,
             guint32             seed)
{
  LatticeHostile *hostile = lattice_hostile_new (f->ws_uri, role, room, N_BAD_MESSAGES / 5,
                                                 MAX_MESSAGE_SIZE, seed);

  g_ptr_array_add (f->hostiles, hostile);
  lattice_hostile_set_pause (hostile, PAUSE_MS);
  lattice_hostile_start (hostile);
}

/* --- The test ------------------------------------------------------------ */

static void
start_call (Fixture *f)
{
  guint port;

  /* The hostile clients and the peers all come from 127.0.0.1, and the
   * server limits websockets per address (20 by default). Five hostiles,
   * each reconnecting at once after every close (counted until the server
   * reaps it), three peers and the probes could hit that and get 429s,
   * which would test the limit rather than the bad input: raise it.
   * --max-rate 400 (default 50) lets most bad messages through the rate
   * limit to be refused on their merits (a rate-limited one still gets an
   * error); each peer has a bucket of its own either way. */
  f->server = lattice_test_server_start ((const char *const[]) {
      "--max-connections-per-address", "200",
      "--max-rate", "400",
      "--max-message-size", G_STRINGIFY (MAX_MESSAGE_SIZE),
      NULL }, &port);
  f->ws_uri = g_strdup_printf ("ws://127.0.0.1:%u/ws", port);
  f->link = g_strdup_printf ("http://127.0.0.1:%u/call", port);

  for (guint i = 0; i < N_PEERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("peer-%c", 'a' + i);

      g_ptr_array_add (f->peers, lattice_test_peer_join (name, f->link, NULL));
    }
  lattice_test_wait_media_flows (f->peers, f->peers, 0, MEDIA_TIMEOUT_S);
}

/* Runs the flood, checking the call and the server every WINDOW_S. */
static void
flood (Fixture *f,
       gint64   since_ms)
{
  guint32 seed = g_test_rand_int ();
  guint windows = 0;

  g_test_message ("seed %u (rerun with --seed to repeat)", seed);
  add_hostile (f, LATTICE_HOSTILE_MEMBER, "call", seed);
  add_hostile (f, LATTICE_HOSTILE_MEMBER, "call", seed + 1);
  add_hostile (f, LATTICE_HOSTILE_MEMBER, "other", seed + 2);
  add_hostile (f, LATTICE_HOSTILE_UNJOINED, NULL, seed + 3);
  add_hostile (f, LATTICE_HOSTILE_SILENT, NULL, seed + 4);

  while (!lattice_test_wait (lattice_hostiles_done, f->hostiles, WINDOW_S))
    {
      g_assert_cmpuint (++windows, <, MAX_WINDOWS);
      assert_server_answers (f);
      assert_call_intact (f, since_ms);
      assert_video_rises (f, since_ms, lattice_test_now_ms ());
    }
  g_test_message ("flood over after %" G_GINT64_FORMAT " ms, %u windows checked",
                  lattice_test_now_ms () - since_ms, windows);
  g_assert_cmpuint (windows, >=, MIN_WINDOWS);
}

static void
test_hostile_call (void)
{
  Fixture fixture = { 0 }, *f = &fixture;
  g_autoptr(LatticeTestProc) observer = NULL;
  gint64 since_ms, over_ms;

  f->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) lattice_test_proc_free);
  f->hostiles = g_ptr_array_new_with_free_func ((GDestroyNotify) lattice_hostile_free);
  start_call (f);

  since_ms = lattice_test_now_ms ();
  flood (f, since_ms);
  lattice_hostiles_assert_accounted (f->hostiles, N_BAD_MESSAGES);

  /* After it: a few more seconds of call, so the end of the flood is
   * checked over a whole window too. */
  over_ms = lattice_test_now_ms ();
  for (guint i = 0; i < f->peers->len; i++)
    lattice_test_proc_wait_stats (g_ptr_array_index (f->peers, i), over_ms, AFTER_STATS, 30);
  assert_server_answers (f);
  assert_call_intact (f, since_ms);
  g_assert_cmpuint (assert_video_rises (f, since_ms, lattice_test_now_ms ()), >=, AFTER_STATS);

  /* A fresh participant in the attacked room finds the three there. */
  observer = lattice_test_peer_join ("observer", f->link, (const char *const[]) { "--video", "none", "--audio", "none", NULL });
  for (guint i = 0; i < f->peers->len; i++)
    lattice_test_proc_wait_event (observer, 0, "participant-joined", "id",
                                  lattice_test_proc_get_id (g_ptr_array_index (f->peers, i)), 10);
  lattice_test_assert_clean_exit (observer);

  for (guint i = 0; i < f->peers->len; i++)
    lattice_test_assert_clean_exit (g_ptr_array_index (f->peers, i));
  lattice_test_proc_signal (f->server, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (f->server, 20), ==, 0);

  g_ptr_array_unref (f->hostiles);
  g_ptr_array_unref (f->peers);
  lattice_test_proc_free (f->server);
  g_free (f->ws_uri);
  g_free (f->link);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hostile-call/flood", test_hostile_call);

  return g_test_run ();
}
