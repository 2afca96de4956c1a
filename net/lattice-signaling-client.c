/* lattice-signaling-client.c: the signaling client (libsoup 3 websocket)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeSignaling"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "lattice-certificate.h"
#include "lattice-net-enums.h"
#include "lattice-signaling-client.h"

/* The first connect gives up quickly so the user hears about a wrong
 * address in seconds: a few attempts, each with a short handshake
 * deadline (3 × 3 s plus the pauses stays near 10 s). */
#define FIRST_CONNECT_ATTEMPTS      3
#define FIRST_CONNECT_RETRY_MS      250
#define FIRST_HANDSHAKE_TIMEOUT_MS  3000
/* A reconnect may cross a slow network: more patience per attempt. */
#define HANDSHAKE_TIMEOUT_MS        8000
/* Until "welcome" says otherwise. */
#define DEFAULT_HEARTBEAT_MS        5000
#define MISSED_HEARTBEATS           3

enum {
  PROP_0,
  PROP_STATE,
  PROP_ERROR,
  PROP_PARTICIPANT_ID,
  PROP_ROOM,
  PROP_WS_URI,
  PROP_NAME,
  PROP_PASSWORD,
  PROP_RECONNECT_MIN_MS,
  PROP_RECONNECT_MAX_MS,
  PROP_PINNED_FINGERPRINT,
  PROP_PEER_CERTIFICATE_FINGERPRINT,
  N_PROPS
};

/* What the TLS handshake of the current attempt made of the certificate. */
typedef enum {
  CERT_UNCHECKED,
  CERT_ACCEPTED,
  CERT_UNTRUSTED,
  CERT_MISMATCH,
} CertVerdict;

enum {
  SIGNAL_JOINED,
  SIGNAL_PARTICIPANT_JOINED,
  SIGNAL_PARTICIPANT_LEFT,
  SIGNAL_PARTICIPANT_STATE,
  SIGNAL_OFFER,
  SIGNAL_ANSWER,
  SIGNAL_CANDIDATE,
  SIGNAL_SERVER_ERROR,
  SIGNAL_REJECT,
  SIGNAL_UNKNOWN_TARGET,
  N_SIGNALS
};

/* What this client sends is paced below the server's default rate limit
 * (LATTICE_SIGNAL_SERVER_DEFAULT_RATE, 50 messages a second, with four
 * seconds of burst): a burst of answers and candidates to several peers
 * at once, or a peer that makes us answer offer after offer, can never get
 * this client rate-limited and disconnected. Beyond the bucket, messages
 * wait in order; beyond OUTBOX_MAX of them, new ones are dropped. */
#define SEND_RATE        25.0
#define SEND_BURST       50.0
#define OUTBOX_MAX       1000

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

struct _LatticeSignalingClient {
  GObject                  parent_instance;

  GMainContext            *context;
  SoupSession             *session;

  char                    *ws_uri;
  char                    *room;
  char                    *name;
  char                    *password;
  guint                    reconnect_min_ms;
  guint                    reconnect_max_ms;
  char                    *pinned_fingerprint;
  char                    *peer_fingerprint;

  LatticeSignalingState    state;
  GError                  *error;
  char                    *participant_id;
  char                    *token;
  GPtrArray               *participants;  /* LatticeParticipantInfo */
  GPtrArray               *ice_servers;   /* LatticeIceServer */

  /* One connection attempt at a time: the pending websocket connect,
   * then the open connection. */
  GCancellable            *cancellable;
  SoupMessage             *request;
  CertVerdict              cert_verdict;
  SoupWebsocketConnection *conn;
  guint                    heartbeat_ms;
  gboolean                 joining;
  /* Once joined, a drop means "reconnect", never "fail". */
  gboolean                 ever_joined;
  guint                    failed_attempts;

  GSource                 *retry_source;
  GSource                 *watchdog_source;

  GQueue                   outbox;        /* char *, waiting for the bucket */
  double                   send_tokens;
  gint64                   send_tokens_us;
  GSource                 *outbox_source;
};

