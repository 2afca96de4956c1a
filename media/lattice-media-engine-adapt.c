/* lattice-media-engine-adapt.c: adapting to each peer's link: encoder bitrates, layers, Opus FEC
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include "lattice-media-engine-private.h"
#include "lattice-peer-connection-private.h"
#include "lattice-video-encoders.h"

/* Per-peer decisions (layers, encoder bitrates) every tick, statistics
 * (loss, round trip) from webrtcbin every STATS_TICKS. */
#define STATS_TICKS  (1000 / LATTICE_PEER_SENDER_TICK_MS)

/* Adapting to each peer's link. */

/* Every tick each connected peer's sender says what its estimate leaves
 * for video (its budget); the engine then sets the encoders' bitrates and
 * lets each sender pick its layer.
 *
 * The encoders follow what the peers need: each layer runs at what its
 * fastest receiver's budget allows, up to its nominal rate, so one slow
 * peer never lowers what the others receive (lattice-peer-sender.c moves
 * that peer to a smaller layer instead).
 *
 * Except when every peer is short of the full layer: then the bottleneck
 * is most likely this end's own uplink, which all the connections share
 * without knowing it. Each estimate alone would let one connection take
 * the uplink and starve the others (seen: 160 against 30 kbit/s), so the
 * budgets are pooled: every peer gets their mean, the same layer at the
 * same rate, and each estimate stays within its share. */
typedef struct {
  PeerLink *link;
  guint     budget;
} Budget;

/* TRUE when the budgets were pooled. */
static gboolean
share_shortage (GArray *budgets, guint full_nominal)
{
  guint64 total = 0;
  guint n_short = 0;

  for (guint i = 0; i < budgets->len; i++)
    {
      Budget *b = &g_array_index (budgets, Budget, i);

      total += b->budget;
      n_short += b->budget < full_nominal;
    }
  if (budgets->len < 2 || n_short < budgets->len)
    return FALSE;
  for (guint i = 0; i < budgets->len; i++)
    g_array_index (budgets, Budget, i).budget = (guint) (total / budgets->len);
  return TRUE;
}

static void
update_encoder_rates (LatticeMediaEngine *self, GArray *budgets)
{
  guint full_min, low_min, low_nominal;
  guint best_full = 0, best_low = 0;

  if (self->encoders == NULL)
    return;
  lattice_video_encoders_get_bounds (self->encoders, &full_min, &low_min, &low_nominal);
  for (guint i = 0; i < budgets->len; i++)
    {
      Budget *b = &g_array_index (budgets, Budget, i);

      best_full = MAX (best_full, b->budget);
      if (!lattice_video_layer_is_full (lattice_peer_sender_get_layer (b->link->sender)))
        best_low = MAX (best_low, b->budget);
    }
  /* With nobody connected, the encoders wait at their nominal rates. */
  if (budgets->len == 0)
    best_full = best_low = G_MAXUINT;
  if (best_low == 0)
    best_low = low_nominal;
  lattice_video_encoders_set_rates (self->encoders, best_full, best_low);
}

/* A layer is encoded while some peer receives it or is switching to it:
 * at six people in small tiles nobody needs the full one, in a call of
 * two nobody the low one. */
void
lattice_media_engine_update_encoder_activity (LatticeMediaEngine *self)
{
  gboolean full = FALSE, low = FALSE;
  GHashTableIter iter;
  PeerLink *link;

  if (self->encoders == NULL)
    return;
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &link))
    {
      LatticePeerSenderStats stats;
      LatticeVideoLayer layers[2];

      if (link->sender == NULL)
        continue;
      lattice_peer_sender_get_stats (link->sender, &stats);
      layers[0] = stats.layer;
      layers[1] = stats.target;
      for (guint i = 0; i < G_N_ELEMENTS (layers); i++)
        {
          if (layers[i] == LATTICE_VIDEO_LAYER_NONE)
            continue;
          if (lattice_video_layer_is_full (layers[i]))
            full = TRUE;
          else
            low = TRUE;
        }
    }
  lattice_video_encoders_set_active (self->encoders, full, low);
}

