/* lattice-participant.c: one person in the call, as the UI sees them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeCall"

#include "config.h"

#include "lattice-participant.h"
#include "lattice-app-enums.h"

struct _LatticeParticipant
{
  GObject parent_instance;

  char *id;
  char *name;
  char *initials;
  GObject *paintable;
  char *verification_code;
  char *video_notice;
  LatticeConnectionState connection_state;
  LatticeConnectionQuality connection_quality;
  guint is_self : 1;
  guint audio_muted : 1;
  guint video_off : 1;
  guint hand_raised : 1;
  guint speaking : 1;
};

G_DEFINE_FINAL_TYPE (LatticeParticipant, lattice_participant, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_IS_SELF,
  PROP_NAME,
  PROP_INITIALS,
  PROP_AUDIO_MUTED,
  PROP_VIDEO_OFF,
  PROP_HAND_RAISED,
  PROP_SPEAKING,
  PROP_CONNECTION_STATE,
  PROP_PAINTABLE,
  PROP_VERIFICATION_CODE,
  PROP_VIDEO_NOTICE,
  PROP_CONNECTION_QUALITY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The first letter of the first and of the last word: "Ada King Lovelace"
 * → "AL", "grace" → "G". Letters, not bytes, so "Émile Zola" → "ÉZ". */
static char *
compute_initials (const char *name)
{
  g_auto(GStrv) words = g_strsplit_set (name ? name : "", " \t\n", -1);
  const char *first = NULL;
  const char *last = NULL;
  GString *initials = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] == '\0' || !g_utf8_validate (words[i], -1, NULL))
        continue;
      if (first == NULL)
        first = words[i];
      else
        last = words[i];
    }
  if (first != NULL)
    g_string_append_unichar (initials, g_unichar_toupper (g_utf8_get_char (first)));
  if (last != NULL)
    g_string_append_unichar (initials, g_unichar_toupper (g_utf8_get_char (last)));
  return g_string_free (initials, FALSE);
}

/* g_set_str() is GLib 2.76; Debian 12 has 2.74. */
static gboolean
replace_str (char       **ptr,
             const char  *value)
{
  if (g_strcmp0 (*ptr, value) == 0)
    return FALSE;
  g_free (*ptr);
  *ptr = g_strdup (value);
  return TRUE;
}

static void
update_initials (LatticeParticipant *self)
{
  g_autofree char *initials = compute_initials (self->name);

  if (g_strcmp0 (initials, self->initials) == 0)
    return;
  g_free (self->initials);
  self->initials = g_steal_pointer (&initials);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INITIALS]);
}

