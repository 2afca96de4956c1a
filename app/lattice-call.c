/* lattice-call.c: the call controller, wiring signaling (net/) and media (media/)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Signaling events become engine calls and engine output becomes signaling
 * messages; the room is exposed as a GListModel of LatticeParticipant.
 * Everything here runs on the main context: the client and the engine both
 * emit their signals there.
 */
#define G_LOG_DOMAIN "LatticeCall"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "lattice-call-private.h"
#include "lattice-app-enums.h"
#include "lattice-ice.h"
#include "lattice-media-enums.h"
#include "lattice-net-enums.h"
#include "lattice-verification.h"

/* struct _LatticeCall: lattice-call-private.h */

G_DEFINE_FINAL_TYPE (LatticeCall, lattice_call, G_TYPE_OBJECT)
G_DEFINE_QUARK (lattice-call-error-quark, lattice_call_error)

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_STATE,
  PROP_ERROR,
  PROP_PARTICIPANTS,
  PROP_SELF,
  PROP_ROOM,
  PROP_LINK,
  PROP_AUDIO_MUTED,
  PROP_VIDEO_ENABLED,
  N_PROPS
};

enum {
  SIGNAL_PARTICIPANT_JOINED,
  SIGNAL_PARTICIPANT_LEFT,
  SIGNAL_CREATE_VIDEO_SINK,
  SIGNAL_CREATE_AUDIO_SINK,
  SIGNAL_FIRST_FRAME,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
set_state (LatticeCall      *self,
           LatticeCallState  state)
{
  if (self->state == state)
    return;
  g_debug ("Call state %d → %d", self->state, state);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* Ends the call with @error (taken): peers are closed, the model keeps
 * only what the UI needs to show the failure. */
static void
fail (LatticeCall *self,
      GError      *error)
{
  g_info ("Call failed: %s", error->message);
  g_clear_error (&self->error);
  self->error = error;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  if (self->client != NULL)
    lattice_signaling_client_disconnect (self->client);
  g_hash_table_remove_all (self->rebuilds);
  g_hash_table_remove_all (self->negotiations);
  g_clear_pointer (&self->quality, lattice_quality_monitor_free);
  lattice_media_engine_stop (self->engine);
  set_state (self, LATTICE_CALL_STATE_FAILED);
}

gboolean
lattice_call_find_participant (LatticeCall *self,
                  const char  *id,
                  guint       *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->participants));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LatticeParticipant) p = g_list_model_get_item (G_LIST_MODEL (self->participants), i);

      if (g_strcmp0 (lattice_participant_get_id (p), id) == 0)
        {
          if (position != NULL)
            *position = i;
          return TRUE;
        }
    }
  return FALSE;
}



static void
apply_info (LatticeParticipant           *participant,
            const LatticeParticipantInfo *info)
{
  g_object_freeze_notify (G_OBJECT (participant));
  if (info->name != NULL)
    lattice_participant_set_name (participant, info->name);
  lattice_participant_set_audio_muted (participant, info->audio_muted);
  lattice_participant_set_video_off (participant, info->video_off);
  lattice_participant_set_hand_raised (participant, info->hand_raised);
  g_object_thaw_notify (G_OBJECT (participant));
}

/* Adds the participant if it is new; returns it (borrowed) and whether it
 * was added. */
LatticeParticipant *
lattice_call_ensure_participant (LatticeCall                  *self,
                    const LatticeParticipantInfo *info,
                    gboolean                     *added)
{
  g_autoptr(LatticeParticipant) participant = NULL;
  guint position;

  *added = !lattice_call_find_participant (self, info->id, &position);
  if (*added)
    {
      participant = lattice_participant_new (info->id, info->name, FALSE);
      g_list_store_append (self->participants, participant);
    }
  else
    {
      participant = g_list_model_get_item (G_LIST_MODEL (self->participants), position);
    }
  apply_info (participant, info);
  /* the store holds a reference for as long as the caller may use it */
  return participant;
}

/* ------------------------------------------------------------------ */
/* Media → signaling                                                   */

static LatticeConnectionState
connection_state_from_peer (LatticePeerConnectionState state)
{
  switch (state)
    {
    case LATTICE_PEER_CONNECTION_STATE_NEW:
      return LATTICE_CONNECTION_NEW;
    case LATTICE_PEER_CONNECTION_STATE_CONNECTING:
      return LATTICE_CONNECTION_CONNECTING;
    case LATTICE_PEER_CONNECTION_STATE_CONNECTED:
      return LATTICE_CONNECTION_CONNECTED;
    case LATTICE_PEER_CONNECTION_STATE_FAILED:
      return LATTICE_CONNECTION_FAILED;
    case LATTICE_PEER_CONNECTION_STATE_CLOSED:
    default:
      return LATTICE_CONNECTION_CLOSED;
    }
}

