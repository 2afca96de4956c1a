/* test-e2e.c: the real lattice app in a call with two lattice-peer processes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lattice-server on 127.0.0.1, two headless peers sending moving test
 * video, then the real `lattice` binary joining the same room with its link
 * (runs under Xvfb; the app inherits DISPLAY). The app is watched through
 * its debug hook (LATTICE_DEBUG_REPORT, see ui/lattice-debug-report.h):
 * three tiles, moving video in both remote tiles (pixels differ between two
 * window snapshots), a screenshot kept in the build directory, then SIGTERM
 * makes it leave and quit, with criticals fatal, and both peers see it go.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "lattice-test-proc.h"

#include <X11/Xlib.h>
#include <X11/Xatom.h>

#define TIMEOUT_S 120

typedef struct {
  GSubprocess *app;
  char *report_path;
  JsonObject *report;   /* the latest one read */
  LatticeTestProc *peers[2];   /* must stay up while we wait */
  const char *bus_address;     /* a private session bus, or NULL for none */
  gint64 tile_width;           /* of the first remote tile, when last looked at */
} App;

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* lattice_test_wait() sleeps until some source fires; the report file is
 * no source, so a tick wakes the loop to look at it again. */
static gboolean
wait_for (gboolean (*check) (gpointer data),
          gpointer   data)
{
  guint tick_id = g_timeout_add (100, tick, NULL);
  gboolean ok = lattice_test_wait (check, data, TIMEOUT_S);

  g_source_remove (tick_id);
  return ok;
}

static gboolean
read_report (App *app)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_file (parser, app->report_path, NULL))
    return FALSE;   /* not written yet */
  g_clear_pointer (&app->report, json_object_unref);
  app->report = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  return TRUE;
}

static JsonObject *
remote_tile (App  *app,
             guint nth)
{
  JsonArray *tiles = json_object_get_array_member (app->report, "tiles");

  for (guint i = 0; i < json_array_get_length (tiles); i++)
    {
      JsonObject *tile = json_array_get_object_element (tiles, i);

      if (!json_object_get_boolean_member (tile, "is-self") && nth-- == 0)
        return tile;
    }
  return NULL;
}

static gboolean
app_died (App *app)
{
  for (guint i = 0; i < G_N_ELEMENTS (app->peers); i++)
    if (app->peers[i] != NULL && lattice_test_proc_exited (app->peers[i]))
      g_error ("%s exited early: %s", lattice_test_proc_get_name (app->peers[i]),
               lattice_test_proc_get_stderr (app->peers[i]));
  /* No identifier once GLib has reaped the process. */
  return g_subprocess_get_identifier (app->app) == NULL;
}

static gboolean
three_tiles_with_video (gpointer data)
{
  App *app = data;

  g_assert_false (app_died (app));
  if (!read_report (app) ||
      g_strcmp0 (json_object_get_string_member_with_default (app->report, "page", ""), "call") != 0 ||
      json_object_get_int_member (app->report, "n-tiles") != 3)
    return FALSE;
  for (guint i = 0; i < 2; i++)
    if (remote_tile (app, i) == NULL ||
        !json_object_get_boolean_member (remote_tile (app, i), "showing-video"))
      return FALSE;
  return TRUE;
}

static gint64
remote_frames (App  *app,
               guint nth)
{
  return json_object_get_int_member (remote_tile (app, nth), "frames");
}

typedef struct {
  App *app;
  gint64 frames[2];
} FramesAfter;

/* Both remote tiles drew at least a few more frames since @frames. */
static gboolean
frames_advanced (gpointer data)
{
  FramesAfter *after = data;

  if (!read_report (after->app) || remote_tile (after->app, 1) == NULL)
    return FALSE;
  return remote_frames (after->app, 0) >= after->frames[0] + 5 &&
         remote_frames (after->app, 1) >= after->frames[1] + 5;
}

typedef struct {
  App *app;
  guint count;
} SnapshotWait;

static gboolean
has_snapshots (gpointer data)
{
  SnapshotWait *wait = data;

  return read_report (wait->app) &&
         json_array_get_length (json_object_get_array_member (wait->app->report, "snapshots")) >= wait->count;
}

