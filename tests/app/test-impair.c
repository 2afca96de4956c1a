/* test-impair.c: calls over a lossy, slow or broken network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Four hosts on lattice-test-net.c's switch, which loses, delays and
 * blacks out frames in userspace (this kernel has no sch_netem) and caps
 * rates with tbf: lattice-server on host 0, three lattice-peers (A, B, C)
 * on hosts 1–3 sending the synthetic camera at 320x240@15 with stamped
 * frames. Each scenario impairs the network, lets the call settle, and
 * measures every directed pair from the receivers' stats lines: decoded
 * frame rate, the share of decoded frames whose stamp read back (intact),
 * bitrate, glass-to-glass latency, the size received.
 *
 *   loss             3 % random loss on every link, both ways
 *   delay            40 ± 10 ms and 1 % loss on every link, both ways
 *   downlink-cap     A's downlink capped below what two full layers need:
 *                    A gets a lower layer from one of them at least,
 *                    smoothly; B↔C keep the full one
 *   uplink-cap       A's uplink capped: A's sending settles under the cap
 *   blackout         A's link dead for 2 s: intact video again within 1 s,
 *                    no connection rebuilt, B↔C untouched
 *   starved          A stopped (SIGSTOP) for 3 s: nobody declares it failed
 *   server-away      the server killed, A's link broken long enough for its
 *                    connections to fail, then both back: A's connections
 *                    are rebuilt as soon as signaling returns, B↔C untouched
 *
 * Bounds are the issue's; timeouts are generous. With
 * LATTICE_IMPAIR_REPORT=FILE every measured pair is also appended to FILE
 * as a JSON line (bench/lattice-bench.py impair makes its table from
 * them), and LATTICE_IMPAIR_SECONDS sets how long each measurement lasts.
 * Needs root and iproute2 (exit status 77 without them).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lattice-test-net.h"
#include "lattice-test-proc.h"

#define N_PEERS      3
#define SERVER_HOST  0
#define SERVER_PORT  "8443"
#define FPS          15
#define MEASURE_S    20   /* LATTICE_IMPAIR_SECONDS */
#define SETTLE_MS    5000

static LatticeTestNet *net;
static const char *names[N_PEERS] = { "A", "B", "C" };

typedef struct {
  LatticeTestProc *server;
  LatticeTestProc *peers[N_PEERS];
  char            *link;
} Call;

/* What one receiver got from one sender over a window of its stats. */
typedef struct {
  double  fps;
  double  intact;    /* stamped / decoded, 0–1 */
  double  kbps;      /* video received */
  double  p50_ms, p95_ms;
  guint   frozen_s;  /* stats seconds with under a third of the frames */
  guint   width, height;
  gint64  frames;
  gint64  held_back;  /* frames the VP8 guard did not let through */
  gint64  nacks;      /* sent by the receiver */
  gint64  repaired;   /* packets retransmissions gave back */
  gint64  keyframe_requests;
  double  loss;       /* of the video on the way, % */
  guint   estimate_kbps;  /* the sender's estimate for this receiver, at the end */
  char    layer[16];      /* what the sender sent it, at the end */
} Pair;

static guint
measure_seconds (void)
{
  const char *env = g_getenv ("LATTICE_IMPAIR_SECONDS");

  return env != NULL ? (guint) CLAMP (g_ascii_strtoull (env, NULL, 10), 3, 600) : MEASURE_S;
}

static void
clean_links (void)
{
  LatticeTestLinkParams clean = { 0 };

  for (guint i = 0; i <= N_PEERS; i++)
    {
      lattice_test_net_set_uplink (net, i, &clean);
      lattice_test_net_set_downlink (net, i, &clean);
    }
}

static LatticeTestProc *
start_server (void)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *binary = lattice_test_binary ("lattice-server");
  LatticeTestProc *server;

  g_ptr_array_add (argv, (gpointer) "ip");
  g_ptr_array_add (argv, (gpointer) "netns");
  g_ptr_array_add (argv, (gpointer) "exec");
  g_ptr_array_add (argv, (gpointer) lattice_test_net_host_ns (net, SERVER_HOST));
  g_ptr_array_add (argv, binary);
  g_ptr_array_add (argv, (gpointer) "--host");
  g_ptr_array_add (argv, (gpointer) lattice_test_net_host_address (net, SERVER_HOST));
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) SERVER_PORT);
  g_ptr_array_add (argv, NULL);
  server = lattice_test_proc_start ("server", (const char *const *) argv->pdata);
  /* it listens once it printed its address; peers retry until then anyway */
  lattice_test_run_for (500);
  return server;
}

