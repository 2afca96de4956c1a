/* lattice-call-page.c: the call: a header with the room, the grid, the controls
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lattice-call-page.h"

struct _LatticeCallPage
{
  GtkWidget parent_instance;

  AdwWindowTitle *window_title;
  LatticeGrid *grid;
  GtkWidget *empty_box;
  GtkLabel *invite_label;
  LatticeControls *controls;

  GListModel *participants;
};

G_DEFINE_FINAL_TYPE (LatticeCallPage, lattice_call_page, GTK_TYPE_WIDGET)

static void
on_participants_changed (LatticeCallPage *self)
{
  guint n = self->participants ? g_list_model_get_n_items (self->participants) : 0;
  g_autofree char *subtitle = NULL;

  /* Translators: the subtitle of the call window */
  subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u participant", "%u participants", n), n);
  adw_window_title_set_subtitle (self->window_title, n > 0 ? subtitle : "");
  gtk_widget_set_visible (self->empty_box, n == 1);
}

static void
lattice_call_page_dispose (GObject *object)
{
  LatticeCallPage *self = LATTICE_CALL_PAGE (object);
  GtkWidget *child;

  lattice_call_page_set_participants (self, NULL);
  /* The template's root box has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  gtk_widget_dispose_template (GTK_WIDGET (self), LATTICE_TYPE_CALL_PAGE);

  G_OBJECT_CLASS (lattice_call_page_parent_class)->dispose (object);
}

static void
lattice_call_page_class_init (LatticeCallPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lattice_call_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/latticecall/Lattice/lattice-call-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LatticeCallPage, window_title);
  gtk_widget_class_bind_template_child (widget_class, LatticeCallPage, grid);
  gtk_widget_class_bind_template_child (widget_class, LatticeCallPage, empty_box);
  gtk_widget_class_bind_template_child (widget_class, LatticeCallPage, invite_label);
  gtk_widget_class_bind_template_child (widget_class, LatticeCallPage, controls);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "callpage");
}

static void
lattice_call_page_init (LatticeCallPage *self)
{
  g_type_ensure (LATTICE_TYPE_GRID);
  g_type_ensure (LATTICE_TYPE_CONTROLS);
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
lattice_call_page_new (void)
{
  return g_object_new (LATTICE_TYPE_CALL_PAGE, NULL);
}

void
lattice_call_page_set_participants (LatticeCallPage *self,
                                    GListModel      *participants)
{
  g_return_if_fail (LATTICE_IS_CALL_PAGE (self));

  if (self->participants == participants)
    return;
  if (self->participants != NULL)
    g_signal_handlers_disconnect_by_data (self->participants, self);
  g_set_object (&self->participants, participants);
  if (participants != NULL)
    g_signal_connect_object (participants, "items-changed",
                             G_CALLBACK (on_participants_changed), self, G_CONNECT_SWAPPED);
  if (self->grid != NULL)
    lattice_grid_set_model (self->grid, participants);
  if (self->window_title != NULL)
    on_participants_changed (self);
}

void
lattice_call_page_set_room (LatticeCallPage *self,
                            const char      *room)
{
  g_return_if_fail (LATTICE_IS_CALL_PAGE (self));

  adw_window_title_set_title (self->window_title, room ? room : "");
}

void
lattice_call_page_set_invite_link (LatticeCallPage *self,
                                   const char      *link)
{
  g_return_if_fail (LATTICE_IS_CALL_PAGE (self));

  gtk_label_set_label (self->invite_label, link ? link : "");
}

LatticeGrid *
lattice_call_page_get_grid (LatticeCallPage *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL_PAGE (self), NULL);

  return self->grid;
}

LatticeControls *
lattice_call_page_get_controls (LatticeCallPage *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL_PAGE (self), NULL);

  return self->controls;
}
