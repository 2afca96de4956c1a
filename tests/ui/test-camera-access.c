/* test-camera-access.c: LatticeCameraAccess against a mock Camera portal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A private dbus-daemon is the session bus. On a second connection to it
 * this process plays org.freedesktop.portal.Desktop: IsCameraPresent,
 * AccessCamera (answered through the Request's Response signal, sent to the
 * caller as xdg-desktop-portal does) and OpenPipeWireRemote (one end of a
 * socketpair), counting every call. The mock has a thread of its own:
 * libportal asks for the PipeWire remote with a blocking call.
 */
#include "config.h"

#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <gst/gst.h>

#include "lattice-camera-access.h"
#include "lattice-device-list.h"
#include "lattice-media-engine.h"
#include "lattice-test-proc.h"

#define NO_RESPONSE (-1)

static const char camera_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.portal.Camera'>"
  "    <method name='AccessCamera'>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='o' name='handle' direction='out'/>"
  "    </method>"
  "    <method name='OpenPipeWireRemote'>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='h' name='fd' direction='out'/>"
  "    </method>"
  "    <property name='IsCameraPresent' type='b' access='read'/>"
  "    <property name='version' type='u' access='read'/>"
  "  </interface>"
  "</node>";

/* The counters and answers are read and written with g_atomic_int_*. */
typedef struct
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GMutex lock;
  GCond cond;
  gboolean ready;
  gboolean own_name;
  GDBusConnection *connection;
  guint registration;
  guint owner;
  int camera_present;
  int response;            /* 0 granted, 1 refused, NO_RESPONSE: the dialog stays up */
  int n_present_reads;
  int n_access_calls;
  int n_open_calls;
  int remote_end;          /* our end of the socketpair handed out */
} MockPortal;

typedef struct
{
  MockPortal portal;
  LatticeCameraAccess *access;
} Fixture;

