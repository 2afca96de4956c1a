/* lattice-signal-server.c: the signaling server (libsoup 3 websockets)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeServer"

#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "lattice-link.h"
#include "lattice-protocol.h"
#include "lattice-signal-server.h"
#include "lattice-signal-server-private.h"
#include "lattice-sdp-mitm.h"

#define TOKEN_BYTES          32
#define TOKEN_LENGTH         43   /* base64url of 32 bytes, no padding */
#define ID_LENGTH            16
#define ID_PREFIX            "lattice-participant-id:"
#define SALT_BYTES           16
#define TURN_LIFETIME_S      (24 * 60 * 60)
#define SOFTWARE             "lattice-server " PACKAGE_VERSION
#define HTTP_TOO_MANY_REQUESTS 429

enum {
  PROP_0,
  PROP_MAX_MESSAGE_SIZE,
  PROP_MAX_RATE,
  PROP_MAX_ROOM_SIZE,
  PROP_MAX_NAME_LENGTH,
  PROP_HEARTBEAT_INTERVAL,
  PROP_HEARTBEAT_TIMEOUT,
  PROP_TLS_CERTIFICATE,
  PROP_ALLOWED_ORIGINS,
  PROP_STUN_SERVERS,
  PROP_TURN_SERVERS,
  PROP_TURN_SECRET,
  PROP_MAX_CONNECTIONS_PER_ADDRESS,
  PROP_MAX_PASSWORD_ATTEMPTS,
  PROP_PASSWORD_WINDOW,
  PROP_PASSWORD_COOLDOWN,
  PROP_TEST_MITM_FINGERPRINTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef enum {
  CLIENT_NEW,       /* waiting for hello */
  CLIENT_WELCOMED,  /* waiting for join */
  CLIENT_JOINED,
  CLIENT_GONE,      /* left, replaced or dropped: only waits to be freed */
} ClientPhase;

typedef struct _Room Room;

/* A client is a websocket, or (conn NULL) a fake one that tests and the
 * fuzzer drive through lattice-signal-server-private.h. */
struct _LatticeServerClient {
  LatticeSignalServer     *server;
  SoupWebsocketConnection *conn;
  char                    *peer;       /* remote address: limits and logs */
  gboolean                 counted;    /* in connections_per_address */
  ClientPhase              phase;
  Room                    *room;
  LatticeParticipantInfo  *info;       /* once joined */
  gboolean                 closed;     /* the websocket reported "closed" */
  gint64                   last_seen;  /* monotonic µs */
  gint64                   bucket_time;
  double                   bucket;     /* messages it may still send now */
  double                   excess;     /* dropped messages, leaking at the same rate */
  GPtrArray               *sent;       /* fake only: texts sent to it */
  gushort                  close_code; /* fake only: 0 while open */
};

typedef struct _LatticeServerClient Client;

/* Wrong passwords from one address for one room. */
typedef struct {
  guint  count;          /* in the window that began at window_start */
  gint64 window_start;   /* monotonic µs */
  gint64 blocked_since;  /* monotonic µs; 0 when not blocked */
} Attempts;

struct _Room {
  char      *name;
  guint8     salt[SALT_BYTES];
  guint8     password_hash[32];
  GPtrArray *members;  /* Client *, in join order, not owned */
};

struct _LatticeSignalServer {
  GObject parent_instance;

  GMainContext *context;
  SoupServer   *soup;
  guint         port;
  GHashTable   *clients;  /* set of owned Client * */
  GHashTable   *rooms;    /* name → owned Room * */
  GPtrArray    *closed;   /* clients whose websocket closed, freed from reap_source */
  GHashTable   *connections_per_address;  /* address → count of open clients */
  GHashTable   *password_failures;        /* "ROOM ADDRESS" → owned Attempts * */
  GSource      *heartbeat_source;
  GSource      *reap_source;
  GInputStream *urandom;
  guint64       ping_seq;

  guint            max_message_size;
  guint            max_rate;
  guint            max_room_size;
  guint            max_name_length;
  guint            heartbeat_interval;
  guint            heartbeat_timeout;
  GTlsCertificate *tls_certificate;
  GStrv            allowed_origins;
  GStrv            stun_servers;
  GStrv            turn_servers;
  char            *turn_secret;
  guint            max_connections_per_address;
  guint            max_password_attempts;
  guint            password_window;    /* ms */
  guint            password_cooldown;  /* ms */
  gboolean         test_mitm_fingerprints;  /* test only: forge DTLS fingerprints */
};

G_DEFINE_FINAL_TYPE (LatticeSignalServer, lattice_signal_server, G_TYPE_OBJECT)

static void client_close (Client *client, gushort code, const char *why, const char *left_reason);

/* Sources live on self->context, which need not be the global default, so
 * they are kept as GSource pointers rather than ids. */
static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static GSource *
attach_timeout (LatticeSignalServer *self,
                guint                interval_ms,
                GSourceFunc          func)
{
  GSource *source = interval_ms ? g_timeout_source_new (interval_ms) : g_idle_source_new ();

  g_source_set_callback (source, func, self, NULL);
  g_source_set_static_name (source, "LatticeSignalServer");
  g_source_attach (source, self->context);
  return source;
}

/* --- Secrets: tokens, ids, passwords ------------------------------------ */

static gboolean
read_random (LatticeSignalServer  *self,
             guint8               *buffer,
             gsize                 size,
             GError              **error)
{
  gsize n_read = 0;

  if (self->urandom == NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path ("/dev/urandom");

      self->urandom = G_INPUT_STREAM (g_file_read (file, NULL, error));
      if (self->urandom == NULL)
        return FALSE;
    }

  if (!g_input_stream_read_all (self->urandom, buffer, size, &n_read, NULL, error))
    return FALSE;
  if (n_read == size)
    return TRUE;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Short read from /dev/urandom");
  return FALSE;
}

static char *
base64url_encode (const guint8 *data,
                  gsize         size)
{
  char *text = g_base64_encode (data, size);

  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '_');
  *strchrnul (text, '=') = '\0';
  return text;
}

static char *
generate_token (LatticeSignalServer  *self,
                GError              **error)
{
  guint8 bytes[TOKEN_BYTES];

  if (!read_random (self, bytes, sizeof bytes, error))
    return NULL;
  return base64url_encode (bytes, sizeof bytes);
}

/* Exactly the texts generate_token() can produce: 43 base64url characters
 * whose last one carries no stray low bits, so one token has one spelling. */
static gboolean
token_is_valid (const char *token)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char *last;

  if (strlen (token) != TOKEN_LENGTH || strspn (token, alphabet) != TOKEN_LENGTH)
    return FALSE;

  last = strchr (alphabet, token[TOKEN_LENGTH - 1]);
  return ((last - alphabet) & 0x3) == 0;
}

static char *
participant_id_for_token (const char *token)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (checksum, (const guchar *) ID_PREFIX, strlen (ID_PREFIX));
  g_checksum_update (checksum, (const guchar *) token, strlen (token));
  return g_strndup (g_checksum_get_string (checksum), ID_LENGTH);
}

static void
hash_password (const guint8 *salt,
               const char   *password,
               guint8        out[32])
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, salt, SALT_BYTES);
  gsize len = 32;

  g_hmac_update (hmac, (const guchar *) password, strlen (password));
  g_hmac_get_digest (hmac, out, &len);
}

