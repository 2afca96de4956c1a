/* test-hostile-peer.c: a participant's offers and candidates cannot crash, evict or bloat another
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 12. A lattice-server, two lattice-peers in a call ("victim" and
 * "friend", real media) and an attacker in the same room speaking the
 * protocol over a raw websocket, as anyone in a room can. Every process
 * runs with the usual desktop limit of 1024 open files. The attacker
 * sends, in turn:
 *
 *   crash       the offer that crashed a victim: 133 unbundled media
 *               sections (58 KB), then smaller ones Lattice never
 *               negotiates (5 sections; 2 without BUNDLE);
 *   candidates  a flood of candidates, 60 KB each, for an m-line that does
 *               not exist and for one that does, over a live connection;
 *   storm       1000 offers at 50 a second (the victim's leaks traced).
 *
 * Throughout, the victim stays up and in the room (the server never drops
 * it: it is never rate-limited by its own answers), its video to the
 * friend keeps >= 90 % of the sent frame rate, and each refusal comes
 * back to the attacker as a "reject". After the attacker leaves, the
 * victim's threads and file descriptors are back within 10 % of what they
 * were before it came, and its memory too.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "lattice-test-proc.h"
#include "lattice-test-ws.h"

#define FPS             15
#define MEDIA_TIMEOUT_S 60
#define SETTLE_MS       3000

typedef struct {
  LatticeTestProc *server;
  LatticeTestProc *victim;
  LatticeTestProc *friend;
  GPtrArray       *peers;
  LatticeTestWs   *attacker;
  char            *victim_id;
  guint            port;
  gboolean         trace_leaks;
} Call;

typedef struct {
  guint threads;
  guint fds;
  guint rss_kb;
} Usage;

static Usage
usage_of (LatticeTestProc *proc)
{
  GPid pid = lattice_test_proc_get_pid (proc);
  g_autofree char *task = g_strdup_printf ("/proc/%d/task", pid);
  g_autofree char *fd = g_strdup_printf ("/proc/%d/fd", pid);
  g_autofree char *status_path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *status = NULL;
  Usage usage = { 0, 0, 0 };
  const char *vmrss;
  GDir *dir;

  g_assert_cmpint (pid, >, 0);
  if ((dir = g_dir_open (task, 0, NULL)) != NULL)
    {
      while (g_dir_read_name (dir) != NULL)
        usage.threads++;
      g_dir_close (dir);
    }
  if ((dir = g_dir_open (fd, 0, NULL)) != NULL)
    {
      while (g_dir_read_name (dir) != NULL)
        usage.fds++;
      g_dir_close (dir);
    }
  g_assert_true (g_file_get_contents (status_path, &status, NULL, NULL));
  vmrss = strstr (status, "VmRSS:");
  g_assert_nonnull (vmrss);
  usage.rss_kb = (guint) g_ascii_strtoull (vmrss + strlen ("VmRSS:"), NULL, 10);
  return usage;
}

/* A connection's last sockets close once libnice's agent is finalized,
 * which may come a little after its threads are gone: the victim has up
 * to USAGE_BACK_S to be back within 10 % of @before. */
#define USAGE_BACK_S 15

static gboolean
usage_back (const Usage *before,
            const Usage *after)
{
  return after->threads <= before->threads * 11 / 10 && after->fds <= before->fds * 11 / 10 &&
         after->rss_kb <= before->rss_kb * 11 / 10;
}

/* What each open file of @proc is, for the log. */
static void
log_fds (LatticeTestProc *proc)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/fd", lattice_test_proc_get_pid (proc));
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      g_autofree char *target = g_file_read_link (path, NULL);

      g_test_message ("fd %s: %s", name, target ? target : "?");
    }
}

static void
assert_usage_back (LatticeTestProc *victim,
                   const Usage     *before)
{
  gint64 start = lattice_test_now_ms (), deadline = start + USAGE_BACK_S * 1000;
  Usage after = usage_of (victim);

  while (!usage_back (before, &after) && lattice_test_now_ms () < deadline)
    {
      lattice_test_run_for (500);
      after = usage_of (victim);
    }
  g_test_message ("victim: %u threads, %u fds, %u kB RSS before; %u, %u, %u kB after (%" G_GINT64_FORMAT " ms more)",
                  before->threads, before->fds, before->rss_kb, after.threads, after.fds, after.rss_kb,
                  lattice_test_now_ms () - start);
  if (after.fds > before->fds * 11 / 10)
    log_fds (victim);
  g_assert_cmpuint (after.threads, <=, before->threads * 11 / 10);
  g_assert_cmpuint (after.fds, <=, before->fds * 11 / 10);
  g_assert_cmpuint (after.rss_kb, <=, before->rss_kb * 11 / 10);
}