static void
on_peer_local_description (LatticePeerConnection *peer,
                           const char  *type,
                           const char  *sdp,
                           LatticeCall *self)
{
  const char *to = lattice_peer_connection_get_id (peer);

  if (self->client == NULL)
    return;
  if (g_str_equal (type, "offer"))
    {
      g_hash_table_add (self->awaiting_answer, g_strdup (to));
      lattice_signaling_client_send_offer (self->client, to, sdp);
    }
  else
    lattice_signaling_client_send_answer (self->client, to, sdp);
}

static void
on_peer_local_candidate (LatticePeerConnection *peer,
                         guint        mline,
                         const char  *candidate,
                         LatticeCall *self)
{
  if (self->client == NULL)
    return;
  lattice_signaling_client_send_candidate (self->client, lattice_peer_connection_get_id (peer),
                                           mline, NULL, candidate);
}

/* The participant's verification code is that of its current connection:
 * set once both DTLS fingerprints are known, cleared on any other state. */
static void
update_verification_code (LatticeCall *self,
                          LatticePeerConnection *peer)
{
  const char *id = lattice_peer_connection_get_id (peer);
  LatticeParticipant *participant = lattice_call_lookup (self, id);
  g_autofree char *code = NULL;

  /* late news from a replaced connection are not about the current one */
  if (participant == NULL || lattice_media_engine_lookup_peer (self->engine, id) != peer)
    return;
  if (lattice_peer_connection_get_state (peer) == LATTICE_PEER_CONNECTION_STATE_CONNECTED)
    code = lattice_verification_code (lattice_peer_connection_get_local_fingerprint (peer),
                                      lattice_peer_connection_get_remote_fingerprint (peer));
  lattice_participant_set_verification_code (participant, code);
}

static void
on_peer_notify_fingerprint (LatticePeerConnection *peer,
                            GParamSpec  *pspec,
                            LatticeCall *self)
{
  update_verification_code (self, peer);
  lattice_call_peer_state_changed (self, peer);
}

static void
on_peer_notify_state (LatticePeerConnection *peer,
                      GParamSpec  *pspec,
                      LatticeCall *self)
{
  LatticeParticipant *participant = lattice_call_lookup (self, lattice_peer_connection_get_id (peer));
  LatticePeerConnectionState state = lattice_peer_connection_get_state (peer);

  if (participant == NULL)
    return;
  lattice_participant_set_connection_state (participant, connection_state_from_peer (state));
  lattice_call_peer_state_changed (self, peer);
  update_verification_code (self, peer);
}

static void
on_peer_notify_speaking (LatticePeerConnection *peer,
                         GParamSpec  *pspec,
                         LatticeCall *self)
{
  LatticeParticipant *participant = lattice_call_lookup (self, lattice_peer_connection_get_id (peer));

  if (participant != NULL)
    lattice_participant_set_speaking (participant, lattice_peer_connection_get_speaking (peer));
}

static void
on_peer_first_frame (LatticePeerConnection *peer,
                     const char  *kind,
                     LatticeCall *self)
{
  LatticeParticipant *participant = lattice_call_lookup (self, lattice_peer_connection_get_id (peer));

  if (participant != NULL)
    g_signal_emit (self, signals[SIGNAL_FIRST_FRAME], 0, participant, kind);
}

LatticePeerConnection *
lattice_call_add_peer (LatticeCall *self,
          const char  *id,
          gboolean     offerer)
{
  LatticePeerConnection *peer = lattice_media_engine_add_peer (self->engine, id, offerer);

  if (peer == NULL)
    return NULL;
  g_signal_connect_object (peer, "local-description",
                           G_CALLBACK (on_peer_local_description), self, 0);
  g_signal_connect_object (peer, "local-candidate",
                           G_CALLBACK (on_peer_local_candidate), self, 0);
  g_signal_connect_object (peer, "notify::state",
                           G_CALLBACK (on_peer_notify_state), self, 0);
  g_signal_connect_object (peer, "notify::speaking",
                           G_CALLBACK (on_peer_notify_speaking), self, 0);
  g_signal_connect_object (peer, "first-frame",
                           G_CALLBACK (on_peer_first_frame), self, 0);
  g_signal_connect_object (peer, "notify::remote-fingerprint",
                           G_CALLBACK (on_peer_notify_fingerprint), self, 0);
  lattice_call_view_peer_added (self, peer);
  on_peer_notify_state (peer, NULL, self);
  return peer;
}