static Call *
call_start (void)
{
  Call *call = g_new0 (Call, 1);
  g_autoptr(GPtrArray) everyone = g_ptr_array_new ();

  clean_links ();
  call->server = start_server ();
  call->link = g_strdup_printf ("http://%s:%s/impaired", lattice_test_net_host_address (net, SERVER_HOST),
                                SERVER_PORT);
  for (guint i = 0; i < N_PEERS; i++)
    {
      call->peers[i] = lattice_test_peer_join_in (lattice_test_net_host_ns (net, i + 1), names[i], call->link,
                                                  (const char *const[]) { "--size", "320x240",
                                                                          "--fps", G_STRINGIFY (FPS),
                                                                          "--stamp-time", NULL });
      g_ptr_array_add (everyone, call->peers[i]);
    }
  lattice_test_wait_media_flows (everyone, everyone, 0, 60);
  lattice_test_run_for (2000);
  return call;
}

static void
call_stop (Call *call)
{
  for (guint i = 0; i < N_PEERS; i++)
    {
      lattice_test_assert_clean_exit (call->peers[i]);
      lattice_test_proc_free (call->peers[i]);
    }
  if (call->server != NULL)
    {
      lattice_test_proc_signal (call->server, SIGTERM);
      g_assert_cmpint (lattice_test_proc_wait_exit (call->server, 20), ==, 0);
      lattice_test_proc_free (call->server);
    }
  g_free (call->link);
  g_free (call);
  clean_links ();
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
percentile (GArray *sorted, double p)
{
  if (sorted->len == 0)
    return 0;
  return g_array_index (sorted, double, MIN (sorted->len - 1, (guint) (p * sorted->len)));
}

/* The member @member of @peer's @kind object, or 0. */
static gint64
stats_int (JsonObject *peer, const char *kind, const char *member)
{
  JsonObject *object = peer != NULL ? json_object_get_object_member (peer, kind) : NULL;

  return object != NULL ? json_object_get_int_member_with_default (object, member, 0) : 0;
}

/* @rx's view of what @tx sent it, from the stats lines in [@from_ms, @to_ms]. */
static void
measure_pair (LatticeTestProc *rx, LatticeTestProc *tx, gint64 from_ms, gint64 to_ms, Pair *pair)
{
  GPtrArray *events = lattice_test_proc_get_events (rx);
  const char *id = lattice_test_proc_get_id (tx);
  g_autoptr(GArray) latency = g_array_new (FALSE, FALSE, sizeof (double));
  JsonObject *first = NULL, *last = NULL;
  gint64 first_t = 0, last_t = 0, previous_frames = -1;

  memset (pair, 0, sizeof *pair);
  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *e = g_ptr_array_index (events, i);
      gint64 t = lattice_test_event_time (e);
      JsonObject *peer;
      JsonArray *samples;

      if (t < from_ms || t > to_ms ||
          g_strcmp0 (json_object_get_string_member_with_default (e, "event", NULL), "stats") != 0 ||
          (peer = lattice_test_stats_peer (e, id)) == NULL)
        continue;
      if (first == NULL)
        {
          first = peer;
          first_t = t;
        }
      else
        {
          samples = json_object_get_array_member (peer, "latency");
          for (guint k = 0; samples != NULL && k < json_array_get_length (samples); k++)
            {
              double ms = json_array_get_double_element (samples, k);

              g_array_append_val (latency, ms);
            }
          if (previous_frames >= 0 && stats_int (peer, "video", "frames") - previous_frames < FPS / 3)
            pair->frozen_s++;
        }
      previous_frames = stats_int (peer, "video", "frames");
      last = peer;
      last_t = t;
    }
  g_assert_nonnull (first);
  g_assert_true (last != first);
  pair->frames = stats_int (last, "video", "frames") - stats_int (first, "video", "frames");
  pair->fps = pair->frames * 1000.0 / (last_t - first_t);
  pair->intact = pair->frames > 0 ? (double) (stats_int (last, "video", "stamped") -
                                              stats_int (first, "video", "stamped")) / pair->frames
                                  : 0;
  pair->kbps = (stats_int (last, "video", "bytes") - stats_int (first, "video", "bytes")) * 8.0 /
               (last_t - first_t);
  pair->held_back = stats_int (last, "video", "heldBack") - stats_int (first, "video", "heldBack");
  pair->nacks = stats_int (last, "rtcp", "nacksSent") - stats_int (first, "rtcp", "nacksSent");
  pair->repaired = stats_int (last, "rtcp", "repaired") - stats_int (first, "rtcp", "repaired");
  pair->keyframe_requests = stats_int (last, "rtcp", "keyframeRequestsSent") -
                            stats_int (first, "rtcp", "keyframeRequestsSent");
  pair->width = stats_int (last, "video", "width");
  pair->height = stats_int (last, "video", "height");
  g_array_sort (latency, compare_doubles);
  pair->p50_ms = percentile (latency, 0.5);
  pair->p95_ms = percentile (latency, 0.95);
}

