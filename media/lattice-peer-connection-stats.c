/* lattice-peer-connection-stats.c: rates and the selected candidate pair
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

static gboolean
store_candidate_type_cb (gpointer data)
{
  LatticePeerCall *call = data;
  LatticePeerConnection *self = call->peer;

  self->stats_pending = FALSE;
  /* keep the last known type through a query that found no pair */
  if (call->text != NULL && g_strcmp0 (self->candidate_type, call->text) != 0)
    {
      g_free (self->candidate_type);
      self->candidate_type = g_steal_pointer (&call->text);
    }
  return G_SOURCE_REMOVE;
}

/* get-stats replied (webrtcbin's thread). */
static void
on_stats (GstPromise *promise, gpointer user_data)
{
  LatticePeerConnection *self = user_data;
  LatticePeerCall *call = lattice_peer_call_new (self);
  const GstStructure *reply = NULL;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply != NULL)
    call->text = selected_candidate_type (reply);
  gst_promise_unref (promise);
  lattice_peer_call_defer (self, store_candidate_type_cb, call);
}

void
lattice_peer_connection_query_candidate_type (LatticePeerConnection *self)
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
  now = g_get_monotonic_time ();
  stats->video_fps = recent_rate (self->video_times, now);
  stats->audio_rate = recent_rate (self->audio_times, now);
  g_mutex_unlock (&self->stats_lock);
}

const char *
lattice_peer_connection_get_candidate_type (LatticePeerConnection *self)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), NULL);

  lattice_peer_connection_query_candidate_type (self);
  return self->candidate_type;
}
