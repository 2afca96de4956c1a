/* test-protocol.c: the signaling codec, message by message and byte by byte
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeTest"

#include "config.h"

#include <string.h>
#include <glib-object.h>

#include "lattice-protocol.h"

#define ALL_CODES_COUNT (LATTICE_PROTOCOL_ERROR_INTERNAL + 1)

static LatticeMessage *
parse_ok (const char    *text,
          LatticeOrigin  origin)
{
  g_autoptr(GError) error = NULL;
  LatticeMessage *message = lattice_message_parse (text, -1, origin, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

/* Serializes, checks the text is one compact line, and parses it back. */
static LatticeMessage *
round_trip (const LatticeMessage *message,
            LatticeOrigin         origin)
{
  g_autofree char *json = lattice_message_to_json (message);

  g_test_message ("%s", json);
  g_assert_null (strchr (json, '\n'));
  g_assert_null (strstr (json, ": "));
  return parse_ok (json, origin);
}

static void
assert_parse_fails (const char           *text,
                    gssize                length,
                    LatticeOrigin         origin,
                    LatticeProtocolError  code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LatticeMessage) message = lattice_message_parse (text, length, origin, &error);

  g_assert_null (message);
  g_assert_error (error, LATTICE_PROTOCOL_ERROR, (gint) code);
  g_assert_nonnull (error->message);
}

static void
assert_same_participant (const LatticeParticipantInfo *a,
                         const LatticeParticipantInfo *b)
{
  g_assert_cmpstr (a->id, ==, b->id);
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpint (a->audio_muted, ==, b->audio_muted);
  g_assert_cmpint (a->video_off, ==, b->video_off);
  g_assert_cmpint (a->hand_raised, ==, b->hand_raised);
}

static void
test_hello (void)
{
  g_autoptr(LatticeMessage) hello = lattice_message_new (LATTICE_MESSAGE_HELLO);
  g_autoptr(LatticeMessage) parsed = NULL;
  g_autoptr(LatticeMessage) bare = NULL;

  hello->version = LATTICE_PROTOCOL_VERSION;
  hello->software = g_strdup ("lattice 0.1.0");
  parsed = round_trip (hello, LATTICE_ORIGIN_CLIENT);
  g_assert_cmpint (parsed->type, ==, LATTICE_MESSAGE_HELLO);
  g_assert_cmpuint (parsed->version, ==, 1);
  g_assert_cmpstr (parsed->software, ==, "lattice 0.1.0");

  /* A newer version still parses: answering it is the server's job. */
  bare = parse_ok ("{\"type\":\"hello\",\"version\":7,\"future\":[1,{\"x\":null}]}",
                   LATTICE_ORIGIN_CLIENT);
  g_assert_cmpuint (bare->version, ==, 7);
  g_assert_null (bare->software);
}

static void
test_welcome (void)
{
  g_autoptr(LatticeMessage) welcome = lattice_message_new (LATTICE_MESSAGE_WELCOME);
  g_autoptr(LatticeMessage) parsed = NULL;
  g_autofree char *json = NULL;

  welcome->version = 1;
  welcome->software = g_strdup ("lattice-server 0.1.0");
  welcome->heartbeat_ms = 5000;
  json = lattice_message_to_json (welcome);
  g_assert_nonnull (strstr (json, "\"heartbeatMs\":5000"));

  parsed = round_trip (welcome, LATTICE_ORIGIN_SERVER);
  g_assert_cmpint (parsed->type, ==, LATTICE_MESSAGE_WELCOME);
  g_assert_cmpuint (parsed->version, ==, 1);
  g_assert_cmpuint (parsed->heartbeat_ms, ==, 5000);
  g_assert_cmpstr (parsed->software, ==, "lattice-server 0.1.0");
}

static void
test_join (void)
{
  g_autoptr(LatticeMessage) join = lattice_message_new (LATTICE_MESSAGE_JOIN);
  g_autoptr(LatticeMessage) parsed = NULL;
  g_autoptr(LatticeMessage) minimal = NULL;

  join->room = g_strdup ("team-standup");
  join->name = g_strdup ("Ada «the Countess» Lovelace 🧮");
  join->password = g_strdup ("p\"a\\ss\nword");
  join->token = g_strdup ("dG9rZW4");
  parsed = round_trip (join, LATTICE_ORIGIN_CLIENT);
  g_assert_cmpstr (parsed->room, ==, join->room);
  g_assert_cmpstr (parsed->name, ==, join->name);
  g_assert_cmpstr (parsed->password, ==, join->password);
  g_assert_cmpstr (parsed->token, ==, join->token);

  /* Optional fields may be absent or null. */
  minimal = parse_ok ("{\"type\":\"join\",\"room\":\"a\",\"name\":\"B\",\"password\":null}",
                      LATTICE_ORIGIN_CLIENT);
  g_assert_null (minimal->password);
  g_assert_null (minimal->token);
}

