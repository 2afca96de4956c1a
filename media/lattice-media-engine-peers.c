/* lattice-media-engine-peers.c: each remote participant's bin: adding, linking to the tees, removing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <glib/gi18n-lib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "lattice-media-engine-private.h"
#include "lattice-peer-connection-private.h"
#include "lattice-video-encoders.h"

/* Video: NACK with retransmissions (webrtcbin adds the RTX payload type for
 * a transceiver with do-nack), keyframe requests, and transport-wide
 * congestion control, whose header extension the payloader writes. */
#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define VIDEO_RTP_CAPS "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96," \
                       "rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true," \
                       "rtcp-fb-ccm-fir=(boolean)true,rtcp-fb-transport-cc=(boolean)true," \
                       "extmap-3=(string)\"" TWCC_URI "\""
/* Audio carries the transport-wide sequence numbers too: its steady 50
 * packets a second give the bandwidth estimate delay samples between the
 * video frames, which at a small layer come a few times a second. */
#define AUDIO_RTP_CAPS "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111," \
                       "rtcp-fb-transport-cc=(boolean)true,extmap-3=(string)\"" TWCC_URI "\""

/* Peers. */

static void
peer_link_free (gpointer data)
{
  PeerLink *link = data;

  for (guint i = 0; i < N_TEES; i++)
    g_clear_object (&link->tee_pads[i]);
  g_clear_pointer (&link->sender, lattice_peer_sender_free);
  g_clear_object (&link->peer);
  g_clear_object (&link->engine);
  g_free (link);
}

static GstElement *
create_sink (LatticePeerConnection *peer, const char *kind, gpointer user_data)
{
  LatticeMediaEngine *self = user_data;
  GstElement *sink = NULL;
  guint signal_id = g_str_equal (kind, "video") ? LATTICE_MEDIA_ENGINE_SIGNAL_CREATE_VIDEO_SINK
                                                : LATTICE_MEDIA_ENGINE_SIGNAL_CREATE_AUDIO_SINK;

  g_signal_emit (self, lattice_media_engine_signals[signal_id], 0, lattice_peer_connection_get_id (peer), &sink);
  /* The handler gives us a reference, floating or not; the bin takes its own. */
  if (sink != NULL && g_object_is_floating (sink))
    gst_object_ref_sink (sink);
  return sink;
}

static GstPad *
ghost_pad (GstBin *bin, GstElement *element, const char *name)
{
  g_autoptr(GstPad) pad = gst_element_get_static_pad (element, "sink");
  GstPad *ghost = gst_ghost_pad_new (name, pad);

  gst_element_add_pad (GST_ELEMENT (bin), ghost);
  return ghost;
}

static GstPadProbeReturn
drop_feedback (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s = gst_event_get_structure (event);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM && s != NULL &&
      gst_structure_has_name (s, "RTPTWCCPackets"))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

/* The bin's audio branch: the shared encoder's packets straight into
 * webrtcbin (its own send path queues; no thread of ours is needed), or
 * queue → encoder → payloader → webrtcbin when encoding per peer. */
static GstPad *
build_audio_send_branch (LatticeMediaEngine *self, LatticePeerConnection *peer)
{
  GstBin *bin = lattice_peer_connection_get_bin (peer);
  g_autoptr(GstCaps) caps = gst_caps_from_string (AUDIO_RTP_CAPS);
  g_autoptr(GstPad) webrtc_pad = lattice_peer_connection_request_send_pad (peer, caps);
  GstPad *ghost;

  if (self->encode_per_peer)
    {
      GstElement *chain[] = { lattice_media_make_queue (TRUE), lattice_media_make_audio_encoder (),
                              lattice_media_make_audio_payloader (), NULL };
      g_autoptr(GstPad) last_pad = gst_element_get_static_pad (chain[2], "src");

      lattice_media_add_and_link (bin, chain);
      gst_pad_link (last_pad, webrtc_pad);
      ghost = ghost_pad (bin, chain[0], "audio_sink");
    }
  else
    {
      ghost = gst_ghost_pad_new ("audio_sink", webrtc_pad);
      gst_element_add_pad (GST_ELEMENT (bin), ghost);
    }
  /* the video sender reads the transport-wide feedback; it has no use
   * up the shared audio chain */
  gst_pad_add_probe (ghost, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, drop_feedback, NULL, NULL);
  return ghost;
}

/* The bin's video branch, the sender's: the layer selector, or queue →
 * encoder when encoding per peer; then the peer's own payloader. */
