/* lattice-peer-sender.h: what one peer connection sends, and how fast
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine gives each peer connection a sender. It builds that peer's
 * video send chain inside the peer's bin, holds the peer's bandwidth
 * estimate (lattice-bwe.h) fed by the transport-wide feedback the peer
 * returns and by its RTCP receiver reports, and picks the video layer the
 * peer receives (lattice-layer-selector.h):
 *
 *   full encoder tee ─→ ┐
 *   low encoder tee  ─→ ┴ LatticeLayerSelector → queue → rtpvp8pay → webrtcbin
 *                                                             ↑ transport-wide feedback
 *
 * With "encode-per-peer" (a browser's way, for comparisons) the chain is
 * queue → vp8enc → rtpvp8pay instead, and the estimate sets that
 * encoder's bitrate.
 *
 * Every function runs on the engine's main context but
 * lattice_peer_sender_get_*(), which any thread may call.
 */
#pragma once

#include <gst/gst.h>

#include "lattice-layer-selector.h"

G_BEGIN_DECLS

typedef struct _LatticePeerSender LatticePeerSender;

/* The bitrates (bit/s) the shared encoders run at now, and what the
 * full-resolution one would use with nothing in the way. */
typedef struct {
  guint full_bps;      /* 0: no video */
  guint low_bps;       /* 0: no low-resolution encoder */
  guint full_nominal_bps;
} LatticeEncoderRates;

typedef struct {
  guint             estimate_bps;   /* the available bitrate, as estimated (audio and video) */
  guint             audio_bps;      /* audio's share of it */
  guint             acked_bps;      /* what the peer acknowledged receiving */
  LatticeVideoLayer layer;          /* what it forwards now */
  LatticeVideoLayer target;         /* what it is switching to */
  double            loss;           /* 0–1: of the last feedback window, before repairs */
  gint64            rtt_us;         /* -1: unknown */
  guint64           sent_bytes;     /* video forwarded to this peer */
  guint64           keyframe_requests;
  guint64           feedback_reports;
} LatticePeerSenderStats;

/* @nominal_bps: what the full layer needs, where the estimate starts. */
LatticePeerSender *lattice_peer_sender_new     (const char          *peer_id,
                                                guint                nominal_bps);
void               lattice_peer_sender_free    (LatticePeerSender   *self);

/* Builds the layered chain in @bin, linked to @webrtc_pad; returns the two
 * ghost pads of @bin for the encoders' tees (*@low_pad NULL when @with_low
 * is FALSE). */
void               lattice_peer_sender_build   (LatticePeerSender   *self,
                                                GstBin              *bin,
                                                GstPad              *webrtc_pad,
                                                gboolean             with_low,
                                                GstPad             **full_pad,
                                                GstPad             **low_pad);
/* Builds queue → @encoder → payloader in @bin, linked to @webrtc_pad;
 * returns the ghost pad for the raw video tee. */
GstPad            *lattice_peer_sender_build_per_peer (LatticePeerSender *self,
                                                       GstBin            *bin,
                                                       GstPad            *webrtc_pad,
                                                       GstElement        *encoder);

/* Once a second or so: what the peer's RTCP receiver reports said. */
void               lattice_peer_sender_on_receiver_report (LatticePeerSender *self,
                                                           double             fraction_lost,
                                                           gint64             rtt_us);
/* Every LATTICE_PEER_SENDER_TICK_MS, in two steps: update() notices
 * feedback timeouts and returns what the estimate leaves for video;
 * decide() picks the layer (or the per-peer encoder's bitrate) for the
 * encoders' current @rates and a video @budget, which is that value, or
 * (@shared) the engine's share of a bottleneck the connections share. */
#define LATTICE_PEER_SENDER_TICK_MS 200
guint              lattice_peer_sender_update  (LatticePeerSender         *self,
                                                gint64                     now_us);
void               lattice_peer_sender_decide  (LatticePeerSender         *self,
                                                gint64                     now_us,
                                                const LatticeEncoderRates *rates,
                                                guint                      budget,
                                                gboolean                   shared);
/* The most the receiver wants (its tile is small, or hidden): the layer
 * never goes above it, whatever the link allows. */
void               lattice_peer_sender_set_max_layer (LatticePeerSender *self,
                                                      LatticeVideoLayer  layer);
/* The peer connection just connected (or the video came back): a keyframe. */
void               lattice_peer_sender_request_keyframe (LatticePeerSender *self);

LatticeVideoLayer  lattice_peer_sender_get_layer    (LatticePeerSender      *self);
void               lattice_peer_sender_get_stats    (LatticePeerSender      *self,
                                                     LatticePeerSenderStats *stats);

G_END_DECLS