static void
mock_method_call (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  MockPortal *portal = user_data;

  if (g_str_equal (method_name, "AccessCamera"))
    {
      g_autoptr(GVariant) options = g_variant_get_child_value (parameters, 0);
      const char *token = "t";
      g_autofree char *caller = g_strdelimit (g_strdup (sender + 1), ".", '_');
      g_autofree char *handle = NULL;

      g_variant_lookup (options, "handle_token", "&s", &token);
      handle = g_strdup_printf ("/org/freedesktop/portal/desktop/request/%s/%s", caller, token);
      g_atomic_int_inc (&portal->n_access_calls);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", handle));
      if (g_atomic_int_get (&portal->response) != NO_RESPONSE)
        g_dbus_connection_emit_signal (connection, sender, handle, "org.freedesktop.portal.Request",
                                       "Response", g_variant_new ("(u@a{sv})", (guint32) g_atomic_int_get (&portal->response),
                                                                  g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                                       NULL);
    }
  else if (g_str_equal (method_name, "OpenPipeWireRemote"))
    {
      g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
      int pair[2];

      g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
      g_unix_fd_list_append (fds, pair[1], NULL);
      close (pair[1]);
      g_atomic_int_set (&portal->remote_end, pair[0]);
      g_atomic_int_inc (&portal->n_open_calls);
      g_dbus_method_invocation_return_value_with_unix_fd_list (invocation, g_variant_new ("(h)", 0), fds);
    }
  else
    g_assert_not_reached ();
}

static GVariant *
mock_get_property (GDBusConnection *connection,
                   const char      *sender,
                   const char      *object_path,
                   const char      *interface_name,
                   const char      *property_name,
                   GError         **error,
                   gpointer         user_data)
{
  MockPortal *portal = user_data;

  if (g_str_equal (property_name, "version"))
    return g_variant_new_uint32 (1);
  g_atomic_int_inc (&portal->n_present_reads);
  return g_variant_new_boolean (g_atomic_int_get (&portal->camera_present));
}

static const GDBusInterfaceVTable mock_vtable = { mock_method_call, mock_get_property, NULL };

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until @done (or 10 s, a failure). */
static void
spin_until (GSourceFunc done,
            gpointer    data)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (10, on_timeout, &timed_out);

  while (!done (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (id);
}

/* Lets whatever is under way arrive: a few round trips' worth. */
static void
spin_a_while (void)
{
  gboolean over = FALSE;

  g_timeout_add (300, on_timeout, &over);
  while (!over)
    g_main_context_iteration (NULL, TRUE);
}

/* In the mock's thread, with its context the thread-default one. */
static void
mock_connect (MockPortal *portal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (camera_xml, &error);
  gboolean acquired = FALSE;

  g_assert_no_error (error);
  portal->connection = g_dbus_connection_new_for_address_sync (g_getenv ("DBUS_SESSION_BUS_ADDRESS"),
                                                               G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                               G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                               NULL, NULL, &error);
  g_assert_no_error (error);
  if (!portal->own_name)
    return;
  portal->registration = g_dbus_connection_register_object (portal->connection, "/org/freedesktop/portal/desktop",
                                                            info->interfaces[0], &mock_vtable, portal, NULL, &error);
  g_assert_no_error (error);
  portal->owner = g_bus_own_name_on_connection (portal->connection, "org.freedesktop.portal.Desktop",
                                                G_BUS_NAME_OWNER_FLAGS_NONE, on_name_acquired, NULL,
                                                &acquired, NULL);
  while (!acquired)
    g_main_context_iteration (portal->context, TRUE);
}

static void
mock_disconnect (MockPortal *portal)
{
  if (portal->owner != 0)
    g_bus_unown_name (portal->owner);
  if (portal->registration != 0)
    g_dbus_connection_unregister_object (portal->connection, portal->registration);
  g_dbus_connection_close_sync (portal->connection, NULL, NULL);
  g_clear_object (&portal->connection);
}

static gpointer
mock_thread (gpointer data)
{
  MockPortal *portal = data;

  g_main_context_push_thread_default (portal->context);
  mock_connect (portal);
  g_mutex_lock (&portal->lock);
  portal->ready = TRUE;
  g_cond_signal (&portal->cond);
  g_mutex_unlock (&portal->lock);
  g_main_loop_run (portal->loop);
  mock_disconnect (portal);
  g_main_context_pop_thread_default (portal->context);
  return NULL;
}

/* Without @own_name, the mock connects but nobody is the portal. */
static void
mock_start (MockPortal *portal,
            gboolean    own_name)
{
  portal->own_name = own_name;
  portal->remote_end = -1;
  portal->context = g_main_context_new ();
  portal->loop = g_main_loop_new (portal->context, FALSE);
  g_mutex_init (&portal->lock);
  g_cond_init (&portal->cond);
  portal->thread = g_thread_new ("mock-portal", mock_thread, portal);
  g_mutex_lock (&portal->lock);
  while (!portal->ready)
    g_cond_wait (&portal->cond, &portal->lock);
  g_mutex_unlock (&portal->lock);
}

static void
mock_stop (MockPortal *portal)
{
  g_main_loop_quit (portal->loop);
  g_thread_join (portal->thread);
  g_main_loop_unref (portal->loop);
  g_main_context_unref (portal->context);
  g_mutex_clear (&portal->lock);
  g_cond_clear (&portal->cond);
  if (portal->remote_end >= 0)
    close (portal->remote_end);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->portal.camera_present = TRUE;
  fixture->portal.response = 0;
  mock_start (&fixture->portal, data == NULL);
  fixture->access = lattice_camera_access_new (TRUE);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->access != NULL)
    g_assert_finalize_object (fixture->access);
  mock_stop (&fixture->portal);
}

static gboolean
answered (gpointer data)
{
  return lattice_camera_access_get_state (data) != LATTICE_CAMERA_ACCESS_ASKING;
}

/* Asks as the window does at the first join, and waits for the answer. */
static LatticeCameraAccessState
request_and_wait (LatticeCameraAccess *access,
                  gboolean             again)
{
  lattice_camera_access_request (access, NULL, again);
  g_assert_cmpint (lattice_camera_access_get_state (access), ==, LATTICE_CAMERA_ACCESS_ASKING);
  spin_until (answered, access);
  return lattice_camera_access_get_state (access);
}

/* The engine that a refused camera leaves: audio only, and it starts. */
static void
assert_engine_starts (LatticeMediaSource video,
                      guint              expected_video_encoders)
{
  g_autoptr(LatticeMediaEngine) engine = lattice_media_engine_new (video, LATTICE_MEDIA_SOURCE_TEST);
  g_autoptr(GError) error = NULL;
  guint n_video = 99, n_audio = 99;

  g_assert_true (lattice_media_engine_start (engine, &error));
  g_assert_no_error (error);
  lattice_media_engine_count_encoders (engine, &n_video, &n_audio);
  g_assert_cmpuint (n_video, ==, expected_video_encoders);
  g_assert_cmpuint (n_audio, ==, 1);
  lattice_media_engine_stop (engine);
}

static void
test_sandbox_detection (void)
{
  g_setenv ("LATTICE_CAMERA_PORTAL", "1", TRUE);
  g_assert_true (lattice_camera_access_in_sandbox ());
  g_setenv ("LATTICE_CAMERA_PORTAL", "0", TRUE);
  g_assert_false (lattice_camera_access_in_sandbox ());
  g_unsetenv ("LATTICE_CAMERA_PORTAL");
  g_assert_cmpint (lattice_camera_access_in_sandbox (), ==, g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS));
}