static void
build_video_send_branch (LatticeMediaEngine *self, PeerLink *link, GstPad **full_pad, GstPad **low_pad)
{
  GstBin *bin = lattice_peer_connection_get_bin (link->peer);
  g_autoptr(GstCaps) caps = gst_caps_from_string (VIDEO_RTP_CAPS);
  g_autoptr(GstPad) webrtc_pad = lattice_peer_connection_request_send_pad (link->peer, caps);
  guint nominal = lattice_video_encoders_nominal_bitrate (self->width, self->height, self->framerate);

  link->sender = lattice_peer_sender_new (lattice_peer_connection_get_id (link->peer), nominal);
  *low_pad = NULL;
  if (self->encode_per_peer)
    *full_pad = lattice_peer_sender_build_per_peer (link->sender, bin, webrtc_pad,
                                                    lattice_video_encoder_make (NULL, self->width, self->height,
                                                                                self->framerate, nominal, FALSE));
  else
    lattice_peer_sender_build (link->sender, bin, webrtc_pad, self->video.low_tee != NULL, full_pad, low_pad);
}

static GstPad *
link_tee (GstElement *tee, GstPad *ghost)
{
  GstPad *tee_pad = gst_element_request_pad_simple (tee, "src_%u");

  if (gst_pad_link (tee_pad, ghost) != GST_PAD_LINK_OK)
    g_critical ("Could not link %s to a peer", GST_PAD_NAME (tee_pad));
  return tee_pad;
}

static PeerLink *
find_link (LatticeMediaEngine *self, LatticePeerConnection *peer)
{
  PeerLink *link = g_hash_table_lookup (self->peers, lattice_peer_connection_get_id (peer));

  return link != NULL && link->peer == peer ? link : NULL;
}

static void
on_peer_state (LatticePeerConnection *peer, GParamSpec *pspec, gpointer user_data)
{
  PeerLink *link = find_link (LATTICE_MEDIA_ENGINE (user_data), peer);

  /* A new peer needs a keyframe now, not at the next periodic one. */
  if (link != NULL && link->sender != NULL &&
      lattice_peer_connection_get_state (peer) == LATTICE_PEER_CONNECTION_STATE_CONNECTED)
    {
      g_debug ("Forcing a keyframe for peer %s", lattice_peer_connection_get_id (peer));
      lattice_peer_sender_request_keyframe (link->sender);
    }
}

/* The smallest layer that serves a view of @width×@height: the low one
 * while it needs at most a third of upscaling (a 320×180 layer in a tile
 * up to 426×240), the full one above, none for a view of nothing. */
static LatticeVideoLayer
layer_for_view (LatticeMediaEngine *self, guint width, guint height)
{
  guint low_width = (self->width / 2) & ~1u, low_height = (self->height / 2) & ~1u;

  if (width == 0 || height == 0)
    return LATTICE_VIDEO_LAYER_NONE;
  if (self->video.low_tee != NULL &&
      low_width * 4 >= width * 3 && low_height * 4 >= height * 3)
    return LATTICE_VIDEO_LAYER_LOW;
  return LATTICE_VIDEO_LAYER_LAST;
}

/* The peer told us how large it shows our video: no more than that needs. */
static void
on_peer_remote_view (LatticePeerConnection *peer, guint width, guint height, gpointer user_data)
{
  LatticeMediaEngine *self = LATTICE_MEDIA_ENGINE (user_data);
  PeerLink *link = find_link (self, peer);
  LatticeVideoLayer layer;

  if (link == NULL || link->sender == NULL)
    return;
  layer = layer_for_view (self, width, height);
  g_debug ("Peer %s shows us at %ux%u: at most %s", lattice_peer_connection_get_id (peer),
           width, height, lattice_video_layer_to_string (layer));
  lattice_peer_sender_set_max_layer (link->sender, layer);
  lattice_media_engine_update_encoder_activity (self);
}

static LatticePeerConnection *
create_peer (LatticeMediaEngine *self, const char *peer_id, gboolean offerer)
{
  LatticePeerConnectionConfig config = {
    .latency_ms = self->latency,
    .connect_timeout_ms = self->connect_timeout,
    .stun_server = self->stun_server,
    .turn_servers = (const char *const *) self->turn_servers,
    .relay_only = self->relay_only,
    .echo_probe = self->echo_probe,
    .create_sink = create_sink,
    .sink_data = self,
    .read_stamps = self->stamp_time,
  };

  return lattice_peer_connection_new (peer_id, offerer, self->context, &config);
}

/* Removing a peer, without stalling the others. */

