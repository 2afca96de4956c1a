/* lattice-test-source.h: a synthetic camera for tests and benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * videotestsrc's ball costs a VP8 encoder a fraction of what a camera does,
 * so a call with it never meets a realistic bitrate. The CAMERA pattern is a
 * person in front of a bookshelf, abstractly: a slow pan and zoom over a
 * scene textured at several scales, a figure that sways, nods and talks, a
 * hand that gestures, light that drifts, and a little sensor noise. It is
 * drawn at whatever size downstream negotiates, and frame N is the same in
 * every run and every process.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  LATTICE_TEST_PATTERN_CAMERA,  /* as demanding to encode as a real camera */
  LATTICE_TEST_PATTERN_BALL,    /* videotestsrc pattern=ball, nearly free to encode */
} LatticeTestPattern;

/* A live video source (a GstBin with one "src" ghost pad) producing raw video
 * at whatever size and rate downstream negotiates (I420 at least, any raw
 * format videoconvert makes for CAMERA, any videotestsrc makes for BALL).
 * Timestamps follow the framerate from the pipeline clock, like
 * videotestsrc is-live=TRUE. */
GstElement *lattice_test_source_new      (LatticeTestPattern  pattern);

/* Whether @source waits for the clock (TRUE, the default) or makes frames as
 * fast as downstream takes them, for tests that encode many seconds of
 * video. Only in the NULL or READY state. */
void        lattice_test_source_set_live (GstElement         *source,
                                          gboolean            live);

G_END_DECLS
