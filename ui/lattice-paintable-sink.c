/* lattice-paintable-sink.c: a GdkPaintable fed by a GStreamer appsink
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "lattice-paintable-sink.h"

/* BGRA first: it is cairo's own layout on little-endian machines, so the
 * cairo renderer draws it without converting. Alpha is always opaque after
 * videoconvert, so "premultiplied" is the same picture. */
#define SINK_CAPS "video/x-raw, format=(string){ BGRA, RGBA }"

struct _LatticePaintableSink
{
  GObject parent_instance;

  GMainContext *context;

  /* Shared with the streaming thread. */
  GMutex lock;
  GstSample *pending;
  gboolean update_scheduled;

  /* Main context only. */
  GdkTexture *texture;
  int width;
  int height;
  guint64 n_frames;
};

static void lattice_paintable_sink_paintable_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LatticePaintableSink, lattice_paintable_sink, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      lattice_paintable_sink_paintable_init))

static void
frame_free (gpointer data)
{
  GstVideoFrame *frame = data;

  gst_video_frame_unmap (frame);
  g_free (frame);
}

/* The texture borrows the mapped buffer; it is unmapped when the texture goes. */
static GdkTexture *
texture_from_sample (GstSample *sample,
                     int       *width)
{
  GstVideoInfo info;
  GstVideoFrame *frame;
  GdkMemoryFormat format;
  g_autoptr(GBytes) bytes = NULL;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample)))
    return NULL;
  format = GST_VIDEO_INFO_FORMAT (&info) == GST_VIDEO_FORMAT_RGBA
             ? GDK_MEMORY_R8G8B8A8_PREMULTIPLIED
             : GDK_MEMORY_B8G8R8A8_PREMULTIPLIED;

  frame = g_new0 (GstVideoFrame, 1);
  if (!gst_video_frame_map (frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ))
    {
      g_free (frame);
      return NULL;
    }
  bytes = g_bytes_new_with_free_func (GST_VIDEO_FRAME_PLANE_DATA (frame, 0),
                                      GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0) * GST_VIDEO_INFO_HEIGHT (&info),
                                      frame_free, frame);
  /* Non-square pixels: the intrinsic width is the displayed one. */
  *width = (int) gst_util_uint64_scale_int (GST_VIDEO_INFO_WIDTH (&info),
                                            GST_VIDEO_INFO_PAR_N (&info),
                                            MAX (GST_VIDEO_INFO_PAR_D (&info), 1));
  return gdk_memory_texture_new (GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info),
                                 format, bytes, GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0));
}

/* Main context: only the newest frame is drawn, older ones were replaced. */
static gboolean
update_texture (gpointer data)
{
  LatticePaintableSink *self = data;
  g_autoptr(GstSample) sample = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  gboolean size_changed;
  int width = 0;

  g_mutex_lock (&self->lock);
  sample = g_steal_pointer (&self->pending);
  self->update_scheduled = FALSE;
  g_mutex_unlock (&self->lock);

  if (sample == NULL || (texture = texture_from_sample (sample, &width)) == NULL)
    return G_SOURCE_REMOVE;

  size_changed = width != self->width || gdk_texture_get_height (texture) != self->height;
  self->width = width;
  self->height = gdk_texture_get_height (texture);
  g_set_object (&self->texture, texture);
  self->n_frames++;

  if (size_changed)
    gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
  return G_SOURCE_REMOVE;
}

/* Streaming thread. */
static GstFlowReturn
on_new_sample (GstAppSink *appsink,
               gpointer    user_data)
{
  LatticePaintableSink *self = user_data;
  GstSample *sample = gst_app_sink_pull_sample (appsink);
  gboolean schedule;

  if (sample == NULL)
    return GST_FLOW_EOS;

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->pending, gst_sample_unref);
  self->pending = sample;
  schedule = !self->update_scheduled;
  self->update_scheduled = TRUE;
  g_mutex_unlock (&self->lock);

  if (schedule)
    g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, update_texture,
                                g_object_ref (self), g_object_unref);
  return GST_FLOW_OK;
}

static void
paintable_snapshot (GdkPaintable *paintable,
                    GdkSnapshot  *snapshot,
                    double        width,
                    double        height)
{
  LatticePaintableSink *self = LATTICE_PAINTABLE_SINK (paintable);

  if (self->texture != NULL)
    gdk_paintable_snapshot (GDK_PAINTABLE (self->texture), snapshot, width, height);
}

static GdkPaintable *
paintable_get_current_image (GdkPaintable *paintable)
{
  LatticePaintableSink *self = LATTICE_PAINTABLE_SINK (paintable);

  if (self->texture != NULL)
    return GDK_PAINTABLE (g_object_ref (self->texture));
  return gdk_paintable_new_empty (0, 0);
}

static int
paintable_get_intrinsic_width (GdkPaintable *paintable)
{
  return LATTICE_PAINTABLE_SINK (paintable)->width;
}