/* Constant time, so response timing says nothing about how much matched. */
static gboolean
room_password_matches (Room       *room,
                       const char *password)
{
  guint8 hash[32];
  guint8 diff = 0;

  hash_password (room->salt, password, hash);
  for (gsize i = 0; i < sizeof hash; i++)
    diff |= hash[i] ^ room->password_hash[i];
  return diff == 0;
}

/* Guessing a password means many joins; after max-password-attempts wrong
 * ones within password-window, an address waits out password-cooldown
 * before it may try that room again, right password or not. */
static char *
attempts_key (const char *room,
              const char *address)
{
  /* Room names have no blanks, so the key is unambiguous. */
  return g_strconcat (room, " ", address, NULL);
}

static gboolean
password_is_blocked (LatticeSignalServer *self,
                     const char          *room,
                     const char          *address,
                     gint64               now)
{
  g_autofree char *key = attempts_key (room, address);
  Attempts *attempts = g_hash_table_lookup (self->password_failures, key);

  return attempts != NULL && attempts->blocked_since != 0 &&
         now - attempts->blocked_since < (gint64) self->password_cooldown * 1000;
}

static void
password_failed (LatticeSignalServer *self,
                 const char          *room,
                 const char          *address,
                 gint64               now)
{
  g_autofree char *key = attempts_key (room, address);
  Attempts *attempts = g_hash_table_lookup (self->password_failures, key);

  if (attempts == NULL)
    {
      attempts = g_new0 (Attempts, 1);
      attempts->window_start = now;
      g_hash_table_insert (self->password_failures, g_steal_pointer (&key), attempts);
    }

  /* Called only when not blocked: a block that ran out starts afresh, and
   * so does a window that is over. */
  if (attempts->blocked_since != 0 ||
      now - attempts->window_start > (gint64) self->password_window * 1000)
    {
      attempts->count = 0;
      attempts->window_start = now;
      attempts->blocked_since = 0;
    }

  if (++attempts->count >= self->max_password_attempts)
    {
      attempts->blocked_since = now;
      g_message ("%s: too many wrong passwords for room %s; blocked for %u ms",
                 address, room, self->password_cooldown);
    }
}

static void
password_succeeded (LatticeSignalServer *self,
                    const char          *room,
                    const char          *address)
{
  g_autofree char *key = attempts_key (room, address);

  g_hash_table_remove (self->password_failures, key);
}

/* Forgets what no longer matters, so the table stays small. */
static void
prune_password_failures (LatticeSignalServer *self,
                         gint64               now)
{
  GHashTableIter iter;
  Attempts *attempts;

  g_hash_table_iter_init (&iter, self->password_failures);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &attempts))
    {
      gboolean blocked = attempts->blocked_since != 0 &&
                         now - attempts->blocked_since < (gint64) self->password_cooldown * 1000;

      if (!blocked && now - attempts->window_start > (gint64) self->password_window * 1000)
        g_hash_table_iter_remove (&iter);
    }
}

/* --- Connections per address --------------------------------------------- */

static guint
connections_from (LatticeSignalServer *self,
                  const char          *address)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->connections_per_address, address));
}

static void
client_count_address (Client *client)
{
  LatticeSignalServer *self = client->server;
  guint n = connections_from (self, client->peer);

  client->counted = TRUE;
  g_hash_table_replace (self->connections_per_address, g_strdup (client->peer),
                        GUINT_TO_POINTER (n + 1));
}

static void
client_uncount_address (Client *client)
{
  LatticeSignalServer *self = client->server;
  guint n = connections_from (self, client->peer);

  if (!client->counted)
    return;
  client->counted = FALSE;
  if (n <= 1)
    g_hash_table_remove (self->connections_per_address, client->peer);
  else
    g_hash_table_replace (self->connections_per_address, g_strdup (client->peer),
                          GUINT_TO_POINTER (n - 1));
}

/* --- Rooms --------------------------------------------------------------- */

static void
room_free (Room *room)
{
  g_free (room->name);
  g_ptr_array_unref (room->members);
  g_free (room);
}

static Room *
room_new (LatticeSignalServer  *self,
          const char           *name,
          const char           *password,
          GError              **error)
{
  Room *room = g_new0 (Room, 1);

  if (!read_random (self, room->salt, sizeof room->salt, error))
    {
      g_free (room);
      return NULL;
    }

  room->name = g_strdup (name);
  room->members = g_ptr_array_new ();
  hash_password (room->salt, password, room->password_hash);
  g_hash_table_insert (self->rooms, room->name, room);
  return room;
}

static Client *
room_find (Room       *room,
           const char *id)
{
  for (guint i = 0; room != NULL && i < room->members->len; i++)
    {
      Client *member = g_ptr_array_index (room->members, i);

      if (g_strcmp0 (member->info->id, id) == 0)
        return member;
    }
  return NULL;
}

/* --- Sending ------------------------------------------------------------- */

static gboolean
client_can_send (Client *client)
{
  if (client->closed)
    return FALSE;
  if (client->conn == NULL)
    return client->close_code == 0;
  return soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN;
}

static void
client_send_text (Client     *client,
                  const char *text)
{
  if (!client_can_send (client))
    return;
  if (client->conn != NULL)
    soup_websocket_connection_send_text (client->conn, text);
  else
    g_ptr_array_add (client->sent, g_strdup (text));
}

static void
client_send (Client               *client,
             const LatticeMessage *message)
{
  g_autofree char *text = lattice_message_to_json (message);

  client_send_text (client, text);
}

static void
client_send_error (Client               *client,
                   LatticeProtocolError  code,
                   const char           *text,
                   const char           *ref_type)
{
  g_autofree char *json = lattice_message_build_error (code, text, ref_type);

  g_info ("%s: %s (%s)", client->peer, lattice_protocol_error_to_code (code), text);
  client_send_text (client, json);
}

static void
client_send_gerror (Client       *client,
                    const GError *error,
                    const char   *ref_type)
{
  g_autofree char *json = lattice_message_build_error_from_gerror (error, ref_type);

  g_info ("%s: refused %s: %s", client->peer, ref_type ? ref_type : "message", error->message);
  client_send_text (client, json);
}

/* Sends to everyone in @room but @except. Sending never frees a client
 * (closes are reaped from an idle), so the member list stays put. */
static void
room_broadcast (Room                 *room,
                Client               *except,
                const LatticeMessage *message)
{
  g_autofree char *text = lattice_message_to_json (message);

  for (guint i = 0; i < room->members->len; i++)
    {
      Client *member = g_ptr_array_index (room->members, i);

      if (member != except)
        client_send_text (member, text);
    }
}

static void
room_broadcast_state (Room   *room,
                      Client *client)
{
  g_autoptr(LatticeMessage) message = lattice_message_new (LATTICE_MESSAGE_PARTICIPANT_STATE);

  message->participant = lattice_participant_info_copy (client->info);
  room_broadcast (room, client, message);
}

/* --- Clients ------------------------------------------------------------- */

static void
client_free (Client *client)
{
  client_uncount_address (client);
  if (client->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (client->conn, client);
      if (soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                         "server stopping");
      g_object_unref (client->conn);
    }
  g_clear_pointer (&client->sent, g_ptr_array_unref);
  g_clear_pointer (&client->info, lattice_participant_info_free);
  g_free (client->peer);
  g_free (client);
}

/* Takes @client out of its room; a NULL @reason tells nobody (a silent
 * replacement by a resumed connection). */
