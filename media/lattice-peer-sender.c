/* lattice-peer-sender.c: what one peer connection sends, and how fast
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <gst/video/video.h>

#include "lattice-bwe.h"
#include "lattice-media-private.h"
#include "lattice-peer-sender.h"
#include "lattice-vp8-layers.h"

/* The estimate starts at what the full layer needs, and may go this far
 * above it (retransmissions and packet headers ride on top of the
 * encoder's rate). */
#define MAX_OVER_NOMINAL   1.3
#define MIN_ESTIMATE_BPS   30000
/* The estimate covers the audio too (its packets carry transport-wide
 * sequence numbers): room for it above the video's most. */
#define AUDIO_ALLOWANCE_BPS 64000
/* A higher layer is taken when it costs at most UP_HEADROOM of the
 * estimate; the current one is left only when it costs more than
 * DOWN_TOLERANCE of it. What the encoders produce swings around their
 * target, and the estimate around the link's rate (random loss, jitter):
 * without the gap between the two, a layer on the edge flaps. */
#define UP_HEADROOM        0.9
#define DOWN_TOLERANCE     1.1
/* Up a layer only after the estimate has allowed it this long, and not
 * within a back-off of going down: a flapping layer is worse than a steady
 * lower one. Down is at once. A step up that the link took back within
 * FAILED_UP_US doubles the back-off (from UP_AFTER_DOWN_US up to
 * MAX_UP_AFTER_DOWN_US); a layer kept for STABLE_US resets it. */
#define UP_HOLD_US           (1 * G_USEC_PER_SEC)
#define UP_AFTER_DOWN_US     (3 * G_USEC_PER_SEC)
#define MAX_UP_AFTER_DOWN_US (60 * G_USEC_PER_SEC)
#define FAILED_UP_US         (5 * G_USEC_PER_SEC)
#define STABLE_US            (30 * G_USEC_PER_SEC)
/* With no video at all there is no feedback to say the link got better:
 * try the lowest layer again after this long, doubling up to the max. */
#define NO_VIDEO_RETRY_US      (8 * G_USEC_PER_SEC)
#define NO_VIDEO_RETRY_MAX_US  (64 * G_USEC_PER_SEC)
/* encode-per-peer: the encoder's bitrate follows the estimate, within
 * these bounds, changed only when it moves by more than DEAD_BAND. */
#define PER_PEER_MIN_BPS   50000
/* The audio's rate, from the feedback's packets: reports spanning at least
 * this much, smoothed over about ten of them. */
#define AUDIO_SPAN_MIN_US  (20 * G_TIME_SPAN_MILLISECOND)
#define AUDIO_SMOOTHING    0.1
#define DEAD_BAND          0.05

struct _LatticePeerSender {
  char              *peer_id;
  guint              nominal_bps;

  GMutex             lock;         /* bwe, loss, rtt, feedback_reports: the feedback probe's thread */
  LatticeBwe        *bwe;
  double             audio_bps;    /* the audio's share of what the estimate covers */
  double             loss;
  gint64             rtt_us;
  guint64            feedback_reports;

  GstElement        *selector;     /* layered */
  GstElement        *encoder;      /* encode-per-peer */
  guint              encoder_bps;
  gboolean           with_low;

  /* Layer choice; main context. */
  LatticeVideoLayer  max_layer;    /* the most the receiver wants */
  gboolean           receiver_capped; /* the layer is below the estimate's for the receiver's sake */
  LatticeVideoLayer  layer;
  gint64             up_since_us;  /* when the estimate first allowed a higher layer, or 0 */
  gint64             last_down_us;
  gint64             last_up_us;
  gint64             last_change_us;
  gint64             up_backoff_us;
  gint64             no_video_since_us;
  gint64             no_video_retry_us;
};

LatticePeerSender *
lattice_peer_sender_new (const char *peer_id,
                         guint       nominal_bps)
{
  LatticePeerSender *self = g_new0 (LatticePeerSender, 1);

  self->peer_id = g_strdup (peer_id);
  self->nominal_bps = MAX (nominal_bps, MIN_ESTIMATE_BPS);
  g_mutex_init (&self->lock);
  /* Start where the full layer fits: a slower link shows within a second
   * or two, and every peer meanwhile gets the picture it would get anyway. */
  self->bwe = lattice_bwe_new ((guint) (self->nominal_bps * MAX_OVER_NOMINAL) + AUDIO_ALLOWANCE_BPS,
                               MIN_ESTIMATE_BPS,
                               (guint) (self->nominal_bps * MAX_OVER_NOMINAL) + AUDIO_ALLOWANCE_BPS);
  self->rtt_us = -1;
  self->layer = LATTICE_VIDEO_LAYER_FULL;
  self->max_layer = LATTICE_VIDEO_LAYER_LAST;
  self->no_video_retry_us = NO_VIDEO_RETRY_US;
  self->up_backoff_us = UP_AFTER_DOWN_US;
  return self;
}