static void
test_joined (void)
{
  g_autoptr(LatticeMessage) joined = lattice_message_new (LATTICE_MESSAGE_JOINED);
  g_autoptr(LatticeMessage) parsed = NULL;
  g_autoptr(LatticeMessage) empty = NULL;
  const char *stun[] = { "stun:stun.example.org:3478", NULL };
  const char *turn[] = { "turn:turn.example.org:3478?transport=udp",
                         "turns:turn.example.org:5349", NULL };
  LatticeParticipantInfo *grace = lattice_participant_info_new ("3f9a0c1d2b4e5f60", "Grace");
  LatticeIceServer *server;

  grace->video_off = TRUE;
  grace->hand_raised = TRUE;
  joined->room = g_strdup ("team-standup");
  joined->id = g_strdup ("0123456789abcdef");
  joined->token = g_strdup ("secret-token");
  joined->resumed = TRUE;
  g_ptr_array_add (joined->participants, grace);
  g_ptr_array_add (joined->participants, lattice_participant_info_new ("b", "Linus"));
  g_ptr_array_add (joined->ice_servers, lattice_ice_server_new (stun, NULL, NULL));
  g_ptr_array_add (joined->ice_servers, lattice_ice_server_new (turn, "123:abc", "cred"));

  parsed = round_trip (joined, LATTICE_ORIGIN_SERVER);
  g_assert_cmpstr (parsed->room, ==, "team-standup");
  g_assert_cmpstr (parsed->id, ==, "0123456789abcdef");
  g_assert_cmpstr (parsed->token, ==, "secret-token");
  g_assert_true (parsed->resumed);
  g_assert_cmpuint (parsed->participants->len, ==, 2);
  assert_same_participant (g_ptr_array_index (parsed->participants, 0), grace);
  assert_same_participant (g_ptr_array_index (parsed->participants, 1),
                           g_ptr_array_index (joined->participants, 1));
  g_assert_cmpuint (parsed->ice_servers->len, ==, 2);
  server = g_ptr_array_index (parsed->ice_servers, 0);
  g_assert_cmpstrv (server->urls, stun);
  g_assert_null (server->username);
  g_assert_null (server->credential);
  server = g_ptr_array_index (parsed->ice_servers, 1);
  g_assert_cmpstrv (server->urls, turn);
  g_assert_cmpstr (server->username, ==, "123:abc");
  g_assert_cmpstr (server->credential, ==, "cred");

  /* Absent lists read as empty ones; a single url string is accepted. */
  empty = parse_ok ("{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\","
                    "\"iceServers\":[{\"urls\":\"stun:h:1\"}]}", LATTICE_ORIGIN_SERVER);
  g_assert_false (empty->resumed);
  g_assert_cmpuint (empty->participants->len, ==, 0);
  g_assert_cmpuint (empty->ice_servers->len, ==, 1);
  server = g_ptr_array_index (empty->ice_servers, 0);
  g_assert_cmpstr (server->urls[0], ==, "stun:h:1");
  g_assert_null (server->urls[1]);
}

static void
test_participant_messages (void)
{
  const LatticeMessageType types[] = { LATTICE_MESSAGE_PARTICIPANT_JOINED,
                                       LATTICE_MESSAGE_PARTICIPANT_STATE };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(LatticeMessage) message = lattice_message_new (types[i]);
      g_autoptr(LatticeMessage) parsed = NULL;
      g_autofree char *json = NULL;

      message->participant = lattice_participant_info_new ("peer-1", "Ada");
      message->participant->audio_muted = TRUE;
      json = lattice_message_to_json (message);
      g_assert_nonnull (strstr (json, "\"audioMuted\":true"));
      g_assert_nonnull (strstr (json, "\"videoOff\":false"));
      g_assert_nonnull (strstr (json, "\"handRaised\":false"));

      parsed = round_trip (message, LATTICE_ORIGIN_SERVER);
      g_assert_cmpint (parsed->type, ==, types[i]);
      assert_same_participant (parsed->participant, message->participant);
    }
}

static void
test_participant_left (void)
{
  const char *reasons[] = { "left", "timeout", "disconnected" };

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      g_autoptr(LatticeMessage) left = lattice_message_new (LATTICE_MESSAGE_PARTICIPANT_LEFT);
      g_autoptr(LatticeMessage) parsed = NULL;

      left->id = g_strdup ("3f9a0c1d2b4e5f60");
      left->reason = g_strdup (reasons[i]);
      parsed = round_trip (left, LATTICE_ORIGIN_SERVER);
      g_assert_cmpstr (parsed->id, ==, left->id);
      g_assert_cmpstr (parsed->reason, ==, reasons[i]);
    }
}

static void
test_state (void)
{
  const LatticeStateFields all = LATTICE_STATE_FIELD_AUDIO_MUTED |
                                 LATTICE_STATE_FIELD_VIDEO_OFF |
                                 LATTICE_STATE_FIELD_HAND_RAISED |
                                 LATTICE_STATE_FIELD_NAME;

  /* Every non-empty subset of the fields, with true values. */
  for (guint fields = 1; fields <= all; fields++)
    {
      g_autoptr(LatticeMessage) state = lattice_message_new (LATTICE_MESSAGE_STATE);
      g_autoptr(LatticeMessage) parsed = NULL;

      state->participant = lattice_participant_info_new (NULL, "Renamed");
      state->participant->audio_muted = TRUE;
      state->participant->video_off = TRUE;
      state->participant->hand_raised = TRUE;
      state->state_fields = fields;

      parsed = round_trip (state, LATTICE_ORIGIN_CLIENT);
      g_assert_cmpint (parsed->state_fields, ==, fields);
      g_assert_cmpint (parsed->participant->audio_muted, ==,
                       !!(fields & LATTICE_STATE_FIELD_AUDIO_MUTED));
      g_assert_cmpint (parsed->participant->video_off, ==,
                       !!(fields & LATTICE_STATE_FIELD_VIDEO_OFF));
      g_assert_cmpint (parsed->participant->hand_raised, ==,
                       !!(fields & LATTICE_STATE_FIELD_HAND_RAISED));
      g_assert_cmpstr (parsed->participant->name, ==,
                       (fields & LATTICE_STATE_FIELD_NAME) ? "Renamed" : NULL);
    }
}