/* The attacker */

static void
attacker_join (Call *call)
{
  g_autoptr(LatticeMessage) welcome = NULL;
  g_autoptr(LatticeMessage) joined = NULL;
  g_autofree char *uri = g_strdup_printf ("ws://127.0.0.1:%u/ws", call->port);

  call->attacker = lattice_test_ws_connect (uri, NULL, NULL, NULL);
  g_assert_nonnull (call->attacker);
  lattice_test_ws_send (call->attacker, "{\"type\":\"hello\",\"version\":1,\"software\":\"mallory\"}");
  welcome = lattice_test_ws_expect (call->attacker, LATTICE_MESSAGE_WELCOME);
  lattice_test_ws_send (call->attacker, "{\"type\":\"join\",\"room\":\"hostile\",\"name\":\"Mallory\"}");
  joined = lattice_test_ws_expect (call->attacker, LATTICE_MESSAGE_JOINED);
  g_assert_cmpuint (joined->participants->len, ==, 2);
}

/* Texts the attacker got so far that contain all of @needles. */
static guint
attacker_got (Call       *call,
              const char *needle1,
              const char *needle2)
{
  guint n = 0;

  for (GList *l = call->attacker->received.head; l != NULL; l = l->next)
    n += strstr (l->data, needle1) != NULL && (needle2 == NULL || strstr (l->data, needle2) != NULL);
  return n;
}

typedef struct {
  Call  *call;
  guint  n;
} RejectWait;

static gboolean
has_rejects (gpointer data)
{
  RejectWait *wait = data;

  return attacker_got (wait->call, "\"reject\"", NULL) >= wait->n;
}

/* Waits until the attacker got @n rejects in all. */
static void
wait_rejects (Call  *call,
              guint  n)
{
  RejectWait wait = { call, n };

  g_assert_true (lattice_test_wait_until (has_rejects, &wait, 20000));
}

static void
send_json_string (GString    *out,
                  const char *text)
{
  g_autofree char *escaped = g_strescape (text, NULL);

  g_string_append_printf (out, "\"%s\"", escaped);
}

static void
send_offer (Call       *call,
            const char *sdp)
{
  g_autoptr(GString) message = g_string_new ("{\"type\":\"offer\",\"to\":\"");

  g_string_append_printf (message, "%s\",\"sdp\":", call->victim_id);
  send_json_string (message, sdp);
  g_string_append (message, "}");
  lattice_test_ws_send (call->attacker, message->str);
}

/* An offer of @n_media sections, bundled or not, padded to @pad bytes. */
static char *
make_offer (guint    n_media,
            gboolean bundle,
            gsize    pad)
{
  GString *sdp = g_string_new ("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");

  if (bundle)
    {
      g_string_append (sdp, "a=group:BUNDLE");
      for (guint i = 0; i < n_media; i++)
        g_string_append_printf (sdp, " %u", i);
      g_string_append (sdp, "\r\n");
    }
  for (guint i = 0; i < n_media; i++)
    g_string_append_printf (sdp,
                            "m=%s 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
                            "a=ice-ufrag:Mall\r\na=ice-pwd:ory0123456789abcdefghijk\r\n"
                            "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                            "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
                            "a=setup:actpass\r\na=mid:%u\r\na=sendrecv\r\na=rtcp-mux\r\n"
                            "a=rtpmap:96 %s\r\n",
                            i % 2 ? "audio" : "video", i, i % 2 ? "OPUS/48000/2" : "VP8/90000");
  while (sdp->len < pad)
    g_string_append (sdp, "a=x-mallory:0123456789012345678901234567890123456789012345678901234567\r\n");
  return g_string_free (sdp, FALSE);
}

/* The call */

/* With GStreamer's leaks tracer, the peers list at exit what they never
 * freed. */
/* Someone joins, talks and leaves before the attack: the baseline is a
 * victim that has already set up and dropped a connection (its first
 * ones load code and fill caches for good: 30 short connections in a row
 * grew a lattice-peer by 2.2 MB over the first five and 1.0 MB over the
 * next 25), so that what is measured against it is what the attack left. */
