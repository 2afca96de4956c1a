/* lattice-join-page.c: where a call starts: your name, a room link, recent rooms
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lattice-join-page.h"
#include "lattice-link.h"
#include "lattice-settings.h"

struct _LatticeJoinPage
{
  GtkWidget parent_instance;

  AdwEntryRow *name_row;
  AdwEntryRow *link_row;
  GtkLabel *error_label;
  GtkWidget *join_button;
  GtkWidget *host_button;
  GtkWidget *recent_group;
  GtkListBox *recent_list;

  GSettings *settings;
  GtkStringList *recent_rooms;
  gboolean can_join;
};

G_DEFINE_FINAL_TYPE (LatticeJoinPage, lattice_join_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CAN_JOIN,
  N_PROPS
};

enum {
  SIGNAL_JOIN,
  SIGNAL_HOST,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

char *
lattice_default_display_name (GSettings *settings)
{
  g_autofree char *name = g_settings_get_string (settings, "display-name");
  const char *real_name = g_get_real_name ();

  if (name[0] != '\0')
    return g_steal_pointer (&name);
  /* GLib says "Unknown" when the password database has no full name. */
  if (real_name != NULL && real_name[0] != '\0' && g_strcmp0 (real_name, "Unknown") != 0)
    return g_strdup (real_name);
  return g_strdup (g_get_user_name ());
}

static void
set_can_join (LatticeJoinPage *self,
              gboolean         can_join)
{
  gtk_widget_set_sensitive (self->join_button, can_join);
  if (self->can_join == can_join)
    return;
  self->can_join = can_join;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_JOIN]);
}

/* Live validation: the parser's message is the error text, empty is no error. */
static void
on_link_changed (LatticeJoinPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->link_row));
  g_autoptr(GError) error = NULL;
  g_autoptr(LatticeLink) link = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  if (stripped[0] != '\0')
    link = lattice_link_parse (stripped, &error);

  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
  gtk_label_set_label (self->error_label, error ? error->message : "");
  if (error != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->link_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->link_row), "error");
  set_can_join (self, link != NULL);
}

static void
save_name (LatticeJoinPage *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));

  if (name[0] != '\0')
    g_settings_set_string (self->settings, "display-name", name);
}

static void
on_join_clicked (LatticeJoinPage *self)
{
  g_autofree char *link = NULL;
  g_autofree char *name = NULL;

  if (!self->can_join)
    return;
  save_name (self);
  link = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->link_row))));
  name = lattice_join_page_dup_name (self);
  g_signal_emit (self, signals[SIGNAL_JOIN], 0, link, name);
}

static void
on_host_clicked (LatticeJoinPage *self)
{
  g_autofree char *name = NULL;

  save_name (self);
  name = lattice_join_page_dup_name (self);
  g_signal_emit (self, signals[SIGNAL_HOST], 0, name);
}

static void
on_recent_activated (LatticeJoinPage *self,
                     GtkListBoxRow   *row)
{
  const char *link = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row));
  g_autofree char *name = NULL;

  save_name (self);
  name = lattice_join_page_dup_name (self);
  g_signal_emit (self, signals[SIGNAL_JOIN], 0, link, name);
}

static GtkWidget *
create_recent_row (gpointer item,
                   gpointer user_data)
{
  const char *link = gtk_string_object_get_string (item);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon = gtk_image_new_from_icon_name ("go-next-symbolic");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), link);
  /* Links have no markup, but & and < are legal in a query. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), icon);
  gtk_widget_set_tooltip_text (row, _("Join this room"));
  return row;
}

static void
on_recent_rooms_changed (LatticeJoinPage *self)
{
  g_auto(GStrv) rooms = g_settings_get_strv (self->settings, "recent-rooms");
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->recent_rooms));

  gtk_string_list_splice (self->recent_rooms, 0, n, (const char * const *) rooms);
  gtk_widget_set_visible (self->recent_group, rooms[0] != NULL);
}

static void
lattice_join_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  LatticeJoinPage *self = LATTICE_JOIN_PAGE (object);

  switch (prop_id)
    {
    case PROP_CAN_JOIN:
      g_value_set_boolean (value, self->can_join);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_join_page_dispose (GObject *object)
{
  LatticeJoinPage *self = LATTICE_JOIN_PAGE (object);
  GtkWidget *child;

  g_clear_object (&self->settings);
  /* The template's root box has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  gtk_widget_dispose_template (GTK_WIDGET (self), LATTICE_TYPE_JOIN_PAGE);
  g_clear_object (&self->recent_rooms);

  G_OBJECT_CLASS (lattice_join_page_parent_class)->dispose (object);
}

static gboolean
lattice_join_page_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (GTK_WIDGET (LATTICE_JOIN_PAGE (widget)->link_row));
}

static void
lattice_join_page_class_init (LatticeJoinPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = lattice_join_page_get_property;
  object_class->dispose = lattice_join_page_dispose;
  widget_class->grab_focus = lattice_join_page_grab_focus;

  properties[PROP_CAN_JOIN] =
    g_param_spec_boolean ("can-join", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_JOIN] =
    g_signal_new ("join", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_HOST] =
    g_signal_new ("host", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/latticecall/Lattice/lattice-join-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LatticeJoinPage, name_row);
  gtk_widget_class_bind_template_child (widget_class, LatticeJoinPage, link_row);
  gtk_widget_class_bind_template_child (widget_class, LatticeJoinPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, LatticeJoinPage, join_button);
  gtk_widget_class_bind_template_child (widget_class, LatticeJoinPage, host_button);
  gtk_widget_class_bind_template_child (widget_class, LatticeJoinPage, recent_group);
  gtk_widget_class_bind_template_child (widget_class, LatticeJoinPage, recent_list);
  gtk_widget_class_bind_template_callback (widget_class, on_link_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_join_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_host_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_recent_activated);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
lattice_join_page_init (LatticeJoinPage *self)
{
  g_autofree char *name = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (LATTICE_SETTINGS_SCHEMA);
  name = lattice_default_display_name (self->settings);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);

  self->recent_rooms = gtk_string_list_new (NULL);
  gtk_list_box_bind_model (self->recent_list, G_LIST_MODEL (self->recent_rooms),
                           create_recent_row, NULL, NULL);
  g_signal_connect_object (self->settings, "changed::recent-rooms",
                           G_CALLBACK (on_recent_rooms_changed), self, G_CONNECT_SWAPPED);
  on_recent_rooms_changed (self);
}

GtkWidget *
lattice_join_page_new (void)
{
  return g_object_new (LATTICE_TYPE_JOIN_PAGE, NULL);
}

void
lattice_join_page_set_link (LatticeJoinPage *self,
                            const char      *link)
{
  g_return_if_fail (LATTICE_IS_JOIN_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->link_row), link ? link : "");
}

const char *
lattice_join_page_get_link (LatticeJoinPage *self)
{
  g_return_val_if_fail (LATTICE_IS_JOIN_PAGE (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->link_row));
}

char *
lattice_join_page_dup_name (LatticeJoinPage *self)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (LATTICE_IS_JOIN_PAGE (self), NULL);

  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  if (name[0] != '\0')
    return g_steal_pointer (&name);
  return lattice_default_display_name (self->settings);
}

gboolean
lattice_join_page_get_can_join (LatticeJoinPage *self)
{
  g_return_val_if_fail (LATTICE_IS_JOIN_PAGE (self), FALSE);

  return self->can_join;
}