static int
paintable_get_intrinsic_height (GdkPaintable *paintable)
{
  return LATTICE_PAINTABLE_SINK (paintable)->height;
}

static double
paintable_get_intrinsic_aspect_ratio (GdkPaintable *paintable)
{
  LatticePaintableSink *self = LATTICE_PAINTABLE_SINK (paintable);

  return self->height > 0 ? (double) self->width / self->height : 0.0;
}

static void
lattice_paintable_sink_paintable_init (GdkPaintableInterface *iface)
{
  iface->snapshot = paintable_snapshot;
  iface->get_current_image = paintable_get_current_image;
  iface->get_intrinsic_width = paintable_get_intrinsic_width;
  iface->get_intrinsic_height = paintable_get_intrinsic_height;
  iface->get_intrinsic_aspect_ratio = paintable_get_intrinsic_aspect_ratio;
}

static void
lattice_paintable_sink_finalize (GObject *object)
{
  LatticePaintableSink *self = LATTICE_PAINTABLE_SINK (object);

  g_clear_pointer (&self->pending, gst_sample_unref);
  g_clear_object (&self->texture);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (lattice_paintable_sink_parent_class)->finalize (object);
}

static void
lattice_paintable_sink_class_init (LatticePaintableSinkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lattice_paintable_sink_finalize;
}

static void
lattice_paintable_sink_init (LatticePaintableSink *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
}

LatticePaintableSink *
lattice_paintable_sink_new (void)
{
  return g_object_new (LATTICE_TYPE_PAINTABLE_SINK, NULL);
}

GstElement *
lattice_paintable_sink_create_element (LatticePaintableSink *self)
{
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };
  g_autoptr(GstCaps) caps = gst_caps_from_string (SINK_CAPS);
  GstElement *bin = gst_bin_new (NULL);
  GstElement *convert = gst_element_factory_make ("videoconvert", NULL);
  GstElement *appsink = gst_element_factory_make ("appsink", NULL);
  g_autoptr(GstPad) pad = NULL;

  g_return_val_if_fail (LATTICE_IS_PAINTABLE_SINK (self), NULL);
  g_return_val_if_fail (convert != NULL && appsink != NULL, NULL);

  /* Keep one frame at most: a slow main loop drops frames, it never lags.
   * Not async: a sink added to a playing pipeline must not make it preroll
   * again (the engine cannot reach inside our bin to say so). */
  g_object_set (appsink, "caps", caps, "max-buffers", 1, "drop", TRUE, "sync", TRUE,
                "async", FALSE, "enable-last-sample", FALSE, "qos", TRUE, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (appsink), &callbacks,
                              g_object_ref (self), g_object_unref);

  gst_bin_add_many (GST_BIN (bin), convert, appsink, NULL);
  gst_element_link (convert, appsink);
  pad = gst_element_get_static_pad (convert, "sink");
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));
  return bin;
}

guint64
lattice_paintable_sink_get_n_frames (LatticePaintableSink *self)
{
  g_return_val_if_fail (LATTICE_IS_PAINTABLE_SINK (self), 0);

  return self->n_frames;
}

/* gtk4paintablesink (gst-plugins-rs) is in the GNOME runtime but not in
 * Debian 12; it takes GL memory when it can, so prefer it. */
static GstElement *
create_gtk4_sink (GdkPaintable **paintable)
{
  GstElement *bin = gst_bin_new (NULL);
  GstElement *convert = gst_element_factory_make ("videoconvert", NULL);
  GstElement *sink = gst_element_factory_make ("gtk4paintablesink", NULL);
  g_autoptr(GstPad) pad = NULL;

  if (convert == NULL || sink == NULL)
    {
      gst_object_unref (gst_object_ref_sink (bin));
      g_clear_pointer (&convert, gst_object_unref);
      g_clear_pointer (&sink, gst_object_unref);
      return NULL;
    }
  g_object_get (sink, "paintable", paintable, NULL);
  g_object_set (sink, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (bin), convert, sink, NULL);
  gst_element_link (convert, sink);
  pad = gst_element_get_static_pad (convert, "sink");
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));
  return bin;
}

GstElement *
lattice_video_sink_create (GdkPaintable **paintable)
{
  g_autoptr(GstElementFactory) factory = gst_element_factory_find ("gtk4paintablesink");
  g_autoptr(LatticePaintableSink) own = NULL;
  GstElement *element;

  g_return_val_if_fail (paintable != NULL && *paintable == NULL, NULL);

  if (factory != NULL && g_getenv ("LATTICE_NO_GTK4_SINK") == NULL &&
      (element = create_gtk4_sink (paintable)) != NULL)
    return element;

  own = lattice_paintable_sink_new ();
  element = lattice_paintable_sink_create_element (own);
  *paintable = GDK_PAINTABLE (g_steal_pointer (&own));
  return element;
}
