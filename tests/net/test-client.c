/* test-client.c: LatticeSignalingClient against the real server on loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "lattice-net-enums.h"
#include "lattice-signal-server.h"
#include "lattice-signaling-client.h"

#include "lattice-test-wait.h"

/* Everything a client emitted, as short strings easy to look for. */
typedef struct {
  LatticeSignalingClient *client;
  GPtrArray              *events;
  GArray                 *states;
  guint                   n_joined;
  gboolean                last_resumed;
} Recorder;

static void
record (Recorder   *rec,
        const char *format,
        ...) G_GNUC_PRINTF (2, 3);

static void
record (Recorder   *rec,
        const char *format,
        ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (rec->events, g_strdup_vprintf (format, args));
  va_end (args);
}

static gboolean
has_event (Recorder   *rec,
           const char *format,
           ...) G_GNUC_PRINTF (2, 3);

static gboolean
has_event (Recorder   *rec,
           const char *format,
           ...)
{
  g_autofree char *wanted = NULL;
  va_list args;

  va_start (args, format);
  wanted = g_strdup_vprintf (format, args);
  va_end (args);
  for (guint i = 0; i < rec->events->len; i++)
    if (g_str_equal (g_ptr_array_index (rec->events, i), wanted))
      return TRUE;
  return FALSE;
}

static gboolean
saw_state (Recorder              *rec,
           LatticeSignalingState  state)
{
  for (guint i = 0; i < rec->states->len; i++)
    if (g_array_index (rec->states, LatticeSignalingState, i) == state)
      return TRUE;
  return FALSE;
}

static void
on_joined (LatticeSignalingClient *client, gboolean resumed, Recorder *rec)
{
  rec->n_joined++;
  rec->last_resumed = resumed;
  record (rec, "joined:%d", resumed);
}

static void
on_participant_joined (LatticeSignalingClient *client, LatticeParticipantInfo *info, Recorder *rec)
{
  record (rec, "participant-joined:%s:%s", info->id, info->name);
}

static void
on_participant_left (LatticeSignalingClient *client, const char *id, const char *reason,
                     Recorder *rec)
{
  record (rec, "participant-left:%s:%s", id, reason);
}

static void
on_participant_state (LatticeSignalingClient *client, LatticeParticipantInfo *info, Recorder *rec)
{
  record (rec, "participant-state:%s:%d%d%d", info->id,
          info->audio_muted, info->video_off, info->hand_raised);
}

static void
on_offer (LatticeSignalingClient *client, const char *from, const char *sdp, Recorder *rec)
{
  record (rec, "offer:%s:%s", from, sdp);
}

static void
on_answer (LatticeSignalingClient *client, const char *from, const char *sdp, Recorder *rec)
{
  record (rec, "answer:%s:%s", from, sdp);
}

static void
on_candidate (LatticeSignalingClient *client, const char *from, guint mline, const char *mid,
              const char *candidate, Recorder *rec)
{
  record (rec, "candidate:%s:%u:%s:%s", from, mline, mid ? mid : "(null)", candidate);
}

static void
on_server_error (LatticeSignalingClient *client, const char *code, const char *message,
                 Recorder *rec)
{
  record (rec, "server-error:%s", code);
}

static void
on_reject (LatticeSignalingClient *client, const char *from, const char *code, const char *message,
           Recorder *rec)
{
  record (rec, "reject:%s:%s:%s", from, code, message);
}

static void
on_unknown_target (LatticeSignalingClient *client, const char *id, Recorder *rec)
{
  record (rec, "unknown-target:%s", id);
}

static void
on_state (LatticeSignalingClient *client, GParamSpec *pspec, Recorder *rec)
{
  LatticeSignalingState state = lattice_signaling_client_get_state (client);

  g_array_append_val (rec->states, state);
}

static Recorder *
recorder_new (LatticeSignalingClient *client)
{
  Recorder *rec = g_new0 (Recorder, 1);

  rec->client = client;
  rec->events = g_ptr_array_new_with_free_func (g_free);
  rec->states = g_array_new (FALSE, FALSE, sizeof (LatticeSignalingState));
  g_signal_connect (client, "joined", G_CALLBACK (on_joined), rec);
  g_signal_connect (client, "participant-joined", G_CALLBACK (on_participant_joined), rec);
  g_signal_connect (client, "participant-left", G_CALLBACK (on_participant_left), rec);
  g_signal_connect (client, "participant-state", G_CALLBACK (on_participant_state), rec);
  g_signal_connect (client, "offer", G_CALLBACK (on_offer), rec);
  g_signal_connect (client, "answer", G_CALLBACK (on_answer), rec);
  g_signal_connect (client, "candidate", G_CALLBACK (on_candidate), rec);
  g_signal_connect (client, "server-error", G_CALLBACK (on_server_error), rec);
  g_signal_connect (client, "reject", G_CALLBACK (on_reject), rec);
  g_signal_connect (client, "unknown-target", G_CALLBACK (on_unknown_target), rec);
  g_signal_connect (client, "notify::state", G_CALLBACK (on_state), rec);
  return rec;
}

