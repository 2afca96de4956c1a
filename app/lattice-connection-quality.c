/* lattice-connection-quality.c: how good the link to a participant is, in one word
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "lattice-connection-quality.h"
#include "lattice-participant.h"

#define MONITOR_INTERVAL_S 1
#define STEADY_RATINGS     2

/* Round trip: past 250 ms people start talking over each other; past
 * 500 ms a conversation is hard. */
#define RTT_FAIR_MS   250
#define RTT_POOR_MS   500
/* Loss before repairs: a few percent is repaired unseen (NACK and
 * retransmission, Opus FEC) but costs a round trip or bits; past 8 %
 * frames are held back for keyframes and audio is concealed. */
#define LOSS_FAIR     0.02
#define LOSS_POOR     0.08
/* Bandwidth, as the layer the link lets us send: less than the full one
 * is fair (the low one is about a third of it), less than the low one
 * (it at a reduced frame rate, or no video) is poor. */
#define VIDEO_FAIR 1.0
#define VIDEO_POOR 0.33

static LatticeConnectionQuality
worse (LatticeConnectionQuality a, LatticeConnectionQuality b)
{
  return MAX (a, b);
}

static LatticeConnectionQuality
rate_high (double value, double fair, double poor)
{
  if (value < 0)
    return LATTICE_CONNECTION_QUALITY_UNKNOWN;
  if (value >= poor)
    return LATTICE_CONNECTION_QUALITY_POOR;
  return value >= fair ? LATTICE_CONNECTION_QUALITY_FAIR : LATTICE_CONNECTION_QUALITY_GOOD;
}

LatticeConnectionQuality
lattice_connection_quality_rate (const LatticeLinkMeasures *m)
{
  LatticeConnectionQuality quality = LATTICE_CONNECTION_QUALITY_UNKNOWN;

  g_return_val_if_fail (m != NULL, LATTICE_CONNECTION_QUALITY_UNKNOWN);

  quality = worse (quality, rate_high (m->rtt_ms, RTT_FAIR_MS, RTT_POOR_MS));
  quality = worse (quality, rate_high (m->loss_sent, LOSS_FAIR, LOSS_POOR));
  quality = worse (quality, rate_high (m->loss_received, LOSS_FAIR, LOSS_POOR));
  if (m->video_share >= 0)
    {
      LatticeConnectionQuality bandwidth = m->video_share < VIDEO_POOR ? LATTICE_CONNECTION_QUALITY_POOR
                                           : m->video_share < VIDEO_FAIR ? LATTICE_CONNECTION_QUALITY_FAIR
                                           : LATTICE_CONNECTION_QUALITY_GOOD;

      quality = worse (quality, bandwidth);
    }
  return quality;
}

/* The monitor. */

typedef struct {
  LatticeConnectionQuality rating;  /* the latest, not yet in effect */
  guint                    count;   /* how many times running */
} Pending;

struct _LatticeQualityMonitor {
  LatticeMediaEngine *engine;
  GListModel         *participants;
  GHashTable         *pending;  /* participant id → Pending */
  guint               source_id;
};

/* What a layer is of the full one, as video (lattice-layer-selector.h):
 * its temporal share of the full encoder, or of the low one, a third. */
static double
layer_share (LatticeVideoLayer layer)
{
  static const double share[] = {
    [LATTICE_VIDEO_LAYER_NONE] = 0,
    [LATTICE_VIDEO_LAYER_LOW_QUARTER] = 0.14,
    [LATTICE_VIDEO_LAYER_LOW_HALF] = 0.21,
    [LATTICE_VIDEO_LAYER_LOW] = 0.35,
    [LATTICE_VIDEO_LAYER_FULL_QUARTER] = 0.4,
    [LATTICE_VIDEO_LAYER_FULL_HALF] = 0.6,
    [LATTICE_VIDEO_LAYER_FULL] = 1,
  };

  return layer < G_N_ELEMENTS (share) ? share[layer] : 1;
}

static void
measure (LatticeQualityMonitor *self, LatticePeerConnection *peer, LatticeLinkMeasures *m)
{
  LatticePeerConnectionStats stats;
  LatticePeerSenderStats send;

  lattice_peer_connection_get_stats (peer, &stats);
  m->rtt_ms = stats.rtt_us > 0 ? stats.rtt_us / 1000.0 : -1;
  m->loss_received = stats.video_frames > 0 ? stats.video_loss_received : -1;
  m->loss_sent = -1;
  m->video_share = -1;
  if (lattice_media_engine_get_sender_stats (self->engine, lattice_peer_connection_get_id (peer), &send))
    {
      m->loss_sent = send.acked_bps > 0 ? send.loss : -1;
      m->video_share = layer_share (send.layer);
    }
}

static LatticeConnectionQuality
rate_peer (LatticeQualityMonitor *self, LatticePeerConnection *peer)
{
  LatticeLinkMeasures m;

  if (peer == NULL || lattice_peer_connection_get_state (peer) != LATTICE_PEER_CONNECTION_STATE_CONNECTED)
    return LATTICE_CONNECTION_QUALITY_UNKNOWN;
  measure (self, peer, &m);
  return lattice_connection_quality_rate (&m);
}

static gboolean
on_tick (gpointer data)
{
  LatticeQualityMonitor *self = data;
  guint n = g_list_model_get_n_items (self->participants);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LatticeParticipant) participant = g_list_model_get_item (self->participants, i);
      const char *id = lattice_participant_get_id (participant);
      LatticeConnectionQuality rating;
      Pending *pending;

      if (lattice_participant_get_is_self (participant))
        continue;
      rating = rate_peer (self, lattice_media_engine_lookup_peer (self->engine, id));
      pending = g_hash_table_lookup (self->pending, id);
      if (pending == NULL)
        {
          pending = g_new0 (Pending, 1);
          g_hash_table_insert (self->pending, g_strdup (id), pending);
        }
      if (pending->rating != rating)
        {
          pending->rating = rating;
          pending->count = 0;
        }
      pending->count++;
      /* losing the connection shows at once; the rest once it holds */
      if (pending->count >= STEADY_RATINGS || rating == LATTICE_CONNECTION_QUALITY_UNKNOWN)
        lattice_participant_set_connection_quality (participant, rating);
    }
  return G_SOURCE_CONTINUE;
}

LatticeQualityMonitor *
lattice_quality_monitor_new (LatticeMediaEngine *engine,
                             GListModel         *participants)
{
  LatticeQualityMonitor *self = g_new0 (LatticeQualityMonitor, 1);

  self->engine = g_object_ref (engine);
  self->participants = g_object_ref (participants);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->source_id = g_timeout_add_seconds (MONITOR_INTERVAL_S, on_tick, self);
  return self;
}

void
lattice_quality_monitor_free (LatticeQualityMonitor *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->source_id, g_source_remove);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_object (&self->participants);
  g_clear_object (&self->engine);
  g_free (self);
}