G_DEFINE_FINAL_TYPE (LatticeSignalingClient, lattice_signaling_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (lattice-signaling-error-quark, lattice_signaling_error)

/* What a pending connect needs to find out whether its client still
 * wants the answer: dispose cancels, so a cancelled attempt never
 * touches the (maybe finalized) client. */
typedef struct {
  LatticeSignalingClient *self;
  GCancellable           *cancellable;
} ConnectData;

static void start_attempt (LatticeSignalingClient *self);

static void
connect_data_free (ConnectData *data)
{
  g_clear_object (&data->cancellable);
  g_free (data);
}

/* Sources live on the client's own context, which need not be the global
 * default one, so they are kept as GSource pointers: g_source_remove()
 * and g_clear_handle_id() only know the global default context. */
static void
clear_source (GSource **slot)
{
  if (*slot == NULL)
    return;
  g_source_destroy (*slot);
  g_clear_pointer (slot, g_source_unref);
}

static void
schedule (LatticeSignalingClient *self,
          GSource               **slot,
          guint                   ms,
          GSourceFunc             func)
{
  clear_source (slot);
  *slot = g_timeout_source_new (ms);
  g_source_set_callback (*slot, func, self, NULL);
  g_source_attach (*slot, self->context);
}

static void
set_state (LatticeSignalingClient *self,
           LatticeSignalingState   state)
{
  if (self->state == state)
    return;
  g_debug ("State %d -> %d", self->state, state);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_participant_id (LatticeSignalingClient *self,
                    const char             *id)
{
  if (g_strcmp0 (self->participant_id, id) == 0)
    return;
  g_free (self->participant_id);
  self->participant_id = g_strdup (id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTICIPANT_ID]);
}

static void
take_error (LatticeSignalingClient *self,
            GError                 *error)
{
  g_clear_error (&self->error);
  self->error = error;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static gboolean
connection_open (LatticeSignalingClient *self)
{
  return self->conn != NULL &&
         soup_websocket_connection_get_state (self->conn) == SOUP_WEBSOCKET_STATE_OPEN;
}

/* Takes a token from the send bucket if there is one. */
static gboolean
take_send_token (LatticeSignalingClient *self)
{
  gint64 now = g_get_monotonic_time ();

  self->send_tokens = MIN (SEND_BURST, self->send_tokens + (now - self->send_tokens_us) / 1e6 * SEND_RATE);
  self->send_tokens_us = now;
  if (self->send_tokens < 1)
    return FALSE;
  self->send_tokens -= 1;
  return TRUE;
}

static void
clear_outbox (LatticeSignalingClient *self)
{
  clear_source (&self->outbox_source);
  g_queue_clear_full (&self->outbox, g_free);
}

static gboolean on_outbox_due (gpointer data);

static void
flush_outbox (LatticeSignalingClient *self)
{
  while (!g_queue_is_empty (&self->outbox) && connection_open (self) && take_send_token (self))
    {
      g_autofree char *text = g_queue_pop_head (&self->outbox);

      soup_websocket_connection_send_text (self->conn, text);
    }
  if (!g_queue_is_empty (&self->outbox) && self->outbox_source == NULL)
    schedule (self, &self->outbox_source, (guint) (1000 / SEND_RATE) + 1, on_outbox_due);
}

static gboolean
on_outbox_due (gpointer data)
{
  LatticeSignalingClient *self = data;

  g_clear_pointer (&self->outbox_source, g_source_unref);
  flush_outbox (self);
  return G_SOURCE_REMOVE;
}

static void
send_message (LatticeSignalingClient *self,
              const LatticeMessage   *message)
{
  if (!connection_open (self))
    {
      g_debug ("Not connected; dropping %s", lattice_message_type_to_string (message->type));
      return;
    }
  if (g_queue_get_length (&self->outbox) >= OUTBOX_MAX)
    {
      g_debug ("Sending too much; dropping %s", lattice_message_type_to_string (message->type));
      return;
    }
  g_queue_push_tail (&self->outbox, lattice_message_to_json (message));
  flush_outbox (self);
}

static guint
watchdog_ms (LatticeSignalingClient *self)
{
  if (self->heartbeat_ms > 0)
    return self->heartbeat_ms * MISSED_HEARTBEATS;
  return self->ever_joined ? HANDSHAKE_TIMEOUT_MS : FIRST_HANDSHAKE_TIMEOUT_MS;
}

/* The closing handshake outlives the client's interest in the connection:
 * the connection keeps itself until "closed", so the server sees a clean
 * close (and "leave" gets flushed) even when the client goes away. */
static void
release_connection (SoupWebsocketConnection *conn,
                    gushort                  close_code)
{
  if (soup_websocket_connection_get_state (conn) == SOUP_WEBSOCKET_STATE_CLOSED)
    {
      g_object_unref (conn);
      return;
    }
  g_signal_connect (conn, "closed", G_CALLBACK (g_object_unref), NULL);
  if (soup_websocket_connection_get_state (conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (conn, close_code, NULL);
}

/* @close_code tells the server why: NORMAL reads as "left", GOING_AWAY as
 * "disconnected", which the others take as "may come back". */
static void
teardown_connection (LatticeSignalingClient *self,
                     gushort                 close_code)
{
  clear_source (&self->watchdog_source);
  /* what was meant for the old connection's room state is stale */
  clear_outbox (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->request);
  self->heartbeat_ms = 0;
  self->joining = FALSE;
  if (self->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->conn, self);
      release_connection (g_steal_pointer (&self->conn), close_code);
    }
}

static void
fail (LatticeSignalingClient *self,
      GError                 *error)
{
  g_debug ("Failed: %s", error->message);
  teardown_connection (self, SOUP_WEBSOCKET_CLOSE_NORMAL);
  clear_source (&self->retry_source);
  take_error (self, error);
  set_state (self, LATTICE_SIGNALING_STATE_FAILED);
}

static gboolean
on_retry (gpointer user_data)
{
  LatticeSignalingClient *self = user_data;

  clear_source (&self->retry_source);
  start_attempt (self);
  return G_SOURCE_REMOVE;
}

/* Exponential backoff with "equal jitter": half the delay is fixed, half
 * random, so clients cut off together do not come back together. */
static guint
next_backoff_ms (LatticeSignalingClient *self)
{
  guint min_ms = MAX (self->reconnect_min_ms, 1);
  guint max_ms = MAX (self->reconnect_max_ms, min_ms);
  guint shift = MIN (self->failed_attempts, 16);
  guint64 delay = MIN ((guint64) min_ms << shift, (guint64) max_ms);

  self->failed_attempts++;
  return (guint) (delay / 2 + g_random_int_range (0, (gint32) (delay / 2) + 1));
}

static void
connection_lost (LatticeSignalingClient *self,
                 GError                 *error)
{
  g_autoptr(GError) owned = error;

  g_debug ("Connection lost: %s", error->message);
  teardown_connection (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);

  if (self->ever_joined)
    {
      guint delay = next_backoff_ms (self);

      set_state (self, LATTICE_SIGNALING_STATE_RECONNECTING);
      g_debug ("Reconnecting in %u ms", delay);
      schedule (self, &self->retry_source, delay, on_retry);
    }
  else if (++self->failed_attempts < FIRST_CONNECT_ATTEMPTS)
    schedule (self, &self->retry_source, FIRST_CONNECT_RETRY_MS, on_retry);
  else
    fail (self, g_steal_pointer (&owned));
}

static gboolean
on_watchdog (gpointer user_data)
{
  LatticeSignalingClient *self = user_data;

  clear_source (&self->watchdog_source);
  connection_lost (self, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                      _("The signaling server at %s does not answer"),
                                      self->ws_uri));
  return G_SOURCE_REMOVE;
}

static void
arm_watchdog (LatticeSignalingClient *self)
{
  schedule (self, &self->watchdog_source, watchdog_ms (self), on_watchdog);
}

static void
send_hello (LatticeSignalingClient *self)
{
  g_autoptr(LatticeMessage) hello = lattice_message_new (LATTICE_MESSAGE_HELLO);

  hello->version = LATTICE_PROTOCOL_VERSION;
  hello->software = g_strdup ("lattice " VERSION);
  send_message (self, hello);
}

static void
send_join (LatticeSignalingClient *self)
{
  g_autoptr(LatticeMessage) join = lattice_message_new (LATTICE_MESSAGE_JOIN);

  join->room = g_strdup (self->room);
  join->name = g_strdup (self->name);
  if (self->password != NULL && self->password[0] != '\0')
    join->password = g_strdup (self->password);
  join->token = g_strdup (self->token);
  self->joining = TRUE;
  send_message (self, join);
}

static void
send_pong (LatticeSignalingClient *self,
           guint64                 seq)
{
  g_autoptr(LatticeMessage) pong = lattice_message_new (LATTICE_MESSAGE_PONG);

  pong->seq = seq;
  send_message (self, pong);
}

static guint
find_participant (LatticeSignalingClient *self,
                  const char             *id,
                  gboolean               *found)
{
  for (guint i = 0; i < self->participants->len; i++)
    {
      const LatticeParticipantInfo *info = g_ptr_array_index (self->participants, i);

      if (g_strcmp0 (info->id, id) == 0)
        {
          *found = TRUE;
          return i;
        }
    }
  *found = FALSE;
  return 0;
}

/* Replaces the record with the same id, or appends it. */
static void
store_participant (LatticeSignalingClient       *self,
                   const LatticeParticipantInfo *info)
{
  gboolean found;
  guint i = find_participant (self, info->id, &found);
  LatticeParticipantInfo *copy = lattice_participant_info_copy (info);

  if (found)
    {
      lattice_participant_info_free (self->participants->pdata[i]);
      self->participants->pdata[i] = copy;
    }
  else
    g_ptr_array_add (self->participants, copy);
}

/* The lists of a parsed message move into the client; a message without
 * one (never from this codec) leaves an empty list. */
static void
take_array (GPtrArray      **slot,
            GPtrArray      **from,
            GDestroyNotify   free_func)
{
  g_clear_pointer (slot, g_ptr_array_unref);
  *slot = *from ? g_steal_pointer (from) : g_ptr_array_new_with_free_func (free_func);
}

static void
handle_welcome (LatticeSignalingClient *self,
                LatticeMessage         *message)
{
  self->heartbeat_ms = message->heartbeat_ms > 0 ? message->heartbeat_ms : DEFAULT_HEARTBEAT_MS;
  arm_watchdog (self);
  send_join (self);
}

static void
handle_joined (LatticeSignalingClient *self,
               LatticeMessage         *message)
{
  self->joining = FALSE;
  self->ever_joined = TRUE;
  self->failed_attempts = 0;
  g_free (self->token);
  self->token = g_strdup (message->token);
  take_array (&self->participants, &message->participants,
              (GDestroyNotify) lattice_participant_info_free);
  take_array (&self->ice_servers, &message->ice_servers,
              (GDestroyNotify) lattice_ice_server_free);
  set_participant_id (self, message->id);
  set_state (self, LATTICE_SIGNALING_STATE_JOINED);
  g_signal_emit (self, signals[SIGNAL_JOINED], 0, message->resumed);
}

static void
handle_participant_joined (LatticeSignalingClient *self,
                           LatticeMessage         *message)
{
  if (g_strcmp0 (message->participant->id, self->participant_id) == 0)
    return;
  store_participant (self, message->participant);
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_JOINED], 0, message->participant);
}

