/* lattice-bwe.h: bandwidth estimation and congestion control for one peer connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One LatticeBwe per peer connection estimates the bit rate the path to
 * that peer carries without building a queue, from transport-wide feedback
 * (which packet arrived when, by the receiver's clock) and RTCP receiver
 * reports. It follows draft-ietf-rmcat-gcc-02 ("GCC") and the papers on
 * it: a delay-based and a loss-based estimate, the target being the
 * smaller. GLib only; the caller feeds it and reads the target.
 *
 * Delay-based detection. Packets sent within 5 ms of the first of a group
 * form one group (BURST_US): a frame leaves webrtcbin as a burst, there is
 * no pacer, and what the bottleneck does to the packets of one burst says
 * nothing about the queue before it. For consecutive groups the delay
 * variation is d = (arrival of the last packet - arrival of the one before)
 * - (the same for send times); clock origins cancel. The d accumulate into
 * the one-way delay relative to the first group, smoothed per group with
 * weight 0.9 on the past (SMOOTHING, about 10 groups, which takes out most
 * of the sawtooth unpaced frames draw). The trend is the least-squares
 * slope of the smoothed delay over the arrival time of the last 30 groups
 * (TREND_WINDOW, about 0.4 s with 30 frames and 50 audio packets a second;
 * trusted from 10 groups on), in ms of delay per s: how fast the queue grows, (sending rate / capacity
 * - 1) × 1000, so a 2 % overload shows as 20 ms/s. 30 groups was chosen in
 * simulation: with 20, unpaced frames at 15 fps through a 400 kbit/s link
 * gave a trend noisy by ±20 ms/s and false back-offs down to 56 % of the
 * capacity; with 40, detection lagged and queues grew in the jittery case.
 *
 * The overuse threshold adapts (the draft's reason: a fixed one is either
 * too sensitive to jitter and other flows' queues, and starves, or too
 * dull). It starts at 40 ms/s and stays within [15, 400]: 15 is about the
 * trend's noise from unpaced frames at low rates, and past 400 (a queue
 * growing 0.4 s a second) a threshold would only hide overuse. While the trend is above
 * it, it rises towards the trend at 4 per s (a time constant of 0.25 s),
 * so sustained noise stops counting as overuse; below, it decays at 0.2
 * per s (5 s), so a quiet path becomes sensitive again, slowly. A trend
 * more than 100 ms/s above it does not move it (that is real overuse, not
 * noise), nor does a falling trend: the drain after a back-off is no noise,
 * and learning from it would hide the next overuse. Overuse is a trend
 * above the threshold for 100 ms and two groups, and not falling (with
 * 20 ms, the jitter of a long path, 40 ± 10 ms, often looked like it);
 * underuse,
 * a trend below minus the threshold; anything else is normal.
 *
 * Rate control. Overuse: decrease, to 0.85 × the acknowledged rate (BETA,
 * the draft's value; the bit rate the receiver measured over the last
 * 0.5 s, which during overuse is what the bottleneck delivers, so the queue
 * drains at 15 % of the capacity). While overuse lasts the decrease is
 * repeated at most once per response time (RTT + 100 ms; RTT 200 ms until
 * a receiver report tells), by when the acknowledged rate has caught up
 * with the last one; sooner, it would compound. Underuse:
 * hold, and let the queue drain. Normal: after a decrease hold once, then
 * increase. The acknowledged rate at the first decrease of each overuse is
 * a congestion point: their average (weight 0.05 for a new one) and
 * relative deviation σ, bounded to [2.5 %, 10 %], say where the
 * capacity was. Within 3 σ of that average the increase is additive,
 * half a packet more per response time (a packet being a frame at 30 fps,
 * at most 1200 bytes: about 24 kbit/s per s at 100 ms RTT); being the
 * same for every flow above 290 kbit/s, it makes flows sharing a bottleneck
 * converge towards equal shares. Below, the increase is multiplicative,
 * 8 % per s (the draft's), up to the point. With no point known (the start,
 * or the rate went 3 σ past it: the path grew), it is multiplicative
 * and accelerating: 8 % per s, plus 8 % per s for every second it goes on
 * without a hold or a decrease, up to 30 % per s. At 8 % per s alone,
 * going from 300 kbit/s to 1.6 Mbit/s takes 22 s, and in the simulation
 * following a link grown from 0.5 to 2 Mbit/s up to 1.5 Mbit/s took
 * 15.6 s; accelerating, 7.6 s and 7 to 9 s. An increase
 * never takes the rate above 1.5 × the acknowledged rate + 10 kbit/s (the
 * draft's 1.5; 10 kbit/s so that a sender of only audio is not stuck): a
 * sender using less than it may (application-limited) does not let the
 * estimate run away. The acknowledged rate is unknown until its window
 * spans 150 ms: no increase then, and a decrease is 0.85 × the estimate.
 * No increase is credited for more than 1 s between updates.
 *
 * Loss-based control. Packets reported received or lost add to a window,
 * which closes once it holds 100 packets over at least 200 ms, or after
 * 1 s. 100 packets: with 3 % random loss a window shows more than 10 %
 * once in 5000, so loss that is not congestion does not take the rate
 * down. Under 2 % lost, loss does not limit the target; from 2 to 10 %, it
 * holds it (the ceiling is the target then); over 10 %, the ceiling is the
 * target × (1 - loss / 2), at most once per response time, and the
 * delay-based estimate follows it down, so that when the ceiling lifts the
 * rate climbs from there, additively near the congestion point then noted.
 * Receiver reports give the RTT; their loss counts only on a connection
 * that never had transport-wide feedback (it counts the same losses, more
 * coarsely), and there it also raises the rate 5 % per report under 2 %.
 *
 * Outages are not congestion. Once feedback has been seen, none for 1 s
 * is an outage; so is a run of at least 20 consecutive losses spanning
 * 300 ms of send time (a drop-tail queue in front of a slow link drops
 * runs too, but lets packets through between them: at a low packet rate,
 * a few seconds' worth of video of a small layer, a short run alone spans
 * 300 ms, so the count matters; only a dead link loses everything).
 * During one nothing changes (the estimate holds; status.outage says so);
 * it ends with the first packet reported received, the estimate resuming
 * where it was, the delay filter starting over and no increase credited
 * for the outage. Runs that long are not counted as loss, then or when
 * reported later; shorter ones are, once the next received packet closes
 * them. Every packet counts once: the last 4096 sequence numbers (unwrapped
 * from 16 bits) are remembered, a duplicate is dropped, and a packet first
 * reported lost then received moves from lost to received. Groups that
 * arrive before the one before them (reordering) are skipped; a send gap
 * over 1 s or a delay jump over 2 s (a clock jump) restarts the filter.
 *
 * Limitations: random loss of 2-10 % holds the target (as in the draft),
 * so on such a link the rate climbs only when a window happens to show
 * less: in the simulation, with 3 % random loss, from 300 kbit/s to
 * 1.6 Mbit/s in 15 to 32 s instead of 7.6. At
 * low rates unpaced frames make the trend noisy, and the odd false
 * back-off costs a few seconds at 60-80 % of the capacity. Flows sharing a
 * bottleneck converge to equal shares slowly. Competition with loss-based
 * TCP flows is not simulated. Without transport-wide feedback there is no
 * acknowledged rate, so no cap on increases. A sender that stops sending
 * for over 1 s shows as an outage (the estimator does not see what is
 * sent). Sizes are what the caller passes: payload bytes give payload
 * rates, headers (about 50 bytes a packet) uncounted.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _LatticeBwe LatticeBwe;

/* What transport-wide feedback says of one packet. Times are microseconds;
 * only differences are used, so either clock may start anywhere. */
