/* lattice-device-list.c: the cameras, microphones or speakers there are now
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include "lattice-device-list.h"

struct _LatticeDeviceList
{
  GObject parent_instance;

  char *device_class;
  int pipewire_fd;
  GstDeviceMonitor *monitor;
  GstDeviceProvider *provider;   /* instead of the monitor, with pipewire_fd */
  gboolean provider_started;
  gboolean loading;
  guint loading_timeout_id;
  GPtrArray *devices;   /* GstDevice */
};

static void lattice_device_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LatticeDeviceList, lattice_device_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      lattice_device_list_model_init))

enum {
  PROP_0,
  PROP_DEVICE_CLASS,
  PROP_PIPEWIRE_FD,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
model_get_item_type (GListModel *model)
{
  return GST_TYPE_DEVICE;
}

static guint
model_get_n_items (GListModel *model)
{
  return LATTICE_DEVICE_LIST (model)->devices->len;
}

static gpointer
model_get_item (GListModel *model,
                guint       position)
{
  LatticeDeviceList *self = LATTICE_DEVICE_LIST (model);

  if (position >= self->devices->len)
    return NULL;
  return gst_object_ref (g_ptr_array_index (self->devices, position));
}

static void
lattice_device_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = model_get_item_type;
  iface->get_n_items = model_get_n_items;
  iface->get_item = model_get_item;
}

static void
add_device (LatticeDeviceList *self,
            GstDevice         *device)
{
  guint position;

  /* a provider, unlike a monitor, does not filter */
  if (g_ptr_array_find (self->devices, device, NULL) ||
      !gst_device_has_classes (device, self->device_class))
    return;
  g_ptr_array_add (self->devices, gst_object_ref (device));
  position = self->devices->len - 1;
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
}

