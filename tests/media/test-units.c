/* test-units.c: keyframe throttling, plugin checks, devices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gst/gst.h>
#include <gst/video/video.h>

#include "lattice-media-engine.h"
#include "lattice-media-private.h"
#include "lattice-view-request.h"
#include "media-test-utils.h"

static GstPadProbeReturn
count_keyframes (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  gint *counts = user_data;

  g_atomic_int_inc (&counts[0]);
  if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    g_atomic_int_inc (&counts[1]);
  return GST_PAD_PROBE_OK;
}

static gboolean
has_frames (gpointer data)
{
  return g_atomic_int_get ((gint *) data) > 10;
}

/* Keyframes produced while @n_requests force-key-unit events arrive, one
 * every @every_ms, through a tee src pad as a peer's RTCP PLI would.
 * @burst_ms: how long the burst really took. */
static guint
keyframes_during_burst (LatticeMediaEngine *engine, guint n_requests, guint every_ms,
                        guint *burst_ms)
{
  gint64 start;
  GstBin *pipeline = GST_BIN (lattice_media_engine_get_pipeline (engine));
  g_autoptr(GstElement) encoder = gst_bin_get_by_name (pipeline, LATTICE_MEDIA_VIDEO_ENCODER_NAME);
  g_autoptr(GstElement) tee = gst_bin_get_by_name (pipeline, LATTICE_MEDIA_VIDEO_TEE_NAME);
  g_autoptr(GstPad) encoder_src = gst_element_get_static_pad (encoder, "src");
  GstPad *tee_src = gst_element_request_pad_simple (tee, "src_%u");
  gint counts[2] = { 0, 0 };
  gulong probe;

  probe = gst_pad_add_probe (encoder_src, GST_PAD_PROBE_TYPE_BUFFER, count_keyframes, counts, NULL);
  g_assert_true (media_test_wait_for (has_frames, &counts[0], 30));
  g_atomic_int_set (&counts[1], 0);
  start = g_get_monotonic_time ();
  /* The encoder has its own thread: no need to iterate the main context. */
  for (guint i = 0; i < n_requests; i++)
    {
      gst_pad_send_event (tee_src, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                              TRUE, i));
      g_usleep (every_ms * 1000);
    }
  *burst_ms = (g_get_monotonic_time () - start) / 1000;
  /* Let a delayed request come out too. */
  media_test_run_for (600);
  gst_pad_remove_probe (encoder_src, probe);
  gst_element_release_request_pad (tee, tee_src);
  gst_object_unref (tee_src);
  return g_atomic_int_get (&counts[1]);
}

static void
test_keyframe_throttle (void)
{
  g_autoptr(LatticeMediaEngine) engine = media_test_engine_new (FALSE);
  guint keyframes, burst_ms = 0;

  /* a layer nobody receives is not encoded: a peer (that never connects)
   * receives the full one */
  g_assert_nonnull (lattice_media_engine_add_peer (engine, "listener", FALSE));

  /* 50 requests over about a second (a frame's worth of requests each
   * frame): one forced keyframe per started interval, one delayed request
   * after the burst, and maybe one periodic keyframe. Unthrottled, every
   * frame would be a keyframe. */
  keyframes = keyframes_during_burst (engine, 50, 20, &burst_ms);
  g_test_message ("%u keyframes for 50 requests in %u ms", keyframes, burst_ms);
  g_assert_cmpuint (keyframes, >=, 1);
  g_assert_cmpuint (keyframes, <=, burst_ms / LATTICE_MEDIA_KEYFRAME_MIN_INTERVAL_MS + 1 + 1 + 1);
}

