/* lattice-grid.h: the tiles of a call, in equal 16:9 cells
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LATTICE_TYPE_GRID (lattice_grid_get_type ())
G_DECLARE_FINAL_TYPE (LatticeGrid, lattice_grid, LATTICE, GRID, GtkWidget)

/* Properties: "model" (GListModel of LatticeParticipant): one LatticeTile
 * per item, in the model's order, re-flowing as items come and go.
 * Signals: tile-view (LatticeParticipant *participant, guint width,
 * guint height): a tile was laid out at a new size, in device pixels. */
GtkWidget  *lattice_grid_new         (void);
GListModel *lattice_grid_get_model   (LatticeGrid *self);
void        lattice_grid_set_model   (LatticeGrid *self,
                                      GListModel  *model);
guint       lattice_grid_get_n_tiles (LatticeGrid *self);
GtkWidget  *lattice_grid_get_tile    (LatticeGrid *self,
                                      guint        position);

G_END_DECLS
