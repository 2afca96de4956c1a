/* lattice-camera-access.c: may we use a camera, and through what
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * In a sandbox the camera is behind org.freedesktop.portal.Camera: read
 * IsCameraPresent, AccessCamera (the person answers a dialog once; the
 * permission store remembers), then OpenPipeWireRemote gives a PipeWire
 * socket on which only cameras are visible. No portal on the bus is not
 * an error: the cameras are looked for as outside a sandbox.
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include <unistd.h>
#include <glib/gi18n.h>

#ifdef HAVE_LIBPORTAL
#include <libportal/portal.h>
#include <libportal-gtk4/portal-gtk4.h>
#endif

#include "lattice-camera-access.h"
#include "lattice-ui-enums.h"

#define PORTAL_BUS_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_OBJECT_PATH "/org/freedesktop/portal/desktop"
#define CAMERA_INTERFACE "org.freedesktop.portal.Camera"

struct _LatticeCameraAccess
{
  GObject parent_instance;

  LatticeCameraAccessState state;
  gboolean use_portal;
  GCancellable *cancellable;   /* the request under way */
  GDBusConnection *bus;
#ifdef HAVE_LIBPORTAL
  XdpPortal *portal;
#endif
  int fd;
};

G_DEFINE_FINAL_TYPE (LatticeCameraAccess, lattice_camera_access, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_USE_PORTAL,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What an async step needs: the object, unless it went away meanwhile. */
typedef struct
{
  GWeakRef self;
  GCancellable *cancellable;
  GtkWindow *parent;
} Request;

static Request *
request_new (LatticeCameraAccess *self,
             GtkWindow           *parent)
{
  Request *request = g_new0 (Request, 1);

  g_weak_ref_init (&request->self, self);
  request->cancellable = g_object_ref (self->cancellable);
  request->parent = parent ? g_object_ref (parent) : NULL;
  return request;
}

static void
request_free (Request *request)
{
  g_weak_ref_clear (&request->self);
  g_clear_object (&request->cancellable);
  g_clear_object (&request->parent);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

/* The object a step reports to, or NULL when it is gone or gave up. */
static LatticeCameraAccess *
request_dup_self (Request *request)
{
  if (g_cancellable_is_cancelled (request->cancellable))
    return NULL;
  return g_weak_ref_get (&request->self);
}

static void
set_state (LatticeCameraAccess      *self,
           LatticeCameraAccessState  state)
{
  if (self->state == state)
    return;
  g_debug ("Camera access: %s", g_enum_get_value (g_type_class_peek (LATTICE_TYPE_CAMERA_ACCESS_STATE), state)->value_nick);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
close_fd (LatticeCameraAccess *self)
{
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
}

static void
fall_back (LatticeCameraAccess *self,
           const char          *why)
{
  g_debug ("No Camera portal (%s): looking for cameras directly", why);
  set_state (self, LATTICE_CAMERA_ACCESS_UNAVAILABLE);
}

#ifdef HAVE_LIBPORTAL

/* A blocking D-Bus call in libportal 0.6: off the main thread. */
static void
open_remote_in_thread (GTask        *task,
                       gpointer      source,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  g_task_return_int (task, xdp_portal_open_pipewire_remote_for_camera (task_data));
}

static void
on_remote_opened (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Request) request = user_data;
  g_autoptr(LatticeCameraAccess) self = request_dup_self (request);
  int fd = g_task_propagate_int (G_TASK (result), NULL);

  if (self == NULL)
    {
      if (fd >= 0)
        close (fd);
      return;
    }
  if (fd < 0)
    {
      fall_back (self, "OpenPipeWireRemote failed");
      return;
    }
  self->fd = fd;
  set_state (self, LATTICE_CAMERA_ACCESS_GRANTED);
}

static void
open_remote (LatticeCameraAccess *self,
             Request             *request)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_remote_opened, request);

  g_task_set_task_data (task, g_object_ref (self->portal), g_object_unref);
  g_task_run_in_thread (task, open_remote_in_thread);
}

