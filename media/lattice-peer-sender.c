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
/* A layer is picked when it costs at most this share of the estimate:
 * what the encoders produce swings around their target. */
#define LAYER_HEADROOM     0.95
/* Up a layer only after the estimate has allowed it this long, and not
 * within UP_AFTER_DOWN_US of going down: a flapping layer is worse than a
 * steady lower one. Down is at once. */
#define UP_HOLD_US         (1 * G_USEC_PER_SEC)
#define UP_AFTER_DOWN_US   (3 * G_USEC_PER_SEC)
/* With no video at all there is no feedback to say the link got better:
 * try the lowest layer again after this long, doubling up to the max. */
#define NO_VIDEO_RETRY_US      (8 * G_USEC_PER_SEC)
#define NO_VIDEO_RETRY_MAX_US  (64 * G_USEC_PER_SEC)
/* encode-per-peer: the encoder's bitrate follows the estimate, within
 * these bounds, changed only when it moves by more than DEAD_BAND. */
#define PER_PEER_MIN_BPS   50000
#define DEAD_BAND          0.05

struct _LatticePeerSender {
  char              *peer_id;
  guint              nominal_bps;

  GMutex             lock;         /* bwe, loss, rtt, feedback_reports: the feedback probe's thread */
  LatticeBwe        *bwe;
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
  self->bwe = lattice_bwe_new ((guint) (self->nominal_bps * MAX_OVER_NOMINAL), MIN_ESTIMATE_BPS,
                               (guint) (self->nominal_bps * MAX_OVER_NOMINAL));
  self->rtt_us = -1;
  self->layer = LATTICE_VIDEO_LAYER_FULL;
  self->max_layer = LATTICE_VIDEO_LAYER_LAST;
  self->no_video_retry_us = NO_VIDEO_RETRY_US;
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
read_feedback_packet (const GstStructure *s, LatticeBwePacket *packet)
{
  guint seqnum = 0, size = 0;
  guint64 local_ts = GST_CLOCK_TIME_NONE, remote_ts = GST_CLOCK_TIME_NONE;
  gboolean lost = FALSE;

  if (!gst_structure_get (s, "seqnum", G_TYPE_UINT, &seqnum,
                          "local-ts", G_TYPE_UINT64, &local_ts,
                          "remote-ts", G_TYPE_UINT64, &remote_ts, NULL))
    return FALSE;
  gst_structure_get_uint (s, "size", &size);
  gst_structure_get_boolean (s, "lost", &lost);
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

      if (GST_VALUE_HOLDS_STRUCTURE (item) &&
          read_feedback_packet (gst_value_get_structure (item), &packet))
        g_array_append_val (packets, packet);
    }
  G_GNUC_END_IGNORE_DEPRECATIONS

  g_mutex_lock (&self->lock);
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