static char *
take_snapshot (App *app)
{
  JsonArray *snapshots;
  SnapshotWait wait = { app, 0 };

  g_assert_true (read_report (app));
  wait.count = json_array_get_length (json_object_get_array_member (app->report, "snapshots")) + 1;
  g_subprocess_send_signal (app->app, SIGUSR1);
  g_assert_true (wait_for (has_snapshots, &wait));
  snapshots = json_object_get_array_member (app->report, "snapshots");
  return g_strdup (json_array_get_string_element (snapshots, wait.count - 1));
}

/* The share of pixels inside @tile (window coordinates, as in the report)
 * that differ between two snapshots. */
static double
changed_share (const char *before_path,
               const char *after_path,
               JsonObject *tile)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) before = gdk_texture_new_from_filename (before_path, &error);
  g_autoptr(GdkTexture) after = gdk_texture_new_from_filename (after_path, &error);
  int width, height, x0, y0, x1, y1;
  g_autofree guchar *a = NULL, *b = NULL;
  guint changed = 0, total = 0;

  g_assert_no_error (error);
  width = gdk_texture_get_width (before);
  height = gdk_texture_get_height (before);
  g_assert_cmpint (gdk_texture_get_width (after), ==, width);
  a = g_malloc (width * height * 4);
  b = g_malloc (width * height * 4);
  gdk_texture_download (before, a, width * 4);
  gdk_texture_download (after, b, width * 4);

  x0 = CLAMP (json_object_get_int_member (tile, "x"), 0, width);
  y0 = CLAMP (json_object_get_int_member (tile, "y"), 0, height);
  x1 = CLAMP (x0 + json_object_get_int_member (tile, "width"), 0, width);
  y1 = CLAMP (y0 + json_object_get_int_member (tile, "height"), 0, height);
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        gsize i = ((gsize) y * width + x) * 4;

        total++;
        if (ABS (a[i] - b[i]) + ABS (a[i + 1] - b[i + 1]) + ABS (a[i + 2] - b[i + 2]) > 24)
          changed++;
      }
  g_assert_cmpuint (total, >, 0);
  return (double) changed / total;
}

/* `lattice ARG` with the debug report at BUILDDIR/tests/ui/NAME.json. */
static void
start_app (App        *app,
           const char *name,
           const char *arg)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *binary = g_build_filename (g_getenv ("LATTICE_BUILDDIR"), "ui", "lattice", NULL);
  g_autofree char *prefix = g_build_filename (g_getenv ("LATTICE_BUILDDIR"), "tests", "ui", name, NULL);
  g_autofree char *data_dir = g_strconcat (prefix, "-data", NULL);
  g_autoptr(GError) error = NULL;

  app->report_path = g_strconcat (prefix, ".json", NULL);
  g_unlink (app->report_path);
  /* The host's certificate goes here, not into the tester's home. */
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "LATTICE_DEBUG_REPORT", prefix, TRUE);
  g_subprocess_launcher_setenv (launcher, "LATTICE_TEST_SOURCES", "1", TRUE);
  /* Warnings stay warnings (no session bus under Xvfb); criticals abort. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-criticals", TRUE);
  if (app->bus_address != NULL)
    g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", app->bus_address, TRUE);
  app->app = g_subprocess_launcher_spawn (launcher, &error, binary, arg, NULL);
  g_assert_no_error (error);
}

static gboolean
app_exited (gpointer data)
{
  return g_subprocess_get_identifier (data) == NULL;
}

/* SIGTERM leaves the call and quits: cleanly, criticals being fatal. */
static void
stop_app (App *app)
{
  g_subprocess_send_signal (app->app, SIGTERM);
  g_assert_true (wait_for (app_exited, app->app));
  g_assert_true (g_subprocess_get_if_exited (app->app));
  g_assert_cmpint (g_subprocess_get_exit_status (app->app), ==, 0);
}

static void
app_clear (App *app)
{
  g_clear_pointer (&app->report, json_object_unref);
  g_clear_object (&app->app);
  g_clear_pointer (&app->report_path, g_free);
}

