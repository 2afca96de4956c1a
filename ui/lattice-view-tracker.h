/* lattice-view-tracker.h: tells the call how large each participant is shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Watches the grid's tiles and the window: each remote participant's tile
 * size in device pixels goes to lattice_call_set_view(), and a minimized
 * (or otherwise hidden) window to lattice_call_set_video_hidden(), so
 * senders send no bigger a layer than the screen shows, and none at all
 * to a window nobody sees.
 */
#pragma once

#include <gtk/gtk.h>

#include "lattice-call.h"
#include "lattice-grid.h"

G_BEGIN_DECLS

#define LATTICE_TYPE_VIEW_TRACKER (lattice_view_tracker_get_type ())
G_DECLARE_FINAL_TYPE (LatticeViewTracker, lattice_view_tracker, LATTICE, VIEW_TRACKER, GObject)

LatticeViewTracker *lattice_view_tracker_new      (GtkWindow          *window,
                                                   LatticeGrid        *grid);
/* The call to tell, or NULL between calls. */
void                lattice_view_tracker_set_call (LatticeViewTracker *self,
                                                   LatticeCall        *call);
/* Whether the window is out of sight now (minimized, hidden). */
gboolean            lattice_view_tracker_get_hidden (LatticeViewTracker *self);

G_END_DECLS