static void
pass_by (Call              *call,
         const char        *link,
         const char *const *media)
{
  g_autoptr(LatticeTestProc) passer = lattice_test_peer_join ("passer-by", link, media);
  g_autoptr(GPtrArray) both = g_ptr_array_new ();
  gint64 since = lattice_test_now_ms ();

  g_ptr_array_add (both, call->victim);
  g_ptr_array_add (both, passer);
  lattice_test_wait_media_flows (both, both, since, MEDIA_TIMEOUT_S);
  lattice_test_assert_clean_exit (passer);
  lattice_test_proc_wait_event (call->victim, since, "participant-left", "id",
                                lattice_test_proc_get_id (passer), 10);
  lattice_test_run_for (SETTLE_MS);
}

static Call *
call_start_with (gboolean trace_leaks)
{
  Call *call = g_new0 (Call, 1);
  g_autofree char *link = NULL;
  const char *const media[] = { "--size", "320x240", "--fps", G_STRINGIFY (FPS), NULL };

  call->server = lattice_test_server_start (NULL, &call->port);
  link = g_strdup_printf ("http://127.0.0.1:%u/hostile", call->port);
  if (trace_leaks)
    {
      g_setenv ("GST_TRACERS", "leaks", TRUE);
      g_setenv ("GST_DEBUG", "GST_TRACER:7", TRUE);
    }
  call->victim = lattice_test_peer_join ("victim", link, media);
  call->friend = lattice_test_peer_join ("friend", link, media);
  g_unsetenv ("GST_TRACERS");
  g_unsetenv ("GST_DEBUG");
  call->peers = g_ptr_array_new ();
  g_ptr_array_add (call->peers, call->victim);
  g_ptr_array_add (call->peers, call->friend);
  lattice_test_wait_media_flows (call->peers, call->peers, 0, MEDIA_TIMEOUT_S);
  call->victim_id = g_strdup (lattice_test_proc_get_id (call->victim));
  call->trace_leaks = trace_leaks;
  pass_by (call, link, media);
  return call;
}

static Call *
call_start (void)
{
  return call_start_with (FALSE);
}

/* Video frames the friend decoded from the victim. */
static gint64
victim_frames (Call *call)
{
  lattice_test_proc_wait_stats (call->friend, lattice_test_now_ms (), 1, 10);
  return lattice_test_proc_video_frames (call->friend, call->victim_id);
}

/* The victim stayed in the room and its video kept its rate over the
 * window that began at @since_ms with @frames_then. */
static void
assert_victim_fine (Call   *call,
                    gint64  since_ms,
                    gint64  frames_then)
{
  gint64 frames = victim_frames (call);
  double seconds = (lattice_test_now_ms () - since_ms) / 1000.0;
  double fps = (frames - frames_then) / seconds;

  g_test_message ("victim -> friend: %.1f fps over %.1f s", fps, seconds);
  g_assert_false (lattice_test_proc_exited (call->victim));
  g_assert_cmpfloat (fps, >=, 0.9 * FPS);
  g_assert_false (lattice_test_proc_has_event (call->friend, "participant-left", "id", call->victim_id));
  g_assert_null (strstr (lattice_test_proc_get_stderr (call->server), "rate limit"));
}

/* The objects the leaks tracer listed as alive at exit (not the lines
 * that describe its record's format). */
static guint
count_alive (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += strstr (lines[i], "object-alive, type-name=(string)") != NULL && strstr (lines[i], "%s") == NULL;
  return n;
}

/* Both peers leave; what the victim never freed is no more than what the
 * friend, which saw no attack, never freed. */
static void
call_stop_leaks (Call *call)
{
  guint leaked[2];
  LatticeTestProc *procs[2] = { call->victim, call->friend };

  for (guint i = 0; i < 2; i++)
    {
      const char *err;

      lattice_test_proc_signal (procs[i], SIGTERM);
      g_assert_cmpint (lattice_test_proc_wait_exit (procs[i], 20), ==, 0);
      g_assert_true (lattice_test_proc_has_event (procs[i], "left", NULL, NULL));
      err = lattice_test_proc_get_stderr (procs[i]);
      leaked[i] = count_alive (err);
      /* the tracer's own warning says it found something: the counts tell */
      g_assert_null (strstr (err, "-CRITICAL **"));
    }
  g_test_message ("objects alive at exit: victim %u, friend %u", leaked[0], leaked[1]);
  g_assert_cmpuint (leaked[0], <=, leaked[1]);
}

