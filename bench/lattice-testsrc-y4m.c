/* lattice-testsrc-y4m.c: Lattice's synthetic camera, written to a Y4M file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Chromium benchmark (bench/lattice_chromium.py) gives Chromium this file
 * as its fake camera (--use-file-for-fake-video-capture), so that the
 * browser encodes the same content as lattice-peer's `--video test`:
 * lattice_test_source_new (LATTICE_TEST_PATTERN_CAMERA), frame for frame, as
 * I420 at the size and rate asked. The source is not live here, so the
 * frames are made as fast as y4menc and the disk take them.
 *
 *   lattice-testsrc-y4m [--size WxH] [--fps N] [--seconds S] OUTPUT.y4m
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <gst/gst.h>

#include "lattice-test-source.h"

static gboolean
parse_size (const char *text,
            guint      *width,
            guint      *height)
{
  char *end = NULL;
  guint64 w, h;

  w = g_ascii_strtoull (text, &end, 10);
  if (end == text || (*end != 'x' && *end != 'X'))
    return FALSE;
  text = end + 1;
  h = g_ascii_strtoull (text, &end, 10);
  if (end == text || *end != '\0')
    return FALSE;
  /* I420 wants even sizes */
  if (w < 16 || h < 16 || w > 7680 || h > 4320 || w % 2 || h % 2)
    return FALSE;
  *width = (guint) w;
  *height = (guint) h;
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *size = NULL;
  int fps = 20;
  double seconds = 10.0;
  g_auto(GStrv) rest = NULL;
  GOptionEntry entries[] = {
    { "size", 0, 0, G_OPTION_ARG_STRING, &size, "Video size (default: 640x360)", "WxH" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps, "Frame rate (default: 20)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Length of the video (default: 10)", "S" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, "OUTPUT.y4m" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("OUTPUT.y4m — the synthetic camera as a Y4M file");
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) message = NULL;
  g_autofree char *description = NULL;
  GstElement *source, *rest_bin;
  guint width = 640, height = 360;
  guint frames;
  int status = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("lattice-testsrc-y4m: %s\n", error->message);
      return 2;
    }
  if (rest == NULL || rest[0] == NULL || rest[1] != NULL)
    {
      g_printerr ("lattice-testsrc-y4m: give one output file (--help)\n");
      return 2;
    }
  if (size != NULL && !parse_size (size, &width, &height))
    {
      g_printerr ("lattice-testsrc-y4m: bad --size %s (even WxH)\n", size);
      return 2;
    }
  if (fps < 1 || fps > 120 || !(seconds > 0 && seconds <= 600))
    {
      g_printerr ("lattice-testsrc-y4m: --fps 1..120, --seconds up to 600\n");
      return 2;
    }
  frames = (guint) (seconds * fps + 0.5);
  if (frames < 1)
    frames = 1;

  gst_init (&argc, &argv);

  /* identity ends the stream (the source itself goes on forever): its
   * eos-after=N sends EOS in place of buffer N, so N - 1 frames get through */
  description = g_strdup_printf ("capsfilter caps=\"video/x-raw,format=I420,width=%u,height=%u,"
                                 "framerate=%d/1,pixel-aspect-ratio=1/1\" "
                                 "! identity eos-after=%u ! y4menc ! filesink location=\"%s\"",
                                 width, height, fps, frames + 1, rest[0]);
  rest_bin = gst_parse_bin_from_description (description, TRUE, &error);
  if (rest_bin == NULL)
    {
      g_printerr ("lattice-testsrc-y4m: %s\n", error->message);
      return 1;
    }
  source = lattice_test_source_new (LATTICE_TEST_PATTERN_CAMERA);
  lattice_test_source_set_live (source, FALSE);
  pipeline = gst_pipeline_new ("testsrc-y4m");
  gst_bin_add_many (GST_BIN (pipeline), source, rest_bin, NULL);
  if (!gst_element_link (source, rest_bin))
    {
      g_printerr ("lattice-testsrc-y4m: cannot link the source to y4menc\n");
      return 1;
    }

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_printerr ("lattice-testsrc-y4m: the pipeline does not start\n");
      return 1;
    }
  bus = gst_element_get_bus (pipeline);
  message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr(GError) gerror = NULL;
      g_autofree char *debug = NULL;

      gst_message_parse_error (message, &gerror, &debug);
      g_printerr ("lattice-testsrc-y4m: %s (%s)\n", gerror->message, debug ? debug : "");
      status = 1;
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (status == 0)
    g_print ("%s: %u frames, %ux%u at %d fps, I420\n", rest[0], frames, width, height, fps);
  return status;
}
