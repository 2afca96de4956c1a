/* lattice-bwe.c: bandwidth estimation and congestion control for one peer connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The algorithm and the reasons for its constants are described in
 * lattice-bwe.h. Written from draft-ietf-rmcat-gcc-02 and the papers on
 * it, not from any implementation.
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <math.h>

#include "lattice-bwe.h"

/* Arrival-time filter */
#define BURST_US              5000     /* packets sent this close form one group */
#define TREND_WINDOW          30       /* groups in the least-squares window */
#define TREND_MIN             10       /* groups before the trend is trusted */
#define SMOOTHING             0.9      /* of the accumulated delay, per group */
#define MAX_GAP_US            (1 * G_USEC_PER_SEC)  /* longer silences restart the filter */
#define MAX_VARIATION_US      (2 * G_USEC_PER_SEC)  /* larger jumps are clock jumps */

/* Overuse detector, trend and threshold in ms of queueing delay per second */
#define THRESHOLD_INITIAL     40.0
#define THRESHOLD_MIN         15.0
#define THRESHOLD_MAX         400.0
#define THRESHOLD_UP          4.0      /* per second, while the trend is above it */
#define THRESHOLD_DOWN        0.2      /* per second, while the trend is below it */
#define THRESHOLD_SKIP        100.0    /* trends this far above it do not move it */
#define OVERUSE_US            100000   /* trend above threshold this long is overuse */

/* Rate controller */
#define BETA                  0.85     /* back-off, of the acknowledged rate */
#define ETA                   0.08     /* multiplicative increase, per second */
#define ETA_ACCEL             0.08     /* … growing by this every second of ramp */
#define ETA_MAX               0.30
#define NEAR_SIGMAS           3.0      /* "near the congestion point": within 3 σ */
#define SIGMA_MIN             0.025    /* σ of the congestion point, relative, bounds */
#define SIGMA_MAX             0.10
#define POINT_WEIGHT          0.05     /* weight of a new congestion point in the average */
#define ACKED_CAP_RATIO       1.5      /* increases stop at 1.5 × acked … */
#define ACKED_CAP_EXTRA       10000.0  /* … + 10 kbit/s */
#define DEFAULT_RTT_US        200000
#define RESPONSE_EXTRA_US     100000   /* response time = RTT + 100 ms */
#define MAX_UPDATE_US         (1 * G_USEC_PER_SEC)  /* longest interval credited to an increase */
#define ADDITIVE_PACKETS      0.5      /* additive increase: packets per response time */
#define FRAME_RATE            30.0     /* assumed for the size of a packet */
#define MAX_PACKET_BITS       (1200.0 * 8)

/* Acknowledged rate */
#define ACKED_WINDOW_US       500000
#define ACKED_MIN_SPAN_US     150000
#define ACKED_RING            1024

/* Loss-based control */
#define LOSS_LOW              0.02
#define LOSS_HIGH             0.10
#define LOSS_MIN_PACKETS      100
#define LOSS_MIN_US           200000
#define LOSS_MAX_US           (1 * G_USEC_PER_SEC)
#define RR_INCREASE           1.05     /* per low-loss receiver report, without feedback */

/* Outages */
#define FEEDBACK_TIMEOUT_US   (1 * G_USEC_PER_SEC)
/* A run of losses this long, and of at least this many packets, is an
 * outage. Both: a full queue in front of a slow link also drops runs of
 * packets, and at a low packet rate (a small layer, a few packets a
 * second) a short run spans 300 ms; but it lets some through, so its runs
 * stay short in packets. */
#define BLACKOUT_US           300000
#define BLACKOUT_PACKETS      20

#define HISTORY               4096     /* packets remembered, to drop duplicates */
#define MIN_BPS_FLOOR         10000
/* Times beyond ±2⁶⁰ µs (36000 years; GStreamer's are ns / 1000 of a
 * guint64, under 2⁵⁴) are clamped there, so no difference can overflow. */
#define TIME_LIMIT            (G_GINT64_CONSTANT (1) << 60)

G_STATIC_ASSERT ((HISTORY & (HISTORY - 1)) == 0);

typedef enum {
  SIGNAL_NORMAL,
  SIGNAL_OVERUSE,
  SIGNAL_UNDERUSE,
} Signal;