/* Drops the client (checking nothing else holds it) and the record. */
static void
recorder_free (Recorder *rec)
{
  g_assert_finalize_object (rec->client);
  g_ptr_array_unref (rec->events);
  g_array_unref (rec->states);
  g_free (rec);
}

static LatticeSignalServer *
start_server (guint port,
              guint max_room_size)
{
  g_autoptr(GError) error = NULL;
  LatticeSignalServer *server = lattice_signal_server_new ();

  if (max_room_size > 0)
    g_object_set (server, "max-room-size", max_room_size, NULL);
  lattice_signal_server_listen (server, "127.0.0.1", port, &error);
  g_assert_no_error (error);
  return server;
}

static char *
ws_uri_for (guint port)
{
  return g_strdup_printf ("ws://127.0.0.1:%u/ws", port);
}

static Recorder *
new_client (guint       port,
            const char *room,
            const char *name,
            const char *password)
{
  g_autofree char *uri = ws_uri_for (port);
  LatticeSignalingClient *client = lattice_signaling_client_new (uri, room, name, password);

  /* Quick retries keep the reconnect tests short. */
  g_object_set (client, "reconnect-min-ms", 50, "reconnect-max-ms", 400, NULL);
  return recorder_new (client);
}

static gboolean
is_state (Recorder              *rec,
          LatticeSignalingState  state)
{
  return lattice_signaling_client_get_state (rec->client) == state;
}

static Recorder *
join (guint       port,
      const char *room,
      const char *name,
      const char *password)
{
  Recorder *rec = new_client (port, room, name, password);

  lattice_signaling_client_connect (rec->client);
  wait_until (is_state (rec, LATTICE_SIGNALING_STATE_JOINED) ||
              is_state (rec, LATTICE_SIGNALING_STATE_FAILED));
  g_assert_no_error (lattice_signaling_client_get_error (rec->client));
  g_assert_cmpint (lattice_signaling_client_get_state (rec->client), ==,
                   LATTICE_SIGNALING_STATE_JOINED);
  return rec;
}

static const char *
id_of (Recorder *rec)
{
  return lattice_signaling_client_get_participant_id (rec->client);
}

static gboolean
lists_participant (Recorder   *rec,
                   const char *id)
{
  GPtrArray *participants = lattice_signaling_client_get_participants (rec->client);

  for (guint i = 0; i < participants->len; i++)
    {
      LatticeParticipantInfo *info = g_ptr_array_index (participants, i);

      if (g_strcmp0 (info->id, id) == 0)
        return TRUE;
    }
  return FALSE;
}

static const LatticeParticipantInfo *
find_participant (Recorder   *rec,
                  const char *id)
{
  GPtrArray *participants = lattice_signaling_client_get_participants (rec->client);

  for (guint i = 0; i < participants->len; i++)
    {
      LatticeParticipantInfo *info = g_ptr_array_index (participants, i);

      if (g_strcmp0 (info->id, id) == 0)
        return info;
    }
  return NULL;
}

static void
test_join (void)
{
  LatticeSignalServer *server = start_server (0, 0);
  guint port = lattice_signal_server_get_port (server);
  Recorder *ada = join (port, "standup", "Ada", NULL);
  const char *id = id_of (ada);

  g_assert_nonnull (id);
  g_assert_cmpuint (strlen (id), ==, 16);
  g_assert_cmpstr (lattice_signaling_client_get_room (ada->client), ==, "standup");
  g_assert_cmpuint (lattice_signaling_client_get_participants (ada->client)->len, ==, 0);
  g_assert_nonnull (lattice_signaling_client_get_ice_servers (ada->client));
  g_assert_true (has_event (ada, "joined:0"));
  g_assert_cmpuint (ada->states->len, ==, 2);
  g_assert_cmpint (g_array_index (ada->states, LatticeSignalingState, 0), ==,
                   LATTICE_SIGNALING_STATE_CONNECTING);

  lattice_signaling_client_disconnect (ada->client);
  g_assert_cmpint (lattice_signaling_client_get_state (ada->client), ==,
                   LATTICE_SIGNALING_STATE_DISCONNECTED);
  wait_until (lattice_signal_server_get_n_clients (server) == 0);

  recorder_free (ada);
  lattice_signal_server_stop (server);
  g_assert_finalize_object (server);
}