static GstElement *
on_engine_create_sink (LatticeMediaEngine *engine,
                       const char         *peer_id,
                       LatticeCall        *self,
                       guint               signal_id)
{
  LatticeParticipant *participant = lattice_call_lookup (self, peer_id);
  GstElement *sink = NULL;

  if (participant != NULL)
    g_signal_emit (self, signals[signal_id], 0, participant, &sink);
  return sink;
}

static GstElement *
on_engine_create_video_sink (LatticeMediaEngine *engine,
                             const char         *peer_id,
                             LatticeCall        *self)
{
  return on_engine_create_sink (engine, peer_id, self, SIGNAL_CREATE_VIDEO_SINK);
}

static GstElement *
on_engine_create_audio_sink (LatticeMediaEngine *engine,
                             const char         *peer_id,
                             LatticeCall        *self)
{
  return on_engine_create_sink (engine, peer_id, self, SIGNAL_CREATE_AUDIO_SINK);
}

static void
on_engine_error (LatticeMediaEngine *engine,
                 const GError       *error,
                 LatticeCall        *self)
{
  if (self->state == LATTICE_CALL_STATE_LEFT || self->state == LATTICE_CALL_STATE_FAILED)
    return;
  fail (self, g_error_new (LATTICE_CALL_ERROR, LATTICE_CALL_ERROR_MEDIA, "%s", error->message));
}

/* ------------------------------------------------------------------ */
/* Signaling → media                                                   */

/* Server ICE servers, unless this side was configured with its own. */
static void
configure_ice_servers (LatticeCall *self)
{
  GPtrArray *servers;
  g_autoptr(GStrvBuilder) turn = NULL;
  g_auto(GStrv) turn_uris = NULL;
  g_autofree char *stun = NULL;

  if (self->local_stun != NULL || self->local_turn != NULL)
    {
      lattice_media_engine_set_ice_servers (self->engine, self->local_stun,
                                            (const char *const *) self->local_turn);
      return;
    }

  servers = lattice_signaling_client_get_ice_servers (self->client);
  turn = g_strv_builder_new ();
  for (guint i = 0; servers != NULL && i < servers->len; i++)
    {
      const LatticeIceServer *server = g_ptr_array_index (servers, i);

      for (guint j = 0; server->urls != NULL && server->urls[j] != NULL; j++)
        {
          g_autofree char *uri = lattice_ice_uri_to_gst (server->urls[j], server->username,
                                                         server->credential);

          if (uri == NULL)
            g_debug ("Ignoring ICE server %s", server->urls[j]);
          else if (g_str_has_prefix (uri, "stun://") && stun == NULL)
            stun = g_steal_pointer (&uri);
          else if (g_str_has_prefix (uri, "turn"))
            g_strv_builder_add (turn, uri);
        }
    }
  turn_uris = g_strv_builder_end (turn);
  lattice_media_engine_set_ice_servers (self->engine, stun, (const char *const *) turn_uris);
}

static void
ensure_self (LatticeCall *self)
{
  const char *id = lattice_signaling_client_get_participant_id (self->client);

  if (self->self_participant != NULL)
    return;
  self->self_participant = lattice_participant_new (id, self->display_name, TRUE);
  lattice_participant_set_connection_state (self->self_participant, LATTICE_CONNECTION_CONNECTED);
  lattice_participant_set_audio_muted (self->self_participant, self->audio_muted);
  lattice_participant_set_video_off (self->self_participant, !self->video_enabled);
  g_list_store_insert (self->participants, 0, self->self_participant);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELF]);
}

static void
send_own_state (LatticeCall        *self,
                LatticeStateFields  fields)
{
  g_autoptr(LatticeParticipantInfo) info = NULL;

  if (self->client == NULL ||
      lattice_signaling_client_get_state (self->client) != LATTICE_SIGNALING_STATE_JOINED)
    return;
  info = lattice_participant_info_new (lattice_signaling_client_get_participant_id (self->client),
                                       self->display_name);
  info->audio_muted = self->audio_muted;
  info->video_off = !self->video_enabled;
  info->hand_raised = self->hand_raised;
  lattice_signaling_client_send_state (self->client, fields, info);
}