static void
handle_participant_left (LatticeSignalingClient *self,
                         LatticeMessage         *message)
{
  gboolean found;
  guint i = find_participant (self, message->id, &found);

  if (found)
    g_ptr_array_remove_index (self->participants, i);
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_LEFT], 0, message->id, message->reason);
}

static void
handle_participant_state (LatticeSignalingClient *self,
                          LatticeMessage         *message)
{
  store_participant (self, message->participant);
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_STATE], 0, message->participant);
}

static const char *
describe_fatal (LatticeProtocolError code)
{
  switch (code)
    {
    case LATTICE_PROTOCOL_ERROR_WRONG_PASSWORD:
      return _("The room password is wrong");
    case LATTICE_PROTOCOL_ERROR_ROOM_FULL:
      return _("The room is full");
    case LATTICE_PROTOCOL_ERROR_VERSION_UNSUPPORTED:
      return _("The server speaks another version of the Lattice protocol; upgrade Lattice");
    case LATTICE_PROTOCOL_ERROR_INVALID_TOKEN:
      return _("The server did not recognize this participant");
    case LATTICE_PROTOCOL_ERROR_MISSING_FIELD:
    case LATTICE_PROTOCOL_ERROR_INVALID_FIELD:
      return _("The server refused the room name or the display name");
    default:
      return _("The server refused to let this participant join");
    }
}