static void
test_offer_answer (void)
{
  const LatticeMessageType types[] = { LATTICE_MESSAGE_OFFER, LATTICE_MESSAGE_ANSWER };
  const char *sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n";

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(LatticeMessage) sent = lattice_message_new (types[i]);
      g_autoptr(LatticeMessage) relayed = lattice_message_new (types[i]);
      g_autoptr(LatticeMessage) parsed_sent = NULL;
      g_autoptr(LatticeMessage) parsed_relayed = NULL;
      g_autoptr(LatticeMessage) forged = NULL;

      sent->to = g_strdup ("bob");
      sent->sdp = g_strdup (sdp);
      parsed_sent = round_trip (sent, LATTICE_ORIGIN_CLIENT);
      g_assert_cmpint (parsed_sent->type, ==, types[i]);
      g_assert_cmpstr (parsed_sent->to, ==, "bob");
      g_assert_null (parsed_sent->from);
      g_assert_cmpstr (parsed_sent->sdp, ==, sdp);

      relayed->from = g_strdup ("alice");
      relayed->sdp = g_strdup (sdp);
      parsed_relayed = round_trip (relayed, LATTICE_ORIGIN_SERVER);
      g_assert_cmpstr (parsed_relayed->from, ==, "alice");
      g_assert_null (parsed_relayed->to);
      g_assert_cmpstr (parsed_relayed->sdp, ==, sdp);

      /* A "from" written by a client is never believed. */
      forged = parse_ok (i == 0 ? "{\"type\":\"offer\",\"to\":\"b\",\"from\":\"x\",\"sdp\":\"v=0\"}"
                                : "{\"type\":\"answer\",\"to\":\"b\",\"from\":\"x\",\"sdp\":\"v=0\"}",
                         LATTICE_ORIGIN_CLIENT);
      g_assert_null (forged->from);
    }
}

static void
test_candidate (void)
{
  g_autoptr(LatticeMessage) sent = lattice_message_new (LATTICE_MESSAGE_CANDIDATE);
  g_autoptr(LatticeMessage) relayed = lattice_message_new (LATTICE_MESSAGE_CANDIDATE);
  g_autoptr(LatticeMessage) parsed = NULL;
  g_autoptr(LatticeMessage) end = NULL;
  g_autofree char *json = NULL;

  sent->to = g_strdup ("bob");
  sent->candidate = g_strdup ("candidate:1 1 UDP 2122252543 192.0.2.1 54321 typ host");
  sent->sdp_mid = g_strdup ("0");
  sent->sdp_mline_index = 0;
  json = lattice_message_to_json (sent);
  g_assert_nonnull (strstr (json, "\"sdpMid\":\"0\""));
  g_assert_nonnull (strstr (json, "\"sdpMLineIndex\":0"));
  parsed = round_trip (sent, LATTICE_ORIGIN_CLIENT);
  g_assert_cmpstr (parsed->to, ==, "bob");
  g_assert_cmpstr (parsed->candidate, ==, sent->candidate);
  g_assert_cmpstr (parsed->sdp_mid, ==, "0");
  g_assert_cmpint (parsed->sdp_mline_index, ==, 0);

  /* End-of-candidates: empty candidate, no mid. */
  relayed->from = g_strdup ("alice");
  relayed->candidate = g_strdup ("");
  relayed->sdp_mline_index = 3;
  end = round_trip (relayed, LATTICE_ORIGIN_SERVER);
  g_assert_cmpstr (end->from, ==, "alice");
  g_assert_cmpstr (end->candidate, ==, "");
  g_assert_null (end->sdp_mid);
  g_assert_cmpint (end->sdp_mline_index, ==, 3);
}

static void
test_leave_ping_pong (void)
{
  g_autoptr(LatticeMessage) leave = lattice_message_new (LATTICE_MESSAGE_LEAVE);
  g_autoptr(LatticeMessage) parsed_leave = round_trip (leave, LATTICE_ORIGIN_CLIENT);
  const LatticeOrigin origins[] = { LATTICE_ORIGIN_CLIENT, LATTICE_ORIGIN_SERVER };
  const LatticeMessageType types[] = { LATTICE_MESSAGE_PING, LATTICE_MESSAGE_PONG };

  g_assert_cmpint (parsed_leave->type, ==, LATTICE_MESSAGE_LEAVE);

  for (guint o = 0; o < G_N_ELEMENTS (origins); o++)
    for (guint t = 0; t < G_N_ELEMENTS (types); t++)
      {
        g_autoptr(LatticeMessage) ping = lattice_message_new (types[t]);
        g_autoptr(LatticeMessage) parsed = NULL;

        ping->seq = G_GUINT64_CONSTANT (9007199254740993);
        parsed = round_trip (ping, origins[o]);
        g_assert_cmpint (parsed->type, ==, types[t]);
        g_assert_cmpuint (parsed->seq, ==, ping->seq);
      }
}

