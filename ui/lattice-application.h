/* lattice-application.h: the desktop app: windows, actions, links, hosting
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "lattice-media-engine.h"

G_BEGIN_DECLS

#define LATTICE_TYPE_APPLICATION (lattice_application_get_type ())
G_DECLARE_FINAL_TYPE (LatticeApplication, lattice_application, LATTICE, APPLICATION, AdwApplication)

LatticeApplication *lattice_application_new              (void);
/* DEVICE normally; TEST with the hidden --video/--audio test options or
 * LATTICE_TEST_SOURCES=1 (tests, machines without camera). */
LatticeMediaSource  lattice_application_get_video_source (LatticeApplication *self);
LatticeMediaSource  lattice_application_get_audio_source (LatticeApplication *self);
/* Starts the embedded signaling server once (on host-port, or any free
 * port when that one is busy) and returns its port, or 0 with @error. */
guint               lattice_application_ensure_server    (LatticeApplication *self,
                                                          GError            **error);
/* The pin ("sha256:…") of the hosted server's certificate; NULL when it
 * serves plain ws (no certificate could be made) or does not run. */
const char         *lattice_application_get_server_fingerprint (LatticeApplication *self);

G_END_DECLS
