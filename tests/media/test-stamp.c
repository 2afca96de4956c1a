/* test-stamp.c: timestamps drawn into frames read back, raw and through real VP8
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The glass-to-glass latency benchmark is only as honest as this round trip:
 * every frame the decoder gives back must yield exactly the value stamped
 * before the encoder, and a frame without a stamp must be refused, never
 * misread.
 */
#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <gst/app/app.h>
#include <string.h>

#include "lattice-stamp.h"
#include "media-test-utils.h"

#define N_FRAMES     90
#define FRAMERATE    30
/* Every NOISE_EVERY-th frame gets noise over its band instead of a stamp. */
#define NOISE_EVERY  10
#define NOISE        G_MAXUINT64  /* marks those frames in the list of what was written */

/* Values that change every bit from frame to frame, and reach both ends. */
static guint64
value_for_frame (guint n)
{
  if (n == 0)
    return 0;
  if (n == 1)
    return G_MAXUINT64 - 1;
  return G_GUINT64_CONSTANT (0x0123456789ABCDEF) ^ (n * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
}

static void
fill_noise (GstVideoFrame *frame,
            GRand         *rand,
            guint          rows)
{
  for (guint c = 0; c < GST_VIDEO_FRAME_N_PLANES (frame); c++)
    {
      guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, c);
      int stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, c);
      guint height = MIN (rows, (guint) GST_VIDEO_FRAME_COMP_HEIGHT (frame, c));

      for (guint y = 0; y < height; y++)
        for (int x = 0; x < stride; x++)
          data[(gsize) y * stride + x] = g_rand_int_range (rand, 0, 256);
    }
}

static GstBuffer *
new_frame (const GstVideoInfo *info,
           guint8              fill)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);

  gst_buffer_memset (buffer, 0, fill, GST_VIDEO_INFO_SIZE (info));
  return buffer;
}

static void
video_info_init (GstVideoInfo   *info,
                 GstVideoFormat  format,
                 guint           width,
                 guint           height)
{
  gst_video_info_init (info);
  g_assert_true (gst_video_info_set_format (info, format, width, height));
}

/* ------------------------------------------------------------------ */
/* Raw frames                                                          */

static void
check_raw_round_trip (GstVideoFormat format,
                      guint          width,
                      guint          height)
{
  GstVideoInfo info;

  video_info_init (&info, format, width, height);
  g_assert_true (lattice_stamp_supports (&info));
  g_assert_cmpuint (lattice_stamp_band_height (&info), >=, 8 * LATTICE_STAMP_ROWS);
  for (guint n = 0; n < 20; n++)
    {
      g_autoptr(GstBuffer) buffer = new_frame (&info, n * 13);
      guint64 read = 0;

      g_assert_true (lattice_stamp_write_buffer (buffer, &info, value_for_frame (n)));
      g_assert_true (lattice_stamp_read_buffer (buffer, &info, &read));
      g_assert_cmphex (read, ==, value_for_frame (n));
    }
}

static void
test_raw_round_trip (void)
{
  const GstVideoFormat formats[] = {
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_YV12, GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_Y42B, GST_VIDEO_FORMAT_Y444, GST_VIDEO_FORMAT_YUY2,
    GST_VIDEO_FORMAT_AYUV,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      check_raw_round_trip (formats[i], 160, 90);
      check_raw_round_trip (formats[i], 640, 360);
      check_raw_round_trip (formats[i], 1280, 720);
    }
}

static void
test_unsupported (void)
{
  GstVideoInfo info;
  g_autoptr(GstBuffer) buffer = NULL;

  video_info_init (&info, GST_VIDEO_FORMAT_RGB, 640, 360);
  buffer = new_frame (&info, 0);
  g_assert_false (lattice_stamp_supports (&info));
  g_assert_cmpuint (lattice_stamp_band_height (&info), ==, 0);
  g_assert_false (lattice_stamp_write_buffer (buffer, &info, 42));

  video_info_init (&info, GST_VIDEO_FORMAT_I420, 158, 90);
  g_assert_false (lattice_stamp_supports (&info));
  video_info_init (&info, GST_VIDEO_FORMAT_I420, 160, 88);
  g_assert_false (lattice_stamp_supports (&info));
}

static void
test_noise_rejected (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (6);
  GstVideoInfo info;

  video_info_init (&info, GST_VIDEO_FORMAT_I420, 640, 360);
  for (guint n = 0; n < 200; n++)
    {
      g_autoptr(GstBuffer) buffer = new_frame (&info, 0);
      GstVideoFrame frame;
      guint64 read = 7;

      g_assert_true (gst_video_frame_map (&frame, &info, buffer, GST_MAP_READWRITE));
      fill_noise (&frame, rand, GST_VIDEO_INFO_HEIGHT (&info));
      g_assert_false (lattice_stamp_read (&frame, &read));
      g_assert_cmpuint (read, ==, 7);
      gst_video_frame_unmap (&frame);
    }
}