static void
client_leave_room (Client     *client,
                   const char *reason)
{
  LatticeSignalServer *self = client->server;
  Room *room = client->room;

  if (room == NULL)
    return;

  g_ptr_array_remove (room->members, client);
  client->room = NULL;

  if (reason != NULL)
    {
      g_autoptr(LatticeMessage) message = lattice_message_new (LATTICE_MESSAGE_PARTICIPANT_LEFT);

      message->id = g_strdup (client->info->id);
      message->reason = g_strdup (reason);
      room_broadcast (room, client, message);
      g_message ("%s left room %s (%s)", client->info->id, room->name, reason);
    }

  if (room->members->len == 0)
    g_hash_table_remove (self->rooms, room->name);
}

static void on_closed (SoupWebsocketConnection *conn, gpointer user_data);

static void
client_close (Client     *client,
              gushort     code,
              const char *why,
              const char *left_reason)
{
  client_leave_room (client, left_reason);
  client->phase = CLIENT_GONE;
  if (!client_can_send (client))
    return;

  if (client->conn != NULL)
    {
      soup_websocket_connection_close (client->conn, code, why);
      return;
    }

  /* A fake client's peer answers the close at once. */
  client->close_code = code;
  on_closed (NULL, client);
}

static gushort
client_get_close_code (Client *client)
{
  return client->conn ? soup_websocket_connection_get_close_code (client->conn) : client->close_code;
}

static gboolean
on_reap (gpointer user_data)
{
  LatticeSignalServer *self = user_data;
  g_autoptr(GPtrArray) closed = g_steal_pointer (&self->closed);

  self->closed = g_ptr_array_new ();
  g_clear_pointer (&self->reap_source, g_source_unref);

  for (guint i = 0; i < closed->len; i++)
    {
      Client *client = g_ptr_array_index (closed, i);
      gushort code = client_get_close_code (client);

      /* A normal close from the client is a goodbye, per PROTOCOL.md. */
      client_leave_room (client, code == SOUP_WEBSOCKET_CLOSE_NORMAL ? "left" : "disconnected");
      g_hash_table_remove (self->clients, client);
    }

  return G_SOURCE_REMOVE;
}

/* "closed" can be emitted while a broadcast is going on, so the client is
 * only taken out of its room and freed later, from an idle. */
static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  Client *client = user_data;
  LatticeSignalServer *self = client->server;

  if (client->closed)
    return;

  client->closed = TRUE;
  /* Its socket is going away: it no longer counts against its address. */
  client_uncount_address (client);
  g_ptr_array_add (self->closed, client);
  if (self->reap_source == NULL)
    self->reap_source = attach_timeout (self, 0, on_reap);
}

static void
on_error (SoupWebsocketConnection *conn,
          GError                  *error,
          gpointer                 user_data)
{
  Client *client = user_data;

  g_debug ("%s: websocket error: %s", client->peer, error->message);
}

/* Token bucket: refilled at max-rate messages per second, holding up to
 * LATTICE_SIGNAL_SERVER_BURST_SECONDS of them, because joining a full room
 * legitimately sends an offer and a dozen ICE candidates to everyone at once
 * (about 80 messages in a room of 8). Dropped messages fill a second bucket
 * that leaks at the same rate; when more than a burst's worth piles up the
 * client is cut off. */
static gboolean
client_admit (Client *client)
{
  LatticeSignalServer *self = client->server;
  gint64 now = g_get_monotonic_time ();
  double refill = (now - client->bucket_time) / (double) G_USEC_PER_SEC * self->max_rate;

  client->bucket_time = now;
  client->bucket = MIN ((double) self->max_rate * LATTICE_SIGNAL_SERVER_BURST_SECONDS,
                        client->bucket + refill);
  client->excess = MAX (0.0, client->excess - refill);

  if (client->bucket >= 1.0)
    {
      client->bucket -= 1.0;
      return TRUE;
    }

  client->excess += 1.0;
  client_send_error (client, LATTICE_PROTOCOL_ERROR_RATE_LIMITED,
                     "Too many messages; this one was dropped", NULL);
  if (client->excess > (double) self->max_rate * LATTICE_SIGNAL_SERVER_BURST_SECONDS)
    client_close (client, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "rate limit", "disconnected");
  return FALSE;
}

/* --- Handlers, one per message type ------------------------------------- */

static void
handle_hello (Client         *client,
              LatticeMessage *message)
{
  LatticeSignalServer *self = client->server;
  g_autoptr(LatticeMessage) welcome = NULL;

  if (message->version != LATTICE_PROTOCOL_VERSION)
    {
      g_autofree char *text =
        g_strdup_printf ("This server speaks version %d of the Lattice protocol, not %u: upgrade Lattice",
                         LATTICE_PROTOCOL_VERSION, message->version);

      client_send_error (client, LATTICE_PROTOCOL_ERROR_VERSION_UNSUPPORTED, text, "hello");
      client_close (client, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "version unsupported", NULL);
      return;
    }

  if (client->phase == CLIENT_NEW)
    client->phase = CLIENT_WELCOMED;

  welcome = lattice_message_new (LATTICE_MESSAGE_WELCOME);
  welcome->version = LATTICE_PROTOCOL_VERSION;
  welcome->software = g_strdup (SOFTWARE);
  welcome->heartbeat_ms = self->heartbeat_interval;
  client_send (client, welcome);
}

static void
add_ice_server (GPtrArray  *servers,
                const char *url,
                const char *username,
                const char *credential)
{
  const char *urls[] = { url, NULL };

  g_ptr_array_add (servers, lattice_ice_server_new (urls, username, credential));
}

/* coturn's use-auth-secret (the "TURN REST API"): anyone holding the secret
 * can check these without asking us. */
static char *
turn_credential (const char *secret,
                 const char *username)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  guint8 digest[20];
  gsize len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) username, strlen (username));
  g_hmac_get_digest (hmac, digest, &len);
  return g_base64_encode (digest, len);
}

/* Splits "turn:USER:PASS@HOST…" into the URL without the user part and
 * its credentials; FALSE when the URL carries none. */
static gboolean
split_turn_userinfo (const char  *uri,
                     char       **url,
                     char       **username,
                     char       **credential)
{
  const char *rest = strchr (uri, ':');
  const char *at;
  const char *colon;

  if (rest == NULL || (at = strchr (rest + 1, '@')) == NULL)
    return FALSE;
  colon = memchr (rest + 1, ':', at - rest - 1);
  if (colon == NULL)
    return FALSE;

  *url = g_strdup_printf ("%.*s%s", (int) (rest + 1 - uri), uri, at + 1);
  *username = g_uri_unescape_segment (rest + 1, colon, NULL);
  *credential = g_uri_unescape_segment (colon + 1, at, NULL);
  return *username != NULL && *credential != NULL;
}

static void
add_turn_servers (LatticeSignalServer *self,
                  GPtrArray           *servers,
                  const char          *id)
{
  g_autoptr(GPtrArray) shared = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; self->turn_servers != NULL && self->turn_servers[i] != NULL; i++)
    {
      g_autofree char *url = NULL;
      g_autofree char *username = NULL;
      g_autofree char *credential = NULL;

      if (split_turn_userinfo (self->turn_servers[i], &url, &username, &credential))
        add_ice_server (servers, url, username, credential);
      else
        g_ptr_array_add (shared, g_strdup (self->turn_servers[i]));
    }

  /* Without a secret there are no credentials to give for these. */
  if (shared->len > 0 && self->turn_secret != NULL && *self->turn_secret != '\0')
    {
      gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + TURN_LIFETIME_S;
      g_autofree char *username = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expiry, id);
      g_autofree char *credential = turn_credential (self->turn_secret, username);

      g_ptr_array_add (shared, NULL);
      g_ptr_array_add (servers, lattice_ice_server_new ((const char *const *) shared->pdata,
                                                        username, credential));
    }
}