void
lattice_peer_sender_free (LatticePeerSender *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->selector);
  g_clear_object (&self->encoder);
  g_clear_pointer (&self->bwe, lattice_bwe_free);
  g_mutex_clear (&self->lock);
  g_free (self->peer_id);
  g_free (self);
}

/* Transport-wide feedback. rtpsession parses the peer's transport-cc RTCP
 * and pushes what it learnt upstream from webrtcbin's sink pad as a custom
 * event; the payloader's src pad is where this peer's own chain sees it. */

static gboolean
read_feedback_packet (const GstStructure *s, LatticeBwePacket *packet, gboolean *audio)
{
  guint seqnum = 0, size = 0;
  guchar pt = 0;
  guint64 local_ts = GST_CLOCK_TIME_NONE, remote_ts = GST_CLOCK_TIME_NONE;
  gboolean lost = FALSE;

  if (!gst_structure_get (s, "seqnum", G_TYPE_UINT, &seqnum,
                          "local-ts", G_TYPE_UINT64, &local_ts,
                          "remote-ts", G_TYPE_UINT64, &remote_ts, NULL))
    return FALSE;
  gst_structure_get_uint (s, "size", &size);
  gst_structure_get_boolean (s, "lost", &lost);
  gst_structure_get (s, "payload-type", G_TYPE_UCHAR, &pt, NULL);
  *audio = pt == LATTICE_MEDIA_AUDIO_PAYLOAD;
  /* a packet sent before this connection's rtpsession knew it */
  if (!GST_CLOCK_TIME_IS_VALID (local_ts))
    return FALSE;
  packet->seq = (guint16) seqnum;
  packet->send_us = (gint64) (local_ts / GST_USECOND);
  packet->arrival_us = lost || !GST_CLOCK_TIME_IS_VALID (remote_ts) ? -1
                                                                     : (gint64) (remote_ts / GST_USECOND);
  packet->size = size;
  return TRUE;
}

static void
handle_feedback (LatticePeerSender *self, const GstStructure *s)
{
  const GValue *value = gst_structure_get_value (s, "packets");
  g_autoptr(GArray) packets = NULL;
  gint64 first_us = G_MAXINT64, last_us = G_MININT64;
  guint64 audio_bytes = 0;
  GValueArray *array;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (value == NULL || !G_VALUE_HOLDS (value, g_value_array_get_type ()) ||
      (array = g_value_get_boxed (value)) == NULL)
    return;
  packets = g_array_sized_new (FALSE, FALSE, sizeof (LatticeBwePacket), array->n_values);
  for (guint i = 0; i < array->n_values; i++)
    {
      const GValue *item = g_value_array_get_nth (array, i);
      LatticeBwePacket packet;
      gboolean audio = FALSE;

      if (GST_VALUE_HOLDS_STRUCTURE (item) &&
          read_feedback_packet (gst_value_get_structure (item), &packet, &audio))
        {
          g_array_append_val (packets, packet);
          if (audio && packet.arrival_us >= 0)
            audio_bytes += packet.size;
          first_us = MIN (first_us, packet.send_us);
          last_us = MAX (last_us, packet.send_us);
        }
    }
  G_GNUC_END_IGNORE_DEPRECATIONS

  g_mutex_lock (&self->lock);
  /* the estimate covers audio and video: audio's share is taken off
   * before layers are priced */
  if (last_us - first_us >= AUDIO_SPAN_MIN_US)
    self->audio_bps += AUDIO_SMOOTHING * (audio_bytes * 8.0 * G_USEC_PER_SEC / (last_us - first_us) -
                                          self->audio_bps);
  lattice_bwe_on_feedback (self->bwe, g_get_monotonic_time (),
                           (const LatticeBwePacket *) packets->data, packets->len);
  self->feedback_reports++;
  g_mutex_unlock (&self->lock);
}

