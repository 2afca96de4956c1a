/* test-tile.c: a tile follows its participant; the grid follows the model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "lattice-grid.h"
#include "lattice-tile.h"

static gpointer
child (GtkWidget  *tile,
       const char *name)
{
  return gtk_widget_get_template_child (tile, LATTICE_TYPE_TILE, name);
}

static const char *
label_text (GtkWidget  *tile,
            const char *name)
{
  return gtk_label_get_label (child (tile, name));
}

static gboolean
child_visible (GtkWidget  *tile,
               const char *name)
{
  return gtk_widget_get_visible (child (tile, name));
}

static GtkWidget *
new_tile (LatticeParticipant *participant)
{
  return g_object_ref_sink (lattice_tile_new (participant));
}

static void
test_name_and_badges (void)
{
  g_autoptr(LatticeParticipant) p = lattice_participant_new ("p1", "Ada Lovelace", FALSE);
  GtkWidget *tile = new_tile (p);

  g_assert_cmpstr (label_text (tile, "name_label"), ==, "Ada Lovelace");
  g_assert_cmpstr (adw_avatar_get_text (child (tile, "avatar")), ==, "Ada Lovelace");
  lattice_participant_set_name (p, "Grace Hopper");
  g_assert_cmpstr (label_text (tile, "name_label"), ==, "Grace Hopper");
  g_assert_cmpstr (adw_avatar_get_text (child (tile, "avatar")), ==, "Grace Hopper");

  g_assert_false (child_visible (tile, "muted_icon"));
  lattice_participant_set_audio_muted (p, TRUE);
  g_assert_true (child_visible (tile, "muted_icon"));
  lattice_participant_set_audio_muted (p, FALSE);
  g_assert_false (child_visible (tile, "muted_icon"));

  g_assert_false (gtk_widget_has_css_class (tile, "speaking"));
  lattice_participant_set_speaking (p, TRUE);
  g_assert_true (gtk_widget_has_css_class (tile, "speaking"));
  lattice_participant_set_speaking (p, FALSE);
  g_assert_false (gtk_widget_has_css_class (tile, "speaking"));

  g_assert_finalize_object (tile);
}

static void
test_connection_state (void)
{
  g_autoptr(LatticeParticipant) p = lattice_participant_new ("p1", "Ada", FALSE);
  GtkWidget *tile = new_tile (p);

  /* A new participant: no media yet. */
  g_assert_true (child_visible (tile, "state_box"));
  g_assert_true (child_visible (tile, "spinner"));
  g_assert_cmpstr (label_text (tile, "state_label"), ==, "Connecting…");

  lattice_participant_set_connection_state (p, LATTICE_CONNECTION_CONNECTING);
  g_assert_true (child_visible (tile, "state_box"));

  lattice_participant_set_connection_state (p, LATTICE_CONNECTION_CONNECTED);
  g_assert_false (child_visible (tile, "state_box"));
  g_assert_false (gtk_widget_has_css_class (tile, "failed"));

  lattice_participant_set_connection_state (p, LATTICE_CONNECTION_FAILED);
  g_assert_true (child_visible (tile, "state_box"));
  g_assert_false (child_visible (tile, "spinner"));
  g_assert_true (child_visible (tile, "failed_icon"));
  g_assert_cmpstr (label_text (tile, "state_label"), ==, "Connection failed");
  g_assert_true (gtk_widget_has_css_class (tile, "failed"));

  g_assert_finalize_object (tile);
}

/* Video shows once a frame is there and the person sends video; the
 * initials show otherwise. */
