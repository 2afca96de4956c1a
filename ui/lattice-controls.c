/* lattice-controls.c: the bar under the call: mic, camera, devices, invite, leave
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include <glib/gi18n.h>
#include <gst/gst.h>

#include "lattice-controls.h"
#include "lattice-settings.h"

typedef struct
{
  GtkDropDown *dropdown;
  GListModel *devices;
  GtkStringList *names;
  const char *key;
} DeviceChoice;

enum { CHOICE_CAMERA, CHOICE_MICROPHONE, CHOICE_SPEAKER, N_CHOICES };

struct _LatticeControls
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkToggleButton *mic_button;
  GtkToggleButton *camera_button;
  GtkWidget *devices_button;
  GtkWidget *devices_popover;
  GtkDropDown *camera_dropdown;
  GtkDropDown *microphone_dropdown;
  GtkDropDown *speaker_dropdown;
  GtkLabel *camera_notice_label;

  GSettings *settings;
  char *camera_notice;
  DeviceChoice choices[N_CHOICES];
  gboolean rebuilding;
};

G_DEFINE_FINAL_TYPE (LatticeControls, lattice_controls, GTK_TYPE_WIDGET)

static void
on_mic_active (LatticeControls *self)
{
  gboolean on = gtk_toggle_button_get_active (self->mic_button);

  gtk_button_set_icon_name (GTK_BUTTON (self->mic_button),
                            on ? "microphone-sensitivity-high-symbolic"
                               : "microphone-sensitivity-muted-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->mic_button),
                               on ? _("Turn Microphone Off (Ctrl+D)")
                                  : _("Turn Microphone On (Ctrl+D)"));
}

static void
on_camera_active (LatticeControls *self)
{
  gboolean on = gtk_toggle_button_get_active (self->camera_button);

  gtk_button_set_icon_name (GTK_BUTTON (self->camera_button),
                            on ? "camera-web-symbolic" : "camera-disabled-symbolic");
  /* Why the camera cannot be on says more than "Turn Camera On" */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->camera_button),
                               self->camera_notice ? self->camera_notice
                               : on ? _("Turn Camera Off (Ctrl+E)")
                                    : _("Turn Camera On (Ctrl+E)"));
}

/* Entry 0 is the system default; the rest are the devices' display names,
 * which is also what the settings store (device paths change across boots). */
static void
rebuild_names (LatticeControls *self,
               DeviceChoice    *choice)
{
  g_autofree char *wanted = g_settings_get_string (self->settings, choice->key);
  guint n = choice->devices ? g_list_model_get_n_items (choice->devices) : 0;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint selected = 0;

  g_ptr_array_add (names, g_strdup (_("Default")));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GstDevice) device = g_list_model_get_item (choice->devices, i);
      char *name = gst_device_get_display_name (device);

      if (g_strcmp0 (name, wanted) == 0)
        selected = names->len;
      g_ptr_array_add (names, name);
    }
  g_ptr_array_add (names, NULL);

  self->rebuilding = TRUE;
  gtk_string_list_splice (choice->names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (choice->names)),
                          (const char * const *) names->pdata);
  gtk_drop_down_set_selected (choice->dropdown, selected);
  self->rebuilding = FALSE;
}

static void
on_dropdown_selected (GtkDropDown     *dropdown,
                      GParamSpec      *pspec,
                      LatticeControls *self)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (self->rebuilding)
    return;
  for (guint i = 0; i < N_CHOICES; i++)
    {
      DeviceChoice *choice = &self->choices[i];

      if (choice->dropdown != dropdown)
        continue;
      g_settings_set_string (self->settings, choice->key,
                             selected == 0 || selected == GTK_INVALID_LIST_POSITION
                               ? "" : gtk_string_list_get_string (choice->names, selected));
    }
}

static void
on_devices_changed (GListModel      *devices,
                    guint            position,
                    guint            removed,
                    guint            added,
                    LatticeControls *self)
{
  for (guint i = 0; i < N_CHOICES; i++)
    if (self->choices[i].devices == devices)
      rebuild_names (self, &self->choices[i]);
}

static void
set_choice_devices (LatticeControls *self,
                    DeviceChoice    *choice,
                    GListModel      *devices)
{
  if (choice->devices != NULL)
    g_signal_handlers_disconnect_by_data (choice->devices, self);
  g_set_object (&choice->devices, devices);
  if (devices != NULL)
    g_signal_connect_object (devices, "items-changed",
                             G_CALLBACK (on_devices_changed), self, 0);
  rebuild_names (self, choice);
}

