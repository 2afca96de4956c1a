/* media-test-utils.h: helpers shared by the media tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "lattice-media-engine.h"

G_BEGIN_DECLS

typedef gboolean (*MediaTestCondition) (gpointer data);

/* Iterates the default main context until @condition holds or @seconds pass. */
gboolean     media_test_wait_for      (MediaTestCondition condition,
                                       gpointer           data,
                                       guint              seconds);
/* Iterates the default main context for @ms milliseconds. */
void         media_test_run_for       (guint              ms);

/* A started engine with test sources (and @per_peer encoders). */
LatticeMediaEngine *media_test_engine_new (gboolean per_peer);

/* Adds a peer on each engine (@a offers) and wires their signaling directly.
 * Returns the peer on @a, the one on @b in @peer_b. */
LatticePeerConnection *media_test_connect (LatticeMediaEngine *a,
                                 const char         *a_id,
                                 LatticeMediaEngine *b,
                                 const char         *b_id,
                                 LatticePeerConnection       **peer_b);

/* Waits until @peer is connected and has decoded video and audio. */
void         media_test_wait_flowing  (LatticePeerConnection        *peer);

guint64      media_test_video_frames  (LatticePeerConnection        *peer);
guint64      media_test_audio_buffers (LatticePeerConnection        *peer);
/* Waits until the peer's video frames (or audio buffers) grow by @count. */
gboolean     media_test_wait_video    (LatticePeerConnection        *peer,
                                       guint64             count);
gboolean     media_test_wait_audio    (LatticePeerConnection        *peer,
                                       guint64             count);

G_END_DECLS
