/* lattice-window.h: the main window: join page, progress, the call
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "lattice-call-page.h"

G_BEGIN_DECLS

#define LATTICE_TYPE_WINDOW (lattice_window_get_type ())
G_DECLARE_FINAL_TYPE (LatticeWindow, lattice_window, LATTICE, WINDOW, AdwApplicationWindow)

LatticeWindow   *lattice_window_new            (AdwApplication *application);
/* Joins @link with the remembered name; while in a call, asks first. */
void             lattice_window_open_link      (LatticeWindow  *self,
                                                const char     *link);
/* Hosts a new room (see the join page's "host") and joins it. */
void             lattice_window_host           (LatticeWindow  *self);
void             lattice_window_leave          (LatticeWindow  *self);
gboolean         lattice_window_get_in_call    (LatticeWindow  *self);
/* "join", "joining" or "call". */
const char      *lattice_window_get_page_name  (LatticeWindow  *self);
LatticeCallPage *lattice_window_get_call_page  (LatticeWindow  *self);
/* The link to share for the current call (the LAN link when hosting), or NULL. */
char            *lattice_window_dup_invite_link (LatticeWindow *self);

G_END_DECLS