static void
test_error_message (void)
{
  g_autoptr(LatticeMessage) error = lattice_message_new (LATTICE_MESSAGE_ERROR);
  g_autoptr(LatticeMessage) parsed = NULL;
  g_autoptr(LatticeMessage) future = NULL;
  g_autofree char *json = NULL;

  error->code = g_strdup ("wrong-password");
  error->message = g_strdup ("The room password is wrong");
  error->ref_type = g_strdup ("join");
  json = lattice_message_to_json (error);
  g_assert_cmpstr (json, ==, "{\"type\":\"error\",\"code\":\"wrong-password\","
                             "\"message\":\"The room password is wrong\",\"ref\":\"join\"}");
  parsed = round_trip (error, LATTICE_ORIGIN_SERVER);
  g_assert_cmpstr (parsed->code, ==, "wrong-password");
  g_assert_cmpstr (parsed->message, ==, "The room password is wrong");
  g_assert_cmpstr (parsed->ref_type, ==, "join");

  /* A code from a newer server is passed on, not refused. */
  future = parse_ok ("{\"type\":\"error\",\"code\":\"new-thing\",\"message\":\"m\"}",
                     LATTICE_ORIGIN_SERVER);
  g_assert_cmpstr (future->code, ==, "new-thing");
  g_assert_null (future->ref_type);
}

/* Every code maps to a distinct string and back, and travels in an error
 * message built by the builders. */
static void
test_error_codes (void)
{
  LatticeProtocolError out = LATTICE_PROTOCOL_ERROR_INTERNAL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < ALL_CODES_COUNT; i++)
    {
      const char *code = lattice_protocol_error_to_code (i);
      g_autoptr(GError) gerror = g_error_new (LATTICE_PROTOCOL_ERROR, i, "because %u", i);
      g_autofree char *built = lattice_message_build_error (i, NULL, "join");
      g_autofree char *from_gerror = lattice_message_build_error_from_gerror (gerror, NULL);
      g_autoptr(LatticeMessage) parsed = parse_ok (built, LATTICE_ORIGIN_SERVER);
      g_autoptr(LatticeMessage) parsed_gerror = parse_ok (from_gerror, LATTICE_ORIGIN_SERVER);
      g_autofree char *because = g_strdup_printf ("because %u", i);

      g_assert_nonnull (code);
      g_assert_false (g_hash_table_contains (seen, code));
      g_hash_table_add (seen, (gpointer) code);
      g_assert_true (lattice_protocol_error_from_code (code, &out));
      g_assert_cmpint (out, ==, i);

      g_assert_cmpstr (parsed->code, ==, code);
      g_assert_cmpstr (parsed->ref_type, ==, "join");
      g_assert_nonnull (parsed->message);
      g_assert_cmpstr (parsed->message, !=, "");
      g_assert_cmpstr (parsed_gerror->code, ==, code);
      g_assert_cmpstr (parsed_gerror->message, ==, because);
      g_assert_null (parsed_gerror->ref_type);
    }

  g_assert_cmpstr (lattice_protocol_error_to_code (LATTICE_PROTOCOL_ERROR_BAD_JSON), ==, "bad-json");
  g_assert_cmpstr (lattice_protocol_error_to_code (LATTICE_PROTOCOL_ERROR_VERSION_UNSUPPORTED),
                   ==, "version-unsupported");
  g_assert_false (lattice_protocol_error_from_code ("no-such-code", &out));
  g_assert_false (lattice_protocol_error_from_code ("", NULL));
}

static void
test_error_from_foreign_gerror (void)
{
  g_autoptr(GError) gerror = g_error_new_literal (G_URI_ERROR, G_URI_ERROR_FAILED, "disk on fire");
  g_autofree char *json = lattice_message_build_error_from_gerror (gerror, "offer");
  g_autoptr(LatticeMessage) parsed = parse_ok (json, LATTICE_ORIGIN_SERVER);

  g_assert_cmpstr (parsed->code, ==, "internal");
  g_assert_cmpstr (parsed->message, ==, "disk on fire");
  g_assert_cmpstr (parsed->ref_type, ==, "offer");
}

/* A participant refuses another's offer; the server relays it like one. */
static void
test_reject (void)
{
  g_autoptr(LatticeMessage) sent = parse_ok ("{\"type\":\"reject\",\"to\":\"b0\",\"code\":\"slow-down\","
                                             "\"message\":\"Too many offers\",\"ref\":\"offer\"}",
                                             LATTICE_ORIGIN_CLIENT);
  g_autoptr(LatticeMessage) relayed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *long_message = g_strnfill (257, 'x');
  g_autofree char *too_long = g_strdup_printf ("{\"type\":\"reject\",\"to\":\"b0\",\"code\":\"busy\","
                                               "\"message\":\"%s\"}", long_message);
  const char *bad_codes[] = { "\"\"", "\"Slow-Down\"", "\"slow down\"", "\"<b>\"", "42",
                              "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"" };

  g_assert_cmpint (sent->type, ==, LATTICE_MESSAGE_REJECT);
  g_assert_cmpstr (sent->to, ==, "b0");
  g_assert_cmpstr (sent->code, ==, LATTICE_REJECT_SLOW_DOWN);
  g_assert_cmpstr (sent->message, ==, "Too many offers");
  g_assert_cmpstr (sent->ref_type, ==, "offer");

  g_clear_pointer (&sent->to, g_free);
  sent->from = g_strdup ("a1");
  json = lattice_message_to_json (sent);
  relayed = parse_ok (json, LATTICE_ORIGIN_SERVER);
  g_assert_cmpstr (relayed->from, ==, "a1");
  g_assert_null (relayed->to);
  g_assert_cmpstr (relayed->code, ==, "slow-down");

  /* a client must name whom, the server whence */
  g_assert_null (lattice_message_parse ("{\"type\":\"reject\",\"code\":\"busy\",\"message\":\"\"}", -1,
                                        LATTICE_ORIGIN_CLIENT, &error));
  g_assert_error (error, LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_MISSING_FIELD);
  g_clear_error (&error);
  for (guint i = 0; i < G_N_ELEMENTS (bad_codes); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"type\":\"reject\",\"to\":\"b0\",\"code\":%s,"
                                               "\"message\":\"m\"}", bad_codes[i]);

      g_assert_null (lattice_message_parse (text, -1, LATTICE_ORIGIN_CLIENT, &error));
      g_assert_error (error, LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_INVALID_FIELD);
      g_clear_error (&error);
    }
  g_assert_null (lattice_message_parse (too_long, -1, LATTICE_ORIGIN_CLIENT, &error));
  g_assert_error (error, LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_INVALID_FIELD);
}