static void
on_access_camera (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Request) request = user_data;
  g_autoptr(LatticeCameraAccess) self = request_dup_self (request);
  g_autoptr(GError) error = NULL;
  gboolean granted = xdp_portal_access_camera_finish (XDP_PORTAL (source), result, &error);

  if (self == NULL)
    return;
  if (granted)
    {
      open_remote (self, g_steal_pointer (&request));
      return;
    }
  /* The Request's response: 1 (cancelled, the person said no) or 2 (other:
   * xdg-desktop-portal's answer when the permission store says no). A D-Bus
   * error instead means a portal without a working Camera interface. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_FAILED))
    {
      g_debug ("Camera access refused: %s", error->message);
      set_state (self, LATTICE_CAMERA_ACCESS_REFUSED);
    }
  else
    fall_back (self, error->message);
}

static void
access_camera (LatticeCameraAccess *self,
               Request             *request)
{
  g_autoptr(XdpParent) parent = NULL;

  if (self->portal == NULL)
    self->portal = xdp_portal_new ();
  /* A window that is not on screen has nothing to export as a parent. */
  if (request->parent != NULL && gtk_widget_get_mapped (GTK_WIDGET (request->parent)))
    parent = xdp_parent_new_gtk (request->parent);
  g_debug ("Asking the Camera portal for access");
  xdp_portal_access_camera (self->portal, parent, XDP_CAMERA_FLAG_NONE, self->cancellable,
                            on_access_camera, request);
}

#else

static void
access_camera (LatticeCameraAccess *self,
               Request             *request)
{
  request_free (request);
  fall_back (self, "built without libportal");
}

#endif

/* libportal's xdp_portal_is_camera_present() blocks and cannot tell "no
 * portal" from "no camera", so the property is read here. */
