/* lattice-video-encoders.c: the local video, encoded once per layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <gst/video/video.h>

#include "lattice-media.h"
#include "lattice-media-private.h"
#include "lattice-stamp.h"
#include "lattice-video-encoders.h"
#include "lattice-vp8-layers.h"

/* bit/s at 640x360@30 for the full layer; other sizes and rates scale with
 * the pixel rate, within the clamp. */
#define REFERENCE_BITRATE  800000
#define MIN_FULL_BITRATE   150000
#define MAX_FULL_BITRATE   4000000
/* The full layer is not taken below this share of its nominal rate: the
 * low one serves a slower peer better. */
#define FULL_MIN_SHARE     0.5
/* A quarter of the pixels needs about a third of the bits (VP8 spends
 * relatively more per pixel on small pictures). */
#define LOW_SHARE          0.35
#define MIN_LOW_BITRATE    40000
#define LOW_MIN_SHARE      0.5
/* Rate control, in ms of the target rate (see lattice_video_encoder_make). */
#define RC_BUFFER_MS         1000
#define RC_BUFFER_INITIAL_MS 500
#define RC_BUFFER_OPTIMAL_MS 600
/* A keyframe's most, in % of an average frame's bits: three frames. */
#define MAX_KEYFRAME_PCT     300
/* Each change reconfigures libvpx: skip the small ones. */
#define RATE_DEAD_BAND     0.05

struct _LatticeVideoEncoders {
  GstElement *full_encoder;
  GstElement *low_encoder;   /* NULL: no low layer */
  GstElement *full_tee;
  GstElement *low_tee;
  guint       full_nominal;
  guint       low_nominal;
  guint       full_bps;
  guint       low_bps;
  gint        full_active;   /* atomic: frames reach the encoder */
  gint        low_active;
};

guint
lattice_video_encoders_nominal_bitrate (guint width,
                                        guint height,
                                        guint framerate)
{
  double scale = (double) width * height * framerate /
                 ((double) LATTICE_MEDIA_DEFAULT_WIDTH * LATTICE_MEDIA_DEFAULT_HEIGHT *
                  LATTICE_MEDIA_DEFAULT_FRAMERATE);

  return (guint) CLAMP (REFERENCE_BITRATE * scale, MIN_FULL_BITRATE, MAX_FULL_BITRATE);
}

static int
encoder_threads (guint width, guint height)
{
  /* libvpx threads spin while they wait: at 640x360 two threads cost 20
   * times the CPU of one on a busy two-core machine (measured). */
  if ((guint64) width * height < 1280 * 720)
    return 1;
  return MIN (g_get_num_processors (), 4);
}

GstElement *
lattice_video_encoder_make (const char *name,
                            guint       width,
                            guint       height,
                            guint       framerate,
                            guint       bitrate,
                            gboolean    layered)
{
  GstElement *encoder = lattice_media_make_element ("vp8enc", name);

  g_object_set (encoder,
                "deadline", (gint64) 1,
                "cpu-used", 8,
                "threads", encoder_threads (width, height),
                "keyframe-max-dist", (int) framerate * 3,
                "lag-in-frames", 0,
                /* Every peer's PLI reaches the encoder that peer receives
                 * (tee forwards upstream events from all its src pads):
                 * the encoder itself lets at most one forced keyframe
                 * through per interval and delays, not drops, the others. */
                "min-force-key-unit-interval", (guint64) LATTICE_MEDIA_KEYFRAME_MIN_INTERVAL_MS * GST_MSECOND,
                NULL);
  /* Real-time rate control: vp8enc's defaults let CBR run six seconds
   * ahead of or behind its target and a keyframe be any size. Here the
   * rate holds within about a second, and a keyframe is at most
   * MAX_KEYFRAME_PCT of an average frame: a switch of layers or a
   * keyframe request then never floods a slow link with one picture that
   * queues every other stream on it for a few hundred milliseconds. */
  g_object_set (encoder,
                "buffer-size", RC_BUFFER_MS,
                "buffer-initial-size", RC_BUFFER_INITIAL_MS,
                "buffer-optimal-size", RC_BUFFER_OPTIMAL_MS,
                "max-intra-bitrate", MAX_KEYFRAME_PCT,
                NULL);
  gst_util_set_object_arg (G_OBJECT (encoder), "end-usage", "cbr");
  gst_util_set_object_arg (G_OBJECT (encoder), "error-resilient", "default");
  if (layered)
    {
      lattice_vp8_layers_configure (encoder);
      lattice_vp8_layers_set_bitrate (encoder, bitrate);
    }
  else
    g_object_set (encoder, "target-bitrate", (int) bitrate, NULL);
  return encoder;
}