static void
test_video (void)
{
  g_autoptr(LatticeParticipant) p = lattice_participant_new ("p1", "Ada", FALSE);
  g_autoptr(GdkPaintable) empty = gdk_paintable_new_empty (0, 0);
  g_autoptr(GdkPaintable) frame = gdk_paintable_new_empty (640, 360);
  GtkWidget *tile = new_tile (p);

  g_assert_false (lattice_tile_get_showing_video (LATTICE_TILE (tile)));
  g_assert_true (child_visible (tile, "avatar"));
  g_assert_false (child_visible (tile, "picture"));

  /* A sink without a frame yet: still the initials. */
  lattice_participant_set_paintable (p, G_OBJECT (empty));
  g_assert_false (lattice_tile_get_showing_video (LATTICE_TILE (tile)));
  g_assert_true (child_visible (tile, "avatar"));

  lattice_participant_set_paintable (p, G_OBJECT (frame));
  g_assert_true (lattice_tile_get_showing_video (LATTICE_TILE (tile)));
  g_assert_true (child_visible (tile, "picture"));
  g_assert_false (child_visible (tile, "avatar"));
  g_assert_true (gtk_picture_get_paintable (child (tile, "picture")) == frame);

  lattice_participant_set_video_off (p, TRUE);
  g_assert_false (lattice_tile_get_showing_video (LATTICE_TILE (tile)));
  g_assert_true (child_visible (tile, "avatar"));
  g_assert_false (child_visible (tile, "picture"));

  lattice_participant_set_video_off (p, FALSE);
  g_assert_true (child_visible (tile, "picture"));

  lattice_participant_set_paintable (p, NULL);
  g_assert_true (child_visible (tile, "avatar"));
  g_assert_null (gtk_picture_get_paintable (child (tile, "picture")));

  g_assert_finalize_object (tile);
}

/* Your own tile is mirrored and never shows a connection state. */
static void
test_self (void)
{
  g_autoptr(LatticeParticipant) me = lattice_participant_new ("me", "Me", TRUE);
  GtkWidget *tile = new_tile (me);

  g_assert_true (gtk_widget_has_css_class (tile, "self"));
  g_assert_false (child_visible (tile, "state_box"));
  g_assert_finalize_object (tile);
}

/* Changing participant drops every binding and handler of the old one. */
static void
test_rebind (void)
{
  LatticeParticipant *old = lattice_participant_new ("a", "Old", FALSE);
  g_autoptr(LatticeParticipant) new = lattice_participant_new ("b", "New", TRUE);
  g_autoptr(GdkPaintable) frame = gdk_paintable_new_empty (16, 9);
  GtkWidget *tile = new_tile (old);

  lattice_participant_set_paintable (old, G_OBJECT (frame));
  lattice_tile_set_participant (LATTICE_TILE (tile), new);
  g_assert_true (lattice_tile_get_participant (LATTICE_TILE (tile)) == new);
  g_assert_cmpstr (label_text (tile, "name_label"), ==, "New (You)");
  g_assert_false (lattice_tile_get_showing_video (LATTICE_TILE (tile)));

  lattice_participant_set_name (old, "Changed");
  lattice_participant_set_speaking (old, TRUE);
  g_assert_cmpstr (label_text (tile, "name_label"), ==, "New (You)");
  g_assert_false (gtk_widget_has_css_class (tile, "speaking"));
  g_assert_finalize_object (old);

  lattice_tile_set_participant (LATTICE_TILE (tile), NULL);
  g_assert_false (gtk_widget_has_css_class (tile, "self"));
  g_assert_finalize_object (tile);
}

static LatticeParticipant *
tile_participant (LatticeGrid *grid,
                  guint        i)
{
  return lattice_tile_get_participant (LATTICE_TILE (lattice_grid_get_tile (grid, i)));
}