static void
remove_device (LatticeDeviceList *self,
               GstDevice         *device)
{
  guint position;

  if (!g_ptr_array_find (self->devices, device, &position))
    return;
  g_ptr_array_remove_index (self->devices, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  LatticeDeviceList *self = user_data;
  g_autoptr(GstDevice) device = NULL;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_DEVICE_ADDED:
      gst_message_parse_device_added (message, &device);
      add_device (self, device);
      break;
    case GST_MESSAGE_DEVICE_REMOVED:
      gst_message_parse_device_removed (message, &device);
      remove_device (self, device);
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static void
start_monitor (LatticeDeviceList *self)
{
  g_autoptr(GstBus) bus = NULL;
  GList *devices;

  self->monitor = gst_device_monitor_new ();
  gst_device_monitor_add_filter (self->monitor, self->device_class, NULL);
  bus = gst_device_monitor_get_bus (self->monitor);
  gst_bus_add_watch (bus, on_bus_message, self);
  /* No devices of a class is normal (no camera); the list stays empty. */
  if (!gst_device_monitor_start (self->monitor))
    g_debug ("No device monitor for %s", self->device_class);

  devices = gst_device_monitor_get_devices (self->monitor);
  for (GList *l = devices; l != NULL; l = l->next)
    add_device (self, l->data);
  g_list_free_full (devices, gst_object_unref);
}

static void
set_loading (LatticeDeviceList *self,
             gboolean           loading)
{
  if (!loading)
    g_clear_handle_id (&self->loading_timeout_id, g_source_remove);
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* A remote that does not answer is no reason to wait for ever. */
static gboolean
on_loading_timeout (gpointer data)
{
  LatticeDeviceList *self = data;

  self->loading_timeout_id = 0;
  g_debug ("The PipeWire remote has not answered yet: no cameras for now");
  set_loading (self, FALSE);
  return G_SOURCE_REMOVE;
}

static void
start_provider_in_thread (GTask        *task,
                          gpointer      source,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  g_task_return_boolean (task, gst_device_provider_start (task_data));
}

static void
on_provider_started (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  LatticeDeviceList *self = LATTICE_DEVICE_LIST (source);
  GList *devices;

  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    {
      g_debug ("The PipeWire device provider did not start on fd %d", self->pipewire_fd);
      set_loading (self, FALSE);
      return;
    }
  self->provider_started = TRUE;
  devices = gst_device_provider_get_devices (self->provider);
  for (GList *l = devices; l != NULL; l = l->next)
    add_device (self, l->data);
  g_list_free_full (devices, gst_object_unref);
  set_loading (self, FALSE);
}

/* The pipewire plugin's provider takes the fd the portal gave: there only
 * the cameras the person allowed are visible. Its start waits for the
 * remote to answer (forever, in 0.3.65, if the remote dies meanwhile), so it
 * starts in a thread; the task keeps the list alive until then. */
static void
start_provider (LatticeDeviceList *self)
{
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GTask) task = NULL;

  self->provider = gst_device_provider_factory_get_by_name ("pipewiredeviceprovider");
  if (self->provider == NULL)
    {
      g_debug ("No PipeWire device provider (gstreamer1.0-pipewire): no cameras");
      return;
    }
  g_object_set (self->provider, "fd", self->pipewire_fd, NULL);
  bus = gst_device_provider_get_bus (self->provider);
  gst_bus_add_watch (bus, on_bus_message, self);
  self->loading = TRUE;
  self->loading_timeout_id = g_timeout_add_seconds (5, on_loading_timeout, self);
  task = g_task_new (self, NULL, on_provider_started, NULL);
  g_task_set_task_data (task, gst_object_ref (self->provider), gst_object_unref);
  g_task_run_in_thread (task, start_provider_in_thread);
}

static void
lattice_device_list_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  LatticeDeviceList *self = LATTICE_DEVICE_LIST (object);

  switch (prop_id)
    {
    case PROP_DEVICE_CLASS:
      g_value_set_string (value, self->device_class);
      break;
    case PROP_PIPEWIRE_FD:
      g_value_set_int (value, self->pipewire_fd);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_device_list_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  LatticeDeviceList *self = LATTICE_DEVICE_LIST (object);

  switch (prop_id)
    {
    case PROP_DEVICE_CLASS:
      self->device_class = g_value_dup_string (value);
      break;
    case PROP_PIPEWIRE_FD:
      self->pipewire_fd = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_device_list_constructed (GObject *object)
{
  LatticeDeviceList *self = LATTICE_DEVICE_LIST (object);

  G_OBJECT_CLASS (lattice_device_list_parent_class)->constructed (object);
  if (self->pipewire_fd >= 0)
    start_provider (self);
  else
    start_monitor (self);
}

static void
lattice_device_list_dispose (GObject *object)
{
  LatticeDeviceList *self = LATTICE_DEVICE_LIST (object);

  if (self->monitor != NULL)
    {
      g_autoptr(GstBus) bus = gst_device_monitor_get_bus (self->monitor);

      gst_bus_remove_watch (bus);
      gst_device_monitor_stop (self->monitor);
      gst_clear_object (&self->monitor);
    }
  if (self->provider != NULL)
    {
      g_autoptr(GstBus) bus = gst_device_provider_get_bus (self->provider);

      gst_bus_remove_watch (bus);
      if (self->provider_started)
        gst_device_provider_stop (self->provider);
      gst_clear_object (&self->provider);
    }
  g_clear_handle_id (&self->loading_timeout_id, g_source_remove);
  g_ptr_array_set_size (self->devices, 0);

  G_OBJECT_CLASS (lattice_device_list_parent_class)->dispose (object);
}

static void
lattice_device_list_finalize (GObject *object)
{
  LatticeDeviceList *self = LATTICE_DEVICE_LIST (object);

  g_clear_pointer (&self->devices, g_ptr_array_unref);
  g_clear_pointer (&self->device_class, g_free);

  G_OBJECT_CLASS (lattice_device_list_parent_class)->finalize (object);
}

static void
lattice_device_list_class_init (LatticeDeviceListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = lattice_device_list_get_property;
  object_class->set_property = lattice_device_list_set_property;
  object_class->constructed = lattice_device_list_constructed;
  object_class->dispose = lattice_device_list_dispose;
  object_class->finalize = lattice_device_list_finalize;

  properties[PROP_DEVICE_CLASS] =
    g_param_spec_string ("device-class", NULL, NULL, "Video/Source",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PIPEWIRE_FD] =
    g_param_spec_int ("pipewire-fd", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lattice_device_list_init (LatticeDeviceList *self)
{
  self->devices = g_ptr_array_new_with_free_func (gst_object_unref);
}

LatticeDeviceList *
lattice_device_list_new (const char *device_class)
{
  g_return_val_if_fail (device_class != NULL, NULL);

  return g_object_new (LATTICE_TYPE_DEVICE_LIST, "device-class", device_class, NULL);
}

LatticeDeviceList *
lattice_device_list_new_for_pipewire (const char *device_class,
                                      int         fd)
{
  g_return_val_if_fail (device_class != NULL, NULL);
  g_return_val_if_fail (fd >= 0, NULL);

  return g_object_new (LATTICE_TYPE_DEVICE_LIST, "device-class", device_class, "pipewire-fd", fd, NULL);
}

const char *
lattice_device_list_get_device_class (LatticeDeviceList *self)
{
  g_return_val_if_fail (LATTICE_IS_DEVICE_LIST (self), NULL);

  return self->device_class;
}

GstDevice *
lattice_device_list_lookup (LatticeDeviceList *self,
                            const char        *name)
{
  g_return_val_if_fail (LATTICE_IS_DEVICE_LIST (self), NULL);

  if (name == NULL || *name == '\0')
    return NULL;
  for (guint i = 0; i < self->devices->len; i++)
    {
      GstDevice *device = g_ptr_array_index (self->devices, i);
      g_autofree char *display_name = gst_device_get_display_name (device);

      if (g_strcmp0 (display_name, name) == 0)
        return device;
    }
  return NULL;
}

gboolean
lattice_device_list_get_loading (LatticeDeviceList *self)
{
  g_return_val_if_fail (LATTICE_IS_DEVICE_LIST (self), FALSE);

  return self->loading;
}
