/* test-mesh.c: a real lattice-server and real lattice-peer processes on 127.0.0.1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Four participants meet in one room and each decodes video and audio
 * from the three others; two are stopped (SIGTERM, SIGKILL), the rest
 * carry on, and a fifth joining afterwards gets media from everyone.
 *
 * With --view, peers lay the app's grid out in a window and ask each
 * sender for no more than a tile needs: small windows get the
 * low-resolution layer, and a layer nobody receives is not encoded.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "lattice-test-proc.h"

#define MEDIA_TIMEOUT_S 60

static void
assert_media_flows (GPtrArray *receivers,
                    GPtrArray *senders)
{
  gint64 start = g_get_monotonic_time ();

  lattice_test_wait_media_flows (receivers, senders, 0, MEDIA_TIMEOUT_S);
  g_test_message ("media flowed everywhere after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
}

typedef struct {
  LatticeTestProc *proc;
  const char      *id;
} LeftCheck;

static gboolean
saw_left (gpointer data)
{
  LeftCheck *check = data;

  return lattice_test_proc_has_event (check->proc, "participant-left", "id", check->id);
}

typedef struct {
  LatticeTestProc *receiver;
  const char      *from;
  gint64           target;
} FramesCheck;

static gboolean
frames_reached (gpointer data)
{
  FramesCheck *check = data;

  return lattice_test_proc_video_frames (check->receiver, check->from) >= check->target;
}

/* @receiver keeps decoding @sender's video: 30 more frames arrive. */
static void
assert_still_receiving (LatticeTestProc *receiver,
                        LatticeTestProc *sender)
{
  FramesCheck check = { receiver, lattice_test_proc_get_id (sender), 0 };

  check.target = MAX (lattice_test_proc_video_frames (receiver, check.from), 0) + 30;
  g_assert_true (lattice_test_wait (frames_reached, &check, 30));
}

static gboolean
stats_have_encoders (gpointer data)
{
  JsonObject *stats = lattice_test_proc_last_event (data, "stats");

  return stats != NULL && json_object_has_member (stats, "encoders");
}

static void
assert_encoded_once (LatticeTestProc *proc)
{
  JsonObject *encoders;

  g_assert_true (lattice_test_wait (stats_have_encoders, proc, 10));
  encoders = json_object_get_object_member (lattice_test_proc_last_event (proc, "stats"), "encoders");
  /* one encoder per video layer (full and low resolution), not per peer */
  g_assert_cmpint (json_object_get_int_member (encoders, "video"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (encoders, "audio"), ==, 1);
}

static void
assert_clean_exit (LatticeTestProc *proc)
{
  lattice_test_proc_signal (proc, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (proc, 20), ==, 0);
  g_assert_true (lattice_test_proc_has_event (proc, "left", NULL, NULL));
  /* no GLib or GStreamer warning or critical, in any library */
  lattice_test_proc_assert_no_criticals (proc);
  g_assert_null (strstr (lattice_test_proc_get_stderr (proc), "-WARNING **"));
}

static void
test_four_peers (void)
{
  g_autoptr(LatticeTestProc) server = NULL;
  g_autoptr(GPtrArray) peers = g_ptr_array_new_with_free_func ((GDestroyNotify) lattice_test_proc_free);
  g_autoptr(GPtrArray) staying = g_ptr_array_new ();
  g_autofree char *link = NULL;
  LatticeTestProc *killed, *terminated, *fifth;
  LeftCheck left;
  guint port;

  server = lattice_test_server_start (NULL, &port);
  link = g_strdup_printf ("http://127.0.0.1:%u/mesh-test", port);

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("peer-%u", i);

      g_ptr_array_add (peers, lattice_test_peer_join (name, link, NULL));
    }
  assert_media_flows (peers, peers);

  /* the point of the design: one encoder per stream, not per peer */
  for (guint i = 0; i < peers->len; i++)
    assert_encoded_once (g_ptr_array_index (peers, i));

  terminated = g_ptr_array_index (peers, 2);
  killed = g_ptr_array_index (peers, 3);
  lattice_test_proc_signal (terminated, SIGTERM);
  lattice_test_proc_signal (killed, SIGKILL);
  g_assert_cmpint (lattice_test_proc_wait_exit (terminated, 20), ==, 0);
  g_assert_cmpint (lattice_test_proc_wait_exit (killed, 20), ==, -SIGKILL);

  g_ptr_array_add (staying, g_ptr_array_index (peers, 0));
  g_ptr_array_add (staying, g_ptr_array_index (peers, 1));
  for (guint i = 0; i < staying->len; i++)
    {
      left.proc = g_ptr_array_index (staying, i);
      left.id = lattice_test_proc_get_id (terminated);
      g_assert_true (lattice_test_wait (saw_left, &left, 30));
      left.id = lattice_test_proc_get_id (killed);
      g_assert_true (lattice_test_wait (saw_left, &left, 30));
    }
  assert_still_receiving (g_ptr_array_index (staying, 0), g_ptr_array_index (staying, 1));
  assert_still_receiving (g_ptr_array_index (staying, 1), g_ptr_array_index (staying, 0));

  fifth = lattice_test_peer_join ("peer-4", link, NULL);
  g_ptr_array_add (peers, fifth);
  g_ptr_array_add (staying, fifth);
  assert_media_flows (staying, staying);
  assert_encoded_once (fifth);

  for (guint i = 0; i < staying->len; i++)
    assert_clean_exit (g_ptr_array_index (staying, i));
  lattice_test_proc_signal (server, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (server, 20), ==, 0);
}