/* unknown-target says whom it could not find */
static void
test_error_target (void)
{
  g_autoptr(LatticeMessage) error_message = lattice_message_new (LATTICE_MESSAGE_ERROR);
  g_autoptr(LatticeMessage) parsed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  error_message->code = g_strdup ("unknown-target");
  error_message->message = g_strdup ("Nobody in this room has that id");
  error_message->ref_type = g_strdup ("offer");
  error_message->to = g_strdup ("c2");
  json = lattice_message_to_json (error_message);
  parsed = parse_ok (json, LATTICE_ORIGIN_SERVER);
  g_assert_cmpstr (parsed->to, ==, "c2");
  g_assert_null (lattice_message_parse ("{\"type\":\"error\",\"code\":\"x\",\"message\":\"\",\"to\":\"\"}",
                                        -1, LATTICE_ORIGIN_SERVER, &error));
  g_assert_error (error, LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_INVALID_FIELD);
}

static void
test_type_names (void)
{
  for (guint i = 0; i <= LATTICE_MESSAGE_LAST; i++)
    {
      g_autoptr(LatticeMessage) message = lattice_message_new (i);
      g_autofree char *json = lattice_message_to_json (message);
      g_autofree char *expected = g_strdup_printf ("{\"type\":\"%s\"",
                                                   lattice_message_type_to_string (i));

      g_assert_true (g_str_has_prefix (json, expected));
    }

  g_assert_cmpstr (lattice_message_type_to_string (LATTICE_MESSAGE_PARTICIPANT_JOINED),
                   ==, "participant-joined");
  g_assert_cmpstr (lattice_message_type_to_string (LATTICE_MESSAGE_PARTICIPANT_STATE),
                   ==, "participant-state");
}

typedef struct {
  const char           *text;
  LatticeOrigin         origin;
  LatticeProtocolError  code;
} InvalidCase;

#define C LATTICE_ORIGIN_CLIENT
#define S LATTICE_ORIGIN_SERVER
#define BAD_JSON LATTICE_PROTOCOL_ERROR_BAD_JSON
#define UNKNOWN LATTICE_PROTOCOL_ERROR_UNKNOWN_TYPE
#define MISSING LATTICE_PROTOCOL_ERROR_MISSING_FIELD
#define INVALID LATTICE_PROTOCOL_ERROR_INVALID_FIELD