/* After a (re)join: the newcomer offers to everyone it has no connection
 * with (docs/PROTOCOL.md, "Who offers"); connections that survived a
 * signaling outage are kept as they are. */
static gboolean
is_listed (GPtrArray  *infos,
           const char *id)
{
  for (guint i = 0; infos != NULL && i < infos->len; i++)
    if (g_strcmp0 (((const LatticeParticipantInfo *) g_ptr_array_index (infos, i))->id, id) == 0)
      return TRUE;
  return FALSE;
}

/* Whoever the server no longer lists went while it was away (or while we
 * were): unless its connection to us still carries media (its signaling
 * may just be slower to come back), it is gone for good. */
static void
prune_unlisted (LatticeCall *self,
                GPtrArray   *others)
{
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->participants));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LatticeParticipant) p = g_list_model_get_item (G_LIST_MODEL (self->participants), i);
      const char *id = lattice_participant_get_id (p);
      LatticePeerConnection *peer = lattice_media_engine_lookup_peer (self->engine, id);

      if (lattice_participant_get_is_self (p) || is_listed (others, id) ||
          (peer != NULL && lattice_peer_connection_get_state (peer) == LATTICE_PEER_CONNECTION_STATE_CONNECTED))
        continue;
      g_ptr_array_add (gone, g_strdup (id));
    }
  for (guint i = 0; i < gone->len; i++)
    {
      g_info ("%s is no longer in the room", (const char *) g_ptr_array_index (gone, i));
      lattice_call_remove_participant (self, g_ptr_array_index (gone, i));
    }
}

static void
on_client_joined (LatticeSignalingClient *client,
                  gboolean                resumed,
                  LatticeCall            *self)
{
  GPtrArray *others = lattice_signaling_client_get_participants (client);

  g_info ("Joined room %s as %s%s", lattice_signaling_client_get_room (client),
          lattice_signaling_client_get_participant_id (client), resumed ? " (resumed)" : "");
  ensure_self (self);
  configure_ice_servers (self);
  set_state (self, LATTICE_CALL_STATE_IN_CALL);

  for (guint i = 0; others != NULL && i < others->len; i++)
    {
      const LatticeParticipantInfo *info = g_ptr_array_index (others, i);
      LatticePeerConnection *peer;
      gboolean added;

      lattice_call_ensure_participant (self, info, &added);
      if (added)
        g_signal_emit (self, signals[SIGNAL_PARTICIPANT_JOINED], 0,
                       lattice_call_lookup (self, info->id));
      peer = lattice_media_engine_lookup_peer (self->engine, info->id);
      /* A connection that survived the outage stays as it is; one that
       * failed meanwhile, or was being set up when the server went (its
       * offer, answer or candidates may be lost), starts again now. */
      if (peer == NULL || lattice_peer_connection_get_state (peer) != LATTICE_PEER_CONNECTION_STATE_CONNECTED)
        lattice_call_offer_to (self, info->id);
    }
  prune_unlisted (self, others);

  /* peers learn our mute state from the join; only what differs from the
   * defaults needs saying after a resume */
  if (self->audio_muted || !self->video_enabled || self->hand_raised)
    send_own_state (self, LATTICE_STATE_FIELD_AUDIO_MUTED | LATTICE_STATE_FIELD_VIDEO_OFF |
                          LATTICE_STATE_FIELD_HAND_RAISED);
}

static void
on_client_participant_joined (LatticeSignalingClient       *client,
                              const LatticeParticipantInfo *info,
                              LatticeCall                  *self)
{
  gboolean added;
  LatticeParticipant *participant = lattice_call_ensure_participant (self, info, &added);

  /* a participant coming back after a signaling outage is no news */
  if (!added)
    return;
  g_info ("%s (%s) joined", info->name, info->id);
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_JOINED], 0, participant);

  /* Someone we had dropped (it froze, or its network went) came back as
   * the same participant. It still believes in its old connection and
   * will not offer, so this side does; a newcomer offers by itself. */
  if (g_hash_table_remove (self->departed, info->id) &&
      lattice_media_engine_lookup_peer (self->engine, info->id) == NULL)
    lattice_call_offer_to (self, info->id);
}

