/* lattice-vp8-layers.h: the temporal layers of Lattice's VP8 encoder, in one place
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Lattice encodes each local video stream once and lets every peer
 * connection drop the top temporal layers for a slow peer. That only works
 * if frames of the upper layers are never references: here only TL0 frames
 * are, so any TL1/TL2 frame can be dropped (by a sender for a slow peer, or
 * by the network) without harming any other frame, and a receiver that
 * lost a TL0 frame knows everything after it is broken until a keyframe.
 *
 *   frame (system_frame_number % 4)   0     1     2     3
 *   layer                             TL0   TL2   TL1   TL2
 *   references                        LAST  LAST  LAST  LAST
 *   updates                           LAST  —     —     —
 *
 * At 15 fps a peer gets 15 fps with every layer, 7.5 with TL0+TL1 and
 * 3.75 with TL0 alone.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define LATTICE_VP8_TEMPORAL_LAYERS 3

/* Configures vp8enc for Lattice's temporal layers: pattern TL0,TL2,TL1,TL2
 * (periodicity 4, rate decimators 4,2,1), where only TL0 frames are
 * references: TL0 frames reference and update LAST only; TL1 and TL2 frames
 * reference LAST only and update nothing, not even the entropy context — so
 * every TL1/TL2 frame is droppable and a layer-sync frame. The encoder's
 * current target-bitrate is split among the layers (256 kbit/s when it has
 * none); call before the encoder starts. */
void     lattice_vp8_layers_configure   (GstElement *vp8enc);

/* Sets the total bitrate (bit/s): target-bitrate and the cumulative
 * per-layer split (temporal-scalability-target-bitrate), which vp8enc
 * applies while playing. */
void     lattice_vp8_layers_set_bitrate (GstElement *vp8enc,
                                         guint       bps);

/* Reads the layer of an encoded frame from the GstVP8Meta custom meta vp8enc
 * attaches (layer-id, layer-sync); FALSE without one. A frame of an encoder
 * without temporal layers is on layer 0 and not a layer-sync frame. */
gboolean lattice_vp8_layers_frame_info  (GstBuffer  *frame,
                                         guint      *layer_id,
                                         gboolean   *layer_sync);

/* The share (0–1) of the bitrate the layers up to @max_layer carry: what
 * a peer that receives only those costs. */
double   lattice_vp8_layers_share       (guint       max_layer);

G_END_DECLS
