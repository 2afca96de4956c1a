/* lattice-device-list.h: the cameras, microphones or speakers there are now
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define LATTICE_TYPE_DEVICE_LIST (lattice_device_list_get_type ())
G_DECLARE_FINAL_TYPE (LatticeDeviceList, lattice_device_list, LATTICE, DEVICE_LIST, GObject)

/* A GListModel of GstDevice of one class ("Video/Source", "Audio/Source",
 * "Audio/Sink"), kept up to date by a GstDeviceMonitor whose bus is watched
 * on the thread-default main context. */
LatticeDeviceList *lattice_device_list_new            (const char        *device_class);
const char        *lattice_device_list_get_device_class (LatticeDeviceList *self);
/* The device whose display name is @name, or NULL (also for NULL or ""). */
GstDevice         *lattice_device_list_lookup         (LatticeDeviceList *self,
                                                       const char        *name);

G_END_DECLS