void
lattice_call_remove_participant (LatticeCall *self,
                    const char  *id)
{
  g_autoptr(LatticeParticipant) participant = NULL;
  guint position;

  lattice_media_engine_remove_peer (self->engine, id);
  g_hash_table_remove (self->awaiting_answer, id);
  lattice_call_cancel_rebuild (self, id);
  g_hash_table_remove (self->negotiations, id);
  lattice_call_view_forget (self, id);
  if (!lattice_call_find_participant (self, id, &position))
    return;
  g_hash_table_add (self->departed, g_strdup (id));
  participant = g_list_model_get_item (G_LIST_MODEL (self->participants), position);
  lattice_participant_set_connection_state (participant, LATTICE_CONNECTION_CLOSED);
  g_list_store_remove (self->participants, position);
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_LEFT], 0, participant);
}

static void
on_client_participant_left (LatticeSignalingClient *client,
                            const char             *id,
                            const char             *reason,
                            LatticeCall            *self)
{
  g_info ("%s left (%s)", id, reason);
  lattice_call_remove_participant (self, id);
}

static void
on_client_participant_state (LatticeSignalingClient       *client,
                             const LatticeParticipantInfo *info,
                             LatticeCall                  *self)
{
  LatticeParticipant *participant = lattice_call_lookup (self, info->id);

  if (participant != NULL)
    apply_info (participant, info);
}


static GError *
call_error_from_client (const GError *error)
{
  LatticeCallError code = LATTICE_CALL_ERROR_FAILED;

  if (error == NULL)
    return g_error_new_literal (LATTICE_CALL_ERROR, code, _("The signaling server closed the connection"));

  if (error->domain == LATTICE_SIGNALING_ERROR)
    {
      switch (error->code)
        {
        case LATTICE_SIGNALING_ERROR_CERTIFICATE_UNTRUSTED:
          code = LATTICE_CALL_ERROR_CERTIFICATE_UNTRUSTED;
          break;
        case LATTICE_SIGNALING_ERROR_CERTIFICATE_MISMATCH:
          code = LATTICE_CALL_ERROR_CERTIFICATE_MISMATCH;
          break;
        default:
          break;
        }
    }
  else if (error->domain == LATTICE_PROTOCOL_ERROR)
    {
      switch (error->code)
        {
        case LATTICE_PROTOCOL_ERROR_WRONG_PASSWORD:
          code = LATTICE_CALL_ERROR_WRONG_PASSWORD;
          break;
        case LATTICE_PROTOCOL_ERROR_ROOM_FULL:
          code = LATTICE_CALL_ERROR_ROOM_FULL;
          break;
        case LATTICE_PROTOCOL_ERROR_VERSION_UNSUPPORTED:
          code = LATTICE_CALL_ERROR_VERSION;
          break;
        default:
          break;
        }
    }
  else if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR ||
           error->domain == G_TLS_ERROR)
    {
      code = LATTICE_CALL_ERROR_UNREACHABLE;
    }
  return g_error_new_literal (LATTICE_CALL_ERROR, code, error->message);
}

static void
on_client_notify_state (LatticeSignalingClient *client,
                        GParamSpec             *pspec,
                        LatticeCall            *self)
{
  switch (lattice_signaling_client_get_state (client))
    {
    case LATTICE_SIGNALING_STATE_RECONNECTING:
      /* peer connections are left alone: media does not need the server */
      if (self->state == LATTICE_CALL_STATE_IN_CALL)
        set_state (self, LATTICE_CALL_STATE_RECONNECTING);
      break;
    case LATTICE_SIGNALING_STATE_FAILED:
      if (self->state != LATTICE_CALL_STATE_LEFT)
        fail (self, call_error_from_client (lattice_signaling_client_get_error (client)));
      break;
    case LATTICE_SIGNALING_STATE_JOINED:
    case LATTICE_SIGNALING_STATE_CONNECTING:
    case LATTICE_SIGNALING_STATE_DISCONNECTED:
    default:
      break;
    }
}