typedef enum {
  SLOT_EMPTY,
  SLOT_RECEIVED,
  SLOT_LOST,
} SlotState;

typedef struct {
  gint64 seq;    /* unwrapped */
  guint8 state;  /* SlotState */
  guint  run;    /* for SLOT_LOST: the run of losses it belongs to */
} Slot;

typedef struct {
  gint64 first_send_us;
  gint64 last_send_us;
  gint64 last_arrival_us;  /* latest arrival in the group */
} Group;

typedef struct {
  gint64 arrival_us;
  guint  size;
} Arrival;

struct _LatticeBwe {
  double   min_bps;
  double   max_bps;

  /* Sequence numbers */
  gboolean have_seq;
  gint64   max_seq;
  Slot     history[HISTORY];

  /* Feedback timing and outages */
  gboolean feedback_seen;
  gint64   last_feedback_us;
  gboolean outage;

  /* The run of lost packets not yet followed by a received one */
  guint    run_id;
  guint    run_count;
  gint64   run_max_seq;
  gint64   run_first_send_us;
  gint64   run_last_send_us;

  /* Acknowledged rate, over the receiver's clock */
  Arrival  ring[ACKED_RING];
  guint    ring_head;
  guint    ring_len;
  guint64  ring_bytes;
  gint64   max_arrival_us;
  gboolean have_arrival;

  /* Arrival-time filter and overuse detector */
  gboolean have_group;
  Group    group;
  gboolean have_prev;
  Group    prev;
  double   accumulated_ms;
  double   smoothed_ms;
  gint64   origin_us;
  double   xs[TREND_WINDOW];
  double   ys[TREND_WINDOW];
  guint    n_points;
  guint    next_point;
  double   trend;
  double   prev_trend;
  double   threshold;
  gint64   overuse_us;
  guint    overuse_count;
  Signal   signal;
  gboolean overused;  /* overuse seen in the report being processed */

  /* Rate controller */
  LatticeBweState state;
  double   rate;
  double   wanted_bps;  /* the sender's next step up, see lattice_bwe_set_wanted() */
  gint64   last_update_us;
  gboolean have_update;
  gint64   ramp_start_us;  /* -1: not ramping up multiplicatively */
  gint64   last_decrease_us;
  gboolean have_point;
  double   point_bps;      /* average acknowledged rate at congestion */
  double   point_var;      /* its relative variance */

  /* Loss-based control */
  double   loss_cap;
  guint    window_received;
  guint    window_lost;
  gint64   window_start_us;
  gboolean window_open;
  double   loss;
  gint64   last_loss_decrease_us;
  gboolean have_loss_decrease;
  gint64   last_rr_us;
  gboolean have_rr;

  gint64   rtt_us;
  double   target;
};

const char *
lattice_bwe_state_to_string (LatticeBweState state)
{
  switch (state)
    {
    case LATTICE_BWE_INCREASE:
      return "increase";
    case LATTICE_BWE_HOLD:
      return "hold";
    case LATTICE_BWE_DECREASE:
      return "decrease";
    default:
      return "unknown";
    }
}

static gint64
clamp_time (gint64 t)
{
  return CLAMP (t, -TIME_LIMIT, TIME_LIMIT);
}

static gint64
response_time_us (const LatticeBwe *bwe)
{
  return (bwe->rtt_us >= 0 ? bwe->rtt_us : DEFAULT_RTT_US) + RESPONSE_EXTRA_US;
}

static void
update_target (LatticeBwe *bwe)
{
  bwe->rate = CLAMP (bwe->rate, bwe->min_bps, bwe->max_bps);
  bwe->loss_cap = CLAMP (bwe->loss_cap, bwe->min_bps, bwe->max_bps);
  bwe->target = MIN (bwe->rate, bwe->loss_cap);
}

/* ------------------------------------------------------------------ */
/* Acknowledged rate                                                   */

static void
acked_reset (LatticeBwe *bwe)
{
  bwe->ring_head = 0;
  bwe->ring_len = 0;
  bwe->ring_bytes = 0;
  bwe->have_arrival = FALSE;
}

static void
acked_expire (LatticeBwe *bwe)
{
  while (bwe->ring_len > 0)
    {
      Arrival *oldest = &bwe->ring[bwe->ring_head];

      if (oldest->arrival_us > bwe->max_arrival_us - ACKED_WINDOW_US && bwe->ring_len < ACKED_RING)
        break;
      bwe->ring_bytes -= oldest->size;
      bwe->ring_head = (bwe->ring_head + 1) % ACKED_RING;
      bwe->ring_len--;
    }
}

