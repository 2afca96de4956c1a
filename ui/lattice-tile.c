/* lattice-tile.c: one participant's place in the call grid
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shows the video when there is a frame and the person sends video,
 * their initials otherwise; the name with a muted-mic badge; a highlight
 * while they speak; and the connection state until media flows.
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lattice-tile.h"

struct _LatticeTile
{
  GtkWidget parent_instance;

  GtkWidget *overlay;
  GtkPicture *picture;
  AdwAvatar *avatar;
  GtkWidget *state_box;
  GtkSpinner *spinner;
  GtkWidget *failed_icon;
  GtkLabel *state_label;
  GtkWidget *name_box;
  GtkWidget *muted_icon;
  GtkWidget *hand_icon;
  GtkLabel *name_label;
  GtkLabel *verify_label;

  LatticeParticipant *participant;
  GPtrArray *bindings;
  GdkPaintable *paintable;   /* watched for its first frame */
  gboolean showing_video;
};

G_DEFINE_FINAL_TYPE (LatticeTile, lattice_tile, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_PARTICIPANT,
  PROP_SHOWING_VIDEO,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_showing_video (LatticeTile *self)
{
  gboolean showing = self->participant != NULL &&
                     self->paintable != NULL &&
                     !lattice_participant_get_video_off (self->participant) &&
                     gdk_paintable_get_intrinsic_width (self->paintable) > 0;

  gtk_widget_set_visible (GTK_WIDGET (self->picture), showing);
  gtk_widget_set_visible (GTK_WIDGET (self->avatar), !showing);
  if (showing == self->showing_video)
    return;
  self->showing_video = showing;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOWING_VIDEO]);
}

static void
update_speaking (LatticeTile *self)
{
  if (self->participant != NULL && lattice_participant_get_speaking (self->participant))
    gtk_widget_add_css_class (GTK_WIDGET (self), "speaking");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "speaking");
}

/* Your own tile never shows a connection state: there is nothing to connect.
 * Once connected, the badge says why there is no video, if anyone knows. */
static void
update_connection_state (LatticeTile *self)
{
  LatticeConnectionState state = LATTICE_CONNECTION_CONNECTED;
  const char *notice = NULL;
  gboolean connecting;
  gboolean failed;

  if (self->participant != NULL && !lattice_participant_get_is_self (self->participant))
    state = lattice_participant_get_connection_state (self->participant);
  if (self->participant != NULL)
    notice = lattice_participant_get_video_notice (self->participant);
  connecting = state == LATTICE_CONNECTION_NEW || state == LATTICE_CONNECTION_CONNECTING;
  failed = state == LATTICE_CONNECTION_FAILED;
  if (connecting || failed)
    notice = NULL;

  gtk_widget_set_visible (self->state_box, connecting || failed || notice != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), connecting);
  gtk_spinner_set_spinning (self->spinner, connecting);
  gtk_widget_set_visible (self->failed_icon, failed || notice != NULL);
  gtk_label_set_label (self->state_label,
                       failed ? _("Connection failed") : connecting ? _("Connecting…") : notice ? notice : "");
  if (failed)
    gtk_widget_add_css_class (GTK_WIDGET (self), "failed");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "failed");
}

/* The verification code of a connected participant, to read aloud with
 * them; "Not verified" when the connection has none or failed. */
static void
update_verification (LatticeTile *self)
{
  LatticeConnectionState state = LATTICE_CONNECTION_NEW;
  const char *code = NULL;
  g_autofree char *text = NULL;
  gboolean shown;

  if (self->participant != NULL && !lattice_participant_get_is_self (self->participant))
    {
      state = lattice_participant_get_connection_state (self->participant);
      code = lattice_participant_get_verification_code (self->participant);
    }
  shown = state == LATTICE_CONNECTION_CONNECTED || state == LATTICE_CONNECTION_FAILED;
  gtk_widget_set_visible (GTK_WIDGET (self->verify_label), shown);
  if (!shown)
    return;
  if (code != NULL && state == LATTICE_CONNECTION_CONNECTED)
    {
      /* Translators: %s is a code like "493 712 768 179" that two people compare aloud */
      text = g_strdup_printf (_("Verify: %s"), code);
      gtk_widget_remove_css_class (GTK_WIDGET (self->verify_label), "warning");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->verify_label),
                                   _("Compare this code with this participant: if it differs, "
                                     "someone is intercepting the call"));
    }
  else
    {
      text = g_strdup (_("Not verified"));
      gtk_widget_add_css_class (GTK_WIDGET (self->verify_label), "warning");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->verify_label), NULL);
    }
  gtk_label_set_label (self->verify_label, text);
}

