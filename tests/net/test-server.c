/* test-server.c: LatticeSignalServer against real websocket clients
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeTest"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "lattice-signal-server.h"
#include "lattice-signal-server-private.h"
#include "lattice-test-ws.h"

typedef struct {
  LatticeSignalServer *server;
  char                *uri;
  char                *http_base;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = lattice_signal_server_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  lattice_signal_server_stop (f->server);
  g_assert_finalize_object (f->server);
  /* Let closes already under way finish rather than stay pending at exit. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (f->uri);
  g_free (f->http_base);
}

/* Properties are set by each test before this. */
static void
fixture_listen (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  guint port;

  g_assert_true (lattice_signal_server_listen (f->server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  port = lattice_signal_server_get_port (f->server);
  g_assert_cmpuint (port, >, 0);

  g_free (f->uri);
  g_free (f->http_base);
  f->uri = g_strdup_printf ("ws://127.0.0.1:%u/ws", port);
  f->http_base = g_strdup_printf ("http://127.0.0.1:%u", port);
}

static LatticeTestWs *
connect_hello (const char *uri)
{
  LatticeTestWs *ws = lattice_test_ws_connect (uri, NULL, NULL, NULL);
  g_autoptr(LatticeMessage) welcome = NULL;

  lattice_test_ws_send (ws, "{\"type\":\"hello\",\"version\":1,\"software\":\"test\"}");
  welcome = lattice_test_ws_expect (ws, LATTICE_MESSAGE_WELCOME);
  g_assert_cmpuint (welcome->version, ==, LATTICE_PROTOCOL_VERSION);
  return ws;
}

static void
send_join (LatticeTestWs *ws,
           const char    *room,
           const char    *name,
           const char    *password,
           const char    *token)
{
  g_autofree char *password_field =
    password ? g_strdup_printf (",\"password\":\"%s\"", password) : g_strdup ("");
  g_autofree char *token_field =
    token ? g_strdup_printf (",\"token\":\"%s\"", token) : g_strdup ("");

  lattice_test_ws_sendf (ws, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"%s\"%s%s}",
                         room, name, password_field, token_field);
}

static LatticeMessage *
join (LatticeTestWs *ws,
      const char    *room,
      const char    *name,
      const char    *password,
      const char    *token)
{
  LatticeMessage *joined;

  send_join (ws, room, name, password, token);
  joined = lattice_test_ws_expect (ws, LATTICE_MESSAGE_JOINED);
  g_assert_cmpstr (joined->room, ==, room);
  g_assert_cmpuint (strlen (joined->id), ==, 16);
  g_assert_cmpuint (strlen (joined->token), ==, 43);
  return joined;
}

/* A participant who joined: its connection and its joined message. */
typedef struct {
  LatticeTestWs  *ws;
  LatticeMessage *joined;
} Member;

static void
member_clear (Member *m)
{
  g_clear_pointer (&m->ws, lattice_test_ws_free);
  g_clear_pointer (&m->joined, lattice_message_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Member, member_clear)

/* Joins @m, then checks that everyone in @others heard about it. */
static void
member_join (Member      *m,
             const char  *uri,
             const char  *room,
             const char  *name,
             Member     **others)
{
  m->ws = connect_hello (uri);
  m->joined = join (m->ws, room, name, NULL, NULL);

  for (guint i = 0; others != NULL && others[i] != NULL; i++)
    {
      g_autoptr(LatticeMessage) announce =
        lattice_test_ws_expect (others[i]->ws, LATTICE_MESSAGE_PARTICIPANT_JOINED);

      g_assert_cmpstr (announce->participant->id, ==, m->joined->id);
      g_assert_cmpstr (announce->participant->name, ==, name);
    }
}

/* --- Handshake ----------------------------------------------------------- */

static void
test_hello_welcome (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(LatticeTestWs) ws = NULL;
  g_autoptr(LatticeMessage) welcome = NULL;

  fixture_listen (f);
  ws = lattice_test_ws_connect (f->uri, NULL, NULL, NULL);
  lattice_test_ws_send (ws, "{\"type\":\"hello\",\"version\":1}");
  welcome = lattice_test_ws_expect (ws, LATTICE_MESSAGE_WELCOME);
  g_assert_cmpuint (welcome->version, ==, 1);
  g_assert_cmpuint (welcome->heartbeat_ms, ==, LATTICE_SIGNAL_SERVER_DEFAULT_HEARTBEAT_MS);
  g_assert_nonnull (welcome->software);
  g_assert_cmpuint (lattice_signal_server_get_n_clients (f->server), ==, 1);
}

static void
test_version_unsupported (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(LatticeTestWs) ws = NULL;
  g_autoptr(LatticeMessage) error = NULL;

  fixture_listen (f);
  ws = lattice_test_ws_connect (f->uri, NULL, NULL, NULL);
  lattice_test_ws_send (ws, "{\"type\":\"hello\",\"version\":99}");
  error = lattice_test_ws_expect_error (ws, "version-unsupported");
  g_assert_cmpstr (error->ref_type, ==, "hello");
  g_assert_cmpuint (lattice_test_ws_wait_closed (ws), ==, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
}

static void
test_handshake_required (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(LatticeTestWs) ws = NULL;
  g_autoptr(LatticeMessage) error = NULL;
  g_autoptr(LatticeMessage) welcome = NULL;

  fixture_listen (f);
  ws = lattice_test_ws_connect (f->uri, NULL, NULL, NULL);
  send_join (ws, "room", "Ada", NULL, NULL);
  error = lattice_test_ws_expect_error (ws, "handshake-required");
  g_assert_cmpstr (error->ref_type, ==, "join");

  /* Still usable: the handshake can follow. */
  lattice_test_ws_send (ws, "{\"type\":\"hello\",\"version\":1}");
  welcome = lattice_test_ws_expect (ws, LATTICE_MESSAGE_WELCOME);
}

/* --- Rooms --------------------------------------------------------------- */

static void
test_join_participants (Fixture       *f,
                        gconstpointer  data)
{
  g_auto(Member) a = { 0 };
  g_auto(Member) b = { 0 };
  Member *in_room[] = { &a, NULL };
  LatticeParticipantInfo *seen;

  fixture_listen (f);
  member_join (&a, f->uri, "team", "Ada", NULL);
  g_assert_cmpuint (a.joined->participants->len, ==, 0);
  g_assert_false (a.joined->resumed);

  member_join (&b, f->uri, "team", "Grace", in_room);
  g_assert_cmpuint (b.joined->participants->len, ==, 1);
  seen = g_ptr_array_index (b.joined->participants, 0);
  g_assert_cmpstr (seen->id, ==, a.joined->id);
  g_assert_cmpstr (seen->name, ==, "Ada");
  g_assert_cmpstr (a.joined->id, !=, b.joined->id);
  g_assert_cmpstr (a.joined->token, !=, b.joined->token);

  g_assert_cmpuint (lattice_signal_server_get_n_rooms (f->server), ==, 1);
  g_assert_cmpuint (lattice_signal_server_get_n_clients (f->server), ==, 2);
}

static void
expect_left (LatticeTestWs *ws,
             const char    *id,
             const char    *reason)
{
  g_autoptr(LatticeMessage) left = lattice_test_ws_expect (ws, LATTICE_MESSAGE_PARTICIPANT_LEFT);

  g_assert_cmpstr (left->id, ==, id);
  g_assert_cmpstr (left->reason, ==, reason);
}

static gboolean
server_is_empty (gpointer user_data)
{
  LatticeSignalServer *server = user_data;

  return lattice_signal_server_get_n_rooms (server) == 0 &&
         lattice_signal_server_get_n_clients (server) == 0;
}

static void
test_left_broadcasts (Fixture       *f,
                      gconstpointer  data)
{
  g_auto(Member) a = { 0 };
  g_auto(Member) b = { 0 };
  g_auto(Member) c = { 0 };
  g_auto(Member) d = { 0 };
  Member *just_a[] = { &a, NULL };

  fixture_listen (f);
  member_join (&a, f->uri, "team", "Ada", NULL);

  /* leave: "left", and the server closes normally. */
  member_join (&b, f->uri, "team", "Grace", just_a);
  lattice_test_ws_send (b.ws, "{\"type\":\"leave\"}");
  expect_left (a.ws, b.joined->id, "left");
  g_assert_cmpuint (lattice_test_ws_wait_closed (b.ws), ==, SOUP_WEBSOCKET_CLOSE_NORMAL);

  /* A normal websocket close is a goodbye too. */
  member_join (&c, f->uri, "team", "Linus", just_a);
  soup_websocket_connection_close (c.ws->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  expect_left (a.ws, c.joined->id, "left");

  /* A dropped socket is not. */
  member_join (&d, f->uri, "team", "Ken", just_a);
  lattice_test_ws_drop (d.ws);
  expect_left (a.ws, d.joined->id, "disconnected");

  /* The last one out frees the room. */
  lattice_test_ws_send (a.ws, "{\"type\":\"leave\"}");
  lattice_test_ws_wait_closed (a.ws);
  g_assert_true (lattice_test_wait_until (server_is_empty, f->server, LATTICE_TEST_WAIT_MS));
}

static void
test_state (Fixture       *f,
            gconstpointer  data)
{
  g_auto(Member) a = { 0 };
  g_auto(Member) b = { 0 };
  Member *just_a[] = { &a, NULL };
  g_autoptr(LatticeMessage) state = NULL;
  g_autoptr(LatticeMessage) error = NULL;

  fixture_listen (f);
  member_join (&a, f->uri, "team", "Ada", NULL);
  member_join (&b, f->uri, "team", "Grace", just_a);

  lattice_test_ws_send (b.ws, "{\"type\":\"state\",\"audioMuted\":true,\"name\":\"Grace H.\"}");
  state = lattice_test_ws_expect (a.ws, LATTICE_MESSAGE_PARTICIPANT_STATE);
  g_assert_cmpstr (state->participant->id, ==, b.joined->id);
  g_assert_cmpstr (state->participant->name, ==, "Grace H.");
  g_assert_true (state->participant->audio_muted);
  g_assert_false (state->participant->video_off);
  lattice_test_ws_assert_quiet (b.ws);  /* not echoed to the sender */

  send_join (b.ws, "team", "Grace", NULL, NULL);
  error = lattice_test_ws_expect_error (b.ws, "already-joined");
}

static void
test_not_joined (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(LatticeTestWs) ws = NULL;
  g_autoptr(LatticeMessage) error = NULL;

  fixture_listen (f);
  ws = connect_hello (f->uri);
  lattice_test_ws_send (ws, "{\"type\":\"offer\",\"to\":\"0123456789abcdef\",\"sdp\":\"v=0\"}");
  error = lattice_test_ws_expect_error (ws, "not-joined");
  g_assert_cmpstr (error->ref_type, ==, "offer");
  lattice_test_ws_assert_quiet (ws);
}

/* --- Relay --------------------------------------------------------------- */

static void
test_relay (Fixture       *f,
            gconstpointer  data)
{
  g_auto(Member) a = { 0 };
  g_auto(Member) b = { 0 };
  g_auto(Member) c = { 0 };
  Member *just_a[] = { &a, NULL };
  Member *a_b[] = { &a, &b, NULL };
  g_autoptr(LatticeMessage) offer = NULL;
  g_autoptr(LatticeMessage) answer = NULL;
  g_autoptr(LatticeMessage) candidate = NULL;
  g_autoptr(LatticeMessage) end = NULL;

  fixture_listen (f);
  member_join (&a, f->uri, "team", "Ada", NULL);
  member_join (&b, f->uri, "team", "Grace", just_a);
  member_join (&c, f->uri, "team", "Linus", a_b);

  /* A lies about "from"; the server says who really sent it. */
  lattice_test_ws_sendf (a.ws, "{\"type\":\"offer\",\"to\":\"%s\",\"from\":\"%s\",\"sdp\":\"v=0 a\"}",
                         b.joined->id, c.joined->id);
  offer = lattice_test_ws_expect (b.ws, LATTICE_MESSAGE_OFFER);
  g_assert_cmpstr (offer->from, ==, a.joined->id);
  g_assert_cmpstr (offer->sdp, ==, "v=0 a");
  g_assert_null (offer->to);

  lattice_test_ws_sendf (b.ws, "{\"type\":\"answer\",\"to\":\"%s\",\"sdp\":\"v=0 b\"}", a.joined->id);
  answer = lattice_test_ws_expect (a.ws, LATTICE_MESSAGE_ANSWER);
  g_assert_cmpstr (answer->from, ==, b.joined->id);
  g_assert_cmpstr (answer->sdp, ==, "v=0 b");

  lattice_test_ws_sendf (a.ws, "{\"type\":\"candidate\",\"to\":\"%s\",\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 9 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}",
                         b.joined->id);
  candidate = lattice_test_ws_expect (b.ws, LATTICE_MESSAGE_CANDIDATE);
  g_assert_cmpstr (candidate->from, ==, a.joined->id);
  g_assert_cmpstr (candidate->sdp_mid, ==, "0");
  g_assert_cmpint (candidate->sdp_mline_index, ==, 0);

  lattice_test_ws_sendf (a.ws, "{\"type\":\"candidate\",\"to\":\"%s\",\"candidate\":\"\",\"sdpMLineIndex\":1}",
                         b.joined->id);
  end = lattice_test_ws_expect (b.ws, LATTICE_MESSAGE_CANDIDATE);
  g_assert_cmpstr (end->candidate, ==, "");

  /* Everything above was for B alone. */
  lattice_test_ws_assert_quiet (c.ws);
}

static void
test_no_relay_across_rooms (Fixture       *f,
                            gconstpointer  data)
{
  g_auto(Member) a = { 0 };
  g_auto(Member) d = { 0 };
  g_autoptr(LatticeMessage) error = NULL;
  g_autoptr(LatticeMessage) error2 = NULL;

  fixture_listen (f);
  member_join (&a, f->uri, "team", "Ada", NULL);
  member_join (&d, f->uri, "other", "Dennis", NULL);
  g_assert_cmpuint (lattice_signal_server_get_n_rooms (f->server), ==, 2);

  lattice_test_ws_sendf (a.ws, "{\"type\":\"offer\",\"to\":\"%s\",\"sdp\":\"v=0\"}", d.joined->id);
  error = lattice_test_ws_expect_error (a.ws, "unknown-target");
  g_assert_cmpstr (error->ref_type, ==, "offer");
  lattice_test_ws_assert_quiet (d.ws);

  lattice_test_ws_send (a.ws, "{\"type\":\"answer\",\"to\":\"ffffffffffffffff\",\"sdp\":\"v=0\"}");
  error2 = lattice_test_ws_expect_error (a.ws, "unknown-target");
}

/* --- Admission ----------------------------------------------------------- */

static void
test_wrong_password (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(LatticeTestWs) a = NULL;
  g_autoptr(LatticeTestWs) b = NULL;
  g_autoptr(LatticeMessage) joined_a = NULL;
  g_autoptr(LatticeMessage) joined_b = NULL;
  g_autoptr(LatticeMessage) wrong = NULL;
  g_autoptr(LatticeMessage) missing = NULL;

  fixture_listen (f);
  a = connect_hello (f->uri);
  joined_a = join (a, "secret-room", "Ada", "s3cret", NULL);

  b = connect_hello (f->uri);
  send_join (b, "secret-room", "Eve", "guess", NULL);
  wrong = lattice_test_ws_expect_error (b, "wrong-password");
  g_assert_cmpstr (wrong->ref_type, ==, "join");
  send_join (b, "secret-room", "Eve", NULL, NULL);
  missing = lattice_test_ws_expect_error (b, "wrong-password");

  /* The connection stays usable: the right password gets in. */
  joined_b = join (b, "secret-room", "Bob", "s3cret", NULL);
  g_assert_cmpuint (joined_b->participants->len, ==, 1);
}

static void
test_room_full (Fixture       *f,
                gconstpointer  data)
{
  g_auto(Member) a = { 0 };
  g_auto(Member) b = { 0 };
  Member *just_a[] = { &a, NULL };
  g_autoptr(LatticeTestWs) c = NULL;
  g_autoptr(LatticeMessage) full = NULL;
  g_autoptr(LatticeMessage) elsewhere = NULL;

  g_object_set (f->server, "max-room-size", 2, NULL);
  fixture_listen (f);
  member_join (&a, f->uri, "team", "Ada", NULL);
  member_join (&b, f->uri, "team", "Grace", just_a);

  c = connect_hello (f->uri);
  send_join (c, "team", "Linus", NULL, NULL);
  full = lattice_test_ws_expect_error (c, "room-full");
  lattice_test_ws_assert_quiet (a.ws);

  elsewhere = join (c, "team-2", "Linus", NULL, NULL);
}

/* --- Bad input ----------------------------------------------------------- */

static void
test_bad_input_keeps_connection (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(LatticeTestWs) ws = NULL;
  g_autoptr(LatticeMessage) bad_json = NULL;
  g_autoptr(LatticeMessage) not_object = NULL;
  g_autoptr(LatticeMessage) unknown = NULL;
  g_autoptr(LatticeMessage) binary = NULL;
  g_autoptr(LatticeMessage) joined = NULL;
  g_autoptr(LatticeMessage) pong = NULL;

  fixture_listen (f);
  ws = connect_hello (f->uri);

  lattice_test_ws_send (ws, "{\"type\":\"join\", this is not json");
  bad_json = lattice_test_ws_expect_error (ws, "bad-json");
  lattice_test_ws_send (ws, "[1,2,3]");
  not_object = lattice_test_ws_expect_error (ws, "bad-json");
  lattice_test_ws_send (ws, "{\"type\":\"frobnicate\"}");
  unknown = lattice_test_ws_expect_error (ws, "unknown-type");
  soup_websocket_connection_send_binary (ws->conn, "\x01\x02", 2);
  binary = lattice_test_ws_expect_error (ws, "invalid-field");

  lattice_test_ws_send (ws, "{\"type\":\"ping\",\"seq\":7}");
  pong = lattice_test_ws_expect (ws, LATTICE_MESSAGE_PONG);
  g_assert_cmpuint (pong->seq, ==, 7);
  joined = join (ws, "team", "Ada", NULL, NULL);
}

static void
test_oversized (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(LatticeTestWs) ws = NULL;
  g_autoptr(LatticeTestWs) huge = NULL;
  g_autoptr(LatticeMessage) error = NULL;
  g_autofree char *pad = g_strnfill (2000, 'x');
  g_autofree char *big_pad = g_strnfill (100000, 'x');

  g_object_set (f->server, "max-message-size", 1024, NULL);
  fixture_listen (f);

  ws = connect_hello (f->uri);
  lattice_test_ws_sendf (ws, "{\"type\":\"ping\",\"seq\":1,\"pad\":\"%s\"}", pad);
  error = lattice_test_ws_expect_error (ws, "too-large");
  g_assert_cmpuint (lattice_test_ws_wait_closed (ws), ==, SOUP_WEBSOCKET_CLOSE_TOO_BIG);

  /* Far above the limit libsoup cuts the connection before we see it. */
  huge = connect_hello (f->uri);
  lattice_test_ws_sendf (huge, "{\"type\":\"ping\",\"seq\":1,\"pad\":\"%s\"}", big_pad);
  lattice_test_ws_wait_closed (huge);
}

/* --- Rate limit ---------------------------------------------------------- */

static gboolean
is_true (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static gboolean
on_timer (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The bucket refills with time: nothing to wait for but the clock. */
static void
let_time_pass (guint ms)
{
  gboolean done = FALSE;
  g_autoptr(GSource) timer = g_timeout_source_new (ms);

  g_source_set_callback (timer, on_timer, &done, NULL);
  g_source_attach (timer, NULL);
  lattice_test_wait_until (is_true, &done, ms + LATTICE_TEST_WAIT_MS);
}

static void
test_rate_limited (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(LatticeTestWs) ws = NULL;
  g_autoptr(LatticeTestWs) flood = NULL;
  g_autoptr(LatticeMessage) pong = NULL;
  guint n_pongs = 0;
  guint n_limited = 0;

  g_object_set (f->server, "max-rate", 5, NULL);
  fixture_listen (f);

  /* A burst of four seconds' worth is let through at once (hello took one
   * of the twenty); of thirty pings, the first nineteen all get answers and
   * some of the rest are dropped. */
  ws = connect_hello (f->uri);
  for (guint i = 0; i < 30; i++)
    lattice_test_ws_sendf (ws, "{\"type\":\"ping\",\"seq\":%u}", i);
  for (guint i = 0; i < 30; i++)
    {
      g_autoptr(LatticeMessage) reply = lattice_test_ws_next (ws);

      if (reply->type == LATTICE_MESSAGE_PONG)
        {
          g_assert_cmpuint (reply->seq, >=, i);
          n_pongs++;
        }
      else if (reply->type == LATTICE_MESSAGE_ERROR && g_str_equal (reply->code, "rate-limited"))
        {
          g_assert_cmpuint (i, >=, 5 * LATTICE_SIGNAL_SERVER_BURST_SECONDS - 1);
          n_limited++;
        }
    }
  g_assert_cmpuint (n_pongs + n_limited, ==, 30);
  g_assert_cmpuint (n_pongs, >=, 5 * LATTICE_SIGNAL_SERVER_BURST_SECONDS - 1);
  g_assert_cmpuint (n_limited, >=, 1);

  /* Dropped, not disconnected: after a pause it is heard again. */
  let_time_pass (1200);
  g_assert_false (ws->closed);
  lattice_test_ws_send (ws, "{\"type\":\"ping\",\"seq\":99}");
  pong = lattice_test_ws_expect (ws, LATTICE_MESSAGE_PONG);
  g_assert_cmpuint (pong->seq, ==, 99);

  /* Going on regardless gets the connection closed. */
  flood = connect_hello (f->uri);
  for (guint i = 0; i < 200 && !flood->closed; i++)
    lattice_test_ws_sendf (flood, "{\"type\":\"ping\",\"seq\":%u}", i);
  g_assert_cmpuint (lattice_test_ws_wait_closed (flood), ==, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  n_limited = 0;
  while (!g_queue_is_empty (&flood->received))
    {
      g_autofree char *text = g_queue_pop_head (&flood->received);

      if (strstr (text, "\"rate-limited\"") != NULL)
        n_limited++;
    }
  g_assert_cmpuint (n_limited, >=, 1);
}

/* --- Heartbeat ----------------------------------------------------------- */

static void
test_heartbeat_timeout (Fixture       *f,
                        gconstpointer  data)
{
  g_auto(Member) a = { 0 };
  g_autoptr(LatticeTestWs) silent = NULL;
  g_autoptr(LatticeMessage) welcome = NULL;
  g_autoptr(LatticeMessage) joined = NULL;
  g_autoptr(LatticeMessage) announce = NULL;
  g_autoptr(LatticeMessage) ping = NULL;
  g_autofree char *text = NULL;

  g_object_set (f->server, "heartbeat-interval", 50, "heartbeat-timeout", 600, NULL);
  fixture_listen (f);

  /* A answers every ping (auto_pong), the other one never says a word. */
  member_join (&a, f->uri, "team", "Ada", NULL);
  silent = lattice_test_ws_connect (f->uri, NULL, NULL, NULL);
  silent->auto_pong = FALSE;
  lattice_test_ws_send (silent, "{\"type\":\"hello\",\"version\":1}");
  welcome = lattice_test_ws_expect (silent, LATTICE_MESSAGE_WELCOME);
  g_assert_cmpuint (welcome->heartbeat_ms, ==, 50);
  joined = join (silent, "team", "Mute", NULL, NULL);
  announce = lattice_test_ws_expect (a.ws, LATTICE_MESSAGE_PARTICIPANT_JOINED);

  /* The server pings it … */
  text = lattice_test_ws_next_text (silent);
  g_assert_nonnull (text);
  ping = lattice_message_parse (text, -1, LATTICE_ORIGIN_SERVER, NULL);
  g_assert_nonnull (ping);
  g_assert_cmpint (ping->type, ==, LATTICE_MESSAGE_PING);

  /* … and, hearing nothing back, drops it. */
  expect_left (a.ws, joined->id, "timeout");
  lattice_test_ws_wait_closed (silent);
  g_assert_false (a.ws->closed);
  lattice_test_ws_assert_quiet (a.ws);
}

/* --- Resuming ------------------------------------------------------------ */

static void
test_resume_replaces_connection (Fixture       *f,
                                 gconstpointer  data)
{
  g_auto(Member) a = { 0 };
  g_auto(Member) b = { 0 };
  Member *just_a[] = { &a, NULL };
  g_autoptr(LatticeTestWs) a2 = NULL;
  g_autoptr(LatticeTestWs) a3 = NULL;
  g_autoptr(LatticeMessage) joined2 = NULL;
  g_autoptr(LatticeMessage) joined3 = NULL;
  g_autoptr(LatticeMessage) back = NULL;
  g_autoptr(LatticeMessage) offer = NULL;

  fixture_listen (f);
  member_join (&a, f->uri, "team", "Ada", NULL);
  member_join (&b, f->uri, "team", "Grace", just_a);

  /* A's old connection is still up: the new one takes over silently. */
  a2 = connect_hello (f->uri);
  joined2 = join (a2, "team", "Ada", NULL, a.joined->token);
  g_assert_true (joined2->resumed);
  g_assert_cmpstr (joined2->id, ==, a.joined->id);
  g_assert_cmpuint (joined2->participants->len, ==, 1);
  g_assert_cmpuint (lattice_test_ws_wait_closed (a.ws), ==, SOUP_WEBSOCKET_CLOSE_NORMAL);
  lattice_test_ws_assert_quiet (b.ws);

  /* Messages for that id now reach the new connection. */
  lattice_test_ws_sendf (b.ws, "{\"type\":\"offer\",\"to\":\"%s\",\"sdp\":\"v=0\"}", a.joined->id);
  offer = lattice_test_ws_expect (a2, LATTICE_MESSAGE_OFFER);
  g_assert_cmpstr (offer->from, ==, b.joined->id);

  /* Once the server has dropped it, coming back is announced, same id. */
  lattice_test_ws_drop (a2);
  expect_left (b.ws, a.joined->id, "disconnected");
  a3 = connect_hello (f->uri);
  joined3 = join (a3, "team", "Ada", NULL, a.joined->token);
  g_assert_true (joined3->resumed);
  g_assert_cmpstr (joined3->id, ==, a.joined->id);
  back = lattice_test_ws_expect (b.ws, LATTICE_MESSAGE_PARTICIPANT_JOINED);
  g_assert_cmpstr (back->participant->id, ==, a.joined->id);
}

static void
test_resume_after_restart (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(LatticeSignalServer) second = lattice_signal_server_new ();
  g_autoptr(LatticeTestWs) before = NULL;
  g_autoptr(LatticeTestWs) after = NULL;
  g_autoptr(LatticeMessage) joined = NULL;
  g_autoptr(LatticeMessage) rejoined = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;

  fixture_listen (f);
  before = connect_hello (f->uri);
  joined = join (before, "team", "Ada", NULL, NULL);

  /* The first server goes away and remembers nothing. */
  lattice_signal_server_stop (f->server);
  lattice_test_ws_wait_closed (before);

  g_assert_true (lattice_signal_server_listen (second, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  uri = g_strdup_printf ("ws://127.0.0.1:%u/ws", lattice_signal_server_get_port (second));
  after = connect_hello (uri);
  rejoined = join (after, "team", "Ada", NULL, joined->token);
  g_assert_true (rejoined->resumed);
  g_assert_cmpstr (rejoined->id, ==, joined->id);
  g_assert_cmpstr (rejoined->token, ==, joined->token);

  g_clear_pointer (&after, lattice_test_ws_free);
  lattice_signal_server_stop (second);
  g_assert_finalize_object (g_steal_pointer (&second));
}

static void
test_bad_tokens (Fixture       *f,
                 gconstpointer  data)
{
  const char *tokens[] = {
    "abc",
    "",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",    /* not base64url */
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",    /* stray low bits: no token's spelling */
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 44 chars */
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  };
  g_autoptr(LatticeTestWs) ws = NULL;
  g_autoptr(LatticeMessage) joined = NULL;

  fixture_listen (f);
  ws = connect_hello (f->uri);
  for (gsize i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autoptr(LatticeMessage) error = NULL;

      send_join (ws, "team", "Mallory", NULL, tokens[i]);
      error = lattice_test_ws_expect_error (ws, "invalid-token");
      g_assert_cmpstr (error->ref_type, ==, "join");
    }
  g_assert_cmpuint (lattice_signal_server_get_n_rooms (f->server), ==, 0);

  joined = join (ws, "team", "Mallory", NULL, NULL);
  g_assert_false (joined->resumed);
}

static void
test_cannot_claim_id (Fixture       *f,
                      gconstpointer  data)
{
  g_auto(Member) a = { 0 };
  g_auto(Member) b = { 0 };
  g_auto(Member) m = { 0 };
  Member *just_a[] = { &a, NULL };
  Member *a_b[] = { &a, &b, NULL };
  g_autoptr(LatticeTestWs) mallory = NULL;
  g_autoptr(LatticeMessage) error = NULL;
  g_autoptr(LatticeMessage) offer = NULL;

  fixture_listen (f);
  member_join (&a, f->uri, "team", "Ada", NULL);
  member_join (&b, f->uri, "team", "Grace", just_a);

  /* Ids are public; passing one as a token is refused … */
  mallory = connect_hello (f->uri);
  send_join (mallory, "team", "Ada", NULL, a.joined->id);
  error = lattice_test_ws_expect_error (mallory, "invalid-token");
  lattice_test_ws_assert_quiet (a.ws);
  lattice_test_ws_assert_quiet (b.ws);

  /* … a token of one's own gives one's own id … */
  member_join (&m, f->uri, "team", "Ada", a_b);
  g_assert_cmpstr (m.joined->id, !=, a.joined->id);
  g_assert_false (a.ws->closed);

  /* … and writing someone's id as "from" changes nothing. */
  lattice_test_ws_sendf (m.ws, "{\"type\":\"offer\",\"to\":\"%s\",\"from\":\"%s\",\"sdp\":\"v=0\"}",
                         b.joined->id, a.joined->id);
  offer = lattice_test_ws_expect (b.ws, LATTICE_MESSAGE_OFFER);
  g_assert_cmpstr (offer->from, ==, m.joined->id);
}

/* --- HTTP ---------------------------------------------------------------- */

static void
test_origin_allow_list (Fixture       *f,
                        gconstpointer  data)
{
  const char *const origins[] = { "https://good.example", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(LatticeTestWs) evil = NULL;
  g_autoptr(LatticeTestWs) good = NULL;
  g_autoptr(LatticeTestWs) native = NULL;
  guint status = 0;

  g_object_set (f->server, "allowed-origins", origins, NULL);
  fixture_listen (f);

  evil = lattice_test_ws_connect (f->uri, "https://evil.example", &status, &error);
  g_assert_null (evil);
  g_assert_nonnull (error);
  g_assert_cmpuint (status, ==, SOUP_STATUS_FORBIDDEN);
  g_assert_cmpuint (lattice_signal_server_get_n_clients (f->server), ==, 0);

  good = lattice_test_ws_connect (f->uri, "https://good.example", &status, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_SWITCHING_PROTOCOLS);

  /* Native clients send no Origin at all. */
  native = lattice_test_ws_connect (f->uri, NULL, NULL, NULL);
}

typedef struct {
  gboolean  done;
  GBytes   *body;
  GError   *error;
} Fetch;

static void
on_fetched (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Fetch *fetch = user_data;

  fetch->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &fetch->error);
  fetch->done = TRUE;
}

static char *
http_get (const char *uri,
          guint      *status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, uri);
  Fetch fetch = { FALSE, NULL, NULL };
  gsize size = 0;
  const char *data;
  char *text;

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_fetched, &fetch);
  g_assert_true (lattice_test_wait_until (is_true, &fetch.done, LATTICE_TEST_WAIT_MS));
  g_assert_no_error (fetch.error);

  *status = soup_message_get_status (msg);
  data = g_bytes_get_data (fetch.body, &size);
  text = g_strndup (data, size);
  g_bytes_unref (fetch.body);
  return text;
}

static void
test_room_page (Fixture       *f,
                gconstpointer  data)
{
  const char *missing[] = { "/", "/a/b", "/bad%20room", "/team-standup/x" };
  g_autofree char *page_uri = NULL;
  g_autofree char *page = NULL;
  g_autofree char *link = NULL;
  guint status = 0;

  fixture_listen (f);
  page_uri = g_strconcat (f->http_base, "/team-standup", NULL);
  page = http_get (page_uri, &status);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  link = g_strdup_printf ("lattice://127.0.0.1:%u/team-standup?tls=no",
                          lattice_signal_server_get_port (f->server));
  g_assert_nonnull (strstr (page, link));
  g_assert_nonnull (strstr (page, "<html"));

  for (gsize i = 0; i < G_N_ELEMENTS (missing); i++)
    {
      g_autofree char *uri = g_strconcat (f->http_base, missing[i], NULL);
      g_autofree char *body = http_get (uri, &status);

      g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);
    }
}

/* --- ICE servers --------------------------------------------------------- */

static LatticeIceServer *
find_ice_server (GPtrArray  *servers,
                 const char *url)
{
  for (guint i = 0; i < servers->len; i++)
    {
      LatticeIceServer *server = g_ptr_array_index (servers, i);

      if (g_strv_contains ((const char *const *) server->urls, url))
        return server;
    }
  return NULL;
}

static LatticeIceServer *
get_ice_server (GPtrArray  *servers,
                const char *url)
{
  LatticeIceServer *server = find_ice_server (servers, url);

  if (server == NULL)
    g_error ("No ICE server for %s", url);  /* fails the test; never returns */
  return server;
}

static char *
expected_credential (const char *secret,
                     const char *username)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  guint8 digest[20];
  gsize len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) username, strlen (username));
  g_hmac_get_digest (hmac, digest, &len);
  return g_base64_encode (digest, len);
}

static const char *const stun[] = { "stun:stun.example.org:3478", NULL };
static const char *const turn[] = {
  "turn:turn.example.org:3478?transport=udp",
  "turns:alice:pa%40ss@turn2.example.org:5349",
  NULL
};

static void
test_turn_credentials (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(LatticeTestWs) ws = NULL;
  g_autoptr(LatticeMessage) joined = NULL;
  g_autofree char *credential = NULL;
  g_autofree char *json = NULL;
  g_auto(GStrv) parts = NULL;
  LatticeIceServer *server;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 expiry;

  g_object_set (f->server, "stun-servers", stun, "turn-servers", turn,
                "turn-secret", "sekrit", NULL);
  fixture_listen (f);
  ws = connect_hello (f->uri);
  joined = join (ws, "team", "Ada", NULL, NULL);
  g_assert_cmpuint (joined->ice_servers->len, ==, 3);

  server = get_ice_server (joined->ice_servers, "stun:stun.example.org:3478");
  g_assert_null (server->username);

  /* Credentials written into the URI are passed on as given. */
  server = get_ice_server (joined->ice_servers, "turns:turn2.example.org:5349");
  g_assert_cmpstr (server->username, ==, "alice");
  g_assert_cmpstr (server->credential, ==, "pa@ss");

  /* The others get "<expiry>:<id>" signed with the secret. */
  server = get_ice_server (joined->ice_servers, "turn:turn.example.org:3478?transport=udp");
  g_assert_nonnull (server->username);
  parts = g_strsplit (server->username, ":", 2);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  g_assert_cmpstr (parts[1], ==, joined->id);
  expiry = g_ascii_strtoll (parts[0], NULL, 10);
  g_assert_cmpint (expiry, >=, now + 24 * 3600 - 600);
  g_assert_cmpint (expiry, <=, now + 24 * 3600 + 600);
  credential = expected_credential ("sekrit", server->username);
  g_assert_cmpstr (server->credential, ==, credential);
  json = lattice_message_to_json (joined);
  g_assert_null (strstr (json, "sekrit"));
}

static void
test_turn_without_secret (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(LatticeTestWs) ws = NULL;
  g_autoptr(LatticeMessage) joined = NULL;

  g_object_set (f->server, "stun-servers", stun, "turn-servers", turn, NULL);
  fixture_listen (f);
  ws = connect_hello (f->uri);
  joined = join (ws, "team", "Ada", NULL, NULL);

  /* No credentials to give for the plain TURN URI, so it is left out. */
  g_assert_cmpuint (joined->ice_servers->len, ==, 2);
  g_assert_nonnull (find_ice_server (joined->ice_servers, "stun:stun.example.org:3478"));
  g_assert_nonnull (find_ice_server (joined->ice_servers, "turns:turn2.example.org:5349"));
  g_assert_null (find_ice_server (joined->ice_servers, "turn:turn.example.org:3478?transport=udp"));
}

/* --- Password guessing, connections per address ------------------------- */

/* Sends one frame as a fake client and returns the one reply it got. */
static LatticeMessage *
fake_exchange (LatticeSignalServer *server,
               LatticeServerClient *client,
               const char          *text)
{
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GError) error = NULL;
  LatticeMessage *reply;

  lattice_server_client_receive (client, FALSE, text, strlen (text));
  sent = lattice_server_client_take_sent (client);
  g_assert_cmpuint (sent->len, ==, 1);
  reply = lattice_message_parse (sent->pdata[0], -1, LATTICE_ORIGIN_SERVER, &error);
  g_assert_no_error (error);
  return reply;
}

static void
test_password_guessing (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(LatticeTestWs) a = NULL;
  g_autoptr(LatticeTestWs) b = NULL;
  g_autoptr(LatticeMessage) joined_a = NULL;
  g_autoptr(LatticeMessage) joined_b = NULL;
  g_autoptr(LatticeMessage) limited = NULL;
  g_autoptr(LatticeMessage) other_limited = NULL;
  g_autoptr(LatticeMessage) welcome = NULL;
  g_autoptr(LatticeMessage) other_joined = NULL;
  g_autoptr(LatticeMessage) elsewhere = NULL;
  LatticeServerClient *other;

  /* An hour's cool-down, shortened below: no waiting on the clock. */
  g_object_set (f->server, "max-password-attempts", 3, "password-cooldown", 3600 * 1000, NULL);
  fixture_listen (f);
  a = connect_hello (f->uri);
  joined_a = join (a, "vault", "Ada", "right", NULL);

  b = connect_hello (f->uri);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(LatticeMessage) wrong = NULL;

      send_join (b, "vault", "Eve", "guess", NULL);
      wrong = lattice_test_ws_expect_error (b, "wrong-password");
    }

  /* Blocked now, whatever the password; the connection stays open. */
  send_join (b, "vault", "Eve", "right", NULL);
  limited = lattice_test_ws_expect_error (b, "rate-limited");
  g_assert_cmpstr (limited->ref_type, ==, "join");
  g_assert_false (b->closed);

  /* Only for that room... */
  elsewhere = join (b, "lobby", "Eve", NULL, NULL);
  g_clear_pointer (&b, lattice_test_ws_free);
  b = connect_hello (f->uri);

  /* ...and only from that address: a client from elsewhere gets in. */
  other = lattice_signal_server_add_fake_client (f->server, "192.0.2.7");
  welcome = fake_exchange (f->server, other, "{\"type\":\"hello\",\"version\":1}");
  g_assert_cmpint (welcome->type, ==, LATTICE_MESSAGE_WELCOME);
  other_joined = fake_exchange (f->server, other,
                                "{\"type\":\"join\",\"room\":\"vault\",\"name\":\"Bob\","
                                "\"password\":\"right\"}");
  g_assert_cmpint (other_joined->type, ==, LATTICE_MESSAGE_JOINED);
  lattice_server_client_close (other, SOUP_WEBSOCKET_CLOSE_NORMAL);

  send_join (b, "vault", "Eve", "right", NULL);
  other_limited = lattice_test_ws_expect_error (b, "rate-limited");

  /* After the cool-down the right password works. */
  g_object_set (f->server, "password-cooldown", 1, NULL);
  let_time_pass (5);
  joined_b = join (b, "vault", "Eve", "right", NULL);
}

static gboolean
two_connections_left (gpointer user_data)
{
  return lattice_signal_server_get_n_connections_from (user_data, "127.0.0.1") == 2;
}

static void
test_connections_per_address (Fixture       *f,
                              gconstpointer  data)
{
  LatticeTestWs *open[3] = { NULL, };
  g_autoptr(LatticeTestWs) again = NULL;
  g_autoptr(LatticeTestWs) refused = NULL;
  g_autoptr(GError) error = NULL;
  guint status = 0;

  g_object_set (f->server, "max-connections-per-address", G_N_ELEMENTS (open), NULL);
  fixture_listen (f);
  for (guint i = 0; i < G_N_ELEMENTS (open); i++)
    open[i] = connect_hello (f->uri);
  g_assert_cmpuint (lattice_signal_server_get_n_connections_from (f->server, "127.0.0.1"), ==, 3);

  refused = lattice_test_ws_connect (f->uri, NULL, &status, &error);
  g_assert_null (refused);
  g_assert_nonnull (error);
  g_assert_cmpuint (status, ==, 429);

  /* A connection that closes makes room for another. */
  g_clear_pointer (&open[0], lattice_test_ws_free);
  g_assert_true (lattice_test_wait_until (two_connections_left, f->server, LATTICE_TEST_WAIT_MS));
  again = connect_hello (f->uri);

  for (guint i = 0; i < G_N_ELEMENTS (open); i++)
    g_clear_pointer (&open[i], lattice_test_ws_free);
}

/* --- wss:// --------------------------------------------------------------- */

/* A self-signed certificate for 127.0.0.1, made with openssl in @dir. */
static GTlsCertificate *
make_certificate (const char *dir)
{
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autoptr(GSubprocess) openssl = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate;

  openssl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                              &error, "openssl", "req", "-x509", "-newkey", "ec",
                              "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                              "-keyout", key, "-out", cert, "-days", "1",
                              "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                              NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (openssl, NULL, &error));
  g_assert_no_error (error);

  certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);
  return certificate;
}

static void
test_wss (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *dir = NULL;
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LatticeTestWs) ws = NULL;
  g_autoptr(LatticeTestWs) plain = NULL;
  g_autoptr(LatticeTestWs) untrusted = NULL;
  g_autoptr(LatticeMessage) welcome = NULL;
  g_autoptr(LatticeMessage) joined = NULL;
  g_autofree char *wss_uri = NULL;

  if (openssl == NULL || !g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("needs openssl and a GIO TLS backend (glib-networking)");
      return;
    }

  dir = g_dir_make_tmp ("lattice-test-XXXXXX", &error);
  g_assert_no_error (error);
  certificate = make_certificate (dir);
  g_object_set (f->server, "tls-certificate", certificate, NULL);
  fixture_listen (f);
  wss_uri = g_strdup_printf ("wss://127.0.0.1:%u/ws", lattice_signal_server_get_port (f->server));

  ws = lattice_test_ws_connect_tls (wss_uri, NULL, certificate, NULL, NULL);
  lattice_test_ws_send (ws, "{\"type\":\"hello\",\"version\":1}");
  welcome = lattice_test_ws_expect (ws, LATTICE_MESSAGE_WELCOME);
  joined = join (ws, "secure", "Ada", NULL, NULL);

  /* Not without trusting that certificate, and not in plain text. */
  untrusted = lattice_test_ws_connect_tls (wss_uri, NULL, NULL, NULL, &error);
  g_assert_null (untrusted);
  g_assert_nonnull (error);
  g_clear_error (&error);
  plain = lattice_test_ws_connect (f->uri, NULL, NULL, &error);
  g_assert_null (plain);
  g_assert_nonnull (error);

  g_clear_pointer (&ws, lattice_test_ws_free);
  for (const char *const *name = (const char *const[]) { "cert.pem", "key.pem", NULL }; *name; name++)
    {
      g_autofree char *path = g_build_filename (dir, *name, NULL);

      g_assert_cmpint (g_remove (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_listen_busy_port (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(LatticeSignalServer) other = lattice_signal_server_new ();
  g_autoptr(GError) error = NULL;

  fixture_listen (f);
  g_assert_false (lattice_signal_server_listen (other, "127.0.0.1",
                                                lattice_signal_server_get_port (f->server), &error));
  g_assert_nonnull (error);
  g_assert_finalize_object (g_steal_pointer (&other));
}

#define ADD(path, func) \
  g_test_add ("/server/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("hello-welcome", test_hello_welcome);
  ADD ("version-unsupported", test_version_unsupported);
  ADD ("handshake-required", test_handshake_required);
  ADD ("join-participants", test_join_participants);
  ADD ("left-broadcasts", test_left_broadcasts);
  ADD ("state", test_state);
  ADD ("not-joined", test_not_joined);
  ADD ("relay", test_relay);
  ADD ("no-relay-across-rooms", test_no_relay_across_rooms);
  ADD ("wrong-password", test_wrong_password);
  ADD ("room-full", test_room_full);
  ADD ("bad-input-keeps-connection", test_bad_input_keeps_connection);
  ADD ("oversized", test_oversized);
  ADD ("rate-limited", test_rate_limited);
  ADD ("heartbeat-timeout", test_heartbeat_timeout);
  ADD ("resume-replaces-connection", test_resume_replaces_connection);
  ADD ("resume-after-restart", test_resume_after_restart);
  ADD ("bad-tokens", test_bad_tokens);
  ADD ("cannot-claim-id", test_cannot_claim_id);
  ADD ("origin-allow-list", test_origin_allow_list);
  ADD ("room-page", test_room_page);
  ADD ("turn-credentials", test_turn_credentials);
  ADD ("turn-without-secret", test_turn_without_secret);
  ADD ("listen-busy-port", test_listen_busy_port);
  ADD ("password-guessing", test_password_guessing);
  ADD ("connections-per-address", test_connections_per_address);
  ADD ("wss", test_wss);

  return g_test_run ();
}