static void
test_two_clients (void)
{
  LatticeSignalServer *server = start_server (0, 0);
  guint port = lattice_signal_server_get_port (server);
  Recorder *ada = join (port, "standup", "Ada", NULL);
  Recorder *grace = join (port, "standup", "Grace", NULL);
  g_autofree char *ada_id = g_strdup (id_of (ada));
  g_autofree char *grace_id = g_strdup (id_of (grace));
  g_autoptr(LatticeParticipantInfo) muted = lattice_participant_info_new (NULL, NULL);

  g_assert_cmpstr (ada_id, !=, grace_id);
  /* The newcomer learns who is there from "joined"… */
  g_assert_true (lists_participant (grace, ada_id));
  g_assert_cmpstr (find_participant (grace, ada_id)->name, ==, "Ada");
  /* …the others from "participant-joined". */
  wait_until (has_event (ada, "participant-joined:%s:Grace", grace_id));
  g_assert_true (lists_participant (ada, grace_id));

  muted->audio_muted = TRUE;
  lattice_signaling_client_send_state (grace->client, LATTICE_STATE_FIELD_AUDIO_MUTED, muted);
  wait_until (has_event (ada, "participant-state:%s:100", grace_id));
  g_assert_true (find_participant (ada, grace_id)->audio_muted);
  muted->hand_raised = TRUE;
  lattice_signaling_client_send_state (ada->client, LATTICE_STATE_FIELD_HAND_RAISED, muted);
  wait_until (has_event (grace, "participant-state:%s:001", ada_id));
  g_assert_true (find_participant (grace, ada_id)->hand_raised);

  lattice_signaling_client_disconnect (grace->client);
  wait_until (has_event (ada, "participant-left:%s:left", grace_id));
  g_assert_false (lists_participant (ada, grace_id));
  g_assert_cmpuint (lattice_signaling_client_get_participants (ada->client)->len, ==, 0);

  recorder_free (grace);
  recorder_free (ada);
  lattice_signal_server_stop (server);
  g_assert_finalize_object (server);
}

static void
test_relay (void)
{
  LatticeSignalServer *server = start_server (0, 0);
  guint port = lattice_signal_server_get_port (server);
  Recorder *ada = join (port, "relay", "Ada", NULL);
  Recorder *grace = join (port, "relay", "Grace", NULL);
  g_autofree char *ada_id = g_strdup (id_of (ada));
  g_autofree char *grace_id = g_strdup (id_of (grace));

  /* The newcomer offers. */
  lattice_signaling_client_send_offer (grace->client, ada_id, "v=0 offer");
  wait_until (has_event (ada, "offer:%s:v=0 offer", grace_id));
  lattice_signaling_client_send_answer (ada->client, grace_id, "v=0 answer");
  wait_until (has_event (grace, "answer:%s:v=0 answer", ada_id));

  lattice_signaling_client_send_candidate (grace->client, ada_id, 1, "1",
                                           "candidate:1 1 UDP 1 127.0.0.1 5000 typ host");
  lattice_signaling_client_send_candidate (grace->client, ada_id, 0, NULL, "");
  wait_until (has_event (ada, "candidate:%s:1:1:candidate:1 1 UDP 1 127.0.0.1 5000 typ host",
                         grace_id));
  wait_until (has_event (ada, "candidate:%s:0:(null):", grace_id));
  lattice_signaling_client_send_candidate (ada->client, grace_id, 0, "0", "");
  wait_until (has_event (grace, "candidate:%s:0:0:", ada_id));

  /* A target nobody has is the server's complaint, not a reason to leave. */
  lattice_signaling_client_send_offer (ada->client, "0123456789abcdef", "v=0 lost");
  wait_until (has_event (ada, "server-error:unknown-target"));
  g_assert_true (has_event (ada, "unknown-target:0123456789abcdef"));
  g_assert_cmpint (lattice_signaling_client_get_state (ada->client), ==,
                   LATTICE_SIGNALING_STATE_JOINED);

  /* A refused offer comes back to its sender, from the refuser. */
  lattice_signaling_client_send_reject (ada->client, grace_id, "slow-down", "Too many offers", "offer");
  wait_until (has_event (grace, "reject:%s:slow-down:Too many offers", ada_id));

  recorder_free (grace);
  recorder_free (ada);
  lattice_signal_server_stop (server);
  g_assert_finalize_object (server);
}

