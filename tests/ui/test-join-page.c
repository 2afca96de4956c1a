/* test-join-page.c: the link entry validates every form; the name is remembered
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "lattice-join-page.h"
#include "lattice-link.h"
#include "lattice-settings.h"

static gpointer
child (GtkWidget  *page,
       const char *name)
{
  return gtk_widget_get_template_child (page, LATTICE_TYPE_JOIN_PAGE, name);
}

static GtkWidget *
new_page (void)
{
  return g_object_ref_sink (lattice_join_page_new ());
}

static void
test_valid_links (void)
{
  static const char *const links[] = {
    "lattice://example.org/room",
    "lattice://example.org:8443/team-sync",
    "lattice://192.168.1.20:8787/brisk-otter-4821?tls=no",
    "https://meet.example.org/weekly",
    "http://127.0.0.1:8787/abc",
    "http://[::1]:8787/abc",
    "wss://meet.example.org/ws/weekly",
    "ws://localhost:8787/ws/abc",
    "  https://meet.example.org/pasted-with-spaces  ",
  };
  GtkWidget *page = new_page ();

  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_test_message ("valid: %s", links[i]);
      lattice_join_page_set_link (LATTICE_JOIN_PAGE (page), links[i]);
      g_assert_true (lattice_join_page_get_can_join (LATTICE_JOIN_PAGE (page)));
      g_assert_true (gtk_widget_get_sensitive (child (page, "join_button")));
      g_assert_false (gtk_widget_get_visible (child (page, "error_label")));
      g_assert_false (gtk_widget_has_css_class (child (page, "link_row"), "error"));
    }
  g_assert_finalize_object (page);
}

/* Each invalid form shows the parser's message and disables Join. */
static void
test_invalid_links (void)
{
  static const char *const links[] = {
    "ftp://example.org/room",          /* unknown scheme */
    "example.org/room",                /* no scheme */
    "lattice:///room",                 /* no host */
    "lattice://example.org:99999/room",/* bad port */
    "lattice://example.org/",          /* no room */
    "lattice://example.org/bad room!", /* characters a room may not have */
  };
  GtkWidget *page = new_page ();

  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LatticeLink) link = lattice_link_parse (links[i], &error);

      g_test_message ("invalid: %s → %s", links[i], error ? error->message : "(parsed!)");
      g_assert_null (link);
      lattice_join_page_set_link (LATTICE_JOIN_PAGE (page), links[i]);
      g_assert_false (lattice_join_page_get_can_join (LATTICE_JOIN_PAGE (page)));
      g_assert_false (gtk_widget_get_sensitive (child (page, "join_button")));
      g_assert_true (gtk_widget_get_visible (child (page, "error_label")));
      g_assert_cmpstr (gtk_label_get_label (child (page, "error_label")), ==, error->message);
      g_assert_true (gtk_widget_has_css_class (child (page, "link_row"), "error"));
    }

  /* Empty is not an error, just nothing to join yet. */
  lattice_join_page_set_link (LATTICE_JOIN_PAGE (page), "");
  g_assert_false (gtk_widget_get_sensitive (child (page, "join_button")));
  g_assert_false (gtk_widget_get_visible (child (page, "error_label")));
  g_assert_finalize_object (page);
}

static void
on_join (LatticeJoinPage  *page,
         const char       *link,
         const char       *name,
         char            **out)
{
  *out = g_strdup_printf ("%s|%s", link, name);
}

static void
test_join_remembers_name (void)
{
  g_autoptr(GSettings) settings = g_settings_new (LATTICE_SETTINGS_SCHEMA);
  GtkWidget *page;
  g_autofree char *joined = NULL;

  g_settings_reset (settings, "display-name");
  page = new_page ();
  /* First run: the name comes from the system, never empty. */
  g_assert_cmpstr (gtk_editable_get_text (child (page, "name_row")), !=, "");

  g_signal_connect (page, "join", G_CALLBACK (on_join), &joined);
  gtk_editable_set_text (child (page, "name_row"), "Ada Lovelace");
  lattice_join_page_set_link (LATTICE_JOIN_PAGE (page), " https://meet.example.org/weekly ");
  g_signal_emit_by_name (child (page, "join_button"), "clicked");
  g_assert_cmpstr (joined, ==, "https://meet.example.org/weekly|Ada Lovelace");

  g_autofree char *saved = g_settings_get_string (settings, "display-name");
  g_assert_cmpstr (saved, ==, "Ada Lovelace");
  g_assert_finalize_object (page);

  /* The next window starts with the remembered name. */
  page = new_page ();
  g_assert_cmpstr (gtk_editable_get_text (child (page, "name_row")), ==, "Ada Lovelace");
  g_assert_finalize_object (page);
}

static void
test_recent_rooms (void)
{
  g_autoptr(GSettings) settings = g_settings_new (LATTICE_SETTINGS_SCHEMA);
  const char *rooms[] = { "lattice://example.org/one", "https://example.org/two", NULL };
  GtkWidget *page;
  GtkListBoxRow *row;

  g_settings_set_strv (settings, "recent-rooms", NULL);
  page = new_page ();
  g_assert_false (gtk_widget_get_visible (child (page, "recent_group")));

  g_settings_set_strv (settings, "recent-rooms", rooms);
  g_assert_true (gtk_widget_get_visible (child (page, "recent_group")));
  row = gtk_list_box_get_row_at_index (child (page, "recent_list"), 1);
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, rooms[1]);
  g_assert_null (gtk_list_box_get_row_at_index (child (page, "recent_list"), 2));
  g_assert_finalize_object (page);
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

  g_test_add_func ("/ui/join-page/valid-links", test_valid_links);
  g_test_add_func ("/ui/join-page/invalid-links", test_invalid_links);
  g_test_add_func ("/ui/join-page/join-remembers-name", test_join_remembers_name);
  g_test_add_func ("/ui/join-page/recent-rooms", test_recent_rooms);
  return g_test_run ();
}
