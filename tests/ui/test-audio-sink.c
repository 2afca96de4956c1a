/* test-audio-sink.c: the speakers change while sound plays
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gst/gst.h>

#include "lattice-audio-sink.h"

#define TIMEOUT_S 30

static void
on_handoff (GstElement *sink,
            GstBuffer  *buffer,
            GstPad     *pad,
            gpointer    data)
{
  g_atomic_int_inc ((int *) data);
}

static GstElement *
counting_sink (int *count)
{
  GstElement *sink = gst_element_factory_make_full ("fakesink", "signal-handoffs", TRUE, "sync", TRUE, NULL);

  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), count);
  return sink;
}

static void
wait_for_buffers (int *count,
                  int  at_least)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

  while (g_atomic_int_get (count) < at_least && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  g_assert_cmpint (g_atomic_int_get (count), >=, at_least);
}

static void
test_switch_while_playing (void)
{
  g_autoptr(GstElement) pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make_full ("audiotestsrc", "is-live", TRUE, "samplesperbuffer", 480, NULL);
  int first = 0, second = 0, before_switch;
  GstElement *sink = lattice_audio_sink_new (counting_sink (&first));

  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  g_assert_true (gst_element_link (src, sink));
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  wait_for_buffers (&first, 10);

  lattice_audio_sink_set_sink (LATTICE_AUDIO_SINK (sink), counting_sink (&second));
  wait_for_buffers (&second, 10);

  /* The old output got nothing more once replaced. */
  before_switch = g_atomic_int_get (&first);
  g_usleep (100000);
  g_assert_cmpint (g_atomic_int_get (&first), ==, before_switch);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/audio-sink/switch-while-playing", test_switch_while_playing);
  return g_test_run ();
}
