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
/* The same, from the PipeWire remote @fd (the Camera portal's) instead of a
 * GstDeviceMonitor: its devices make pipewiresrc elements that use @fd,
 * which must stay open as long as the list and its devices live. */
LatticeDeviceList *lattice_device_list_new_for_pipewire (const char      *device_class,
                                                         int              fd);
const char        *lattice_device_list_get_device_class (LatticeDeviceList *self);
/* Property "loading": TRUE while a PipeWire list has not heard from its
 * remote yet (at most 5 s); a GstDeviceMonitor list is never loading. */
gboolean           lattice_device_list_get_loading    (LatticeDeviceList *self);
/* The device whose display name is @name, or NULL (also for NULL or ""). */
GstDevice         *lattice_device_list_lookup         (LatticeDeviceList *self,
                                                       const char        *name);

G_END_DECLS
