/* lattice-tile.h: one participant's place in the call grid
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "lattice-participant.h"

G_BEGIN_DECLS

#define LATTICE_TYPE_TILE (lattice_tile_get_type ())
G_DECLARE_FINAL_TYPE (LatticeTile, lattice_tile, LATTICE, TILE, GtkWidget)

/* Properties: "participant" (LatticeParticipant), "showing-video" (read-only:
 * a frame is there and the video is on; otherwise the initials show). */
GtkWidget          *lattice_tile_new               (LatticeParticipant *participant);
LatticeParticipant *lattice_tile_get_participant   (LatticeTile        *self);
void                lattice_tile_set_participant   (LatticeTile        *self,
                                                    LatticeParticipant *participant);
gboolean            lattice_tile_get_showing_video (LatticeTile        *self);

G_END_DECLS