static void
acked_add (LatticeBwe *bwe,
           gint64      arrival_us,
           guint       size)
{
  guint i;

  if (bwe->have_arrival && arrival_us <= bwe->max_arrival_us - ACKED_WINDOW_US)
    return;  /* older than the window: late, or the clock went back */
  if (!bwe->have_arrival || arrival_us > bwe->max_arrival_us)
    bwe->max_arrival_us = arrival_us;
  bwe->have_arrival = TRUE;
  acked_expire (bwe);
  /* in arrival order, so that the oldest is first: a reordered packet goes
   * back to its place, rarely more than a few places */
  for (i = bwe->ring_len; i > 0; i--)
    {
      Arrival *before = &bwe->ring[(bwe->ring_head + i - 1) % ACKED_RING];

      if (before->arrival_us <= arrival_us)
        break;
      bwe->ring[(bwe->ring_head + i) % ACKED_RING] = *before;
    }
  bwe->ring[(bwe->ring_head + i) % ACKED_RING] = (Arrival) { arrival_us, size };
  bwe->ring_bytes += size;
  bwe->ring_len++;
}

/* Bytes that arrived after the oldest one in the window, over the time
 * since it: the oldest packet only marks where the interval starts. */
static double
acked_bps (const LatticeBwe *bwe)
{
  const Arrival *oldest;
  gint64 span;

  if (bwe->ring_len < 3)
    return 0;
  oldest = &bwe->ring[bwe->ring_head];
  span = bwe->max_arrival_us - oldest->arrival_us;
  if (span < ACKED_MIN_SPAN_US)
    return 0;
  return (double) (bwe->ring_bytes - oldest->size) * 8 * G_USEC_PER_SEC / span;
}

/* ------------------------------------------------------------------ */
/* Arrival-time filter and overuse detector                            */

static void
detector_restart (LatticeBwe *bwe)
{
  bwe->have_group = FALSE;
  bwe->have_prev = FALSE;
  bwe->accumulated_ms = 0;
  bwe->smoothed_ms = 0;
  bwe->n_points = 0;
  bwe->next_point = 0;
  bwe->trend = 0;
  bwe->prev_trend = 0;
  bwe->overuse_us = 0;
  bwe->overuse_count = 0;
  bwe->signal = SIGNAL_NORMAL;
}

/* Least-squares slope of the smoothed delay over arrival time, ms per s. */
static gboolean
trend_slope (const LatticeBwe *bwe,
             double           *slope)
{
  double mean_x = 0, mean_y = 0, num = 0, den = 0;

  for (guint i = 0; i < bwe->n_points; i++)
    {
      mean_x += bwe->xs[i];
      mean_y += bwe->ys[i];
    }
  mean_x /= bwe->n_points;
  mean_y /= bwe->n_points;
  for (guint i = 0; i < bwe->n_points; i++)
    {
      num += (bwe->xs[i] - mean_x) * (bwe->ys[i] - mean_y);
      den += (bwe->xs[i] - mean_x) * (bwe->xs[i] - mean_x);
    }
  if (den < 1e-6)
    return FALSE;
  *slope = num / den * 1000;
  return TRUE;
}

static void
detect (LatticeBwe *bwe,
        gint64      arrival_delta_us)
{
  double trend, excess, dt = MIN (arrival_delta_us, 100000) / 1e6;

  if (bwe->n_points < TREND_MIN || !trend_slope (bwe, &trend))
    return;
  bwe->prev_trend = bwe->trend;
  bwe->trend = trend;

  /* The threshold follows the trend: quickly up through sustained noise,
   * slowly back down; never for a spike far above it (real overuse). Not
   * for falling delay either: a queue draining after a back-off is no
   * noise, and learning from it would hide the next overuse. */
  excess = MAX (trend, 0) - bwe->threshold;
  if (excess < THRESHOLD_SKIP)
    {
      double k = excess > 0 ? THRESHOLD_UP : THRESHOLD_DOWN;

      bwe->threshold += k * dt * excess;
      bwe->threshold = CLAMP (bwe->threshold, THRESHOLD_MIN, THRESHOLD_MAX);
    }

  if (trend > bwe->threshold)
    {
      bwe->overuse_us += arrival_delta_us;
      bwe->overuse_count++;
      /* sustained, and not already falling: a queue that is draining after
       * a back-off is not a new overuse */
      if (bwe->overuse_us >= OVERUSE_US && bwe->overuse_count >= 2 && trend >= bwe->prev_trend)
        {
          bwe->signal = SIGNAL_OVERUSE;
          bwe->overused = TRUE;
        }
    }
  else
    {
      bwe->overuse_us = 0;
      bwe->overuse_count = 0;
      bwe->signal = trend < -bwe->threshold ? SIGNAL_UNDERUSE : SIGNAL_NORMAL;
    }
}

