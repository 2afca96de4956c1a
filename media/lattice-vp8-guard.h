/* lattice-vp8-guard.h: lets through only the RTP packets of VP8 frames that will decode intact
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LatticeVp8Guard sits after the jitterbuffer and before rtpvp8depay. It
 * reassembles frames from the RTP packets (timestamp, S bit and PID 0,
 * marker, sequence numbers), reads what each frame is from its VP8 payload
 * descriptor (RFC 7741: picture ID, TL0PICIDX, TID, Y) and payload header
 * (key frame bit), and pushes a frame's packets, whole, only when the
 * decoder will decode it exactly as the sender meant:
 *
 *  - a complete keyframe always, and it repairs everything;
 *  - with temporal layers (L and T present): a TL0 frame when the TL0 frame
 *    before it (TL0PICIDX − 1) passed; a TL1+ frame with Y set when the TL0
 *    frame it belongs to (same TL0PICIDX) passed, so a lost TL1/TL2 frame
 *    costs only itself (Lattice's encoder, lattice-vp8-layers.h, makes every
 *    TL1/TL2 frame like that); a TL1+ frame without Y also needs every frame
 *    of its layer and the layers below it since their last sync frame;
 *  - without temporal layers every frame is a reference: after any
 *    incomplete or missing frame, nothing until a keyframe.
 *
 * While the picture is broken it asks upstream for a keyframe (a
 * force-key-unit event, which rtpsession turns into an RTCP PLI) at once and
 * then every "request-interval" ms until one arrives, never more often. The
 * interval is measured on the element's clock (the pipeline's), or the
 * monotonic clock before it has one.
 *
 * A gap in the sequence numbers is taken as final (the jitterbuffer only
 * skips a packet it has given up on), as is a GstRTPPacketLost event, which
 * the guard consumes: past the guard a frame is whole or absent, so there is
 * no partial loss left for rtpvp8depay to turn into GAP events.
 *
 * Behind the guard, rtpvp8depay must keep "wait-for-keyframe" and
 * "request-keyframe" off (their defaults): the frames the guard drops leave
 * gaps in the sequence numbers, which the depayloader sees as
 * discontinuities, and with those on it would throw away everything until
 * a keyframe after every dropped TL2 frame.
 *
 * Properties: "request-interval" (guint, ms, default 250), and, read-only,
 * "frames-passed", "frames-dropped" (frames of which at least one packet
 * arrived and none was pushed), "keyframe-requests", "packets-invalid"
 * (packets that are not RTP, not VP8 or not of the negotiated payload type,
 * dropped) — all guint64 — and "broken" (gboolean: waiting for a keyframe,
 * TRUE until the first one; notified from the streaming thread).
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define LATTICE_VP8_GUARD_FACTORY "latticevp8guard"

#define LATTICE_TYPE_VP8_GUARD (lattice_vp8_guard_get_type ())
G_DECLARE_FINAL_TYPE (LatticeVp8Guard, lattice_vp8_guard, LATTICE, VP8_GUARD, GstElement)

/* Registers the element as LATTICE_VP8_GUARD_FACTORY (no plugin), so that
 * gst_element_factory_make() and gst_parse_launch() know it. */
gboolean    lattice_vp8_guard_register (void);

GstElement *lattice_vp8_guard_new      (const char *name);

G_END_DECLS