/* Outside the sandbox the portal, although there, is never asked. */
static void
test_direct (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(LatticeCameraAccess) access = NULL;

  g_setenv ("LATTICE_CAMERA_PORTAL", "0", TRUE);
  access = lattice_camera_access_new (lattice_camera_access_in_sandbox ());
  g_unsetenv ("LATTICE_CAMERA_PORTAL");

  lattice_camera_access_request (access, NULL, FALSE);
  lattice_camera_access_request (access, NULL, TRUE);
  spin_a_while ();
  g_assert_cmpint (lattice_camera_access_get_state (access), ==, LATTICE_CAMERA_ACCESS_DIRECT);
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_present_reads), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_access_calls), ==, 0);
  g_assert_cmpint (lattice_camera_access_get_fd (access), ==, -1);
  g_assert_cmpint (lattice_camera_access_video_source (access, LATTICE_MEDIA_SOURCE_DEVICE), ==,
                   LATTICE_MEDIA_SOURCE_DEVICE);
  g_assert_null (lattice_camera_access_describe (access));
  g_assert_finalize_object (g_steal_pointer (&access));
}

static void
test_granted (Fixture       *fixture,
              gconstpointer  data)
{
  LatticeCameraAccess *access = fixture->access;
  char buffer[8] = { 0 };
  int fd;

  g_assert_cmpint (lattice_camera_access_get_state (access), ==, LATTICE_CAMERA_ACCESS_IDLE);
  g_assert_cmpint (request_and_wait (access, FALSE), ==, LATTICE_CAMERA_ACCESS_GRANTED);
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_present_reads), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_access_calls), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_open_calls), ==, 1);

  /* the fd is the portal's socket: what the portal writes comes out of it */
  fd = lattice_camera_access_get_fd (access);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (g_atomic_int_get (&fixture->portal.remote_end), "remote", 6), ==, 6);
  g_assert_cmpint (read (fd, buffer, sizeof buffer), ==, 6);
  g_assert_cmpstr (buffer, ==, "remote");

  g_assert_cmpint (lattice_camera_access_video_source (access, LATTICE_MEDIA_SOURCE_DEVICE), ==,
                   LATTICE_MEDIA_SOURCE_DEVICE);
  g_assert_null (lattice_camera_access_describe (access));

  /* granted is for the run: asking again does nothing */
  lattice_camera_access_request (access, NULL, TRUE);
  spin_a_while ();
  g_assert_cmpint (lattice_camera_access_get_state (access), ==, LATTICE_CAMERA_ACCESS_GRANTED);
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_access_calls), ==, 1);
}