static void
connect_client (LatticeCall *self)
{
  static const struct {
    const char *name;
    GCallback   callback;
  } handlers[] = {
    { "notify::state",       G_CALLBACK (on_client_notify_state) },
    { "joined",              G_CALLBACK (on_client_joined) },
    { "participant-joined",  G_CALLBACK (on_client_participant_joined) },
    { "participant-left",    G_CALLBACK (on_client_participant_left) },
    { "participant-state",   G_CALLBACK (on_client_participant_state) },
    { "offer",               G_CALLBACK (lattice_call_on_client_offer) },
    { "answer",              G_CALLBACK (lattice_call_on_client_answer) },
    { "candidate",           G_CALLBACK (lattice_call_on_client_candidate) },
    { "reject",              G_CALLBACK (lattice_call_on_client_reject) },
    { "unknown-target",      G_CALLBACK (lattice_call_on_client_unknown_target) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
    g_signal_connect_object (self->client, handlers[i].name, handlers[i].callback, self, 0);
}

/* ------------------------------------------------------------------ */

static void
lattice_call_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  LatticeCall *self = LATTICE_CALL (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_PARTICIPANTS:
      g_value_set_object (value, self->participants);
      break;
    case PROP_SELF:
      g_value_set_object (value, self->self_participant);
      break;
    case PROP_ROOM:
      g_value_set_string (value, lattice_call_get_room (self));
      break;
    case PROP_LINK:
      g_value_take_string (value, lattice_call_dup_invite_link (self));
      break;
    case PROP_AUDIO_MUTED:
      g_value_set_boolean (value, self->audio_muted);
      break;
    case PROP_VIDEO_ENABLED:
      g_value_set_boolean (value, self->video_enabled);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_call_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  LatticeCall *self = LATTICE_CALL (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      self->engine = g_value_dup_object (value);
      break;
    case PROP_AUDIO_MUTED:
      lattice_call_set_audio_muted (self, g_value_get_boolean (value));
      break;
    case PROP_VIDEO_ENABLED:
      lattice_call_set_video_enabled (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_call_constructed (GObject *object)
{
  LatticeCall *self = LATTICE_CALL (object);

  G_OBJECT_CLASS (lattice_call_parent_class)->constructed (object);

  g_assert (self->engine != NULL);
  g_signal_connect_object (self->engine, "create-video-sink",
                           G_CALLBACK (on_engine_create_video_sink), self, 0);
  g_signal_connect_object (self->engine, "create-audio-sink",
                           G_CALLBACK (on_engine_create_audio_sink), self, 0);
  g_signal_connect_object (self->engine, "error", G_CALLBACK (on_engine_error), self, 0);
  self->audio_muted = lattice_media_engine_get_audio_muted (self->engine);
  self->video_enabled = lattice_media_engine_get_video_enabled (self->engine);
}

static void
lattice_call_dispose (GObject *object)
{
  LatticeCall *self = LATTICE_CALL (object);

  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      lattice_signaling_client_disconnect (self->client);
      g_clear_object (&self->client);
    }
  g_clear_pointer (&self->quality, lattice_quality_monitor_free);
  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->engine, self);
      lattice_media_engine_stop (self->engine);
      g_clear_object (&self->engine);
    }
  if (self->rebuilds != NULL)
    g_hash_table_remove_all (self->rebuilds);
  /* offers waiting for their turn */
  if (self->negotiations != NULL)
    g_hash_table_remove_all (self->negotiations);
  if (self->participants != NULL)
    g_list_store_remove_all (self->participants);
  g_clear_object (&self->participants);
  g_clear_object (&self->self_participant);

  G_OBJECT_CLASS (lattice_call_parent_class)->dispose (object);
}

static void
lattice_call_finalize (GObject *object)
{
  LatticeCall *self = LATTICE_CALL (object);

  g_clear_pointer (&self->link, lattice_link_free);
  g_clear_error (&self->error);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->local_stun, g_free);
  g_clear_pointer (&self->local_turn, g_strfreev);
  g_clear_pointer (&self->departed, g_hash_table_unref);
  lattice_call_negotiation_clear (self);
  lattice_call_view_clear (self);

  G_OBJECT_CLASS (lattice_call_parent_class)->finalize (object);
}

static void
lattice_call_class_init (LatticeCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = lattice_call_get_property;
  object_class->set_property = lattice_call_set_property;
  object_class->constructed = lattice_call_constructed;
  object_class->dispose = lattice_call_dispose;
  object_class->finalize = lattice_call_finalize;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, LATTICE_TYPE_MEDIA_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, LATTICE_TYPE_CALL_STATE,
                       LATTICE_CALL_STATE_IDLE, ro | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, ro | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PARTICIPANTS] =
    g_param_spec_object ("participants", NULL, NULL, G_TYPE_LIST_MODEL, ro);
  properties[PROP_SELF] =
    g_param_spec_object ("self", NULL, NULL, LATTICE_TYPE_PARTICIPANT, ro | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ROOM] = g_param_spec_string ("room", NULL, NULL, NULL, ro);
  properties[PROP_LINK] = g_param_spec_string ("link", NULL, NULL, NULL, ro);
  properties[PROP_AUDIO_MUTED] = g_param_spec_boolean ("audio-muted", NULL, NULL, FALSE, rw);
  properties[PROP_VIDEO_ENABLED] = g_param_spec_boolean ("video-enabled", NULL, NULL, TRUE, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_PARTICIPANT_JOINED] =
    g_signal_new ("participant-joined", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, LATTICE_TYPE_PARTICIPANT);
  signals[SIGNAL_PARTICIPANT_LEFT] =
    g_signal_new ("participant-left", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, LATTICE_TYPE_PARTICIPANT);
  signals[SIGNAL_CREATE_VIDEO_SINK] =
    g_signal_new ("create-video-sink", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, g_signal_accumulator_first_wins, NULL, NULL,
                  GST_TYPE_ELEMENT, 1, LATTICE_TYPE_PARTICIPANT);
  signals[SIGNAL_CREATE_AUDIO_SINK] =
    g_signal_new ("create-audio-sink", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, g_signal_accumulator_first_wins, NULL, NULL,
                  GST_TYPE_ELEMENT, 1, LATTICE_TYPE_PARTICIPANT);
  signals[SIGNAL_FIRST_FRAME] =
    g_signal_new ("first-frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, LATTICE_TYPE_PARTICIPANT, G_TYPE_STRING);
}

static void
lattice_call_init (LatticeCall *self)
{
  self->participants = g_list_store_new (LATTICE_TYPE_PARTICIPANT);
  self->departed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lattice_call_negotiation_init (self);
  lattice_call_view_init (self);
  self->video_enabled = TRUE;
}

LatticeCall *
lattice_call_new (LatticeMediaEngine *engine)
{
  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (engine), NULL);

  return g_object_new (LATTICE_TYPE_CALL, "engine", engine, NULL);
}