static void
test_grid_follows_model (void)
{
  g_autoptr(GListStore) store = g_list_store_new (LATTICE_TYPE_PARTICIPANT);
  g_autoptr(LatticeParticipant) me = lattice_participant_new ("me", "Me", TRUE);
  g_autoptr(LatticeParticipant) a = lattice_participant_new ("a", "A", FALSE);
  g_autoptr(LatticeParticipant) b = lattice_participant_new ("b", "B", FALSE);
  LatticeGrid *grid = LATTICE_GRID (g_object_ref_sink (lattice_grid_new ()));

  g_list_store_append (store, me);
  g_list_store_append (store, a);
  lattice_grid_set_model (grid, G_LIST_MODEL (store));
  g_assert_cmpuint (lattice_grid_get_n_tiles (grid), ==, 2);
  g_assert_true (tile_participant (grid, 0) == me);

  g_list_store_append (store, b);
  g_assert_cmpuint (lattice_grid_get_n_tiles (grid), ==, 3);
  g_assert_true (tile_participant (grid, 2) == b);
  g_assert_true (gtk_widget_get_parent (lattice_grid_get_tile (grid, 2)) == GTK_WIDGET (grid));

  g_list_store_remove (store, 1);
  g_assert_cmpuint (lattice_grid_get_n_tiles (grid), ==, 2);
  g_assert_true (tile_participant (grid, 0) == me);
  g_assert_true (tile_participant (grid, 1) == b);
  /* The widgets' order is the model's (for keyboard focus and a11y). */
  g_assert_true (gtk_widget_get_next_sibling (lattice_grid_get_tile (grid, 0)) ==
                 lattice_grid_get_tile (grid, 1));

  lattice_grid_set_model (grid, NULL);
  g_assert_cmpuint (lattice_grid_get_n_tiles (grid), ==, 0);
  g_assert_null (gtk_widget_get_first_child (GTK_WIDGET (grid)));
  g_assert_finalize_object (grid);
}

/* Tiles get equal 16:9 cells inside the grid, whatever the count. */
static void
test_grid_allocation (void)
{
  g_autoptr(GListStore) store = g_list_store_new (LATTICE_TYPE_PARTICIPANT);
  GtkWidget *window = gtk_window_new ();
  LatticeGrid *grid = LATTICE_GRID (lattice_grid_new ());

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (grid));
  lattice_grid_set_model (grid, G_LIST_MODEL (store));
  for (guint n = 1; n <= 9; n++)
    {
      g_autofree char *id = g_strdup_printf ("p%u", n);
      g_autoptr(LatticeParticipant) p = lattice_participant_new (id, id, n == 1);
      int width = -1, height = -1;

      g_list_store_append (store, p);
      gtk_widget_measure (GTK_WIDGET (grid), GTK_ORIENTATION_VERTICAL, -1, NULL, NULL, NULL, NULL);
      gtk_widget_measure (GTK_WIDGET (grid), GTK_ORIENTATION_HORIZONTAL, -1, NULL, NULL, NULL, NULL);
      gtk_widget_size_allocate (GTK_WIDGET (grid), &(GtkAllocation) { 0, 0, 1280, 720 }, -1);
      for (guint i = 0; i < n; i++)
        {
          GtkWidget *tile = lattice_grid_get_tile (grid, i);
          graphene_rect_t bounds;

          g_assert_true (gtk_widget_compute_bounds (tile, GTK_WIDGET (grid), &bounds));
          if (width < 0)
            width = gtk_widget_get_width (tile), height = gtk_widget_get_height (tile);
          g_assert_cmpint (gtk_widget_get_width (tile), ==, width);
          g_assert_cmpint (gtk_widget_get_height (tile), ==, height);
          g_assert_cmpfloat (bounds.origin.x, >=, 0);
          g_assert_cmpfloat (bounds.origin.y, >=, 0);
          g_assert_cmpfloat (bounds.origin.x + bounds.size.width, <=, 1280);
          g_assert_cmpfloat (bounds.origin.y + bounds.size.height, <=, 720);
        }
      g_assert_cmpfloat_with_epsilon ((double) width / height, 16.0 / 9.0, 0.02);
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_printerr ("No display: skipping\n");
      return 77;
    }
  adw_init ();

  g_test_add_func ("/ui/tile/name-and-badges", test_name_and_badges);
  g_test_add_func ("/ui/tile/connection-state", test_connection_state);
  g_test_add_func ("/ui/tile/video", test_video);
  g_test_add_func ("/ui/tile/self", test_self);
  g_test_add_func ("/ui/tile/rebind", test_rebind);
  g_test_add_func ("/ui/grid/follows-model", test_grid_follows_model);
  g_test_add_func ("/ui/grid/allocation", test_grid_allocation);
  return g_test_run ();
}
