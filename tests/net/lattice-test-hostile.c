/* lattice-test-hostile.c: hostile signaling clients for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeTest"

#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "lattice-protocol.h"
#include "lattice-test-hostile.h"

#define WINDOW          8      /* bad messages in flight at once */
#define STALL_MS        20000  /* no answer for this long: give up */
#define RETRY_MS        20
#define MAX_FAILURES    200    /* handshakes failing in a row: give up */
#define NOBODY          "nobody0000000000"

typedef enum {
  PHASE_CONNECTING,
  PHASE_HANDSHAKE,   /* hello or join sent, answer awaited */
  PHASE_READY,       /* sending bad messages */
  PHASE_DONE,
} Phase;

struct _LatticeHostile {
  char                    *uri;
  char                    *room;
  LatticeHostileRole       role;
  guint                    n_messages;
  guint                    max_message_size;
  guint                    pause_ms;
  GRand                   *rand;

  SoupSession             *session;
  GCancellable            *cancellable;
  SoupWebsocketConnection *conn;
  GSource                 *timer;       /* retry or stall deadline */
  Phase                    phase;
  gboolean                 welcomed;    /* as the server sees this connection */
  gboolean                 joined;
  char                    *id;
  GHashTable              *members;     /* ids of the others in its room */
  guint                    outstanding; /* sent on this connection, unanswered */
  guint                    failures_in_a_row;
  gboolean                 sent_huge;   /* on this connection: see is_huge() */
  LatticeHostileStats      stats;
};

/* --- Generating --------------------------------------------------------- */

static const char *const templates[] = {
  "{\"type\":\"hello\",\"version\":1,\"software\":\"mallory 6.6.6\"}",
  "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Mallory\",\"password\":\"pw\"}",
  "{\"type\":\"state\",\"audioMuted\":true,\"videoOff\":false,\"handRaised\":true,\"name\":\"Mallory\"}",
  "{\"type\":\"offer\",\"to\":\"" NOBODY "\",\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\n\"}",
  "{\"type\":\"answer\",\"to\":\"" NOBODY "\",\"sdp\":\"v=0\\r\\n\"}",
  "{\"type\":\"candidate\",\"to\":\"" NOBODY "\",\"candidate\":\"candidate:1 1 UDP 2122260223 "
    "192.0.2.1 54321 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}",
  "{\"type\":\"ping\",\"seq\":1}",
  "{\"type\":\"leave\"}",
  "{\"type\":\"hello\",\"version\":2}",
};

static const char *const foreign_types[] = {
  "welcome", "joined", "participant-joined", "participant-left", "participant-state",
  "error", "Offer", "PING", "", " ping", "frobnicate", "offer\\u0000",
};

static const char *const wrong_values[] = {
  "1", "-1", "1.5", "1e3", "\"x\"", "\"\"", "true", "null", "[]", "{}", "[1,2]",
  "{\"a\":1}", "99999999999999999999", "-0", "\"\\ud800\"", "\"a\\u0000b\"",
};

static const char *const fields[] = {
  "version", "room", "name", "password", "token", "to", "sdp", "candidate",
  "sdpMid", "sdpMLineIndex", "seq", "audioMuted", "videoOff", "handRaised", "type",
};

static const char *const typed[] = {
  "hello", "join", "state", "offer", "answer", "candidate", "ping", "pong", "leave",
};

static char *
template_text (GRand      *rand,
               const char *room)
{
  const char *format = templates[g_rand_int_range (rand, 0, G_N_ELEMENTS (templates))];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  return g_strdup_printf (format, room);
#pragma GCC diagnostic pop
}

/* Byte flips, truncations, insertions, deletions, repeats. */
static void
mutate (GRand   *rand,
        GString *text)
{
  static const char structural[] = "{}[]\":,\\ 0123456789.-eEntfu";
  guint n = g_rand_int_range (rand, 1, 5);

  for (guint i = 0; i < n && text->len > 0; i++)
    {
      gsize at = g_rand_int_range (rand, 0, text->len);
      gsize wanted = g_rand_int_range (rand, 1, 9);
      gsize span = MIN (wanted, text->len - at);  /* MIN() evaluates twice */

      switch (g_rand_int_range (rand, 0, 6))
        {
        case 0:
          text->str[at] ^= 1 << g_rand_int_range (rand, 0, 8);
          break;
        case 1:
          text->str[at] = structural[g_rand_int_range (rand, 0, sizeof structural - 1)];
          break;
        case 2:
          g_string_truncate (text, at);
          break;
        case 3:
          g_string_insert_c (text, at, (char) g_rand_int_range (rand, 1, 256));
          break;
        case 4:
          g_string_erase (text, at, span);
          break;
        default:
          {
            g_autofree char *chunk = g_strndup (text->str + at, span);

            g_string_insert (text, at, chunk);
          }
        }
    }
}