/* An idle layer's frames stop here, before any scaling or encoding. */
static GstPadProbeReturn
drop_when_idle (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return g_atomic_int_get ((gint *) user_data) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

static void
build_low (LatticeVideoEncoders *self, GstBin *bin, GstElement *split,
           guint width, guint height, guint framerate, gboolean stamp_time)
{
  GstElement *queue = lattice_media_make_element ("queue", NULL);
  GstElement *scale = lattice_media_make_element ("videoscale", NULL);
  GstElement *filter = lattice_media_make_element ("capsfilter", NULL);
  g_autoptr(GstCaps) caps = NULL;

  /* Behind, it drops frames rather than hold the full encoder up. */
  g_object_set (queue, "leaky", 2 /* downstream */, "max-size-buffers", 2,
                "max-size-bytes", 0, "max-size-time", (guint64) 0, NULL);
  caps = gst_caps_new_simple ("video/x-raw",
                              "width", G_TYPE_INT, (int) (width / 2) & ~1,
                              "height", G_TYPE_INT, (int) (height / 2) & ~1,
                              "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  g_object_set (filter, "caps", caps, NULL);
  self->low_encoder = lattice_video_encoder_make ("video-encoder-low", width / 2, height / 2,
                                                  framerate, self->low_nominal, TRUE);
  self->low_tee = lattice_media_make_tee (LATTICE_MEDIA_VIDEO_LOW_TEE_NAME);
  gst_bin_add_many (bin, queue, scale, filter, self->low_encoder, self->low_tee, NULL);
  if (!gst_element_link (split, queue) ||
      !gst_element_link_many (queue, scale, filter, self->low_encoder, self->low_tee, NULL))
    g_critical ("Could not link the low-resolution encoder");
  /* before the queue and scaler, which cost about what the small encoder does */
  lattice_media_add_probe (queue, "sink", GST_PAD_PROBE_TYPE_BUFFER, drop_when_idle, &self->low_active);
  /* benchmarks: the scaled frames carry their full frame's capture time
   * again, in cells the size a reader of the smaller frame expects */
  if (stamp_time)
    lattice_media_add_probe (filter, "src", GST_PAD_PROBE_TYPE_BUFFER, lattice_stamp_rewrite_probe, NULL);
}

LatticeVideoEncoders *
lattice_video_encoders_new (GstBin     *bin,
                            GstElement *upstream,
                            guint       width,
                            guint       height,
                            guint       framerate,
                            gboolean    stamp_time)
{
  LatticeVideoEncoders *self = g_new0 (LatticeVideoEncoders, 1);
  GstElement *split = lattice_media_make_tee (NULL);

  self->full_nominal = lattice_video_encoders_nominal_bitrate (width, height, framerate);
  self->low_nominal = MAX (MIN_LOW_BITRATE, (guint) (self->full_nominal * LOW_SHARE));
  self->full_bps = self->full_nominal;
  self->low_bps = self->low_nominal;
  self->full_encoder = lattice_video_encoder_make (LATTICE_MEDIA_VIDEO_ENCODER_NAME, width, height,
                                                   framerate, self->full_nominal, TRUE);
  self->full_tee = lattice_media_make_tee (LATTICE_MEDIA_VIDEO_TEE_NAME);
  gst_bin_add_many (bin, split, self->full_encoder, self->full_tee, NULL);
  if (!gst_element_link (upstream, split) ||
      !gst_element_link_many (split, self->full_encoder, self->full_tee, NULL))
    g_critical ("Could not link the video encoder");
  if (width >= 2 * LATTICE_STAMP_MIN_WIDTH && height >= 2 * LATTICE_STAMP_MIN_HEIGHT)
    build_low (self, bin, split, width, height, framerate, stamp_time);
  else
    self->low_nominal = self->low_bps = 0;
  /* nobody to send to yet */
  lattice_media_add_probe (self->full_encoder, "sink", GST_PAD_PROBE_TYPE_BUFFER,
                           drop_when_idle, &self->full_active);
  return self;
}

void
lattice_video_encoders_free (LatticeVideoEncoders *self)
{
  g_free (self);
}

GstElement *
lattice_video_encoders_get_tee (LatticeVideoEncoders *self,
                                gboolean              low)
{
  return low ? self->low_tee : self->full_tee;
}

void
lattice_video_encoders_get_rates (LatticeVideoEncoders *self,
                                  LatticeEncoderRates  *rates)
{
  rates->full_bps = self->full_bps;
  rates->low_bps = self->low_bps;
  rates->full_nominal_bps = self->full_nominal;
}

static void
set_active (GstElement *encoder, gint *flag, gboolean active, const char *what)
{
  if (encoder == NULL || g_atomic_int_get (flag) == active)
    return;
  g_debug ("%s video layer %s", what, active ? "encoding again" : "idle: nobody receives it");
  if (active)
    /* the first frame after the gap starts a picture a receiver can decode */
    gst_element_send_event (encoder, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                                  TRUE, 0));
  g_atomic_int_set (flag, active);
}

void
lattice_video_encoders_set_active (LatticeVideoEncoders *self,
                                   gboolean              full,
                                   gboolean              low)
{
  set_active (self->full_encoder, &self->full_active, !!full, "Full");
  set_active (self->low_encoder, &self->low_active, !!low, "Low");
}

void
lattice_video_encoders_get_active (LatticeVideoEncoders *self,
                                   gboolean             *full,
                                   gboolean             *low)
{
  *full = g_atomic_int_get (&self->full_active);
  *low = self->low_encoder != NULL && g_atomic_int_get (&self->low_active);
}

void
lattice_video_encoders_get_bounds (LatticeVideoEncoders *self,
                                   guint                *full_min,
                                   guint                *low_min,
                                   guint                *low_nominal)
{
  *full_min = (guint) (self->full_nominal * FULL_MIN_SHARE);
  *low_min = (guint) (self->low_nominal * LOW_MIN_SHARE);
  *low_nominal = self->low_nominal;
}

static gboolean
differs (guint a, guint b)
{
  return ABS ((double) a - (double) b) > RATE_DEAD_BAND * MAX (a, b);
}

void
lattice_video_encoders_set_rates (LatticeVideoEncoders *self,
                                  guint                 full_bps,
                                  guint                 low_bps)
{
  full_bps = CLAMP (full_bps, (guint) (self->full_nominal * FULL_MIN_SHARE), self->full_nominal);
  /* back to nominal exactly, not to within the dead band of it */
  if (differs (full_bps, self->full_bps) || (full_bps == self->full_nominal && self->full_bps != full_bps))
    {
      g_debug ("Full video layer at %u bit/s", full_bps);
      self->full_bps = full_bps;
      lattice_vp8_layers_set_bitrate (self->full_encoder, full_bps);
    }
  if (self->low_encoder == NULL)
    return;
  low_bps = CLAMP (low_bps, (guint) (self->low_nominal * LOW_MIN_SHARE), self->low_nominal);
  if (differs (low_bps, self->low_bps) || (low_bps == self->low_nominal && self->low_bps != low_bps))
    {
      g_debug ("Low video layer at %u bit/s", low_bps);
      self->low_bps = low_bps;
      lattice_vp8_layers_set_bitrate (self->low_encoder, low_bps);
    }
}