typedef struct {
  guint16 seq;         /* transport-wide sequence number (the transport-cc extension) */
  gint64  send_us;     /* sender's clock when the packet left (TWCC "local-ts" / 1000) */
  gint64  arrival_us;  /* receiver's clock on arrival (TWCC "remote-ts" / 1000), any
                        * origin; LATTICE_BWE_LOST (any negative value) if lost */
  guint   size;        /* bytes counted for rates: RTP payload, or payload + headers if
                        * the rates should be wire rates; the target is in the same unit */
} LatticeBwePacket;

#define LATTICE_BWE_LOST ((gint64) -1)

/* What the rate controller did last. */
typedef enum {
  LATTICE_BWE_INCREASE,
  LATTICE_BWE_HOLD,
  LATTICE_BWE_DECREASE,
} LatticeBweState;

typedef struct {
  guint           target_bps;  /* what the sender should use, in [min, max] */
  guint           delay_bps;   /* delay-based estimate (the rate controller's) */
  guint           loss_bps;    /* loss-based ceiling; max when loss does not limit */
  guint           acked_bps;   /* rate the receiver measured over the last 0.5 s; 0 unknown */
  double          loss;        /* lost fraction of the last closed loss window, 0..1 */
  double          trend;       /* queueing delay growth, ms per s (> 0: a queue builds) */
  double          threshold;   /* the trend above which the link counts as overused */
  gint64          rtt_us;      /* last round-trip time from receiver reports, -1 unknown */
  LatticeBweState state;
  gboolean        outage;      /* no feedback, or only losses, for a while: holding */
} LatticeBweStatus;