/* Stops and takes the peer's bin out of the pipeline (main context). */
static void
remove_bin (LatticeMediaEngine *self, PeerLink *link)
{
  GstElement *bin = GST_ELEMENT (lattice_peer_connection_get_bin (link->peer));

  GstElement *tees[N_TEES] = { self->video.tee, self->video.low_tee, self->audio.tee };

  /* The engine may have been stopped since the removal began. */
  for (guint i = 0; i < N_TEES; i++)
    if (link->tee_pads[i] != NULL && tees[i] != NULL)
      gst_element_release_request_pad (tees[i], link->tee_pads[i]);
  /* Off the streaming threads: webrtcbin's shutdown joins its own threads. */
  gst_element_set_state (bin, GST_STATE_NULL);
  /* The echo probe goes back to the engine for the next peer. */
  if (self->echo_probe != NULL && GST_OBJECT_PARENT (self->echo_probe) == GST_OBJECT (bin))
    gst_bin_remove (GST_BIN (bin), self->echo_probe);
  if (GST_OBJECT_PARENT (bin) == GST_OBJECT (self->pipeline))
    gst_bin_remove (GST_BIN (self->pipeline), bin);
}

/* A departed peer's decoders, jitterbuffers and webrtcbin threads free
 * megabytes in whichever of glibc's per-thread arenas they came from. Free
 * chunks under live ones stay resident, and the next peer's threads often
 * allocate from other arenas, so without this RSS climbs by megabytes over the
 * first few dozen joins and leaves (docs/BENCHMARKS.md, "Memory over time").
 * malloc_trim() gives the free pages of every arena back: under a millisecond
 * typically, once per departure (a burst of them shares one). */
static gboolean
trim_heap_cb (gpointer data)
{
  LatticeMediaEngine *self = data;

#ifdef __GLIBC__
  malloc_trim (0);
#endif
  g_clear_pointer (&self->trim_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
schedule_heap_trim (LatticeMediaEngine *self)
{
  if (self->trim_source != NULL)
    return;
  /* Low priority: after the removal's own callbacks drop the last references. */
  self->trim_source = g_idle_source_new ();
  g_source_set_priority (self->trim_source, G_PRIORITY_LOW);
  g_source_set_callback (self->trim_source, trim_heap_cb, self, NULL);
  g_source_set_static_name (self->trim_source, "[lattice] heap trim");
  g_source_attach (self->trim_source, self->context);
}

static gboolean
finish_removal_cb (gpointer data)
{
  PeerLink *link = data;
  LatticeMediaEngine *self = link->engine;

  remove_bin (self, link);
  g_signal_emit (self, lattice_media_engine_signals[LATTICE_MEDIA_ENGINE_SIGNAL_PEER_REMOVED], 0, link->peer);
  schedule_heap_trim (self);
  return G_SOURCE_REMOVE;
}

static GstPadProbeReturn
unlink_when_idle (GstPad *tee_pad, GstPadProbeInfo *info, gpointer user_data)
{
  PeerLink *link = user_data;
  g_autoptr(GstPad) peer_pad = gst_pad_get_peer (tee_pad);

  /* No buffer is in flight on this pad now; the tee skips unlinked pads. */
  if (peer_pad != NULL)
    gst_pad_unlink (tee_pad, peer_pad);
  if (g_atomic_int_dec_and_test (&link->pending))
    lattice_media_invoke (link->engine->context, finish_removal_cb, link, peer_link_free);
  return GST_PAD_PROBE_REMOVE;
}

static void
start_removal (LatticeMediaEngine *self, PeerLink *link)
{
  GstPad **pads = link->tee_pads;

  link->engine = g_object_ref (self);
  lattice_peer_connection_close (link->peer);
  g_atomic_int_set (&link->pending, 1);
  for (guint i = 0; i < N_TEES; i++)
    if (pads[i] != NULL)
      {
        g_atomic_int_inc (&link->pending);
        gst_pad_add_probe (pads[i], GST_PAD_PROBE_TYPE_IDLE, unlink_when_idle, link, NULL);
      }
  /* Drop the extra count taken above so the last pad finishes the removal. */
  if (g_atomic_int_dec_and_test (&link->pending))
    lattice_media_invoke (self->context, finish_removal_cb, link, peer_link_free);
}

/* Removes every peer at once, with the pipeline already stopped. */
void
lattice_media_engine_drop_all_peers (LatticeMediaEngine *self, gboolean notify)
{
  g_autoptr(GList) links = g_hash_table_get_values (self->peers);

  /* Frees the keys only: the links are freed below. */
  g_hash_table_remove_all (self->peers);
  for (GList *l = links; l != NULL; l = l->next)
    {
      PeerLink *link = l->data;

      lattice_peer_connection_close (link->peer);
      remove_bin (self, link);
      if (notify)
        g_signal_emit (self, lattice_media_engine_signals[LATTICE_MEDIA_ENGINE_SIGNAL_PEER_REMOVED], 0, link->peer);
      peer_link_free (link);
    }
}

/* Builds the peer's send branches; the ghost pads to feed from the tees in
 * @ghosts. With nothing of a kind to send, it still receives that kind. */
static void
build_send_branches (LatticeMediaEngine *self, PeerLink *link, GstPad **ghosts)
{
  if (self->video.tee != NULL)
    build_video_send_branch (self, link, &ghosts[TEE_VIDEO], &ghosts[TEE_VIDEO_LOW]);
  else
    {
      g_autoptr(GstCaps) caps = gst_caps_from_string (VIDEO_RTP_CAPS);

      lattice_peer_connection_add_recv_only (link->peer, caps);
    }
  if (self->audio.tee != NULL)
    ghosts[TEE_AUDIO] = build_audio_send_branch (self, link->peer);
  else
    {
      g_autoptr(GstCaps) caps = gst_caps_from_string (AUDIO_RTP_CAPS);

      lattice_peer_connection_add_recv_only (link->peer, caps);
    }
}

LatticePeerConnection *
lattice_media_engine_add_peer (LatticeMediaEngine *self,
                               const char         *peer_id,
                               gboolean            offerer)
{
  GstElement *tees[N_TEES] = { self->video.tee, self->video.low_tee, self->audio.tee };
  GstPad *ghosts[N_TEES] = { NULL, NULL, NULL };
  PeerLink *link;
  GstElement *bin;

  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), NULL);
  g_return_val_if_fail (peer_id != NULL, NULL);
  g_return_val_if_fail (self->running, NULL);
  g_return_val_if_fail (!g_hash_table_contains (self->peers, peer_id), NULL);

  link = g_new0 (PeerLink, 1);
  link->peer = create_peer (self, peer_id, offerer);
  bin = GST_ELEMENT (lattice_peer_connection_get_bin (link->peer));
  build_send_branches (self, link, ghosts);

  /* Playing before linked: a tee must never push into a flushing branch. */
  gst_bin_add (GST_BIN (self->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  for (guint i = 0; i < N_TEES; i++)
    if (ghosts[i] != NULL)
      link->tee_pads[i] = link_tee (tees[i], ghosts[i]);

  g_hash_table_insert (self->peers, g_strdup (peer_id), link);
  g_signal_connect_object (link->peer, "notify::state", G_CALLBACK (on_peer_state), self, 0);
  g_signal_connect_object (link->peer, "remote-view", G_CALLBACK (on_peer_remote_view), self, 0);
  lattice_peer_connection_start (link->peer);
  lattice_media_engine_update_encoder_activity (self);
  g_signal_emit (self, lattice_media_engine_signals[LATTICE_MEDIA_ENGINE_SIGNAL_PEER_ADDED], 0, link->peer);
  return link->peer;
}

void
lattice_media_engine_remove_peer (LatticeMediaEngine *self,
                                  const char         *peer_id)
{
  PeerLink *link;
  g_autofree char *key = NULL;

  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));
  g_return_if_fail (peer_id != NULL);

  if (!g_hash_table_steal_extended (self->peers, peer_id, (gpointer *) &key, (gpointer *) &link))
    return;
  start_removal (self, link);
  lattice_media_engine_update_encoder_activity (self);
}

