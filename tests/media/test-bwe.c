/* test-bwe.c: the bandwidth estimator against a simulated bottleneck
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A deterministic discrete-event simulation, no real time and no
 * GStreamer: senders (video frames cut in packets of at most 1200 bytes,
 * sent in a burst as webrtcbin does, and 50 audio packets a second, all on
 * one transport-wide sequence), a bottleneck (capacity, drop-tail FIFO
 * measured in ms, propagation delay, optional random loss and jitter), and
 * a receiver that sends transport-wide feedback every 50 ms and a receiver
 * report every second. Each sender has its own LatticeBwe and sends at
 * min(target, what its application has). Sequence numbers start at 65000,
 * so every scenario wraps them; the two clocks start far apart.
 *
 * Every scenario prints its trajectory, a line a second. BWE_TRACE=1
 * prints ten lines a second with the trend and the threshold on stderr;
 * BWE_SEED=n runs the scenarios with other random numbers.
 */
#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <math.h>

#include "lattice-bwe.h"

#define MS                 ((gint64) 1000)
#define SEC                ((gint64) 1000000)
#define MAX_PACKET         1200
#define AUDIO_SIZE         100
#define AUDIO_INTERVAL     (20 * MS)
#define AUDIO_BPS          (AUDIO_SIZE * 8 * SEC / AUDIO_INTERVAL)
#define FEEDBACK_INTERVAL  (50 * MS)
#define RR_INTERVAL        SEC
#define TICK_INTERVAL      (100 * MS)
#define SAMPLE_INTERVAL    (100 * MS)
#define BUCKET             (10 * MS)   /* resolution of the sent-rate record */
#define MAX_FLOWS          2
/* The clocks of the sender and of the receiver start anywhere. */
#define SENDER_CLOCK       (G_GINT64_CONSTANT (5000) * SEC)
#define RECEIVER_CLOCK     (G_GINT64_CONSTANT (987654321) * MS)
#define FIRST_SEQ          65000       /* the 16-bit sequence wraps within seconds */
#define UNLIMITED          G_MAXUINT
/* How far what a sender sends in one second can be off its target: the
 * encoder is at most 0.3 frame ahead or behind (see send_frame) at either
 * end of the second, 0.6 frame, 4 % at 15 frames a second. */
#define ENCODER_SLACK      0.04

typedef enum {
  KIND_AUDIO,
  KIND_VIDEO,
  KIND_RTX,
} Kind;

typedef struct {
  gint64 send_us;     /* true time */
  gint64 arrival_us;  /* true time at the receiver, -1 if lost on the way */
  gint64 queue_us;    /* queueing delay it met at the bottleneck */
  guint  size;
  Kind   kind;
  gboolean retransmitted;
} Packet;

typedef struct {
  guint start_bps;
  guint min_bps;
  guint max_bps;
  guint app_bps;     /* the most the application has to send; UNLIMITED */
  guint wanted_bps;  /* lattice_bwe_set_wanted(): the sender's next step; 0 */
  gint64 start_us;   /* when this sender starts */
  gboolean rtx;      /* retransmits lost video packets, on new sequence numbers */
} FlowConfig;

typedef struct {
  gint64 deliver_us;
  guint flow;
  gboolean is_rr;
  double fraction_lost;
  gint64 rtt_us;
  GArray *packets;  /* LatticeBwePacket */
} Message;

typedef struct {
  double target;
  double acked;
  double sent;       /* over the last 500 ms */
  gint64 queue_us;   /* the bottleneck's backlog */
  double loss;
  LatticeBweState state;
  gboolean outage;
  double trend;
  double threshold;
} Sample;

typedef struct {
  FlowConfig config;
  LatticeBwe *bwe;
  GArray *packets;     /* Packet, index = transport sequence - FIRST_SEQ */
  gint64 next_frame_us;
  gint64 next_audio_us;
  double frame_debt;   /* bytes the encoder still owes to its average */
  /* receiver */
  guint next_report;   /* first packet not yet reported */
  GArray *late;        /* guint: reported lost, may still arrive */
  gint64 next_feedback_us;
  gint64 next_rr_us;
  guint rr_next;       /* first packet the next receiver report counts */
  gint64 next_tick_us;
  /* record */
  GArray *sent_buckets;  /* guint64 bytes per BUCKET */
  GArray *samples;       /* Sample per SAMPLE_INTERVAL */
  guint min_target;
  guint max_target;
} Flow;

typedef struct {
  const char *name;
  double capacity_bps;
  gint64 queue_limit_us;
  gint64 prop_us;            /* one way, each way */
  double loss;               /* random, independent of the load */
  gint64 jitter_us;          /* uniform extra delay per packet: reorders */
  gint64 change_us;          /* capacity becomes capacity2_bps then; 0: never */
  double capacity2_bps;
  gint64 blackout_start_us;  /* everything lost, both ways; 0: none */
  gint64 blackout_end_us;
  gboolean blackout_reports; /* the receiver keeps reporting (every packet lost) */
  double feedback_loss;      /* of feedback messages */
  double feedback_dup;
  gint64 feedback_jitter_us; /* reorders feedback */
  gint64 duration_us;
  guint n_flows;
  FlowConfig flows[MAX_FLOWS];
  gboolean print;            /* the trajectory, one line a second */
} Scenario;

typedef struct {
  const Scenario *scenario;
  GRand *rand;
  double capacity_bps;
  gboolean changed;       /* to capacity2_bps */
  gint64 busy_until_us;   /* the bottleneck sends until then */
  Flow flows[MAX_FLOWS];
  GQueue messages;  /* Message, by delivery time */
  gint64 next_sample_us;
  GArray *queue_samples;  /* gint64 backlog per SAMPLE_INTERVAL */
} Sim;

static gboolean
in_blackout (const Scenario *scenario,
             gint64          t)
{
  return scenario->blackout_start_us > 0 &&
         t >= scenario->blackout_start_us && t < scenario->blackout_end_us;
}

/* ------------------------------------------------------------------ */
/* Sender and bottleneck                                               */

static void
record_sent (Flow   *flow,
             gint64  t,
             guint   size)
{
  guint bucket = t / BUCKET;

  if (bucket >= flow->sent_buckets->len)
    g_array_set_size (flow->sent_buckets, bucket + 1);
  g_array_index (flow->sent_buckets, guint64, bucket) += size;
}

static double
sent_bps (const Flow *flow,
          gint64      from,
          gint64      to)
{
  guint64 bytes = 0;

  for (gint64 b = from / BUCKET; b < to / BUCKET && b < flow->sent_buckets->len; b++)
    bytes += g_array_index (flow->sent_buckets, guint64, b);
  return (double) bytes * 8 * SEC / (to - from);
}