static guint
count_prefix (Recorder   *rec,
              const char *prefix)
{
  guint n = 0;

  for (guint i = 0; i < rec->events->len; i++)
    n += g_str_has_prefix (g_ptr_array_index (rec->events, i), prefix);
  return n;
}

/* A client that must send far more than the server's rate allows (a storm
 * of answers and candidates, say) paces itself: the server, at its default
 * limit, never disconnects it, and everything arrives, in order. */
static void
test_paced (void)
{
  LatticeSignalServer *server = start_server (0, 0);
  guint port = lattice_signal_server_get_port (server);
  Recorder *ada = join (port, "paced", "Ada", NULL);
  Recorder *grace = join (port, "paced", "Grace", NULL);
  g_autofree char *ada_id = g_strdup (id_of (ada));
  const guint n = 400;  /* 8 s of the server's 50 a second, sent at once */
  guint next = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *candidate = g_strdup_printf ("candidate:%u 1 UDP 1 127.0.0.1 %u typ host", i, 5000 + i);

      lattice_signaling_client_send_candidate (ada->client, id_of (grace), 0, "0", candidate);
    }
  wait_until (count_prefix (grace, "candidate:") == n);
  for (guint i = 0; i < grace->events->len; i++)
    {
      const char *event = g_ptr_array_index (grace->events, i);
      g_autofree char *expected = NULL;

      if (!g_str_has_prefix (event, "candidate:"))
        continue;
      expected = g_strdup_printf ("candidate:%s:0:0:candidate:%u ", ada_id, next++);
      g_assert_true (g_str_has_prefix (event, expected));
    }
  g_assert_false (saw_state (ada, LATTICE_SIGNALING_STATE_RECONNECTING));
  g_assert_cmpint (lattice_signaling_client_get_state (ada->client), ==, LATTICE_SIGNALING_STATE_JOINED);

  recorder_free (grace);
  recorder_free (ada);
  lattice_signal_server_stop (server);
  g_assert_finalize_object (server);
}

static Recorder *
connect_until_failed (guint       port,
                      const char *room,
                      const char *name,
                      const char *password)
{
  Recorder *rec = new_client (port, room, name, password);

  lattice_signaling_client_connect (rec->client);
  wait_until (is_state (rec, LATTICE_SIGNALING_STATE_FAILED) ||
              is_state (rec, LATTICE_SIGNALING_STATE_JOINED));
  g_assert_cmpint (lattice_signaling_client_get_state (rec->client), ==,
                   LATTICE_SIGNALING_STATE_FAILED);
  return rec;
}

static void
test_wrong_password (void)
{
  LatticeSignalServer *server = start_server (0, 0);
  guint port = lattice_signal_server_get_port (server);
  Recorder *ada = join (port, "secret", "Ada", "hunter2");
  Recorder *eve = connect_until_failed (port, "secret", "Eve", "guess");
  Recorder *mallory = connect_until_failed (port, "secret", "Mallory", NULL);
  Recorder *grace = join (port, "secret", "Grace", "hunter2");

  g_assert_error (lattice_signaling_client_get_error (eve->client),
                  LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_WRONG_PASSWORD);
  g_assert_error (lattice_signaling_client_get_error (mallory->client),
                  LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_WRONG_PASSWORD);
  g_assert_false (saw_state (eve, LATTICE_SIGNALING_STATE_JOINED));
  g_assert_true (lists_participant (grace, id_of (ada)));

  recorder_free (grace);
  recorder_free (mallory);
  recorder_free (eve);
  recorder_free (ada);
  lattice_signal_server_stop (server);
  g_assert_finalize_object (server);
}

static void
test_invalid_room (void)
{
  LatticeSignalServer *server = start_server (0, 0);
  guint port = lattice_signal_server_get_port (server);
  Recorder *rec = connect_until_failed (port, "no spaces here", "Ada", NULL);

  g_assert_error (lattice_signaling_client_get_error (rec->client),
                  LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_INVALID_FIELD);
  recorder_free (rec);
  lattice_signal_server_stop (server);
  g_assert_finalize_object (server);
}

