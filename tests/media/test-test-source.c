/* test-test-source.c: the synthetic camera: sizes, liveness, reproducibility, VP8 bitrate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Benchmarks and rate tests mean something only if the test source is as
 * hard to encode as a camera: with the engine's VP8 settings it must reach
 * its target bitrate, where videotestsrc's ball reaches a fraction of it
 * (each bitrate test checks the ball fails where the camera passes). It
 * must also be reproducible, frame for frame, so that a failure can be
 * replayed, and leave the latency stamp readable.
 */
#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <gst/app/app.h>
#include <gst/video/video.h>

#include "lattice-stamp.h"
#include "lattice-test-source.h"

/* The engine's encoder (media/lattice-media-engine.c, make_video_encoder). */
#define ENCODER "vp8enc deadline=1 cpu-used=8 threads=1 lag-in-frames=0 error-resilient=default"
#define REFERENCE_BITRATE 800000  /* at 640x360, 30 fps */

/* Bitrates are averaged from this time on, over this long. */
#define WARM_UP_SECONDS   1
#define MEASURE_SECONDS   5

/* A fixed quantizer, to compare how much there is to encode. */
#define FIXED_QUANTIZER  32

typedef struct {
  guint width, height, framerate;
} Size;

/* What a call sends, from a thumbnail to HD. */
static const Size bitrate_sizes[] = {
  { 160, 120, 15 }, { 320, 240, 15 }, { 640, 360, 20 }, { 640, 360, 30 }, { 1280, 720, 30 },
};

static int
engine_target_bitrate (const Size *size)
{
  double scale = (double) size->width * size->height * size->framerate / (640 * 360 * 30);

  return CLAMP (REFERENCE_BITRATE * scale, 150000, 4000000);
}

/* source ! @caps ! @tail, where @tail ends in "appsink name=sink". */
static GstElement *
pipeline_new (LatticeTestPattern   pattern,
              gboolean             live,
              const char          *caps,
              const char          *tail,
              GstAppSink         **sink)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *description = g_strdup_printf ("capsfilter caps=\"%s\" ! %s", caps, tail);
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *source = lattice_test_source_new (pattern);
  GstElement *rest = gst_parse_bin_from_description (description, TRUE, &error);

  g_assert_no_error (error);
  lattice_test_source_set_live (source, live);
  gst_bin_add_many (GST_BIN (pipeline), source, rest, NULL);
  g_assert_true (gst_element_link (source, rest));
  *sink = GST_APP_SINK (gst_bin_get_by_name (GST_BIN (pipeline), "sink"));
  g_assert_nonnull (*sink);
  return pipeline;
}

static char *
raw_caps (const char *format,
          guint       width,
          guint       height,
          guint       framerate)
{
  return g_strdup_printf ("video/x-raw,format=%s,width=%u,height=%u,framerate=%u/1",
                          format, width, height, framerate);
}

static void
pipeline_stop (GstElement *pipeline)
{
  g_autoptr(GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr(GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  g_assert_null (message);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_NULL), ==, GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
}

/* The first @count frames of a non-live source, raw. */
static GPtrArray *
pull_frames (LatticeTestPattern  pattern,
             const char         *caps,
             guint               count)
{
  GstAppSink *sink = NULL;
  GstElement *pipeline = pipeline_new (pattern, FALSE, caps, "appsink name=sink sync=false max-buffers=4", &sink);
  GPtrArray *samples = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_sample_unref);

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  while (samples->len < count)
    {
      GstSample *sample = gst_app_sink_pull_sample (sink);

      g_assert_nonnull (sample);
      g_ptr_array_add (samples, sample);
    }
  gst_object_unref (sink);
  pipeline_stop (pipeline);
  return samples;
}

/* Mean absolute difference between horizontal neighbours in the luma of an
 * I420 frame: how much detail there is at the scale of a pixel. */
