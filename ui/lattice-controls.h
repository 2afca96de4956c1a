/* lattice-controls.h: the bar under the call: mic, camera, devices, invite, leave
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LATTICE_TYPE_CONTROLS (lattice_controls_get_type ())
G_DECLARE_FINAL_TYPE (LatticeControls, lattice_controls, LATTICE, CONTROLS, GtkWidget)

/* The buttons act through the window's actions (win.microphone,
 * win.camera, win.copy-invite, win.leave). The device menu lists the
 * models given here (GListModel of GstDevice) and writes the choice to the
 * settings keys camera-device, microphone-device and speaker-device. */
GtkWidget *lattice_controls_new         (void);
void       lattice_controls_set_devices (LatticeControls *self,
                                         GListModel      *cameras,
                                         GListModel      *microphones,
                                         GListModel      *speakers);
/* Why the camera is off (camera access refused, …), shown as the camera
 * button's tooltip and under the camera choice; NULL when nothing is wrong. */
void        lattice_controls_set_camera_notice (LatticeControls *self,
                                                const char      *notice);
const char *lattice_controls_get_camera_notice (LatticeControls *self);

G_END_DECLS
