/* test-hostile.c: a call goes on while hostile clients attack the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Three well-behaved clients in room A keep relaying offers, answers and
 * candidates to each other and pinging the server, while hostile clients
 * (two in room A, one in room B, one that joined nothing, one that never
 * said hello) send 10,000 bad messages. The server must answer every bad
 * message with an error or announce the close that cut it off, and the
 * good clients must get every relayed message, in order, throughout.
 */
#define G_LOG_DOMAIN "LatticeTest"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lattice-signal-server.h"
#include "lattice-test-hostile.h"
#include "lattice-test-ws.h"

#define N_GOOD            3
#define N_BAD_MESSAGES    10000
#define MAX_MESSAGE_SIZE  8192
#define TICK_MS           10
#define HOSTILE_WAIT_MS   150000

typedef struct {
  LatticeTestWs *ws;
  char          *id;
  guint64        sent_to[N_GOOD];        /* next seq to each other good client */
  guint64        received_from[N_GOOD];  /* seqs received in order from each */
  guint64        pings;
  guint64        pongs;
  guint          failures;               /* anything a good client must never see */
} Good;

typedef struct {
  LatticeSignalServer *server;
  char                *uri;
  Good                 good[N_GOOD];
  GPtrArray           *hostiles;
  guint64              ticks;
} Fixture;

static const char *const kinds[] = { "offer", "candidate", "answer" };

/* --- The call ------------------------------------------------------------ */

static gint
good_index (Fixture    *f,
            const char *id)
{
  for (guint i = 0; i < N_GOOD; i++)
    if (g_strcmp0 (f->good[i].id, id) == 0)
      return i;
  return -1;
}

static void
good_send (Fixture *f,
           guint    from,
           guint    to)
{
  Good *g = &f->good[from];
  guint64 seq = g->sent_to[to]++;
  const char *kind = kinds[seq % G_N_ELEMENTS (kinds)];

  if (g_str_equal (kind, "candidate"))
    lattice_test_ws_sendf (g->ws, "{\"type\":\"candidate\",\"to\":\"%s\",\"candidate\":\"candidate:%"
                           G_GUINT64_FORMAT " 1 UDP 2122260223 127.0.0.1 9 typ host\","
                           "\"sdpMid\":\"0\",\"sdpMLineIndex\":0}", f->good[to].id, seq);
  else
    lattice_test_ws_sendf (g->ws, "{\"type\":\"%s\",\"to\":\"%s\",\"sdp\":\"v=0 seq=%"
                           G_GUINT64_FORMAT "\"}", kind, f->good[to].id, seq);
}

/* The sequence number a relayed message carries, or -1. */
static gint64
relayed_seq (LatticeMessage *message)
{
  guint64 seq;

  if (message->type == LATTICE_MESSAGE_CANDIDATE &&
      sscanf (message->candidate, "candidate:%" G_GUINT64_FORMAT, &seq) == 1)
    return seq;
  if ((message->type == LATTICE_MESSAGE_OFFER || message->type == LATTICE_MESSAGE_ANSWER) &&
      sscanf (message->sdp, "v=0 seq=%" G_GUINT64_FORMAT, &seq) == 1)
    return seq;
  return -1;
}

static void
good_fail (Good       *g,
           const char *why,
           const char *text)
{
  g_message ("good client %s: %s: %s", g->id, why, text);
  g->failures++;
}

static void
good_receive (Fixture    *f,
              Good       *g,
              const char *text)
{
  g_autoptr(LatticeMessage) message = lattice_message_parse (text, -1, LATTICE_ORIGIN_SERVER, NULL);
  gint from;

  if (message == NULL)
    return good_fail (g, "unparsable", text);

  switch (message->type)
    {
    case LATTICE_MESSAGE_OFFER:
    case LATTICE_MESSAGE_ANSWER:
    case LATTICE_MESSAGE_CANDIDATE:
      from = good_index (f, message->from);
      if (from < 0)
        return good_fail (g, "relayed from a stranger", text);
      if (relayed_seq (message) != (gint64) g->received_from[from])
        return good_fail (g, "out of order", text);
      g->received_from[from]++;
      break;
    case LATTICE_MESSAGE_PONG:
      if (message->seq != g->pongs)
        return good_fail (g, "pong out of order", text);
      g->pongs++;
      break;
    case LATTICE_MESSAGE_PING:
    case LATTICE_MESSAGE_PARTICIPANT_JOINED:
    case LATTICE_MESSAGE_PARTICIPANT_LEFT:
    case LATTICE_MESSAGE_PARTICIPANT_STATE:
      break;  /* hostile members come and go */
    default:
      good_fail (g, "unexpected", text);
    }
}

static void
drain (Fixture *f)
{
  for (guint i = 0; i < N_GOOD; i++)
    {
      char *text;

      while ((text = g_queue_pop_head (&f->good[i].ws->received)) != NULL)
        {
          good_receive (f, &f->good[i], text);
          g_free (text);
        }
    }
}

static gboolean
on_tick (gpointer user_data)
{
  Fixture *f = user_data;

  drain (f);
  for (guint i = 0; i < N_GOOD; i++)
    {
      Good *g = &f->good[i];

      g_assert_false (g->ws->closed);
      good_send (f, i, (i + 1 + f->ticks % (N_GOOD - 1)) % N_GOOD);
      if (f->ticks % 10 == i)
        lattice_test_ws_sendf (g->ws, "{\"type\":\"ping\",\"seq\":%" G_GUINT64_FORMAT "}", g->pings++);
    }
  f->ticks++;
  return G_SOURCE_CONTINUE;
}

