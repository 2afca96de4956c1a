/* lattice-media-engine-local.c: the local part of the pipeline: capture, encoders, device changes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gst/video/video.h>

#include "lattice-media-engine-private.h"
#include "lattice-stamp.h"
#include "lattice-test-source.h"
#include "lattice-video-encoders.h"

/* Building the local part of the pipeline. */

/* Adds @elements (NULL-terminated) to @bin and links them in order. */
void
lattice_media_add_and_link (GstBin *bin, GstElement **elements)
{
  for (guint i = 0; elements[i] != NULL; i++)
    {
      gst_bin_add (bin, elements[i]);
      if (i > 0 && !gst_element_link (elements[i - 1], elements[i]))
        g_critical ("Could not link %s to %s", GST_ELEMENT_NAME (elements[i - 1]),
                    GST_ELEMENT_NAME (elements[i]));
    }
}

GstElement *
lattice_media_make_queue (gboolean leaky)
{
  GstElement *queue = lattice_media_make_element ("queue", NULL);

  /* A slow branch drops its own data instead of stalling the shared tee. */
  if (leaky)
    g_object_set (queue, "leaky", 2 /* downstream */,
                  "max-size-buffers", 0, "max-size-bytes", 0,
                  "max-size-time", 500 * GST_MSECOND, NULL);
  return queue;
}

GstElement *
lattice_media_make_audio_encoder (void)
{
  GstElement *encoder = lattice_media_make_element ("opusenc", "audio-encoder");

  /* In-band FEC at the loss the peers report (see update_opus_loss()),
   * and next to nothing sent in silence (DTX). */
  g_object_set (encoder, "bitrate", 32000, "frame-size", 20,
                "inband-fec", TRUE, "packet-loss-percentage", OPUS_MIN_LOSS_PERCENT,
                "dtx", TRUE, NULL);
  gst_util_set_object_arg (G_OBJECT (encoder), "audio-type", "voice");
  return encoder;
}

GstElement *
lattice_media_make_audio_payloader (void)
{
  GstElement *pay = lattice_media_make_element ("rtpopuspay", "audio-payloader");

  /* The encoder's DTX makes one- or two-byte packets in silence; this
   * sends none of them, so a silent participant costs its peers nothing
   * to receive or decode. */
  g_object_set (pay, "pt", LATTICE_MEDIA_AUDIO_PAYLOAD, "dtx", TRUE, NULL);
  return pay;
}

static GstElement *
find_device_element (const char *klass, GstDevice *device, GError **error)
{
  g_autoptr(GstDeviceMonitor) monitor = NULL;
  GList *devices;
  GstElement *element;

  if (device != NULL)
    return gst_device_create_element (device, NULL);
  monitor = gst_device_monitor_new ();
  gst_device_monitor_add_filter (monitor, klass, NULL);
  devices = gst_device_monitor_get_devices (monitor);
  element = devices ? gst_device_create_element (devices->data, NULL) : NULL;
  g_list_free_full (devices, gst_object_unref);
  if (element == NULL)
    g_set_error (error, LATTICE_MEDIA_ERROR, LATTICE_MEDIA_ERROR_NO_DEVICE,
                 g_str_equal (klass, "Video/Source") ? _("No camera was found")
                                                     : _("No microphone was found"));
  return element;
}

static GstElement *
make_video_source (LatticeMediaEngine *self, GError **error)
{
  GstElement *source;

  if (self->video_source == LATTICE_MEDIA_SOURCE_DEVICE)
    return find_device_element ("Video/Source", self->video_device, error);
  /* as demanding to encode as a camera, unless the ball was asked for */
  source = lattice_test_source_new (self->test_pattern);
  return source;
}

static GstElement *
make_audio_source (LatticeMediaEngine *self, GError **error)
{
  if (self->audio_source == LATTICE_MEDIA_SOURCE_DEVICE)
    return find_device_element ("Audio/Source", self->audio_device, error);
  return lattice_test_audio_new (self->test_audio);
}

static GstElement *
make_valve (gboolean drop)
{
  GstElement *valve = lattice_media_make_element ("valve", NULL);

  /* Keep caps and segments flowing so the encoder resumes cleanly. */
  gst_util_set_object_arg (G_OBJECT (valve), "drop-mode", "forward-sticky-events");
  g_object_set (valve, "drop", drop, NULL);
  return valve;
}

static void
add_stamp_probe (GstElement *raw_tee)
{
  g_autoptr(GstPad) pad = gst_element_get_static_pad (raw_tee, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, lattice_stamp_mark_probe, NULL, NULL);
}

static void
add_self_view (LatticeMediaEngine *self, GstElement *raw_tee)
{
  GstElement *queue = lattice_media_make_element ("queue", NULL);
  GstElement *chain[] = { raw_tee, queue, self->self_view_sink, NULL };

  g_object_set (queue, "leaky", 2, "max-size-buffers", 2, NULL);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (self->self_view_sink), "async"))
    g_object_set (self->self_view_sink, "async", FALSE, NULL);
  lattice_media_add_and_link (GST_BIN (self->pipeline), chain + 1);
  gst_element_link (raw_tee, queue);
}