typedef struct {
  LatticeTestProc *peers[2];
  const char *app_id;
} LeftWait;

static gboolean
both_saw_leave (gpointer data)
{
  LeftWait *wait = data;

  return lattice_test_proc_has_event (wait->peers[0], "participant-left", "id", wait->app_id) &&
         lattice_test_proc_has_event (wait->peers[1], "participant-left", "id", wait->app_id);
}

static gboolean
both_joined (gpointer data)
{
  LatticeTestProc **peers = data;

  return lattice_test_proc_get_id (peers[0]) != NULL && lattice_test_proc_get_id (peers[1]) != NULL;
}

/* --- what the app asks its senders for --------------------------------- */

/* The layer a tile of @width×@height needs of a 640x360 sender with a
 * 320x180 layer: the rule of media/lattice-media-engine-peers.c. */
static const char *
layer_for_tile (gint64 width, gint64 height)
{
  return 320 * 4 >= width * 3 && 180 * 4 >= height * 3 ? "low" : "full";
}

typedef struct {
  LatticeTestProc *sender;
  const char      *app_id;
  const char      *layer;
} LayerWait;

/* @sender's last stats say it sends the app @layer, and nothing else is
 * on the way (its target is the same). */
static gboolean
sends_layer (gpointer data)
{
  LayerWait *wait = data;
  JsonObject *stats = lattice_test_proc_last_event (wait->sender, "stats");
  JsonObject *peer = stats ? lattice_test_stats_peer (stats, wait->app_id) : NULL;
  JsonObject *send;

  if (peer == NULL || !json_object_has_member (peer, "send"))
    return FALSE;
  send = json_object_get_object_member (peer, "send");
  return g_strcmp0 (json_object_get_string_member (send, "layer"), wait->layer) == 0 &&
         g_strcmp0 (json_object_get_string_member (send, "target"), wait->layer) == 0;
}

/* Each peer sends the app the layer its tile (in the report) needs;
 * @wanted gets what each waited for. */
static void
expect_tile_layers (App *app, LatticeTestProc **peers, const char *app_id, LayerWait *wanted)
{
  g_assert_true (read_report (app));
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *tile = remote_tile (app, i);
      const char *id = json_object_get_string_member (tile, "id");
      LayerWait wait = { NULL, app_id, layer_for_tile (json_object_get_int_member (tile, "width"),
                                                       json_object_get_int_member (tile, "height")) };

      wait.sender = g_strcmp0 (lattice_test_proc_get_id (peers[0]), id) == 0 ? peers[0] : peers[1];
      g_test_message ("tile of %s: %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT ", wants %s",
                      lattice_test_proc_get_name (wait.sender), json_object_get_int_member (tile, "width"),
                      json_object_get_int_member (tile, "height"), wait.layer);
      g_assert_true (wait_for (sends_layer, &wait));
      wanted[i] = wait;
    }
  app->tile_width = json_object_get_int_member (remote_tile (app, 0), "width");
}

static gboolean
tiles_resized (gpointer data)
{
  App *app = data;

  return read_report (app) && remote_tile (app, 0) != NULL &&
         json_object_get_int_member (remote_tile (app, 0), "width") != app->tile_width;
}

/* The app's top-level X window: the one whose _NET_WM_PID is its pid. */
static Window
find_app_window (Display *display, GPid pid)
{
  Atom wm_pid = XInternAtom (display, "_NET_WM_PID", False);
  Window root, parent, *children = NULL, found = None;
  unsigned int n = 0;

  if (!XQueryTree (display, DefaultRootWindow (display), &root, &parent, &children, &n))
    return None;
  for (unsigned int i = 0; i < n && found == None; i++)
    {
      Atom type;
      int format;
      unsigned long items, after;
      unsigned char *value = NULL;
      XWindowAttributes attributes;

      if (XGetWindowProperty (display, children[i], wm_pid, 0, 1, False, XA_CARDINAL, &type, &format,
                              &items, &after, &value) == Success && value != NULL && items == 1 &&
          (GPid) *(unsigned long *) value == pid &&
          XGetWindowAttributes (display, children[i], &attributes) && attributes.map_state == IsViewable)
        found = children[i];
      if (value != NULL)
        XFree (value);
    }
  if (children != NULL)
    XFree (children);
  return found;
}

