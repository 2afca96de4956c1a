/* test-verification-e2e.c: two real peers compare verification codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Through an honest lattice-server both print the same code. Through one
 * started with --test-mitm-fingerprints, which forges the DTLS fingerprints
 * of the descriptions it relays, the connection must not be taken as
 * verified: either the codes differ, or (what GStreamer 1.22 plus
 * LatticePeerConnection's own check give) the peers fail the connection, play no
 * media from it and show no code.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "lattice-test-proc.h"

#define CONNECT_TIMEOUT_S 90
#define CODE_LENGTH       15   /* "123 456 789 012" */

typedef struct {
  LatticeTestProc *a;
  LatticeTestProc *b;
} Pair;

/* The code @proc printed for @from, or NULL. */
static const char *
code_for (LatticeTestProc *proc,
          const char      *from)
{
  GPtrArray *events = lattice_test_proc_get_events (proc);
  const char *code = NULL;

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "event", NULL), "verification") == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (event, "id", NULL), from) == 0)
        code = json_object_get_string_member_with_default (event, "code", NULL);
    }
  return code;
}

static gboolean
has_event_from (LatticeTestProc *proc,
                const char      *event_name,
                const char      *member,
                const char      *from)
{
  GPtrArray *events = lattice_test_proc_get_events (proc);

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "event", NULL), event_name) == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (event, member, NULL), from) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
has_failed_with (LatticeTestProc *proc,
                 const char      *from)
{
  GPtrArray *events = lattice_test_proc_get_events (proc);

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "event", NULL), "peer-state") == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (event, "id", NULL), from) == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (event, "state", NULL), "failed") == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
both_have_codes (gpointer data)
{
  Pair *pair = data;

  return code_for (pair->a, lattice_test_proc_get_id (pair->b)) != NULL &&
         code_for (pair->b, lattice_test_proc_get_id (pair->a)) != NULL;
}

/* Either both ends have a code, or both failed the connection. */
static gboolean
both_settled (gpointer data)
{
  Pair *pair = data;
  const char *a_id = lattice_test_proc_get_id (pair->a);
  const char *b_id = lattice_test_proc_get_id (pair->b);

  return both_have_codes (data) ||
         (has_failed_with (pair->a, b_id) && has_failed_with (pair->b, a_id));
}

static void
assert_clean_exit (LatticeTestProc *proc)
{
  lattice_test_proc_signal (proc, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (proc, 20), ==, 0);
  lattice_test_proc_assert_no_criticals (proc);
  g_assert_null (strstr (lattice_test_proc_get_stderr (proc), "-WARNING **"));
}

static void
run_pair (const char *const *server_args,
          const char        *room,
          Pair              *pair,
          LatticeTestProc  **server)
{
  g_autofree char *link = NULL;
  guint port;

  *server = lattice_test_server_start (server_args, &port);
  link = g_strdup_printf ("http://127.0.0.1:%u/%s", port, room);
  pair->a = lattice_test_peer_join ("verify-a", link, NULL);
  pair->b = lattice_test_peer_join ("verify-b", link, NULL);
}

static void
finish_pair (Pair            *pair,
             LatticeTestProc *server)
{
  assert_clean_exit (pair->a);
  assert_clean_exit (pair->b);
  lattice_test_proc_signal (server, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (server, 20), ==, 0);
  lattice_test_proc_free (pair->a);
  lattice_test_proc_free (pair->b);
  lattice_test_proc_free (server);
}

static void
test_honest_server (void)
{
  LatticeTestProc *server;
  Pair pair;
  const char *a_code, *b_code;

  run_pair (NULL, "verify-honest", &pair, &server);
  g_assert_true (lattice_test_wait (both_have_codes, &pair, CONNECT_TIMEOUT_S));

  a_code = code_for (pair.a, lattice_test_proc_get_id (pair.b));
  b_code = code_for (pair.b, lattice_test_proc_get_id (pair.a));
  g_test_message ("both ends read out %s", a_code);
  g_assert_cmpstr (a_code, ==, b_code);
  g_assert_cmpuint (strlen (a_code), ==, CODE_LENGTH);
  g_assert_false (has_failed_with (pair.a, lattice_test_proc_get_id (pair.b)));
  g_assert_false (has_failed_with (pair.b, lattice_test_proc_get_id (pair.a)));
  finish_pair (&pair, server);
}

