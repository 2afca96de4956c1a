/* test-preferences.c: preferences bind to settings; the call page and shortcuts build
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "lattice-call-page.h"
#include "lattice-participant.h"
#include "lattice-preferences-window.h"
#include "lattice-settings.h"

static gpointer
child (GtkWidget  *window,
       const char *name)
{
  return gtk_widget_get_template_child (window, LATTICE_TYPE_PREFERENCES_WINDOW, name);
}

static void
test_bindings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (LATTICE_SETTINGS_SCHEMA);
  GtkWidget *window;
  g_auto(GStrv) turn = NULL;
  g_autofree char *quality = NULL;

  g_settings_set_string (settings, "video-quality", "low");
  g_settings_set_uint (settings, "host-port", 9000);
  window = GTK_WIDGET (lattice_preferences_window_new (NULL));

  /* Settings → rows */
  g_assert_cmpuint (adw_combo_row_get_selected (child (window, "quality_row")), ==, 0);
  g_assert_cmpfloat (gtk_adjustment_get_value (child (window, "port_adjustment")), ==, 9000);
  g_settings_set_boolean (settings, "echo-cancellation", FALSE);
  g_assert_false (gtk_switch_get_active (child (window, "echo_switch")));

  /* Rows → settings */
  adw_combo_row_set_selected (child (window, "quality_row"), 2);
  quality = g_settings_get_string (settings, "video-quality");
  g_assert_cmpstr (quality, ==, "high");
  gtk_editable_set_text (child (window, "turn_row"), "turn://a:b@one.example:3478, turn://c:d@two.example:3478");
  turn = g_settings_get_strv (settings, "turn-servers");
  g_assert_cmpuint (g_strv_length (turn), ==, 2);
  g_assert_cmpstr (turn[1], ==, "turn://c:d@two.example:3478");
  gtk_editable_set_text (child (window, "name_row"), "Grace");
  g_autofree char *name = g_settings_get_string (settings, "display-name");
  g_assert_cmpstr (name, ==, "Grace");

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Alone in the room: the invite shows; someone joins: it goes. */
static void
test_call_page (void)
{
  g_autoptr(GListStore) store = g_list_store_new (LATTICE_TYPE_PARTICIPANT);
  g_autoptr(LatticeParticipant) me = lattice_participant_new ("me", "Me", TRUE);
  g_autoptr(LatticeParticipant) other = lattice_participant_new ("o", "Other", FALSE);
  GtkWidget *page = g_object_ref_sink (lattice_call_page_new ());
  GtkWidget *empty = (GtkWidget *) gtk_widget_get_template_child (page, LATTICE_TYPE_CALL_PAGE, "empty_box");
  AdwWindowTitle *title = (AdwWindowTitle *) gtk_widget_get_template_child (page, LATTICE_TYPE_CALL_PAGE, "window_title");
  GtkLabel *invite = (GtkLabel *) gtk_widget_get_template_child (page, LATTICE_TYPE_CALL_PAGE, "invite_label");

  g_list_store_append (store, me);
  lattice_call_page_set_participants (LATTICE_CALL_PAGE (page), G_LIST_MODEL (store));
  lattice_call_page_set_room (LATTICE_CALL_PAGE (page), "brisk-otter");
  lattice_call_page_set_invite_link (LATTICE_CALL_PAGE (page), "lattice://example.org/brisk-otter");
  g_assert_cmpstr (adw_window_title_get_title (title), ==, "brisk-otter");
  g_assert_cmpstr (adw_window_title_get_subtitle (title), ==, "1 participant");
  g_assert_cmpstr (gtk_label_get_label (invite), ==, "lattice://example.org/brisk-otter");
  g_assert_true (gtk_widget_get_visible (empty));

  g_list_store_append (store, other);
  g_assert_cmpstr (adw_window_title_get_subtitle (title), ==, "2 participants");
  g_assert_false (gtk_widget_get_visible (empty));
  g_assert_cmpuint (lattice_grid_get_n_tiles (lattice_call_page_get_grid (LATTICE_CALL_PAGE (page))), ==, 2);

  lattice_call_page_set_participants (LATTICE_CALL_PAGE (page), NULL);
  g_assert_finalize_object (page);
}

static void
test_shortcuts_window (void)
{
  g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource ("/io/github/latticecall/Lattice/gtk/help-overlay.ui");

  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (gtk_builder_get_object (builder, "help_overlay")));
  gtk_window_destroy (GTK_WINDOW (gtk_builder_get_object (builder, "help_overlay")));
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
  g_test_add_func ("/ui/preferences/bindings", test_bindings);
  g_test_add_func ("/ui/call-page/empty-room", test_call_page);
  g_test_add_func ("/ui/shortcuts/build", test_shortcuts_window);
  return g_test_run ();
}
