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
} StatsReply;

static void
stats_reply_free (gpointer data)
{
  StatsReply *reply = data;

  g_clear_object (&reply->peer);
  g_free (reply->candidate_type);
  g_free (reply);
}

/* webrtcbin 1.22's "kind" of a bundled stream is that of its first
 * m-line, whatever it carries; the RTP clock rate of the source's own
 * statistics tells audio (Opus, 48 kHz) from video (90 kHz). */
static gboolean
is_video (const GstStructure *s)
{
  const GstStructure *source = NULL;
  int clock_rate = 0;

  if (gst_structure_get (s, "gst-rtpsource-stats", GST_TYPE_STRUCTURE, &source, NULL) && source != NULL)
    {
      gst_structure_get_int (source, "clock-rate", &clock_rate);
      gst_structure_free ((GstStructure *) source);
    }
  return clock_rate == 90000;
}

/* One entry of the reply: what the other end's receiver reports say of
 * what we send. The rest (NACKs, repairs) webrtcbin 1.22 does not count;
 * the jitterbuffers and rtprtxsend do (read_elements()). */
static void
read_entry (StatsReply *reply, const GstStructure *s)
{
  GstWebRTCStatsType type;
  double value;

  if (!gst_structure_get_enum (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, (int *) &type) ||
      type != GST_WEBRTC_STATS_REMOTE_INBOUND_RTP)
    return;
  if (gst_structure_get_double (s, "fraction-lost", &value))
    {
      if (is_video (s))
        {
          reply->video_loss_sent = value;
          reply->have_video_report = TRUE;
        }
      else
        reply->audio_loss_sent = value;
    }
  if (gst_structure_get_double (s, "round-trip-time", &value) && value > 0)
    reply->rtt_us = MAX (reply->rtt_us, (gint64) (value * G_USEC_PER_SEC));
}

/* Counters of the elements inside webrtcbin, on the main context. */
typedef struct {
  guint64 nacks_sent;       /* video jitterbuffers' retransmission requests */
  guint64 repaired;
  guint64 lost;             /* given up on, after any retransmission */
  guint64 pushed;
  guint64 nacks_received;   /* rtprtxsend: requests for what it holds */
  guint64 retransmitted;
} ElementCounts;

static guint64
get_uint64 (const GstStructure *s, const char *field)
{
  guint64 value = 0;

  gst_structure_get_uint64 (s, field, &value);
  return value;
}

static void
read_jitterbuffer (LatticePeerConnection *self, GstElement *jitterbuffer, ElementCounts *counts)
{
  g_autoptr(GstStructure) stats = NULL;

  if (!lattice_peer_connection_jitterbuffer_is_video (jitterbuffer))
    return;
  g_object_get (jitterbuffer, "stats", &stats, NULL);
  if (stats == NULL)
    return;
  counts->nacks_sent += get_uint64 (stats, "rtx-count");
  counts->repaired += get_uint64 (stats, "rtx-success-count");
  counts->lost += get_uint64 (stats, "num-lost");
  counts->pushed += get_uint64 (stats, "num-pushed");
  lattice_peer_connection_tune_jitterbuffer (self, jitterbuffer, stats);
}

static void
read_elements (LatticePeerConnection *self, ElementCounts *counts)
{
  g_autoptr(GstIterator) it = gst_bin_iterate_recurse (GST_BIN (self->webrtc));
  GValue item = G_VALUE_INIT;

  memset (counts, 0, sizeof *counts);
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *element = g_value_get_object (&item);
      GstElementFactory *factory = gst_element_get_factory (element);
      const char *name = factory != NULL ? GST_OBJECT_NAME (factory) : "";

      if (g_str_equal (name, "rtpjitterbuffer"))
        read_jitterbuffer (self, element, counts);
      else if (g_str_equal (name, "rtprtxsend"))
        {
          guint requests = 0, packets = 0;

          g_object_get (element, "num-rtx-requests", &requests, "num-rtx-packets", &packets, NULL);
          counts->nacks_received += requests;
          counts->retransmitted += packets;
        }
      g_value_reset (&item);
    }
  g_value_unset (&item);
}

static gboolean
store_stats_cb (gpointer data)
{
  StatsReply *reply = data;
  LatticePeerConnection *self = reply->peer;
  LatticePeerConnectionStats *stats = &self->stats;
  ElementCounts counts;
  guint64 expected, missing;

  self->stats_pending = FALSE;
  if (self->closed)
    return G_SOURCE_REMOVE;
  /* keep the last known type through a query that found no pair */
  if (reply->candidate_type != NULL && g_strcmp0 (self->candidate_type, reply->candidate_type) != 0)
    {
      g_free (self->candidate_type);
      self->candidate_type = g_steal_pointer (&reply->candidate_type);
    }
  if (reply->rtt_us > 0)
    self->rtt_us = reply->rtt_us;
  read_elements (self, &counts);
  g_mutex_lock (&self->stats_lock);
  if (reply->have_video_report)
    {
      stats->video_reports++;
      stats->video_loss_sent = reply->video_loss_sent;
    }
  stats->audio_loss_sent = reply->audio_loss_sent;
  stats->rtt_us = self->rtt_us;
  stats->nacks_sent = counts.nacks_sent;
  stats->nacks_received = counts.nacks_received;
  stats->retransmitted = counts.retransmitted;
  stats->repaired = counts.repaired;
  /* What the network lost of the video sent to us since the last look,
   * before repairs: what was given up on, and what retransmission gave
   * back. (Counters restart with a new jitterbuffer: no negative step.) */
  if (counts.pushed >= self->last_pushed && counts.lost >= self->last_lost &&
      counts.repaired >= self->last_repaired)
    {
      missing = (counts.lost - self->last_lost) + (counts.repaired - self->last_repaired);
      expected = (counts.pushed - self->last_pushed) + (counts.lost - self->last_lost);
      stats->video_loss_received = expected > 0 ? (double) missing / expected : 0;
    }
  self->last_pushed = counts.pushed;
  self->last_lost = counts.lost;
  self->last_repaired = counts.repaired;
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
    g_object_get (self->video_guard, "frames-dropped", &stats->frames_held_back,
                  "keyframe-requests", &stats->keyframe_requests_sent, NULL);
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
