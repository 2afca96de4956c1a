/* fuzz-server.c: libFuzzer harness for the server's handling of a message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: one byte choosing the sender (and text or binary frame), then the
 * frame. Each run sets up a fresh scene through the same path real clients
 * take: rooms "fuzz" (password "pw": members A and B) and "other" (member
 * C), a client that said hello but joined nothing (W) and one that said
 * nothing (N). After the frame, everything the server sent anyone must
 * parse as a server message, nothing may cross from one room to the other,
 * and once everyone hangs up no room or client may be left.
 */
#define G_LOG_DOMAIN "LatticeFuzz"

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libsoup/soup.h>

#include "lattice-protocol.h"
#include "lattice-signal-server-private.h"

#define ADDRESS "192.0.2.1"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef enum { A, B, C, W, N, N_CLIENTS } Who;

typedef struct {
  LatticeServerClient *clients[N_CLIENTS];
  char                *ids[N_CLIENTS];  /* once joined */
  GPtrArray           *sent[N_CLIENTS];
} Scene;

/* Logs cost time and say nothing here; anything worse than a message is a
 * bug the fuzzer should stop on. */
static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      g_log_writer_standard_streams (level, fields, n_fields, user_data);
      abort ();
    }
  return G_LOG_WRITER_HANDLED;
}

static LatticeSignalServer *
get_server (void)
{
  static LatticeSignalServer *server;

  if (server == NULL)
    {
      g_log_set_writer_func (log_writer, NULL, NULL);
      server = lattice_signal_server_new ();
      g_object_set (server, "max-rate", 100000, "max-message-size", 4096, NULL);
    }
  return server;
}

static LatticeMessage *
parse_sent (const char *text)
{
  g_autoptr(GError) error = NULL;
  LatticeMessage *message = lattice_message_parse (text, -1, LATTICE_ORIGIN_SERVER, &error);

  if (message == NULL)
    g_error ("the server sent “%s”, which does not parse: %s", text, error->message);
  return message;
}

static void
say (LatticeServerClient *client,
     const char          *text)
{
  lattice_server_client_receive (client, FALSE, text, strlen (text));
}

/* With a fixed token the ids are fixed too, so corpus entries can name
 * them (A, B and C get af03ff233881d50f, cc7f0896268420d6 and 2f4c975e0ff52b4d). */
static char *
join_as (LatticeServerClient *client,
         const char          *room,
         const char          *password,
         char                 letter)
{
  g_autofree char *token = g_strnfill (42, letter);
  g_autofree char *join = g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"n\","
                                           "\"password\":\"%s\",\"token\":\"%sA\"}",
                                           room, password, token);
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(LatticeMessage) joined = NULL;

  say (client, "{\"type\":\"hello\",\"version\":1}");
  say (client, join);
  sent = lattice_server_client_take_sent (client);
  joined = parse_sent (g_ptr_array_index (sent, sent->len - 1));
  g_assert_cmpint (joined->type, ==, LATTICE_MESSAGE_JOINED);
  return g_steal_pointer (&joined->id);
}

static void
scene_setup (Scene               *scene,
             LatticeSignalServer *server)
{
  for (guint i = 0; i < N_CLIENTS; i++)
    scene->clients[i] = lattice_signal_server_add_fake_client (server, ADDRESS);

  scene->ids[A] = join_as (scene->clients[A], "fuzz", "pw", 'A');
  scene->ids[B] = join_as (scene->clients[B], "fuzz", "pw", 'B');
  scene->ids[C] = join_as (scene->clients[C], "other", "", 'C');
  say (scene->clients[W], "{\"type\":\"hello\",\"version\":1}");

  /* What the set-up itself caused is not under test. */
  for (guint i = 0; i < N_CLIENTS; i++)
    g_ptr_array_unref (lattice_server_client_take_sent (scene->clients[i]));
}

/* Relayed messages name their real sender; nothing else may reach a room
 * the sender is not in. */
static void
check_sent (Scene *scene,
            Who    sender)
{
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      scene->sent[i] = lattice_server_client_take_sent (scene->clients[i]);
      for (guint j = 0; j < scene->sent[i]->len; j++)
        {
          g_autoptr(LatticeMessage) message = parse_sent (scene->sent[i]->pdata[j]);

          if (message->from != NULL)
            g_assert_cmpstr (message->from, ==, scene->ids[sender]);
        }
    }

  if (sender == A || sender == B)
    g_assert_cmpuint (scene->sent[C]->len, ==, 0);
  if (sender == C)
    g_assert_cmpuint (scene->sent[A]->len + scene->sent[B]->len, ==, 0);
  if (sender == N)
    g_assert_cmpuint (scene->sent[A]->len + scene->sent[B]->len + scene->sent[C]->len, ==, 0);
}

static void
scene_teardown (Scene               *scene,
                LatticeSignalServer *server)
{
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      lattice_server_client_close (scene->clients[i], SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
      g_free (scene->ids[i]);
      g_clear_pointer (&scene->sent[i], g_ptr_array_unref);
    }

  lattice_signal_server_reap (server);
  g_assert_cmpuint (lattice_signal_server_get_n_clients (server), ==, 0);
  g_assert_cmpuint (lattice_signal_server_get_n_rooms (server), ==, 0);
  g_assert_cmpuint (lattice_signal_server_get_n_connections_from (server, ADDRESS), ==, 0);
  /* Also forgets wrong passwords, so no run depends on the ones before. */
  lattice_signal_server_stop (server);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  LatticeSignalServer *server = get_server ();
  Scene scene = { { NULL, }, };
  Who sender;
  gboolean binary;

  if (size < 1)
    return 0;

  sender = (data[0] & 0x7f) % N_CLIENTS;
  binary = (data[0] & 0x80) != 0;

  scene_setup (&scene, server);
  lattice_server_client_receive (scene.clients[sender], binary, (const char *) data + 1, size - 1);
  check_sent (&scene, sender);
  scene_teardown (&scene, server);
  return 0;
}
