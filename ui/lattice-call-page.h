/* lattice-call-page.h: the call: a header with the room, the grid, the controls
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "lattice-controls.h"
#include "lattice-grid.h"

G_BEGIN_DECLS

#define LATTICE_TYPE_CALL_PAGE (lattice_call_page_get_type ())
G_DECLARE_FINAL_TYPE (LatticeCallPage, lattice_call_page, LATTICE, CALL_PAGE, GtkWidget)

/* Properties: "participants" (GListModel of LatticeParticipant), "room",
 * "invite-link". When only you are there, the invite link shows over the grid. */
GtkWidget       *lattice_call_page_new              (void);
void             lattice_call_page_set_participants (LatticeCallPage *self,
                                                     GListModel      *participants);
void             lattice_call_page_set_room         (LatticeCallPage *self,
                                                     const char      *room);
void             lattice_call_page_set_invite_link  (LatticeCallPage *self,
                                                     const char      *link);
LatticeGrid     *lattice_call_page_get_grid         (LatticeCallPage *self);
LatticeControls *lattice_call_page_get_controls     (LatticeCallPage *self);

G_END_DECLS