static const InvalidCase invalid_cases[] = {
  /* Not a JSON object */
  { "", C, BAD_JSON },
  { "   ", C, BAD_JSON },
  { "{", C, BAD_JSON },
  { "{\"type\":\"leave\"", C, BAD_JSON },
  { "{\"type\":\"leave\",}", C, BAD_JSON },
  { "{type:\"leave\"}", C, BAD_JSON },
  { "{'type':'leave'}", C, BAD_JSON },
  { "[{\"type\":\"leave\"}]", C, BAD_JSON },
  { "[]", S, BAD_JSON },
  { "\"leave\"", C, BAD_JSON },
  { "42", C, BAD_JSON },
  /* A control character other than SDP's line breaks and tabs, escaped in
   * the text (json-glib would write it back raw: no longer JSON) */
  { "{\"type\":\"candidate\",\"to\":\"0123456789abcdef\",\"candidate\":\"candi\\u001fashot0\",\"sdpMLineIndex\":0}", C, INVALID },
  { "null", C, BAD_JSON },
  { "true", S, BAD_JSON },
  { "{\"type\":\"leave\"} {\"type\":\"leave\"}", C, BAD_JSON },
  { "{\"type\":\"leave\"}garbage", C, BAD_JSON },
  { "\xff\xfe{\"type\":\"leave\"}", C, BAD_JSON },
  { "{\"type\":\"join\",\"room\":\"a\",\"name\":\"\xc3\x28\"}", C, BAD_JSON },
  { "{\"type\":\"join\",\"room\":\"a\",\"name\":\"\xed\xa0\x80\"}", C, BAD_JSON },
  /* The type */
  { "{}", C, MISSING },
  { "{\"type\":null}", C, INVALID },
  { "{\"type\":7}", C, INVALID },
  { "{\"type\":[\"leave\"]}", C, INVALID },
  { "{\"type\":\"\"}", C, UNKNOWN },
  { "{\"type\":\"dance\"}", C, UNKNOWN },
  { "{\"type\":\"LEAVE\"}", C, UNKNOWN },
  { "{\"type\":\"welcome\",\"version\":1,\"heartbeatMs\":5}", C, UNKNOWN },
  { "{\"type\":\"error\",\"code\":\"internal\",\"message\":\"m\"}", C, UNKNOWN },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\"}", C, UNKNOWN },
  { "{\"type\":\"hello\",\"version\":1}", S, UNKNOWN },
  { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"n\"}", S, UNKNOWN },
  { "{\"type\":\"state\",\"audioMuted\":true}", S, UNKNOWN },
  { "{\"type\":\"leave\"}", S, UNKNOWN },
  /* hello, welcome */
  { "{\"type\":\"hello\"}", C, MISSING },
  { "{\"type\":\"hello\",\"version\":\"1\"}", C, INVALID },
  { "{\"type\":\"hello\",\"version\":1.5}", C, INVALID },
  { "{\"type\":\"hello\",\"version\":-1}", C, INVALID },
  { "{\"type\":\"hello\",\"version\":4294967296}", C, INVALID },
  { "{\"type\":\"hello\",\"version\":null}", C, INVALID },
  { "{\"type\":\"hello\",\"version\":1,\"software\":5}", C, INVALID },
  { "{\"type\":\"welcome\",\"version\":1}", S, MISSING },
  { "{\"type\":\"welcome\",\"heartbeatMs\":5000}", S, MISSING },
  { "{\"type\":\"welcome\",\"version\":1,\"heartbeatMs\":0}", S, INVALID },
  { "{\"type\":\"welcome\",\"version\":1,\"heartbeatMs\":true}", S, INVALID },
  /* join */
  { "{\"type\":\"join\",\"name\":\"Ada\"}", C, MISSING },
  { "{\"type\":\"join\",\"room\":\"r\"}", C, MISSING },
  { "{\"type\":\"join\",\"room\":\"\",\"name\":\"Ada\"}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"a b\",\"name\":\"Ada\"}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"a/b\",\"name\":\"Ada\"}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"..\",\"name\":\"Ada\"}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"caf\xc3\xa9\",\"name\":\"Ada\"}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"r\\u0000x\",\"name\":\"Ada\"}", C, BAD_JSON },
  { "{\"type\":\"join\",\"room\":\"r\\u00\",\"name\":\"Ada\"}", C, BAD_JSON },
  { "{\"type\":\"join\",\"room\":\"r\\x41\",\"name\":\"Ada\"}", C, BAD_JSON },
  { "{\"type\":\"join\",\"room\":"
    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
    "\"name\":\"Ada\"}", C, INVALID },
  { "{\"type\":\"join\",\"room\":42,\"name\":\"Ada\"}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"\"}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"A\\nda\"}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"A\\u0007da\"}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"A\\u0000da\"}", C, BAD_JSON },
  { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"\\ud800\"}", C, BAD_JSON },
  { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"A\xc2\x85" "da\"}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"r\",\"name\":"
    "\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"r\",\"name\":{\"first\":\"Ada\"}}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"Ada\",\"password\":1}", C, INVALID },
  { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"Ada\",\"token\":false}", C, INVALID },
  /* joined */
  { "{\"type\":\"joined\",\"id\":\"i\",\"token\":\"t\"}", S, MISSING },
  { "{\"type\":\"joined\",\"room\":\"r\",\"token\":\"t\"}", S, MISSING },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\"}", S, MISSING },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"\",\"token\":\"t\"}", S, INVALID },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i d\",\"token\":\"t\"}", S, INVALID },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\",\"resumed\":1}", S, INVALID },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\",\"participants\":{}}", S, INVALID },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\",\"participants\":[1]}", S, INVALID },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\","
    "\"participants\":[{\"id\":\"p\"}]}", S, MISSING },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\","
    "\"participants\":[{\"id\":\"p\",\"name\":\"N\",\"videoOff\":\"yes\"}]}", S, INVALID },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\",\"iceServers\":[{}]}", S, MISSING },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\","
    "\"iceServers\":[{\"urls\":[]}]}", S, INVALID },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\","
    "\"iceServers\":[{\"urls\":[\"http://x\"]}]}", S, INVALID },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\","
    "\"iceServers\":[{\"urls\":[\"stun:x\",3]}]}", S, INVALID },
  { "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\","
    "\"iceServers\":[{\"urls\":\"turn:x\",\"username\":[]}]}", S, INVALID },
  /* participant-joined, -left, -state */
  { "{\"type\":\"participant-joined\"}", S, MISSING },
  { "{\"type\":\"participant-joined\",\"participant\":\"p\"}", S, INVALID },
  { "{\"type\":\"participant-joined\",\"participant\":{\"name\":\"N\"}}", S, MISSING },
  { "{\"type\":\"participant-state\",\"participant\":{\"id\":\"p\",\"name\":\"\"}}", S, INVALID },
  { "{\"type\":\"participant-left\"}", S, MISSING },
  { "{\"type\":\"participant-left\",\"id\":\"p\",\"reason\":3}", S, INVALID },
  /* state */
  { "{\"type\":\"state\"}", C, MISSING },
  { "{\"type\":\"state\",\"muted\":true}", C, MISSING },
  { "{\"type\":\"state\",\"audioMuted\":null}", C, MISSING },
  { "{\"type\":\"state\",\"audioMuted\":\"true\"}", C, INVALID },
  { "{\"type\":\"state\",\"videoOff\":0}", C, INVALID },
  { "{\"type\":\"state\",\"name\":\"\"}", C, INVALID },
  { "{\"type\":\"state\",\"name\":\"tab\\there\"}", C, INVALID },
  /* offer, answer, candidate */
  { "{\"type\":\"offer\",\"sdp\":\"v=0\"}", C, MISSING },
  { "{\"type\":\"offer\",\"from\":\"a\",\"sdp\":\"v=0\"}", C, MISSING },
  { "{\"type\":\"offer\",\"to\":\"a\",\"sdp\":\"v=0\"}", S, MISSING },
  { "{\"type\":\"offer\",\"to\":\"b\"}", C, MISSING },
  { "{\"type\":\"offer\",\"to\":\"b\",\"sdp\":\"\"}", C, INVALID },
  { "{\"type\":\"answer\",\"to\":5,\"sdp\":\"v=0\"}", C, INVALID },
  { "{\"type\":\"answer\",\"from\":\"a\",\"sdp\":{}}", S, INVALID },
  { "{\"type\":\"candidate\",\"to\":\"b\",\"sdpMLineIndex\":0}", C, MISSING },
  { "{\"type\":\"candidate\",\"to\":\"b\",\"candidate\":\"c\"}", C, MISSING },
  { "{\"type\":\"candidate\",\"to\":\"b\",\"candidate\":\"c\",\"sdpMLineIndex\":-1}", C, INVALID },
  { "{\"type\":\"candidate\",\"to\":\"b\",\"candidate\":\"c\",\"sdpMLineIndex\":\"0\"}", C, INVALID },
  { "{\"type\":\"candidate\",\"to\":\"b\",\"candidate\":\"c\",\"sdpMLineIndex\":0.5}", C, INVALID },
  { "{\"type\":\"candidate\",\"to\":\"b\",\"candidate\":\"c\",\"sdpMLineIndex\":2147483648}", C, INVALID },
  { "{\"type\":\"candidate\",\"to\":\"b\",\"candidate\":null,\"sdpMLineIndex\":0}", C, INVALID },
  { "{\"type\":\"candidate\",\"to\":\"b\",\"candidate\":\"c\",\"sdpMid\":0,\"sdpMLineIndex\":0}", C, INVALID },
  { "{\"type\":\"candidate\",\"from\":\"a\",\"candidate\":\"c\"}", S, MISSING },
  /* ping, pong, error */
  { "{\"type\":\"ping\",\"seq\":-1}", C, INVALID },
  { "{\"type\":\"pong\",\"seq\":\"7\"}", S, INVALID },
  { "{\"type\":\"ping\",\"seq\":1e3}", S, INVALID },
  { "{\"type\":\"error\",\"message\":\"m\"}", S, MISSING },
  { "{\"type\":\"error\",\"code\":\"internal\"}", S, MISSING },
  { "{\"type\":\"error\",\"code\":\"\",\"message\":\"m\"}", S, INVALID },
  { "{\"type\":\"error\",\"code\":\"internal\",\"message\":\"m\",\"ref\":{}}", S, INVALID },
};