static double
luma_detail (GstSample *sample)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  guint64 sum = 0;
  const guint8 *luma;
  int stride;

  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  g_assert_true (gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ));
  luma = GST_VIDEO_FRAME_COMP_DATA (&frame, 0);
  stride = GST_VIDEO_FRAME_COMP_STRIDE (&frame, 0);
  for (int y = 0; y < GST_VIDEO_INFO_HEIGHT (&info); y++)
    for (int x = 1; x < GST_VIDEO_INFO_WIDTH (&info); x++)
      sum += ABS (luma[y * stride + x] - luma[y * stride + x - 1]);
  gst_video_frame_unmap (&frame);
  return (double) sum / (GST_VIDEO_INFO_HEIGHT (&info) * (GST_VIDEO_INFO_WIDTH (&info) - 1));
}

/* Mean absolute difference of two I420 frames' luma. */
static double
luma_difference (GstSample *a,
                 GstSample *b)
{
  GstVideoInfo info;
  GstVideoFrame frame_a, frame_b;
  guint64 sum = 0;

  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (a)));
  g_assert_true (gst_video_frame_map (&frame_a, &info, gst_sample_get_buffer (a), GST_MAP_READ));
  g_assert_true (gst_video_frame_map (&frame_b, &info, gst_sample_get_buffer (b), GST_MAP_READ));
  for (int y = 0; y < GST_VIDEO_INFO_HEIGHT (&info); y++)
    {
      const guint8 *row_a = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&frame_a, 0) +
                            y * GST_VIDEO_FRAME_COMP_STRIDE (&frame_a, 0);
      const guint8 *row_b = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&frame_b, 0) +
                            y * GST_VIDEO_FRAME_COMP_STRIDE (&frame_b, 0);

      for (int x = 0; x < GST_VIDEO_INFO_WIDTH (&info); x++)
        sum += ABS (row_a[x] - row_b[x]);
    }
  gst_video_frame_unmap (&frame_a);
  gst_video_frame_unmap (&frame_b);
  return (double) sum / (GST_VIDEO_INFO_WIDTH (&info) * GST_VIDEO_INFO_HEIGHT (&info));
}

/* A checksum of every plane's visible pixels (not the padding). */
static char *
frame_checksum (GstSample *sample)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  GstVideoInfo info;
  GstVideoFrame frame;

  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  g_assert_true (gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ));
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&frame); c++)
    for (int y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c); y++)
      g_checksum_update (checksum, (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&frame, c) +
                                   y * GST_VIDEO_FRAME_COMP_STRIDE (&frame, c),
                         GST_VIDEO_FRAME_COMP_WIDTH (&frame, c) * GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, c));
  gst_video_frame_unmap (&frame);
  return g_strdup (g_checksum_get_string (checksum));
}

/* ------------------------------------------------------------------ */
/* Raw frames                                                          */

static void
check_negotiated (GstSample  *sample,
                  const char *format,
                  guint       width,
                  guint       height)
{
  GstVideoInfo info;

  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  g_assert_cmpstr (gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&info)), ==, format);
  g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, width);
  g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&info), ==, height);
  g_assert_cmpuint (gst_buffer_get_size (gst_sample_get_buffer (sample)), >=, GST_VIDEO_INFO_SIZE (&info));
}

/* Every size a call uses, and awkward ones (not multiples of 16, odd),
 * each drawn at that size: detail down to the pixel, which an upscaled or
 * flat picture (the ball's black) does not have. */