/* Plain frames (black, white, grey) carry no sync pattern. */
static void
test_flat_rejected (void)
{
  GstVideoInfo info;

  video_info_init (&info, GST_VIDEO_FORMAT_I420, 320, 180);
  for (guint fill = 0; fill < 256; fill += 17)
    {
      g_autoptr(GstBuffer) buffer = new_frame (&info, fill);

      g_assert_false (lattice_stamp_read_buffer (buffer, &info, NULL));
    }
}

/* Flipping any one cell of the value or checksum breaks the checksum. */
static void
test_damaged_rejected (void)
{
  GstVideoInfo info;
  guint size, cells = LATTICE_STAMP_COLUMNS * LATTICE_STAMP_ROWS;

  video_info_init (&info, GST_VIDEO_FORMAT_I420, 640, 360);
  size = lattice_stamp_band_height (&info) / LATTICE_STAMP_ROWS;
  for (guint cell = LATTICE_STAMP_COLUMNS; cell < cells; cell++)
    {
      g_autoptr(GstBuffer) buffer = new_frame (&info, 128);
      GstVideoFrame frame;
      guint8 *luma;
      int stride;
      guint x0 = (cell % LATTICE_STAMP_COLUMNS) * size, y0 = (cell / LATTICE_STAMP_COLUMNS) * size;

      g_assert_true (gst_video_frame_map (&frame, &info, buffer, GST_MAP_READWRITE));
      g_assert_true (lattice_stamp_write (&frame, value_for_frame (cell)));
      luma = GST_VIDEO_FRAME_COMP_DATA (&frame, 0);
      stride = GST_VIDEO_FRAME_COMP_STRIDE (&frame, 0);
      for (guint y = y0; y < y0 + size; y++)
        for (guint x = x0; x < x0 + size; x++)
          luma[y * stride + x] = 251 - luma[y * stride + x];  /* 16 ↔ 235 */
      g_assert_false (lattice_stamp_read (&frame, NULL));
      gst_video_frame_unmap (&frame);
    }
}

/* ------------------------------------------------------------------ */
/* Through vp8enc and vp8dec                                           */

typedef struct {
  GArray *written;  /* guint64 per frame number: the stamp, or NOISE */
  GRand  *rand;
} Stamper;

static GstPadProbeReturn
on_raw_frame (GstPad          *pad,
              GstPadProbeInfo *probe_info,
              gpointer         user_data)
{
  Stamper *stamper = user_data;
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps (pad);
  GstBuffer *buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (probe_info));
  guint n = stamper->written->len;
  guint64 value = n % NOISE_EVERY == NOISE_EVERY - 1 ? NOISE : value_for_frame (n);
  GstVideoInfo info;
  GstVideoFrame frame;

  GST_PAD_PROBE_INFO_DATA (probe_info) = buffer;
  g_assert_true (gst_video_info_from_caps (&info, caps));
  g_assert_true (gst_video_frame_map (&frame, &info, buffer, GST_MAP_READWRITE));
  if (value == NOISE)
    fill_noise (&frame, stamper->rand, lattice_stamp_band_height (&info));
  else
    g_assert_true (lattice_stamp_write (&frame, value));
  gst_video_frame_unmap (&frame);
  g_array_append_val (stamper->written, value);
  return GST_PAD_PROBE_OK;
}

static void
check_decoded (GstSample    *sample,
               const GArray *written,
               guint        *n_stamped)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstVideoInfo info;
  guint n;
  guint64 expected, read = 0;
  gboolean ok;

  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  n = (guint) gst_util_uint64_scale_round (GST_BUFFER_PTS (buffer), FRAMERATE, GST_SECOND);
  g_assert_cmpuint (n, <, written->len);
  expected = g_array_index (written, guint64, n);
  ok = lattice_stamp_read_buffer (buffer, &info, &read);
  if (expected == NOISE)
    {
      g_assert_false (ok);
      return;
    }
  if (!ok)
    g_error ("frame %u: no stamp read back (expected %" G_GINT64_MODIFIER "x)", n, expected);
  g_assert_cmphex (read, ==, expected);
  (*n_stamped)++;
}