/* Each peer sends the app the layer its tile needs, small or large as the
 * window is resized; minimized (unmapped,
 * as a window manager does on X11 without _NET_WM_STATE_HIDDEN), the app
 * gets no video from anyone; restored, it does again. */
static void
check_views (App *app, LatticeTestProc **peers, const char *app_id)
{
  Display *display = XOpenDisplay (NULL);
  GPid pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (app->app), NULL, 10);
  FramesAfter after = { app };
  LayerWait wanted[2];
  Window window;
  gint64 frames[2], hidden_at;

  g_assert_nonnull (display);
  window = find_app_window (display, pid);
  g_assert_true (window != None);
  expect_tile_layers (app, peers, app_id, wanted);

  /* a small window: small tiles, the low layer (the window manager's
   * part, resizing, done by hand: Xvfb has none) */
  XResizeWindow (display, window, 640, 480);
  XFlush (display);
  g_assert_true (wait_for (tiles_resized, app));
  expect_tile_layers (app, peers, app_id, wanted);
  g_assert_cmpstr (wanted[0].layer, ==, "low");
  XResizeWindow (display, window, 1200, 760);
  XFlush (display);
  g_assert_true (wait_for (tiles_resized, app));
  expect_tile_layers (app, peers, app_id, wanted);
  g_assert_cmpstr (wanted[0].layer, ==, "full");

  XUnmapWindow (display, window);
  XFlush (display);
  hidden_at = g_get_monotonic_time ();
  for (guint i = 0; i < 2; i++)
    {
      LayerWait wait = { peers[i], app_id, "none" };

      g_assert_true (wait_for (sends_layer, &wait));
    }
  g_test_message ("minimized: no video sent to the app %" G_GINT64_FORMAT " ms after",
                  (g_get_monotonic_time () - hidden_at) / 1000);
  /* what was on the way has arrived; then nothing more */
  lattice_test_run_for (1000);
  g_assert_true (read_report (app));
  frames[0] = remote_frames (app, 0);
  frames[1] = remote_frames (app, 1);
  lattice_test_run_for (2000);
  g_assert_true (read_report (app));
  g_assert_cmpint (remote_frames (app, 0), ==, frames[0]);
  g_assert_cmpint (remote_frames (app, 1), ==, frames[1]);

  XMapWindow (display, window);
  XFlush (display);
  after.frames[0] = frames[0];
  after.frames[1] = frames[1];
  g_assert_true (wait_for (frames_advanced, &after));
  for (guint i = 0; i < 2; i++)
    g_assert_true (wait_for (sends_layer, &wanted[i]));
  XCloseDisplay (display);
}