static void
test_invalid_inputs (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (invalid_cases); i++)
    {
      const InvalidCase *c = &invalid_cases[i];
      /* Some cases are not UTF-8 on purpose; the TAP log must stay readable. */
      g_autofree char *shown = g_strescape (c->text, NULL);

      g_test_message ("case %u: %s", i, shown);
      assert_parse_fails (c->text, -1, c->origin, c->code);
    }
}

/* Text with an explicit length: a NUL inside, or text cut short. */
static void
test_length_delimited (void)
{
  const char with_nul[] = "{\"type\":\"leave\"}\0{\"type\":\"x\"}";
  const char nul_in_string[] = "{\"type\":\"join\",\"room\":\"r\",\"name\":\"A\0B\"}";
  g_autoptr(LatticeMessage) prefix = NULL;
  g_autoptr(GError) error = NULL;

  assert_parse_fails (with_nul, sizeof with_nul - 1, C, BAD_JSON);
  assert_parse_fails (nul_in_string, sizeof nul_in_string - 1, C, BAD_JSON);
  assert_parse_fails ("{\"type\":\"leave\"}", 5, C, BAD_JSON);
  assert_parse_fails ("{\"type\":\"leave\"}", 0, C, BAD_JSON);

  /* The length stops the parser before the trailing garbage. */
  prefix = lattice_message_parse ("{\"type\":\"leave\"}garbage", 16, C, &error);
  g_assert_no_error (error);
  g_assert_cmpint (prefix->type, ==, LATTICE_MESSAGE_LEAVE);
}

static void
test_hostile_inputs (void)
{
  g_autoptr(GString) deep = g_string_new ("{\"type\":\"leave\",\"x\":");
  g_autoptr(GString) wide = g_string_new ("{\"type\":\"leave\",\"x\":[");
  g_autoptr(GString) long_sdp = g_string_new ("{\"type\":\"offer\",\"to\":\"b\",\"sdp\":\"");
  g_autoptr(LatticeMessage) parsed_wide = NULL;
  g_autoptr(LatticeMessage) parsed_sdp = NULL;
  const char *numbers[] = {
    "{\"type\":\"ping\",\"seq\":99999999999999999999999999999}",
    "{\"type\":\"ping\",\"seq\":1e999}",
    "{\"type\":\"ping\",\"seq\":-1e999}",
    "{\"type\":\"hello\",\"version\":-9223372036854775809}",
    "{\"type\":\"hello\",\"version\":1e308}",
    "{\"type\":\"ping\",\"seq\":NaN}",
  };

  /* Nesting far beyond any real message is refused, not recursed into. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  assert_parse_fails (deep->str, -1, C, BAD_JSON);

  /* Brackets inside strings do not count as nesting. */
  for (guint i = 0; i < 10000; i++)
    g_string_append (wide, "\"[[[[{{{{\\\"\",");
  g_string_append (wide, "1]}");
  parsed_wide = parse_ok (wide->str, C);
  g_assert_cmpint (parsed_wide->type, ==, LATTICE_MESSAGE_LEAVE);

  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LatticeMessage) message = lattice_message_parse (numbers[i], -1, C, &error);

      g_assert_null (message);
      g_assert_error (error, LATTICE_PROTOCOL_ERROR, error->code);
      g_assert_true (error->code == BAD_JSON || error->code == INVALID);
    }

  for (guint i = 0; i < 100000; i++)
    g_string_append (long_sdp, "a=x\\r\\n");
  g_string_append (long_sdp, "\"}");
  parsed_sdp = parse_ok (long_sdp->str, C);
  g_assert_cmpuint (strlen (parsed_sdp->sdp), ==, 500000);
}