/* What @tx's last stats line says it sends @rx. */
static void
read_sender_side (LatticeTestProc *tx, LatticeTestProc *rx, Pair *pair)
{
  JsonObject *stats = lattice_test_proc_last_event (tx, "stats");
  JsonObject *peer = stats != NULL ? lattice_test_stats_peer (stats, lattice_test_proc_get_id (rx)) : NULL;
  JsonObject *send = peer != NULL ? json_object_get_object_member (peer, "send") : NULL;
  JsonObject *rtcp = peer != NULL ? json_object_get_object_member (peer, "rtcp") : NULL;

  if (send != NULL)
    {
      pair->estimate_kbps = json_object_get_int_member_with_default (send, "estimate", 0) / 1000;
      g_strlcpy (pair->layer, json_object_get_string_member_with_default (send, "layer", "?"),
                 sizeof pair->layer);
    }
  if (rtcp != NULL)
    pair->loss = json_object_get_double_member_with_default (rtcp, "lossSent", 0);
}

/* Prints (and with LATTICE_IMPAIR_REPORT, records) one pair. */
static void
report_pair (const char *scenario, guint rx, guint tx, const Pair *pair)
{
  const char *path = g_getenv ("LATTICE_IMPAIR_REPORT");
  g_autofree char *line = NULL;

  line = g_strdup_printf ("{\"scenario\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"fps\":%.2f,\"frozen\":%u,"
                          "\"intact\":%.4f,\"kbps\":%.1f,\"p50\":%.1f,\"p95\":%.1f,\"width\":%u,\"height\":%u,"
                          "\"layer\":\"%s\",\"estimate\":%u,\"loss\":%.1f,\"heldBack\":%" G_GINT64_FORMAT ","
                          "\"nacks\":%" G_GINT64_FORMAT ",\"repaired\":%" G_GINT64_FORMAT ","
                          "\"keyframeRequests\":%" G_GINT64_FORMAT "}",
                          scenario, names[tx], names[rx], pair->fps, pair->frozen_s, pair->intact * 100,
                          pair->kbps, pair->p50_ms, pair->p95_ms, pair->width, pair->height,
                          pair->layer, pair->estimate_kbps, pair->loss, pair->held_back, pair->nacks,
                          pair->repaired, pair->keyframe_requests);
  g_test_message ("%s %s->%s: %.1f fps, %u frozen s, %.1f %% intact, %.0f kbit/s, "
                  "glass-to-glass p50 %.0f p95 %.0f ms, %ux%u (%s, estimate %u kbit/s, loss %.1f %%), "
                  "%" G_GINT64_FORMAT " held back, %" G_GINT64_FORMAT " NACKs, %" G_GINT64_FORMAT
                  " repaired, %" G_GINT64_FORMAT " keyframe requests",
                  scenario, names[tx], names[rx], pair->fps, pair->frozen_s, pair->intact * 100,
                  pair->kbps, pair->p50_ms, pair->p95_ms, pair->width, pair->height, pair->layer,
                  pair->estimate_kbps, pair->loss, pair->held_back, pair->nacks, pair->repaired,
                  pair->keyframe_requests);
  if (path != NULL)
    {
      FILE *file = fopen (path, "a");

      if (file != NULL)
        {
          fprintf (file, "%s\n", line);
          fclose (file);
        }
    }
}