static void
test_sizes (void)
{
  const Size sizes[] = {
    { 160, 120, 15 }, { 320, 240, 15 }, { 640, 360, 20 }, { 640, 360, 30 }, { 1280, 720, 30 },
    { 200, 150, 25 }, { 321, 241, 30 }, { 16, 16, 30 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *caps = raw_caps ("I420", sizes[i].width, sizes[i].height, sizes[i].framerate);
      g_autoptr(GPtrArray) frames = pull_frames (LATTICE_TEST_PATTERN_CAMERA, caps, 2);
      double detail = luma_detail (frames->pdata[1]);

      check_negotiated (frames->pdata[1], "I420", sizes[i].width, sizes[i].height);
      g_test_message ("%ux%u: mean luma step between neighbours %.1f", sizes[i].width, sizes[i].height, detail);
      if (sizes[i].width >= 160)
        g_assert_cmpfloat (detail, >, 2.5);
    }
}

/* The ball is flat almost everywhere: the detail check above can fail. */
static void
test_ball_is_flat (void)
{
  g_autofree char *caps = raw_caps ("I420", 640, 360, 30);
  g_autoptr(GPtrArray) frames = pull_frames (LATTICE_TEST_PATTERN_BALL, caps, 2);

  check_negotiated (frames->pdata[1], "I420", 640, 360);
  g_assert_cmpfloat (luma_detail (frames->pdata[1]), <, 2.5);
}

/* Formats other than I420 come through videoconvert, the same picture. */
static void
test_formats (void)
{
  const char *formats[] = { "NV12", "YUY2", "RGB", "BGRx", "GRAY8" };
  g_autofree char *i420_caps = raw_caps ("I420", 320, 240, 30);
  g_autoptr(GPtrArray) i420 = pull_frames (LATTICE_TEST_PATTERN_CAMERA, i420_caps, 1);

  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *caps = raw_caps (formats[i], 320, 240, 30);
      g_autoptr(GPtrArray) frames = pull_frames (LATTICE_TEST_PATTERN_CAMERA, caps, 1);
      GstVideoInfo info;

      check_negotiated (frames->pdata[0], formats[i], 320, 240);
      g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (frames->pdata[0])));
      if (g_str_equal (formats[i], "GRAY8") || g_str_equal (formats[i], "NV12"))
        {
          /* the same luma, byte for byte, as I420 */
          GstVideoFrame a, b;

          g_assert_true (gst_video_frame_map (&a, &info, gst_sample_get_buffer (frames->pdata[0]), GST_MAP_READ));
          g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (i420->pdata[0])));
          g_assert_true (gst_video_frame_map (&b, &info, gst_sample_get_buffer (i420->pdata[0]), GST_MAP_READ));
          for (int y = 0; y < 240; y++)
            g_assert_cmpmem ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&a, 0) + y * GST_VIDEO_FRAME_COMP_STRIDE (&a, 0), 320,
                             (guint8 *) GST_VIDEO_FRAME_COMP_DATA (&b, 0) + y * GST_VIDEO_FRAME_COMP_STRIDE (&b, 0), 320);
          gst_video_frame_unmap (&a);
          gst_video_frame_unmap (&b);
        }
    }
}

/* Behind the engine's capture chain, which could scale and drop frames,
 * the source itself runs at the size and rate the chain ends with. */
static void
test_engine_chain (void)
{
  const Size sizes[] = { { 320, 240, 15 }, { 640, 360, 20 }, { 1280, 720, 30 } };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *caps = g_strdup_printf ("video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1,"
                                               "pixel-aspect-ratio=1/1",
                                               sizes[i].width, sizes[i].height, sizes[i].framerate);
      GstAppSink *sink = NULL;
      GstElement *pipeline = pipeline_new (LATTICE_TEST_PATTERN_CAMERA, TRUE, "video/x-raw",
                                           "videoconvert ! videoscale ! videorate drop-only=true ! "
                                           "capsfilter name=filter ! appsink name=sink", &sink);
      g_autoptr(GstElement) filter = gst_bin_get_by_name (GST_BIN (pipeline), "filter");
      g_autoptr(GstCaps) filter_caps = gst_caps_from_string (caps);
      g_autoptr(GstSample) sample = NULL;
      g_autoptr(GstElement) source = NULL;
      g_autoptr(GstPad) pad = NULL;
      g_autoptr(GstCaps) produced = NULL;
      GstIterator *sources = gst_bin_iterate_sources (GST_BIN (pipeline));
      GValue item = G_VALUE_INIT;
      GstVideoInfo info;

      g_object_set (filter, "caps", filter_caps, NULL);
      g_assert_cmpint (gst_iterator_next (sources, &item), ==, GST_ITERATOR_OK);
      source = g_value_dup_object (&item);
      g_value_unset (&item);
      gst_iterator_free (sources);
      g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
      sample = gst_app_sink_pull_sample (sink);
      g_assert_nonnull (sample);
      pad = gst_element_get_static_pad (source, "src");
      produced = gst_pad_get_current_caps (pad);
      g_assert_nonnull (produced);
      g_assert_true (gst_video_info_from_caps (&info, produced));
      g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, sizes[i].width);
      g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&info), ==, sizes[i].height);
      g_assert_cmpint (GST_VIDEO_INFO_FPS_N (&info), ==, sizes[i].framerate);
      g_assert_cmpint (GST_VIDEO_INFO_FPS_D (&info), ==, 1);
      gst_object_unref (sink);
      pipeline_stop (pipeline);
    }
}

