/* lattice-preferences-window.c: name, servers, network and media settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every row is bound to its GSettings key; changes apply to the next call
 * (devices change at once, from the call's controls).
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include <glib/gi18n.h>

#include "lattice-preferences-window.h"
#include "lattice-settings.h"

struct _LatticePreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GtkWidget *name_row;
  GtkWidget *server_row;
  GtkWidget *port_spin;
  GtkAdjustment *port_adjustment;
  GtkWidget *quality_row;
  GtkWidget *echo_switch;
  GtkWidget *latency_spin;
  GtkWidget *stun_row;
  GtkWidget *turn_row;

  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (LatticePreferencesWindow, lattice_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char *const qualities[] = { "low", "medium", "high" };

static gboolean
quality_to_selected (GValue   *value,
                     GVariant *variant,
                     gpointer  user_data)
{
  const char *quality = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (qualities); i++)
    if (g_str_equal (quality, qualities[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
selected_to_quality (const GValue       *value,
                     const GVariantType *type,
                     gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  return selected < G_N_ELEMENTS (qualities) ? g_variant_new_string (qualities[selected]) : NULL;
}

/* One text row for a list of servers, separated by commas or spaces. */
static gboolean
strv_to_text (GValue   *value,
              GVariant *variant,
              gpointer  user_data)
{
  g_autofree const char **servers = g_variant_get_strv (variant, NULL);

  g_value_take_string (value, g_strjoinv (", ", (char **) servers));
  return TRUE;
}

static GVariant *
text_to_strv (const GValue       *value,
              const GVariantType *type,
              gpointer            user_data)
{
  g_auto(GStrv) parts = g_strsplit_set (g_value_get_string (value), ", \t", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) servers = NULL;

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_strv_builder_add (builder, parts[i]);
  servers = g_strv_builder_end (builder);
  return g_variant_new_strv ((const char * const *) servers, -1);
}

static gboolean
uint_to_double (GValue   *value,
                GVariant *variant,
                gpointer  user_data)
{
  g_value_set_double (value, g_variant_get_uint32 (variant));
  return TRUE;
}

static GVariant *
double_to_uint (const GValue       *value,
                const GVariantType *type,
                gpointer            user_data)
{
  return g_variant_new_uint32 ((guint32) g_value_get_double (value));
}

static void
bind_settings (LatticePreferencesWindow *self)
{
  GtkAdjustment *latency = gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (self->latency_spin));

  g_settings_bind (self->settings, "display-name", self->name_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "default-server", self->server_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "stun-server", self->stun_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "echo-cancellation", self->echo_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "host-port", self->port_adjustment, "value",
                                G_SETTINGS_BIND_DEFAULT, uint_to_double, double_to_uint, NULL, NULL);
  g_settings_bind_with_mapping (self->settings, "jitter-latency", latency, "value",
                                G_SETTINGS_BIND_DEFAULT, uint_to_double, double_to_uint, NULL, NULL);
  g_settings_bind_with_mapping (self->settings, "video-quality", self->quality_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, quality_to_selected, selected_to_quality, NULL, NULL);
  g_settings_bind_with_mapping (self->settings, "turn-servers", self->turn_row, "text",
                                G_SETTINGS_BIND_DEFAULT, strv_to_text, text_to_strv, NULL, NULL);
}

static void
lattice_preferences_window_dispose (GObject *object)
{
  LatticePreferencesWindow *self = LATTICE_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), LATTICE_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (lattice_preferences_window_parent_class)->dispose (object);
}

static void
lattice_preferences_window_class_init (LatticePreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lattice_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/latticecall/Lattice/lattice-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LatticePreferencesWindow, name_row);
  gtk_widget_class_bind_template_child (widget_class, LatticePreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, LatticePreferencesWindow, port_spin);
  gtk_widget_class_bind_template_child (widget_class, LatticePreferencesWindow, port_adjustment);
  gtk_widget_class_bind_template_child (widget_class, LatticePreferencesWindow, quality_row);
  gtk_widget_class_bind_template_child (widget_class, LatticePreferencesWindow, echo_switch);
  gtk_widget_class_bind_template_child (widget_class, LatticePreferencesWindow, latency_spin);
  gtk_widget_class_bind_template_child (widget_class, LatticePreferencesWindow, stun_row);
  gtk_widget_class_bind_template_child (widget_class, LatticePreferencesWindow, turn_row);
}

static void
lattice_preferences_window_init (LatticePreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (LATTICE_SETTINGS_SCHEMA);
  bind_settings (self);
}

LatticePreferencesWindow *
lattice_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (LATTICE_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
}