/* Measures every directed pair over the next measure_seconds(). */
static void
measure_all (Call *call, const char *scenario, Pair pairs[N_PEERS][N_PEERS])
{
  gint64 from = lattice_test_now_ms ();
  gint64 to;

  lattice_test_run_for (measure_seconds () * 1000);
  to = lattice_test_now_ms ();
  for (guint rx = 0; rx < N_PEERS; rx++)
    lattice_test_proc_wait_stats (call->peers[rx], to, 1, 10);
  for (guint rx = 0; rx < N_PEERS; rx++)
    for (guint tx = 0; tx < N_PEERS; tx++)
      if (rx != tx)
        {
          measure_pair (call->peers[rx], call->peers[tx], from, to + 1500, &pairs[rx][tx]);
          read_sender_side (call->peers[tx], call->peers[rx], &pairs[rx][tx]);
          report_pair (scenario, rx, tx, &pairs[rx][tx]);
        }
}

/* Peer-state events @proc printed about @other since @since_ms. */
static guint
count_state_changes (LatticeTestProc *proc, LatticeTestProc *other, gint64 since_ms)
{
  GPtrArray *events = lattice_test_proc_get_events (proc);
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *e = g_ptr_array_index (events, i);

      if (lattice_test_event_time (e) >= since_ms &&
          g_strcmp0 (json_object_get_string_member_with_default (e, "event", NULL), "peer-state") == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (e, "id", NULL),
                     lattice_test_proc_get_id (other)) == 0)
        n++;
    }
  return n;
}

static void
set_both_ways (guint host, const LatticeTestLinkParams *params)
{
  lattice_test_net_set_uplink (net, host, params);
  lattice_test_net_set_downlink (net, host, params);
}

/* The last connection quality @proc printed for @other. */
static const char *
last_quality (LatticeTestProc *proc, LatticeTestProc *other)
{
  GPtrArray *events = lattice_test_proc_get_events (proc);

  for (guint i = events->len; i > 0; i--)
    {
      JsonObject *e = g_ptr_array_index (events, i - 1);

      if (g_strcmp0 (json_object_get_string_member_with_default (e, "event", NULL), "quality") == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (e, "id", NULL),
                     lattice_test_proc_get_id (other)) == 0)
        return json_object_get_string_member (e, "quality");
    }
  return NULL;
}

/* Scenarios. */

static void
test_loss (void)
{
  Call *call = call_start ();
  LatticeTestLinkParams lossy = { .loss_percent = 3 };
  Pair pairs[N_PEERS][N_PEERS];

  for (guint i = 0; i < N_PEERS; i++)
    set_both_ways (i + 1, &lossy);
  lattice_test_run_for (SETTLE_MS);
  measure_all (call, "loss", pairs);
  for (guint rx = 0; rx < N_PEERS; rx++)
    for (guint tx = 0; tx < N_PEERS; tx++)
      if (rx != tx)
        {
          g_assert_cmpfloat (pairs[rx][tx].intact, >=, 0.97);
          g_assert_cmpfloat (pairs[rx][tx].fps, >=, 0.9 * FPS);
        }
  call_stop (call);
}

/* A long, jittery path with some loss: 40 ± 10 ms on every link each way
 * (so 80 ms one way between two participants, 160 ms round trip) and 1 %
 * loss. Retransmissions still arrive in time: the video jitterbuffer
 * waits as long as they take here. */
static void
test_delay (void)
{
  Call *call = call_start ();
  LatticeTestLinkParams far = { .loss_percent = 1, .delay_ms = 40, .jitter_ms = 10 };
  Pair pairs[N_PEERS][N_PEERS];

  for (guint i = 0; i < N_PEERS; i++)
    set_both_ways (i + 1, &far);
  lattice_test_run_for (SETTLE_MS);
  measure_all (call, "delay", pairs);
  /* Every frame shown is intact; a reference frame whose retransmission
   * also got lost costs a keyframe's round trip here, 160 ms and more, so
   * the frame rate may dip further than on a short path. */
  for (guint rx = 0; rx < N_PEERS; rx++)
    for (guint tx = 0; tx < N_PEERS; tx++)
      if (rx != tx)
        {
          g_assert_cmpfloat (pairs[rx][tx].intact, >=, 0.97);
          g_assert_cmpfloat (pairs[rx][tx].fps, >=, 0.75 * FPS);
        }
  call_stop (call);
}

