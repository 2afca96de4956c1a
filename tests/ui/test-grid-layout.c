/* test-grid-layout.c: the grid's shape for 1..9 tiles
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "lattice-grid-layout.h"

typedef struct {
  guint n;
  guint landscape_columns, landscape_rows;
} Shape;

static void
test_shapes (void)
{
  static const Shape shapes[] = {
    { 0, 0, 0 },
    { 1, 1, 1 },
    { 2, 2, 1 },
    { 3, 2, 2 }, { 4, 2, 2 },
    { 5, 3, 2 }, { 6, 3, 2 },
    { 7, 3, 3 }, { 8, 3, 3 }, { 9, 3, 3 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      guint columns = 99, rows = 99;

      lattice_grid_layout_shape (shapes[i].n, TRUE, &columns, &rows);
      g_test_message ("%u tiles, landscape: %u×%u", shapes[i].n, columns, rows);
      g_assert_cmpuint (columns, ==, shapes[i].landscape_columns);
      g_assert_cmpuint (rows, ==, shapes[i].landscape_rows);

      /* Portrait is the same grid turned a quarter. */
      lattice_grid_layout_shape (shapes[i].n, FALSE, &columns, &rows);
      g_assert_cmpuint (columns, ==, shapes[i].landscape_rows);
      g_assert_cmpuint (rows, ==, shapes[i].landscape_columns);
    }
}

/* Every shape has room for every tile, and not a whole spare row. */
static void
test_fits (void)
{
  for (guint n = 1; n <= 30; n++)
    for (int landscape = 0; landscape <= 1; landscape++)
      {
        guint columns, rows;

        lattice_grid_layout_shape (n, landscape, &columns, &rows);
        g_assert_cmpuint (columns * rows, >=, n);
        g_assert_cmpuint ((landscape ? rows - 1 : columns - 1) * (landscape ? columns : rows), <, n);
      }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/grid-layout/shapes", test_shapes);
  g_test_add_func ("/ui/grid-layout/fits", test_fits);
  return g_test_run ();
}