static void
on_paintable_invalidate_size (LatticeTile *self)
{
  update_showing_video (self);
}

static void
set_paintable (LatticeTile  *self,
               GdkPaintable *paintable)
{
  if (self->paintable == paintable)
    return;
  if (self->paintable != NULL)
    g_signal_handlers_disconnect_by_data (self->paintable, self);
  g_set_object (&self->paintable, paintable);
  if (paintable != NULL)
    g_signal_connect_object (paintable, "invalidate-size",
                             G_CALLBACK (on_paintable_invalidate_size), self, G_CONNECT_SWAPPED);
  gtk_picture_set_paintable (self->picture, paintable);
}

static void
on_paintable_changed (LatticeTile *self)
{
  GObject *paintable = self->participant ? lattice_participant_get_paintable (self->participant) : NULL;

  set_paintable (self, GDK_IS_PAINTABLE (paintable) ? GDK_PAINTABLE (paintable) : NULL);
  update_showing_video (self);
}

static void
update_accessible_label (LatticeTile *self)
{
  const char *name = self->participant ? lattice_participant_get_name (self->participant) : "";

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name ? name : "",
                                  -1);
}

static void
unbind_participant (LatticeTile *self)
{
  if (self->participant == NULL)
    return;
  for (guint i = 0; i < self->bindings->len; i++)
    g_binding_unbind (g_ptr_array_index (self->bindings, i));
  g_ptr_array_set_size (self->bindings, 0);
  g_signal_handlers_disconnect_by_data (self->participant, self);
  gtk_widget_remove_css_class (GTK_WIDGET (self), "self");
  set_paintable (self, NULL);
  g_clear_object (&self->participant);
}

static void
bind (LatticeTile *self,
      const char  *source_property,
      gpointer     target,
      const char  *target_property)
{
  g_ptr_array_add (self->bindings,
                   g_object_bind_property (self->participant, source_property,
                                           target, target_property, G_BINDING_SYNC_CREATE));
}

static gboolean
name_to_self_label (GBinding     *binding,
                    const GValue *from,
                    GValue       *to,
                    gpointer      user_data)
{
  /* Translators: the name on your own tile */
  g_value_take_string (to, g_strdup_printf (_("%s (You)"), g_value_get_string (from)));
  return TRUE;
}

static void
watch (LatticeTile *self,
       const char  *signal,
       GCallback    callback)
{
  g_signal_connect_object (self->participant, signal, callback, self, G_CONNECT_SWAPPED);
}

static void
bind_participant (LatticeTile *self)
{
  if (lattice_participant_get_is_self (self->participant))
    g_ptr_array_add (self->bindings,
                     g_object_bind_property_full (self->participant, "name", self->name_label, "label",
                                                  G_BINDING_SYNC_CREATE, name_to_self_label, NULL, NULL, NULL));
  else
    bind (self, "name", self->name_label, "label");
  bind (self, "name", self->avatar, "text");
  bind (self, "audio-muted", self->muted_icon, "visible");
  bind (self, "hand-raised", self->hand_icon, "visible");

  watch (self, "notify::paintable", G_CALLBACK (on_paintable_changed));
  watch (self, "notify::video-off", G_CALLBACK (update_showing_video));
  watch (self, "notify::speaking", G_CALLBACK (update_speaking));
  watch (self, "notify::connection-state", G_CALLBACK (update_connection_state));
  watch (self, "notify::video-notice", G_CALLBACK (update_connection_state));
  watch (self, "notify::name", G_CALLBACK (update_accessible_label));
  watch (self, "notify::verification-code", G_CALLBACK (update_verification));
  watch (self, "notify::connection-state", G_CALLBACK (update_verification));

  /* Your own picture is mirrored, as in a mirror: moving right moves right. */
  if (lattice_participant_get_is_self (self->participant))
    gtk_widget_add_css_class (GTK_WIDGET (self), "self");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "self");
}