static guint
count_failures (LatticeTestProc *proc,
                const char      *from,
                gint64           since_ms)
{
  GPtrArray *events = lattice_test_proc_get_events (proc);
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      n += lattice_test_event_time (event) >= since_ms &&
           g_strcmp0 (json_object_get_string_member_with_default (event, "event", NULL), "peer-state") == 0 &&
           g_strcmp0 (json_object_get_string_member_with_default (event, "id", NULL), from) == 0 &&
           g_strcmp0 (json_object_get_string_member_with_default (event, "state", NULL), "failed") == 0;
    }
  return n;
}

/* A connection that keeps failing its certificate check is rebuilt less
 * and less often (1, 2, 4, 8 s … up to 5 minutes), not every 1-2 s
 * forever, and each end's tile says why. */
#define BACKOFF_WINDOW_MS 24000

static void
assert_backs_off (Pair *pair)
{
  const char *a_id = lattice_test_proc_get_id (pair->a);
  const char *b_id = lattice_test_proc_get_id (pair->b);
  JsonObject *notice = lattice_test_proc_find_event (pair->a, 0, "notice", "id", b_id);
  gint64 since = lattice_test_now_ms ();
  guint failures;

  g_assert_nonnull (notice);
  g_assert_true (JSON_NODE_HOLDS_VALUE (json_object_get_member (notice, "notice")));
  g_test_message ("A's tile for B says: %s", json_object_get_string_member (notice, "notice"));
  g_assert_nonnull (lattice_test_proc_find_event (pair->b, 0, "notice", "id", a_id));
  lattice_test_run_for (BACKOFF_WINDOW_MS);
  failures = count_failures (pair->a, b_id, since);
  g_test_message ("%u failed connections in %u s (every 1-2 s would be 12 or more)",
                  failures, BACKOFF_WINDOW_MS / 1000);
  g_assert_cmpuint (failures, >=, 1);
  g_assert_cmpuint (failures, <=, 6);
}

static void
test_mitm_server (void)
{
  LatticeTestProc *server;
  Pair pair;
  const char *a_id, *b_id;

  run_pair ((const char *const[]) { "--test-mitm-fingerprints", NULL }, "verify-mitm", &pair, &server);
  a_id = lattice_test_proc_get_id (pair.a);
  b_id = lattice_test_proc_get_id (pair.b);
  g_assert_true (lattice_test_wait (both_settled, &pair, CONNECT_TIMEOUT_S));
  /* the connection is rebuilt and fails again meanwhile: give media and a
   * late code every chance to show up */
  lattice_test_run_for (5000);

  if (both_have_codes (&pair))
    {
      g_test_message ("outcome: connected, and the codes differ");
      g_assert_cmpstr (code_for (pair.a, b_id), !=, code_for (pair.b, a_id));
    }
  else
    {
      g_test_message ("outcome: both ends failed the connection; no code, no media");
      g_assert_true (has_failed_with (pair.a, b_id));
      g_assert_true (has_failed_with (pair.b, a_id));
      g_assert_null (code_for (pair.a, b_id));
      g_assert_null (code_for (pair.b, a_id));
      g_assert_false (has_event_from (pair.a, "first-frame", "from", b_id));
      g_assert_false (has_event_from (pair.b, "first-frame", "from", a_id));
      assert_backs_off (&pair);
    }
  finish_pair (&pair, server);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/verification-e2e/honest-server", test_honest_server);
  g_test_add_func ("/verification-e2e/mitm-server", test_mitm_server);
  return g_test_run ();
}
