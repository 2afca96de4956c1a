/* lattice-video-encoders.h: the local video, encoded once per layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two VP8 encoders fed by the same raw frames, each temporally scalable
 * (lattice-vp8-layers.h), each followed by a tee the peers' layer
 * selectors draw from:
 *
 *   raw ─→ tee ─→ vp8enc (full size)                            ─→ tee "video-full-tee"
 *              └→ queue → videoscale → half size → vp8enc (low) ─→ tee "video-low-tee"
 *
 * The full encoder runs in the thread that feeds it, the low one in its
 * queue's, so the two encode in parallel. The low-resolution encoder
 * exists when the picture is at least twice the smallest one a stamp
 * (lattice-stamp.h) can be read from, 320x180.
 *
 * A layer nobody receives is not encoded (lattice_video_encoders_set_active()):
 * its frames are dropped before the scaler and encoder, and the first one
 * after it is wanted again is a keyframe. Both start idle.
 *
 * Bitrates start at nominal values that follow the frame size and rate;
 * lattice_video_encoders_set_rates() changes them while playing (the
 * engine follows what the peers' estimates ask for).
 */
#pragma once

#include <gst/gst.h>

#include "lattice-peer-sender.h"

G_BEGIN_DECLS

typedef struct _LatticeVideoEncoders LatticeVideoEncoders;

/* The bitrate (bit/s) the full-resolution layer gets with nothing in the
 * way, at @width x @height and @framerate. */
guint                 lattice_video_encoders_nominal_bitrate (guint width,
                                                              guint height,
                                                              guint framerate);

/* Builds the encoders in @bin, fed from @upstream's src pad. With
 * @stamp_time, the low layer's frames get their own stamp (lattice-stamp.h)
 * of the capture time the full frame carried. */
LatticeVideoEncoders *lattice_video_encoders_new       (GstBin               *bin,
                                                        GstElement           *upstream,
                                                        guint                 width,
                                                        guint                 height,
                                                        guint                 framerate,
                                                        gboolean              stamp_time);
void                  lattice_video_encoders_free      (LatticeVideoEncoders *self);

/* The tee of the full (@low FALSE) or low layer; NULL if there is no low one. */
GstElement           *lattice_video_encoders_get_tee   (LatticeVideoEncoders *self,
                                                        gboolean              low);
void                  lattice_video_encoders_get_rates (LatticeVideoEncoders *self,
                                                        LatticeEncoderRates  *rates);
/* Clamped to what each layer may use; changed only when it differs enough
 * to matter, since each change reconfigures the encoder. */
void                  lattice_video_encoders_set_rates (LatticeVideoEncoders *self,
                                                        guint                 full_bps,
                                                        guint                 low_bps);

/* Which layers are encoded: those some peer receives or is switching to. */
void                  lattice_video_encoders_set_active (LatticeVideoEncoders *self,
                                                         gboolean              full,
                                                         gboolean              low);
void                  lattice_video_encoders_get_active (LatticeVideoEncoders *self,
                                                         gboolean             *full,
                                                         gboolean             *low);

/* The bounds lattice_video_encoders_set_rates() clamps to. */
void                  lattice_video_encoders_get_bounds (LatticeVideoEncoders *self,
                                                         guint                *full_min,
                                                         guint                *low_min,
                                                         guint                *low_nominal);

/* An encoder as the engine configures them (encode-per-peer makes one per
 * peer with this too): not layered when @layered is FALSE. */
GstElement           *lattice_video_encoder_make       (const char           *name,
                                                        guint                 width,
                                                        guint                 height,
                                                        guint                 framerate,
                                                        guint                 bitrate,
                                                        gboolean              layered);

G_END_DECLS
