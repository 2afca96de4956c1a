/* lattice-grid-layout.h: the call grid's shape and cells (pure)
 *
 * The app's grid (ui/lattice-grid.c) and lattice-peer's --view both lay
 * tiles out with these, so a benchmark's peers ask for the sizes the app
 * would.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The grid for @n_tiles tiles: 1 → 1×1; 2 → 2×1 (1×2 in portrait);
 * 3–4 → 2×2; 5–6 → 3×2 (2×3 in portrait); 7–9 → 3×3; more grows a square.
 * 0 tiles → 0×0. */
void lattice_grid_layout_shape (guint     n_tiles,
                                gboolean  landscape,
                                guint    *columns,
                                guint    *rows);

/* The gap between cells, in pixels. */
#define LATTICE_GRID_SPACING 8

typedef struct {
  int x, y, width, height;
} LatticeGridCell;

/* Equal 16:9 cells for @n_tiles in a @width×@height area, as large as fit,
 * the grid centred and a short last row centred in it, LATTICE_GRID_SPACING
 * apart: @cells gets @n_tiles of them. */
void lattice_grid_layout_cells (guint            n_tiles,
                                int              width,
                                int              height,
                                LatticeGridCell *cells);

G_END_DECLS
