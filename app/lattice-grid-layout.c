/* lattice-grid-layout.c: the call grid's shape and cells (pure)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeApp"

#include "config.h"

#include "lattice-grid-layout.h"

/* Past nine tiles (bigger rooms than the server allows today) the grid
 * stays close to square, wider than tall in landscape. */
static void
square_shape (guint  n_tiles,
              guint *wide,
              guint *narrow)
{
  guint side = 1;

  while (side * side < n_tiles)
    side++;
  *wide = side;
  *narrow = (n_tiles + side - 1) / side;
}

void
lattice_grid_layout_shape (guint     n_tiles,
                           gboolean  landscape,
                           guint    *columns,
                           guint    *rows)
{
  guint wide;
  guint narrow;

  g_return_if_fail (columns != NULL && rows != NULL);

  if (n_tiles == 0)
    wide = narrow = 0;
  else if (n_tiles == 1)
    wide = narrow = 1;
  else if (n_tiles == 2)
    wide = 2, narrow = 1;
  else if (n_tiles <= 4)
    wide = narrow = 2;
  else if (n_tiles <= 6)
    wide = 3, narrow = 2;
  else if (n_tiles <= 9)
    wide = narrow = 3;
  else
    square_shape (n_tiles, &wide, &narrow);

  *columns = landscape ? wide : narrow;
  *rows = landscape ? narrow : wide;
}

void
lattice_grid_layout_cells (guint            n_tiles,
                           int              width,
                           int              height,
                           LatticeGridCell *cells)
{
  guint columns, rows;
  double cell_w, cell_h, top;

  g_return_if_fail (n_tiles == 0 || cells != NULL);

  if (n_tiles == 0)
    return;
  lattice_grid_layout_shape (n_tiles, width >= height, &columns, &rows);
  cell_w = MAX (1.0, (width - LATTICE_GRID_SPACING * (columns - 1.0)) / columns);
  cell_h = MAX (1.0, (height - LATTICE_GRID_SPACING * (rows - 1.0)) / rows);
  cell_w = MIN (cell_w, cell_h * 16.0 / 9.0);
  cell_h = cell_w * 9.0 / 16.0;
  top = (height - rows * cell_h - (rows - 1) * LATTICE_GRID_SPACING) / 2.0;

  for (guint i = 0; i < n_tiles; i++)
    {
      guint row = i / columns;
      guint in_row = row == rows - 1 ? n_tiles - row * columns : columns;
      double left = (width - in_row * cell_w - (in_row - 1) * LATTICE_GRID_SPACING) / 2.0;

      cells[i].x = (int) (left + (i % columns) * (cell_w + LATTICE_GRID_SPACING));
      cells[i].y = (int) (top + row * (cell_h + LATTICE_GRID_SPACING));
      cells[i].width = (int) cell_w;
      cells[i].height = (int) cell_h;
    }
}