static void
fill_ice_servers (LatticeSignalServer *self,
                  GPtrArray           *servers,
                  const char          *id)
{
  if (self->stun_servers != NULL && self->stun_servers[0] != NULL)
    g_ptr_array_add (servers,
                     lattice_ice_server_new ((const char *const *) self->stun_servers, NULL, NULL));
  add_turn_servers (self, servers, id);
}

static void
client_send_joined (Client     *client,
                    const char *token,
                    gboolean    resumed)
{
  g_autoptr(LatticeMessage) joined = lattice_message_new (LATTICE_MESSAGE_JOINED);
  Room *room = client->room;

  joined->room = g_strdup (room->name);
  joined->id = g_strdup (client->info->id);
  joined->token = g_strdup (token);
  joined->resumed = resumed;

  for (guint i = 0; i < room->members->len; i++)
    {
      Client *member = g_ptr_array_index (room->members, i);

      if (member != client)
        g_ptr_array_add (joined->participants, lattice_participant_info_copy (member->info));
    }

  fill_ice_servers (client->server, joined->ice_servers, client->info->id);
  client_send (client, joined);
}

/* The same participant on a newer connection takes the old one's place
 * and record; the room sees nothing but a possible change of name. */
static void
client_replace (Client     *client,
                Client     *old,
                const char *name)
{
  Room *room = old->room;
  guint index = 0;
  gboolean renamed;

  g_ptr_array_find (room->members, old, &index);
  room->members->pdata[index] = client;
  client->room = room;
  client->info = g_steal_pointer (&old->info);
  old->info = lattice_participant_info_copy (client->info);
  old->room = NULL;

  renamed = g_strcmp0 (client->info->name, name) != 0;
  g_free (client->info->name);
  client->info->name = g_strdup (name);

  client_close (old, SOUP_WEBSOCKET_CLOSE_NORMAL, "replaced by a newer connection", NULL);
  if (renamed)
    room_broadcast_state (room, client);
}

static Client *
find_connected_participant (LatticeSignalServer *self,
                            const char          *id)
{
  GHashTableIter iter;
  Client *client;

  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, (gpointer *) &client, NULL))
    if (client->phase == CLIENT_JOINED && g_strcmp0 (client->info->id, id) == 0)
      return client;
  return NULL;
}

/* Everything a join must pass before it changes anything. Returns the
 * token to hand back, or NULL after answering with an error. */
static char *
check_join (Client          *client,
            LatticeMessage  *message,
            Room           **out_room)
{
  LatticeSignalServer *self = client->server;
  const char *password = message->password ? message->password : "";
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *id = NULL;
  Room *room;

  if (client->phase == CLIENT_JOINED)
    {
      client_send_error (client, LATTICE_PROTOCOL_ERROR_ALREADY_JOINED,
                         "This connection already joined a room", "join");
      return NULL;
    }

  if (g_utf8_strlen (message->name, -1) > (glong) self->max_name_length)
    {
      client_send_error (client, LATTICE_PROTOCOL_ERROR_INVALID_FIELD,
                         "The name is too long", "join");
      return NULL;
    }

  if (message->token != NULL && !token_is_valid (message->token))
    {
      client_send_error (client, LATTICE_PROTOCOL_ERROR_INVALID_TOKEN,
                         "The resume token is not valid", "join");
      return NULL;
    }

  token = message->token ? g_strdup (message->token) : generate_token (self, &error);
  if (token == NULL)
    {
      g_message ("Cannot make a token: %s", error->message);
      client_send_error (client, LATTICE_PROTOCOL_ERROR_INTERNAL, "Cannot make a token", "join");
      return NULL;
    }

  room = g_hash_table_lookup (self->rooms, message->room);
  if (room != NULL && password_is_blocked (self, room->name, client->peer, now))
    {
      client_send_error (client, LATTICE_PROTOCOL_ERROR_RATE_LIMITED,
                         "Too many wrong passwords; try again later", "join");
      return NULL;
    }

  if (room != NULL && !room_password_matches (room, password))
    {
      password_failed (self, room->name, client->peer, now);
      client_send_error (client, LATTICE_PROTOCOL_ERROR_WRONG_PASSWORD,
                         "The room password is wrong", "join");
      return NULL;
    }
  if (room != NULL)
    password_succeeded (self, room->name, client->peer);

  id = participant_id_for_token (token);
  if (room != NULL && room_find (room, id) == NULL && room->members->len >= self->max_room_size)
    {
      client_send_error (client, LATTICE_PROTOCOL_ERROR_ROOM_FULL, "The room is full", "join");
      return NULL;
    }

  if (room == NULL && (room = room_new (self, message->room, password, &error)) == NULL)
    {
      g_message ("Cannot create a room: %s", error->message);
      client_send_error (client, LATTICE_PROTOCOL_ERROR_INTERNAL, "Cannot create the room", "join");
      return NULL;
    }

  *out_room = room;
  return g_steal_pointer (&token);
}

static void
handle_join (Client         *client,
             LatticeMessage *message)
{
  g_autofree char *token = NULL;
  g_autofree char *id = NULL;
  gboolean resumed = message->token != NULL;
  Room *room = NULL;
  Client *old;

  token = check_join (client, message, &room);
  if (token == NULL)
    return;

  id = participant_id_for_token (token);
  old = find_connected_participant (client->server, id);
  if (old != NULL && old->room != room)
    client_close (old, SOUP_WEBSOCKET_CLOSE_NORMAL, "joined another room", "left");

  client->phase = CLIENT_JOINED;
  if (old != NULL && old->room == room)
    {
      client_replace (client, old, message->name);
    }
  else
    {
      g_autoptr(LatticeMessage) announce = lattice_message_new (LATTICE_MESSAGE_PARTICIPANT_JOINED);

      client->info = lattice_participant_info_new (id, message->name);
      client->room = room;
      g_ptr_array_add (room->members, client);
      announce->participant = lattice_participant_info_copy (client->info);
      room_broadcast (room, client, announce);
    }

  g_message ("%s joined room %s%s (%u there)", id, room->name,
             resumed ? " (resumed)" : "", room->members->len);
  client_send_joined (client, token, resumed);
}

static void
handle_state (Client         *client,
              LatticeMessage *message)
{
  LatticeSignalServer *self = client->server;
  LatticeParticipantInfo *update = message->participant;
  LatticeParticipantInfo *info = client->info;

  if ((message->state_fields & LATTICE_STATE_FIELD_NAME) &&
      g_utf8_strlen (update->name, -1) > (glong) self->max_name_length)
    {
      client_send_error (client, LATTICE_PROTOCOL_ERROR_INVALID_FIELD,
                         "The name is too long", "state");
      return;
    }

  if (message->state_fields & LATTICE_STATE_FIELD_AUDIO_MUTED)
    info->audio_muted = update->audio_muted;
  if (message->state_fields & LATTICE_STATE_FIELD_VIDEO_OFF)
    info->video_off = update->video_off;
  if (message->state_fields & LATTICE_STATE_FIELD_HAND_RAISED)
    info->hand_raised = update->hand_raised;
  if (message->state_fields & LATTICE_STATE_FIELD_NAME)
    {
      g_free (info->name);
      info->name = g_strdup (update->name);
    }

  room_broadcast_state (client->room, client);
}