static void
init_choice (LatticeControls *self,
             DeviceChoice    *choice,
             GtkDropDown     *dropdown,
             const char      *key)
{
  choice->dropdown = dropdown;
  choice->key = key;
  choice->names = gtk_string_list_new (NULL);
  gtk_drop_down_set_model (dropdown, G_LIST_MODEL (choice->names));
  g_signal_connect_object (dropdown, "notify::selected",
                           G_CALLBACK (on_dropdown_selected), self, 0);
  rebuild_names (self, choice);
}

static void
lattice_controls_dispose (GObject *object)
{
  LatticeControls *self = LATTICE_CONTROLS (object);

  for (guint i = 0; i < N_CHOICES; i++)
    {
      if (self->choices[i].devices != NULL)
        g_signal_handlers_disconnect_by_data (self->choices[i].devices, self);
      g_clear_object (&self->choices[i].devices);
      g_clear_object (&self->choices[i].names);
    }
  g_clear_object (&self->settings);
  g_clear_pointer (&self->camera_notice, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), LATTICE_TYPE_CONTROLS);

  G_OBJECT_CLASS (lattice_controls_parent_class)->dispose (object);
}

static void
lattice_controls_class_init (LatticeControlsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lattice_controls_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/latticecall/Lattice/lattice-controls.ui");
  gtk_widget_class_bind_template_child (widget_class, LatticeControls, box);
  gtk_widget_class_bind_template_child (widget_class, LatticeControls, mic_button);
  gtk_widget_class_bind_template_child (widget_class, LatticeControls, camera_button);
  gtk_widget_class_bind_template_child (widget_class, LatticeControls, devices_button);
  gtk_widget_class_bind_template_child (widget_class, LatticeControls, devices_popover);
  gtk_widget_class_bind_template_child (widget_class, LatticeControls, camera_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LatticeControls, microphone_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LatticeControls, speaker_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LatticeControls, camera_notice_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "controls");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_TOOLBAR);
}

static void
lattice_controls_init (LatticeControls *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (LATTICE_SETTINGS_SCHEMA);

  g_signal_connect_object (self->mic_button, "notify::active",
                           G_CALLBACK (on_mic_active), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->camera_button, "notify::active",
                           G_CALLBACK (on_camera_active), self, G_CONNECT_SWAPPED);
  on_mic_active (self);
  on_camera_active (self);

  init_choice (self, &self->choices[CHOICE_CAMERA], self->camera_dropdown, "camera-device");
  init_choice (self, &self->choices[CHOICE_MICROPHONE], self->microphone_dropdown, "microphone-device");
  init_choice (self, &self->choices[CHOICE_SPEAKER], self->speaker_dropdown, "speaker-device");
}

GtkWidget *
lattice_controls_new (void)
{
  return g_object_new (LATTICE_TYPE_CONTROLS, NULL);
}

void
lattice_controls_set_devices (LatticeControls *self,
                              GListModel      *cameras,
                              GListModel      *microphones,
                              GListModel      *speakers)
{
  g_return_if_fail (LATTICE_IS_CONTROLS (self));

  set_choice_devices (self, &self->choices[CHOICE_CAMERA], cameras);
  set_choice_devices (self, &self->choices[CHOICE_MICROPHONE], microphones);
  set_choice_devices (self, &self->choices[CHOICE_SPEAKER], speakers);
}

void
lattice_controls_set_camera_notice (LatticeControls *self,
                                    const char      *notice)
{
  g_return_if_fail (LATTICE_IS_CONTROLS (self));

  if (g_strcmp0 (self->camera_notice, notice) == 0)
    return;
  g_free (self->camera_notice);
  self->camera_notice = g_strdup (notice);
  gtk_label_set_label (self->camera_notice_label, notice ? notice : "");
  gtk_widget_set_visible (GTK_WIDGET (self->camera_notice_label), notice != NULL);
  on_camera_active (self);
}

const char *
lattice_controls_get_camera_notice (LatticeControls *self)
{
  g_return_val_if_fail (LATTICE_IS_CONTROLS (self), NULL);

  return self->camera_notice;
}