static gboolean
not_loading (gpointer data)
{
  return !lattice_device_list_get_loading (data);
}

/* Granted, the camera list comes from the portal's remote: PipeWire's
 * client speaks on it. This remote never answers, and the list must not
 * wait for it on the main thread. */
static void
test_granted_device_list (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(LatticeDeviceList) cameras = NULL;
  char buffer[256];
  GPollFD poll_fd = { 0, G_IO_IN, 0 };

  g_assert_cmpint (request_and_wait (fixture->access, FALSE), ==, LATTICE_CAMERA_ACCESS_GRANTED);
  cameras = lattice_device_list_new_for_pipewire ("Video/Source", lattice_camera_access_get_fd (fixture->access));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cameras)), ==, 0);
  g_assert_cmpint (g_list_model_get_item_type (G_LIST_MODEL (cameras)), ==, GST_TYPE_DEVICE);

  poll_fd.fd = g_atomic_int_get (&fixture->portal.remote_end);
  g_assert_cmpint (g_poll (&poll_fd, 1, 10000), ==, 1);
  g_assert_cmpint (read (poll_fd.fd, buffer, sizeof buffer), >, 0);
  /* the window joins once the list is loaded: a silent remote ends that too */
  g_assert_true (lattice_device_list_get_loading (cameras));
  spin_until (not_loading, cameras);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cameras)), ==, 0);
  /* the provider's start still waits, and keeps the list until it gives up */
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_refused (Fixture       *fixture,
              gconstpointer  data)
{
  LatticeCameraAccess *access = fixture->access;
  guint notifies = 0;

  g_atomic_int_set (&fixture->portal.response, 1);
  g_assert_cmpint (request_and_wait (access, FALSE), ==, LATTICE_CAMERA_ACCESS_REFUSED);
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_access_calls), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_open_calls), ==, 0);
  g_assert_cmpint (lattice_camera_access_get_fd (access), ==, -1);
  g_assert_nonnull (lattice_camera_access_describe (access));
  g_assert_nonnull (lattice_camera_access_get_title (access));

  /* every join, every refresh: no more asking, no state flapping */
  g_signal_connect (access, "notify::state", G_CALLBACK (count_notify), &notifies);
  for (guint i = 0; i < 5; i++)
    {
      lattice_camera_access_request (access, NULL, FALSE);
      spin_a_while ();
    }
  g_assert_cmpint (lattice_camera_access_get_state (access), ==, LATTICE_CAMERA_ACCESS_REFUSED);
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_access_calls), ==, 1);
  g_assert_cmpuint (notifies, ==, 0);

  /* the call goes on with audio only */
  g_assert_cmpint (lattice_camera_access_video_source (access, LATTICE_MEDIA_SOURCE_DEVICE), ==,
                   LATTICE_MEDIA_SOURCE_NONE);
  g_assert_cmpint (lattice_camera_access_video_source (access, LATTICE_MEDIA_SOURCE_TEST), ==,
                   LATTICE_MEDIA_SOURCE_TEST);
  assert_engine_starts (lattice_camera_access_video_source (access, LATTICE_MEDIA_SOURCE_DEVICE), 0);

  /* the camera button: one more question, granted this time */
  g_atomic_int_set (&fixture->portal.response, 0);
  g_assert_cmpint (request_and_wait (access, TRUE), ==, LATTICE_CAMERA_ACCESS_GRANTED);
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_access_calls), ==, 2);
  g_assert_cmpint (lattice_camera_access_get_fd (access), >=, 0);
  g_signal_handlers_disconnect_by_data (access, &notifies);
}