static void
test_room_full (void)
{
  LatticeSignalServer *server = start_server (0, 2);
  guint port = lattice_signal_server_get_port (server);
  Recorder *ada = join (port, "small", "Ada", NULL);
  Recorder *grace = join (port, "small", "Grace", NULL);
  Recorder *linus = connect_until_failed (port, "small", "Linus", NULL);

  g_assert_error (lattice_signaling_client_get_error (linus->client),
                  LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_ROOM_FULL);
  g_assert_cmpuint (lattice_signaling_client_get_participants (ada->client)->len, ==, 1);

  recorder_free (linus);
  recorder_free (grace);
  recorder_free (ada);
  lattice_signal_server_stop (server);
  g_assert_finalize_object (server);
}

/* A port nobody listens on: bind one, then let it go. */
static guint
free_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_unreachable (void)
{
  Recorder *rec = connect_until_failed (free_port (), "nobody", "Ada", NULL);
  const GError *error = lattice_signaling_client_get_error (rec->client);

  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_test_message ("Unreachable: %s", error->message);
  g_assert_false (saw_state (rec, LATTICE_SIGNALING_STATE_RECONNECTING));
  recorder_free (rec);
}

/* Accepts connections (the kernel does) but never says a word. */
static void
test_silent_server (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  Recorder *rec;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (socket, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);

  rec = connect_until_failed (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)),
                              "silence", "Ada", NULL);
  g_assert_error (lattice_signaling_client_get_error (rec->client),
                  G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  recorder_free (rec);
}

static void
test_bad_uri (void)
{
  LatticeSignalingClient *client = lattice_signaling_client_new ("ws://", "room", "Ada", NULL);

  lattice_signaling_client_connect (client);
  g_assert_cmpint (lattice_signaling_client_get_state (client), ==,
                   LATTICE_SIGNALING_STATE_FAILED);
  g_assert_error (lattice_signaling_client_get_error (client),
                  G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_finalize_object (client);
}

/* The key promise: the server goes away and comes back empty, and every
 * participant returns with the id the others already know. */
static void
test_server_restart (void)
{
  LatticeSignalServer *server = start_server (0, 0);
  guint port = lattice_signal_server_get_port (server);
  Recorder *ada = join (port, "resume", "Ada", NULL);
  Recorder *grace = join (port, "resume", "Grace", NULL);
  g_autofree char *ada_id = g_strdup (id_of (ada));
  g_autofree char *grace_id = g_strdup (id_of (grace));

  wait_until (lists_participant (ada, grace_id));
  lattice_signal_server_stop (server);
  g_assert_finalize_object (server);

  wait_until (is_state (ada, LATTICE_SIGNALING_STATE_RECONNECTING));
  wait_until (is_state (grace, LATTICE_SIGNALING_STATE_RECONNECTING));

  server = start_server (port, 0);
  wait_until (ada->n_joined == 2 && grace->n_joined == 2);
  g_assert_true (is_state (ada, LATTICE_SIGNALING_STATE_JOINED));
  g_assert_true (is_state (grace, LATTICE_SIGNALING_STATE_JOINED));
  g_assert_true (ada->last_resumed);
  g_assert_true (grace->last_resumed);
  g_assert_cmpstr (id_of (ada), ==, ada_id);
  g_assert_cmpstr (id_of (grace), ==, grace_id);

  /* Whoever came back second finds the other in "joined"; the first
   * hears "participant-joined" with the id it already knew. */
  wait_until (lists_participant (ada, grace_id) && lists_participant (grace, ada_id));

  recorder_free (grace);
  recorder_free (ada);
  lattice_signal_server_stop (server);
  g_assert_finalize_object (server);
}

/* A server that stops answering without closing anything: it runs on its
 * own thread and main context, and "freezing" stops that thread. */
typedef struct {
  GThread             *thread;
  GMainContext        *context;
  LatticeSignalServer *server;
  GMutex               mutex;
  GCond                cond;
  guint                port;
  gboolean             frozen;
  gboolean             quit;
} ServerThread;

static gboolean
server_thread_should_run (ServerThread *st)
{
  gboolean quit;

  g_mutex_lock (&st->mutex);
  while (st->frozen && !st->quit)
    g_cond_wait (&st->cond, &st->mutex);
  quit = st->quit;
  g_mutex_unlock (&st->mutex);
  return !quit;
}

static gpointer
server_thread_main (gpointer data)
{
  ServerThread *st = data;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (st->context);
  st->server = lattice_signal_server_new ();
  g_object_set (st->server, "heartbeat-interval", 100, "heartbeat-timeout", 2000, NULL);
  lattice_signal_server_listen (st->server, "127.0.0.1", 0, &error);
  g_assert_no_error (error);

  g_mutex_lock (&st->mutex);
  st->port = lattice_signal_server_get_port (st->server);
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->mutex);

  while (server_thread_should_run (st))
    g_main_context_iteration (st->context, TRUE);

  lattice_signal_server_stop (st->server);
  g_clear_object (&st->server);
  g_main_context_pop_thread_default (st->context);
  return NULL;
}