static void
refresh (LatticeTile *self)
{
  on_paintable_changed (self);
  update_speaking (self);
  update_connection_state (self);
  update_accessible_label (self);
  update_verification (self);
}

static void
lattice_tile_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  LatticeTile *self = LATTICE_TILE (object);

  switch (prop_id)
    {
    case PROP_PARTICIPANT:
      g_value_set_object (value, self->participant);
      break;
    case PROP_SHOWING_VIDEO:
      g_value_set_boolean (value, self->showing_video);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_tile_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  LatticeTile *self = LATTICE_TILE (object);

  switch (prop_id)
    {
    case PROP_PARTICIPANT:
      lattice_tile_set_participant (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_tile_dispose (GObject *object)
{
  LatticeTile *self = LATTICE_TILE (object);

  unbind_participant (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), LATTICE_TYPE_TILE);

  G_OBJECT_CLASS (lattice_tile_parent_class)->dispose (object);
}

static void
lattice_tile_finalize (GObject *object)
{
  LatticeTile *self = LATTICE_TILE (object);

  g_clear_pointer (&self->bindings, g_ptr_array_unref);

  G_OBJECT_CLASS (lattice_tile_parent_class)->finalize (object);
}

static void
lattice_tile_class_init (LatticeTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = lattice_tile_get_property;
  object_class->set_property = lattice_tile_set_property;
  object_class->dispose = lattice_tile_dispose;
  object_class->finalize = lattice_tile_finalize;

  properties[PROP_PARTICIPANT] =
    g_param_spec_object ("participant", NULL, NULL, LATTICE_TYPE_PARTICIPANT,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SHOWING_VIDEO] =
    g_param_spec_boolean ("showing-video", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/latticecall/Lattice/lattice-tile.ui");
  gtk_widget_class_bind_template_child (widget_class, LatticeTile, overlay);
  gtk_widget_class_bind_template_child (widget_class, LatticeTile, picture);
  gtk_widget_class_bind_template_child (widget_class, LatticeTile, avatar);
  gtk_widget_class_bind_template_child (widget_class, LatticeTile, state_box);
  gtk_widget_class_bind_template_child (widget_class, LatticeTile, spinner);
  gtk_widget_class_bind_template_child (widget_class, LatticeTile, failed_icon);
  gtk_widget_class_bind_template_child (widget_class, LatticeTile, state_label);
  gtk_widget_class_bind_template_child (widget_class, LatticeTile, name_box);
  gtk_widget_class_bind_template_child (widget_class, LatticeTile, muted_icon);
  gtk_widget_class_bind_template_child (widget_class, LatticeTile, hand_icon);
  gtk_widget_class_bind_template_child (widget_class, LatticeTile, name_label);
  gtk_widget_class_bind_template_child (widget_class, LatticeTile, verify_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "tile");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
lattice_tile_init (LatticeTile *self)
{
  g_type_ensure (ADW_TYPE_AVATAR);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->bindings = g_ptr_array_new ();
  refresh (self);
}

GtkWidget *
lattice_tile_new (LatticeParticipant *participant)
{
  return g_object_new (LATTICE_TYPE_TILE, "participant", participant, NULL);
}

LatticeParticipant *
lattice_tile_get_participant (LatticeTile *self)
{
  g_return_val_if_fail (LATTICE_IS_TILE (self), NULL);

  return self->participant;
}

void
lattice_tile_set_participant (LatticeTile        *self,
                              LatticeParticipant *participant)
{
  g_return_if_fail (LATTICE_IS_TILE (self));
  g_return_if_fail (participant == NULL || LATTICE_IS_PARTICIPANT (participant));

  if (self->participant == participant)
    return;
  unbind_participant (self);
  if (participant != NULL)
    {
      self->participant = g_object_ref (participant);
      bind_participant (self);
    }
  refresh (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTICIPANT]);
}

gboolean
lattice_tile_get_showing_video (LatticeTile *self)
{
  g_return_val_if_fail (LATTICE_IS_TILE (self), FALSE);

  return self->showing_video;
}
