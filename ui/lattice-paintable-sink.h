/* lattice-paintable-sink.h: a GdkPaintable fed by a GStreamer appsink
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fallback for systems without gtk4paintablesink (Debian 12): the
 * object is the GdkPaintable a GtkPicture shows, and create_element() makes
 * the sink (videoconvert ! appsink) that feeds it. The element holds a
 * reference on the paintable, never the other way round, so a pipeline that
 * drops the sink also lets the paintable go when nobody shows it.
 */
#pragma once

#include <gtk/gtk.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define LATTICE_TYPE_PAINTABLE_SINK (lattice_paintable_sink_get_type ())
G_DECLARE_FINAL_TYPE (LatticePaintableSink, lattice_paintable_sink, LATTICE, PAINTABLE_SINK, GObject)

/* Frames are handed to the main context that is thread-default now. */
LatticePaintableSink *lattice_paintable_sink_new            (void);
/* A new (floating) sink element that draws into @self. */
GstElement           *lattice_paintable_sink_create_element (LatticePaintableSink *self);
/* How many frames reached the main context (for tests and the debug report). */
guint64               lattice_paintable_sink_get_n_frames   (LatticePaintableSink *self);

/* A video sink for a tile: gtk4paintablesink when it exists, else a
 * LatticePaintableSink. @paintable receives the GdkPaintable to show. */
GstElement           *lattice_video_sink_create             (GdkPaintable        **paintable);

G_END_DECLS
