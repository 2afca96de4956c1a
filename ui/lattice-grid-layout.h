/* lattice-grid-layout.h: how many columns and rows a call grid has (pure)
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

G_END_DECLS