/* Live: no preroll, the clock's pace, timestamps at the framerate (from
 * the running time of the first frame: basesrc shifts them there). */
static void
test_live (void)
{
  const guint framerate = 30, count = 16;
  g_autofree char *caps = raw_caps ("I420", 320, 240, framerate);
  GstAppSink *sink = NULL;
  GstElement *pipeline = pipeline_new (LATTICE_TEST_PATTERN_CAMERA, TRUE, caps, "appsink name=sink max-buffers=4", &sink);
  gint64 start = 0;
  GstClockTime first = GST_CLOCK_TIME_NONE;
  double seconds;

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PAUSED), ==, GST_STATE_CHANGE_NO_PREROLL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  for (guint n = 0; n < count; n++)
    {
      g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
      GstBuffer *buffer;

      g_assert_nonnull (sample);
      buffer = gst_sample_get_buffer (sample);
      g_assert_true (GST_BUFFER_PTS_IS_VALID (buffer));
      if (n == 0)
        {
          start = g_get_monotonic_time ();
          first = GST_BUFFER_PTS (buffer);
        }
      g_assert_cmpuint (GST_BUFFER_PTS (buffer) - first, ==, gst_util_uint64_scale (n, GST_SECOND, framerate));
    }
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("%u frames at %u fps in %.3f s", count - 1, framerate, seconds);
  /* never faster than the clock; a slow machine may be later */
  g_assert_cmpfloat (seconds, >=, 0.9 * (count - 1) / framerate);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
}

/* Not live: as fast as downstream takes frames. */
static void
test_not_live (void)
{
  g_autofree char *caps = raw_caps ("I420", 160, 120, 30);
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GPtrArray) frames = pull_frames (LATTICE_TEST_PATTERN_CAMERA, caps, 60);

  /* two seconds of video, in well under that */
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_assert_cmpuint (frames->len, ==, 60);
}

/* The picture moves. Sensor noise alone changes every frame by about 2
 * levels on average; over a second the camera, the figure and the light
 * change it by much more, everywhere (the ball changes a corner). */
static void
test_motion (void)
{
  g_autofree char *caps = raw_caps ("I420", 320, 240, 30);
  g_autoptr(GPtrArray) frames = pull_frames (LATTICE_TEST_PATTERN_CAMERA, caps, 61);
  double frame_change = 0;

  for (guint n = 1; n < frames->len; n++)
    frame_change += luma_difference (frames->pdata[n - 1], frames->pdata[n]) / (frames->len - 1);
  g_test_message ("mean luma change: %.2f a frame, %.2f over a second, %.2f over two", frame_change,
                  luma_difference (frames->pdata[0], frames->pdata[30]),
                  luma_difference (frames->pdata[0], frames->pdata[60]));
  g_assert_cmpfloat (frame_change, >, 2.5);
  g_assert_cmpfloat (luma_difference (frames->pdata[0], frames->pdata[30]), >, 10);
  g_assert_cmpfloat (luma_difference (frames->pdata[30], frames->pdata[60]), >, 10);
}