LatticePeerConnection *
lattice_media_engine_lookup_peer (LatticeMediaEngine *self,
                                  const char         *peer_id)
{
  PeerLink *link;

  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), NULL);
  g_return_val_if_fail (peer_id != NULL, NULL);

  link = g_hash_table_lookup (self->peers, peer_id);
  return link ? link->peer : NULL;
}

GList *
lattice_media_engine_get_peers (LatticeMediaEngine *self)
{
  GList *peers = NULL;
  GHashTableIter iter;
  PeerLink *link;

  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), NULL);

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &link))
    peers = g_list_prepend (peers, link->peer);
  return peers;
}

void
lattice_media_engine_request_keyframes (LatticeMediaEngine *self)
{
  GHashTableIter iter;
  PeerLink *link;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &link))
    if (link->sender != NULL)
      lattice_peer_sender_request_keyframe (link->sender);
}

gboolean
lattice_media_engine_get_sender_stats (LatticeMediaEngine     *self,
                                       const char             *peer_id,
                                       LatticePeerSenderStats *stats)
{
  PeerLink *link;

  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), FALSE);
  g_return_val_if_fail (peer_id != NULL && stats != NULL, FALSE);

  link = g_hash_table_lookup (self->peers, peer_id);
  if (link == NULL || link->sender == NULL)
    return FALSE;
  lattice_peer_sender_get_stats (link->sender, stats);
  return TRUE;
}

void
lattice_media_engine_set_peer_max_layer (LatticeMediaEngine *self,
                                         const char         *peer_id,
                                         LatticeVideoLayer   layer)
{
  PeerLink *link;

  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));
  g_return_if_fail (peer_id != NULL);

  link = g_hash_table_lookup (self->peers, peer_id);
  if (link != NULL && link->sender != NULL)
    lattice_peer_sender_set_max_layer (link->sender, layer);
  lattice_media_engine_update_encoder_activity (self);
}