/* Cuts and flips bytes of valid messages: every result must either parse
 * or fail with a protocol error, never crash or warn. */
static void
test_mutations (void)
{
  const char *seeds[] = {
    "{\"type\":\"joined\",\"room\":\"r\",\"id\":\"i\",\"token\":\"t\",\"resumed\":false,"
    "\"participants\":[{\"id\":\"p\",\"name\":\"N\",\"audioMuted\":true}],"
    "\"iceServers\":[{\"urls\":[\"turn:h:1\"],\"username\":\"u\",\"credential\":\"c\"}]}",
    "{\"type\":\"candidate\",\"to\":\"b\",\"candidate\":\"c\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}",
    "{\"type\":\"join\",\"room\":\"team\",\"name\":\"Zo\xc3\xab\",\"password\":\"\\u00e9\"}",
  };
  const char noise[] = "{}[]\",:\\\x00\x80\xc3\xff 0-9eEnul";
  GRand *rand = g_rand_new_with_seed (20241124);

  for (guint s = 0; s < G_N_ELEMENTS (seeds); s++)
    for (guint round = 0; round < 3000; round++)
      {
        g_autofree char *text = g_strdup (seeds[s]);
        gsize len = strlen (text);
        guint n_flips = g_rand_int_range (rand, 1, 4);
        LatticeOrigin origin = round % 2 ? C : S;
        g_autoptr(GError) error = NULL;
        g_autoptr(LatticeMessage) message = NULL;

        for (guint f = 0; f < n_flips; f++)
          text[g_rand_int_range (rand, 0, (gint) len)] =
            noise[g_rand_int_range (rand, 0, sizeof noise - 1)];
        len = g_rand_int_range (rand, 0, (gint) len + 1);

        message = lattice_message_parse (text, (gssize) len, origin, &error);
        g_assert_true ((message == NULL) != (error == NULL));
        if (error != NULL)
          g_assert_true (error->domain == LATTICE_PROTOCOL_ERROR);
        else
          g_free (lattice_message_to_json (message));
      }

  g_rand_free (rand);
}

static void
test_boxed_types (void)
{
  const char *urls[] = { "stun:a:1", "stun:b:2", NULL };
  g_autoptr(LatticeParticipantInfo) info = lattice_participant_info_new ("id", "Name");
  g_autoptr(LatticeParticipantInfo) info_copy = NULL;
  g_autoptr(LatticeIceServer) server = lattice_ice_server_new (urls, "u", "c");
  g_autoptr(LatticeIceServer) server_copy = NULL;
  g_autoptr(LatticeIceServer) empty = lattice_ice_server_new (NULL, NULL, NULL);
  GValue value = G_VALUE_INIT;

  g_assert_true (G_TYPE_IS_BOXED (LATTICE_TYPE_PARTICIPANT_INFO));
  g_assert_true (G_TYPE_IS_BOXED (LATTICE_TYPE_ICE_SERVER));

  info->hand_raised = TRUE;
  info_copy = g_boxed_copy (LATTICE_TYPE_PARTICIPANT_INFO, info);
  g_assert_true (info_copy != info);
  assert_same_participant (info_copy, info);

  server_copy = lattice_ice_server_copy (server);
  g_assert_cmpstrv (server_copy->urls, urls);
  g_assert_true (server_copy->urls != server->urls);
  g_assert_cmpstr (server_copy->credential, ==, "c");
  g_assert_nonnull (empty->urls);
  g_assert_null (empty->urls[0]);

  g_value_init (&value, LATTICE_TYPE_ICE_SERVER);
  g_value_set_boxed (&value, server);
  g_assert_cmpstr (((LatticeIceServer *) g_value_get_boxed (&value))->username, ==, "u");
  g_value_unset (&value);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/hello", test_hello);
  g_test_add_func ("/protocol/welcome", test_welcome);
  g_test_add_func ("/protocol/join", test_join);
  g_test_add_func ("/protocol/joined", test_joined);
  g_test_add_func ("/protocol/participant-joined-state", test_participant_messages);
  g_test_add_func ("/protocol/participant-left", test_participant_left);
  g_test_add_func ("/protocol/state", test_state);
  g_test_add_func ("/protocol/offer-answer", test_offer_answer);
  g_test_add_func ("/protocol/candidate", test_candidate);
  g_test_add_func ("/protocol/leave-ping-pong", test_leave_ping_pong);
  g_test_add_func ("/protocol/error-message", test_error_message);
  g_test_add_func ("/protocol/error-codes", test_error_codes);
  g_test_add_func ("/protocol/error-from-foreign-gerror", test_error_from_foreign_gerror);
  g_test_add_func ("/protocol/reject", test_reject);
  g_test_add_func ("/protocol/error-target", test_error_target);
  g_test_add_func ("/protocol/type-names", test_type_names);
  g_test_add_func ("/protocol/invalid", test_invalid_inputs);
  g_test_add_func ("/protocol/length-delimited", test_length_delimited);
  g_test_add_func ("/protocol/hostile", test_hostile_inputs);
  g_test_add_func ("/protocol/mutations", test_mutations);
  g_test_add_func ("/protocol/boxed", test_boxed_types);

  return g_test_run ();
}