/* Which errors end the session: the ones retrying cannot fix. */
static gboolean
is_fatal (LatticeSignalingClient *self,
          LatticeProtocolError    code,
          const char             *ref_type)
{
  gboolean about_join = g_strcmp0 (ref_type, "join") == 0 || (ref_type == NULL && self->joining);

  switch (code)
    {
    case LATTICE_PROTOCOL_ERROR_WRONG_PASSWORD:
    case LATTICE_PROTOCOL_ERROR_ROOM_FULL:
    case LATTICE_PROTOCOL_ERROR_VERSION_UNSUPPORTED:
      return TRUE;
    case LATTICE_PROTOCOL_ERROR_INVALID_TOKEN:
      return !self->ever_joined;
    case LATTICE_PROTOCOL_ERROR_MISSING_FIELD:
    case LATTICE_PROTOCOL_ERROR_INVALID_FIELD:
      return about_join;
    default:
      return FALSE;
    }
}

static void
handle_error (LatticeSignalingClient *self,
              LatticeMessage         *message)
{
  LatticeProtocolError code;

  g_debug ("Server error %s (%s): %s", message->code,
           message->ref_type ? message->ref_type : "-", message->message);
  if (!lattice_protocol_error_from_code (message->code, &code))
    code = LATTICE_PROTOCOL_ERROR_INTERNAL;

  if (is_fatal (self, code, message->ref_type))
    {
      fail (self, g_error_new_literal (LATTICE_PROTOCOL_ERROR, code, describe_fatal (code)));
      return;
    }

  /* A token the server no longer takes (another deployment, a changed
   * format): come back as a new participant rather than not at all. */
  if (code == LATTICE_PROTOCOL_ERROR_INVALID_TOKEN)
    {
      g_clear_pointer (&self->token, g_free);
      connection_lost (self, g_error_new_literal (LATTICE_PROTOCOL_ERROR, code,
                                                  describe_fatal (code)));
      return;
    }

  /* the server says whom it does not know: someone we hold on to is gone */
  if (code == LATTICE_PROTOCOL_ERROR_UNKNOWN_TARGET && message->to != NULL)
    g_signal_emit (self, signals[SIGNAL_UNKNOWN_TARGET], 0, message->to);
  g_signal_emit (self, signals[SIGNAL_SERVER_ERROR], 0, message->code, message->message);
}

static void
handle_candidate (LatticeSignalingClient *self,
                  LatticeMessage         *message)
{
  guint mline = message->sdp_mline_index >= 0 ? (guint) message->sdp_mline_index : 0;

  g_signal_emit (self, signals[SIGNAL_CANDIDATE], 0,
                 message->from, mline, message->sdp_mid, message->candidate);
}

static void
dispatch (LatticeSignalingClient *self,
          LatticeMessage         *message)
{
  switch (message->type)
    {
    case LATTICE_MESSAGE_WELCOME:
      handle_welcome (self, message);
      break;
    case LATTICE_MESSAGE_JOINED:
      handle_joined (self, message);
      break;
    case LATTICE_MESSAGE_PARTICIPANT_JOINED:
      handle_participant_joined (self, message);
      break;
    case LATTICE_MESSAGE_PARTICIPANT_LEFT:
      handle_participant_left (self, message);
      break;
    case LATTICE_MESSAGE_PARTICIPANT_STATE:
      handle_participant_state (self, message);
      break;
    case LATTICE_MESSAGE_OFFER:
      g_signal_emit (self, signals[SIGNAL_OFFER], 0, message->from, message->sdp);
      break;
    case LATTICE_MESSAGE_ANSWER:
      g_signal_emit (self, signals[SIGNAL_ANSWER], 0, message->from, message->sdp);
      break;
    case LATTICE_MESSAGE_CANDIDATE:
      handle_candidate (self, message);
      break;
    case LATTICE_MESSAGE_PING:
      send_pong (self, message->seq);
      break;
    case LATTICE_MESSAGE_ERROR:
      handle_error (self, message);
      break;
    case LATTICE_MESSAGE_REJECT:
      g_debug ("%s refused our %s: %s (%s)", message->from, message->ref_type ? message->ref_type : "message",
               message->code, message->message);
      g_signal_emit (self, signals[SIGNAL_REJECT], 0, message->from, message->code, message->message);
      break;
    case LATTICE_MESSAGE_PONG:
      break;
    default:
      g_debug ("Ignoring %s from the server", lattice_message_type_to_string (message->type));
      break;
    }
}

static void
on_message (SoupWebsocketConnection *conn,
            gint                     type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  /* A handler may drop the last reference to the client. */
  g_autoptr(LatticeSignalingClient) self = g_object_ref (user_data);
  g_autoptr(LatticeMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *text = g_bytes_get_data (bytes, &size);

  /* Any message at all is a sign of life. */
  arm_watchdog (self);
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      g_debug ("Ignoring a binary frame from the server");
      return;
    }
  message = lattice_message_parse (text, (gssize) size, LATTICE_ORIGIN_SERVER, &error);
  if (message == NULL)
    {
      g_debug ("Ignoring a bad message from the server: %s", error->message);
      return;
    }
  dispatch (self, message);
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  LatticeSignalingClient *self = user_data;

  g_debug ("Server closed the connection (code %u)",
           soup_websocket_connection_get_close_code (conn));
  connection_lost (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                      _("The signaling server at %s closed the connection"),
                                      self->ws_uri));
}