static void
lattice_participant_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  LatticeParticipant *self = LATTICE_PARTICIPANT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_IS_SELF:
      g_value_set_boolean (value, self->is_self);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_INITIALS:
      g_value_set_string (value, self->initials);
      break;
    case PROP_AUDIO_MUTED:
      g_value_set_boolean (value, self->audio_muted);
      break;
    case PROP_VIDEO_OFF:
      g_value_set_boolean (value, self->video_off);
      break;
    case PROP_HAND_RAISED:
      g_value_set_boolean (value, self->hand_raised);
      break;
    case PROP_SPEAKING:
      g_value_set_boolean (value, self->speaking);
      break;
    case PROP_CONNECTION_STATE:
      g_value_set_enum (value, self->connection_state);
      break;
    case PROP_PAINTABLE:
      g_value_set_object (value, self->paintable);
      break;
    case PROP_VERIFICATION_CODE:
      g_value_set_string (value, self->verification_code);
      break;
    case PROP_CONNECTION_QUALITY:
      g_value_set_enum (value, self->connection_quality);
      break;
    case PROP_VIDEO_NOTICE:
      g_value_set_string (value, self->video_notice);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_participant_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  LatticeParticipant *self = LATTICE_PARTICIPANT (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_IS_SELF:
      self->is_self = g_value_get_boolean (value);
      break;
    case PROP_NAME:
      lattice_participant_set_name (self, g_value_get_string (value));
      break;
    case PROP_AUDIO_MUTED:
      lattice_participant_set_audio_muted (self, g_value_get_boolean (value));
      break;
    case PROP_VIDEO_OFF:
      lattice_participant_set_video_off (self, g_value_get_boolean (value));
      break;
    case PROP_HAND_RAISED:
      lattice_participant_set_hand_raised (self, g_value_get_boolean (value));
      break;
    case PROP_SPEAKING:
      lattice_participant_set_speaking (self, g_value_get_boolean (value));
      break;
    case PROP_CONNECTION_STATE:
      lattice_participant_set_connection_state (self, g_value_get_enum (value));
      break;
    case PROP_PAINTABLE:
      lattice_participant_set_paintable (self, g_value_get_object (value));
      break;
    case PROP_VERIFICATION_CODE:
      lattice_participant_set_verification_code (self, g_value_get_string (value));
      break;
    case PROP_VIDEO_NOTICE:
      lattice_participant_set_video_notice (self, g_value_get_string (value));
      break;
    case PROP_CONNECTION_QUALITY:
      lattice_participant_set_connection_quality (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_participant_finalize (GObject *object)
{
  LatticeParticipant *self = LATTICE_PARTICIPANT (object);

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->initials, g_free);
  g_clear_pointer (&self->verification_code, g_free);
  g_clear_pointer (&self->video_notice, g_free);
  g_clear_object (&self->paintable);

  G_OBJECT_CLASS (lattice_participant_parent_class)->finalize (object);
}

static void
lattice_participant_class_init (LatticeParticipantClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = lattice_participant_get_property;
  object_class->set_property = lattice_participant_set_property;
  object_class->finalize = lattice_participant_finalize;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IS_SELF] =
    g_param_spec_boolean ("is-self", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, rw);
  properties[PROP_INITIALS] =
    g_param_spec_string ("initials", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUDIO_MUTED] = g_param_spec_boolean ("audio-muted", NULL, NULL, FALSE, rw);
  properties[PROP_VIDEO_OFF] = g_param_spec_boolean ("video-off", NULL, NULL, FALSE, rw);
  properties[PROP_HAND_RAISED] = g_param_spec_boolean ("hand-raised", NULL, NULL, FALSE, rw);
  properties[PROP_SPEAKING] = g_param_spec_boolean ("speaking", NULL, NULL, FALSE, rw);
  properties[PROP_CONNECTION_STATE] =
    g_param_spec_enum ("connection-state", NULL, NULL,
                       LATTICE_TYPE_CONNECTION_STATE, LATTICE_CONNECTION_NEW, rw);
  properties[PROP_CONNECTION_QUALITY] =
    g_param_spec_enum ("connection-quality", NULL, NULL,
                       LATTICE_TYPE_CONNECTION_QUALITY, LATTICE_CONNECTION_QUALITY_UNKNOWN, rw);
  properties[PROP_PAINTABLE] =
    g_param_spec_object ("paintable", NULL, NULL, G_TYPE_OBJECT, rw);
  properties[PROP_VERIFICATION_CODE] =
    g_param_spec_string ("verification-code", NULL, NULL, NULL, rw);
  properties[PROP_VIDEO_NOTICE] =
    g_param_spec_string ("video-notice", NULL, NULL, NULL, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lattice_participant_init (LatticeParticipant *self)
{
  self->initials = g_strdup ("");
}

LatticeParticipant *
lattice_participant_new (const char *id,
                         const char *name,
                         gboolean    is_self)
{
  g_return_val_if_fail (id != NULL, NULL);

  return g_object_new (LATTICE_TYPE_PARTICIPANT,
                       "id", id,
                       "is-self", is_self,
                       "name", name,
                       NULL);
}

const char *
lattice_participant_get_id (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), NULL);
  return self->id;
}

gboolean
lattice_participant_get_is_self (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), FALSE);
  return self->is_self;
}

const char *
lattice_participant_get_name (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), NULL);
  return self->name;
}