static void
test_call (void)
{
  g_autoptr(LatticeTestProc) server = NULL;
  g_autoptr(LatticeTestProc) alice = NULL;
  g_autoptr(LatticeTestProc) bob = NULL;
  g_autofree char *link = NULL;
  g_autofree char *dir = g_build_filename (g_getenv ("LATTICE_BUILDDIR"), "tests", "ui", NULL);
  g_autofree char *screenshot = g_build_filename (dir, "lattice-e2e-screenshot.png", NULL);
  g_autofree char *first = NULL, *second = NULL, *app_id = NULL;
  g_autoptr(GFile) from = NULL, to = NULL;
  g_autoptr(GError) error = NULL;
  App app = { NULL };
  FramesAfter after = { &app };
  LeftWait left = { { NULL } };
  LatticeTestProc *peers[2];
  guint port;

  server = lattice_test_server_start (NULL, &port);
  link = g_strdup_printf ("http://127.0.0.1:%u/ui-e2e", port);
  alice = lattice_test_peer_start ("Alice Peer", link, NULL);
  bob = lattice_test_peer_start ("Bob Peer", link, NULL);
  peers[0] = alice, peers[1] = bob;
  g_assert_true (wait_for (both_joined, peers));

  app.peers[0] = alice, app.peers[1] = bob;
  start_app (&app, "lattice-e2e", link);
  g_test_message ("waiting for three tiles with video (report: %s)", app.report_path);
  g_assert_true (wait_for (three_tiles_with_video, &app));
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *tile = json_array_get_object_element (json_object_get_array_member (app.report, "tiles"), i);

      if (json_object_get_boolean_member (tile, "is-self"))
        app_id = g_strdup (json_object_get_string_member (tile, "id"));
    }
  g_assert_nonnull (app_id);
  /* The self tile comes first. */
  g_assert_true (json_object_get_boolean_member (
    json_array_get_object_element (json_object_get_array_member (app.report, "tiles"), 0), "is-self"));

  /* Moving video: the remote tiles look different a few frames later. */
  first = take_snapshot (&app);
  after.frames[0] = remote_frames (&app, 0);
  after.frames[1] = remote_frames (&app, 1);
  g_assert_true (wait_for (frames_advanced, &after));
  second = take_snapshot (&app);
  for (guint i = 0; i < 2; i++)
    {
      double share = changed_share (first, second, remote_tile (&app, i));

      g_test_message ("remote tile %u: %.1f%% of its pixels changed", i, share * 100);
      g_assert_cmpfloat (share, >, 0.005);
    }

  from = g_file_new_for_path (second);
  to = g_file_new_for_path (screenshot);
  g_assert_true (g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_print ("# screenshot: %s\n", screenshot);

  check_views (&app, peers, app_id);

  /* Leave and quit cleanly; both peers see the app's participant go. */
  app.peers[0] = app.peers[1] = NULL;
  stop_app (&app);
  left.peers[0] = alice, left.peers[1] = bob, left.app_id = app_id;
  g_assert_true (wait_for (both_saw_leave, &left));

  lattice_test_proc_signal (alice, SIGTERM);
  lattice_test_proc_signal (bob, SIGTERM);
  lattice_test_proc_signal (server, SIGTERM);
  lattice_test_proc_wait_exit (alice, 30);
  lattice_test_proc_wait_exit (bob, 30);
  lattice_test_proc_wait_exit (server, 30);
  app_clear (&app);
}

static gboolean
hosting (gpointer data)
{
  App *app = data;

  g_assert_false (app_died (app));
  return read_report (app) &&
         g_strcmp0 (json_object_get_string_member_with_default (app->report, "page", ""), "call") == 0 &&
         json_object_get_string_member_with_default (app->report, "invite-link", NULL) != NULL;
}

static gboolean
two_tiles_with_video (gpointer data)
{
  App *app = data;

  g_assert_false (app_died (app));
  return read_report (app) &&
         json_object_get_int_member (app->report, "n-tiles") == 2 &&
         remote_tile (app, 0) != NULL &&
         json_object_get_boolean_member (remote_tile (app, 0), "showing-video");
}

/* `lattice --host`: the embedded server, a room, and an invite link on
 * this machine's LAN address that a peer can join with: over wss, the
 * self-signed certificate pinned by the link's fingerprint. */
static void
test_host (void)
{
  g_autoptr(LatticeTestProc) peer = NULL;
  App app = { NULL };
  const char *invite;

  start_app (&app, "lattice-e2e-host", "--host");
  g_assert_true (wait_for (hosting, &app));
  invite = json_object_get_string_member (app.report, "invite-link");
  g_test_message ("invite link: %s", invite);
  g_assert_true (g_str_has_prefix (invite, "lattice://"));
  g_assert_nonnull (strstr (invite, "?fp=sha256:"));
  g_assert_cmpint (json_object_get_int_member (app.report, "n-tiles"), ==, 1);

  peer = lattice_test_peer_start ("Guest Peer", invite, NULL);
  g_assert_true (wait_for (two_tiles_with_video, &app));
  g_assert_cmpstr (json_object_get_string_member (remote_tile (&app, 0), "name"), ==, "Guest Peer");

  stop_app (&app);
  lattice_test_proc_signal (peer, SIGTERM);
  lattice_test_proc_wait_exit (peer, 30);
  app_clear (&app);
}