/* A full layer and its audio need about 150 + 55 kbit/s on the wire at
 * 320x240@15, the low layer about 60 + 55: 400 takes one full and one low
 * layer, not two full ones. (Below what one full layer and one low need,
 * every sender's attempt to climb to the full layer is doomed, and its
 * keyframe queues the other sender's video too.) */
#define DOWNLINK_CAP_KBPS 400

static void
test_downlink_cap (void)
{
  Call *call = call_start ();
  LatticeTestLinkParams capped = { .rate_kbps = DOWNLINK_CAP_KBPS };
  Pair before[N_PEERS][N_PEERS], after[N_PEERS][N_PEERS];
  const guint a = 0, b = 1, c = 2;

  measure_all (call, "uncapped", before);
  /* an unimpaired link rates good */
  g_assert_cmpstr (last_quality (call->peers[b], call->peers[c]), ==, "good");
  lattice_test_net_set_downlink (net, a + 1, &capped);
  lattice_test_run_for (2 * SETTLE_MS);
  measure_all (call, "downlink-cap", after);
  for (guint tx = 1; tx < N_PEERS; tx++)
    {
      /* A's video stays smooth */
      g_assert_cmpfloat (after[a][tx].fps, >=, 10);
      g_assert_cmpfloat (after[a][tx].intact, >=, 0.95);
      g_assert_cmpfloat (after[a][tx].p95_ms, <, 250);
    }
  /* … on a lower layer from one sender at least: two full ones do not fit */
  g_assert_true (after[a][b].width < 320 || after[a][c].width < 320);
  g_assert_cmpfloat (after[a][b].kbps + after[a][c].kbps, <, DOWNLINK_CAP_KBPS);
  /* whoever sends A less than the full layer sees it in A's quality */
  g_test_message ("quality: B rates A %s, C rates A %s, B rates C %s",
                  last_quality (call->peers[b], call->peers[a]), last_quality (call->peers[c], call->peers[a]),
                  last_quality (call->peers[b], call->peers[c]));
  g_assert_true (g_strcmp0 (last_quality (call->peers[b], call->peers[a]), "good") != 0 ||
                 g_strcmp0 (last_quality (call->peers[c], call->peers[a]), "good") != 0);
  g_assert_cmpstr (last_quality (call->peers[b], call->peers[c]), ==, "good");
  /* B↔C keep the full layer: frame rate and bitrate as uncapped */
  g_assert_cmpuint (after[b][c].width, ==, 320);
  g_assert_cmpuint (after[c][b].width, ==, 320);
  g_assert_cmpfloat (ABS (after[b][c].fps - before[b][c].fps), <=, 0.1 * before[b][c].fps);
  g_assert_cmpfloat (ABS (after[c][b].fps - before[c][b].fps), <=, 0.1 * before[c][b].fps);
  g_assert_cmpfloat (ABS (after[b][c].kbps - before[b][c].kbps), <=, 0.1 * before[b][c].kbps);
  g_assert_cmpfloat (ABS (after[c][b].kbps - before[c][b].kbps), <=, 0.1 * before[c][b].kbps);
  call_stop (call);
}

#define UPLINK_CAP_KBPS 300

/* What B and C receive from A, video and audio, in kbit/s, per stats second. */
static double
received_from (LatticeTestProc *rx, LatticeTestProc *tx, gint64 from_ms, gint64 to_ms)
{
  GPtrArray *events = lattice_test_proc_get_events (rx);
  gint64 first_bytes = -1, last_bytes = 0, first_t = 0, last_t = 0;

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *e = g_ptr_array_index (events, i);
      gint64 t = lattice_test_event_time (e);
      JsonObject *peer;
      gint64 bytes;

      if (t < from_ms || t > to_ms ||
          g_strcmp0 (json_object_get_string_member_with_default (e, "event", NULL), "stats") != 0 ||
          (peer = lattice_test_stats_peer (e, lattice_test_proc_get_id (tx))) == NULL)
        continue;
      bytes = stats_int (peer, "video", "bytes") + stats_int (peer, "audio", "bytes");
      if (first_bytes < 0)
        {
          first_bytes = bytes;
          first_t = t;
        }
      last_bytes = bytes;
      last_t = t;
    }
  g_assert_cmpint (last_t, >, first_t);
  return (last_bytes - first_bytes) * 8.0 / (last_t - first_t);
}