static char *
wrong_typed (GRand *rand)
{
  return g_strdup_printf ("{\"type\":\"%s\",\"%s\":%s}",
                          typed[g_rand_int_range (rand, 0, G_N_ELEMENTS (typed))],
                          fields[g_rand_int_range (rand, 0, G_N_ELEMENTS (fields))],
                          wrong_values[g_rand_int_range (rand, 0, G_N_ELEMENTS (wrong_values))]);
}

static char *
malformed (GRand *rand)
{
  guint depth = g_rand_int_range (rand, 30, 200);
  g_autofree char *open = g_strnfill (depth, '[');
  g_autofree char *close = g_strnfill (depth, ']');

  switch (g_rand_int_range (rand, 0, 5))
    {
    case 0:
      return g_strdup_printf ("{\"type\":\"ping\",\"x\":%s1%s}", open, close);
    case 1:
      return g_strdup ("{'type':'ping'}");
    case 2:
      return g_strdup ("{\"type\":\"ping\",}");
    case 3:
      return g_strdup ("");
    default:
      {
        GString *junk = g_string_new (NULL);

        for (guint i = g_rand_int_range (rand, 1, 64); i > 0; i--)
          g_string_append_c (junk, (char) g_rand_int_range (rand, 1, 128));
        return g_string_free (junk, FALSE);
      }
    }
}

static char *
oversized (GRand *rand,
           guint  max_message_size)
{
  /* Mostly within what libsoup hands over (we answer), now and then far
   * beyond it (libsoup closes by itself). */
  gsize size = g_rand_int_range (rand, 0, 10) == 0 ? max_message_size * 3 + 4096
                                                   : max_message_size + g_rand_int_range (rand, 1, max_message_size);
  g_autofree char *pad = g_strnfill (size, 'x');

  return g_strdup_printf ("{\"type\":\"ping\",\"seq\":1,\"pad\":\"%s\"}", pad);
}

/* Websocket text must be UTF-8 (libsoup will not send anything else). */
static GBytes *
text_bytes (char *text,
            gsize len)
{
  char *valid = g_utf8_make_valid (text, len);

  g_free (text);
  return g_bytes_new_take (valid, strlen (valid));
}

GBytes *
lattice_hostile_generate (GRand      *rand,
                          const char *room,
                          guint       max_message_size,
                          gboolean   *out_binary)
{
  guint kind = g_rand_int_range (rand, 0, 100);

  *out_binary = FALSE;
  if (kind < 45)
    {
      g_autofree char *text = template_text (rand, room);
      GString *mutated = g_string_new (text);
      gsize len;

      mutate (rand, mutated);
      len = mutated->len;
      return text_bytes (g_string_free (mutated, FALSE), len);
    }
  if (kind < 60)
    {
      char *text = wrong_typed (rand);

      return text_bytes (text, strlen (text));
    }
  if (kind < 70)
    {
      const char *type = foreign_types[g_rand_int_range (rand, 0, G_N_ELEMENTS (foreign_types))];
      char *text = g_strdup_printf ("{\"type\":\"%s\",\"seq\":1}", type);

      return text_bytes (text, strlen (text));
    }
  if (kind < 80)
    {
      char *text = malformed (rand);

      return text_bytes (text, strlen (text));
    }
  if (kind < 82)
    {
      char *text = oversized (rand, max_message_size);

      return text_bytes (text, strlen (text));
    }
  if (kind < 85)
    {
      char *text = template_text (rand, room);

      *out_binary = TRUE;
      return g_bytes_new_take (text, strlen (text));
    }

  /* Valid messages, bad only in the wrong state. */
  {
    char *text = template_text (rand, room);

    return text_bytes (text, strlen (text));
  }
}

/* --- Predicting the answer ---------------------------------------------- */

/* Whether the server must answer @message with an error (or a close) given
 * what this connection is to it; anything else is not a bad message here
 * and is not sent. */