gboolean
lattice_call_join (LatticeCall  *self,
                   const char   *link,
                   const char   *display_name,
                   const char   *password,
                   GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(LatticeLink) parsed = NULL;

  g_return_val_if_fail (LATTICE_IS_CALL (self), FALSE);
  g_return_val_if_fail (link != NULL, FALSE);
  g_return_val_if_fail (display_name != NULL, FALSE);
  g_return_val_if_fail (self->state == LATTICE_CALL_STATE_IDLE, FALSE);

  parsed = lattice_link_parse (link, &local_error);
  if (parsed == NULL)
    {
      g_set_error_literal (error, LATTICE_CALL_ERROR, LATTICE_CALL_ERROR_BAD_LINK,
                           local_error->message);
      return FALSE;
    }
  if (!lattice_media_engine_start (self->engine, &local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  g_clear_pointer (&self->quality, lattice_quality_monitor_free);
  self->quality = lattice_quality_monitor_new (self->engine, G_LIST_MODEL (self->participants));
  self->link = g_steal_pointer (&parsed);
  self->display_name = g_strdup (display_name);
  self->client = lattice_signaling_client_new_for_link (self->link, display_name, password);
  connect_client (self);
  set_state (self, LATTICE_CALL_STATE_JOINING);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LINK]);
  lattice_signaling_client_connect (self->client);
  return TRUE;
}

void
lattice_call_leave (LatticeCall *self)
{
  g_return_if_fail (LATTICE_IS_CALL (self));

  if (self->state == LATTICE_CALL_STATE_LEFT)
    return;
  if (self->client != NULL)
    lattice_signaling_client_disconnect (self->client);
  g_hash_table_remove_all (self->rebuilds);
  g_hash_table_remove_all (self->negotiations);
  g_clear_pointer (&self->quality, lattice_quality_monitor_free);
  lattice_media_engine_stop (self->engine);
  /* everyone but ourselves is gone from the UI's point of view */
  for (guint n = g_list_model_get_n_items (G_LIST_MODEL (self->participants)); n > 0; n--)
    {
      g_autoptr(LatticeParticipant) p = g_list_model_get_item (G_LIST_MODEL (self->participants), n - 1);

      if (!lattice_participant_get_is_self (p))
        g_list_store_remove (self->participants, n - 1);
    }
  set_state (self, LATTICE_CALL_STATE_LEFT);
}

LatticeCallState
lattice_call_get_state (LatticeCall *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL (self), LATTICE_CALL_STATE_IDLE);
  return self->state;
}