/* offer, answer, candidate, reject: only inside the room, and "from" is ours. */
static void
handle_relay (Client         *client,
              LatticeMessage *message)
{
  const char *type = lattice_message_type_to_string (message->type);
  Client *target = room_find (client->room, message->to);

  if (target == NULL || target == client)
    {
      g_autoptr(LatticeMessage) refusal = lattice_message_new (LATTICE_MESSAGE_ERROR);
      g_autofree char *json = NULL;

      /* "to" says whom: the sender may hold on to someone who is gone */
      refusal->code = g_strdup (lattice_protocol_error_to_code (LATTICE_PROTOCOL_ERROR_UNKNOWN_TARGET));
      refusal->message = g_strdup ("Nobody in this room has that id");
      refusal->ref_type = g_strdup (type);
      refusal->to = g_strdup (message->to);
      json = lattice_message_to_json (refusal);
      g_info ("%s: unknown-target %s (%s)", client->peer, message->to, type);
      client_send_text (client, json);
      return;
    }

  g_clear_pointer (&message->to, g_free);
  g_free (message->from);
  message->from = g_strdup (client->info->id);
  /* test only: the man in the middle that participants must notice */
  if (client->server->test_mitm_fingerprints && message->sdp != NULL)
    {
      g_autofree char *honest = message->sdp;

      message->sdp = lattice_sdp_mitm_rewrite_fingerprints (honest);
    }
  client_send (target, message);
}

static void
handle_leave (Client *client)
{
  client_close (client, SOUP_WEBSOCKET_CLOSE_NORMAL, "bye", "left");
}

static void
handle_ping (Client         *client,
             LatticeMessage *message)
{
  g_autoptr(LatticeMessage) pong = lattice_message_new (LATTICE_MESSAGE_PONG);

  pong->seq = message->seq;
  client_send (client, pong);
}

/* Room messages need a joined connection; everything but hello needs a
 * welcomed one. Returns whether @message may go on. */
static gboolean
client_may_send (Client         *client,
                 LatticeMessage *message)
{
  const char *type = lattice_message_type_to_string (message->type);

  if (client->phase == CLIENT_NEW && message->type != LATTICE_MESSAGE_HELLO)
    {
      client_send_error (client, LATTICE_PROTOCOL_ERROR_HANDSHAKE_REQUIRED, "Say hello first", type);
      return FALSE;
    }

  switch (message->type)
    {
    case LATTICE_MESSAGE_STATE:
    case LATTICE_MESSAGE_OFFER:
    case LATTICE_MESSAGE_ANSWER:
    case LATTICE_MESSAGE_CANDIDATE:
    case LATTICE_MESSAGE_REJECT:
      if (client->phase == CLIENT_JOINED)
        return TRUE;
      client_send_error (client, LATTICE_PROTOCOL_ERROR_NOT_JOINED, "Join a room first", type);
      return FALSE;
    case LATTICE_MESSAGE_HELLO:
    case LATTICE_MESSAGE_PING:
    case LATTICE_MESSAGE_PONG:
    case LATTICE_MESSAGE_JOIN:
    case LATTICE_MESSAGE_LEAVE:
      return TRUE;
    default:
      client_send_error (client, LATTICE_PROTOCOL_ERROR_UNKNOWN_TYPE,
                         "Clients do not send this type", type);
      return FALSE;
    }
}

static void
client_dispatch (Client         *client,
                 LatticeMessage *message)
{
  if (!client_may_send (client, message))
    return;

  switch (message->type)
    {
    case LATTICE_MESSAGE_HELLO:
      handle_hello (client, message);
      break;
    case LATTICE_MESSAGE_PING:
      handle_ping (client, message);
      break;
    case LATTICE_MESSAGE_JOIN:
      handle_join (client, message);
      break;
    case LATTICE_MESSAGE_LEAVE:
      handle_leave (client);
      break;
    case LATTICE_MESSAGE_STATE:
      handle_state (client, message);
      break;
    case LATTICE_MESSAGE_OFFER:
    case LATTICE_MESSAGE_ANSWER:
    case LATTICE_MESSAGE_CANDIDATE:
    case LATTICE_MESSAGE_REJECT:
      handle_relay (client, message);
      break;
    default:
      break;  /* pong: arriving at all was the point */
    }
}

/* Everything a client's frame goes through, from size limit to handler. */
static void
client_receive (Client     *client,
                gint        data_type,
                const char *data,
                gsize       size)
{
  LatticeSignalServer *self = client->server;
  g_autoptr(LatticeMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  if (client->phase == CLIENT_GONE || client->closed)
    return;

  client->last_seen = g_get_monotonic_time ();

  if (size > self->max_message_size)
    {
      client_send_error (client, LATTICE_PROTOCOL_ERROR_TOO_LARGE, "The message is too large", NULL);
      client_close (client, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "message too large", "disconnected");
      return;
    }

  if (!client_admit (client))
    return;

  if (data_type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      client_send_error (client, LATTICE_PROTOCOL_ERROR_INVALID_FIELD,
                         "Only text frames are understood", NULL);
      return;
    }

  message = lattice_message_parse (data, size, LATTICE_ORIGIN_CLIENT, &error);
  if (message == NULL)
    client_send_gerror (client, error, NULL);
  else
    client_dispatch (client, message);
}

static void
on_message (SoupWebsocketConnection *conn,
            gint                     data_type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  client_receive (user_data, data_type, data, size);
}

/* --- Heartbeat ----------------------------------------------------------- */

static void
client_heartbeat (Client *client,
                  gint64  now)
{
  LatticeSignalServer *self = client->server;
  g_autoptr(LatticeMessage) ping = NULL;

  if (client->phase == CLIENT_GONE || client->closed)
    return;

  if (now - client->last_seen > (gint64) self->heartbeat_timeout * 1000)
    {
      g_info ("%s: silent for too long", client->peer);
      client_close (client, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "heartbeat timeout", "timeout");
      return;
    }

  /* welcome announced the pings; before it the client expects none. */
  if (client->phase == CLIENT_NEW)
    return;

  ping = lattice_message_new (LATTICE_MESSAGE_PING);
  ping->seq = self->ping_seq;
  client_send (client, ping);
}

static gboolean
on_heartbeat (gpointer user_data)
{
  LatticeSignalServer *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Client *client;

  self->ping_seq++;
  prune_password_failures (self, now);
  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, (gpointer *) &client, NULL))
    client_heartbeat (client, now);

  return G_SOURCE_CONTINUE;
}

/* --- HTTP ---------------------------------------------------------------- */

static gboolean
origin_is_allowed (LatticeSignalServer *self,
                   const char          *origin)
{
  /* Browsers always send Origin; native clients (ours) send none, and a
   * non-browser could forge any, so only a listed or absent one passes. */
  if (self->allowed_origins == NULL || self->allowed_origins[0] == NULL || origin == NULL)
    return TRUE;

  for (guint i = 0; self->allowed_origins[i] != NULL; i++)
    if (g_ascii_strcasecmp (self->allowed_origins[i], origin) == 0)
      return TRUE;
  return FALSE;
}

