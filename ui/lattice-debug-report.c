/* lattice-debug-report.c: lets a test watch the real app (debug hook)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "lattice-debug-report.h"
#include "lattice-grid.h"
#include "lattice-paintable-sink.h"
#include "lattice-participant.h"
#include "lattice-tile.h"
#include "lattice-window.h"

#define REPORT_INTERVAL_MS 250

struct _LatticeDebugReport
{
  GObject parent_instance;

  GtkApplication *application;   /* unowned: the app owns us */
  char *prefix;
  GPtrArray *snapshots;          /* paths written */
  guint timeout_id;
  gboolean snapshot_requested;
};

G_DEFINE_FINAL_TYPE (LatticeDebugReport, lattice_debug_report, G_TYPE_OBJECT)

static LatticeWindow *
find_window (LatticeDebugReport *self)
{
  for (GList *l = gtk_application_get_windows (self->application); l != NULL; l = l->next)
    if (LATTICE_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

static void
add_tile (JsonBuilder   *builder,
          LatticeWindow *window,
          LatticeTile   *tile)
{
  LatticeParticipant *participant = lattice_tile_get_participant (tile);
  GObject *paintable = lattice_participant_get_paintable (participant);
  graphene_rect_t bounds = GRAPHENE_RECT_INIT (0, 0, 0, 0);

  if (!gtk_widget_compute_bounds (GTK_WIDGET (tile), GTK_WIDGET (window), &bounds))
    graphene_rect_init (&bounds, 0, 0, 0, 0);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, lattice_participant_get_id (participant));
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, lattice_participant_get_name (participant));
  json_builder_set_member_name (builder, "is-self");
  json_builder_add_boolean_value (builder, lattice_participant_get_is_self (participant));
  json_builder_set_member_name (builder, "has-video");
  json_builder_add_boolean_value (builder, GDK_IS_PAINTABLE (paintable) &&
                                           gdk_paintable_get_intrinsic_width (GDK_PAINTABLE (paintable)) > 0);
  json_builder_set_member_name (builder, "showing-video");
  json_builder_add_boolean_value (builder, lattice_tile_get_showing_video (tile));
  json_builder_set_member_name (builder, "frames");
  json_builder_add_int_value (builder, LATTICE_IS_PAINTABLE_SINK (paintable)
                                         ? (gint64) lattice_paintable_sink_get_n_frames (LATTICE_PAINTABLE_SINK (paintable)) : -1);
  json_builder_set_member_name (builder, "connection-state");
  json_builder_add_int_value (builder, lattice_participant_get_connection_state (participant));
  json_builder_set_member_name (builder, "x");
  json_builder_add_int_value (builder, (gint64) bounds.origin.x);
  json_builder_set_member_name (builder, "y");
  json_builder_add_int_value (builder, (gint64) bounds.origin.y);
  json_builder_set_member_name (builder, "width");
  json_builder_add_int_value (builder, (gint64) bounds.size.width);
  json_builder_set_member_name (builder, "height");
  json_builder_add_int_value (builder, (gint64) bounds.size.height);
  json_builder_end_object (builder);
}

static void
add_window (JsonBuilder   *builder,
            LatticeWindow *window)
{
  LatticeGrid *grid = lattice_call_page_get_grid (lattice_window_get_call_page (window));
  guint n = lattice_grid_get_n_tiles (grid);
  g_autofree char *invite = lattice_window_dup_invite_link (window);

  json_builder_set_member_name (builder, "page");
  json_builder_add_string_value (builder, lattice_window_get_page_name (window));
  json_builder_set_member_name (builder, "in-call");
  json_builder_add_boolean_value (builder, lattice_window_get_in_call (window));
  json_builder_set_member_name (builder, "invite-link");
  if (invite != NULL)
    json_builder_add_string_value (builder, invite);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "n-tiles");
  json_builder_add_int_value (builder, n);
  json_builder_set_member_name (builder, "tiles");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    add_tile (builder, window, LATTICE_TILE (lattice_grid_get_tile (grid, i)));
  json_builder_end_array (builder);
}