static gboolean
refused_when_parsed (LatticeHostile *self,
                     LatticeMessage *message)
{
  switch (message->type)
    {
    case LATTICE_MESSAGE_HELLO:
      return message->version != LATTICE_PROTOCOL_VERSION;
    case LATTICE_MESSAGE_JOIN:
      return self->welcomed && self->joined;       /* already-joined */
    case LATTICE_MESSAGE_STATE:
      return !self->joined;
    case LATTICE_MESSAGE_OFFER:
    case LATTICE_MESSAGE_ANSWER:
    case LATTICE_MESSAGE_CANDIDATE:
      return !self->joined || g_strcmp0 (message->to, self->id) == 0 ||
             !g_hash_table_contains (self->members, message->to);
    default:
      /* ping, pong, leave: fine from anyone welcomed. */
      return FALSE;
    }
}

/* Far above the limit the server stops reading mid-frame and drops the
 * connection; the kernel then resets it, which may beat the close frame. */
static gboolean
is_huge (LatticeHostile *self,
         GBytes         *bytes)
{
  return g_bytes_get_size (bytes) > 2 * (gsize) self->max_message_size;
}

static gboolean
is_refused (LatticeHostile *self,
            GBytes         *bytes,
            gboolean        binary)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  g_autoptr(LatticeMessage) message = NULL;

  if (size > self->max_message_size || binary)
    return TRUE;
  message = lattice_message_parse (data, size, LATTICE_ORIGIN_CLIENT, NULL);
  if (message == NULL)
    return TRUE;
  if (!self->welcomed)
    return message->type != LATTICE_MESSAGE_HELLO || message->version != LATTICE_PROTOCOL_VERSION;
  return refused_when_parsed (self, message);
}

/* --- Connection --------------------------------------------------------- */

static void connect_now (LatticeHostile *self);

static void
clear_timer (LatticeHostile *self)
{
  if (self->timer == NULL)
    return;
  g_source_destroy (self->timer);
  g_clear_pointer (&self->timer, g_source_unref);
}

static void
set_timer (LatticeHostile *self,
           guint           ms,
           GSourceFunc     func)
{
  clear_timer (self);
  self->timer = g_timeout_source_new (ms);
  g_source_set_callback (self->timer, func, self, NULL);
  g_source_attach (self->timer, g_main_context_get_thread_default ());
}

static void
drop_connection (LatticeHostile *self)
{
  if (self->conn == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->conn, self);
  if (soup_websocket_connection_get_state (self->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&self->conn);
}

static void
finish (LatticeHostile *self)
{
  clear_timer (self);
  drop_connection (self);
  self->phase = PHASE_DONE;
}

static gboolean
on_stall (gpointer user_data)
{
  LatticeHostile *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  g_message ("hostile client stalled: %u answers missing", self->outstanding);
  self->stats.stalled = TRUE;
  finish (self);
  return G_SOURCE_REMOVE;
}

static void
send_text (LatticeHostile *self,
           const char     *text)
{
  soup_websocket_connection_send_text (self->conn, text);
}

static void
send_window (LatticeHostile *self)
{
  for (guint i = 0; i < WINDOW && self->stats.sent < self->n_messages; i++)
    {
      g_autoptr(GBytes) bytes = NULL;
      gboolean binary = FALSE;

      /* Bounded: the generator makes a refused message far more often than not. */
      for (guint tries = 0; tries < 1000; tries++)
        {
          g_clear_pointer (&bytes, g_bytes_unref);
          bytes = lattice_hostile_generate (self->rand, self->room, self->max_message_size, &binary);
          if (is_refused (self, bytes, binary))
            break;
          g_clear_pointer (&bytes, g_bytes_unref);
        }
      if (bytes == NULL)
        bytes = g_bytes_new_static ("{", 1);

      soup_websocket_connection_send_message (self->conn,
                                              binary ? SOUP_WEBSOCKET_DATA_BINARY : SOUP_WEBSOCKET_DATA_TEXT,
                                              bytes);
      self->stats.sent++;
      self->outstanding++;
      if (is_huge (self, bytes))
        {
          self->sent_huge = TRUE;
          break;  /* nothing after it could be answered */
        }
    }

  if (self->outstanding == 0)
    finish (self);
  else
    set_timer (self, STALL_MS, on_stall);
}

static void
send_join (LatticeHostile *self)
{
  g_autofree char *join =
    g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Mallory\"}", self->room);

  send_text (self, join);
}

