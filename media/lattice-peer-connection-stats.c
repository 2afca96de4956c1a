/* lattice-peer-connection-stats.c: rates, RTCP feedback, the selected candidate pair
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include "lattice-media-private.h"
#include "lattice-peer-connection-private.h"

/* Frames or buffers decoded during the last second; call with stats_lock held. */
static double
recent_rate (const gint64 *times, gint64 now)
{
  guint n = 0;

  for (guint i = 0; i < RATE_TIMES; i++)
    if (times[i] != 0 && now - times[i] <= G_USEC_PER_SEC)
      n++;
  return n;
}

/* The selected candidate pair (issue 7): whether media goes straight or
 * through a relay, from webrtcbin's statistics. */

/* The "candidate-type" of the local candidate of a "candidate-pair" entry
 * (webrtcbin 1.22 lists the selected pair only), or NULL. */
static char *
selected_candidate_type (const GstStructure *stats)
{
  for (int i = 0; i < gst_structure_n_fields (stats); i++)
    {
      const GValue *value = gst_structure_get_value (stats, gst_structure_nth_field_name (stats, i));
      const GstStructure *pair, *local;
      const GValue *local_value;
      GstWebRTCStatsType type;
      const char *local_id;

      if (!GST_VALUE_HOLDS_STRUCTURE (value))
        continue;
      pair = gst_value_get_structure (value);
      if (!gst_structure_get_enum (pair, "type", GST_TYPE_WEBRTC_STATS_TYPE, (int *) &type) ||
          type != GST_WEBRTC_STATS_CANDIDATE_PAIR ||
          (local_id = gst_structure_get_string (pair, "local-candidate-id")) == NULL ||
          (local_value = gst_structure_get_value (stats, local_id)) == NULL ||
          !GST_VALUE_HOLDS_STRUCTURE (local_value))
        continue;
      local = gst_value_get_structure (local_value);
      if (gst_structure_get_string (local, "candidate-type") != NULL)
        return g_strdup (gst_structure_get_string (local, "candidate-type"));
    }
  return NULL;
}

/* What one get-stats reply said, carried to the main context. */
typedef struct {
  LatticePeerConnection *peer;
  char                  *candidate_type;
  gboolean               have_video_report;
  double                 video_loss_sent;
  double                 audio_loss_sent;
  gint64                 rtt_us;
  guint64                nacks_received;
  guint64                nacks_sent;
  guint64                keyframe_requests_received;
  guint64                keyframe_requests_sent;
  guint64                repaired;
  gint64                 packets_lost;      /* video we received */
  guint64                packets_received;
} StatsReply;

static void
stats_reply_free (gpointer data)
{
  StatsReply *reply = data;

  g_clear_object (&reply->peer);
  g_free (reply->candidate_type);
  g_free (reply);
}

static gboolean
is_kind (const GstStructure *s, const char *kind)
{
  return g_strcmp0 (gst_structure_get_string (s, "kind"), kind) == 0;
}

static guint64
get_count (const GstStructure *s, const char *field)
{
  guint value32 = 0;
  guint64 value64 = 0;

  if (gst_structure_get_uint (s, field, &value32))
    return value32;
  if (gst_structure_get_uint64 (s, field, &value64))
    return value64;
  return 0;
}

/* One entry of the reply (webrtc-stats, as webrtcbin 1.22 fills them in). */
static void
read_entry (StatsReply *reply, const GstStructure *s)
{
  GstWebRTCStatsType type;
  double value;
  gint64 lost = 0;

  if (!gst_structure_get_enum (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, (int *) &type))
    return;
  switch (type)
    {
    case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP:
      /* what the other end's receiver reports say of what we send */
      if (gst_structure_get_double (s, "fraction-lost", &value))
        {
          if (is_kind (s, "video"))
            {
              reply->video_loss_sent = value;
              reply->have_video_report = TRUE;
            }
          else if (is_kind (s, "audio"))
            reply->audio_loss_sent = value;
        }
      if (gst_structure_get_double (s, "round-trip-time", &value) && value > 0)
        reply->rtt_us = MAX (reply->rtt_us, (gint64) (value * G_USEC_PER_SEC));
      break;
    case GST_WEBRTC_STATS_OUTBOUND_RTP:
      if (is_kind (s, "video"))
        {
          reply->nacks_received += get_count (s, "nack-count");
          reply->keyframe_requests_received += get_count (s, "pli-count") + get_count (s, "fir-count");
        }
      break;
    case GST_WEBRTC_STATS_INBOUND_RTP:
      if (is_kind (s, "video"))
        {
          reply->nacks_sent += get_count (s, "nack-count");
          reply->keyframe_requests_sent += get_count (s, "pli-count") + get_count (s, "fir-count");
          reply->repaired += get_count (s, "packets-repaired");
          reply->packets_received += get_count (s, "packets-received");
          if (gst_structure_get_int64 (s, "packets-lost", &lost))
            reply->packets_lost += lost;
        }
      break;
    default:
      break;
    }
}

