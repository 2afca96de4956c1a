/* test-paintable-sink.c: frames from GStreamer become a GdkPaintable
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gst/gst.h>

#include "lattice-paintable-sink.h"

#define TIMEOUT_S 30

/* Plays @caps from videotestsrc into @sink until EOS, iterating the
 * default main context so the frames reach the paintable. */
static void
play_into (GstElement *sink,
           const char *caps_text,
           guint       n_buffers)
{
  g_autoptr(GstElement) pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("videotestsrc", NULL);
  GstElement *filter = gst_element_factory_make ("capsfilter", NULL);
  g_autoptr(GstCaps) caps = gst_caps_from_string (caps_text);
  g_autoptr(GstBus) bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;
  gboolean done = FALSE;

  g_object_set (src, "num-buffers", n_buffers, "pattern", 18 /* ball: moves */, NULL);
  g_object_set (filter, "caps", caps, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, filter, sink, NULL);
  g_assert_true (gst_element_link_many (src, filter, sink, NULL));
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);

  while (!done && g_get_monotonic_time () < deadline)
    {
      g_autoptr(GstMessage) message = gst_bus_timed_pop_filtered (bus, 10 * GST_MSECOND,
                                                                  GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

      g_main_context_iteration (NULL, FALSE);
      if (message == NULL)
        continue;
      g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
      done = TRUE;
    }
  g_assert_true (done);
  /* The last frame's hop to the main context may still be queued. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

static void
test_frame_size (void)
{
  g_autoptr(LatticePaintableSink) sink = lattice_paintable_sink_new ();
  GdkPaintable *paintable = GDK_PAINTABLE (sink);
  g_autoptr(GdkPaintable) image = NULL;

  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 0);
  play_into (lattice_paintable_sink_create_element (sink),
             "video/x-raw,width=320,height=240,framerate=30/1", 3);

  g_assert_cmpuint (lattice_paintable_sink_get_n_frames (sink), >=, 1);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 320);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (paintable), ==, 240);
  g_assert_cmpfloat_with_epsilon (gdk_paintable_get_intrinsic_aspect_ratio (paintable), 4.0 / 3.0, 0.001);

  image = gdk_paintable_get_current_image (paintable);
  g_assert_true (GDK_IS_TEXTURE (image));
  g_assert_cmpint (gdk_texture_get_width (GDK_TEXTURE (image)), ==, 320);

  /* The pipeline is gone, so the element's reference is gone too. */
  g_assert_finalize_object (g_steal_pointer (&sink));
}

/* Non-square pixels: the paintable is as wide as the picture looks. */
static void
test_pixel_aspect_ratio (void)
{
  g_autoptr(LatticePaintableSink) sink = lattice_paintable_sink_new ();

  play_into (lattice_paintable_sink_create_element (sink),
             "video/x-raw,width=320,height=240,pixel-aspect-ratio=4/3,framerate=30/1", 2);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (GDK_PAINTABLE (sink)), ==, 426);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (GDK_PAINTABLE (sink)), ==, 240);
}

static void
count_invalidations (GdkPaintable *paintable,
                     guint        *count)
{
  (*count)++;
}

/* Contents are invalidated per frame shown; the size only when it changes. */
static void
test_invalidation (void)
{
  g_autoptr(LatticePaintableSink) sink = lattice_paintable_sink_new ();
  guint contents = 0, size = 0;

  g_signal_connect (sink, "invalidate-contents", G_CALLBACK (count_invalidations), &contents);
  g_signal_connect (sink, "invalidate-size", G_CALLBACK (count_invalidations), &size);
  play_into (lattice_paintable_sink_create_element (sink),
             "video/x-raw,width=160,height=90,framerate=30/1", 10);
  g_assert_cmpuint (contents, ==, lattice_paintable_sink_get_n_frames (sink));
  g_assert_cmpuint (contents, >=, 1);
  g_assert_cmpuint (size, ==, 1);
}

/* Without gtk4paintablesink (Debian 12) the app's own sink is used. */
static void
test_video_sink_create (void)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GstElement) element = gst_object_ref_sink (lattice_video_sink_create (&paintable));
  g_autoptr(GstElementFactory) gtk4 = gst_element_factory_find ("gtk4paintablesink");

  g_assert_nonnull (element);
  g_assert_true (GDK_IS_PAINTABLE (paintable));
  if (gtk4 == NULL)
    g_assert_true (LATTICE_IS_PAINTABLE_SINK (paintable));
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/paintable-sink/frame-size", test_frame_size);
  g_test_add_func ("/ui/paintable-sink/pixel-aspect-ratio", test_pixel_aspect_ratio);
  g_test_add_func ("/ui/paintable-sink/invalidation", test_invalidation);
  g_test_add_func ("/ui/paintable-sink/video-sink-create", test_video_sink_create);
  return g_test_run ();
}