static void set_text_response (SoupServerMessage *msg, guint status, const char *text);

/* Runs on the headers of every /ws request, before libsoup accepts the
 * upgrade: a status set here stops the handshake. */
static void
on_ws_early (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  LatticeSignalServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *origin = soup_message_headers_get_one (headers, "Origin");
  const char *address = soup_server_message_get_remote_host (msg);

  if (!origin_is_allowed (self, origin))
    {
      g_info ("%s: refused websocket from origin %s", address, origin);
      set_text_response (msg, SOUP_STATUS_FORBIDDEN, "origin-not-allowed\n");
      return;
    }

  /* Counted when open, so upgrades still under way may overshoot by a few. */
  if (address != NULL && connections_from (self, address) >= self->max_connections_per_address)
    {
      g_info ("%s: refused websocket: %u connections already", address,
              connections_from (self, address));
      set_text_response (msg, HTTP_TOO_MANY_REQUESTS, "too-many-connections\n");
      /* libsoup 3.2 has no name, hence no phrase, for 429. */
      soup_server_message_set_status (msg, HTTP_TOO_MANY_REQUESTS, "Too Many Requests");
    }
}

static void
client_init (Client              *client,
             LatticeSignalServer *self,
             const char          *address)
{
  client->server = self;
  client->peer = g_strdup (address ? address : "unknown");
  client->last_seen = client->bucket_time = g_get_monotonic_time ();
  client->bucket = (double) self->max_rate * LATTICE_SIGNAL_SERVER_BURST_SECONDS;
  client_count_address (client);
  g_hash_table_add (self->clients, client);
}

static void
on_websocket (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *conn,
              gpointer                 user_data)
{
  LatticeSignalServer *self = user_data;
  Client *client = g_new0 (Client, 1);

  client_init (client, self, soup_server_message_get_remote_host (msg));
  client->conn = g_object_ref (conn);

  /* Above our own limit, so an oversized message still reaches on_message
   * and gets a too-large answer; far bigger ones libsoup drops itself. */
  soup_websocket_connection_set_max_incoming_payload_size (conn, (guint64) self->max_message_size * 2 + 1024);
  g_signal_connect (conn, "message", G_CALLBACK (on_message), client);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), client);
  g_signal_connect (conn, "error", G_CALLBACK (on_error), client);
  g_debug ("%s: websocket open", client->peer);
}

/* The Host header is the client's to write, so the link is parsed like any
 * other text rather than trusted. */
static char *
room_page (LatticeSignalServer *self,
           GUri                *uri,
           const char          *room)
{
  gboolean tls = self->tls_certificate != NULL;
  g_autofree char *path = g_strconcat ("/", room, NULL);
  g_autofree char *web_uri = NULL;
  g_autoptr(LatticeLink) link = NULL;
  g_autofree char *text = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *escaped_room = NULL;

  if (g_uri_get_host (uri) == NULL)
    return NULL;

  web_uri = g_uri_join (G_URI_FLAGS_NONE, tls ? "https" : "http", NULL, g_uri_get_host (uri),
                        g_uri_get_port (uri), path, NULL, NULL);
  link = lattice_link_parse (web_uri, NULL);
  if (link == NULL)
    return NULL;

  text = lattice_link_to_string (link);
  escaped = g_markup_escape_text (text, -1);
  escaped_room = g_markup_escape_text (room, -1);
  return g_strdup_printf ("<!DOCTYPE html>\n"
                          "<html lang=\"en\">\n"
                          "<head><meta charset=\"utf-8\"><title>%s – Lattice</title></head>\n"
                          "<body>\n"
                          "<h1>%s</h1>\n"
                          "<p>Open this room in Lattice:</p>\n"
                          "<p><a href=\"%s\">%s</a></p>\n"
                          "</body>\n"
                          "</html>\n",
                          escaped_room, escaped_room, escaped, escaped);
}

static void
set_text_response (SoupServerMessage *msg,
                   guint              status,
                   const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
                                    text, strlen (text));
}

static void
on_http (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  LatticeSignalServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *room = g_strdup (path + (*path == '/'));
  g_autofree char *page = NULL;
  gsize len = strlen (room);

  if (g_strcmp0 (method, SOUP_METHOD_GET) != 0 && g_strcmp0 (method, SOUP_METHOD_HEAD) != 0)
    {
      set_text_response (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Method not allowed\n");
      return;
    }

  if (len > 0 && room[len - 1] == '/')
    room[len - 1] = '\0';

  if (!lattice_room_name_is_valid (room) ||
      (page = room_page (self, soup_server_message_get_uri (msg), room)) == NULL)
    {
      set_text_response (msg, SOUP_STATUS_NOT_FOUND, "Not found\n");
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  len = strlen (page);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&page), len);
}

/* --- GObject ------------------------------------------------------------- */

