/* lattice-grid-layout.c: how many columns and rows a call grid has (pure)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeUi"

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