static void
on_conn_error (SoupWebsocketConnection *conn,
               GError                  *error,
               gpointer                 user_data)
{
  /* "closed" follows; that is where the connection is given up. */
  g_debug ("Websocket error: %s", error->message);
}

static void
take_connection (LatticeSignalingClient  *self,
                 SoupWebsocketConnection *conn)
{
  self->conn = conn;
  g_signal_connect (conn, "message", G_CALLBACK (on_message), self);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), self);
  g_signal_connect (conn, "error", G_CALLBACK (on_conn_error), self);
  arm_watchdog (self);
  send_hello (self);
}

static GError *
make_connect_error (LatticeSignalingClient *self,
                    const GError           *error)
{
  gint code = error->domain == G_IO_ERROR ? error->code : G_IO_ERROR_FAILED;

  return g_error_new (G_IO_ERROR, code,
                      _("Could not connect to the signaling server at %s: %s"),
                      self->ws_uri, error->message);
}

static void
set_peer_fingerprint (LatticeSignalingClient *self,
                      const char             *fingerprint)
{
  if (g_strcmp0 (self->peer_fingerprint, fingerprint) == 0)
    return;
  g_free (self->peer_fingerprint);
  self->peer_fingerprint = g_strdup (fingerprint);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_CERTIFICATE_FINGERPRINT]);
}

/* Called during the handshake only when the certificate did not verify
 * (no CA vouches for it, wrong name, expired…). With a pin, the pin alone
 * decides: a self-signed host is trusted because the user has its
 * fingerprint, not because of who signed it. */
static gboolean
on_accept_certificate (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  LatticeSignalingClient *self = user_data;
  g_autofree char *fingerprint = lattice_certificate_get_fingerprint (certificate);

  /* A late handshake of an abandoned attempt decides nothing. */
  if (msg != self->request)
    return FALSE;

  g_debug ("Certificate %s did not verify (flags 0x%x)", fingerprint, errors);
  set_peer_fingerprint (self, fingerprint);
  if (self->pinned_fingerprint == NULL)
    self->cert_verdict = CERT_UNTRUSTED;
  else if (g_str_equal (fingerprint, self->pinned_fingerprint))
    self->cert_verdict = CERT_ACCEPTED;
  else
    self->cert_verdict = CERT_MISMATCH;
  return self->cert_verdict == CERT_ACCEPTED;
}

/* A certificate that did verify never reaches on_accept_certificate(),
 * so the pin is checked again once connected, before hello and join
 * (and the password) are sent. */
static gboolean
pin_holds (LatticeSignalingClient *self)
{
  GTlsCertificate *certificate = soup_message_get_tls_peer_certificate (self->request);
  g_autofree char *fingerprint = NULL;

  if (certificate != NULL)
    {
      fingerprint = lattice_certificate_get_fingerprint (certificate);
      set_peer_fingerprint (self, fingerprint);
    }
  if (self->pinned_fingerprint == NULL)
    return TRUE;
  return fingerprint != NULL && g_str_equal (fingerprint, self->pinned_fingerprint);
}

static GError *
make_certificate_error (LatticeSignalingClient *self,
                        CertVerdict             verdict)
{
  if (verdict == CERT_MISMATCH)
    return g_error_new_literal (LATTICE_SIGNALING_ERROR,
                                LATTICE_SIGNALING_ERROR_CERTIFICATE_MISMATCH,
                                _("The server’s certificate does not match the invite link — "
                                  "someone may be intercepting the connection"));
  return g_error_new (LATTICE_SIGNALING_ERROR, LATTICE_SIGNALING_ERROR_CERTIFICATE_UNTRUSTED,
                      _("The certificate of the signaling server at %s is not trusted "
                        "(fingerprint %s)"),
                      self->ws_uri, self->peer_fingerprint ? self->peer_fingerprint : "?");
}

/* A connection that failed or succeeded: retry, give up, or go on. */
static void
finish_connect (LatticeSignalingClient  *self,
                SoupWebsocketConnection *conn,
                const GError            *error)
{
  if (conn != NULL && pin_holds (self))
    {
      take_connection (self, conn);
      return;
    }
  if (conn != NULL)
    {
      release_connection (conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
      fail (self, make_certificate_error (self, CERT_MISMATCH));
    }
  /* Retrying cannot change a certificate: the user has to decide. */
  else if (self->cert_verdict == CERT_UNTRUSTED || self->cert_verdict == CERT_MISMATCH)
    fail (self, make_certificate_error (self, self->cert_verdict));
  else
    connection_lost (self, make_connect_error (self, error));
}

static void
on_connect_ready (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ConnectData *data = user_data;
  LatticeSignalingClient *self = data->self;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *conn;

  conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (g_cancellable_is_cancelled (data->cancellable))
    {
      if (conn != NULL)
        release_connection (conn, SOUP_WEBSOCKET_CLOSE_NORMAL);
      connect_data_free (data);
      return;
    }
  connect_data_free (data);
  g_clear_object (&self->cancellable);
  finish_connect (self, conn, error);
}

/* Only ws:// and wss:// with a host; soup_message_new() would complain
 * loudly (a critical) about some of what a user can type. */
static SoupMessage *
build_request (LatticeSignalingClient  *self,
               GError                 **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  uri = self->ws_uri ? g_uri_parse (self->ws_uri, SOUP_HTTP_URI_FLAGS, NULL) : NULL;
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  host = uri ? g_uri_get_host (uri) : NULL;
  if (scheme == NULL || host == NULL || host[0] == '\0' ||
      (g_ascii_strcasecmp (scheme, "ws") != 0 && g_ascii_strcasecmp (scheme, "wss") != 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a signaling server address"),
                   self->ws_uri ? self->ws_uri : "");
      return NULL;
    }
  /* Without TLS there is no certificate to hold to the pin. */
  if (self->pinned_fingerprint != NULL && g_ascii_strcasecmp (scheme, "wss") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The server address %s is not secure, but the link pins a certificate"),
                   self->ws_uri);
      return NULL;
    }
  return soup_message_new_from_uri (SOUP_METHOD_GET, uri);
}