/* lattice-peer ends with an "error" line and a non-zero status. */
static void
assert_peer_fails (const char        *link,
                   const char *const *args,
                   const char        *code)
{
  g_autoptr(LatticeTestProc) peer = lattice_test_peer_start ("failing", link, args);
  JsonObject *error;

  g_assert_cmpint (lattice_test_proc_wait_exit (peer, 30), ==, 1);
  error = lattice_test_proc_last_event (peer, "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_cmpstr (json_object_get_string_member (error, "message"), !=, "");
}

static void
test_peer_errors (void)
{
  g_autoptr(LatticeTestProc) server = NULL;
  g_autoptr(LatticeTestProc) host = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *link = NULL;
  g_autofree char *unreachable = NULL;
  guint port;

  assert_peer_fails ("gopher://example.org/room", NULL, "bad-link");
  assert_peer_fails ("http://127.0.0.1:8787/", NULL, "bad-link");

  /* a port nobody listens on: bind one, never listen */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_assert_true (g_socket_bind (socket, address, TRUE, NULL));
  g_clear_object (&address);
  address = g_socket_get_local_address (socket, NULL);
  unreachable = g_strdup_printf ("http://127.0.0.1:%u/room",
                                 g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
  assert_peer_fails (unreachable, NULL, "unreachable");

  server = lattice_test_server_start ((const char *const[]) { "--max-room-size", "1", NULL }, &port);
  link = g_strdup_printf ("http://127.0.0.1:%u/locked", port);
  host = lattice_test_peer_start ("host", link,
                                  (const char *const[]) { "--password", "sesame", "--video", "none", "--audio", "none", NULL });
  lattice_test_proc_wait_joined (host, 30);
  assert_peer_fails (link, (const char *const[]) { "--password", "wrong", NULL }, "wrong-password");
  assert_peer_fails (link, (const char *const[]) { "--password", "sesame", NULL }, "room-full");
  assert_clean_exit (host);
}

typedef struct {
  LatticeTestProc *receiver;
  LatticeTestProc *sender;
  gint64           width;
} SizeCheck;

/* @receiver's last stats show @sender's video decoded at @width. */
static gboolean
decodes_width (gpointer data)
{
  SizeCheck *check = data;
  JsonObject *stats = lattice_test_proc_last_event (check->receiver, "stats");
  JsonObject *peer = stats ? lattice_test_stats_peer (stats, lattice_test_proc_get_id (check->sender)) : NULL;
  JsonObject *video = peer && json_object_has_member (peer, "video")
                        ? json_object_get_object_member (peer, "video") : NULL;

  return video != NULL && json_object_get_int_member (video, "width") == check->width &&
         json_object_get_double_member (video, "fps") >= 10;
}

static gboolean
encoders_active (LatticeTestProc *proc, const char *which)
{
  JsonObject *stats = lattice_test_proc_last_event (proc, "stats");

  return json_object_get_boolean_member (json_object_get_object_member (stats, "encoders"), which);
}

/* Three peers showing each other in a 640x360 window (2x2 cells of
 * 312x176) get the 320x180 layer, and nobody encodes the full one; a
 * fourth without --view (asking nothing) gets the full one from all. */
static void
test_view (void)
{
  const char *small[] = { "--view", "640x360", "--fps", "15", NULL };
  const char *plain[] = { "--fps", "15", NULL };
  g_autoptr(LatticeTestProc) server = NULL;
  g_autoptr(GPtrArray) peers = g_ptr_array_new_with_free_func ((GDestroyNotify) lattice_test_proc_free);
  g_autofree char *link = NULL;
  LatticeTestProc *watcher;
  JsonObject *view;
  guint port;

  server = lattice_test_server_start (NULL, &port);
  link = g_strdup_printf ("http://127.0.0.1:%u/view-test", port);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("small-%u", i);

      g_ptr_array_add (peers, lattice_test_peer_join (name, link, small));
    }
  for (guint r = 0; r < 3; r++)
    for (guint s = 0; s < 3; s++)
      if (r != s)
        {
          SizeCheck check = { g_ptr_array_index (peers, r), g_ptr_array_index (peers, s), 320 };

          g_assert_true (lattice_test_wait (decodes_width, &check, MEDIA_TIMEOUT_S));
        }
  view = lattice_test_proc_last_event (g_ptr_array_index (peers, 0), "view");
  g_assert_cmpint (json_object_get_int_member (view, "tiles"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (view, "width"), ==, 312);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_false (encoders_active (g_ptr_array_index (peers, i), "fullActive"));
      g_assert_true (encoders_active (g_ptr_array_index (peers, i), "lowActive"));
    }

  /* a fourth shows the others at whatever size: the full layer for it
   * (and the others' grids of four still want the low one) */
  watcher = lattice_test_peer_join ("watcher", link, plain);
  g_ptr_array_add (peers, watcher);
  for (guint s = 0; s < 3; s++)
    {
      SizeCheck full = { watcher, g_ptr_array_index (peers, s), 640 };
      SizeCheck low = { g_ptr_array_index (peers, s), watcher, 320 };

      g_assert_true (lattice_test_wait (decodes_width, &full, MEDIA_TIMEOUT_S));
      g_assert_true (lattice_test_wait (decodes_width, &low, MEDIA_TIMEOUT_S));
      g_assert_true (encoders_active (g_ptr_array_index (peers, s), "fullActive"));
    }
  for (guint i = 0; i < peers->len; i++)
    assert_clean_exit (g_ptr_array_index (peers, i));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mesh/four-peers", test_four_peers);
  g_test_add_func ("/mesh/peer-errors", test_peer_errors);
  g_test_add_func ("/mesh/view", test_view);

  return g_test_run ();
}
