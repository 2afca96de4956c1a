/* lattice-media.h: what every part of media/ shares: sources, defaults, errors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine (lattice-media-engine.h) and the peer connections
 * (lattice-peer-connection.h) both include this, and not each other.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  LATTICE_MEDIA_SOURCE_NONE,    /* send nothing of this kind */
  LATTICE_MEDIA_SOURCE_TEST,    /* videotestsrc / audiotestsrc */
  LATTICE_MEDIA_SOURCE_DEVICE,  /* camera / microphone ("video-device", "audio-device", or the default) */
} LatticeMediaSource;

#define LATTICE_MEDIA_DEFAULT_WIDTH       640
#define LATTICE_MEDIA_DEFAULT_HEIGHT      360
#define LATTICE_MEDIA_DEFAULT_FRAMERATE   30
#define LATTICE_MEDIA_DEFAULT_LATENCY_MS  50
/* A peer connection not connected after this long is FAILED (and rebuilt by
 * the call): generous, since a relayed path can take seconds to set up. */
#define LATTICE_MEDIA_DEFAULT_CONNECT_TIMEOUT_MS 20000

#define LATTICE_MEDIA_ERROR (lattice_media_error_quark ())
typedef enum {
  LATTICE_MEDIA_ERROR_MISSING_PLUGIN,  /* message names the Debian package */
  LATTICE_MEDIA_ERROR_NO_DEVICE,       /* no camera / microphone */
  LATTICE_MEDIA_ERROR_DEVICE_BUSY,
  LATTICE_MEDIA_ERROR_PIPELINE,        /* anything else the pipeline reported */
  LATTICE_MEDIA_ERROR_INVALID_DESCRIPTION, /* unusable SDP from the other side */
} LatticeMediaError;
GQuark lattice_media_error_quark (void);

/* Checks that the elements a call needs exist; the error names the Debian
 * packages to install. @need_video/@need_audio: also the encoders. */
gboolean            lattice_media_check_plugins       (gboolean             need_video,
                                                       gboolean             need_audio,
                                                       GError             **error);

/* Makes this process's DTLS certificate on a thread of its own, once; call
 * it early, e.g. at startup. lattice_media_wait_prepared() blocks until the
 * certificate exists. */
void                lattice_media_prepare             (void);
void                lattice_media_wait_prepared       (void);

G_END_DECLS