static void
test_uplink_cap (void)
{
  Call *call = call_start ();
  LatticeTestLinkParams capped = { .rate_kbps = UPLINK_CAP_KBPS };
  Pair pairs[N_PEERS][N_PEERS];
  gint64 capped_at, settled_at;
  double sending;

  lattice_test_net_set_uplink (net, 1, &capped);
  capped_at = lattice_test_now_ms ();
  lattice_test_run_for (SETTLE_MS);
  settled_at = lattice_test_now_ms ();
  measure_all (call, "uplink-cap", pairs);
  /* payload received from A: under the cap (headers ride on top) */
  sending = received_from (call->peers[1], call->peers[0], settled_at, lattice_test_now_ms ()) +
            received_from (call->peers[2], call->peers[0], settled_at, lattice_test_now_ms ());
  g_test_message ("A sends %.0f kbit/s of payload from 5 s after its uplink was capped at %u "
                  "(%.0f before that)", sending, UPLINK_CAP_KBPS,
                  received_from (call->peers[1], call->peers[0], capped_at, settled_at) +
                  received_from (call->peers[2], call->peers[0], capped_at, settled_at));
  g_assert_cmpfloat (sending, <, UPLINK_CAP_KBPS);
  for (guint rx = 1; rx < N_PEERS; rx++)
    {
      g_assert_cmpfloat (pairs[rx][0].p95_ms, <, 250);
      g_assert_cmpfloat (pairs[rx][0].intact, >=, 0.95);
    }
  call_stop (call);
}

/* The first video-resumed event @rx printed about @tx since @since_ms, or NULL. */
static JsonObject *
find_resumed (LatticeTestProc *rx, LatticeTestProc *tx, gint64 since_ms)
{
  return lattice_test_proc_find_event (rx, since_ms, "video-resumed", "from", lattice_test_proc_get_id (tx));
}

static void
test_blackout (void)
{
  Call *call = call_start ();
  LatticeTestLinkParams dead = { .blackout = TRUE };
  LatticeTestLinkParams clean = { 0 };
  Pair before[N_PEERS][N_PEERS], after[N_PEERS][N_PEERS];
  gint64 broken_at, back_at;

  measure_all (call, "before-blackout", before);
  broken_at = lattice_test_now_ms ();
  set_both_ways (1, &dead);
  lattice_test_run_for (2000);
  set_both_ways (1, &clean);
  back_at = lattice_test_now_ms ();
  lattice_test_run_for (3000);
  for (guint other = 1; other < N_PEERS; other++)
    {
      LatticeTestProc *pairs[2][2] = { { call->peers[other], call->peers[0] },
                                       { call->peers[0], call->peers[other] } };

      for (guint k = 0; k < 2; k++)
        {
          JsonObject *resumed;
          gint64 at;

          resumed = find_resumed (pairs[k][0], pairs[k][1], broken_at);
          g_assert_nonnull (resumed);
          at = lattice_test_event_time (resumed);
          g_test_message ("blackout: %s->%s video back %" G_GINT64_FORMAT " ms after the link",
                          lattice_test_proc_get_name (pairs[k][1]), lattice_test_proc_get_name (pairs[k][0]),
                          at - back_at);
          g_assert_cmpint (at - back_at, <=, 1000);
        }
      /* no connection rebuilt */
      g_assert_cmpuint (count_state_changes (call->peers[0], call->peers[other], broken_at), ==, 0);
      g_assert_cmpuint (count_state_changes (call->peers[other], call->peers[0], broken_at), ==, 0);
    }
  /* B↔C untouched */
  g_assert_cmpuint (count_state_changes (call->peers[1], call->peers[2], broken_at), ==, 0);
  g_assert_cmpuint (count_state_changes (call->peers[2], call->peers[1], broken_at), ==, 0);
  g_assert_null (find_resumed (call->peers[1], call->peers[2], broken_at));
  g_assert_null (find_resumed (call->peers[2], call->peers[1], broken_at));
  measure_all (call, "after-blackout", after);
  for (guint rx = 0; rx < N_PEERS; rx++)
    for (guint tx = 0; tx < N_PEERS; tx++)
      if (rx != tx)
        g_assert_cmpfloat (after[rx][tx].intact, >=, 0.97);
  call_stop (call);
}

