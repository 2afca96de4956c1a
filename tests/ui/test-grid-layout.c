/* test-grid-layout.c: the grid's shape for 1..9 tiles, and its cells
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

/* Cells are 16:9, inside the area, apart by the spacing, and as large as
 * lattice-peer --view assumes (the sizes its senders are asked for). */
static void
test_cells (void)
{
  static const struct { guint n; int width, height, cell_width, cell_height; } cases[] = {
    { 1, 1280, 720, 1280, 720 },
    { 2, 1280, 720, 636, 357 },
    { 3, 640, 360, 312, 176 },
    { 6, 1280, 720, 421, 237 },
    { 9, 1280, 720, 417, 234 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      LatticeGridCell cells[9];

      lattice_grid_layout_cells (cases[c].n, cases[c].width, cases[c].height, cells);
      g_test_message ("%u tiles in %dx%d: %dx%d", cases[c].n, cases[c].width, cases[c].height,
                      cells[0].width, cells[0].height);
      g_assert_cmpint (cells[0].width, ==, cases[c].cell_width);
      g_assert_cmpint (cells[0].height, ==, cases[c].cell_height);
      for (guint i = 0; i < cases[c].n; i++)
        {
          g_assert_cmpint (cells[i].x, >=, 0);
          g_assert_cmpint (cells[i].y, >=, 0);
          g_assert_cmpint (cells[i].x + cells[i].width, <=, cases[c].width);
          g_assert_cmpint (cells[i].y + cells[i].height, <=, cases[c].height);
          g_assert_cmpint (ABS (cells[i].width * 9 - cells[i].height * 16), <=, 16);
          for (guint j = 0; j < i; j++)
            g_assert_true (cells[j].x + cells[j].width + LATTICE_GRID_SPACING <= cells[i].x + 1 ||
                           cells[j].y + cells[j].height + LATTICE_GRID_SPACING <= cells[i].y + 1);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/grid-layout/shapes", test_shapes);
  g_test_add_func ("/ui/grid-layout/fits", test_fits);
  g_test_add_func ("/ui/grid-layout/cells", test_cells);
  return g_test_run ();
}