static void
test_no_camera (Fixture       *fixture,
                gconstpointer  data)
{
  g_atomic_int_set (&fixture->portal.camera_present, FALSE);
  g_assert_cmpint (request_and_wait (fixture->access, FALSE), ==, LATTICE_CAMERA_ACCESS_NO_CAMERA);
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_present_reads), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_access_calls), ==, 0);
  g_assert_cmpint (lattice_camera_access_video_source (fixture->access, LATTICE_MEDIA_SOURCE_DEVICE), ==,
                   LATTICE_MEDIA_SOURCE_NONE);
  g_assert_nonnull (lattice_camera_access_describe (fixture->access));

  lattice_camera_access_request (fixture->access, NULL, FALSE);
  spin_a_while ();
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_present_reads), ==, 1);
}

/* Nobody owns org.freedesktop.portal.Desktop: cameras as outside. */
static void
test_no_portal (Fixture       *fixture,
                gconstpointer  data)
{
  g_assert_cmpint (request_and_wait (fixture->access, FALSE), ==, LATTICE_CAMERA_ACCESS_UNAVAILABLE);
  g_assert_cmpint (lattice_camera_access_get_fd (fixture->access), ==, -1);
  g_assert_cmpint (lattice_camera_access_video_source (fixture->access, LATTICE_MEDIA_SOURCE_DEVICE), ==,
                   LATTICE_MEDIA_SOURCE_DEVICE);
  g_assert_null (lattice_camera_access_describe (fixture->access));

  lattice_camera_access_request (fixture->access, NULL, TRUE);
  spin_a_while ();
  g_assert_cmpint (lattice_camera_access_get_state (fixture->access), ==, LATTICE_CAMERA_ACCESS_UNAVAILABLE);
}

static gboolean
access_called (gpointer data)
{
  return g_atomic_int_get (&((MockPortal *) data)->n_access_calls) > 0;
}

/* The window goes away while the dialog is up: nothing answers to a
 * finalized object later. */
static void
test_gone_while_asking (Fixture       *fixture,
                        gconstpointer  data)
{
  g_atomic_int_set (&fixture->portal.response, NO_RESPONSE);
  lattice_camera_access_request (fixture->access, NULL, FALSE);
  spin_until (access_called, &fixture->portal);
  g_assert_cmpint (lattice_camera_access_get_state (fixture->access), ==, LATTICE_CAMERA_ACCESS_ASKING);
  g_assert_finalize_object (g_steal_pointer (&fixture->access));
  spin_a_while ();
  g_assert_cmpint (g_atomic_int_get (&fixture->portal.n_open_calls), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GSubprocess) bus = NULL;
  g_autofree char *address = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_unsetenv ("LATTICE_CAMERA_PORTAL");
  if ((bus = lattice_test_session_bus_start ("camera-access-bus", &address)) == NULL)
    {
      g_printerr ("No dbus-daemon: skipping\n");
      return 77;
    }
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

  g_test_add_func ("/camera-access/sandbox-detection", test_sandbox_detection);
#define ADD(path, func, data) \
  g_test_add ("/camera-access/" path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("direct", test_direct, NULL);
  ADD ("granted", test_granted, NULL);
  ADD ("granted-device-list", test_granted_device_list, NULL);
  ADD ("refused", test_refused, NULL);
  ADD ("no-camera", test_no_camera, NULL);
  ADD ("no-portal", test_no_portal, GINT_TO_POINTER (1));
  ADD ("gone-while-asking", test_gone_while_asking, NULL);
#undef ADD
  status = g_test_run ();

  /* the engine's DTLS certificate is made in a thread: not during exit() */
  lattice_media_wait_prepared ();

  g_subprocess_force_exit (bus);
  g_subprocess_wait (bus, NULL, NULL);
  return status;
}