static gboolean
has_dialog (gpointer data)
{
  App *app = data;
  JsonArray *dialogs;

  g_assert_false (app_died (app));
  if (!read_report (app) || !json_object_has_member (app->report, "dialogs"))
    return FALSE;
  dialogs = json_object_get_array_member (app->report, "dialogs");
  return json_array_get_length (dialogs) > 0;
}

/* A server nobody runs: the person is told what happened and what to do,
 * back on the join page with the link still there. */
static void
test_unreachable (void)
{
  App app = { NULL };
  JsonObject *dialog;

  start_app (&app, "lattice-e2e-unreachable", "http://127.0.0.1:1/nobody-here");
  g_assert_true (wait_for (has_dialog, &app));
  dialog = json_array_get_object_element (json_object_get_array_member (app.report, "dialogs"), 0);
  g_assert_cmpstr (json_object_get_string_member (dialog, "heading"), ==, "Cannot Reach the Server");
  g_assert_nonnull (strstr (json_object_get_string_member (dialog, "body"), "try again"));
  g_assert_cmpstr (json_object_get_string_member (app.report, "page"), ==, "join");
  g_assert_false (json_object_get_boolean_member (app.report, "in-call"));

  stop_app (&app);
  app_clear (&app);
}

static gboolean
in_call_alone (gpointer data)
{
  App *app = data;

  g_assert_false (app_died (app));
  return read_report (app) &&
         g_strcmp0 (json_object_get_string_member_with_default (app->report, "page", ""), "call") == 0 &&
         json_object_get_int_member (app->report, "n-tiles") == 1;
}

/* A second link while in a call: the running app asks before leaving. Both
 * links come on the command line, the second in the lattice:// form. */
static void
test_second_link (void)
{
  g_autoptr(LatticeTestProc) server = NULL;
  g_autoptr(GSubprocess) bus = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *binary = g_build_filename (g_getenv ("LATTICE_BUILDDIR"), "ui", "lattice", NULL);
  g_autofree char *address = NULL, *first_link = NULL, *second_link = NULL;
  g_autoptr(GError) error = NULL;
  App app = { NULL };
  JsonObject *dialog;
  guint port;

  /* A session bus of our own, so a second `lattice LINK` reaches the first. */
  if ((bus = lattice_test_session_bus_start ("ui-e2e-bus", &address)) == NULL)
    {
      g_test_skip ("no dbus-daemon");
      return;
    }
  server = lattice_test_server_start (NULL, &port);
  first_link = g_strdup_printf ("http://127.0.0.1:%u/first-room", port);
  second_link = g_strdup_printf ("lattice://127.0.0.1:%u/second-room?tls=no", port);

  app.bus_address = address;
  start_app (&app, "lattice-e2e-second", first_link);
  g_assert_true (wait_for (in_call_alone, &app));

  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  second = g_subprocess_launcher_spawn (launcher, &error, binary, second_link, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (second, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (wait_for (has_dialog, &app));
  dialog = json_array_get_object_element (json_object_get_array_member (app.report, "dialogs"), 0);
  g_assert_cmpstr (json_object_get_string_member (dialog, "heading"), ==, "Leave the Current Call?");
  g_assert_nonnull (strstr (json_object_get_string_member (dialog, "body"), second_link));
  g_assert_cmpstr (json_object_get_string_member (app.report, "page"), ==, "call");

  stop_app (&app);
  lattice_test_proc_signal (server, SIGTERM);
  lattice_test_proc_wait_exit (server, 30);
  g_subprocess_force_exit (bus);
  g_subprocess_wait (bus, NULL, NULL);
  app_clear (&app);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("DISPLAY") == NULL)
    {
      g_printerr ("No display: skipping\n");
      return 77;
    }
  g_test_add_func ("/ui/e2e/call", test_call);
  g_test_add_func ("/ui/e2e/host", test_host);
  g_test_add_func ("/ui/e2e/unreachable", test_unreachable);
  g_test_add_func ("/ui/e2e/second-link", test_second_link);
  return g_test_run ();
}