static void
send_packet (Sim    *sim,
             Flow   *flow,
             gint64  t,
             guint   size,
             Kind    kind)
{
  const Scenario *scenario = sim->scenario;
  Packet packet = { t, -1, 0, size, kind, FALSE };
  gint64 backlog = MAX (0, sim->busy_until_us - t);

  record_sent (flow, t, size);
  packet.queue_us = backlog;
  if (in_blackout (scenario, t) || backlog > scenario->queue_limit_us)
    {
      /* lost */
    }
  else
    {
      gint64 start = MAX (t, sim->busy_until_us);

      sim->busy_until_us = start + (gint64) ceil (size * 8.0 * SEC / sim->capacity_bps);
      /* random loss after the queue: the radio, not the router */
      if (scenario->loss <= 0 || g_rand_double (sim->rand) >= scenario->loss)
        {
          packet.arrival_us = sim->busy_until_us + scenario->prop_us;
          if (scenario->jitter_us > 0)
            packet.arrival_us += g_rand_int_range (sim->rand, 0, scenario->jitter_us);
        }
    }
  g_array_append_val (flow->packets, packet);
}

static double
app_rate (const Flow *flow)
{
  double target = lattice_bwe_get_target (flow->bwe);

  return MIN (target, (double) flow->config.app_bps);
}

static void
send_frame (Sim    *sim,
            Flow   *flow,
            gint64  t)
{
  double video = MAX (0, app_rate (flow) - AUDIO_BPS);
  guint fps = video >= 300000 ? 30 : 15;
  double average = video / 8 / fps;
  /* frames vary ±30 % around what the encoder is asked for, and it makes
   * up for the difference on the next frame, as a constant-bitrate encoder
   * keeps its average */
  double bytes = average * g_rand_double_range (sim->rand, 0.7, 1.3) + flow->frame_debt;
  guint n, total;

  total = (guint) MAX (bytes, 1);
  flow->frame_debt = CLAMP (flow->frame_debt + average - total, -average, average);
  n = (total + MAX_PACKET - 1) / MAX_PACKET;
  for (guint i = 0; i < n; i++)
    {
      guint size = total / n + (i < total % n ? 1 : 0);

      /* back to back, as fast as the sender's own link sends them */
      send_packet (sim, flow, t + i * 10, size, KIND_VIDEO);
    }
  flow->next_frame_us = t + SEC / fps;
}

/* ------------------------------------------------------------------ */
/* Receiver                                                            */

static void
post (Sim     *sim,
      Message *message)
{
  GList *l;

  for (l = sim->messages.tail; l != NULL; l = l->prev)
    if (((Message *) l->data)->deliver_us <= message->deliver_us)
      break;
  if (l == NULL)
    g_queue_push_head (&sim->messages, message);
  else
    g_queue_insert_after (&sim->messages, l, message);
}

static void
add_report_packet (GArray       *report,
                   const Packet *packet,
                   guint         index,
                   gint64        now)
{
  LatticeBwePacket p;

  p.seq = (guint16) (FIRST_SEQ + index);
  /* the sender fills in its send time and size from its own history */
  p.send_us = packet->send_us + SENDER_CLOCK;
  p.arrival_us = packet->arrival_us >= 0 && packet->arrival_us <= now
    ? packet->arrival_us + RECEIVER_CLOCK : LATTICE_BWE_LOST;
  p.size = packet->size;
  g_array_append_val (report, p);
}

/* A report of every packet from the last one reported up to the newest
 * received, as rtpsession's transport-wide feedback does, with the packets
 * reported lost before that arrived since. */
static void
send_feedback (Sim    *sim,
               guint   f,
               gint64  now)
{
  const Scenario *scenario = sim->scenario;
  Flow *flow = &sim->flows[f];
  GArray *report = g_array_new (FALSE, FALSE, sizeof (LatticeBwePacket));
  guint newest = G_MAXUINT;
  Message *message;

  for (guint i = flow->next_report; i < flow->packets->len; i++)
    {
      const Packet *packet = &g_array_index (flow->packets, Packet, i);

      if (packet->send_us > now)
        break;
      if (packet->arrival_us >= 0 && packet->arrival_us <= now)
        newest = i;
      else if (scenario->blackout_reports && in_blackout (scenario, now) &&
               packet->send_us < now - scenario->prop_us)
        newest = i;  /* a receiver that reports what it never saw */
    }
  for (guint j = 0; j < flow->late->len; j++)
    {
      guint i = g_array_index (flow->late, guint, j);
      const Packet *packet = &g_array_index (flow->packets, Packet, i);

      if (packet->arrival_us <= now)
        {
          add_report_packet (report, packet, i, now);
          g_array_remove_index_fast (flow->late, j--);
        }
    }
  if (newest != G_MAXUINT)
    {
      for (guint i = flow->next_report; i <= newest; i++)
        {
          const Packet *packet = &g_array_index (flow->packets, Packet, i);

          add_report_packet (report, packet, i, now);
          if (packet->arrival_us > now)
            g_array_append_val (flow->late, i);
        }
      flow->next_report = newest + 1;
    }
  if (report->len == 0 ||
      (in_blackout (scenario, now) && !scenario->blackout_reports) ||
      (scenario->feedback_loss > 0 && g_rand_double (sim->rand) < scenario->feedback_loss))
    {
      g_array_unref (report);
      return;
    }
  message = g_new0 (Message, 1);
  message->flow = f;
  message->deliver_us = now + scenario->prop_us;
  if (scenario->feedback_jitter_us > 0)
    message->deliver_us += g_rand_int_range (sim->rand, 0, scenario->feedback_jitter_us);
  message->packets = report;
  if (scenario->feedback_dup > 0 && g_rand_double (sim->rand) < scenario->feedback_dup)
    {
      Message *copy = g_new0 (Message, 1);

      *copy = *message;
      copy->deliver_us += 30 * MS;
      copy->packets = g_array_copy (report);
      post (sim, copy);
    }
  post (sim, message);
}

/* Fraction lost since the last report as RFC 3550 counts it: of the
 * packets up to the newest received, those not received. */
static void
send_receiver_report (Sim    *sim,
                      guint   f,
                      gint64  now)
{
  const Scenario *scenario = sim->scenario;
  Flow *flow = &sim->flows[f];
  guint expected, received = 0, end = flow->rr_next;
  Message *message;

  for (guint i = flow->rr_next; i < flow->packets->len; i++)
    {
      const Packet *packet = &g_array_index (flow->packets, Packet, i);

      if (packet->send_us > now)
        break;
      if (packet->arrival_us >= 0 && packet->arrival_us <= now)
        end = i + 1;
    }
  for (guint i = flow->rr_next; i < end; i++)
    {
      const Packet *packet = &g_array_index (flow->packets, Packet, i);

      if (packet->arrival_us >= 0 && packet->arrival_us <= now)
        received++;
    }
  expected = end - flow->rr_next;
  flow->rr_next = end;
  if (in_blackout (scenario, now))
    return;
  message = g_new0 (Message, 1);
  message->flow = f;
  message->is_rr = TRUE;
  message->deliver_us = now + scenario->prop_us;
  message->fraction_lost = expected > 0 && received < expected ? 1.0 - (double) received / expected : 0;
  message->rtt_us = 2 * scenario->prop_us + MAX (0, sim->busy_until_us - now);
  post (sim, message);
}

/* ------------------------------------------------------------------ */
/* The sender gets feedback                                            */