/* A complete group against the one before it. */
static void
detector_add_group (LatticeBwe  *bwe,
                    const Group *group)
{
  gint64 send_delta, arrival_delta, variation;
  guint i;

  if (!bwe->have_prev)
    {
      bwe->prev = *group;
      bwe->have_prev = TRUE;
      bwe->origin_us = group->last_arrival_us;
      return;
    }
  send_delta = group->last_send_us - bwe->prev.last_send_us;
  arrival_delta = group->last_arrival_us - bwe->prev.last_arrival_us;
  variation = arrival_delta - send_delta;
  if (send_delta > MAX_GAP_US || ABS (variation) > MAX_VARIATION_US)
    {
      /* a long silence or a clock jump: nothing to compare with */
      detector_restart (bwe);
      bwe->prev = *group;
      bwe->have_prev = TRUE;
      bwe->origin_us = group->last_arrival_us;
      return;
    }
  if (send_delta <= 0 || arrival_delta < 0)
    return;  /* reordered: the group says nothing about the queue */
  bwe->prev = *group;

  bwe->accumulated_ms += variation / 1000.0;
  bwe->smoothed_ms = SMOOTHING * bwe->smoothed_ms + (1 - SMOOTHING) * bwe->accumulated_ms;
  i = bwe->next_point;
  bwe->xs[i] = (group->last_arrival_us - bwe->origin_us) / 1000.0;
  bwe->ys[i] = bwe->smoothed_ms;
  bwe->next_point = (i + 1) % TREND_WINDOW;
  if (bwe->n_points < TREND_WINDOW)
    bwe->n_points++;
  detect (bwe, arrival_delta);
}

static void
detector_add_packet (LatticeBwe *bwe,
                     gint64      send_us,
                     gint64      arrival_us)
{
  if (bwe->have_group)
    {
      if (send_us < bwe->group.first_send_us)
        {
          /* sent before the current group: a late report, or a clock
           * that went back; too far back, and everything starts over */
          if (bwe->group.first_send_us - send_us > MAX_GAP_US)
            detector_restart (bwe);
          else
            return;
        }
      else if (send_us - bwe->group.first_send_us <= BURST_US)
        {
          bwe->group.last_send_us = MAX (bwe->group.last_send_us, send_us);
          bwe->group.last_arrival_us = MAX (bwe->group.last_arrival_us, arrival_us);
          return;
        }
      else
        {
          detector_add_group (bwe, &bwe->group);
        }
    }
  bwe->group.first_send_us = send_us;
  bwe->group.last_send_us = send_us;
  bwe->group.last_arrival_us = arrival_us;
  bwe->have_group = TRUE;
}

/* ------------------------------------------------------------------ */
/* Rate controller                                                     */

static double
point_sigma_bps (const LatticeBwe *bwe)
{
  double sigma = CLAMP (sqrt (bwe->point_var), SIGMA_MIN, SIGMA_MAX);

  return sigma * bwe->point_bps;
}

/* The acknowledged rate when the link was last found congested: where the
 * capacity probably is. A point far below the average means the capacity
 * fell, and the average starts over from it. */
static void
add_congestion_point (LatticeBwe *bwe,
                      double      acked)
{
  double deviation;

  if (acked <= 0)
    return;
  if (!bwe->have_point || acked < bwe->point_bps - NEAR_SIGMAS * point_sigma_bps (bwe))
    {
      bwe->point_bps = acked;
      bwe->point_var = 0;
      bwe->have_point = TRUE;
      return;
    }
  bwe->point_bps = (1 - POINT_WEIGHT) * bwe->point_bps + POINT_WEIGHT * acked;
  deviation = (acked - bwe->point_bps) / bwe->point_bps;
  bwe->point_var = (1 - POINT_WEIGHT) * bwe->point_var + POINT_WEIGHT * deviation * deviation;
}

