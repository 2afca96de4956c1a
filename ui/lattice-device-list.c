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
  GstDeviceMonitor *monitor;
  GPtrArray *devices;   /* GstDevice */
};

static void lattice_device_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LatticeDeviceList, lattice_device_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      lattice_device_list_model_init))

enum {
  PROP_0,
  PROP_DEVICE_CLASS,
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

  if (g_ptr_array_find (self->devices, device, NULL))
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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_device_list_constructed (GObject *object)
{
  G_OBJECT_CLASS (lattice_device_list_parent_class)->constructed (object);
  start_monitor (LATTICE_DEVICE_LIST (object));
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