static gboolean
all_delivered (gpointer user_data)
{
  Fixture *f = user_data;

  drain (f);
  for (guint i = 0; i < N_GOOD; i++)
    {
      if (f->good[i].pongs != f->good[i].pings)
        return FALSE;
      for (guint j = 0; j < N_GOOD; j++)
        if (f->good[j].received_from[i] != f->good[i].sent_to[j])
          return FALSE;
    }
  return TRUE;
}

/* --- Set-up -------------------------------------------------------------- */

static void
good_join (Fixture *f,
           guint    i)
{
  g_autofree char *name = g_strdup_printf ("Good %u", i);
  g_autoptr(LatticeMessage) welcome = NULL;
  g_autoptr(LatticeMessage) joined = NULL;
  Good *g = &f->good[i];

  g->ws = lattice_test_ws_connect (f->uri, NULL, NULL, NULL);
  lattice_test_ws_send (g->ws, "{\"type\":\"hello\",\"version\":1}");
  welcome = lattice_test_ws_expect (g->ws, LATTICE_MESSAGE_WELCOME);
  lattice_test_ws_sendf (g->ws, "{\"type\":\"join\",\"room\":\"room-a\",\"name\":\"%s\"}", name);
  joined = lattice_test_ws_expect (g->ws, LATTICE_MESSAGE_JOINED);
  g->id = g_strdup (joined->id);
  g_assert_cmpuint (joined->participants->len, ==, i);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = lattice_signal_server_new ();
  g_object_set (f->server, "max-message-size", MAX_MESSAGE_SIZE, "max-rate", 400, NULL);
  g_assert_true (lattice_signal_server_listen (f->server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  f->uri = g_strdup_printf ("ws://127.0.0.1:%u/ws", lattice_signal_server_get_port (f->server));
  f->hostiles = g_ptr_array_new_with_free_func ((GDestroyNotify) lattice_hostile_free);

  for (guint i = 0; i < N_GOOD; i++)
    good_join (f, i);
  drain (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_ptr_array_unref (f->hostiles);
  for (guint i = 0; i < N_GOOD; i++)
    {
      g_clear_pointer (&f->good[i].ws, lattice_test_ws_free);
      g_free (f->good[i].id);
    }
  lattice_signal_server_stop (f->server);
  g_assert_finalize_object (f->server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (f->uri);
}

/* --- The test ------------------------------------------------------------ */

static void
add_hostile (Fixture            *f,
             LatticeHostileRole  role,
             const char         *room,
             guint               n_messages,
             guint32             seed)
{
  LatticeHostile *hostile = lattice_hostile_new (f->uri, role, room, n_messages,
                                                 MAX_MESSAGE_SIZE, seed);

  g_ptr_array_add (f->hostiles, hostile);
  lattice_hostile_start (hostile);
}

static void
test_hostile_clients (Fixture       *f,
                      gconstpointer  data)
{
  guint32 seed = g_test_rand_int ();
  guint per_hostile = N_BAD_MESSAGES / 5;
  g_autoptr(GSource) tick = g_timeout_source_new (TICK_MS);
  g_autoptr(LatticeTestWs) after = NULL;
  g_autoptr(LatticeMessage) welcome = NULL;

  g_test_message ("seed %u (rerun with --seed to repeat)", seed);
  add_hostile (f, LATTICE_HOSTILE_MEMBER, "room-a", per_hostile, seed);
  add_hostile (f, LATTICE_HOSTILE_MEMBER, "room-a", per_hostile, seed + 1);
  add_hostile (f, LATTICE_HOSTILE_MEMBER, "room-b", per_hostile, seed + 2);
  add_hostile (f, LATTICE_HOSTILE_UNJOINED, NULL, per_hostile, seed + 3);
  add_hostile (f, LATTICE_HOSTILE_SILENT, NULL, per_hostile, seed + 4);

  /* The call goes on for as long as the attack does. */
  g_source_set_callback (tick, on_tick, f, NULL);
  g_source_attach (tick, NULL);
  g_assert_true (lattice_test_wait_until (lattice_hostiles_done, f->hostiles, HOSTILE_WAIT_MS));
  g_source_destroy (tick);

  g_assert_true (lattice_test_wait_until (all_delivered, f, LATTICE_TEST_WAIT_MS));
  for (guint i = 0; i < N_GOOD; i++)
    {
      Good *g = &f->good[i];

      g_test_message ("good client %u: sent %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                      ", %" G_GUINT64_FORMAT " pongs", i, g->sent_to[(i + 1) % N_GOOD],
                      g->sent_to[(i + 2) % N_GOOD], g->pongs);
      g_assert_cmpuint (g->failures, ==, 0);
      g_assert_cmpuint (g->sent_to[(i + 1) % N_GOOD], >, 0);
      g_assert_false (g->ws->closed);
    }
  lattice_hostiles_assert_accounted (f->hostiles, N_BAD_MESSAGES);

  /* Still up for newcomers. */
  after = lattice_test_ws_connect (f->uri, NULL, NULL, NULL);
  lattice_test_ws_send (after, "{\"type\":\"hello\",\"version\":1}");
  welcome = lattice_test_ws_expect (after, LATTICE_MESSAGE_WELCOME);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/hostile/clients", Fixture, NULL, fixture_setup, test_hostile_clients,
              fixture_teardown);

  return g_test_run ();
}