/* Bits of one packet at @rate: a frame at FRAME_RATE, up to a full packet.
 * Flows through one bottleneck above that rate then increase by the same
 * amount, which is what makes them converge to equal shares. */
static double
packet_bits (double rate)
{
  return MIN (rate / FRAME_RATE, MAX_PACKET_BITS);
}

static void
increase (LatticeBwe *bwe,
          gint64      now_us,
          gint64      dt_us,
          double      acked)
{
  double cap, dt = dt_us / 1e6, eta;

  if (acked <= 0)
    return;  /* no idea of what gets through: no reason to ask for more */
  /* what the sender wants next may be tried even above that: a layered
   * sender's next rung can cost three times what it sends now */
  cap = MAX (ACKED_CAP_RATIO * acked + ACKED_CAP_EXTRA, bwe->wanted_bps);
  if (bwe->rate >= cap)
    return;

  if (bwe->have_point && bwe->rate > bwe->point_bps + NEAR_SIGMAS * point_sigma_bps (bwe))
    bwe->have_point = FALSE;  /* well past it: the link has grown, forget it */

  if (bwe->have_point && bwe->rate >= bwe->point_bps - NEAR_SIGMAS * point_sigma_bps (bwe))
    {
      /* near the last congestion: half a packet more per response time */
      bwe->ramp_start_us = -1;
      bwe->rate += dt * ADDITIVE_PACKETS * packet_bits (bwe->rate) * G_USEC_PER_SEC / response_time_us (bwe);
    }
  else if (bwe->have_point)
    {
      /* recovering towards a known congestion point */
      bwe->ramp_start_us = -1;
      bwe->rate *= pow (1 + ETA, dt);
    }
  else
    {
      /* nothing known above: ramp up, faster the longer it goes well */
      if (bwe->ramp_start_us < 0)
        bwe->ramp_start_us = now_us;
      eta = MIN (ETA_MAX, ETA + ETA_ACCEL * (now_us - bwe->ramp_start_us) / 1e6);
      bwe->rate *= pow (1 + eta, dt);
    }
  bwe->rate = MIN (bwe->rate, cap);
}

static void
decrease (LatticeBwe *bwe,
          gint64      now_us,
          double      acked)
{
  gboolean first = bwe->state != LATTICE_BWE_DECREASE;

  bwe->state = LATTICE_BWE_DECREASE;
  bwe->ramp_start_us = -1;
  /* While overuse lasts, once per response time: sooner, the acknowledged
   * rate still shows what was sent before the last decrease, or already
   * shows that decrease itself (which would compound). */
  if (!first && now_us - bwe->last_decrease_us < response_time_us (bwe))
    return;
  bwe->last_decrease_us = now_us;
  if (acked > 0)
    {
      if (first)
        add_congestion_point (bwe, acked);
      /* of what got through, not of the estimate */
      bwe->rate = MIN (bwe->rate, BETA * acked);
    }
  else
    {
      bwe->rate *= BETA;
    }
}

static void
rate_control (LatticeBwe *bwe,
              gint64      now_us,
              Signal      signal)
{
  gint64 dt_us = bwe->have_update ? CLAMP (now_us - bwe->last_update_us, 0, MAX_UPDATE_US) : 0;
  double acked = acked_bps (bwe);

  bwe->last_update_us = now_us;
  bwe->have_update = TRUE;

  switch (signal)
    {
    case SIGNAL_OVERUSE:
      decrease (bwe, now_us, acked);
      break;
    case SIGNAL_UNDERUSE:
      /* the queue drains: let it, at the current rate */
      bwe->state = LATTICE_BWE_HOLD;
      bwe->ramp_start_us = -1;
      break;
    case SIGNAL_NORMAL:
    default:
      if (bwe->state == LATTICE_BWE_DECREASE)
        bwe->state = LATTICE_BWE_HOLD;
      else if (bwe->state == LATTICE_BWE_HOLD)
        bwe->state = LATTICE_BWE_INCREASE;
      if (bwe->state == LATTICE_BWE_INCREASE)
        increase (bwe, now_us, dt_us, acked);
      break;
    }
  /* the loss-based ceiling holds the rate controller down too, so that
   * when it lifts the rate climbs from there, not from before */
  bwe->rate = MIN (bwe->rate, bwe->loss_cap);
}