gboolean
lattice_media_engine_build_video (LatticeMediaEngine *self, GError **error)
{
  GstElement *source = make_video_source (self, error);
  g_autoptr(GstCaps) caps = NULL;
  GstElement *convert, *filter, *raw_tee, *rate;

  if (source == NULL)
    return FALSE;
  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420",
                              "width", G_TYPE_INT, (int) self->width,
                              "height", G_TYPE_INT, (int) self->height,
                              "framerate", GST_TYPE_FRACTION, (int) self->framerate, 1,
                              "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  convert = lattice_media_make_element ("videoconvert", NULL);
  filter = lattice_media_make_element ("capsfilter", NULL);
  g_object_set (filter, "caps", caps, NULL);
  raw_tee = lattice_media_make_tee (NULL);
  rate = lattice_media_make_element ("videorate", NULL);
  /* Caps a fast camera's rate; a slow one is not padded with copies to encode. */
  g_object_set (rate, "drop-only", TRUE, NULL);
  self->video.source = source;
  self->video.after_source = convert;
  self->video.valve = make_valve (!self->video_enabled);
  {
    GstElement *capture[] = { source, convert, lattice_media_make_element ("videoscale", NULL),
                              rate, filter, raw_tee,
                              lattice_media_make_queue (TRUE), self->video.valve, NULL };
    lattice_media_add_and_link (GST_BIN (self->pipeline), capture);
  }
  if (self->encode_per_peer)
    {
      self->video.tee = lattice_media_make_tee (LATTICE_MEDIA_VIDEO_TEE_NAME);
      gst_bin_add (GST_BIN (self->pipeline), self->video.tee);
      gst_element_link (self->video.valve, self->video.tee);
    }
  else
    {
      self->encoders = lattice_video_encoders_new (GST_BIN (self->pipeline), self->video.valve,
                                                   self->width, self->height, self->framerate,
                                                   self->stamp_time);
      self->video.tee = lattice_video_encoders_get_tee (self->encoders, FALSE);
      self->video.low_tee = lattice_video_encoders_get_tee (self->encoders, TRUE);
    }
  if (self->self_view_sink != NULL)
    add_self_view (self, raw_tee);
  if (self->stamp_time)
    add_stamp_probe (raw_tee);
  return TRUE;
}

gboolean
lattice_media_engine_use_echo_cancel (LatticeMediaEngine *self)
{
  return self->echo_cancel && self->audio_source == LATTICE_MEDIA_SOURCE_DEVICE;
}

static char *
echo_probe_name (LatticeMediaEngine *self)
{
  /* webrtcdsp finds its probe by name, process-wide. */
  return g_strdup_printf ("lattice-echo-probe-%p", self);
}

gboolean
lattice_media_engine_build_audio (LatticeMediaEngine *self, GError **error)
{
  GstElement *source = make_audio_source (self, error);
  g_autoptr(GstCaps) caps = NULL;
  GstElement *filter, *last;

  if (source == NULL)
    return FALSE;
  caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE",
                              "rate", G_TYPE_INT, 48000, "channels", G_TYPE_INT, 1, NULL);
  filter = lattice_media_make_element ("capsfilter", NULL);
  g_object_set (filter, "caps", caps, NULL);
  self->audio.source = source;
  self->audio.after_source = lattice_media_make_element ("audioconvert", NULL);
  self->audio.valve = make_valve (self->audio_muted);
  self->audio.tee = lattice_media_make_tee (LATTICE_MEDIA_AUDIO_TEE_NAME);
  {
    GstElement *capture[] = { source, self->audio.after_source,
                              lattice_media_make_element ("audioresample", NULL), filter, NULL };
    lattice_media_add_and_link (GST_BIN (self->pipeline), capture);
  }
  last = filter;
  if (lattice_media_engine_use_echo_cancel (self))
    {
      g_autofree char *probe = echo_probe_name (self);
      GstElement *dsp[] = { last, lattice_media_make_element ("webrtcdsp", NULL), NULL };

      g_object_set (dsp[1], "probe", probe, NULL);
      /* webrtcdsp looks its probe up when it starts, so it exists from now. */
      self->echo_probe = gst_object_ref_sink (lattice_media_make_element ("webrtcechoprobe", probe));
      lattice_media_add_and_link (GST_BIN (self->pipeline), dsp + 1);
      gst_element_link (last, dsp[1]);
      last = dsp[1];
    }
  if (self->encode_per_peer)
    {
      GstElement *send[] = { self->audio.valve, self->audio.tee, NULL };
      lattice_media_add_and_link (GST_BIN (self->pipeline), send);
    }
  else
    {
      GstElement *send[] = { self->audio.valve, lattice_media_make_audio_encoder (), lattice_media_make_audio_payloader (),
                             self->audio.tee, NULL };
      self->audio.encoder = send[1];
      lattice_media_add_and_link (GST_BIN (self->pipeline), send);
    }
  gst_element_link (last, self->audio.valve);
  return TRUE;
}

/* Device changes while running. */

static void
swap_source (LatticeMediaEngine *self, LocalStream *stream, GstElement *source)
{
  GstElement *old = stream->source;

  /* The source heads its chain: stopping it stops its thread, and the new
   * one sends fresh caps and segment downstream. */
  gst_element_set_state (old, GST_STATE_NULL);
  gst_element_unlink (old, stream->after_source);
  gst_bin_remove (GST_BIN (self->pipeline), old);
  stream->source = source;
  gst_bin_add (GST_BIN (self->pipeline), source);
  gst_element_link (source, stream->after_source);
  gst_element_sync_state_with_parent (source);
}

void
lattice_media_engine_update_device (LatticeMediaEngine *self, gboolean video)
{
  LocalStream *stream = video ? &self->video : &self->audio;
  LatticeMediaSource kind = video ? self->video_source : self->audio_source;
  g_autoptr(GError) error = NULL;
  GstElement *source;

  if (!self->running || kind != LATTICE_MEDIA_SOURCE_DEVICE || stream->source == NULL)
    return;
  source = video ? make_video_source (self, &error) : make_audio_source (self, &error);
  if (source == NULL)
    {
      g_signal_emit (self, lattice_media_engine_signals[LATTICE_MEDIA_ENGINE_SIGNAL_ERROR], 0, error);
      return;
    }
  swap_source (self, stream, source);
}