static void
test_plugins_missing (void)
{
  static const LatticeMediaPlugin plugins[] = {
    { "queue", "libgstreamer1.0-0" },
    { "lattice-no-such-element", "gstreamer1.0-lattice-imaginary" },
    { "lattice-nor-this-one", "gstreamer1.0-lattice-imaginary" },
  };
  g_autoptr(GError) error = NULL;

  g_assert_false (lattice_media_check_factories (plugins, G_N_ELEMENTS (plugins), &error));
  g_assert_error (error, LATTICE_MEDIA_ERROR, LATTICE_MEDIA_ERROR_MISSING_PLUGIN);
  g_assert_nonnull (strstr (error->message, "lattice-no-such-element"));
  g_assert_nonnull (strstr (error->message, "lattice-nor-this-one"));
  g_assert_nonnull (strstr (error->message, "gstreamer1.0-lattice-imaginary"));
  g_assert_null (strstr (error->message, "queue"));
  /* One package named once, however many of its elements are missing. */
  g_assert_true (strstr (error->message, "imaginary") == g_strrstr (error->message, "imaginary"));
}

static void
test_plugins_present (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (lattice_media_check_plugins (TRUE, TRUE, &error));
  g_assert_no_error (error);
}

static void
test_no_camera (void)
{
  g_autoptr(GstDeviceMonitor) monitor = gst_device_monitor_new ();
  g_autoptr(LatticeMediaEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  GList *devices;

  gst_device_monitor_add_filter (monitor, "Video/Source", NULL);
  devices = gst_device_monitor_get_devices (monitor);
  if (devices != NULL)
    {
      g_list_free_full (devices, gst_object_unref);
      g_test_skip ("This machine has a camera");
      return;
    }
  engine = lattice_media_engine_new (LATTICE_MEDIA_SOURCE_DEVICE, LATTICE_MEDIA_SOURCE_TEST);
  g_assert_false (lattice_media_engine_start (engine, &error));
  g_assert_error (error, LATTICE_MEDIA_ERROR, LATTICE_MEDIA_ERROR_NO_DEVICE);
  g_clear_error (&error);

  /* The caller may retry without a camera. */
  g_object_set (engine, "video-source", LATTICE_MEDIA_SOURCE_NONE, NULL);
  g_assert_true (lattice_media_engine_start (engine, &error));
  g_assert_no_error (error);
  lattice_media_engine_stop (engine);
}

static void
on_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
test_properties (void)
{
  g_autoptr(LatticeMediaEngine) engine =
    lattice_media_engine_new (LATTICE_MEDIA_SOURCE_TEST, LATTICE_MEDIA_SOURCE_NONE);
  guint width = 0, latency = 0, notified = 0;
  LatticeMediaSource audio;

  g_object_get (engine, "width", &width, "latency", &latency, "audio-source", &audio, NULL);
  g_assert_cmpuint (width, ==, LATTICE_MEDIA_DEFAULT_WIDTH);
  g_assert_cmpuint (latency, ==, LATTICE_MEDIA_DEFAULT_LATENCY_MS);
  g_assert_cmpint (audio, ==, LATTICE_MEDIA_SOURCE_NONE);
  g_signal_connect (engine, "notify", G_CALLBACK (on_notify), &notified);
  g_object_set (engine, "width", 320, NULL);
  g_object_set (engine, "width", 320, NULL);
  g_assert_cmpuint (notified, ==, 1);
}

/* A device that is really a test source, to drive DEVICE code paths
 * on a machine with no camera and no microphone. */
#define FAKE_TYPE_DEVICE (fake_device_get_type ())
G_DECLARE_FINAL_TYPE (FakeDevice, fake_device, FAKE, DEVICE, GstDevice)

struct _FakeDevice {
  GstDevice parent_instance;
  guint     created;
};

G_DEFINE_FINAL_TYPE (FakeDevice, fake_device, GST_TYPE_DEVICE)

static GstElement *
fake_device_create_element (GstDevice *device, const char *name)
{
  g_autofree char *klass = gst_device_get_device_class (device);
  gboolean video = g_str_has_prefix (klass, "Video");
  GstElement *source = gst_element_factory_make (video ? "videotestsrc" : "audiotestsrc", name);

  FAKE_DEVICE (device)->created++;
  g_object_set (source, "is-live", TRUE, NULL);
  return source;
}

static void
fake_device_class_init (FakeDeviceClass *klass)
{
  GST_DEVICE_CLASS (klass)->create_element = fake_device_create_element;
}

static void
fake_device_init (FakeDevice *self)
{
}

static GstDevice *
fake_device_new (const char *klass)
{
  return g_object_new (FAKE_TYPE_DEVICE, "display-name", "Fake", "device-class", klass, NULL);
}

static guint
count_factory (LatticeMediaEngine *engine, const char *factory)
{
  GstBin *pipeline = GST_BIN (lattice_media_engine_get_pipeline (engine));
  g_autoptr(GstIterator) it = gst_bin_iterate_all_by_element_factory_name (pipeline, factory);
  GValue item = G_VALUE_INIT;
  guint n = 0;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      n++;
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return n;
}

static gpointer
wait_prepared_thread (gpointer data)
{
  lattice_media_wait_prepared ();
  return GINT_TO_POINTER (TRUE);
}

static char *
dtls_pem (void)
{
  g_autoptr(GstElement) dtls = gst_element_factory_make ("dtlsdec", NULL);
  char *pem = NULL;

  g_object_get (dtls, "pem", &pem, NULL);
  return pem;
}

/* The key made ahead is the one every connection then uses; asking again,
 * from several threads at once, neither makes another nor blocks. */
static void
test_prepare_key (void)
{
  GThread *threads[4];
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  lattice_media_prepare ();
  lattice_media_prepare ();
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("wait", wait_prepared_thread, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_true (GPOINTER_TO_INT (g_thread_join (threads[i])));
  lattice_media_wait_prepared ();

  first = dtls_pem ();
  second = dtls_pem ();
  g_assert_nonnull (first);
  g_assert_true (g_str_has_prefix (first, "-----BEGIN CERTIFICATE-----"));
  g_assert_cmpstr (first, ==, second);
}

static void
test_devices_and_echo_cancel (void)
{
  g_autoptr(LatticeMediaEngine) a = lattice_media_engine_new (LATTICE_MEDIA_SOURCE_DEVICE,
                                                              LATTICE_MEDIA_SOURCE_DEVICE);
  g_autoptr(LatticeMediaEngine) b = media_test_engine_new (FALSE);
  g_autoptr(GstDevice) camera1 = fake_device_new ("Video/Source");
  g_autoptr(GstDevice) camera2 = fake_device_new ("Video/Source");
  g_autoptr(GstDevice) mic1 = fake_device_new ("Audio/Source");
  g_autoptr(GstDevice) mic2 = fake_device_new ("Audio/Source");
  g_autoptr(GError) error = NULL;
  LatticePeerConnection *a_on_b = NULL, *b_on_a;

  g_object_set (a, "video-device", camera1, "audio-device", mic1, "echo-cancel", TRUE,
                "width", 320, "height", 180, NULL);
  g_assert_true (lattice_media_engine_start (a, &error));
  g_assert_no_error (error);
  b_on_a = media_test_connect (a, "A", b, "B", &a_on_b);
  media_test_wait_flowing (b_on_a);
  media_test_wait_flowing (a_on_b);
  g_assert_cmpuint (FAKE_DEVICE (camera1)->created, ==, 1);
  g_assert_cmpuint (FAKE_DEVICE (mic1)->created, ==, 1);
  /* The canceller in the microphone chain, its probe before A's playback. */
  g_assert_cmpuint (count_factory (a, "webrtcdsp"), ==, 1);
  g_assert_cmpuint (count_factory (a, "webrtcechoprobe"), ==, 1);
  g_assert_cmpuint (count_factory (b, "webrtcdsp"), ==, 0);

  /* Swapped while running: B keeps receiving, from the new devices. */
  g_object_set (a, "video-device", camera2, "audio-device", mic2, NULL);
  g_assert_cmpuint (FAKE_DEVICE (camera2)->created, ==, 1);
  g_assert_cmpuint (FAKE_DEVICE (mic2)->created, ==, 1);
  g_assert_true (media_test_wait_video (a_on_b, 20));
  g_assert_true (media_test_wait_audio (a_on_b, 25));
  g_assert_cmpint (lattice_peer_connection_get_state (a_on_b), ==, LATTICE_PEER_CONNECTION_STATE_CONNECTED);
  lattice_media_engine_stop (a);
  lattice_media_engine_stop (b);
}

/* View requests (docs/PROTOCOL.md): what is written reads back; what a
 * hostile or foreign end may send is refused or clamped, never trusted. */
static void
test_view_request (void)
{
  static const guint8 short_data[4] = { 0, 0, 0, 0 };
  static const guint8 other_ssrc[8] = { 0, 0, 0, 7, 1, 0, 0, 200 };
  static const guint8 huge[8] = { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
  static const guint8 half_zero[8] = { 0, 0, 0, 0, 0x05, 0x00, 0, 0 };
  guint8 data[LATTICE_VIEW_DATA_BYTES];
  guint width = 1, height = 1;

  lattice_view_request_write (data, 421, 237);
  g_assert_true (lattice_view_request_read (0, "LATV", data, sizeof data, &width, &height));
  g_assert_cmpuint (width, ==, 421);
  g_assert_cmpuint (height, ==, 237);
  lattice_view_request_write (data, 0, 0);
  g_assert_true (lattice_view_request_read (0, "LATV", data, sizeof data, &width, &height));
  g_assert_cmpuint (width, ==, 0);
  g_assert_cmpuint (height, ==, 0);
  lattice_view_request_write (data, G_MAXUINT, 10);
  g_assert_true (lattice_view_request_read (0, "LATV", data, sizeof data, &width, &height));
  g_assert_cmpuint (width, ==, LATTICE_VIEW_MAX_SIDE);

  g_assert_false (lattice_view_request_read (1, "LATV", data, sizeof data, &width, &height));
  g_assert_false (lattice_view_request_read (0, "LATX", data, sizeof data, &width, &height));
  g_assert_false (lattice_view_request_read (0, NULL, data, sizeof data, &width, &height));
  g_assert_false (lattice_view_request_read (0, "LATV", NULL, 0, &width, &height));
  g_assert_false (lattice_view_request_read (0, "LATV", short_data, sizeof short_data, &width, &height));
  g_assert_false (lattice_view_request_read (0, "LATV", other_ssrc, sizeof other_ssrc, &width, &height));
  g_assert_true (lattice_view_request_read (0, "LATV", huge, sizeof huge, &width, &height));
  g_assert_cmpuint (width, ==, LATTICE_VIEW_MAX_SIDE);
  g_assert_cmpuint (height, ==, LATTICE_VIEW_MAX_SIDE);
  g_assert_true (lattice_view_request_read (0, "LATV", half_zero, sizeof half_zero, &width, &height));
  g_assert_cmpuint (width, ==, 0);
  g_assert_cmpuint (height, ==, 0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/media/units/keyframe-throttle", test_keyframe_throttle);
  g_test_add_func ("/media/units/plugins-missing", test_plugins_missing);
  g_test_add_func ("/media/units/view-request", test_view_request);
  g_test_add_func ("/media/units/plugins-present", test_plugins_present);
  g_test_add_func ("/media/units/no-camera", test_no_camera);
  g_test_add_func ("/media/units/properties", test_properties);
  g_test_add_func ("/media/units/prepare-key", test_prepare_key);
  g_test_add_func ("/media/units/devices-and-echo-cancel", test_devices_and_echo_cancel);
  return g_test_run ();
}