static void
server_thread_set_frozen (ServerThread *st,
                          gboolean      frozen)
{
  g_mutex_lock (&st->mutex);
  st->frozen = frozen;
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->mutex);
  g_main_context_wakeup (st->context);
}

static ServerThread *
server_thread_start (void)
{
  ServerThread *st = g_new0 (ServerThread, 1);

  g_mutex_init (&st->mutex);
  g_cond_init (&st->cond);
  st->context = g_main_context_new ();
  st->thread = g_thread_new ("server", server_thread_main, st);
  g_mutex_lock (&st->mutex);
  while (st->port == 0)
    g_cond_wait (&st->cond, &st->mutex);
  g_mutex_unlock (&st->mutex);
  return st;
}

static void
server_thread_stop (ServerThread *st)
{
  g_mutex_lock (&st->mutex);
  st->quit = TRUE;
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->mutex);
  g_main_context_wakeup (st->context);
  g_thread_join (st->thread);
  g_main_context_unref (st->context);
  g_mutex_clear (&st->mutex);
  g_cond_clear (&st->cond);
  g_free (st);
}

static void
test_heartbeat_timeout (void)
{
  ServerThread *st = server_thread_start ();
  Recorder *ada = join (st->port, "quiet", "Ada", NULL);
  g_autofree char *ada_id = g_strdup (id_of (ada));

  server_thread_set_frozen (st, TRUE);
  /* Nothing is closed: only the missing pings tell. */
  wait_until (is_state (ada, LATTICE_SIGNALING_STATE_RECONNECTING));

  server_thread_set_frozen (st, FALSE);
  wait_until (ada->n_joined == 2);
  g_assert_true (is_state (ada, LATTICE_SIGNALING_STATE_JOINED));
  g_assert_true (ada->last_resumed);
  g_assert_cmpstr (id_of (ada), ==, ada_id);

  recorder_free (ada);
  server_thread_stop (st);
}

/* Sending before joining is dropped quietly; disposing works mid-flight. */
static void
test_not_joined_and_dispose (void)
{
  LatticeSignalServer *server = start_server (0, 0);
  guint port = lattice_signal_server_get_port (server);
  Recorder *early = new_client (port, "dispose", "Ada", NULL);
  Recorder *joined = NULL;
  Recorder *reconnecting = NULL;
  g_autoptr(LatticeParticipantInfo) info = lattice_participant_info_new (NULL, NULL);

  lattice_signaling_client_send_offer (early->client, "0123456789abcdef", "v=0");
  lattice_signaling_client_send_state (early->client, LATTICE_STATE_FIELD_HAND_RAISED, info);
  /* Mid-connect. */
  lattice_signaling_client_connect (early->client);
  g_assert_true (is_state (early, LATTICE_SIGNALING_STATE_CONNECTING));
  recorder_free (early);

  joined = join (port, "dispose", "Grace", NULL);
  reconnecting = join (port, "dispose", "Linus", NULL);
  lattice_signal_server_stop (server);
  g_assert_finalize_object (server);
  wait_until (is_state (reconnecting, LATTICE_SIGNALING_STATE_RECONNECTING));
  recorder_free (reconnecting);
  recorder_free (joined);

  /* Let the connections the clients let go finish closing. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/join", test_join);
  g_test_add_func ("/client/two-clients", test_two_clients);
  g_test_add_func ("/client/relay", test_relay);
  g_test_add_func ("/client/paced", test_paced);
  g_test_add_func ("/client/wrong-password", test_wrong_password);
  g_test_add_func ("/client/invalid-room", test_invalid_room);
  g_test_add_func ("/client/room-full", test_room_full);
  g_test_add_func ("/client/unreachable", test_unreachable);
  g_test_add_func ("/client/silent-server", test_silent_server);
  g_test_add_func ("/client/bad-uri", test_bad_uri);
  g_test_add_func ("/client/server-restart", test_server_restart);
  g_test_add_func ("/client/heartbeat-timeout", test_heartbeat_timeout);
  g_test_add_func ("/client/not-joined-and-dispose", test_not_joined_and_dispose);

  return g_test_run ();
}