static GstPadProbeReturn
on_upstream_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM ||
      (s = gst_event_get_structure (event)) == NULL ||
      !gst_structure_has_name (s, "RTPTWCCPackets"))
    return GST_PAD_PROBE_OK;
  handle_feedback (user_data, s);
  /* nothing upstream, least of all the shared encoders, needs it */
  return GST_PAD_PROBE_DROP;
}

/* Building. */

static GstElement *
make_payloader (void)
{
  GstElement *pay = lattice_media_make_element ("rtpvp8pay", NULL);

  g_object_set (pay, "pt", LATTICE_MEDIA_VIDEO_PAYLOAD, NULL);
  gst_util_set_object_arg (G_OBJECT (pay), "picture-id-mode", "15-bit");
  return pay;
}

static GstPad *
ghost (GstBin *bin, GstElement *element, const char *pad_name, const char *ghost_name)
{
  g_autoptr(GstPad) pad = gst_element_get_static_pad (element, pad_name);
  GstPad *ghost_pad = gst_ghost_pad_new (ghost_name, pad);

  gst_element_add_pad (GST_ELEMENT (bin), ghost_pad);
  return ghost_pad;
}

/* payloader → @webrtc_pad, after @first; the probe on the
 * payloader's src pad reads the feedback. */
static void
build_tail (LatticePeerSender *self, GstBin *bin, GstElement *first, GstPad *webrtc_pad)
{
  GstElement *pay = make_payloader ();
  g_autoptr(GstPad) pay_src = gst_element_get_static_pad (pay, "src");

  gst_bin_add (bin, pay);
  gst_element_link (first, pay);
  if (gst_pad_link (pay_src, webrtc_pad) != GST_PAD_LINK_OK)
    g_critical ("Could not link the video payloader for peer %s", self->peer_id);
  gst_pad_add_probe (pay_src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event, self, NULL);
}

static GstElement *
make_send_queue (void)
{
  GstElement *queue = lattice_media_make_element ("queue", NULL);

  /* A slow connection drops its own frames instead of stalling the
   * encoders every peer shares. */
  g_object_set (queue, "leaky", 2 /* downstream */,
                "max-size-buffers", 0, "max-size-bytes", 0,
                "max-size-time", 500 * GST_MSECOND, NULL);
  return queue;
}

void
lattice_peer_sender_build (LatticePeerSender  *self,
                           GstBin             *bin,
                           GstPad             *webrtc_pad,
                           gboolean            with_low,
                           GstPad            **full_pad,
                           GstPad            **low_pad)
{
  g_autofree char *name = g_strdup_printf ("layer-selector-%s", self->peer_id);

  self->selector = gst_object_ref_sink (lattice_layer_selector_new (name));
  self->with_low = with_low;
  gst_bin_add (bin, self->selector);
  /* No queue, no thread of its own: the encoder's thread payloads the
   * frames the selector lets through and hands them to webrtcbin, which
   * never blocks (its RTX sender and DTLS encoder queue, and the socket
   * drops rather than waits). */
  build_tail (self, bin, self->selector, webrtc_pad);
  *full_pad = ghost (bin, self->selector, "sink_full", "video_full_sink");
  *low_pad = with_low ? ghost (bin, self->selector, "sink_low", "video_low_sink") : NULL;
  lattice_layer_selector_set_target (LATTICE_LAYER_SELECTOR (self->selector), self->layer);
}

GstPad *
lattice_peer_sender_build_per_peer (LatticePeerSender *self,
                                    GstBin            *bin,
                                    GstPad            *webrtc_pad,
                                    GstElement        *encoder)
{
  GstElement *queue = make_send_queue ();

  self->encoder = gst_object_ref (encoder);
  g_object_get (encoder, "target-bitrate", &self->encoder_bps, NULL);
  gst_bin_add_many (bin, queue, encoder, NULL);
  gst_element_link (queue, encoder);
  build_tail (self, bin, encoder, webrtc_pad);
  return ghost (bin, queue, "sink", "video_sink");
}

/* Feedback from RTCP. */

void
lattice_peer_sender_on_receiver_report (LatticePeerSender *self,
                                        double             fraction_lost,
                                        gint64             rtt_us)
{
  g_mutex_lock (&self->lock);
  self->loss = fraction_lost;
  if (rtt_us >= 0)
    self->rtt_us = rtt_us;
  lattice_bwe_on_receiver_report (self->bwe, g_get_monotonic_time (), fraction_lost, rtt_us);
  g_mutex_unlock (&self->lock);
}

