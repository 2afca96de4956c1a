/* lattice-camera-access.h: may we use a camera, and through what
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lattice-media-engine.h"

G_BEGIN_DECLS

typedef enum {
  LATTICE_CAMERA_ACCESS_DIRECT,       /* not sandboxed: GstDeviceMonitor, nobody to ask */
  LATTICE_CAMERA_ACCESS_IDLE,         /* sandboxed, not asked yet */
  LATTICE_CAMERA_ACCESS_ASKING,       /* the Camera portal is asking the person */
  LATTICE_CAMERA_ACCESS_GRANTED,      /* cameras come from the portal's PipeWire remote */
  LATTICE_CAMERA_ACCESS_REFUSED,      /* the person (or the permission store) said no */
  LATTICE_CAMERA_ACCESS_NO_CAMERA,    /* the portal says there is no camera */
  LATTICE_CAMERA_ACCESS_UNAVAILABLE,  /* no Camera portal: GstDeviceMonitor, as outside */
} LatticeCameraAccessState;

#define LATTICE_TYPE_CAMERA_ACCESS (lattice_camera_access_get_type ())
G_DECLARE_FINAL_TYPE (LatticeCameraAccess, lattice_camera_access, LATTICE, CAMERA_ACCESS, GObject)

/* Inside a Flatpak sandbox (/.flatpak-info exists) cameras are reached
 * through the Camera portal; LATTICE_CAMERA_PORTAL=1 or 0 overrides that. */
gboolean                 lattice_camera_access_in_sandbox   (void);

/* Property "state" (LatticeCameraAccessState). With @use_portal FALSE the
 * state is DIRECT for good and D-Bus is never touched. */
LatticeCameraAccess     *lattice_camera_access_new          (gboolean             use_portal);
LatticeCameraAccessState lattice_camera_access_get_state    (LatticeCameraAccess *self);
/* Asks once: from IDLE only, unless @again (the person pressed the camera
 * button), which also asks after REFUSED or NO_CAMERA. @parent may be NULL. */
void                     lattice_camera_access_request      (LatticeCameraAccess *self,
                                                             GtkWindow           *parent,
                                                             gboolean             again);
/* The PipeWire remote of the portal while GRANTED, else -1; owned by @self. */
int                      lattice_camera_access_get_fd       (LatticeCameraAccess *self);
/* What to capture video from when @wanted was asked for: NONE while the
 * portal refuses or has no camera, @wanted otherwise. */
LatticeMediaSource       lattice_camera_access_video_source (LatticeCameraAccess *self,
                                                             LatticeMediaSource   wanted);
/* A few words about the state (for a badge), or NULL when all is well. */
const char              *lattice_camera_access_get_title    (LatticeCameraAccess *self);
/* What to do about it, in a sentence or two, or NULL when all is well. */
const char              *lattice_camera_access_describe     (LatticeCameraAccess *self);

G_END_DECLS