static void
track_members (LatticeHostile *self,
               LatticeMessage *message)
{
  if (message->type == LATTICE_MESSAGE_PARTICIPANT_JOINED)
    g_hash_table_add (self->members, g_strdup (message->participant->id));
  else if (message->type == LATTICE_MESSAGE_PARTICIPANT_LEFT)
    g_hash_table_remove (self->members, message->id);
}

static void
on_joined (LatticeHostile *self,
           LatticeMessage *joined)
{
  g_free (self->id);
  self->id = g_strdup (joined->id);
  self->joined = TRUE;
  g_hash_table_remove_all (self->members);
  for (guint i = 0; i < joined->participants->len; i++)
    {
      LatticeParticipantInfo *info = g_ptr_array_index (joined->participants, i);

      g_hash_table_add (self->members, g_strdup (info->id));
    }
}

static void
handshake_step (LatticeHostile *self,
                LatticeMessage *message)
{
  if (message->type == LATTICE_MESSAGE_WELCOME && self->role == LATTICE_HOSTILE_MEMBER)
    {
      self->welcomed = TRUE;
      send_join (self);
      return;
    }
  if (message->type == LATTICE_MESSAGE_WELCOME)
    self->welcomed = TRUE;
  else if (message->type == LATTICE_MESSAGE_JOINED)
    on_joined (self, message);
  else
    {
      self->stats.unexpected++;
      return;
    }

  self->phase = PHASE_READY;
  send_window (self);
}

static gboolean
on_pause_over (gpointer user_data)
{
  LatticeHostile *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  send_window (self);
  return G_SOURCE_REMOVE;
}

static void
on_answer (LatticeHostile *self,
           LatticeMessage *message)
{
  if (message->type != LATTICE_MESSAGE_ERROR || self->outstanding == 0)
    {
      g_message ("hostile client: unexpected %s", lattice_message_type_to_string (message->type));
      self->stats.unexpected++;
      return;
    }

  self->stats.errors++;
  if (--self->outstanding > 0)
    return;
  if (self->pause_ms > 0)
    set_timer (self, self->pause_ms, on_pause_over);
  else
    send_window (self);
}

static void
on_message (SoupWebsocketConnection *conn,
            gint                     type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  LatticeHostile *self = user_data;
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  g_autoptr(LatticeMessage) message = lattice_message_parse (data, size, LATTICE_ORIGIN_SERVER, NULL);

  if (message == NULL)
    {
      self->stats.unexpected++;
      return;
    }

  switch (message->type)
    {
    case LATTICE_MESSAGE_PING:
      /* Not answered: a pong could be refused as rate-limited too, and
       * that answer would be taken for one to a bad message. The bad
       * messages keep the connection alive. */
      break;
    case LATTICE_MESSAGE_PARTICIPANT_JOINED:
    case LATTICE_MESSAGE_PARTICIPANT_LEFT:
    case LATTICE_MESSAGE_PARTICIPANT_STATE:
      track_members (self, message);  /* the room going on around it */
      break;
    default:
      if (self->phase == PHASE_HANDSHAKE)
        handshake_step (self, message);
      else if (self->phase == PHASE_READY)
        on_answer (self, message);
    }
}

static gboolean
on_retry (gpointer user_data)
{
  LatticeHostile *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
reconnect_or_finish (LatticeHostile *self)
{
  drop_connection (self);
  if (self->stats.sent >= self->n_messages)
    finish (self);
  else
    set_timer (self, RETRY_MS, on_retry);
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  LatticeHostile *self = user_data;
  gushort code = soup_websocket_connection_get_close_code (conn);

  if (code != 0 && code != SOUP_WEBSOCKET_CLOSE_NO_STATUS && code != SOUP_WEBSOCKET_CLOSE_ABNORMAL)
    {
      self->stats.closes++;
    }
  else if (self->sent_huge)
    {
      self->stats.cut++;
    }
  else
    {
      g_message ("hostile client: connection ended without a close code (%u)", code);
      self->stats.unannounced++;
    }

  self->stats.lost += self->outstanding;
  self->outstanding = 0;
  clear_timer (self);
  reconnect_or_finish (self);
}

static void
start_handshake (LatticeHostile *self)
{
  self->welcomed = FALSE;
  self->joined = FALSE;
  self->sent_huge = FALSE;
  g_hash_table_remove_all (self->members);

  if (self->role == LATTICE_HOSTILE_SILENT)
    {
      self->phase = PHASE_READY;
      send_window (self);
      return;
    }

  self->phase = PHASE_HANDSHAKE;
  send_text (self, "{\"type\":\"hello\",\"version\":1}");
  set_timer (self, STALL_MS, on_stall);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LatticeHostile *self = user_data;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *conn =
    soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;  /* freed */

  if (conn == NULL)
    {
      self->stats.failures++;
      if (++self->failures_in_a_row >= MAX_FAILURES)
        {
          g_message ("hostile client: cannot connect: %s", error->message);
          self->stats.stalled = TRUE;
          finish (self);
          return;
        }
      set_timer (self, RETRY_MS, on_retry);
      return;
    }

  self->failures_in_a_row = 0;
  self->stats.connects++;
  self->conn = conn;
  /* Above the server's own limit, as the server's answers are small. */
  soup_websocket_connection_set_max_incoming_payload_size (conn, 1024 * 1024);
  g_signal_connect (conn, "message", G_CALLBACK (on_message), self);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), self);
  start_handshake (self);
}