static void
check_vp8_round_trip (guint width,
                      guint height,
                      guint bitrate)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *description = g_strdup_printf (
    "videotestsrc pattern=ball num-buffers=%u ! "
    "video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1 ! identity name=raw ! "
    "vp8enc deadline=1 cpu-used=8 threads=1 end-usage=cbr target-bitrate=%u "
    "lag-in-frames=0 keyframe-max-dist=%u ! vp8dec ! appsink name=sink sync=false",
    N_FRAMES, width, height, FRAMERATE, bitrate, 3 * FRAMERATE);
  g_autoptr(GstElement) pipeline = gst_parse_launch (description, &error);
  g_autoptr(GstElement) raw = NULL;
  g_autoptr(GstElement) sink = NULL;
  g_autoptr(GstPad) pad = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) message = NULL;
  Stamper stamper = { g_array_new (FALSE, FALSE, sizeof (guint64)), g_rand_new_with_seed (width) };
  guint n_decoded = 0, n_stamped = 0;
  GstSample *sample;

  g_assert_no_error (error);
  raw = gst_bin_get_by_name (GST_BIN (pipeline), "raw");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (raw, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_raw_frame, &stamper, NULL);

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink))) != NULL)
    {
      check_decoded (sample, stamper.written, &n_stamped);
      n_decoded++;
      gst_sample_unref (sample);
    }
  bus = gst_element_get_bus (pipeline);
  message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_null (message);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  /* the encoder dropped nothing, and every stamped frame was read back */
  g_assert_cmpuint (n_decoded, ==, N_FRAMES);
  g_assert_cmpuint (n_stamped, ==, N_FRAMES - N_FRAMES / NOISE_EVERY);
  g_array_unref (stamper.written);
  g_rand_free (stamper.rand);
}

static void
test_vp8_640x360 (void)
{
  check_vp8_round_trip (640, 360, 500000);
}

static void
test_vp8_low_bitrate (void)
{
  check_vp8_round_trip (640, 360, 300000);
}

static void
test_vp8_160x90 (void)
{
  check_vp8_round_trip (160, 90, 150000);
}

/* ------------------------------------------------------------------ */
/* The engine's hook: "stamp-time" on both ends of a real call        */

static LatticeMediaEngine *
engine_new (gboolean stamp_time)
{
  LatticeMediaEngine *engine = lattice_media_engine_new (LATTICE_MEDIA_SOURCE_TEST,
                                                         LATTICE_MEDIA_SOURCE_TEST);
  g_autoptr(GError) error = NULL;

  g_object_set (engine, "stamp-time", stamp_time, NULL);
  g_assert_true (lattice_media_engine_start (engine, &error));
  g_assert_no_error (error);
  return engine;
}

/* Latency samples of the frames @peer decodes while @count more arrive. */
static GArray *
latency_over_frames (LatticePeerConnection *peer,
                     guint        count)
{
  g_array_unref (lattice_peer_connection_take_latency_samples (peer));
  g_assert_true (media_test_wait_video (peer, count));
  return lattice_peer_connection_take_latency_samples (peer);
}

static void
test_engine_samples (void)
{
  LatticeMediaEngine *a = engine_new (TRUE);
  LatticeMediaEngine *b = engine_new (TRUE);
  LatticePeerConnection *a_on_b = NULL;
  LatticePeerConnection *b_on_a = media_test_connect (a, "A", b, "B", &a_on_b);
  g_autoptr(GArray) samples = NULL;
  g_autoptr(GArray) again = NULL;

  media_test_wait_flowing (b_on_a);
  media_test_wait_flowing (a_on_b);
  samples = latency_over_frames (b_on_a, 30);
  /* decoded frames give samples; none is from the future */
  g_assert_cmpuint (samples->len, >, 0);
  for (guint i = 0; i < samples->len; i++)
    g_assert_cmpfloat (g_array_index (samples, double, i), >=, 0.0);
  g_clear_pointer (&samples, g_array_unref);
  samples = latency_over_frames (a_on_b, 30);
  g_assert_cmpuint (samples->len, >, 0);
  /* taking empties the list */
  again = lattice_peer_connection_take_latency_samples (a_on_b);
  g_assert_cmpuint (again->len, <=, 2);

  g_assert_finalize_object (a);
  g_assert_finalize_object (b);
}

/* Without the property nothing is stamped, so nothing is measured. */
static void
test_engine_off (void)
{
  LatticeMediaEngine *a = engine_new (FALSE);
  LatticeMediaEngine *b = engine_new (FALSE);
  LatticePeerConnection *b_on_a = media_test_connect (a, "A", b, "B", NULL);
  g_autoptr(GArray) samples = NULL;

  media_test_wait_flowing (b_on_a);
  samples = latency_over_frames (b_on_a, 30);
  g_assert_cmpuint (samples->len, ==, 0);

  g_assert_finalize_object (a);
  g_assert_finalize_object (b);
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stamp/raw/round-trip", test_raw_round_trip);
  g_test_add_func ("/stamp/raw/unsupported", test_unsupported);
  g_test_add_func ("/stamp/raw/noise-rejected", test_noise_rejected);
  g_test_add_func ("/stamp/raw/flat-rejected", test_flat_rejected);
  g_test_add_func ("/stamp/raw/damaged-rejected", test_damaged_rejected);
  g_test_add_func ("/stamp/vp8/640x360", test_vp8_640x360);
  g_test_add_func ("/stamp/vp8/640x360-300kbps", test_vp8_low_bitrate);
  g_test_add_func ("/stamp/vp8/160x90", test_vp8_160x90);
  g_test_add_func ("/stamp/engine/samples", test_engine_samples);
  g_test_add_func ("/stamp/engine/off", test_engine_off);
  return g_test_run ();
}