/* ------------------------------------------------------------------ */
/* Loss-based control                                                  */

static void
loss_control (LatticeBwe *bwe,
              gint64      now_us,
              double      fraction)
{
  bwe->loss = fraction;
  if (fraction > LOSS_HIGH)
    {
      if (bwe->have_loss_decrease && now_us - bwe->last_loss_decrease_us < response_time_us (bwe))
        return;  /* the last decrease has not had time to show */
      add_congestion_point (bwe, acked_bps (bwe));
      bwe->loss_cap = bwe->target * (1 - 0.5 * fraction);
      bwe->rate = MIN (bwe->rate, bwe->loss_cap);
      bwe->state = LATTICE_BWE_DECREASE;
      bwe->ramp_start_us = -1;
      bwe->last_loss_decrease_us = now_us;
      bwe->have_loss_decrease = TRUE;
    }
  else if (fraction >= LOSS_LOW)
    {
      bwe->loss_cap = bwe->target;  /* hold: no higher than now */
    }
  else
    {
      bwe->loss_cap = bwe->max_bps;
    }
}

static void
loss_window_add (LatticeBwe *bwe,
                 gint64      now_us,
                 guint       received,
                 guint       lost)
{
  if (!bwe->window_open)
    {
      bwe->window_open = TRUE;
      bwe->window_start_us = now_us;
      bwe->window_received = 0;
      bwe->window_lost = 0;
    }
  bwe->window_received += received;
  bwe->window_lost += lost;
}

static void
loss_window_close (LatticeBwe *bwe,
                   gint64      now_us)
{
  guint total = bwe->window_received + bwe->window_lost;
  gint64 span = now_us - bwe->window_start_us;

  if (!bwe->window_open || total == 0)
    return;
  if (span < 0)
    span = LOSS_MAX_US;  /* the clock went back: close it */
  if (!((total >= LOSS_MIN_PACKETS && span >= LOSS_MIN_US) || span >= LOSS_MAX_US))
    return;
  bwe->window_open = FALSE;
  loss_control (bwe, now_us, (double) bwe->window_lost / total);
}

/* ------------------------------------------------------------------ */
/* Feedback                                                            */

static gint64
unwrap_seq (LatticeBwe *bwe,
            guint16     seq)
{
  gint64 unwrapped;

  if (!bwe->have_seq)
    {
      /* far from zero, so that earlier packets still unwrap to >= 0 */
      bwe->max_seq = seq + (G_GINT64_CONSTANT (1) << 32);
      bwe->have_seq = TRUE;
      return bwe->max_seq;
    }
  unwrapped = bwe->max_seq + (gint16) (guint16) (seq - (guint16) bwe->max_seq);
  if (unwrapped > bwe->max_seq)
    bwe->max_seq = unwrapped;
  return unwrapped;
}

static void
end_outage (LatticeBwe *bwe,
            gint64      now_us)
{
  if (!bwe->outage)
    return;
  g_debug ("bwe: outage over, resuming at %.0f bit/s", bwe->target);
  bwe->outage = FALSE;
  /* the estimate resumes as it was; the filter starts over, and the time
   * without feedback earns no increase */
  detector_restart (bwe);
  bwe->state = LATTICE_BWE_HOLD;
  bwe->ramp_start_us = -1;
  bwe->last_update_us = now_us;
}

/* A received packet after a run of losses decides what the run was: a few
 * packets dropped by a queue, which count, or an outage, which does not. */
static gboolean
run_is_outage (LatticeBwe *bwe)
{
  return bwe->run_last_send_us - bwe->run_first_send_us >= BLACKOUT_US &&
         bwe->run_count >= BLACKOUT_PACKETS;
}

static void
resolve_run (LatticeBwe *bwe,
             gint64      now_us)
{
  if (bwe->run_count == 0)
    return;
  if (!run_is_outage (bwe))
    loss_window_add (bwe, now_us, 0, bwe->run_count);
  bwe->run_count = 0;
  bwe->run_id++;
}