/* Layers. */

/* What @layer costs (bit/s) at the encoders' @rates; G_MAXUINT when the
 * layer does not exist (no low-resolution encoder). */
static guint
layer_cost (const LatticeEncoderRates *rates,
            LatticeVideoLayer          layer)
{
  guint base = lattice_video_layer_is_full (layer) ? rates->full_bps : rates->low_bps;

  if (layer == LATTICE_VIDEO_LAYER_NONE)
    return 0;
  if (base == 0)
    return G_MAXUINT;
  return (guint) (base * lattice_vp8_layers_share (lattice_video_layer_max_temporal (layer)));
}

/* The ladder a peer goes down as its link slows, best first. With a
 * low-resolution encoder, size goes before frame rate: a face in a small
 * tile keeps moving smoothly, and the low layer costs a third of the full
 * one, less than the full one at half rate; then the low one drops frames.
 * Without one, the full layer drops frames. A receiver's cap (@max, see
 * lattice_peer_sender_set_max_layer()) keeps what does not exceed it, and
 * the cap itself if it is not on the ladder. Returns the number of rungs;
 * below the last is no video. */
#define MAX_RUNGS 4

static gboolean
within (LatticeVideoLayer layer, LatticeVideoLayer max)
{
  gboolean full = lattice_video_layer_is_full (layer), max_full = lattice_video_layer_is_full (max);

  if (layer == max)
    return TRUE;
  if (full != max_full)
    return max_full;  /* a smaller picture is within a bigger one's cap */
  return lattice_video_layer_max_temporal (layer) <= lattice_video_layer_max_temporal (max);
}

static guint
build_ladder (const LatticeEncoderRates *rates, LatticeVideoLayer max, LatticeVideoLayer *ladder)
{
  static const LatticeVideoLayer with_low[] = { LATTICE_VIDEO_LAYER_FULL, LATTICE_VIDEO_LAYER_LOW,
                                                LATTICE_VIDEO_LAYER_LOW_HALF, LATTICE_VIDEO_LAYER_LOW_QUARTER };
  static const LatticeVideoLayer full_only[] = { LATTICE_VIDEO_LAYER_FULL, LATTICE_VIDEO_LAYER_FULL_HALF,
                                                 LATTICE_VIDEO_LAYER_FULL_QUARTER };
  const LatticeVideoLayer *base = rates->low_bps > 0 ? with_low : full_only;
  guint n_base = rates->low_bps > 0 ? G_N_ELEMENTS (with_low) : G_N_ELEMENTS (full_only);
  gboolean max_on_ladder = FALSE;
  guint n = 0;

  if (max == LATTICE_VIDEO_LAYER_NONE || rates->full_bps == 0)
    return 0;
  for (guint i = 0; i < n_base; i++)
    max_on_ladder |= base[i] == max;
  if (!max_on_ladder && layer_cost (rates, max) != G_MAXUINT)
    ladder[n++] = max;
  for (guint i = 0; i < n_base && n < MAX_RUNGS; i++)
    if (within (base[i], max) && (max_on_ladder || layer_cost (rates, base[i]) <
                                                   layer_cost (rates, max)))
      ladder[n++] = base[i];
  return n;
}

/* Where @layer is on @ladder; @n_rungs (no video) if not on it. */
static guint
rung_of (const LatticeVideoLayer *ladder, guint n_rungs, LatticeVideoLayer layer)
{
  for (guint i = 0; i < n_rungs; i++)
    if (ladder[i] == layer)
      return i;
  return n_rungs;
}

/* The best rung this estimate allows at these rates, given that @current
 * is the one sent now (see UP_HEADROOM). */
static guint
affordable_rung (const LatticeEncoderRates *rates, const LatticeVideoLayer *ladder, guint n_rungs,
                 guint current, guint estimate)
{
  for (guint i = 0; i < n_rungs; i++)
    {
      guint cost = layer_cost (rates, ladder[i]);
      double share = i >= current ? DOWN_TOLERANCE : UP_HEADROOM;

      if (cost != G_MAXUINT && cost <= estimate * share)
        return i;
    }
  return n_rungs;
}

/* How much a layer is, for telling up from down: the full picture over
 * the low one, then frame rate. */