static void
start_attempt (LatticeSignalingClient *self)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  ConnectData *data;

  msg = build_request (self, &error);
  if (msg == NULL)
    {
      fail (self, g_steal_pointer (&error));
      return;
    }

  teardown_connection (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  self->cancellable = g_cancellable_new ();
  self->request = g_object_ref (msg);
  self->cert_verdict = CERT_UNCHECKED;
  g_signal_connect_object (msg, "accept-certificate", G_CALLBACK (on_accept_certificate),
                           self, G_CONNECT_DEFAULT);
  data = g_new0 (ConnectData, 1);
  data->self = self;
  data->cancellable = g_object_ref (self->cancellable);

  g_debug ("Connecting to %s", self->ws_uri);
  /* libsoup runs the connection on the caller's thread-default context:
   * make that the client's own. */
  g_main_context_push_thread_default (self->context);
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->cancellable, on_connect_ready, data);
  g_main_context_pop_thread_default (self->context);
  arm_watchdog (self);
}

static void
lattice_signaling_client_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  LatticeSignalingClient *self = LATTICE_SIGNALING_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_PARTICIPANT_ID:
      g_value_set_string (value, self->participant_id);
      break;
    case PROP_ROOM:
      g_value_set_string (value, self->room);
      break;
    case PROP_WS_URI:
      g_value_set_string (value, self->ws_uri);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_PASSWORD:
      g_value_set_string (value, self->password);
      break;
    case PROP_RECONNECT_MIN_MS:
      g_value_set_uint (value, self->reconnect_min_ms);
      break;
    case PROP_RECONNECT_MAX_MS:
      g_value_set_uint (value, self->reconnect_max_ms);
      break;
    case PROP_PINNED_FINGERPRINT:
      g_value_set_string (value, self->pinned_fingerprint);
      break;
    case PROP_PEER_CERTIFICATE_FINGERPRINT:
      g_value_set_string (value, self->peer_fingerprint);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_uint_prop (LatticeSignalingClient *self,
               guint                  *field,
               guint                   value,
               guint                   prop_id)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