static void
set_uint (LatticeSignalServer *self,
          guint               *field,
          const GValue        *value,
          GParamSpec          *pspec)
{
  guint v = g_value_get_uint (value);

  if (*field == v)
    return;
  *field = v;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

static void
set_strv (LatticeSignalServer  *self,
          GStrv                *field,
          const GValue         *value,
          GParamSpec           *pspec)
{
  const char *const *v = g_value_get_boxed (value);

  if (*field == NULL && v == NULL)
    return;
  if (*field != NULL && v != NULL && g_strv_equal ((const char *const *) *field, v))
    return;
  g_strfreev (*field);
  *field = g_strdupv ((char **) v);
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

static void
lattice_signal_server_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  LatticeSignalServer *self = LATTICE_SIGNAL_SERVER (object);

  switch (prop_id)
    {
    case PROP_MAX_MESSAGE_SIZE:   g_value_set_uint (value, self->max_message_size); break;
    case PROP_MAX_RATE:           g_value_set_uint (value, self->max_rate); break;
    case PROP_MAX_ROOM_SIZE:      g_value_set_uint (value, self->max_room_size); break;
    case PROP_MAX_NAME_LENGTH:    g_value_set_uint (value, self->max_name_length); break;
    case PROP_HEARTBEAT_INTERVAL: g_value_set_uint (value, self->heartbeat_interval); break;
    case PROP_HEARTBEAT_TIMEOUT:  g_value_set_uint (value, self->heartbeat_timeout); break;
    case PROP_TLS_CERTIFICATE:    g_value_set_object (value, self->tls_certificate); break;
    case PROP_ALLOWED_ORIGINS:    g_value_set_boxed (value, self->allowed_origins); break;
    case PROP_STUN_SERVERS:       g_value_set_boxed (value, self->stun_servers); break;
    case PROP_TURN_SERVERS:       g_value_set_boxed (value, self->turn_servers); break;
    case PROP_TURN_SECRET:        g_value_set_string (value, self->turn_secret); break;
    case PROP_MAX_CONNECTIONS_PER_ADDRESS:
      g_value_set_uint (value, self->max_connections_per_address);
      break;
    case PROP_MAX_PASSWORD_ATTEMPTS: g_value_set_uint (value, self->max_password_attempts); break;
    case PROP_PASSWORD_WINDOW:    g_value_set_uint (value, self->password_window); break;
    case PROP_PASSWORD_COOLDOWN:  g_value_set_uint (value, self->password_cooldown); break;
    case PROP_TEST_MITM_FINGERPRINTS: g_value_set_boolean (value, self->test_mitm_fingerprints); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_signal_server_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  LatticeSignalServer *self = LATTICE_SIGNAL_SERVER (object);

  switch (prop_id)
    {
    case PROP_MAX_MESSAGE_SIZE:   set_uint (self, &self->max_message_size, value, pspec); break;
    case PROP_MAX_RATE:           set_uint (self, &self->max_rate, value, pspec); break;
    case PROP_MAX_ROOM_SIZE:      set_uint (self, &self->max_room_size, value, pspec); break;
    case PROP_MAX_NAME_LENGTH:    set_uint (self, &self->max_name_length, value, pspec); break;
    case PROP_HEARTBEAT_INTERVAL: set_uint (self, &self->heartbeat_interval, value, pspec); break;
    case PROP_HEARTBEAT_TIMEOUT:  set_uint (self, &self->heartbeat_timeout, value, pspec); break;
    case PROP_ALLOWED_ORIGINS:    set_strv (self, &self->allowed_origins, value, pspec); break;
    case PROP_STUN_SERVERS:       set_strv (self, &self->stun_servers, value, pspec); break;
    case PROP_TURN_SERVERS:       set_strv (self, &self->turn_servers, value, pspec); break;
    case PROP_MAX_CONNECTIONS_PER_ADDRESS:
      set_uint (self, &self->max_connections_per_address, value, pspec);
      break;
    case PROP_MAX_PASSWORD_ATTEMPTS:
      set_uint (self, &self->max_password_attempts, value, pspec);
      break;
    case PROP_PASSWORD_WINDOW:    set_uint (self, &self->password_window, value, pspec); break;
    case PROP_PASSWORD_COOLDOWN:  set_uint (self, &self->password_cooldown, value, pspec); break;
    case PROP_TEST_MITM_FINGERPRINTS:
      if (self->test_mitm_fingerprints != g_value_get_boolean (value))
        {
          self->test_mitm_fingerprints = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_TLS_CERTIFICATE:
      if (g_set_object (&self->tls_certificate, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_TURN_SECRET:
      if (g_strcmp0 (self->turn_secret, g_value_get_string (value)) != 0)
        {
          g_free (self->turn_secret);
          self->turn_secret = g_value_dup_string (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_signal_server_dispose (GObject *object)
{
  LatticeSignalServer *self = LATTICE_SIGNAL_SERVER (object);

  lattice_signal_server_stop (self);
  g_clear_object (&self->tls_certificate);
  if (self->urandom != NULL)
    g_input_stream_close (self->urandom, NULL, NULL);
  g_clear_object (&self->urandom);

  G_OBJECT_CLASS (lattice_signal_server_parent_class)->dispose (object);
}

static void
lattice_signal_server_finalize (GObject *object)
{
  LatticeSignalServer *self = LATTICE_SIGNAL_SERVER (object);

  g_hash_table_unref (self->clients);
  g_hash_table_unref (self->rooms);
  g_ptr_array_unref (self->closed);
  g_hash_table_unref (self->connections_per_address);
  g_hash_table_unref (self->password_failures);
  g_main_context_unref (self->context);
  g_strfreev (self->allowed_origins);
  g_strfreev (self->stun_servers);
  g_strfreev (self->turn_servers);
  g_free (self->turn_secret);

  G_OBJECT_CLASS (lattice_signal_server_parent_class)->finalize (object);
}

static GParamSpec *
uint_param (const char *name,
            const char *blurb,
            guint       min,
            guint       max,
            guint       value)
{
  return g_param_spec_uint (name, NULL, blurb, min, max, value,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
strv_param (const char *name,
            const char *blurb)
{
  return g_param_spec_boxed (name, NULL, blurb, G_TYPE_STRV,
                             G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
lattice_signal_server_class_init (LatticeSignalServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = lattice_signal_server_get_property;
  object_class->set_property = lattice_signal_server_set_property;
  object_class->dispose = lattice_signal_server_dispose;
  object_class->finalize = lattice_signal_server_finalize;

  properties[PROP_MAX_MESSAGE_SIZE] =
    uint_param ("max-message-size", "Largest text message accepted, in bytes",
                256, 16 * 1024 * 1024, LATTICE_PROTOCOL_DEFAULT_MAX_MESSAGE_SIZE);
  properties[PROP_MAX_RATE] =
    uint_param ("max-rate", "Messages per second a client may send",
                1, 100000, LATTICE_SIGNAL_SERVER_DEFAULT_RATE);
  properties[PROP_MAX_ROOM_SIZE] =
    uint_param ("max-room-size", "Participants per room",
                1, 1000, LATTICE_SIGNAL_SERVER_DEFAULT_ROOM_SIZE);
  properties[PROP_MAX_NAME_LENGTH] =
    uint_param ("max-name-length", "Characters in a display name",
                1, LATTICE_PROTOCOL_MAX_NAME_LENGTH, LATTICE_PROTOCOL_MAX_NAME_LENGTH);
  properties[PROP_HEARTBEAT_INTERVAL] =
    uint_param ("heartbeat-interval", "Milliseconds between pings",
                10, G_MAXINT, LATTICE_SIGNAL_SERVER_DEFAULT_HEARTBEAT_MS);
  properties[PROP_HEARTBEAT_TIMEOUT] =
    uint_param ("heartbeat-timeout", "Milliseconds of silence before a client is dropped",
                10, G_MAXINT, LATTICE_SIGNAL_SERVER_DEFAULT_TIMEOUT_MS);
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, "Certificate to serve wss:// with",
                         G_TYPE_TLS_CERTIFICATE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ALLOWED_ORIGINS] =
    strv_param ("allowed-origins", "Websocket Origins accepted; empty accepts all");
  properties[PROP_STUN_SERVERS] = strv_param ("stun-servers", "stun: URIs handed to clients");
  properties[PROP_TURN_SERVERS] = strv_param ("turn-servers", "turn: URIs handed to clients");
  properties[PROP_TURN_SECRET] =
    g_param_spec_string ("turn-secret", NULL, "Shared secret for TURN REST credentials", NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  properties[PROP_MAX_CONNECTIONS_PER_ADDRESS] =
    uint_param ("max-connections-per-address", "Open websockets allowed from one address",
                1, 1000000, LATTICE_SIGNAL_SERVER_DEFAULT_CONNECTIONS_PER_ADDRESS);
  properties[PROP_MAX_PASSWORD_ATTEMPTS] =
    uint_param ("max-password-attempts",
                "Wrong passwords for one room from one address, within password-window, "
                "before it must wait password-cooldown",
                1, 1000000, LATTICE_SIGNAL_SERVER_DEFAULT_PASSWORD_ATTEMPTS);
  properties[PROP_PASSWORD_WINDOW] =
    uint_param ("password-window", "Milliseconds over which wrong passwords are counted",
                1, G_MAXINT, LATTICE_SIGNAL_SERVER_DEFAULT_PASSWORD_WINDOW_MS);
  properties[PROP_PASSWORD_COOLDOWN] =
    uint_param ("password-cooldown", "Milliseconds an address waits after too many wrong passwords",
                1, G_MAXINT, LATTICE_SIGNAL_SERVER_DEFAULT_PASSWORD_COOLDOWN_MS);
  /* Test only (lattice-server --test-mitm-fingerprints): relays offers and
   * answers with forged DTLS fingerprints, as a malicious server would. */
  properties[PROP_TEST_MITM_FINGERPRINTS] =
    g_param_spec_boolean ("test-mitm-fingerprints", NULL,
                          "Test only: forge the DTLS fingerprints of relayed descriptions", FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lattice_signal_server_init (LatticeSignalServer *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->clients = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) client_free, NULL);
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) room_free);
  self->closed = g_ptr_array_new ();
  self->connections_per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->password_failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  self->max_message_size = LATTICE_PROTOCOL_DEFAULT_MAX_MESSAGE_SIZE;
  self->max_rate = LATTICE_SIGNAL_SERVER_DEFAULT_RATE;
  self->max_room_size = LATTICE_SIGNAL_SERVER_DEFAULT_ROOM_SIZE;
  self->max_name_length = LATTICE_PROTOCOL_MAX_NAME_LENGTH;
  self->heartbeat_interval = LATTICE_SIGNAL_SERVER_DEFAULT_HEARTBEAT_MS;
  self->heartbeat_timeout = LATTICE_SIGNAL_SERVER_DEFAULT_TIMEOUT_MS;
  self->max_connections_per_address = LATTICE_SIGNAL_SERVER_DEFAULT_CONNECTIONS_PER_ADDRESS;
  self->max_password_attempts = LATTICE_SIGNAL_SERVER_DEFAULT_PASSWORD_ATTEMPTS;
  self->password_window = LATTICE_SIGNAL_SERVER_DEFAULT_PASSWORD_WINDOW_MS;
  self->password_cooldown = LATTICE_SIGNAL_SERVER_DEFAULT_PASSWORD_COOLDOWN_MS;
}

LatticeSignalServer *
lattice_signal_server_new (void)
{
  return g_object_new (LATTICE_TYPE_SIGNAL_SERVER, NULL);
}

static SoupServer *
create_soup_server (LatticeSignalServer *self)
{
  SoupServer *soup = soup_server_new ("server-header", SOFTWARE " ",
                                      "tls-certificate", self->tls_certificate,
                                      NULL);

  soup_server_add_early_handler (soup, "/ws", on_ws_early, self, NULL);
  soup_server_add_websocket_handler (soup, "/ws", NULL, NULL, on_websocket, self, NULL);
  soup_server_add_handler (soup, NULL, on_http, self, NULL);
  return soup;
}

static gboolean
listen_on (LatticeSignalServer  *self,
           GInetAddress         *address,
           guint                 port,
           GError              **error)
{
  g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new (address, port);
  SoupServerListenOptions options = self->tls_certificate ? SOUP_SERVER_LISTEN_HTTPS : 0;
  g_autoslist(GUri) uris = NULL;

  if (!soup_server_listen (self->soup, socket_address, options, error))
    return FALSE;

  uris = soup_server_get_uris (self->soup);
  if (uris != NULL && self->port == 0)
    self->port = g_uri_get_port (uris->data);
  return TRUE;
}

gboolean
lattice_signal_server_listen (LatticeSignalServer  *self,
                              const char           *host,
                              guint                 port,
                              GError              **error)
{
  g_autolist(GInetAddress) addresses = NULL;
  g_autoptr(GMainContext) current = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (LATTICE_IS_SIGNAL_SERVER (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* IP literals resolve without a lookup; names ("localhost") may give several. */
  addresses = g_resolver_lookup_by_name (g_resolver_get_default (), host, NULL, error);
  if (addresses == NULL)
    return FALSE;

  /* libsoup attaches its sources to the thread-default context. */
  current = g_main_context_ref_thread_default ();
  if (current != self->context)
    g_main_context_push_thread_default (self->context);

  if (self->soup == NULL)
    self->soup = create_soup_server (self);

  for (GList *l = addresses; l != NULL && ok; l = l->next)
    ok = listen_on (self, l->data, port ? port : self->port, error);

  if (ok && self->heartbeat_source == NULL)
    self->heartbeat_source = attach_timeout (self, self->heartbeat_interval, on_heartbeat);

  if (current != self->context)
    g_main_context_pop_thread_default (self->context);
  return ok;
}

guint
lattice_signal_server_get_port (LatticeSignalServer *self)
{
  g_return_val_if_fail (LATTICE_IS_SIGNAL_SERVER (self), 0);

  return self->port;
}

void
lattice_signal_server_stop (LatticeSignalServer *self)
{
  g_return_if_fail (LATTICE_IS_SIGNAL_SERVER (self));

  clear_source (&self->heartbeat_source);
  clear_source (&self->reap_source);
  g_ptr_array_set_size (self->closed, 0);
  g_hash_table_remove_all (self->rooms);
  g_hash_table_remove_all (self->clients);
  g_hash_table_remove_all (self->password_failures);

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  self->port = 0;
}

guint
lattice_signal_server_get_n_rooms (LatticeSignalServer *self)
{
  g_return_val_if_fail (LATTICE_IS_SIGNAL_SERVER (self), 0);

  return g_hash_table_size (self->rooms);
}

guint
lattice_signal_server_get_n_clients (LatticeSignalServer *self)
{
  GHashTableIter iter;
  Client *client;
  guint n = 0;

  g_return_val_if_fail (LATTICE_IS_SIGNAL_SERVER (self), 0);

  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, (gpointer *) &client, NULL))
    if (!client->closed && client->phase != CLIENT_GONE)
      n++;
  return n;
}

/* --- Fake clients (lattice-signal-server-private.h) ---------------------- */

LatticeServerClient *
lattice_signal_server_add_fake_client (LatticeSignalServer *self,
                                       const char          *address)
{
  Client *client;

  g_return_val_if_fail (LATTICE_IS_SIGNAL_SERVER (self), NULL);

  client = g_new0 (Client, 1);
  client->sent = g_ptr_array_new_with_free_func (g_free);
  client_init (client, self, address);
  return client;
}

void
lattice_server_client_receive (LatticeServerClient *client,
                               gboolean             binary,
                               const char          *data,
                               gsize                size)
{
  g_return_if_fail (client != NULL && client->conn == NULL);

  client_receive (client, binary ? SOUP_WEBSOCKET_DATA_BINARY : SOUP_WEBSOCKET_DATA_TEXT,
                  data, size);
}

GPtrArray *
lattice_server_client_take_sent (LatticeServerClient *client)
{
  GPtrArray *sent;

  g_return_val_if_fail (client != NULL && client->conn == NULL, NULL);

  sent = g_steal_pointer (&client->sent);
  client->sent = g_ptr_array_new_with_free_func (g_free);
  return sent;
}

gushort
lattice_server_client_get_close_code (LatticeServerClient *client)
{
  g_return_val_if_fail (client != NULL && client->conn == NULL, 0);

  return client->close_code;
}

gboolean
lattice_server_client_is_joined (LatticeServerClient *client)
{
  g_return_val_if_fail (client != NULL, FALSE);

  return client->phase == CLIENT_JOINED;
}

void
lattice_server_client_close (LatticeServerClient *client,
                             gushort              code)
{
  g_return_if_fail (client != NULL && client->conn == NULL);

  if (client->close_code == 0)
    client->close_code = code;
  on_closed (NULL, client);
}

void
lattice_signal_server_reap (LatticeSignalServer *self)
{
  g_return_if_fail (LATTICE_IS_SIGNAL_SERVER (self));

  clear_source (&self->reap_source);
  on_reap (self);
}

guint
lattice_signal_server_get_n_connections_from (LatticeSignalServer *self,
                                              const char          *address)
{
  g_return_val_if_fail (LATTICE_IS_SIGNAL_SERVER (self), 0);

  return connections_from (self, address);
}