static void
on_lost (LatticeBwe *bwe,
         Slot       *slot,
         gint64      seq,
         gint64      send_us)
{
  if (bwe->run_count == 0)
    {
      bwe->run_first_send_us = send_us;
      bwe->run_last_send_us = send_us;
      bwe->run_max_seq = seq;
    }
  bwe->run_count++;
  bwe->run_first_send_us = MIN (bwe->run_first_send_us, send_us);
  bwe->run_last_send_us = MAX (bwe->run_last_send_us, send_us);
  bwe->run_max_seq = MAX (bwe->run_max_seq, seq);
  slot->run = bwe->run_id;
  if (run_is_outage (bwe) && !bwe->outage)
    {
      g_debug ("bwe: outage, every packet lost for %" G_GINT64_FORMAT " ms",
               (bwe->run_last_send_us - bwe->run_first_send_us) / 1000);
      bwe->outage = TRUE;
    }
}

static void
on_received (LatticeBwe             *bwe,
             gint64                  now_us,
             gint64                  seq,
             const LatticeBwePacket *packet)
{
  if (bwe->run_count > 0 && seq > bwe->run_max_seq)
    resolve_run (bwe, now_us);
  end_outage (bwe, now_us);
  loss_window_add (bwe, now_us, 1, 0);
  acked_add (bwe, packet->arrival_us, packet->size);
  detector_add_packet (bwe, packet->send_us, packet->arrival_us);
}

/* A packet reported lost, and now received after all (reordered further
 * than the receiver waited, or reports out of order). */
static void
on_late (LatticeBwe *bwe,
         gint64      now_us,
         Slot       *slot)
{
  if (bwe->run_count > 0 && slot->run == bwe->run_id)
    bwe->run_count--;
  else if (bwe->window_open && bwe->window_lost > 0)
    bwe->window_lost--;
  loss_window_add (bwe, now_us, 1, 0);
}

void
lattice_bwe_on_feedback (LatticeBwe             *bwe,
                         gint64                  now_us,
                         const LatticeBwePacket *packets,
                         guint                   n_packets)
{
  gboolean any_received = FALSE;

  g_return_if_fail (bwe != NULL);
  g_return_if_fail (packets != NULL || n_packets == 0);

  if (n_packets == 0)
    return;  /* says nothing, not even that the path works */
  now_us = clamp_time (now_us);
  bwe->feedback_seen = TRUE;
  bwe->last_feedback_us = now_us;
  bwe->overused = FALSE;

  for (guint i = 0; i < n_packets; i++)
    {
      LatticeBwePacket packet = packets[i];
      gint64 seq = unwrap_seq (bwe, packet.seq);
      Slot *slot = &bwe->history[seq & (HISTORY - 1)];
      gboolean lost = packet.arrival_us < 0;

      packet.send_us = clamp_time (packet.send_us);
      packet.arrival_us = clamp_time (packet.arrival_us);

      if (seq <= bwe->max_seq - HISTORY)
        continue;  /* too old to tell whether it was seen */
      if (slot->state != SLOT_EMPTY && slot->seq == seq)
        {
          if (slot->state == SLOT_LOST && !lost)
            {
              slot->state = SLOT_RECEIVED;
              on_late (bwe, now_us, slot);
              any_received = TRUE;
            }
          continue;  /* a duplicate */
        }
      slot->seq = seq;
      if (lost)
        {
          slot->state = SLOT_LOST;
          on_lost (bwe, slot, seq, packet.send_us);
        }
      else
        {
          slot->state = SLOT_RECEIVED;
          on_received (bwe, now_us, seq, &packet);
          any_received = TRUE;
        }
    }

  if (bwe->outage)
    return;
  if (any_received)
    rate_control (bwe, now_us, bwe->overused ? SIGNAL_OVERUSE : bwe->signal);
  else
    bwe->last_update_us = now_us;  /* no news earns no increase */
  loss_window_close (bwe, now_us);
  update_target (bwe);
}

