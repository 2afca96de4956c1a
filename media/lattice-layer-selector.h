/* lattice-layer-selector.h: which of the encoded video layers one peer receives
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each local video stream is encoded once per layer: a full-resolution
 * encoder and a low-resolution one, both with temporal layers
 * (lattice-vp8-layers.h). Every peer connection has a LatticeLayerSelector
 * fed by both encoders; it forwards one of them, without its top temporal
 * layers if asked, to that peer's own payloader. So the slowest peer never
 * lowers what the others receive, and the RTP each peer sees (sequence
 * numbers, picture IDs, TL0PICIDX) is continuous, being written after the
 * selection.
 *
 *   encoder (full) → tee ─→ sink_high ┐
 *   encoder (low)  → tee ─→ sink_low  ┴→ LatticeLayerSelector → src → payloader (per peer)
 *
 * Switching between the encoders waits for a keyframe of the new one (and
 * asks it for one); adding temporal layers waits for a layer-sync frame;
 * dropping them is immediate. Keyframe requests from downstream (the peer's
 * PLI or FIR) go to the encoder the peer receives, or is about to.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* From the least to the most a peer can receive. */
typedef enum {
  LATTICE_VIDEO_LAYER_NONE,       /* no video: audio only */
  LATTICE_VIDEO_LAYER_LOW_QUARTER,/* low resolution, base temporal layer: a quarter of the frames */
  LATTICE_VIDEO_LAYER_LOW_HALF,   /* low resolution, half the frames */
  LATTICE_VIDEO_LAYER_LOW,        /* low resolution, every frame */
  LATTICE_VIDEO_LAYER_FULL_QUARTER, /* full resolution, a quarter of the frames */
  LATTICE_VIDEO_LAYER_FULL_HALF,  /* full resolution, half the frames */
  LATTICE_VIDEO_LAYER_FULL,       /* full resolution, every frame */
} LatticeVideoLayer;

#define LATTICE_VIDEO_LAYER_LAST LATTICE_VIDEO_LAYER_FULL

#define LATTICE_TYPE_LAYER_SELECTOR (lattice_layer_selector_get_type ())
G_DECLARE_FINAL_TYPE (LatticeLayerSelector, lattice_layer_selector, LATTICE, LAYER_SELECTOR, GstElement)

/* Pads: "sink_full" and "sink_low" (always; leave "sink_low" unlinked when
 * there is no low-resolution encoder), "src".
 * Properties: "target" (LatticeVideoLayer, any time, any thread), "current"
 * (read-only: what it forwards now). */
GstElement        *lattice_layer_selector_new              (const char           *name);
void               lattice_layer_selector_set_target       (LatticeLayerSelector *self,
                                                            LatticeVideoLayer     layer);
LatticeVideoLayer  lattice_layer_selector_get_target       (LatticeLayerSelector *self);
LatticeVideoLayer  lattice_layer_selector_get_current      (LatticeLayerSelector *self);
/* Asks the encoder this peer receives (or is switching to) for a keyframe. */
void               lattice_layer_selector_request_keyframe (LatticeLayerSelector *self);

typedef struct {
  guint64 frames;            /* forwarded */
  guint64 bytes;             /* forwarded, encoded */
  guint64 switches;          /* between the encoders */
  guint64 keyframe_requests; /* sent upstream, from downstream or for a switch */
} LatticeLayerSelectorStats;

void               lattice_layer_selector_get_stats        (LatticeLayerSelector      *self,
                                                            LatticeLayerSelectorStats *stats);

/* A short name for statistics: "none", "low-quarter", "low-half", "low",
 * "full-quarter", "full-half", "full". */
const char        *lattice_video_layer_to_string           (LatticeVideoLayer     layer);
/* Whether @layer comes from the full-resolution encoder, and the highest
 * temporal layer it keeps (0–2). */
gboolean           lattice_video_layer_is_full             (LatticeVideoLayer     layer);
guint              lattice_video_layer_max_temporal        (LatticeVideoLayer     layer);

G_END_DECLS