static void
retransmit_lost (Sim                    *sim,
                 Flow                   *flow,
                 const LatticeBwePacket *report,
                 guint                   n,
                 gint64                  now)
{
  for (guint i = 0; i < n; i++)
    {
      guint index = (guint16) (report[i].seq - FIRST_SEQ);
      Packet *packet;

      /* the index back from the 16-bit sequence, near the newest */
      while (index + 65536u <= flow->packets->len)
        index += 65536;
      if (report[i].arrival_us >= 0 || index >= flow->packets->len)
        continue;
      packet = &g_array_index (flow->packets, Packet, index);
      if (packet->kind != KIND_VIDEO || packet->retransmitted)
        continue;
      packet->retransmitted = TRUE;
      send_packet (sim, flow, now, packet->size + 2, KIND_RTX);
    }
}

static void
deliver (Sim     *sim,
         Message *message)
{
  Flow *flow = &sim->flows[message->flow];
  gint64 now = message->deliver_us;

  if (in_blackout (sim->scenario, now) && !sim->scenario->blackout_reports)
    return;
  if (message->is_rr)
    {
      lattice_bwe_on_receiver_report (flow->bwe, now + SENDER_CLOCK, message->fraction_lost,
                                      message->rtt_us);
      return;
    }
  lattice_bwe_on_feedback (flow->bwe, now + SENDER_CLOCK,
                           (const LatticeBwePacket *) message->packets->data,
                           message->packets->len);
  if (flow->config.rtx)
    retransmit_lost (sim, flow, (const LatticeBwePacket *) message->packets->data,
                     message->packets->len, now);
}