const GError *
lattice_call_get_error (LatticeCall *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL (self), NULL);
  return self->error;
}

GListModel *
lattice_call_get_participants (LatticeCall *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL (self), NULL);
  return G_LIST_MODEL (self->participants);
}

LatticeParticipant *
lattice_call_get_self (LatticeCall *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL (self), NULL);
  return self->self_participant;
}

LatticeParticipant *
lattice_call_lookup (LatticeCall *self,
                     const char  *id)
{
  g_autoptr(LatticeParticipant) participant = NULL;
  guint position;

  g_return_val_if_fail (LATTICE_IS_CALL (self), NULL);

  if (id == NULL || !lattice_call_find_participant (self, id, &position))
    return NULL;
  participant = g_list_model_get_item (G_LIST_MODEL (self->participants), position);
  /* the store keeps it alive */
  return participant;
}

const char *
lattice_call_get_room (LatticeCall *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL (self), NULL);
  return self->link != NULL ? self->link->room : NULL;
}

char *
lattice_call_dup_invite_link (LatticeCall *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL (self), NULL);
  return self->link != NULL ? lattice_link_to_string (self->link) : NULL;
}

char *
lattice_call_dup_server_fingerprint (LatticeCall *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL (self), NULL);

  if (self->client == NULL)
    return NULL;
  return g_strdup (lattice_signaling_client_get_peer_certificate_fingerprint (self->client));
}

LatticeMediaEngine *
lattice_call_get_engine (LatticeCall *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL (self), NULL);
  return self->engine;
}

void
lattice_call_set_ice_servers (LatticeCall       *self,
                              const char        *stun_server,
                              const char *const *turn_servers)
{
  g_return_if_fail (LATTICE_IS_CALL (self));

  g_free (self->local_stun);
  self->local_stun = (stun_server != NULL && *stun_server != '\0') ? g_strdup (stun_server) : NULL;
  g_strfreev (self->local_turn);
  self->local_turn = (turn_servers != NULL && turn_servers[0] != NULL)
                       ? g_strdupv ((char **) turn_servers) : NULL;
}

void
lattice_call_set_audio_muted (LatticeCall *self,
                              gboolean     muted)
{
  g_return_if_fail (LATTICE_IS_CALL (self));

  if (!!self->audio_muted == !!muted)
    return;
  self->audio_muted = !!muted;
  lattice_media_engine_set_audio_muted (self->engine, muted);
  if (self->self_participant != NULL)
    lattice_participant_set_audio_muted (self->self_participant, muted);
  send_own_state (self, LATTICE_STATE_FIELD_AUDIO_MUTED);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUDIO_MUTED]);
}

gboolean
lattice_call_get_audio_muted (LatticeCall *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL (self), FALSE);
  return self->audio_muted;
}

void
lattice_call_set_video_enabled (LatticeCall *self,
                                gboolean     enabled)
{
  g_return_if_fail (LATTICE_IS_CALL (self));

  if (!!self->video_enabled == !!enabled)
    return;
  self->video_enabled = !!enabled;
  lattice_media_engine_set_video_enabled (self->engine, enabled);
  if (self->self_participant != NULL)
    lattice_participant_set_video_off (self->self_participant, !enabled);
  send_own_state (self, LATTICE_STATE_FIELD_VIDEO_OFF);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_ENABLED]);
}

gboolean
lattice_call_get_video_enabled (LatticeCall *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL (self), FALSE);
  return self->video_enabled;
}

void
lattice_call_set_hand_raised (LatticeCall *self,
                              gboolean     raised)
{
  g_return_if_fail (LATTICE_IS_CALL (self));

  if (!!self->hand_raised == !!raised)
    return;
  self->hand_raised = !!raised;
  if (self->self_participant != NULL)
    lattice_participant_set_hand_raised (self->self_participant, raised);
  send_own_state (self, LATTICE_STATE_FIELD_HAND_RAISED);
}

void
lattice_call_set_display_name (LatticeCall *self,
                               const char  *name)
{
  g_return_if_fail (LATTICE_IS_CALL (self));
  g_return_if_fail (name != NULL);

  if (g_strcmp0 (self->display_name, name) == 0)
    return;
  g_free (self->display_name);
  self->display_name = g_strdup (name);
  if (self->self_participant != NULL)
    lattice_participant_set_name (self->self_participant, name);
  send_own_state (self, LATTICE_STATE_FIELD_NAME);
}