/* Renders a toplevel as it is now, with its own renderer. */
static gboolean
save_png (GtkWidget  *toplevel,
          const char *path)
{
  int width = gtk_widget_get_width (toplevel);
  int height = gtk_widget_get_height (toplevel);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (toplevel);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (toplevel));

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_to_node (snapshot);
  if (node == NULL || renderer == NULL)
    return FALSE;
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  return gdk_texture_save_to_png (texture, path);
}

/* The window, then any message dialog over it (PREFIX-N-dialog.png). */
static gboolean
take_snapshot (LatticeDebugReport *self,
               LatticeWindow      *window)
{
  g_autofree char *path = g_strdup_printf ("%s-%u.png", self->prefix, self->snapshots->len + 1);
  g_autofree char *dialog_path = g_strdup_printf ("%s-%u-dialog.png", self->prefix, self->snapshots->len + 1);
  GListModel *toplevels = gtk_window_get_toplevels ();  /* not ours */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (toplevel) && gtk_widget_get_mapped (toplevel))
        save_png (toplevel, dialog_path);
    }
  if (!save_png (GTK_WIDGET (window), path))
    {
      g_message ("Debug snapshot failed: %s", path);
      return FALSE;
    }
  g_ptr_array_add (self->snapshots, g_steal_pointer (&path));
  return TRUE;
}

/* Open message dialogs: what the person is told (errors, questions). */
static void
add_dialogs (JsonBuilder *builder)
{
  GListModel *toplevels = gtk_window_get_toplevels ();  /* not ours */

  json_builder_set_member_name (builder, "dialogs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (!ADW_IS_MESSAGE_DIALOG (toplevel) || !gtk_widget_get_visible (toplevel))
        continue;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "heading");
      json_builder_add_string_value (builder, adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (toplevel)));
      json_builder_set_member_name (builder, "body");
      json_builder_add_string_value (builder, adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (toplevel)));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
write_report (LatticeDebugReport *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autofree char *path = g_strconcat (self->prefix, ".json", NULL);
  LatticeWindow *window = find_window (self);
  g_autoptr(GError) error = NULL;

  /* a window between two frames may not render: try again next tick */
  if (window != NULL && self->snapshot_requested)
    self->snapshot_requested = !take_snapshot (self, window);

  json_builder_begin_object (builder);
  if (window != NULL)
    add_window (builder, window);
  add_dialogs (builder);
  json_builder_set_member_name (builder, "snapshots");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->snapshots->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (self->snapshots, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);
  /* Atomic: a reader never sees half a report. */
  if (!g_file_set_contents (path, json, -1, &error))
    g_message ("Debug report: %s", error->message);
}

static gboolean
on_timeout (gpointer data)
{
  write_report (data);
  return G_SOURCE_CONTINUE;
}

static void
lattice_debug_report_dispose (GObject *object)
{
  LatticeDebugReport *self = LATTICE_DEBUG_REPORT (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);

  G_OBJECT_CLASS (lattice_debug_report_parent_class)->dispose (object);
}

static void
lattice_debug_report_finalize (GObject *object)
{
  LatticeDebugReport *self = LATTICE_DEBUG_REPORT (object);

  g_free (self->prefix);
  g_ptr_array_unref (self->snapshots);

  G_OBJECT_CLASS (lattice_debug_report_parent_class)->finalize (object);
}

static void
lattice_debug_report_class_init (LatticeDebugReportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lattice_debug_report_dispose;
  object_class->finalize = lattice_debug_report_finalize;
}

static void
lattice_debug_report_init (LatticeDebugReport *self)
{
  self->snapshots = g_ptr_array_new_with_free_func (g_free);
}

LatticeDebugReport *
lattice_debug_report_new (GtkApplication *application,
                          const char     *prefix)
{
  LatticeDebugReport *self;

  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (prefix != NULL, NULL);

  self = g_object_new (LATTICE_TYPE_DEBUG_REPORT, NULL);
  self->application = application;
  self->prefix = g_strdup (prefix);
  self->timeout_id = g_timeout_add (REPORT_INTERVAL_MS, on_timeout, self);
  g_message ("Debug report enabled: %s.json", prefix);
  return self;
}

/* Taken at the next report, from the main loop, not from the signal source. */
void
lattice_debug_report_request_snapshot (LatticeDebugReport *self)
{
  g_return_if_fail (LATTICE_IS_DEBUG_REPORT (self));

  self->snapshot_requested = TRUE;
}