static void
test_starved (void)
{
  Call *call = call_start ();
  gint64 stopped_at;
  g_autoptr(GPtrArray) everyone = g_ptr_array_new ();

  stopped_at = lattice_test_now_ms ();
  lattice_test_proc_signal (call->peers[0], SIGSTOP);
  lattice_test_run_for (3000);
  lattice_test_proc_signal (call->peers[0], SIGCONT);
  lattice_test_run_for (3000);
  for (guint i = 0; i < N_PEERS; i++)
    for (guint j = 0; j < N_PEERS; j++)
      if (i != j)
        g_assert_cmpuint (count_state_changes (call->peers[i], call->peers[j], stopped_at), ==, 0);
  for (guint i = 0; i < N_PEERS; i++)
    g_ptr_array_add (everyone, call->peers[i]);
  lattice_test_proc_wait_stats (call->peers[0], lattice_test_now_ms (), 2, 10);
  for (guint i = 1; i < N_PEERS; i++)
    {
      g_assert_cmpuint (lattice_test_assert_frames_rise (call->peers[i], call->peers[0], stopped_at + 4000,
                                                         lattice_test_now_ms ()), >=, 1);
      g_assert_cmpuint (lattice_test_assert_frames_rise (call->peers[0], call->peers[i], stopped_at + 4000,
                                                         lattice_test_now_ms ()), >=, 1);
    }
  call_stop (call);
}

static void
test_server_away (void)
{
  Call *call = call_start ();
  LatticeTestLinkParams dead = { .blackout = TRUE };
  LatticeTestLinkParams clean = { 0 };
  gint64 broken_at, server_back_at, flowing_at;
  g_autoptr(GPtrArray) a = g_ptr_array_new ();
  g_autoptr(GPtrArray) others = g_ptr_array_new ();

  lattice_test_proc_signal (call->server, SIGKILL);
  lattice_test_proc_wait_exit (call->server, 10);
  g_clear_pointer (&call->server, lattice_test_proc_free);
  broken_at = lattice_test_now_ms ();
  set_both_ways (1, &dead);
  /* A's connections fail (5 s of silence) while nobody can signal */
  for (guint other = 1; other < N_PEERS; other++)
    lattice_test_proc_wait_event (call->peers[other], broken_at, "peer-state", "id",
                                  lattice_test_proc_get_id (call->peers[0]), 20);
  lattice_test_run_for (3000);
  set_both_ways (1, &clean);
  call->server = start_server ();
  server_back_at = lattice_test_now_ms ();
  g_ptr_array_add (a, call->peers[0]);
  g_ptr_array_add (others, call->peers[1]);
  g_ptr_array_add (others, call->peers[2]);
  lattice_test_wait_media_flows (a, others, server_back_at, 30);
  lattice_test_wait_media_flows (others, a, server_back_at, 30);
  flowing_at = lattice_test_now_ms ();
  g_test_message ("server back -> A's media flows again both ways after %" G_GINT64_FORMAT " ms",
                  flowing_at - server_back_at);
  /* as soon as signaling returns, not after a connect timeout */
  g_assert_cmpint (flowing_at - server_back_at, <, 10000);
  g_assert_cmpuint (count_state_changes (call->peers[1], call->peers[2], broken_at), ==, 0);
  g_assert_cmpuint (count_state_changes (call->peers[2], call->peers[1], broken_at), ==, 0);
  call_stop (call);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *why = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  net = lattice_test_net_new (N_PEERS + 1, &why);
  if (net == NULL)
    {
      g_print ("SKIP: %s\n", why);
      return 77;
    }
  g_test_add_func ("/impair/loss", test_loss);
  g_test_add_func ("/impair/delay", test_delay);
  g_test_add_func ("/impair/downlink-cap", test_downlink_cap);
  g_test_add_func ("/impair/uplink-cap", test_uplink_cap);
  g_test_add_func ("/impair/blackout", test_blackout);
  g_test_add_func ("/impair/starved", test_starved);
  g_test_add_func ("/impair/server-away", test_server_away);
  status = g_test_run ();
  lattice_test_net_free (net);
  return status;
}