static guint
layer_rank (LatticeVideoLayer layer)
{
  if (layer == LATTICE_VIDEO_LAYER_NONE)
    return 0;
  return 1 + (lattice_video_layer_is_full (layer) ? LATTICE_VP8_TEMPORAL_LAYERS : 0) +
         lattice_video_layer_max_temporal (layer);
}

static void
set_layer (LatticePeerSender *self, LatticeVideoLayer layer, gint64 now_us)
{
  if (layer == self->layer)
    return;
  g_debug ("Peer %s: video layer %s -> %s", self->peer_id,
           lattice_video_layer_to_string (self->layer), lattice_video_layer_to_string (layer));
  if (layer_rank (layer) < layer_rank (self->layer))
    {
      /* the link took back a step up: try again less often */
      if (self->last_up_us != 0 && now_us - self->last_up_us < FAILED_UP_US)
        self->up_backoff_us = MIN (self->up_backoff_us * 2, MAX_UP_AFTER_DOWN_US);
      self->last_down_us = now_us;
    }
  else
    self->last_up_us = now_us;
  self->last_change_us = now_us;
  if (layer == LATTICE_VIDEO_LAYER_NONE)
    self->no_video_since_us = now_us;
  self->layer = layer;
  self->up_since_us = 0;
  lattice_layer_selector_set_target (LATTICE_LAYER_SELECTOR (self->selector), layer);
}

/* What the next rung up costs, audio included (the estimate covers it),
 * with the headroom taking it needs; 0 at the top or with no video. */
static guint
next_rung_wanted (LatticePeerSender *self, const LatticeEncoderRates *rates, double audio_bps)
{
  LatticeVideoLayer ladder[MAX_RUNGS];
  guint n_rungs = build_ladder (rates, self->max_layer, ladder);
  guint current = rung_of (ladder, n_rungs, self->layer);
  guint cost;

  if (current == 0 || n_rungs == 0 || (cost = layer_cost (rates, ladder[current - 1])) == G_MAXUINT)
    return 0;
  return (guint) (cost / UP_HEADROOM + audio_bps);
}

static void
choose_layer (LatticePeerSender *self, gint64 now_us, const LatticeEncoderRates *rates, guint estimate)
{
  LatticeVideoLayer ladder[MAX_RUNGS];
  guint n_rungs = build_ladder (rates, self->max_layer, ladder);
  guint current = rung_of (ladder, n_rungs, self->layer);
  guint best;

  if (rates->full_bps == 0)
    return;
  /* what the receiver does not want is not probed for either */
  if (n_rungs == 0)
    {
      set_layer (self, LATTICE_VIDEO_LAYER_NONE, now_us);
      return;
    }
  best = affordable_rung (rates, ladder, n_rungs, current, estimate);
  if (best > current || (current == n_rungs && self->layer != LATTICE_VIDEO_LAYER_NONE))
    {
      set_layer (self, best < n_rungs ? ladder[best] : LATTICE_VIDEO_LAYER_NONE, now_us);
      return;
    }
  if (current == n_rungs && best == n_rungs)
    {
      /* no video, no feedback to say things got better: try now and then */
      if (now_us - self->no_video_since_us >= self->no_video_retry_us)
        {
          self->no_video_retry_us = MIN (self->no_video_retry_us * 2, NO_VIDEO_RETRY_MAX_US);
          set_layer (self, ladder[n_rungs - 1], now_us);
        }
      return;
    }
  if (best == current)
    {
      self->up_since_us = 0;
      if (now_us - self->last_change_us >= STABLE_US)
        self->up_backoff_us = UP_AFTER_DOWN_US;
      return;
    }
  /* The estimate was made at a higher layer the receiver no longer
   * wanted: back to what it allows at once, as when a tile grows. */
  if (self->receiver_capped)
    {
      self->receiver_capped = FALSE;
      set_layer (self, ladder[best], now_us);
      return;
    }
  if (self->up_since_us == 0)
    self->up_since_us = now_us;
  if (now_us - self->up_since_us >= UP_HOLD_US && now_us - self->last_down_us >= self->up_backoff_us)
    {
      /* one rung at a time: the estimate was made at the lower rate */
      set_layer (self, ladder[current - 1], now_us);
      self->no_video_retry_us = NO_VIDEO_RETRY_US;
    }
}

static void
follow_estimate (LatticePeerSender *self, guint estimate)
{
  guint bps = CLAMP (estimate, PER_PEER_MIN_BPS, self->nominal_bps);

  if (ABS ((double) bps - self->encoder_bps) <= DEAD_BAND * self->encoder_bps)
    return;
  self->encoder_bps = bps;
  g_object_set (self->encoder, "target-bitrate", (int) bps, NULL);
}

