/* lattice-debug-report.h: lets a test watch the real app (debug hook)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Enabled only when LATTICE_DEBUG_REPORT=PREFIX is set in the environment
 * (see LatticeApplication). Then, every 250 ms, the app writes PREFIX.json
 * atomically:
 *   { "page": "join"|"joining"|"call", "in-call": bool, "invite-link": str|null, "n-tiles": N,
 *     "snapshots": ["PREFIX-1.png", …], "dialogs": [ { "heading", "body" } ],
 *     "tiles": [ { "id", "name", "is-self", "has-video", "showing-video",
 *                  "frames", "connection-state", "x", "y", "width", "height" } ] }
 * ("frames": frames the tile's paintable received, when it is a
 * LatticePaintableSink; x/y/width/height: the tile in window coordinates,
 * the same as in the snapshots). SIGUSR1 asks for a PNG snapshot of the
 * window, PREFIX-N.png, listed in "snapshots" once written (and of an open
 * message dialog, PREFIX-N-dialog.png).
 * LATTICE_DEBUG_QUIT_AFTER=SECONDS and SIGTERM/SIGINT leave the call and quit.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LATTICE_TYPE_DEBUG_REPORT (lattice_debug_report_get_type ())
G_DECLARE_FINAL_TYPE (LatticeDebugReport, lattice_debug_report, LATTICE, DEBUG_REPORT, GObject)

LatticeDebugReport *lattice_debug_report_new              (GtkApplication     *application,
                                                           const char         *prefix);
void                lattice_debug_report_request_snapshot (LatticeDebugReport *self);

G_END_DECLS