void
lattice_participant_set_name (LatticeParticipant *self,
                              const char         *name)
{
  g_return_if_fail (LATTICE_IS_PARTICIPANT (self));

  if (replace_str (&self->name, name))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
      update_initials (self);
    }
}

const char *
lattice_participant_get_initials (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), NULL);
  return self->initials;
}

gboolean
lattice_participant_get_audio_muted (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), FALSE);
  return self->audio_muted;
}

void
lattice_participant_set_audio_muted (LatticeParticipant *self,
                                     gboolean            muted)
{
  g_return_if_fail (LATTICE_IS_PARTICIPANT (self));
  if (!!self->audio_muted == !!muted)
    return;
  self->audio_muted = !!muted;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUDIO_MUTED]);
}

gboolean
lattice_participant_get_video_off (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), FALSE);
  return self->video_off;
}

void
lattice_participant_set_video_off (LatticeParticipant *self,
                                   gboolean            off)
{
  g_return_if_fail (LATTICE_IS_PARTICIPANT (self));
  if (!!self->video_off == !!off)
    return;
  self->video_off = !!off;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_OFF]);
}

gboolean
lattice_participant_get_hand_raised (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), FALSE);
  return self->hand_raised;
}

void
lattice_participant_set_hand_raised (LatticeParticipant *self,
                                     gboolean            raised)
{
  g_return_if_fail (LATTICE_IS_PARTICIPANT (self));
  if (!!self->hand_raised == !!raised)
    return;
  self->hand_raised = !!raised;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAND_RAISED]);
}

gboolean
lattice_participant_get_speaking (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), FALSE);
  return self->speaking;
}

void
lattice_participant_set_speaking (LatticeParticipant *self,
                                  gboolean            speaking)
{
  g_return_if_fail (LATTICE_IS_PARTICIPANT (self));
  if (!!self->speaking == !!speaking)
    return;
  self->speaking = !!speaking;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEAKING]);
}

LatticeConnectionState
lattice_participant_get_connection_state (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), LATTICE_CONNECTION_NEW);
  return self->connection_state;
}

void
lattice_participant_set_connection_state (LatticeParticipant     *self,
                                          LatticeConnectionState  state)
{
  g_return_if_fail (LATTICE_IS_PARTICIPANT (self));
  if (self->connection_state == state)
    return;
  self->connection_state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION_STATE]);
}

GObject *
lattice_participant_get_paintable (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), NULL);
  return self->paintable;
}

void
lattice_participant_set_paintable (LatticeParticipant *self,
                                   GObject            *paintable)
{
  g_return_if_fail (LATTICE_IS_PARTICIPANT (self));
  g_return_if_fail (paintable == NULL || G_IS_OBJECT (paintable));

  if (g_set_object (&self->paintable, paintable))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAINTABLE]);
}

const char *
lattice_participant_get_verification_code (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), NULL);
  return self->verification_code;
}

void
lattice_participant_set_verification_code (LatticeParticipant *self,
                                           const char         *code)
{
  g_return_if_fail (LATTICE_IS_PARTICIPANT (self));

  if (replace_str (&self->verification_code, code))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERIFICATION_CODE]);
}

const char *
lattice_participant_get_video_notice (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), NULL);
  return self->video_notice;
}

void
lattice_participant_set_video_notice (LatticeParticipant *self,
                                      const char         *notice)
{
  g_return_if_fail (LATTICE_IS_PARTICIPANT (self));

  if (replace_str (&self->video_notice, notice))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_NOTICE]);
}

LatticeConnectionQuality
lattice_participant_get_connection_quality (LatticeParticipant *self)
{
  g_return_val_if_fail (LATTICE_IS_PARTICIPANT (self), LATTICE_CONNECTION_QUALITY_UNKNOWN);
  return self->connection_quality;
}

void
lattice_participant_set_connection_quality (LatticeParticipant       *self,
                                            LatticeConnectionQuality  quality)
{
  g_return_if_fail (LATTICE_IS_PARTICIPANT (self));
  if (self->connection_quality == quality)
    return;
  self->connection_quality = quality;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION_QUALITY]);
}