static void
on_camera_present (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Request *request = user_data;
  g_autoptr(LatticeCameraAccess) self = request_dup_self (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  g_autoptr(GVariant) present = NULL;

  if (self == NULL)
    {
      request_free (request);
      return;
    }
  if (reply == NULL)
    {
      request_free (request);
      fall_back (self, error->message);
      return;
    }
  g_variant_get (reply, "(v)", &present);
  if (!g_variant_is_of_type (present, G_VARIANT_TYPE_BOOLEAN) || !g_variant_get_boolean (present))
    {
      request_free (request);
      g_debug ("The Camera portal knows no camera");
      set_state (self, LATTICE_CAMERA_ACCESS_NO_CAMERA);
      return;
    }
  access_camera (self, request);
}

static void
ask_camera_present (LatticeCameraAccess *self,
                    Request             *request)
{
  g_dbus_connection_call (self->bus, PORTAL_BUS_NAME, PORTAL_OBJECT_PATH,
                          "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", CAMERA_INTERFACE, "IsCameraPresent"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          self->cancellable, on_camera_present, request);
}

static void
on_bus (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Request *request = user_data;
  g_autoptr(LatticeCameraAccess) self = request_dup_self (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_finish (result, &error);

  if (self == NULL || bus == NULL)
    {
      request_free (request);
      if (self != NULL)
        fall_back (self, error->message);
      return;
    }
  g_set_object (&self->bus, bus);
  ask_camera_present (self, request);
}

static void
lattice_camera_access_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  LatticeCameraAccess *self = LATTICE_CAMERA_ACCESS (object);

  switch (prop_id)
    {
    case PROP_USE_PORTAL:
      g_value_set_boolean (value, self->use_portal);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_camera_access_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  LatticeCameraAccess *self = LATTICE_CAMERA_ACCESS (object);

  switch (prop_id)
    {
    case PROP_USE_PORTAL:
      self->use_portal = g_value_get_boolean (value);
      self->state = self->use_portal ? LATTICE_CAMERA_ACCESS_IDLE : LATTICE_CAMERA_ACCESS_DIRECT;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_camera_access_dispose (GObject *object)
{
  LatticeCameraAccess *self = LATTICE_CAMERA_ACCESS (object);

  /* libportal closes the portal's Request, so no dialog outlives us */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
#ifdef HAVE_LIBPORTAL
  g_clear_object (&self->portal);
#endif
  g_clear_object (&self->bus);

  G_OBJECT_CLASS (lattice_camera_access_parent_class)->dispose (object);
}

static void
lattice_camera_access_finalize (GObject *object)
{
  close_fd (LATTICE_CAMERA_ACCESS (object));

  G_OBJECT_CLASS (lattice_camera_access_parent_class)->finalize (object);
}

static void
lattice_camera_access_class_init (LatticeCameraAccessClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = lattice_camera_access_get_property;
  object_class->set_property = lattice_camera_access_set_property;
  object_class->dispose = lattice_camera_access_dispose;
  object_class->finalize = lattice_camera_access_finalize;

  properties[PROP_USE_PORTAL] =
    g_param_spec_boolean ("use-portal", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       LATTICE_TYPE_CAMERA_ACCESS_STATE, LATTICE_CAMERA_ACCESS_DIRECT,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lattice_camera_access_init (LatticeCameraAccess *self)
{
  self->fd = -1;
}

gboolean
lattice_camera_access_in_sandbox (void)
{
  const char *env = g_getenv ("LATTICE_CAMERA_PORTAL");

  if (env != NULL && *env != '\0')
    return g_str_equal (env, "1");
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

LatticeCameraAccess *
lattice_camera_access_new (gboolean use_portal)
{
  return g_object_new (LATTICE_TYPE_CAMERA_ACCESS, "use-portal", use_portal, NULL);
}

LatticeCameraAccessState
lattice_camera_access_get_state (LatticeCameraAccess *self)
{
  g_return_val_if_fail (LATTICE_IS_CAMERA_ACCESS (self), LATTICE_CAMERA_ACCESS_DIRECT);

  return self->state;
}

void
lattice_camera_access_request (LatticeCameraAccess *self,
                               GtkWindow           *parent,
                               gboolean             again)
{
  Request *request;

  g_return_if_fail (LATTICE_IS_CAMERA_ACCESS (self));
  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));

  /* Once per run: only the person pressing the camera button asks again. */
  if (self->state != LATTICE_CAMERA_ACCESS_IDLE &&
      !(again && (self->state == LATTICE_CAMERA_ACCESS_REFUSED ||
                  self->state == LATTICE_CAMERA_ACCESS_NO_CAMERA)))
    return;

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  close_fd (self);
  set_state (self, LATTICE_CAMERA_ACCESS_ASKING);
  request = request_new (self, parent);
  if (self->bus != NULL)
    ask_camera_present (self, request);
  else
    g_bus_get (G_BUS_TYPE_SESSION, self->cancellable, on_bus, request);
}

int
lattice_camera_access_get_fd (LatticeCameraAccess *self)
{
  g_return_val_if_fail (LATTICE_IS_CAMERA_ACCESS (self), -1);

  return self->state == LATTICE_CAMERA_ACCESS_GRANTED ? self->fd : -1;
}

LatticeMediaSource
lattice_camera_access_video_source (LatticeCameraAccess *self,
                                    LatticeMediaSource   wanted)
{
  g_return_val_if_fail (LATTICE_IS_CAMERA_ACCESS (self), wanted);

  if (wanted == LATTICE_MEDIA_SOURCE_DEVICE &&
      (self->state == LATTICE_CAMERA_ACCESS_REFUSED || self->state == LATTICE_CAMERA_ACCESS_NO_CAMERA))
    return LATTICE_MEDIA_SOURCE_NONE;
  return wanted;
}

/* What to tell the user in the states that keep the camera away. */
static const struct {
  LatticeCameraAccessState state;
  const char              *title;
  const char              *description;
} notices[] = {
  { LATTICE_CAMERA_ACCESS_ASKING,
    N_("Asking for the camera…"),
    N_("Waiting for permission to use the camera…") },
  { LATTICE_CAMERA_ACCESS_REFUSED,
    N_("Camera access refused"),
    N_("Camera access was refused, so the call goes on without video. Allow it in Settings → Apps → Lattice, then press the camera button.") },
  { LATTICE_CAMERA_ACCESS_NO_CAMERA,
    N_("No camera"),
    N_("No camera was found, so the call goes on without video. Connect one, then press the camera button.") },
};

static const char *
notice_text (LatticeCameraAccess *self,
             gboolean             title)
{
  for (guint i = 0; i < G_N_ELEMENTS (notices); i++)
    if (notices[i].state == self->state)
      return _(title ? notices[i].title : notices[i].description);
  return NULL;
}

const char *
lattice_camera_access_get_title (LatticeCameraAccess *self)
{
  g_return_val_if_fail (LATTICE_IS_CAMERA_ACCESS (self), NULL);

  return notice_text (self, TRUE);
}

const char *
lattice_camera_access_describe (LatticeCameraAccess *self)
{
  g_return_val_if_fail (LATTICE_IS_CAMERA_ACCESS (self), NULL);

  return notice_text (self, FALSE);
}