static void
call_stop (Call *call)
{
  g_clear_pointer (&call->attacker, lattice_test_ws_free);
  if (call->trace_leaks)
    call_stop_leaks (call);
  else
    {
      lattice_test_assert_clean_exit (call->friend);
      lattice_test_assert_clean_exit (call->victim);
    }
  lattice_test_proc_free (call->friend);
  lattice_test_proc_free (call->victim);
  lattice_test_proc_free (call->server);
  g_ptr_array_unref (call->peers);
  g_free (call->victim_id);
  g_free (call);
}

/* The attacker leaves; the victim lets go of it. */
static void
attacker_leave (Call *call)
{
  g_autofree char *id = NULL;

  lattice_test_ws_send (call->attacker, "{\"type\":\"leave\"}");
  lattice_test_ws_wait_closed (call->attacker);
  g_clear_pointer (&call->attacker, lattice_test_ws_free);
  lattice_test_run_for (SETTLE_MS);
}

/* Scenarios */

static void
test_crash (void)
{
  Call *call = call_start ();
  g_autofree char *huge = make_offer (133, FALSE, 58 * 1024);
  g_autofree char *five = make_offer (5, TRUE, 0);
  g_autofree char *unbundled = make_offer (2, FALSE, 0);
  gint64 since = lattice_test_now_ms (), frames;
  Usage before;

  lattice_test_run_for (SETTLE_MS);
  before = usage_of (call->victim);
  frames = victim_frames (call);
  since = lattice_test_now_ms ();
  attacker_join (call);
  send_offer (call, huge);
  send_offer (call, five);
  send_offer (call, unbundled);
  wait_rejects (call, 3);
  g_assert_cmpuint (attacker_got (call, "\"reject\"", "too-large"), ==, 1);
  g_assert_cmpuint (attacker_got (call, "\"reject\"", "unsupported-offer"), ==, 2);
  /* nothing was built for them */
  g_assert_cmpuint (attacker_got (call, "\"answer\"", NULL), ==, 0);
  lattice_test_run_for (SETTLE_MS);
  assert_victim_fine (call, since, frames);
  attacker_leave (call);
  assert_usage_back (call->victim, &before);
  call_stop (call);
}

/* Candidates of 60 KB (just under the server's message limit) for an
 * m-line that does not exist and for one that does, over the connection
 * the attacker's one well-formed offer set up: the victim keeps none of
 * the first, a bounded number of the rest, and its memory does not grow. */
#define N_CANDIDATES      450   /* 45 a second: within the server's rate */
#define CANDIDATE_SIZE    (60 * 1024)

static void
test_candidates (void)
{
  Call *call = call_start ();
  g_autofree char *offer = make_offer (2, TRUE, 0);
  g_autofree char *padding = g_strnfill (CANDIDATE_SIZE, 'x');
  gint64 since, frames;
  Usage before, during, after;

  lattice_test_run_for (SETTLE_MS);
  before = usage_of (call->victim);
  frames = victim_frames (call);
  since = lattice_test_now_ms ();
  attacker_join (call);
  send_offer (call, offer);
  lattice_test_run_for (SETTLE_MS);
  /* taken: the victim answered it */
  g_assert_cmpuint (attacker_got (call, "\"answer\"", NULL), ==, 1);
  during = usage_of (call->victim);
  for (guint i = 0; i < N_CANDIDATES; i++)
    {
      lattice_test_ws_sendf (call->attacker,
                             "{\"type\":\"candidate\",\"to\":\"%s\",\"sdpMLineIndex\":%u,"
                             "\"candidate\":\"candidate:%u 1 UDP 2122260223 10.%u.%u.%u %u typ host x-%s\"}",
                             call->victim_id, i % 2 ? 7 : 0, i, (i >> 16) & 255, (i >> 8) & 255, i & 255,
                             1024 + i, padding);
      lattice_test_run_for (1000 / 45);
    }
  lattice_test_run_for (SETTLE_MS);
  assert_victim_fine (call, since, frames);
  after = usage_of (call->victim);
  /* the flood (27 MB of candidates) left no trace in memory */
  g_test_message ("victim RSS with the attacker connected: %u kB, after its candidates: %u kB",
                  during.rss_kb, after.rss_kb);
  g_assert_cmpuint (after.rss_kb, <=, during.rss_kb * 11 / 10);
  g_assert_null (strstr (lattice_test_proc_get_stderr (call->server), "rate limit"));
  attacker_leave (call);
  assert_usage_back (call->victim, &before);
  call_stop (call);
}