lattice_signaling_client_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  LatticeSignalingClient *self = LATTICE_SIGNALING_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ROOM:
      self->room = g_value_dup_string (value);
      break;
    case PROP_WS_URI:
      self->ws_uri = g_value_dup_string (value);
      break;
    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;
    case PROP_PASSWORD:
      self->password = g_value_dup_string (value);
      break;
    case PROP_RECONNECT_MIN_MS:
      set_uint_prop (self, &self->reconnect_min_ms, g_value_get_uint (value), prop_id);
      break;
    case PROP_RECONNECT_MAX_MS:
      set_uint_prop (self, &self->reconnect_max_ms, g_value_get_uint (value), prop_id);
      break;
    case PROP_PINNED_FINGERPRINT:
      lattice_signaling_client_set_pinned_fingerprint (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_signaling_client_dispose (GObject *object)
{
  LatticeSignalingClient *self = LATTICE_SIGNALING_CLIENT (object);

  teardown_connection (self, SOUP_WEBSOCKET_CLOSE_NORMAL);
  clear_source (&self->retry_source);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (lattice_signaling_client_parent_class)->dispose (object);
}

static void
lattice_signaling_client_finalize (GObject *object)
{
  LatticeSignalingClient *self = LATTICE_SIGNALING_CLIENT (object);

  g_clear_pointer (&self->participants, g_ptr_array_unref);
  g_clear_pointer (&self->ice_servers, g_ptr_array_unref);
  g_clear_error (&self->error);
  g_free (self->participant_id);
  g_free (self->token);
  g_free (self->ws_uri);
  g_free (self->room);
  g_free (self->name);
  g_free (self->password);
  g_free (self->pinned_fingerprint);
  g_free (self->peer_fingerprint);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (lattice_signaling_client_parent_class)->finalize (object);
}

static void
install_properties (GObjectClass *object_class)
{
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, LATTICE_TYPE_SIGNALING_STATE,
                       LATTICE_SIGNALING_STATE_DISCONNECTED, ro);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, ro);
  properties[PROP_PARTICIPANT_ID] =
    g_param_spec_string ("participant-id", NULL, NULL, NULL, ro);
  properties[PROP_ROOM] = g_param_spec_string ("room", NULL, NULL, NULL, co);
  properties[PROP_WS_URI] = g_param_spec_string ("ws-uri", NULL, NULL, NULL, co);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, co);
  properties[PROP_PASSWORD] = g_param_spec_string ("password", NULL, NULL, NULL, co);
  properties[PROP_RECONNECT_MIN_MS] =
    g_param_spec_uint ("reconnect-min-ms", NULL, NULL, 1, G_MAXINT32 / 2, 500, rw);
  properties[PROP_RECONNECT_MAX_MS] =
    g_param_spec_uint ("reconnect-max-ms", NULL, NULL, 1, G_MAXINT32 / 2, 10000, rw);
  properties[PROP_PINNED_FINGERPRINT] =
    g_param_spec_string ("pinned-fingerprint", NULL, NULL, NULL, rw | G_PARAM_CONSTRUCT);
  properties[PROP_PEER_CERTIFICATE_FINGERPRINT] =
    g_param_spec_string ("peer-certificate-fingerprint", NULL, NULL, NULL, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
install_signals (GType type)
{
  signals[SIGNAL_JOINED] =
    g_signal_new ("joined", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  signals[SIGNAL_PARTICIPANT_JOINED] =
    g_signal_new ("participant-joined", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, LATTICE_TYPE_PARTICIPANT_INFO);
  signals[SIGNAL_PARTICIPANT_LEFT] =
    g_signal_new ("participant-left", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_PARTICIPANT_STATE] =
    g_signal_new ("participant-state", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, LATTICE_TYPE_PARTICIPANT_INFO);
  signals[SIGNAL_OFFER] =
    g_signal_new ("offer", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_ANSWER] =
    g_signal_new ("answer", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_CANDIDATE] =
    g_signal_new ("candidate", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_SERVER_ERROR] =
    g_signal_new ("server-error", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /* from, code (LATTICE_REJECT_*), message: a participant refused our offer */
  signals[SIGNAL_REJECT] =
    g_signal_new ("reject", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /* id: the server knows nobody by that id in the room any more */
  signals[SIGNAL_UNKNOWN_TARGET] =
    g_signal_new ("unknown-target", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
lattice_signaling_client_class_init (LatticeSignalingClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = lattice_signaling_client_get_property;
  object_class->set_property = lattice_signaling_client_set_property;
  object_class->dispose = lattice_signaling_client_dispose;
  object_class->finalize = lattice_signaling_client_finalize;

  install_properties (object_class);
  install_signals (G_TYPE_FROM_CLASS (klass));
}

static void
lattice_signaling_client_init (LatticeSignalingClient *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->session = soup_session_new ();
  self->reconnect_min_ms = 500;
  self->reconnect_max_ms = 10000;
  self->state = LATTICE_SIGNALING_STATE_DISCONNECTED;
  g_queue_init (&self->outbox);
  self->send_tokens = SEND_BURST;
  self->send_tokens_us = g_get_monotonic_time ();
  self->participants = g_ptr_array_new_with_free_func ((GDestroyNotify) lattice_participant_info_free);
  self->ice_servers = g_ptr_array_new_with_free_func ((GDestroyNotify) lattice_ice_server_free);
}

LatticeSignalingClient *
lattice_signaling_client_new (const char *ws_uri,
                              const char *room,
                              const char *name,
                              const char *password)
{
  return g_object_new (LATTICE_TYPE_SIGNALING_CLIENT,
                       "ws-uri", ws_uri,
                       "room", room,
                       "name", name,
                       "password", password,
                       NULL);
}

LatticeSignalingClient *
lattice_signaling_client_new_for_link (const LatticeLink *link,
                                       const char        *name,
                                       const char        *password)
{
  g_return_val_if_fail (link != NULL, NULL);

  return g_object_new (LATTICE_TYPE_SIGNALING_CLIENT,
                       "ws-uri", link->ws_uri,
                       "room", link->room,
                       "name", name,
                       "password", password,
                       "pinned-fingerprint", link->fingerprint,
                       NULL);
}

void
lattice_signaling_client_connect (LatticeSignalingClient *self)
{
  g_return_if_fail (LATTICE_IS_SIGNALING_CLIENT (self));

  if (self->state == LATTICE_SIGNALING_STATE_CONNECTING ||
      self->state == LATTICE_SIGNALING_STATE_JOINED ||
      self->state == LATTICE_SIGNALING_STATE_RECONNECTING)
    return;

  if (self->error != NULL)
    {
      g_clear_error (&self->error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  self->ever_joined = FALSE;
  self->failed_attempts = 0;
  set_state (self, LATTICE_SIGNALING_STATE_CONNECTING);
  start_attempt (self);
}

void
lattice_signaling_client_disconnect (LatticeSignalingClient *self)
{
  g_return_if_fail (LATTICE_IS_SIGNALING_CLIENT (self));

  if (self->state == LATTICE_SIGNALING_STATE_JOINED)
    {
      g_autoptr(LatticeMessage) leave = lattice_message_new (LATTICE_MESSAGE_LEAVE);

      send_message (self, leave);
    }
  teardown_connection (self, SOUP_WEBSOCKET_CLOSE_NORMAL);
  clear_source (&self->retry_source);
  /* Having left, a later connect() is a new participant. */
  g_clear_pointer (&self->token, g_free);
  g_ptr_array_set_size (self->participants, 0);
  set_state (self, LATTICE_SIGNALING_STATE_DISCONNECTED);
}

LatticeSignalingState
lattice_signaling_client_get_state (LatticeSignalingClient *self)
{
  g_return_val_if_fail (LATTICE_IS_SIGNALING_CLIENT (self), LATTICE_SIGNALING_STATE_DISCONNECTED);
  return self->state;
}

const GError *
lattice_signaling_client_get_error (LatticeSignalingClient *self)
{
  g_return_val_if_fail (LATTICE_IS_SIGNALING_CLIENT (self), NULL);
  return self->error;
}

const char *
lattice_signaling_client_get_participant_id (LatticeSignalingClient *self)
{
  g_return_val_if_fail (LATTICE_IS_SIGNALING_CLIENT (self), NULL);
  return self->participant_id;
}

const char *
lattice_signaling_client_get_room (LatticeSignalingClient *self)
{
  g_return_val_if_fail (LATTICE_IS_SIGNALING_CLIENT (self), NULL);
  return self->room;
}

GPtrArray *
lattice_signaling_client_get_participants (LatticeSignalingClient *self)
{
  g_return_val_if_fail (LATTICE_IS_SIGNALING_CLIENT (self), NULL);
  return self->participants;
}

GPtrArray *
lattice_signaling_client_get_ice_servers (LatticeSignalingClient *self)
{
  g_return_val_if_fail (LATTICE_IS_SIGNALING_CLIENT (self), NULL);
  return self->ice_servers;
}

void
lattice_signaling_client_set_pinned_fingerprint (LatticeSignalingClient *self,
                                                 const char             *fingerprint)
{
  g_return_if_fail (LATTICE_IS_SIGNALING_CLIENT (self));
  g_return_if_fail (fingerprint == NULL || lattice_fingerprint_is_valid (fingerprint));

  if (g_strcmp0 (self->pinned_fingerprint, fingerprint) == 0)
    return;
  g_free (self->pinned_fingerprint);
  self->pinned_fingerprint = g_strdup (fingerprint);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED_FINGERPRINT]);
}

const char *
lattice_signaling_client_get_pinned_fingerprint (LatticeSignalingClient *self)
{
  g_return_val_if_fail (LATTICE_IS_SIGNALING_CLIENT (self), NULL);
  return self->pinned_fingerprint;
}

const char *
lattice_signaling_client_get_peer_certificate_fingerprint (LatticeSignalingClient *self)
{
  g_return_val_if_fail (LATTICE_IS_SIGNALING_CLIENT (self), NULL);
  return self->peer_fingerprint;
}

static gboolean
can_send (LatticeSignalingClient *self,
          const char             *what)
{
  if (self->state == LATTICE_SIGNALING_STATE_JOINED)
    return TRUE;
  g_debug ("Not joined; dropping %s", what);
  return FALSE;
}

static void
send_sdp (LatticeSignalingClient *self,
          LatticeMessageType      type,
          const char             *to,
          const char             *sdp)
{
  g_autoptr(LatticeMessage) message = lattice_message_new (type);

  message->to = g_strdup (to);
  message->sdp = g_strdup (sdp);
  send_message (self, message);
}

void
lattice_signaling_client_send_offer (LatticeSignalingClient *self,
                                     const char             *to,
                                     const char             *sdp)
{
  g_return_if_fail (LATTICE_IS_SIGNALING_CLIENT (self));
  g_return_if_fail (to != NULL && sdp != NULL);

  if (can_send (self, "an offer"))
    send_sdp (self, LATTICE_MESSAGE_OFFER, to, sdp);
}

void
lattice_signaling_client_send_answer (LatticeSignalingClient *self,
                                      const char             *to,
                                      const char             *sdp)
{
  g_return_if_fail (LATTICE_IS_SIGNALING_CLIENT (self));
  g_return_if_fail (to != NULL && sdp != NULL);

  if (can_send (self, "an answer"))
    send_sdp (self, LATTICE_MESSAGE_ANSWER, to, sdp);
}

void
lattice_signaling_client_send_candidate (LatticeSignalingClient *self,
                                         const char             *to,
                                         guint                   mline,
                                         const char             *mid,
                                         const char             *candidate)
{
  g_autoptr(LatticeMessage) message = NULL;

  g_return_if_fail (LATTICE_IS_SIGNALING_CLIENT (self));
  g_return_if_fail (to != NULL && candidate != NULL);
  g_return_if_fail (mline <= G_MAXINT);

  if (!can_send (self, "a candidate"))
    return;
  message = lattice_message_new (LATTICE_MESSAGE_CANDIDATE);
  message->to = g_strdup (to);
  message->sdp_mline_index = (gint) mline;
  message->sdp_mid = g_strdup (mid);
  message->candidate = g_strdup (candidate);
  send_message (self, message);
}

void
lattice_signaling_client_send_reject (LatticeSignalingClient *self,
                                      const char             *to,
                                      const char             *code,
                                      const char             *text,
                                      const char             *ref_type)
{
  g_autoptr(LatticeMessage) message = NULL;

  g_return_if_fail (LATTICE_IS_SIGNALING_CLIENT (self));
  g_return_if_fail (to != NULL && code != NULL && text != NULL);

  if (!can_send (self, "a reject"))
    return;
  message = lattice_message_new (LATTICE_MESSAGE_REJECT);
  message->to = g_strdup (to);
  message->code = g_strdup (code);
  message->message = g_strdup (text);
  message->ref_type = g_strdup (ref_type);
  send_message (self, message);
}

void
lattice_signaling_client_send_state (LatticeSignalingClient       *self,
                                     LatticeStateFields            fields,
                                     const LatticeParticipantInfo *info)
{
  g_autoptr(LatticeMessage) message = NULL;

  g_return_if_fail (LATTICE_IS_SIGNALING_CLIENT (self));
  g_return_if_fail (info != NULL);
  g_return_if_fail (fields != LATTICE_STATE_FIELD_NONE);

  if (!can_send (self, "a state update"))
    return;
  message = lattice_message_new (LATTICE_MESSAGE_STATE);
  message->participant = lattice_participant_info_copy (info);
  message->state_fields = fields;
  send_message (self, message);
}