/* The stats of rtprtxsend, which webrtcbin makes when retransmission was
 * negotiated: what we sent again. Call on the main context. */
static guint64
count_retransmitted (LatticePeerConnection *self)
{
  g_autoptr(GstIterator) it = gst_bin_iterate_recurse (GST_BIN (self->webrtc));
  GValue item = G_VALUE_INIT;
  guint64 total = 0;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *element = g_value_get_object (&item);
      GstElementFactory *factory = gst_element_get_factory (element);

      if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "rtprtxsend"))
        {
          guint n = 0;

          g_object_get (element, "num-rtx-packets", &n, NULL);
          total += n;
        }
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return total;
}

static gboolean
store_stats_cb (gpointer data)
{
  StatsReply *reply = data;
  LatticePeerConnection *self = reply->peer;
  LatticePeerConnectionStats *stats = &self->stats;
  guint64 expected, retransmitted;
  gint64 lost;

  self->stats_pending = FALSE;
  if (self->closed)
    return G_SOURCE_REMOVE;
  /* keep the last known type through a query that found no pair */
  if (reply->candidate_type != NULL && g_strcmp0 (self->candidate_type, reply->candidate_type) != 0)
    {
      g_free (self->candidate_type);
      self->candidate_type = g_steal_pointer (&reply->candidate_type);
    }
  retransmitted = count_retransmitted (self);
  g_mutex_lock (&self->stats_lock);
  stats->retransmitted = retransmitted;
  if (reply->have_video_report)
    {
      stats->video_reports++;
      stats->video_loss_sent = reply->video_loss_sent;
    }
  stats->audio_loss_sent = reply->audio_loss_sent;
  if (reply->rtt_us > 0)
    stats->rtt_us = reply->rtt_us;
  stats->nacks_received = reply->nacks_received;
  stats->nacks_sent = reply->nacks_sent;
  stats->keyframe_requests_received = reply->keyframe_requests_received;
  stats->keyframe_requests_sent = reply->keyframe_requests_sent;
  stats->repaired = reply->repaired;
  /* the loss of what we receive, over the interval since the last reply */
  expected = (reply->packets_received - self->last_packets_received) +
             (guint64) MAX (0, reply->packets_lost - self->last_packets_lost);
  lost = MAX (0, reply->packets_lost - self->last_packets_lost);
  stats->video_loss_received = expected > 0 ? (double) lost / expected : 0;
  self->last_packets_received = reply->packets_received;
  self->last_packets_lost = reply->packets_lost;
  g_mutex_unlock (&self->stats_lock);
  return G_SOURCE_REMOVE;
}

/* get-stats replied (webrtcbin's thread). */
static void
on_stats (GstPromise *promise, gpointer user_data)
{
  LatticePeerConnection *self = user_data;
  StatsReply *reply = g_new0 (StatsReply, 1);
  const GstStructure *stats = NULL;

  reply->peer = g_object_ref (self);
  reply->rtt_us = -1;
  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    stats = gst_promise_get_reply (promise);
  if (stats != NULL)
    {
      reply->candidate_type = selected_candidate_type (stats);
      for (int i = 0; i < gst_structure_n_fields (stats); i++)
        {
          const GValue *value = gst_structure_get_value (stats, gst_structure_nth_field_name (stats, i));

          if (GST_VALUE_HOLDS_STRUCTURE (value))
            read_entry (reply, gst_value_get_structure (value));
        }
    }
  gst_promise_unref (promise);
  lattice_media_invoke (self->context, store_stats_cb, reply, stats_reply_free);
}

void
lattice_peer_connection_query_stats (LatticePeerConnection *self)
{
  GstPromise *promise;

  if (self->stats_pending || self->closed || self->state != LATTICE_PEER_CONNECTION_STATE_CONNECTED)
    return;
  self->stats_pending = TRUE;
  promise = gst_promise_new_with_change_func (on_stats, g_object_ref (self), g_object_unref);
  g_signal_emit_by_name (self->webrtc, "get-stats", NULL, promise);
}

void
lattice_peer_connection_get_stats (LatticePeerConnection *self, LatticePeerConnectionStats *stats)
{
  gint64 now;

  g_return_if_fail (LATTICE_IS_PEER_CONNECTION (self));
  g_return_if_fail (stats != NULL);

  g_mutex_lock (&self->stats_lock);
  *stats = self->stats;
  if (self->video_guard != NULL)
    g_object_get (self->video_guard, "frames-dropped", &stats->frames_held_back, NULL);
  now = g_get_monotonic_time ();
  stats->video_fps = recent_rate (self->video_times, now);
  stats->audio_rate = recent_rate (self->audio_times, now);
  g_mutex_unlock (&self->stats_lock);
}

const char *
lattice_peer_connection_get_candidate_type (LatticePeerConnection *self)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), NULL);

  lattice_peer_connection_query_stats (self);
  return self->candidate_type;
}