/* 1000 offers at 50 a second (the server's limit), each well-formed: the
 * victim takes the first few, tells the attacker to slow down and ignores
 * it for a while, again and again; it is never dropped, and every
 * connection it set up and replaced is freed (GStreamer's leaks tracer:
 * nothing more alive at exit than in the friend, which saw no attack). */
#define STORM_OFFERS 1000
#define STORM_RATE   50

static void
test_storm (void)
{
  Call *call = call_start_with (TRUE);
  g_autofree char *offer = make_offer (2, TRUE, 0);
  gint64 since, frames, start;
  Usage before;

  lattice_test_run_for (SETTLE_MS);
  before = usage_of (call->victim);
  frames = victim_frames (call);
  since = lattice_test_now_ms ();
  attacker_join (call);
  start = lattice_test_now_ms ();
  for (guint i = 0; i < STORM_OFFERS; i++)
    {
      gint64 due = start + (gint64) i * 1000 / STORM_RATE;

      send_offer (call, offer);
      if (due > lattice_test_now_ms ())
        lattice_test_run_for ((guint) (due - lattice_test_now_ms ()));
    }
  lattice_test_run_for (SETTLE_MS);
  g_test_message ("the attacker got %u answers and %u rejects",
                  attacker_got (call, "\"answer\"", NULL), attacker_got (call, "\"reject\"", NULL));
  g_assert_cmpuint (attacker_got (call, "\"reject\"", "slow-down"), >=, 1);
  /* 20 s of offers: four taken, then ten seconds ignored, then four more */
  g_assert_cmpuint (attacker_got (call, "\"answer\"", NULL), <=, 2 * 4);
  g_assert_cmpuint (attacker_got (call, "\"reject\"", "slow-down"), <=, 2);
  assert_victim_fine (call, since, frames);
  attacker_leave (call);
  assert_usage_back (call->victim, &before);
  call_stop (call);
}

/* A participant whose process has almost no file descriptors left refuses
 * new connections with a reject ("resources") instead of aborting when
 * GLib cannot make a pipe: here a victim started with a limit of 90 open
 * files (it needs 17 alone, 12 more per connection, and keeps 80 free),
 * and a friend who joins after it. */
#define TIGHT_NOFILE 90

static void
test_no_room (void)
{
  g_autoptr(LatticeTestProc) server = NULL;
  g_autoptr(LatticeTestProc) victim = NULL;
  g_autoptr(LatticeTestProc) friend = NULL;
  g_autofree char *link = NULL;
  struct rlimit tight = { TIGHT_NOFILE, 1024 }, usual = { 1024, 1024 };
  const char *const media[] = { "--size", "320x240", "--fps", G_STRINGIFY (FPS), NULL };
  guint port;

  server = lattice_test_server_start (NULL, &port);
  link = g_strdup_printf ("http://127.0.0.1:%u/no-room", port);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &tight), ==, 0);
  victim = lattice_test_peer_join ("victim", link, media);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &usual), ==, 0);
  friend = lattice_test_peer_join ("friend", link, media);
  /* the friend's offer is refused, and its connection fails */
  lattice_test_proc_wait_event (friend, 0, "peer-state", "state", "failed", 30);
  lattice_test_run_for (SETTLE_MS);
  g_assert_false (lattice_test_proc_exited (victim));
  g_assert_nonnull (strstr (lattice_test_proc_get_stderr (victim), "no room for another connection"));
  g_assert_false (lattice_test_proc_has_event (victim, "first-frame", NULL, NULL));
  lattice_test_proc_signal (victim, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (victim, 20), ==, 0);
  g_assert_true (lattice_test_proc_has_event (victim, "left", NULL, NULL));
  lattice_test_assert_clean_exit (friend);
}

int
main (int argc, char **argv)
{
  struct rlimit desktop = { 1024, 1024 };

  g_test_init (&argc, &argv, NULL);
  /* every process of the test inherits the usual desktop limit */
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &desktop), ==, 0);
  g_test_add_func ("/hostile-peer/crash", test_crash);
  g_test_add_func ("/hostile-peer/candidates", test_candidates);
  g_test_add_func ("/hostile-peer/storm", test_storm);
  g_test_add_func ("/hostile-peer/no-room", test_no_room);
  return g_test_run ();
}
