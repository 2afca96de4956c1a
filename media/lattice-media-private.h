/* lattice-media-private.h: what media/ shares between its files and its tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* One element a call needs and the Debian package that ships it. */
typedef struct {
  const char *factory;
  const char *package;
} LatticeMediaPlugin;

/* Checks @n_plugins factories; the error lists every missing one with its package. */
gboolean lattice_media_check_factories (const LatticeMediaPlugin *plugins,
                                        gsize                     n_plugins,
                                        GError                  **error);

/* The same for the echo canceller's elements. */
gboolean lattice_media_check_echo_plugins (GError **error);

/* Runs @func from an idle source on @context, never synchronously, so signals
 * reach the caller on its own thread and after the current call returns. */
void     lattice_media_invoke          (GMainContext   *context,
                                        GSourceFunc     func,
                                        gpointer        data,
                                        GDestroyNotify  destroy);

/* An element of a factory the plugin check covered (asserts it exists). */
GstElement *lattice_media_make_element (const char          *factory,
                                        const char          *name);
/* A tee that goes on pushing when some of its branches are unlinked (a
 * peer being added or removed, a layer nobody receives yet). */
GstElement *lattice_media_make_tee     (const char          *name);
/* A probe on @element's static pad @pad_name. */
gulong      lattice_media_add_probe    (GstElement          *element,
                                        const char          *pad_name,
                                        GstPadProbeType      type,
                                        GstPadProbeCallback  func,
                                        gpointer             user_data);

/* At most one forced keyframe per this many ms, however many peers ask.
 * A newcomer's connections all come up within ~100 ms of each other, and
 * those the first keyframe missed get the next one this much later. */
#define LATTICE_MEDIA_KEYFRAME_MIN_INTERVAL_MS 250

/* The RTP payload types Lattice offers. */
#define LATTICE_MEDIA_VIDEO_PAYLOAD 96
#define LATTICE_MEDIA_AUDIO_PAYLOAD 111

/* Names of the engine's elements, for tests. */
#define LATTICE_MEDIA_VIDEO_ENCODER_NAME "video-encoder"
#define LATTICE_MEDIA_VIDEO_TEE_NAME "video-tee"  /* the full layer (VP8), or raw when encoding per peer */
#define LATTICE_MEDIA_VIDEO_LOW_TEE_NAME "video-low-tee"
#define LATTICE_MEDIA_AUDIO_TEE_NAME "audio-tee"

G_END_DECLS