/* Frame N is the same from any instance, live or not. */
static void
test_deterministic (void)
{
  g_autofree char *caps = raw_caps ("I420", 320, 240, 30);
  g_autoptr(GPtrArray) first = pull_frames (LATTICE_TEST_PATTERN_CAMERA, caps, 40);
  g_autoptr(GPtrArray) second = pull_frames (LATTICE_TEST_PATTERN_CAMERA, caps, 40);
  GstAppSink *sink = NULL;
  GstElement *live = pipeline_new (LATTICE_TEST_PATTERN_CAMERA, TRUE, caps, "appsink name=sink max-buffers=4", &sink);

  for (guint n = 0; n < first->len; n++)
    {
      g_autofree char *a = frame_checksum (first->pdata[n]);
      g_autofree char *b = frame_checksum (second->pdata[n]);

      g_assert_cmpstr (a, ==, b);
      if (n > 0)
        {
          g_autofree char *previous = frame_checksum (first->pdata[n - 1]);

          g_assert_cmpstr (a, !=, previous);
        }
    }

  g_assert_cmpint (gst_element_set_state (live, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  for (guint n = 0; n < 5; n++)
    {
      g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
      g_autofree char *a = frame_checksum (first->pdata[n]);
      g_autofree char *b = frame_checksum (sample);

      g_assert_cmpstr (a, ==, b);
    }
  gst_object_unref (sink);
  pipeline_stop (live);
}

/* ------------------------------------------------------------------ */
/* Through the engine's VP8 encoder                                    */

/* Bits per second @pattern costs @encoder at @size, after the warm-up. */
static double
encoded_bitrate (LatticeTestPattern  pattern,
                 const Size         *size,
                 const char         *encoder)
{
  g_autofree char *caps = raw_caps ("I420", size->width, size->height, size->framerate);
  g_autofree char *tail = g_strdup_printf ("%s keyframe-max-dist=%u ! appsink name=sink sync=false max-buffers=4",
                                           encoder, 3 * size->framerate);
  GstAppSink *sink = NULL;
  GstElement *pipeline = pipeline_new (pattern, FALSE, caps, tail, &sink);
  guint64 bytes = 0;
  guint frames = 0;

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  while (frames < MEASURE_SECONDS * size->framerate)
    {
      g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
      GstBuffer *buffer;

      g_assert_nonnull (sample);
      buffer = gst_sample_get_buffer (sample);
      if (GST_BUFFER_PTS (buffer) < WARM_UP_SECONDS * GST_SECOND)
        continue;
      bytes += gst_buffer_get_size (buffer);
      frames++;
    }
  gst_object_unref (sink);
  pipeline_stop (pipeline);
  return bytes * 8.0 / MEASURE_SECONDS;
}

static double
cbr_bitrate (LatticeTestPattern  pattern,
             const Size         *size)
{
  g_autofree char *encoder = g_strdup_printf (ENCODER " end-usage=cbr target-bitrate=%d",
                                              engine_target_bitrate (size));

  return encoded_bitrate (pattern, size, encoder);
}

static double
fixed_quantizer_bitrate (LatticeTestPattern  pattern,
                         const Size         *size)
{
  /* a target far above what either needs: the quantizer alone decides */
  g_autofree char *encoder = g_strdup_printf (ENCODER " end-usage=vbr target-bitrate=40000000 "
                                              "min-quantizer=%d max-quantizer=%d",
                                              FIXED_QUANTIZER, FIXED_QUANTIZER);

  return encoded_bitrate (pattern, size, encoder);
}

static void
test_bitrate (gconstpointer data)
{
  const Size *size = data;
  double target = engine_target_bitrate (size);
  double camera = cbr_bitrate (LATTICE_TEST_PATTERN_CAMERA, size);
  double ball = cbr_bitrate (LATTICE_TEST_PATTERN_BALL, size);
  double camera_fixed = fixed_quantizer_bitrate (LATTICE_TEST_PATTERN_CAMERA, size);
  double ball_fixed = fixed_quantizer_bitrate (LATTICE_TEST_PATTERN_BALL, size);

  g_test_message ("%ux%u@%u: target %.0f kbit/s; CBR: camera %.0f (%.0f %%), ball %.0f (%.0f %%); "
                  "quantizer %d: camera %.0f, ball %.0f kbit/s",
                  size->width, size->height, size->framerate, target / 1000,
                  camera / 1000, 100 * camera / target, ball / 1000, 100 * ball / target,
                  FIXED_QUANTIZER, camera_fixed / 1000, ball_fixed / 1000);
  /* the camera keeps the encoder at its target; the ball cannot */
  g_assert_cmpfloat (camera, >=, 0.8 * target);
  g_assert_cmpfloat (ball, <, 0.8 * target);
  /* there is much more to encode than in the ball, but not so much that a
   * mid quantizer needs many times the target (white noise would) */
  g_assert_cmpfloat (camera_fixed, >, 4 * ball_fixed);
  g_assert_cmpfloat (camera_fixed, <, 3 * target);
}

/* The latency stamp, drawn over the picture as the engine draws it, read
 * back after VP8 at the target bitrate. */
typedef struct {
  guint framerate;
  GstVideoInfo info;
} Stamper;

static guint64
stamp_for_frame (guint n)
{
  return G_GUINT64_CONSTANT (0x0123456789ABCDEF) ^ (n * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
}

static guint
frame_number (GstBuffer *buffer,
              guint      framerate)
{
  return (guint) gst_util_uint64_scale_round (GST_BUFFER_PTS (buffer), framerate, GST_SECOND);
}

static GstPadProbeReturn
stamp_frame (GstPad          *pad,
             GstPadProbeInfo *probe_info,
             gpointer         user_data)
{
  Stamper *stamper = user_data;
  GstBuffer *buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (probe_info));

  GST_PAD_PROBE_INFO_DATA (probe_info) = buffer;
  g_assert_true (lattice_stamp_write_buffer (buffer, &stamper->info,
                                             stamp_for_frame (frame_number (buffer, stamper->framerate))));
  return GST_PAD_PROBE_OK;
}

static void
test_stamp (gconstpointer data)
{
  const Size *size = data;
  const guint seconds = 10;
  g_autofree char *caps = raw_caps ("I420", size->width, size->height, size->framerate);
  g_autofree char *tail = g_strdup_printf (
    "identity name=raw ! " ENCODER " end-usage=cbr target-bitrate=%d keyframe-max-dist=%u ! vp8dec ! "
    "appsink name=sink sync=false max-buffers=4",
    engine_target_bitrate (size), 3 * size->framerate);
  GstAppSink *sink = NULL;
  GstElement *pipeline = pipeline_new (LATTICE_TEST_PATTERN_CAMERA, FALSE, caps, tail, &sink);
  g_autoptr(GstElement) raw = gst_bin_get_by_name (GST_BIN (pipeline), "raw");
  g_autoptr(GstPad) pad = gst_element_get_static_pad (raw, "src");
  Stamper stamper = { size->framerate };
  guint n_read = 0, n_frames = seconds * size->framerate;

  gst_video_info_set_format (&stamper.info, GST_VIDEO_FORMAT_I420, size->width, size->height);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, stamp_frame, &stamper, NULL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  for (guint i = 0; i < n_frames; i++)
    {
      g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
      GstBuffer *buffer;
      GstVideoInfo info;
      guint64 value = 0;

      g_assert_nonnull (sample);
      buffer = gst_sample_get_buffer (sample);
      g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
      if (!lattice_stamp_read_buffer (buffer, &info, &value))
        continue;
      /* unreadable may happen, rarely; misread never */
      g_assert_cmphex (value, ==, stamp_for_frame (frame_number (buffer, size->framerate)));
      n_read++;
    }
  g_test_message ("%ux%u@%u: %u of %u stamps read back", size->width, size->height, size->framerate,
                  n_read, n_frames);
  g_assert_cmpfloat (n_read, >=, 0.99 * n_frames);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
}

int
main (int   argc,
      char *argv[])
{
  static const Size stamp_sizes[] = { { 320, 240, 15 }, { 640, 360, 30 } };

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/test-source/raw/sizes", test_sizes);
  g_test_add_func ("/test-source/raw/ball-is-flat", test_ball_is_flat);
  g_test_add_func ("/test-source/raw/formats", test_formats);
  g_test_add_func ("/test-source/raw/engine-chain", test_engine_chain);
  g_test_add_func ("/test-source/raw/live", test_live);
  g_test_add_func ("/test-source/raw/not-live", test_not_live);
  g_test_add_func ("/test-source/raw/motion", test_motion);
  g_test_add_func ("/test-source/raw/deterministic", test_deterministic);
  for (gsize i = 0; i < G_N_ELEMENTS (bitrate_sizes); i++)
    {
      g_autofree char *path = g_strdup_printf ("/test-source/vp8/bitrate/%ux%u@%u", bitrate_sizes[i].width,
                                               bitrate_sizes[i].height, bitrate_sizes[i].framerate);

      g_test_add_data_func (path, &bitrate_sizes[i], test_bitrate);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (stamp_sizes); i++)
    {
      g_autofree char *path = g_strdup_printf ("/test-source/vp8/stamp/%ux%u@%u", stamp_sizes[i].width,
                                               stamp_sizes[i].height, stamp_sizes[i].framerate);

      g_test_add_data_func (path, &stamp_sizes[i], test_stamp);
    }
  return g_test_run ();
}