void
lattice_bwe_on_receiver_report (LatticeBwe *bwe,
                                gint64      now_us,
                                double      fraction_lost,
                                gint64      rtt_us)
{
  gint64 dt_us;

  g_return_if_fail (bwe != NULL);

  now_us = clamp_time (now_us);
  if (rtt_us >= 0)
    bwe->rtt_us = MIN (rtt_us, 10 * G_USEC_PER_SEC);
  if (bwe->feedback_seen || !(fraction_lost >= 0 && fraction_lost <= 1))
    return;  /* counted from the feedback already; or nonsense (NaN too) */

  /* No transport-wide feedback: receiver reports are all there is. */
  dt_us = bwe->have_rr ? now_us - bwe->last_rr_us : G_USEC_PER_SEC;
  bwe->last_rr_us = now_us;
  bwe->have_rr = TRUE;
  if (dt_us < LOSS_MIN_US)
    return;  /* reports closer than that are repeats */
  loss_control (bwe, now_us, fraction_lost);
  if (fraction_lost < LOSS_LOW)
    {
      bwe->rate *= RR_INCREASE;
      bwe->state = LATTICE_BWE_INCREASE;
    }
  else if (fraction_lost <= LOSS_HIGH)
    {
      bwe->state = LATTICE_BWE_HOLD;
    }
  update_target (bwe);
}

void
lattice_bwe_on_tick (LatticeBwe *bwe,
                     gint64      now_us)
{
  g_return_if_fail (bwe != NULL);

  if (!bwe->feedback_seen || bwe->outage)
    return;
  now_us = clamp_time (now_us);
  if (now_us < bwe->last_feedback_us)
    bwe->last_feedback_us = now_us;  /* the clock went back */
  if (now_us - bwe->last_feedback_us > FEEDBACK_TIMEOUT_US)
    {
      g_debug ("bwe: outage, no feedback for %" G_GINT64_FORMAT " ms",
               (now_us - bwe->last_feedback_us) / 1000);
      bwe->outage = TRUE;
    }
}

/* ------------------------------------------------------------------ */
/* Life cycle, limits, status                                          */

static void
apply_limits (LatticeBwe *bwe,
              guint       min_bps,
              guint       max_bps)
{
  bwe->min_bps = MAX (min_bps, MIN_BPS_FLOOR);
  bwe->max_bps = MAX ((double) max_bps, bwe->min_bps);
}

LatticeBwe *
lattice_bwe_new (guint start_bps,
                 guint min_bps,
                 guint max_bps)
{
  LatticeBwe *bwe = g_new0 (LatticeBwe, 1);

  apply_limits (bwe, min_bps, max_bps);
  bwe->rate = CLAMP ((double) start_bps, bwe->min_bps, bwe->max_bps);
  bwe->loss_cap = bwe->max_bps;
  bwe->threshold = THRESHOLD_INITIAL;
  bwe->signal = SIGNAL_NORMAL;
  bwe->state = LATTICE_BWE_INCREASE;
  bwe->ramp_start_us = -1;
  bwe->rtt_us = -1;
  acked_reset (bwe);
  detector_restart (bwe);
  update_target (bwe);
  return bwe;
}

void
lattice_bwe_free (LatticeBwe *bwe)
{
  g_free (bwe);
}

void
lattice_bwe_set_limits (LatticeBwe *bwe,
                        guint       min_bps,
                        guint       max_bps)
{
  g_return_if_fail (bwe != NULL);

  if (bwe->loss_cap >= bwe->max_bps)
    bwe->loss_cap = G_MAXUINT;  /* not limiting: stays so under the new max */
  apply_limits (bwe, min_bps, max_bps);
  update_target (bwe);
}

guint
lattice_bwe_get_target (LatticeBwe *bwe)
{
  g_return_val_if_fail (bwe != NULL, 0);

  return (guint) bwe->target;
}

void
lattice_bwe_get_status (LatticeBwe       *bwe,
                        LatticeBweStatus *status)
{
  g_return_if_fail (bwe != NULL);
  g_return_if_fail (status != NULL);

  status->target_bps = (guint) bwe->target;
  status->delay_bps = (guint) bwe->rate;
  status->loss_bps = (guint) bwe->loss_cap;
  status->acked_bps = (guint) MIN (acked_bps (bwe), G_MAXUINT);
  status->loss = bwe->loss;
  status->trend = bwe->trend;
  status->threshold = bwe->threshold;
  status->rtt_us = bwe->rtt_us;
  status->state = bwe->state;
  status->outage = bwe->outage;
}

void
lattice_bwe_set_wanted (LatticeBwe *bwe,
                        guint       wanted_bps)
{
  g_return_if_fail (bwe != NULL);

  bwe->wanted_bps = MIN ((double) wanted_bps, bwe->max_bps);
}