static void
adapt_to_links (LatticeMediaEngine *self, gint64 now_us)
{
  g_autoptr(GArray) budgets = g_array_new (FALSE, FALSE, sizeof (Budget));
  LatticeEncoderRates rates = { 0, 0, 0 };
  GHashTableIter iter;
  gboolean shared = FALSE;
  PeerLink *link;

  if (self->encoders != NULL)
    lattice_video_encoders_get_rates (self->encoders, &rates);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &link))
    {
      LatticePeerConnectionStats stats;
      Budget b = { link, 0 };

      /* nothing to decide on before feedback can come */
      if (link->sender == NULL ||
          lattice_peer_connection_get_state (link->peer) != LATTICE_PEER_CONNECTION_STATE_CONNECTED)
        continue;
      lattice_peer_connection_get_stats (link->peer, &stats);
      if (stats.video_reports > 0)
        lattice_peer_sender_on_receiver_report (link->sender, stats.video_loss_sent, stats.rtt_us);
      b.budget = lattice_peer_sender_update (link->sender, now_us);
      g_array_append_val (budgets, b);
    }
  if (self->encoders != NULL)
    shared = share_shortage (budgets, rates.full_nominal_bps);
  update_encoder_rates (self, budgets);
  if (self->encoders != NULL)
    lattice_video_encoders_get_rates (self->encoders, &rates);
  for (guint i = 0; i < budgets->len; i++)
    {
      Budget *b = &g_array_index (budgets, Budget, i);

      lattice_peer_sender_decide (b->link->sender, now_us, &rates, b->budget, shared);
    }
  lattice_media_engine_update_encoder_activity (self);
}

/* Opus's in-band FEC costs bits in proportion to the loss it is told to
 * expect: the worst a peer reported, since one encoder serves them all. */
static void
update_opus_loss (LatticeMediaEngine *self)
{
  GHashTableIter iter;
  PeerLink *link;
  double worst = 0;
  guint percent;

  if (self->audio.encoder == NULL)
    return;
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &link))
    {
      LatticePeerConnectionStats stats;

      lattice_peer_connection_get_stats (link->peer, &stats);
      worst = MAX (worst, stats.audio_loss_sent);
    }
  percent = CLAMP ((guint) (worst * 100 + 0.5), OPUS_MIN_LOSS_PERCENT, OPUS_MAX_LOSS_PERCENT);
  if (percent == self->opus_loss_percent)
    return;
  self->opus_loss_percent = percent;
  g_object_set (self->audio.encoder, "packet-loss-percentage", (int) percent, NULL);
}

static gboolean
tick_cb (gpointer data)
{
  LatticeMediaEngine *self = data;
  gboolean stats_due = ++self->ticks % STATS_TICKS == 0;
  GHashTableIter iter;
  PeerLink *link;

  if (stats_due)
    {
      g_hash_table_iter_init (&iter, self->peers);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &link))
        lattice_peer_connection_query_stats (link->peer);
    }
  adapt_to_links (self, g_get_monotonic_time ());
  if (stats_due)
    update_opus_loss (self);
  return G_SOURCE_CONTINUE;
}

void
lattice_media_engine_start_ticking (LatticeMediaEngine *self)
{
  self->tick_source = g_timeout_source_new (LATTICE_PEER_SENDER_TICK_MS);
  g_source_set_callback (self->tick_source, tick_cb, self, NULL);
  g_source_set_static_name (self->tick_source, "[lattice] media tick");
  g_source_attach (self->tick_source, self->context);
}

void
lattice_media_engine_stop_ticking (LatticeMediaEngine *self)
{
  if (self->tick_source == NULL)
    return;
  g_source_destroy (self->tick_source);
  g_clear_pointer (&self->tick_source, g_source_unref);
}