guint
lattice_peer_sender_update (LatticePeerSender *self,
                            gint64             now_us)
{
  LatticeBweStatus status;
  double audio_bps;
  guint estimate;

  g_mutex_lock (&self->lock);
  lattice_bwe_on_tick (self->bwe, now_us);
  lattice_bwe_get_status (self->bwe, &status);
  audio_bps = self->audio_bps;
  g_mutex_unlock (&self->lock);

  /* what is left for video */
  estimate = status.target_bps - (guint) MIN (audio_bps, status.target_bps);
  return estimate;
}

void
lattice_peer_sender_decide (LatticePeerSender         *self,
                            gint64                     now_us,
                            const LatticeEncoderRates *rates,
                            guint                      budget,
                            gboolean                   shared)
{
  guint wanted = 0;

  if (self->selector != NULL)
    {
      choose_layer (self, now_us, rates, budget);
      /* Let the estimate climb to the next rung even past what the
       * acknowledged rate vouches for: else a peer on the low layer could
       * never be estimated to afford the full one. Not on a shared
       * bottleneck, which is known to be the limit, and which every
       * connection trying at once would flood. */
      if (!shared)
        {
          double audio_bps;

          g_mutex_lock (&self->lock);
          audio_bps = self->audio_bps;
          g_mutex_unlock (&self->lock);
          wanted = next_rung_wanted (self, rates, audio_bps);
        }
    }
  else if (self->encoder != NULL)
    follow_estimate (self, budget);
  g_mutex_lock (&self->lock);
  lattice_bwe_set_wanted (self->bwe, wanted);
  g_mutex_unlock (&self->lock);
}

void
lattice_peer_sender_set_max_layer (LatticePeerSender *self,
                                   LatticeVideoLayer  layer)
{
  self->max_layer = MIN (layer, LATTICE_VIDEO_LAYER_LAST);
  if (self->selector != NULL && !within (self->layer, self->max_layer))
    {
      gint64 backoff = self->up_backoff_us;

      set_layer (self, self->max_layer, g_get_monotonic_time ());
      self->receiver_capped = TRUE;
      /* not the link's doing: going back up needs no wait */
      self->last_down_us = 0;
      self->up_backoff_us = backoff;
    }
}

void
lattice_peer_sender_request_keyframe (LatticePeerSender *self)
{
  if (self->selector != NULL)
    lattice_layer_selector_request_keyframe (LATTICE_LAYER_SELECTOR (self->selector));
  else if (self->encoder != NULL)
    gst_element_send_event (self->encoder,
                            gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
}

LatticeVideoLayer
lattice_peer_sender_get_layer (LatticePeerSender *self)
{
  if (self->selector == NULL)
    return self->encoder != NULL ? LATTICE_VIDEO_LAYER_FULL : LATTICE_VIDEO_LAYER_NONE;
  return lattice_layer_selector_get_current (LATTICE_LAYER_SELECTOR (self->selector));
}

void
lattice_peer_sender_get_stats (LatticePeerSender      *self,
                               LatticePeerSenderStats *stats)
{
  LatticeBweStatus status;

  memset (stats, 0, sizeof *stats);
  g_mutex_lock (&self->lock);
  lattice_bwe_get_status (self->bwe, &status);
  stats->estimate_bps = status.target_bps;
  stats->audio_bps = (guint) self->audio_bps;
  stats->acked_bps = status.acked_bps;
  /* what transport-wide feedback says, before repairs; the receiver
   * reports' loss after retransmissions otherwise */
  stats->loss = self->feedback_reports > 0 ? status.loss : self->loss;
  stats->rtt_us = self->rtt_us;
  stats->feedback_reports = self->feedback_reports;
  g_mutex_unlock (&self->lock);

  stats->layer = lattice_peer_sender_get_layer (self);
  if (self->selector != NULL)
    {
      LatticeLayerSelectorStats selector;

      lattice_layer_selector_get_stats (LATTICE_LAYER_SELECTOR (self->selector), &selector);
      stats->target = lattice_layer_selector_get_target (LATTICE_LAYER_SELECTOR (self->selector));
      stats->sent_bytes = selector.bytes;
      stats->keyframe_requests = selector.keyframe_requests;
    }
  else
    stats->target = stats->layer;
}