static void
message_free (gpointer data)
{
  Message *message = data;

  if (message->packets != NULL)
    g_array_unref (message->packets);
  g_free (message);
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */

static double
kbps (double bps)
{
  return bps / 1000;
}

/* "2.5 s", or "never" for -1. */
static char *
seconds (gint64 us)
{
  return us < 0 ? g_strdup ("never") : g_strdup_printf ("%.1f s", us / 1e6);
}

static void
take_sample (Sim    *sim,
             gint64  now)
{
  gint64 backlog = MAX (0, sim->busy_until_us - now);

  g_array_append_val (sim->queue_samples, backlog);
  for (guint f = 0; f < sim->scenario->n_flows; f++)
    {
      Flow *flow = &sim->flows[f];
      LatticeBweStatus status;
      Sample sample;

      lattice_bwe_get_status (flow->bwe, &status);
      sample.target = status.target_bps;
      sample.acked = status.acked_bps;
      sample.sent = now >= 500 * MS ? sent_bps (flow, now - 500 * MS, now) : 0;
      sample.queue_us = backlog;
      sample.loss = status.loss;
      sample.state = status.state;
      sample.outage = status.outage;
      sample.trend = status.trend;
      sample.threshold = status.threshold;
      if (g_getenv ("BWE_TRACE") != NULL)
        g_printerr ("%d %5.1f %5.0f/%5.0f/%5.0f %4" G_GINT64_FORMAT " trend %6.1f th %5.1f %s\n", f, now / 1e6,
                    kbps (sample.target), kbps (sample.acked), kbps (sample.sent), backlog / MS,
                    sample.trend, sample.threshold, lattice_bwe_state_to_string (sample.state));
      g_array_append_val (flow->samples, sample);
    }
}

static void
flow_init (Flow             *flow,
           const FlowConfig *config,
           guint             f)
{
  flow->config = *config;
  flow->bwe = lattice_bwe_new (config->start_bps, config->min_bps, config->max_bps);
  lattice_bwe_set_wanted (flow->bwe, config->wanted_bps);
  flow->packets = g_array_new (FALSE, FALSE, sizeof (Packet));
  flow->late = g_array_new (FALSE, FALSE, sizeof (guint));
  flow->sent_buckets = g_array_new (FALSE, TRUE, sizeof (guint64));
  flow->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  /* every clock of every flow out of step with the others */
  flow->next_frame_us = config->start_us + 3 * MS + f * 11 * MS;
  flow->next_audio_us = config->start_us + 7 * MS + f * 5 * MS;
  flow->next_feedback_us = config->start_us + 20 * MS + f * 17 * MS;
  flow->next_rr_us = config->start_us + 500 * MS + f * 130 * MS;
  flow->next_tick_us = config->start_us + 50 * MS + f * 30 * MS;
  flow->min_target = G_MAXUINT;
}

static void
flow_clear (Flow *flow)
{
  g_clear_pointer (&flow->bwe, lattice_bwe_free);
  g_clear_pointer (&flow->packets, g_array_unref);
  g_clear_pointer (&flow->late, g_array_unref);
  g_clear_pointer (&flow->sent_buckets, g_array_unref);
  g_clear_pointer (&flow->samples, g_array_unref);
}

static void print_trajectory (const Sim *sim);

static Sim *
sim_run (const Scenario *scenario,
         guint32         seed)
{
  Sim *sim = g_new0 (Sim, 1);
  gint64 now = 0;

  sim->scenario = scenario;
  /* BWE_SEED=n runs every scenario with other random numbers */
  if (g_getenv ("BWE_SEED") != NULL)
    seed += 1000 * (guint32) g_ascii_strtoull (g_getenv ("BWE_SEED"), NULL, 10);
  sim->rand = g_rand_new_with_seed (seed);
  sim->capacity_bps = scenario->capacity_bps;
  g_queue_init (&sim->messages);
  sim->queue_samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  sim->next_sample_us = SAMPLE_INTERVAL;
  for (guint f = 0; f < scenario->n_flows; f++)
    flow_init (&sim->flows[f], &scenario->flows[f], f);

  while (now < scenario->duration_us)
    {
      gint64 next = G_MAXINT64;
      Message *message = g_queue_peek_head (&sim->messages);

      /* the earliest event; ties in a fixed order, so runs repeat */
      if (message != NULL)
        next = MIN (next, message->deliver_us);
      next = MIN (next, sim->next_sample_us);
      if (scenario->change_us > 0 && !sim->changed)
        next = MIN (next, scenario->change_us);
      for (guint f = 0; f < scenario->n_flows; f++)
        {
          Flow *flow = &sim->flows[f];

          next = MIN (next, flow->next_frame_us);
          next = MIN (next, flow->next_audio_us);
          next = MIN (next, flow->next_feedback_us);
          next = MIN (next, flow->next_rr_us);
          next = MIN (next, flow->next_tick_us);
        }
      now = next;
      if (now > scenario->duration_us)
        break;

      if (scenario->change_us > 0 && now >= scenario->change_us && !sim->changed)
        {
          sim->capacity_bps = scenario->capacity2_bps;
          sim->changed = TRUE;
        }
      while ((message = g_queue_peek_head (&sim->messages)) != NULL && message->deliver_us <= now)
        {
          g_queue_pop_head (&sim->messages);
          deliver (sim, message);
          message_free (message);
        }
      for (guint f = 0; f < scenario->n_flows; f++)
        {
          Flow *flow = &sim->flows[f];
          guint target;

          if (flow->next_tick_us <= now)
            {
              lattice_bwe_on_tick (flow->bwe, now + SENDER_CLOCK);
              flow->next_tick_us += TICK_INTERVAL;
            }
          if (flow->next_audio_us <= now)
            {
              send_packet (sim, flow, now, AUDIO_SIZE, KIND_AUDIO);
              flow->next_audio_us += AUDIO_INTERVAL;
            }
          if (flow->next_frame_us <= now)
            send_frame (sim, flow, now);
          if (flow->next_feedback_us <= now)
            {
              send_feedback (sim, f, now);
              flow->next_feedback_us += FEEDBACK_INTERVAL;
            }
          if (flow->next_rr_us <= now)
            {
              send_receiver_report (sim, f, now);
              flow->next_rr_us += RR_INTERVAL;
            }
          target = lattice_bwe_get_target (flow->bwe);
          g_assert_cmpuint (target, >=, flow->config.min_bps);
          g_assert_cmpuint (target, <=, flow->config.max_bps);
          flow->min_target = MIN (flow->min_target, target);
          flow->max_target = MAX (flow->max_target, target);
        }
      if (sim->next_sample_us <= now)
        {
          take_sample (sim, now);
          sim->next_sample_us += SAMPLE_INTERVAL;
        }
    }
  if (scenario->print)
    print_trajectory (sim);
  return sim;
}

static void
sim_free (Sim *sim)
{
  for (guint f = 0; f < sim->scenario->n_flows; f++)
    flow_clear (&sim->flows[f]);
  g_queue_clear_full (&sim->messages, message_free);
  g_array_unref (sim->queue_samples);
  g_rand_free (sim->rand);
  g_free (sim);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sim, sim_free)

/* ------------------------------------------------------------------ */
/* Measures                                                            */

/* The sample taken at @t (a multiple of SAMPLE_INTERVAL, > 0). */
static const Sample *
sample_at (const Sim *sim,
           guint      f,
           gint64     t)
{
  guint i = t / SAMPLE_INTERVAL - 1;

  g_assert_cmpuint (i, <, sim->flows[f].samples->len);
  return &g_array_index (sim->flows[f].samples, Sample, i);
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* 95th percentile of the queueing delay the packets sent in [from, to)
 * met, every flow's. */
static gint64
queue_p95_us (const Sim *sim,
              gint64     from,
              gint64     to)
{
  g_autoptr(GArray) delays = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint f = 0; f < sim->scenario->n_flows; f++)
    for (guint i = 0; i < sim->flows[f].packets->len; i++)
      {
        const Packet *packet = &g_array_index (sim->flows[f].packets, Packet, i);

        if (packet->send_us >= from && packet->send_us < to)
          g_array_append_val (delays, packet->queue_us);
      }
  if (delays->len == 0)
    return 0;
  g_array_sort (delays, compare_gint64);
  return g_array_index (delays, gint64, (delays->len * 95) / 100);
}

/* One line a second: target / acked / sent over the last 0.5 s (kbit/s),
 * the bottleneck's backlog and the loss the estimator last saw, per flow. */
static void
print_trajectory (const Sim *sim)
{
  const Scenario *scenario = sim->scenario;
  guint n = sim->flows[0].samples->len;

  g_test_message ("%s: t  target/acked/sent kbit/s  queue ms  loss  state%s", scenario->name,
                  scenario->n_flows > 1 ? "  | second flow" : "");
  for (guint i = 9; i < n; i += 10)
    {
      GString *line = g_string_new (NULL);

      g_string_append_printf (line, "%3u s", (i + 1) / 10);
      for (guint f = 0; f < scenario->n_flows; f++)
        {
          const Sample *s = &g_array_index (sim->flows[f].samples, Sample, i);

          g_string_append_printf (line, "%s %5.0f/%5.0f/%5.0f %4" G_GINT64_FORMAT " %4.1f%% %s%s",
                                  f > 0 ? "  |" : "", kbps (s->target), kbps (s->acked),
                                  kbps (s->sent), s->queue_us / MS, 100 * s->loss,
                                  lattice_bwe_state_to_string (s->state), s->outage ? " OUTAGE" : "");
        }
      g_test_message ("%s", line->str);
      g_string_free (line, TRUE);
    }
}

/* ------------------------------------------------------------------ */
/* Scenarios                                                           */

static const FlowConfig default_flow = {
  .start_bps = 300000, .min_bps = 100000, .max_bps = 2500000, .app_bps = UNLIMITED,
};

static Scenario
scenario_default (const char *name,
                  double      capacity_bps)
{
  Scenario scenario = {
    .name = name,
    .capacity_bps = capacity_bps,
    .queue_limit_us = 300 * MS,
    .prop_us = 25 * MS,
    .duration_us = 30 * SEC,
    .n_flows = 1,
    .flows = { default_flow, default_flow },
    .print = TRUE,
  };

  return scenario;
}

/* 1. Starting well above the capacity: under it within 5 s, then between
 * 60 % and 100 % of it (give or take the encoder's own error over a
 * second), with a short queue. */
static void
test_start_above_capacity (void)
{
  Scenario scenario = scenario_default ("1 Mbit/s start, 400 kbit/s link", 400000);
  g_autoptr(Sim) sim = NULL;
  gint64 under = -1, p95;
  double low = G_MAXDOUBLE, high = 0;
  g_autofree char *text = NULL;

  scenario.flows[0].start_bps = 1000000;
  sim = sim_run (&scenario, 1);
  for (gint64 t = 500 * MS; t <= scenario.duration_us; t += SAMPLE_INTERVAL)
    if (sample_at (sim, 0, t)->sent < scenario.capacity_bps)
      {
        under = t;
        break;
      }
  /* the rate over every whole second from then on */
  for (gint64 t = 5 * SEC; t + SEC <= scenario.duration_us; t += SEC)
    {
      double sent = sent_bps (&sim->flows[0], t, t + SEC);

      low = MIN (low, sent);
      high = MAX (high, sent);
    }
  p95 = queue_p95_us (sim, scenario.duration_us - 10 * SEC, scenario.duration_us);
  g_test_message ("under the capacity after %s; from 5 s: %.0f-%.0f kbit/s a second; "
                  "queue p95 over the last 10 s %" G_GINT64_FORMAT " ms",
                  (text = seconds (under)), kbps (low), kbps (high), p95 / MS);
  g_assert_cmpint (under, >=, 0);
  g_assert_cmpint (under, <=, 5 * SEC);
  g_assert_cmpfloat (low, >=, 0.6 * scenario.capacity_bps);
  g_assert_cmpfloat (high, <=, (1 + ENCODER_SLACK) * scenario.capacity_bps);
  g_assert_cmpint (p95, <, 100 * MS);
}

/* 2. Starting low on a fast link: up to 80 % of max within 10 s, never
 * above max. */
static void
test_ramp_up (void)
{
  Scenario scenario = scenario_default ("300 kbit/s start, 3 Mbit/s link, max 2 Mbit/s", 3000000);
  g_autoptr(Sim) sim = NULL;
  gint64 reached = -1;
  double most_sent = 0;
  g_autofree char *text = NULL;

  scenario.flows[0].max_bps = 2000000;
  scenario.duration_us = 20 * SEC;
  sim = sim_run (&scenario, 2);
  for (gint64 t = SAMPLE_INTERVAL; t <= scenario.duration_us; t += SAMPLE_INTERVAL)
    {
      const Sample *s = sample_at (sim, 0, t);

      if (reached < 0 && s->target >= 1600000)
        reached = t;
      most_sent = MAX (most_sent, s->sent);
    }
  g_test_message ("1.6 Mbit/s after %s; highest target %u, highest sent rate over 0.5 s %.0f kbit/s",
                  (text = seconds (reached)), sim->flows[0].max_target, kbps (most_sent));
  g_assert_cmpint (reached, >=, 0);
  g_assert_cmpint (reached, <=, 10 * SEC);
  g_assert_cmpuint (sim->flows[0].max_target, <=, 2000000);
  /* and what is sent follows, but for the encoder's error (over 0.5 s
   * at 30 fps, as many frames as in ENCODER_SLACK's second) */
  g_assert_cmpfloat (most_sent, <=, (1 + ENCODER_SLACK) * 2000000);
}

/* 3. The capacity falls from 2 Mbit/s to 500 kbit/s. */
static void
test_capacity_drop (void)
{
  Scenario scenario = scenario_default ("2 Mbit/s link falling to 500 kbit/s at 20 s", 2000000);
  g_autoptr(Sim) sim = NULL;
  gint64 drop = 20 * SEC, under = -1, drained = 0, peak = 0, after;
  g_autofree char *text = NULL;

  scenario.flows[0].start_bps = 1500000;
  scenario.change_us = drop;
  scenario.capacity2_bps = 500000;
  scenario.duration_us = 35 * SEC;
  sim = sim_run (&scenario, 3);
  for (gint64 t = drop + SAMPLE_INTERVAL; t <= scenario.duration_us; t += SAMPLE_INTERVAL)
    {
      const Sample *s = sample_at (sim, 0, t);

      if (under < 0 && s->sent < 500000)
        under = t - drop;
      /* under 100 ms for good from the sample after the last one above */
      if (s->queue_us >= 100 * MS)
        drained = t + SAMPLE_INTERVAL - drop;
      peak = MAX (peak, s->queue_us);
    }
  after = queue_p95_us (sim, drop + 3 * SEC, scenario.duration_us);
  g_test_message ("before the drop %.0f kbit/s; under 500 kbit/s %s after; queue up to %" G_GINT64_FORMAT
                  " ms, under 100 ms for good %.1f s after; queue p95 from 3 s after %" G_GINT64_FORMAT " ms",
                  kbps (sent_bps (&sim->flows[0], drop - 5 * SEC, drop)), (text = seconds (under)),
                  peak / MS, drained / 1e6, after / MS);
  g_assert_cmpint (under, >=, 0);
  g_assert_cmpint (under, <=, 2 * SEC);
  g_assert_cmpint (peak, >=, 100 * MS);  /* the drop did fill the queue */
  g_assert_cmpint (drained, <=, 3 * SEC);
  g_assert_cmpint (after, <, 100 * MS);
}

/* 4. The capacity grows from 500 kbit/s to 2 Mbit/s. */
static void
test_capacity_rise (void)
{
  Scenario scenario = scenario_default ("500 kbit/s link growing to 2 Mbit/s at 20 s", 500000);
  g_autoptr(Sim) sim = NULL;
  gint64 rise = 20 * SEC, reached = -1;
  g_autofree char *text = NULL;

  scenario.change_us = rise;
  scenario.capacity2_bps = 2000000;
  scenario.duration_us = 40 * SEC;
  sim = sim_run (&scenario, 4);
  for (gint64 t = rise; t <= scenario.duration_us; t += SAMPLE_INTERVAL)
    if (sample_at (sim, 0, t)->target >= 1500000)
      {
        reached = t - rise;
        break;
      }
  g_test_message ("target at the rise %.0f kbit/s, 1.5 Mbit/s %s after",
                  kbps (sample_at (sim, 0, rise)->target), (text = seconds (reached)));
  /* up to the capacity before, give or take the top of a probe */
  g_assert_cmpfloat (sample_at (sim, 0, rise)->target, <=, 1.1 * 500000);
  g_assert_cmpint (reached, >=, 0);
  g_assert_cmpint (reached, <=, 15 * SEC);
}

/* 5. Random loss of 3 %, not congestion: the target stays near max. */
static void
test_random_loss (void)
{
  Scenario scenario = scenario_default ("3 % random loss, 10 Mbit/s link, max 2 Mbit/s", 10000000);
  g_autoptr(Sim) sim = NULL;
  guint lowest = G_MAXUINT;

  scenario.loss = 0.03;
  scenario.duration_us = 60 * SEC;
  scenario.flows[0].start_bps = 2000000;
  scenario.flows[0].max_bps = 2000000;
  scenario.flows[0].rtx = TRUE;
  sim = sim_run (&scenario, 5);
  for (gint64 t = SAMPLE_INTERVAL; t <= scenario.duration_us; t += SAMPLE_INTERVAL)
    lowest = MIN (lowest, (guint) sample_at (sim, 0, t)->target);
  g_test_message ("lowest target %u kbit/s in 60 s", lowest / 1000);
  g_assert_cmpuint (sim->flows[0].min_target, >=, 0.9 * 2000000);
}

/* 6. Random loss of 20 %: too much to keep the rate. */
static void
test_heavy_loss (void)
{
  Scenario scenario = scenario_default ("20 % random loss, 10 Mbit/s link, max 2 Mbit/s", 10000000);
  g_autoptr(Sim) sim = NULL;
  double at_5, at_10;

  scenario.loss = 0.2;
  scenario.duration_us = 15 * SEC;
  scenario.flows[0].start_bps = 2000000;
  scenario.flows[0].max_bps = 2000000;
  sim = sim_run (&scenario, 6);
  at_5 = sample_at (sim, 0, 5 * SEC)->target;
  at_10 = sample_at (sim, 0, 10 * SEC)->target;
  g_test_message ("target %.0f kbit/s at 5 s, %.0f at 10 s", kbps (at_5), kbps (at_10));
  g_assert_cmpfloat (at_5, <, 0.75 * 2000000);
  g_assert_cmpfloat (at_10, <, at_5);
}

/* 7. Two seconds when nothing gets through either way: an outage, not
 * congestion. */
static void
check_blackout (gboolean    reports,
                guint32     seed)
{
  Scenario scenario = scenario_default (reports ? "2 s blackout, the receiver reporting every packet lost"
                                                : "2 s blackout, no feedback", 1500000);
  g_autoptr(Sim) sim = NULL;
  gint64 start = 15 * SEC, end = 17 * SEC;
  double before, lowest = G_MAXDOUBLE;
  gboolean outage = FALSE;

  scenario.blackout_start_us = start;
  scenario.blackout_end_us = end;
  scenario.blackout_reports = reports;
  sim = sim_run (&scenario, seed);
  before = sample_at (sim, 0, start)->target;
  for (gint64 t = start + SAMPLE_INTERVAL; t <= end + 5 * SEC; t += SAMPLE_INTERVAL)
    {
      const Sample *s = sample_at (sim, 0, t);

      lowest = MIN (lowest, s->target);
      outage |= s->outage;
    }
  g_test_message ("target before %.0f kbit/s, lowest from then to 5 s after %.0f kbit/s (%.0f %%), "
                  "outage seen %s; 5 s after %.0f kbit/s", kbps (before), kbps (lowest),
                  100 * lowest / before, outage ? "yes" : "no",
                  kbps (sample_at (sim, 0, end + 5 * SEC)->target));
  g_assert_true (outage);
  g_assert_false (sample_at (sim, 0, end + 2 * SEC)->outage);
  g_assert_cmpfloat (before, >=, 0.6 * scenario.capacity_bps);
  g_assert_cmpfloat (lowest, >=, 0.7 * before);
}

static void
test_blackout (void)
{
  check_blackout (FALSE, 7);
}

static void
test_blackout_reported (void)
{
  check_blackout (TRUE, 7);
}

/* 8. A sender that has 200 kbit/s to send whatever the target says. */
static void
test_application_limited (void)
{
  Scenario scenario = scenario_default ("sender limited to 200 kbit/s, 5 Mbit/s link", 5000000);
  g_autoptr(Sim) sim = NULL;
  double worst = 0;

  scenario.flows[0].app_bps = 200000;
  scenario.flows[0].max_bps = 3000000;
  sim = sim_run (&scenario, 8);
  for (gint64 t = 2 * SEC; t <= scenario.duration_us; t += SAMPLE_INTERVAL)
    {
      const Sample *s = sample_at (sim, 0, t);

      g_assert_cmpfloat (s->acked, >, 0);
      worst = MAX (worst, s->target / s->acked);
    }
  g_test_message ("target at most %.2f x the acknowledged rate; highest target %u kbit/s",
                  worst, sim->flows[0].max_target / 1000);
  g_assert_cmpfloat (worst, <=, 2.0);
}

/* … and one that starts above what it sends keeps that, but no more. */
static void
test_application_limited_high_start (void)
{
  Scenario scenario = scenario_default ("sender limited to 200 kbit/s, starting at 1 Mbit/s", 5000000);
  g_autoptr(Sim) sim = NULL;

  scenario.flows[0].app_bps = 200000;
  scenario.flows[0].start_bps = 1000000;
  scenario.flows[0].max_bps = 3000000;
  scenario.duration_us = 15 * SEC;
  scenario.print = FALSE;
  sim = sim_run (&scenario, 8);
  g_test_message ("target between %u and %u kbit/s", sim->flows[0].min_target / 1000,
                  sim->flows[0].max_target / 1000);
  g_assert_cmpuint (sim->flows[0].max_target, <=, 1000000);
}

/* … unless it says what it wants next (a layered sender on its low
 * layer, whose next rung costs far more than 1.5 × what it sends): then
 * the estimate may climb to that, and no further. */
static void
test_application_limited_wanted (void)
{
  Scenario scenario = scenario_default ("sender limited to 200 kbit/s, wanting 700", 5000000);
  g_autoptr(Sim) sim = NULL;
  const Sample *last;

  scenario.flows[0].app_bps = 200000;
  scenario.flows[0].wanted_bps = 700000;
  scenario.flows[0].max_bps = 3000000;
  scenario.duration_us = 20 * SEC;
  scenario.print = FALSE;
  sim = sim_run (&scenario, 8);
  last = sample_at (sim, 0, scenario.duration_us);
  g_test_message ("target %u kbit/s at the end, at most %u, acknowledged %u", (guint) (last->target / 1000),
                  sim->flows[0].max_target / 1000, (guint) (last->acked / 1000));
  g_assert_cmpfloat (last->acked, <, 260000);
  g_assert_cmpfloat (last->target, >=, 0.95 * 700000);
  g_assert_cmpuint (sim->flows[0].max_target, <=, 1.1 * 700000);
}

/* 9. Two senders, each with its own estimator, through one bottleneck:
 * a participant whose downlink is 1 Mbit/s receives from two others. The
 * second starts 10 s after the first, which has the link to itself. */
static void
test_two_senders (void)
{
  Scenario scenario = scenario_default ("two senders sharing 1 Mbit/s, the second from 10 s", 1000000);
  g_autoptr(Sim) sim = NULL;
  gint64 from = 30 * SEC;
  double a, b, p95;

  scenario.n_flows = 2;
  scenario.flows[1].start_us = 10 * SEC;
  scenario.duration_us = 60 * SEC;
  sim = sim_run (&scenario, 9);
  a = sent_bps (&sim->flows[0], from, scenario.duration_us);
  b = sent_bps (&sim->flows[1], from, scenario.duration_us);
  p95 = queue_p95_us (sim, from, scenario.duration_us);
  g_test_message ("over the last 30 s: %.0f + %.0f = %.0f kbit/s, queue p95 %.0f ms",
                  kbps (a), kbps (b), kbps (a + b), p95 / MS);
  g_assert_cmpfloat (a, >=, 0.25 * scenario.capacity_bps);
  g_assert_cmpfloat (b, >=, 0.25 * scenario.capacity_bps);
  g_assert_cmpfloat (a + b, <=, scenario.capacity_bps);
  g_assert_cmpfloat (a + b, >=, 0.6 * scenario.capacity_bps);
  g_assert_cmpfloat (p95, <, 100 * MS);
  /* settled: the shares of the last 30 s hold in each half of it */
  for (gint64 t = from; t < scenario.duration_us; t += 15 * SEC)
    {
      g_assert_cmpfloat (sent_bps (&sim->flows[0], t, t + 15 * SEC), >=, 0.25 * scenario.capacity_bps);
      g_assert_cmpfloat (sent_bps (&sim->flows[1], t, t + 15 * SEC), >=, 0.25 * scenario.capacity_bps);
    }
}

/* 10. Feedback lost, repeated and reordered, and packets reordered by
 * jitter: the estimate still follows the link. */
static void
test_messy_feedback (void)
{
  Scenario scenario = scenario_default ("1 Mbit/s link, 10 ms jitter, feedback 10 % lost, 10 % "
                                        "repeated, reordered", 1000000);
  g_autoptr(Sim) sim = NULL;
  double low = G_MAXDOUBLE, high = 0;
  gint64 p95;

  scenario.jitter_us = 10 * MS;
  scenario.feedback_loss = 0.1;
  scenario.feedback_dup = 0.1;
  scenario.feedback_jitter_us = 80 * MS;
  scenario.flows[0].rtx = TRUE;
  sim = sim_run (&scenario, 10);
  for (gint64 t = 10 * SEC; t + SEC <= scenario.duration_us; t += SEC)
    {
      double sent = sent_bps (&sim->flows[0], t, t + SEC);

      low = MIN (low, sent);
      high = MAX (high, sent);
    }
  p95 = queue_p95_us (sim, 10 * SEC, scenario.duration_us);
  g_test_message ("from 10 s: %.0f-%.0f kbit/s a second, queue p95 %" G_GINT64_FORMAT " ms",
                  kbps (low), kbps (high), p95 / MS);
  g_assert_cmpfloat (low, >=, 0.5 * scenario.capacity_bps);
  /* retransmissions go on top of the target */
  g_assert_cmpfloat (high, <=, (1 + ENCODER_SLACK + 0.01) * scenario.capacity_bps);
  g_assert_cmpint (p95, <, 100 * MS);
}

/* ------------------------------------------------------------------ */
/* Garbage                                                             */

static void
assert_sane (LatticeBwe *bwe,
             guint       min_bps,
             guint       max_bps)
{
  LatticeBweStatus status;
  guint target = lattice_bwe_get_target (bwe);

  lattice_bwe_get_status (bwe, &status);
  g_assert_cmpuint (target, >=, min_bps);
  g_assert_cmpuint (target, <=, max_bps);
  g_assert_cmpuint (status.target_bps, ==, target);
  g_assert_true (isfinite (status.trend));
  g_assert_true (isfinite (status.threshold));
  g_assert_true (status.loss >= 0 && status.loss <= 1);
}

static void
drop_message (const char     *domain,
              GLogLevelFlags  level,
              const char     *message,
              gpointer        user_data)
{
}

static void
test_garbage (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autoptr(LatticeBwe) bwe = lattice_bwe_new (500000, 100000, 2000000);
  LatticeBwePacket packets[64];
  gint64 now = 1000 * SEC;
  guint16 seq = 65500;

  /* it says "outage" at every other call: not worth a line each */
  guint handler = g_log_set_handler (G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, drop_message, NULL);

  /* nothing, and all lost */
  lattice_bwe_on_feedback (bwe, now, NULL, 0);
  lattice_bwe_on_feedback (bwe, now, packets, 0);
  assert_sane (bwe, 100000, 2000000);
  for (guint round = 0; round < 100; round++)
    {
      for (guint i = 0; i < 20; i++)
        packets[i] = (LatticeBwePacket) { seq++, now + i * MS, LATTICE_BWE_LOST, 1200 };
      now += 50 * MS;
      lattice_bwe_on_feedback (bwe, now, packets, 20);
      lattice_bwe_on_tick (bwe, now);
      assert_sane (bwe, 100000, 2000000);
    }

  /* random everything: sequence numbers, times going back and jumping
   * hours, sizes, duplicates, reports of any length */
  for (guint round = 0; round < 20000; round++)
    {
      guint n = g_rand_int_range (rand, 0, G_N_ELEMENTS (packets));
      guint32 what = g_rand_int (rand);

      for (guint i = 0; i < n; i++)
        {
          LatticeBwePacket *p = &packets[i];

          p->seq = (what & 1) ? (guint16) g_rand_int (rand) : seq++;
          p->send_us = (what & 2) ? (gint64) g_rand_int (rand) * g_rand_int_range (rand, -1000, 1000)
                                  : now + i * MS;
          p->arrival_us = g_rand_int_range (rand, 0, 8) == 0 ? LATTICE_BWE_LOST
                        : (what & 4) ? (gint64) g_rand_int (rand) * 1000
                        : now + 30 * MS + g_rand_int_range (rand, -20000, 20000);
          p->size = (what & 8) ? g_rand_int (rand) : 1200;
          if ((what & 16) && i > 0)
            *p = packets[i - 1];  /* a duplicate */
        }
      switch (what >> 28)
        {
        case 0:
          now -= 10 * SEC;  /* back */
          break;
        case 1:
          now += 3600 * SEC;  /* an hour on */
          break;
        default:
          now += g_rand_int_range (rand, 0, 100 * MS);
          break;
        }
      lattice_bwe_on_feedback (bwe, now, packets, n);
      if ((what >> 24) % 8 == 0)
        lattice_bwe_on_tick (bwe, now);
      if ((what >> 24) % 16 == 1)
        lattice_bwe_on_receiver_report (bwe, now, g_rand_double_range (rand, -1, 2),
                                        g_rand_int_range (rand, -2, 1000000));
      if ((what >> 24) % 64 == 2)
        lattice_bwe_on_receiver_report (bwe, now, NAN, -1);
      assert_sane (bwe, 100000, 2000000);
    }

  /* the ends of every clock */
  for (guint round = 0; round < 1000; round++)
    {
      const gint64 extremes[] = { G_MININT64, G_MININT64 + 1, -2, 0, G_MAXINT64 - 1, G_MAXINT64 };
      gint64 when = extremes[g_rand_int_range (rand, 0, G_N_ELEMENTS (extremes))];

      for (guint i = 0; i < 8; i++)
        packets[i] = (LatticeBwePacket) {
          (guint16) g_rand_int (rand),
          extremes[g_rand_int_range (rand, 0, G_N_ELEMENTS (extremes))],
          extremes[g_rand_int_range (rand, 0, G_N_ELEMENTS (extremes))],
          g_rand_boolean (rand) ? G_MAXUINT : 0,
        };
      lattice_bwe_on_feedback (bwe, when, packets, 8);
      lattice_bwe_on_tick (bwe, when);
      lattice_bwe_on_receiver_report (bwe, when, INFINITY, G_MAXINT64);
      assert_sane (bwe, 100000, 2000000);
    }
  g_log_remove_handler (G_LOG_DOMAIN, handler);
}

/* Feeds @n packets, one every 10 ms of 1000 bytes (800 kbit/s), arriving
 * 30 ms after they left, in reports of 5; every @lost_every-th is lost
 * (0: none); @report FALSE: sent, but no feedback comes back. */
static void
feed (LatticeBwe *bwe,
      gint64     *now,
      guint16    *seq,
      guint       n,
      guint       lost_every,
      gboolean    report)
{
  LatticeBwePacket packets[5];
  guint k = 0;

  for (guint i = 0; i < n; i++)
    {
      LatticeBwePacket *p = &packets[k++];

      *now += 10 * MS;
      p->seq = (*seq)++;
      p->send_us = *now;
      p->arrival_us = lost_every > 0 && i % lost_every == 0 ? LATTICE_BWE_LOST
                    : *now + 30 * MS + RECEIVER_CLOCK;
      p->size = 1000;
      if (k == G_N_ELEMENTS (packets))
        {
          if (report)
            lattice_bwe_on_feedback (bwe, *now + 40 * MS, packets, k);
          k = 0;
        }
      if (i % 10 == 0)
        lattice_bwe_on_tick (bwe, *now);
    }
}

/* The packets sent during an outage, reported lost once it is over, are
 * not congestion, however many, and a repeated report of them changes
 * nothing; losses outside an outage do count. */
static void
test_outage_losses (void)
{
  g_autoptr(LatticeBwe) bwe = lattice_bwe_new (1000000, 100000, 2000000);
  LatticeBwePacket report[205];
  LatticeBweStatus status;
  gint64 now = 0;
  guint16 seq = 65300;
  guint before;

  feed (bwe, &now, &seq, 300, 0, TRUE);
  before = lattice_bwe_get_target (bwe);
  lattice_bwe_get_status (bwe, &status);
  g_assert_false (status.outage);
  g_assert_cmpuint (status.acked_bps, >, 750000);

  /* 2 s sent, nothing heard back */
  feed (bwe, &now, &seq, 200, 0, FALSE);
  lattice_bwe_get_status (bwe, &status);
  g_assert_true (status.outage);
  g_assert_cmpuint (status.target_bps, ==, before);

  /* then one report: the 200 lost, and 5 that made it */
  for (guint i = 0; i < G_N_ELEMENTS (report); i++)
    {
      now += 10 * MS;
      report[i].seq = (guint16) (seq - 200 + i);
      report[i].send_us = now - 2000 * MS;
      report[i].arrival_us = i < 200 ? LATTICE_BWE_LOST : now + 30 * MS + RECEIVER_CLOCK;
      report[i].size = 1000;
    }
  seq += 5;
  lattice_bwe_on_feedback (bwe, now + 40 * MS, report, G_N_ELEMENTS (report));
  lattice_bwe_on_feedback (bwe, now + 60 * MS, report, G_N_ELEMENTS (report));
  feed (bwe, &now, &seq, 200, 0, TRUE);
  lattice_bwe_get_status (bwe, &status);
  g_assert_false (status.outage);
  g_assert_cmpfloat (status.loss, <, 0.02);
  g_assert_cmpuint (status.target_bps, >=, before);

  /* a loss in 4 outside an outage is congestion */
  feed (bwe, &now, &seq, 200, 4, TRUE);
  lattice_bwe_get_status (bwe, &status);
  g_assert_cmpfloat (status.loss, >, 0.2);
  g_assert_cmpuint (status.target_bps, <, before);
}

/* Every report twice, and every other pair of reports swapped: nothing is
 * counted twice. */
static void
test_duplicate_feedback (void)
{
  g_autoptr(LatticeBwe) bwe = lattice_bwe_new (1000000, 100000, 2000000);
  LatticeBwePacket reports[2][5];
  LatticeBweStatus status;
  gint64 now = 0;
  guint16 seq = 65530;

  for (guint r = 0; r < 200; r++)
    {
      LatticeBwePacket *report = reports[r % 2];

      for (guint i = 0; i < 5; i++)
        {
          now += 10 * MS;
          report[i] = (LatticeBwePacket) { seq++, now, now + 30 * MS + RECEIVER_CLOCK, 1000 };
        }
      if (r % 2 == 0)
        continue;
      /* the later one first, each twice */
      lattice_bwe_on_feedback (bwe, now + 40 * MS, reports[1], 5);
      lattice_bwe_on_feedback (bwe, now + 41 * MS, reports[0], 5);
      lattice_bwe_on_feedback (bwe, now + 42 * MS, reports[1], 5);
      lattice_bwe_on_feedback (bwe, now + 43 * MS, reports[0], 5);
      lattice_bwe_on_tick (bwe, now + 43 * MS);
    }
  lattice_bwe_get_status (bwe, &status);
  g_test_message ("acknowledged %u kbit/s of 800, loss %.2f, target %u kbit/s",
                  status.acked_bps / 1000, status.loss, status.target_bps / 1000);
  g_assert_cmpuint (status.acked_bps, >, 750000);
  g_assert_cmpuint (status.acked_bps, <, 850000);
  g_assert_cmpfloat (status.loss, <=, 0);
  /* and the estimate rose, capped by what was acknowledged */
  g_assert_cmpuint (status.target_bps, >, 1000000);
  g_assert_cmpuint (status.target_bps, <=, 1.5 * 850000 + 10000);
}

/* Limits changed under a running estimate; min above max. */
static void
test_limits (void)
{
  g_autoptr(LatticeBwe) bwe = lattice_bwe_new (5000000, 100000, 2000000);
  LatticeBweStatus status;

  g_assert_cmpuint (lattice_bwe_get_target (bwe), ==, 2000000);
  lattice_bwe_set_limits (bwe, 100000, 800000);
  g_assert_cmpuint (lattice_bwe_get_target (bwe), ==, 800000);
  lattice_bwe_set_limits (bwe, 1200000, 3000000);
  g_assert_cmpuint (lattice_bwe_get_target (bwe), ==, 1200000);
  lattice_bwe_set_limits (bwe, 900000, 300000);  /* min wins */
  g_assert_cmpuint (lattice_bwe_get_target (bwe), ==, 900000);
  lattice_bwe_set_limits (bwe, 0, 0);  /* a floor of 10 kbit/s */
  g_assert_cmpuint (lattice_bwe_get_target (bwe), ==, 10000);
  g_clear_pointer (&bwe, lattice_bwe_free);

  bwe = lattice_bwe_new (0, 0, 0);
  lattice_bwe_get_status (bwe, &status);
  g_assert_cmpuint (status.target_bps, ==, 10000);
  g_assert_cmpint (status.rtt_us, ==, -1);
  g_assert_false (status.outage);
}

/* Without transport-wide feedback, receiver reports drive the rate: up
 * slowly while they show no loss, down with heavy loss. */
static void
test_receiver_reports_only (void)
{
  g_autoptr(LatticeBwe) bwe = lattice_bwe_new (500000, 100000, 2000000);
  gint64 now = 0;
  guint before;

  for (guint i = 0; i < 10; i++)
    lattice_bwe_on_receiver_report (bwe, now += SEC, 0.0, 80 * MS);
  g_assert_cmpuint (lattice_bwe_get_target (bwe), >, 700000);
  g_assert_cmpuint (lattice_bwe_get_target (bwe), <, 900000);
  before = lattice_bwe_get_target (bwe);
  for (guint i = 0; i < 3; i++)
    lattice_bwe_on_receiver_report (bwe, now += SEC, 0.05, 80 * MS);
  g_assert_cmpuint (lattice_bwe_get_target (bwe), ==, before);
  lattice_bwe_on_receiver_report (bwe, now += SEC, 0.4, 80 * MS);
  g_assert_cmpuint (lattice_bwe_get_target (bwe), >=, before * 0.8 - 1);
  g_assert_cmpuint (lattice_bwe_get_target (bwe), <=, before * 0.8 + 1);
  /* no feedback at all is not an outage: there never was any */
  lattice_bwe_on_tick (bwe, now += 10 * SEC);
  {
    LatticeBweStatus status;

    lattice_bwe_get_status (bwe, &status);
    g_assert_false (status.outage);
    g_assert_cmpint (status.rtt_us, ==, 80 * MS);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bwe/start-above-capacity", test_start_above_capacity);
  g_test_add_func ("/bwe/ramp-up", test_ramp_up);
  g_test_add_func ("/bwe/capacity-drop", test_capacity_drop);
  g_test_add_func ("/bwe/capacity-rise", test_capacity_rise);
  g_test_add_func ("/bwe/random-loss", test_random_loss);
  g_test_add_func ("/bwe/heavy-loss", test_heavy_loss);
  g_test_add_func ("/bwe/blackout", test_blackout);
  g_test_add_func ("/bwe/blackout-reported", test_blackout_reported);
  g_test_add_func ("/bwe/application-limited", test_application_limited);
  g_test_add_func ("/bwe/application-limited-high-start", test_application_limited_high_start);
  g_test_add_func ("/bwe/application-limited-wanted", test_application_limited_wanted);
  g_test_add_func ("/bwe/two-senders", test_two_senders);
  g_test_add_func ("/bwe/messy-feedback", test_messy_feedback);
  g_test_add_func ("/bwe/outage-losses", test_outage_losses);
  g_test_add_func ("/bwe/duplicate-feedback", test_duplicate_feedback);
  g_test_add_func ("/bwe/garbage", test_garbage);
  g_test_add_func ("/bwe/limits", test_limits);
  g_test_add_func ("/bwe/receiver-reports-only", test_receiver_reports_only);

  return g_test_run ();
}