  g_object_set (pay, "pt", 96, NULL);
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

/* queue → payloader → @webrtc_pad, after @first; the probe on the
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
  GstElement *queue = make_send_queue ();

  self->selector = gst_object_ref_sink (lattice_layer_selector_new (name));
  self->with_low = with_low;
  gst_bin_add_many (bin, self->selector, queue, NULL);
  gst_element_link (self->selector, queue);
  build_tail (self, bin, queue, webrtc_pad);
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

guint
lattice_peer_sender_layer_cost (const LatticeEncoderRates *rates,
                                LatticeVideoLayer          layer)
{
  guint base = lattice_video_layer_is_full (layer) ? rates->full_bps : rates->low_bps;

  if (layer == LATTICE_VIDEO_LAYER_NONE)
    return 0;
  if (base == 0)
    return G_MAXUINT;
  return (guint) (base * lattice_vp8_layers_share (lattice_video_layer_max_temporal (layer)));
}

/* The most this estimate allows at these rates. */
static LatticeVideoLayer
affordable_layer (const LatticeEncoderRates *rates, guint estimate)
{
  for (int layer = LATTICE_VIDEO_LAYER_LAST; layer > LATTICE_VIDEO_LAYER_NONE; layer--)
    {
      guint cost = lattice_peer_sender_layer_cost (rates, layer);

      if (cost != G_MAXUINT && cost <= estimate * LAYER_HEADROOM)
        return layer;
    }
  return LATTICE_VIDEO_LAYER_NONE;
}

static void
set_layer (LatticePeerSender *self, LatticeVideoLayer layer, gint64 now_us)
{
  if (layer == self->layer)
    return;
  g_debug ("Peer %s: video layer %s -> %s", self->peer_id,
           lattice_video_layer_to_string (self->layer), lattice_video_layer_to_string (layer));
  if (layer < self->layer)
    self->last_down_us = now_us;
  if (layer == LATTICE_VIDEO_LAYER_NONE)
    self->no_video_since_us = now_us;
  self->layer = layer;
  self->up_since_us = 0;
  lattice_layer_selector_set_target (LATTICE_LAYER_SELECTOR (self->selector), layer);
}

static void
choose_layer (LatticePeerSender *self, gint64 now_us, const LatticeEncoderRates *rates, guint estimate)
{
  LatticeVideoLayer best = MIN (affordable_layer (rates, estimate), self->max_layer);

  if (rates->full_bps == 0)
    return;
  /* what the receiver does not want is not probed for either */
  if (self->max_layer == LATTICE_VIDEO_LAYER_NONE)
    {
      set_layer (self, LATTICE_VIDEO_LAYER_NONE, now_us);
      return;
    }
  if (best < self->layer)
    {
      set_layer (self, best, now_us);
      return;
    }
  if (self->layer == LATTICE_VIDEO_LAYER_NONE && best == LATTICE_VIDEO_LAYER_NONE)
    {
      /* no video, no feedback to say things got better: try now and then */
      if (now_us - self->no_video_since_us >= self->no_video_retry_us)
        {
          self->no_video_retry_us = MIN (self->no_video_retry_us * 2, NO_VIDEO_RETRY_MAX_US);
          set_layer (self, LATTICE_VIDEO_LAYER_LOW_QUARTER, now_us);
        }
      return;
    }
  if (best == self->layer)
    {
      self->up_since_us = 0;
      return;
    }
  /* The estimate was made at a higher layer the receiver no longer
   * wanted: back to what it allows at once, as when a tile grows. */
  if (self->receiver_capped)
    {
      self->receiver_capped = FALSE;
      set_layer (self, best, now_us);
      return;
    }
  if (self->up_since_us == 0)
    self->up_since_us = now_us;
  if (now_us - self->up_since_us >= UP_HOLD_US && now_us - self->last_down_us >= UP_AFTER_DOWN_US)
    {
      /* one step at a time: the estimate was made at the lower rate */
      set_layer (self, self->layer + 1, now_us);
      if (self->layer >= LATTICE_VIDEO_LAYER_LOW)
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

void
lattice_peer_sender_tick (LatticePeerSender         *self,
                          gint64                     now_us,
                          const LatticeEncoderRates *rates)
{
  guint estimate;

  g_mutex_lock (&self->lock);
  lattice_bwe_on_tick (self->bwe, now_us);
  estimate = lattice_bwe_get_target (self->bwe);
  g_mutex_unlock (&self->lock);

  if (self->selector != NULL)
    choose_layer (self, now_us, rates, estimate);
  else if (self->encoder != NULL)
    follow_estimate (self, estimate);
}

void
lattice_peer_sender_set_max_layer (LatticePeerSender *self,
                                   LatticeVideoLayer  layer)
{
  self->max_layer = MIN (layer, LATTICE_VIDEO_LAYER_LAST);
  if (self->selector != NULL && self->layer > self->max_layer)
    {
      set_layer (self, self->max_layer, g_get_monotonic_time ());
      self->receiver_capped = TRUE;
      /* not a congestion step: going back up needs no wait */
      self->last_down_us = 0;
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

guint
lattice_peer_sender_get_estimate (LatticePeerSender *self)
{
  guint estimate;

  g_mutex_lock (&self->lock);
  estimate = lattice_bwe_get_target (self->bwe);
  g_mutex_unlock (&self->lock);
  return estimate;
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
  stats->acked_bps = status.acked_bps;
  stats->loss = self->loss;
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