/* Rates in bit/s. @min_bps is raised to 10 kbit/s at least, @max_bps to @min_bps
 * at least; @start_bps is clamped into [min, max]. */
LatticeBwe *lattice_bwe_new                 (guint             start_bps,
                                             guint             min_bps,
                                             guint             max_bps);
void        lattice_bwe_free                (LatticeBwe       *bwe);

/* One transport-wide feedback report: the packets it covers, in the order it
 * lists them. @now_us: the caller's monotonic clock (g_get_monotonic_time ()),
 * the same one for every call. Duplicates of packets already reported are
 * ignored, so reports may be repeated or arrive out of order. */
void        lattice_bwe_on_feedback         (LatticeBwe             *bwe,
                                             gint64                  now_us,
                                             const LatticeBwePacket *packets,
                                             guint                   n_packets);
/* An RTCP receiver report: @fraction_lost in 0..1 (the report's byte / 256),
 * @rtt_us -1 when unknown. Its loss drives the rate only while no
 * transport-wide feedback has ever been seen (the same losses are counted
 * more precisely from that feedback); its RTT always sets the response time. */
void        lattice_bwe_on_receiver_report  (LatticeBwe       *bwe,
                                             gint64            now_us,
                                             double            fraction_lost,
                                             gint64            rtt_us);
/* Call about every 100 ms: notices that feedback stopped (an outage). The
 * estimate never rises without feedback. */
void        lattice_bwe_on_tick             (LatticeBwe       *bwe,
                                             gint64            now_us);

guint       lattice_bwe_get_target          (LatticeBwe       *bwe);
void        lattice_bwe_get_status          (LatticeBwe       *bwe,
                                             LatticeBweStatus *status);
/* @max_bps: the most the sender could use (all its layers at their best). */
void        lattice_bwe_set_limits          (LatticeBwe       *bwe,
                                             guint             min_bps,
                                             guint             max_bps);

/* What the sender would use next if the estimate allowed it (0: nothing
 * more). Increases stop at 1.5 × the acknowledged rate + 10 kbit/s (an
 * application-limited sender learns nothing above what it sends), or at
 * this, whichever is higher: a sender whose rates come in steps (video
 * layers) could otherwise never estimate the next step when it costs
 * more than that. Overuse still backs the estimate off as always. */
void        lattice_bwe_set_wanted          (LatticeBwe       *bwe,
                                             guint             wanted_bps);

const char *lattice_bwe_state_to_string     (LatticeBweState   state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LatticeBwe, lattice_bwe_free)

G_END_DECLS