static void
connect_now (LatticeHostile *self)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, self->uri);

  self->phase = PHASE_CONNECTING;
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->cancellable, on_connected, self);
}

/* --- Public ------------------------------------------------------------- */

LatticeHostile *
lattice_hostile_new (const char         *ws_uri,
                     LatticeHostileRole  role,
                     const char         *room,
                     guint               n_messages,
                     guint               max_message_size,
                     guint32             seed)
{
  LatticeHostile *self = g_new0 (LatticeHostile, 1);

  self->uri = g_strdup (ws_uri);
  self->room = g_strdup (room ? room : "hostile");
  self->role = role;
  self->n_messages = n_messages;
  self->max_message_size = max_message_size;
  self->rand = g_rand_new_with_seed (seed);
  self->session = soup_session_new ();
  self->cancellable = g_cancellable_new ();
  self->members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->phase = PHASE_CONNECTING;
  return self;
}

void
lattice_hostile_set_pause (LatticeHostile *self,
                           guint           ms)
{
  self->pause_ms = ms;
}

void
lattice_hostile_start (LatticeHostile *self)
{
  connect_now (self);
}

gboolean
lattice_hostile_is_done (LatticeHostile *self)
{
  return self->phase == PHASE_DONE;
}

const LatticeHostileStats *
lattice_hostile_get_stats (LatticeHostile *self)
{
  return &self->stats;
}

char *
lattice_hostile_describe (LatticeHostile *self)
{
  const LatticeHostileStats *s = &self->stats;
  static const char *const roles[] = { "silent", "unjoined", "member" };

  return g_strdup_printf ("%s in %s: sent %u, errors %u, lost %u to %u closes and %u cuts, "
                          "unannounced %u, unexpected %u, connects %u (%u failed)%s",
                          roles[self->role], self->room, s->sent, s->errors, s->lost, s->closes,
                          s->cut,
                          s->unannounced, s->unexpected, s->connects, s->failures,
                          s->stalled ? ", STALLED" : "");
}

void
lattice_hostile_free (LatticeHostile *self)
{
  if (self == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  clear_timer (self);
  drop_connection (self);
  g_object_unref (self->cancellable);
  g_object_unref (self->session);
  g_hash_table_unref (self->members);
  g_rand_free (self->rand);
  g_free (self->id);
  g_free (self->room);
  g_free (self->uri);
  g_free (self);
}

gboolean
lattice_hostiles_done (gpointer hostiles_ptr_array)
{
  GPtrArray *hostiles = hostiles_ptr_array;

  for (guint i = 0; i < hostiles->len; i++)
    if (!lattice_hostile_is_done (g_ptr_array_index (hostiles, i)))
      return FALSE;
  return TRUE;
}

void
lattice_hostiles_assert_accounted (GPtrArray *hostiles,
                                   guint      min_sent)
{
  guint total = 0;

  for (guint i = 0; i < hostiles->len; i++)
    {
      LatticeHostile *hostile = g_ptr_array_index (hostiles, i);
      const LatticeHostileStats *s = lattice_hostile_get_stats (hostile);
      g_autofree char *line = lattice_hostile_describe (hostile);

      g_test_message ("%s", line);
      g_assert_true (lattice_hostile_is_done (hostile));
      g_assert_false (s->stalled);
      g_assert_cmpuint (s->unexpected, ==, 0);
      g_assert_cmpuint (s->unannounced, ==, 0);
      g_assert_cmpuint (s->sent, ==, s->errors + s->lost);
      total += s->sent;
    }
  g_assert_cmpuint (total, >=, min_sent);
}
