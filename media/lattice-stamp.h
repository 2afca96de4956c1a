/* lattice-stamp.h: a 64-bit timestamp drawn into a video frame, readable after lossy coding
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The stamp is a band of large black and white luma blocks at the top left
 * of the frame: LATTICE_STAMP_COLUMNS × LATTICE_STAMP_ROWS cells holding a
 * fixed sync pattern, the 64 bits of the value and a CRC-16 of them. Blocks
 * of 8×8 pixels or more (16×16 from 320 pixels wide) survive VP8 at
 * real-time bitrates, so a receiver can read back the sender's capture time
 * after decoding and measure glass-to-glass latency on one machine.
 *
 * Any 8-bit YUV format works (planar, semi-planar or packed); the frame
 * must be at least LATTICE_STAMP_MIN_WIDTH × LATTICE_STAMP_MIN_HEIGHT.
 */
#pragma once

#include <gst/video/video.h>

G_BEGIN_DECLS

#define LATTICE_STAMP_COLUMNS     20
#define LATTICE_STAMP_ROWS         5
#define LATTICE_STAMP_MIN_WIDTH  160
#define LATTICE_STAMP_MIN_HEIGHT  90

/* Whether @info describes frames the stamp can be written into and read from. */
gboolean lattice_stamp_supports     (const GstVideoInfo *info);
/* Height in pixels of the band the stamp covers, 0 if not supported. */
guint    lattice_stamp_band_height  (const GstVideoInfo *info);

/* Draws @value into @frame (mapped for writing). FALSE if the format or size
 * is not supported; the frame is then untouched. */
gboolean lattice_stamp_write        (GstVideoFrame      *frame,
                                     guint64             value);
/* Reads a stamp back from @frame (mapped for reading). FALSE when there is no
 * stamp that can be trusted: no sync pattern, too little contrast, a cell
 * that is neither black nor white, or a checksum that does not match. */
gboolean lattice_stamp_read         (const GstVideoFrame *frame,
                                     guint64            *value);

/* The same on a whole buffer with @info; writing maps @buffer for writing,
 * so it must be writable. */
gboolean lattice_stamp_write_buffer (GstBuffer          *buffer,
                                     const GstVideoInfo *info,
                                     guint64             value);
gboolean lattice_stamp_read_buffer  (GstBuffer          *buffer,
                                     const GstVideoInfo *info,
                                     guint64            *value);

/* Writes the stamp like lattice_stamp_write_buffer() and also keeps
 * @value in a GstReferenceTimestampMeta that travels with the buffer and
 * its scaled copies, so that lattice_stamp_rewrite_buffer() can draw the
 * same value again into a frame of another size, in cells that size's
 * reader expects. */
gboolean lattice_stamp_mark_buffer    (GstBuffer          *buffer,
                                       const GstVideoInfo *info,
                                       guint64             value);
gboolean lattice_stamp_rewrite_buffer (GstBuffer          *buffer,
                                       const GstVideoInfo *info);

/* Buffer probes for raw video pads: the first marks every frame with the
 * monotonic clock (µs) as it passes, the second draws the marked value
 * again into the scaled frames of another size. */
GstPadProbeReturn lattice_stamp_mark_probe    (GstPad          *pad,
                                               GstPadProbeInfo *info,
                                               gpointer         user_data);
GstPadProbeReturn lattice_stamp_rewrite_probe (GstPad          *pad,
                                               GstPadProbeInfo *info,
                                               gpointer         user_data);

G_END_DECLS
