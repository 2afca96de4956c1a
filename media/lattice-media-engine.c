/* lattice-media-engine.c: one pipeline per call, each local stream encoded once
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gst/video/video.h>

#include "lattice-media-engine-private.h"
#include "lattice-peer-connection-private.h"

enum {
  PROP_0,
  PROP_VIDEO_SOURCE,
  PROP_AUDIO_SOURCE,
  PROP_VIDEO_DEVICE,
  PROP_AUDIO_DEVICE,
  PROP_WIDTH,
  PROP_HEIGHT,
  PROP_FRAMERATE,
  PROP_LATENCY,
  PROP_CONNECT_TIMEOUT,
  PROP_ENCODE_PER_PEER,
  PROP_AUDIO_MUTED,
  PROP_VIDEO_ENABLED,
  PROP_SELF_VIEW_SINK,
  PROP_ECHO_CANCEL,
  PROP_STAMP_TIME,
  PROP_TEST_PATTERN,
  PROP_TEST_AUDIO,
  N_PROPS
};


static GParamSpec *properties[N_PROPS];
guint lattice_media_engine_signals[LATTICE_MEDIA_ENGINE_N_SIGNALS];

G_DEFINE_FINAL_TYPE (LatticeMediaEngine, lattice_media_engine, G_TYPE_OBJECT)

/* Bus. */

LatticePeerConnection *
lattice_media_engine_find_peer_of (LatticeMediaEngine *self, GstObject *object)
{
  GHashTableIter iter;
  PeerLink *link;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &link))
    if (gst_object_has_as_ancestor (object, GST_OBJECT (lattice_peer_connection_get_bin (link->peer))))
      return link->peer;
  return NULL;
}

static void
handle_error (LatticeMediaEngine *self, GstMessage *message)
{
  g_autoptr(GError) gst_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *debug = NULL;
  LatticePeerConnection *peer = lattice_media_engine_find_peer_of (self, GST_MESSAGE_SRC (message));

  gst_message_parse_error (message, &gst_error, &debug);
  g_debug ("Error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (message), gst_error->message, debug);
  if (peer != NULL)
    {
      /* One broken connection is that peer's failure, not the call's. */
      lattice_peer_connection_fail (peer);
      return;
    }
  error = g_error_new (LATTICE_MEDIA_ERROR,
                       g_error_matches (gst_error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY)
                         ? LATTICE_MEDIA_ERROR_DEVICE_BUSY : LATTICE_MEDIA_ERROR_PIPELINE,
                       _("Media error: %s"), gst_error->message);
  g_signal_emit (self, lattice_media_engine_signals[LATTICE_MEDIA_ENGINE_SIGNAL_ERROR], 0, error);
}

static void
handle_element (LatticeMediaEngine *self, GstMessage *message)
{
  const GstStructure *s = gst_message_get_structure (message);
  LatticePeerConnection *peer;

  if (s == NULL || !gst_structure_has_name (s, "level"))
    return;
  peer = lattice_media_engine_find_peer_of (self, GST_MESSAGE_SRC (message));
  if (peer != NULL)
    lattice_peer_connection_handle_level (peer, s);
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  LatticeMediaEngine *self = user_data;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      handle_error (self, message);
      break;
    case GST_MESSAGE_WARNING:
      {
        g_autoptr(GError) warning = NULL;
        g_autofree char *debug = NULL;

        /* webrtcbin and libnice warn about ICE routinely. */
        gst_message_parse_warning (message, &warning, &debug);
        g_debug ("Warning from %s: %s", GST_MESSAGE_SRC_NAME (message), warning->message);
        break;
      }
    case GST_MESSAGE_ELEMENT:
      handle_element (self, message);
      break;
    case GST_MESSAGE_LATENCY:
      /* New sinks joined: let the pipeline pick the latency again. */
      gst_bin_recalculate_latency (GST_BIN (self->pipeline));
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

/* GObject. */

static void
lattice_media_engine_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LatticeMediaEngine *self = LATTICE_MEDIA_ENGINE (object);

  switch (prop_id)
    {
    case PROP_VIDEO_SOURCE: g_value_set_enum (value, self->video_source); break;
    case PROP_AUDIO_SOURCE: g_value_set_enum (value, self->audio_source); break;
    case PROP_VIDEO_DEVICE: g_value_set_object (value, self->video_device); break;
    case PROP_AUDIO_DEVICE: g_value_set_object (value, self->audio_device); break;
    case PROP_WIDTH: g_value_set_uint (value, self->width); break;
    case PROP_HEIGHT: g_value_set_uint (value, self->height); break;
    case PROP_FRAMERATE: g_value_set_uint (value, self->framerate); break;
    case PROP_LATENCY: g_value_set_uint (value, self->latency); break;
    case PROP_CONNECT_TIMEOUT: g_value_set_uint (value, self->connect_timeout); break;
    case PROP_ENCODE_PER_PEER: g_value_set_boolean (value, self->encode_per_peer); break;
    case PROP_AUDIO_MUTED: g_value_set_boolean (value, self->audio_muted); break;
    case PROP_VIDEO_ENABLED: g_value_set_boolean (value, self->video_enabled); break;
    case PROP_SELF_VIEW_SINK: g_value_set_object (value, self->self_view_sink); break;
    case PROP_ECHO_CANCEL: g_value_set_boolean (value, self->echo_cancel); break;
    case PROP_STAMP_TIME: g_value_set_boolean (value, self->stamp_time); break;
    case PROP_TEST_PATTERN: g_value_set_enum (value, self->test_pattern); break;
    case PROP_TEST_AUDIO: g_value_set_enum (value, self->test_audio); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Sets *@field and notifies when the value changed; TRUE if it did. */
static gboolean
set_uint (LatticeMediaEngine *self, guint *field, guint value, guint prop_id)
{
  if (*field == value)
    return FALSE;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
  return TRUE;
}

static void
set_device (LatticeMediaEngine *self, GstDevice **field, GstDevice *device, guint prop_id)
{
  if (!g_set_object (field, device))
    return;
  lattice_media_engine_update_device (self, prop_id == PROP_VIDEO_DEVICE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
set_self_view_sink (LatticeMediaEngine *self, GstElement *sink)
{
  if (self->self_view_sink == sink)
    return;
  g_clear_object (&self->self_view_sink);
  self->self_view_sink = sink ? gst_object_ref_sink (sink) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELF_VIEW_SINK]);
}

static void
lattice_media_engine_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  LatticeMediaEngine *self = LATTICE_MEDIA_ENGINE (object);

  switch (prop_id)
    {
    case PROP_VIDEO_SOURCE: set_uint (self, (guint *) &self->video_source, g_value_get_enum (value), prop_id); break;
    case PROP_AUDIO_SOURCE: set_uint (self, (guint *) &self->audio_source, g_value_get_enum (value), prop_id); break;
    case PROP_VIDEO_DEVICE: set_device (self, &self->video_device, g_value_get_object (value), prop_id); break;
    case PROP_AUDIO_DEVICE: set_device (self, &self->audio_device, g_value_get_object (value), prop_id); break;
    case PROP_WIDTH: set_uint (self, &self->width, g_value_get_uint (value), prop_id); break;
    case PROP_HEIGHT: set_uint (self, &self->height, g_value_get_uint (value), prop_id); break;
    case PROP_FRAMERATE: set_uint (self, &self->framerate, g_value_get_uint (value), prop_id); break;
    case PROP_LATENCY: set_uint (self, &self->latency, g_value_get_uint (value), prop_id); break;
    case PROP_CONNECT_TIMEOUT: set_uint (self, &self->connect_timeout, g_value_get_uint (value), prop_id); break;
    case PROP_ENCODE_PER_PEER: set_uint (self, (guint *) &self->encode_per_peer, g_value_get_boolean (value), prop_id); break;
    case PROP_AUDIO_MUTED: lattice_media_engine_set_audio_muted (self, g_value_get_boolean (value)); break;
    case PROP_VIDEO_ENABLED: lattice_media_engine_set_video_enabled (self, g_value_get_boolean (value)); break;
    case PROP_SELF_VIEW_SINK: set_self_view_sink (self, g_value_get_object (value)); break;
    case PROP_ECHO_CANCEL: set_uint (self, (guint *) &self->echo_cancel, g_value_get_boolean (value), prop_id); break;
    case PROP_STAMP_TIME: set_uint (self, (guint *) &self->stamp_time, g_value_get_boolean (value), prop_id); break;
    case PROP_TEST_PATTERN: set_uint (self, (guint *) &self->test_pattern, g_value_get_enum (value), prop_id); break;
    case PROP_TEST_AUDIO: set_uint (self, (guint *) &self->test_audio, g_value_get_enum (value), prop_id); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_media_engine_dispose (GObject *object)
{
  LatticeMediaEngine *self = LATTICE_MEDIA_ENGINE (object);

  if (self->pipeline != NULL)
    {
      gst_element_set_state (GST_ELEMENT (self->pipeline), GST_STATE_NULL);
      lattice_media_engine_drop_all_peers (self, FALSE);
    }
  lattice_media_engine_stop_ticking (self);
  if (self->bus_source != NULL)
    g_source_destroy (self->bus_source);
  g_clear_pointer (&self->bus_source, g_source_unref);
  if (self->trim_source != NULL)
    g_source_destroy (self->trim_source);
  g_clear_pointer (&self->trim_source, g_source_unref);
  g_clear_object (&self->pipeline);
  g_clear_object (&self->echo_probe);
  g_clear_object (&self->video_device);
  g_clear_object (&self->audio_device);
  g_clear_object (&self->self_view_sink);
  /* The key's thread must not be left running into exit(). */
  if (self->key_asked)
    lattice_media_wait_prepared ();

  G_OBJECT_CLASS (lattice_media_engine_parent_class)->dispose (object);
}

static void
lattice_media_engine_finalize (GObject *object)
{
  LatticeMediaEngine *self = LATTICE_MEDIA_ENGINE (object);

  g_clear_pointer (&self->peers, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->turn_servers, g_strfreev);
  g_free (self->stun_server);

  G_OBJECT_CLASS (lattice_media_engine_parent_class)->finalize (object);
}

static GParamSpec *
uint_pspec (const char *name, guint min, guint max, guint def)
{
  return g_param_spec_uint (name, NULL, NULL, min, max, def,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
bool_pspec (const char *name, gboolean def)
{
  return g_param_spec_boolean (name, NULL, NULL, def,
                               G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
object_pspec (const char *name, GType type)
{
  return g_param_spec_object (name, NULL, NULL, type,
                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
source_pspec (const char *name)
{
  return g_param_spec_enum (name, NULL, NULL, LATTICE_TYPE_MEDIA_SOURCE, LATTICE_MEDIA_SOURCE_TEST,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
install_signals (GObjectClass *object_class)
{
  GType type = G_TYPE_FROM_CLASS (object_class);

  lattice_media_engine_signals[LATTICE_MEDIA_ENGINE_SIGNAL_CREATE_VIDEO_SINK] =
    g_signal_new ("create-video-sink", type, G_SIGNAL_RUN_LAST, 0,
                  g_signal_accumulator_first_wins, NULL, NULL,
                  GST_TYPE_ELEMENT, 1, G_TYPE_STRING);
  lattice_media_engine_signals[LATTICE_MEDIA_ENGINE_SIGNAL_CREATE_AUDIO_SINK] =
    g_signal_new ("create-audio-sink", type, G_SIGNAL_RUN_LAST, 0,
                  g_signal_accumulator_first_wins, NULL, NULL,
                  GST_TYPE_ELEMENT, 1, G_TYPE_STRING);
  lattice_media_engine_signals[LATTICE_MEDIA_ENGINE_SIGNAL_PEER_ADDED] =
    g_signal_new ("peer-added", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, LATTICE_TYPE_PEER_CONNECTION);
  lattice_media_engine_signals[LATTICE_MEDIA_ENGINE_SIGNAL_PEER_REMOVED] =
    g_signal_new ("peer-removed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, LATTICE_TYPE_PEER_CONNECTION);
  lattice_media_engine_signals[LATTICE_MEDIA_ENGINE_SIGNAL_ERROR] =
    g_signal_new ("error", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
lattice_media_engine_class_init (LatticeMediaEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = lattice_media_engine_get_property;
  object_class->set_property = lattice_media_engine_set_property;
  object_class->dispose = lattice_media_engine_dispose;
  object_class->finalize = lattice_media_engine_finalize;

  properties[PROP_VIDEO_SOURCE] = source_pspec ("video-source");
  properties[PROP_AUDIO_SOURCE] = source_pspec ("audio-source");
  properties[PROP_VIDEO_DEVICE] = object_pspec ("video-device", GST_TYPE_DEVICE);
  properties[PROP_AUDIO_DEVICE] = object_pspec ("audio-device", GST_TYPE_DEVICE);
  properties[PROP_WIDTH] = uint_pspec ("width", 16, 4096, LATTICE_MEDIA_DEFAULT_WIDTH);
  properties[PROP_HEIGHT] = uint_pspec ("height", 16, 4096, LATTICE_MEDIA_DEFAULT_HEIGHT);
  properties[PROP_FRAMERATE] = uint_pspec ("framerate", 1, 120, LATTICE_MEDIA_DEFAULT_FRAMERATE);
  properties[PROP_LATENCY] = uint_pspec ("latency", 0, 10000, LATTICE_MEDIA_DEFAULT_LATENCY_MS);
  properties[PROP_CONNECT_TIMEOUT] = uint_pspec ("connect-timeout", 100, G_MAXUINT,
                                                 LATTICE_MEDIA_DEFAULT_CONNECT_TIMEOUT_MS);
  properties[PROP_ENCODE_PER_PEER] = bool_pspec ("encode-per-peer", FALSE);
  properties[PROP_AUDIO_MUTED] = bool_pspec ("audio-muted", FALSE);
  properties[PROP_VIDEO_ENABLED] = bool_pspec ("video-enabled", TRUE);
  properties[PROP_SELF_VIEW_SINK] = object_pspec ("self-view-sink", GST_TYPE_ELEMENT);
  properties[PROP_ECHO_CANCEL] = bool_pspec ("echo-cancel", FALSE);
  properties[PROP_STAMP_TIME] = bool_pspec ("stamp-time", FALSE);
  properties[PROP_TEST_PATTERN] =
    g_param_spec_enum ("test-pattern", NULL, NULL, LATTICE_TYPE_TEST_PATTERN, LATTICE_TEST_PATTERN_CAMERA,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TEST_AUDIO] =
    g_param_spec_enum ("test-audio", NULL, NULL, LATTICE_TYPE_TEST_AUDIO, LATTICE_TEST_AUDIO_TONE,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  install_signals (object_class);
}

static void
lattice_media_engine_init (LatticeMediaEngine *self)
{
  g_autoptr(GstBus) bus = NULL;

  self->video_source = LATTICE_MEDIA_SOURCE_TEST;
  self->audio_source = LATTICE_MEDIA_SOURCE_TEST;
  self->width = LATTICE_MEDIA_DEFAULT_WIDTH;
  self->height = LATTICE_MEDIA_DEFAULT_HEIGHT;
  self->framerate = LATTICE_MEDIA_DEFAULT_FRAMERATE;
  self->latency = LATTICE_MEDIA_DEFAULT_LATENCY_MS;
  self->connect_timeout = LATTICE_MEDIA_DEFAULT_CONNECT_TIMEOUT_MS;
  self->video_enabled = TRUE;
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->context = g_main_context_ref_thread_default ();

  self->pipeline = GST_PIPELINE (gst_object_ref_sink (gst_pipeline_new ("lattice-call")));
  bus = gst_pipeline_get_bus (self->pipeline);
  /* The watch runs on the engine's context, not whatever is default later. */
  self->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (self->bus_source, G_SOURCE_FUNC (on_bus_message), self, NULL);
  g_source_attach (self->bus_source, self->context);
}

/* Public API. */

LatticeMediaEngine *
lattice_media_engine_new (LatticeMediaSource video,
                          LatticeMediaSource audio)
{
  return g_object_new (LATTICE_TYPE_MEDIA_ENGINE,
                       "video-source", video,
                       "audio-source", audio,
                       NULL);
}

static gboolean
report_start_failure (LatticeMediaEngine *self, GError **error)
{
  g_autoptr(GstBus) bus = gst_pipeline_get_bus (self->pipeline);
  g_autoptr(GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_autoptr(GError) gst_error = NULL;

  if (message != NULL)
    gst_message_parse_error (message, &gst_error, NULL);
  g_set_error (error, LATTICE_MEDIA_ERROR,
               gst_error && g_error_matches (gst_error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY)
                 ? LATTICE_MEDIA_ERROR_DEVICE_BUSY : LATTICE_MEDIA_ERROR_PIPELINE,
               _("Could not start the camera and microphone: %s"),
               gst_error ? gst_error->message : _("unknown error"));
  return FALSE;
}

static void
clear_pipeline (LatticeMediaEngine *self)
{
  g_autoptr(GstIterator) it = gst_bin_iterate_elements (GST_BIN (self->pipeline));
  g_autoptr(GList) children = NULL;
  GValue item = G_VALUE_INIT;

  gst_element_set_state (GST_ELEMENT (self->pipeline), GST_STATE_NULL);
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      children = g_list_prepend (children, g_value_get_object (&item));
      g_value_reset (&item);
    }
  g_value_unset (&item);
  for (GList *l = children; l != NULL; l = l->next)
    gst_bin_remove (GST_BIN (self->pipeline), l->data);
  g_clear_object (&self->echo_probe);
  g_clear_pointer (&self->encoders, lattice_video_encoders_free);
  memset (&self->video, 0, sizeof self->video);
  memset (&self->audio, 0, sizeof self->audio);
}

gboolean
lattice_media_engine_start (LatticeMediaEngine  *self,
                            GError             **error)
{
  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->running)
    return TRUE;
  if (!lattice_media_check_plugins (TRUE, TRUE, error) ||
      (lattice_media_engine_use_echo_cancel (self) &&
       !lattice_media_check_echo_plugins (error)))
    return FALSE;
  lattice_media_prepare ();
  self->key_asked = TRUE;
  if ((self->video_source != LATTICE_MEDIA_SOURCE_NONE && !lattice_media_engine_build_video (self, error)) ||
      (self->audio_source != LATTICE_MEDIA_SOURCE_NONE && !lattice_media_engine_build_audio (self, error)))
    {
      clear_pipeline (self);
      return FALSE;
    }
  if (gst_element_set_state (GST_ELEMENT (self->pipeline), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      report_start_failure (self, error);
      clear_pipeline (self);
      return FALSE;
    }
  self->running = TRUE;
  lattice_media_engine_start_ticking (self);
  return TRUE;
}

void
lattice_media_engine_stop (LatticeMediaEngine *self)
{
  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));

  if (!self->running)
    return;
  gst_element_set_state (GST_ELEMENT (self->pipeline), GST_STATE_NULL);
  lattice_media_engine_drop_all_peers (self, TRUE);
  clear_pipeline (self);
  self->running = FALSE;
  lattice_media_engine_stop_ticking (self);
}

void
lattice_media_engine_set_ice_servers (LatticeMediaEngine *self,
                                      const char         *stun_server,
                                      const char *const  *turn_servers)
{
  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));

  g_free (self->stun_server);
  self->stun_server = g_strdup (stun_server);
  g_strfreev (self->turn_servers);
  self->turn_servers = g_strdupv ((char **) turn_servers);
}

void
lattice_media_engine_set_relay_only (LatticeMediaEngine *self,
                                     gboolean            relay_only)
{
  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));

  self->relay_only = !!relay_only;
}


void
lattice_media_engine_set_audio_muted (LatticeMediaEngine *self,
                                      gboolean            muted)
{
  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));

  muted = !!muted;
  if (self->audio_muted == muted)
    return;
  self->audio_muted = muted;
  /* Nothing reaches the encoder, so no peer receives anything: no renegotiation. */
  if (self->audio.valve != NULL)
    g_object_set (self->audio.valve, "drop", muted, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUDIO_MUTED]);
}

gboolean
lattice_media_engine_get_audio_muted (LatticeMediaEngine *self)
{
  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), FALSE);
  return self->audio_muted;
}

void
lattice_media_engine_set_video_enabled (LatticeMediaEngine *self,
                                        gboolean            enabled)
{
  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));

  enabled = !!enabled;
  if (self->video_enabled == enabled)
    return;
  self->video_enabled = enabled;
  /* Dropped before the encoder: peers see no more frames, the self view goes on. */
  if (self->video.valve != NULL)
    g_object_set (self->video.valve, "drop", !enabled, NULL);
  /* Receivers may have thrown away state while nothing came. */
  if (enabled)
    lattice_media_engine_request_keyframes (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_ENABLED]);
}

gboolean
lattice_media_engine_get_video_enabled (LatticeMediaEngine *self)
{
  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), FALSE);
  return self->video_enabled;
}

void
lattice_media_engine_get_encoder_rates (LatticeMediaEngine  *self,
                                        LatticeEncoderRates *rates)
{
  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));
  g_return_if_fail (rates != NULL);

  memset (rates, 0, sizeof *rates);
  if (self->encoders != NULL)
    lattice_video_encoders_get_rates (self->encoders, rates);
}

void
lattice_media_engine_get_encoders_active (LatticeMediaEngine *self,
                                          gboolean           *full,
                                          gboolean           *low)
{
  gboolean f = FALSE, l = FALSE;

  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));

  if (self->encoders != NULL)
    lattice_video_encoders_get_active (self->encoders, &f, &l);
  if (full != NULL)
    *full = f;
  if (low != NULL)
    *low = l;
}

GstPipeline *
lattice_media_engine_get_pipeline (LatticeMediaEngine *self)
{
  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), NULL);
  return self->pipeline;
}

static void
count_encoder (const GValue *item, gpointer user_data)
{
  guint *counts = user_data;
  GstElement *element = g_value_get_object (item);
  GstElementFactory *factory = gst_element_get_factory (element);
  const char *name = factory ? gst_plugin_feature_get_name (factory) : NULL;

  if (g_strcmp0 (name, "vp8enc") == 0)
    counts[0]++;
  else if (g_strcmp0 (name, "opusenc") == 0)
    counts[1]++;
}

void
lattice_media_engine_count_encoders (LatticeMediaEngine *self,
                                     guint              *n_video,
                                     guint              *n_audio)
{
  g_autoptr(GstIterator) it = NULL;
  guint counts[2] = { 0, 0 };

  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));

  it = gst_bin_iterate_recurse (GST_BIN (self->pipeline));
  while (gst_iterator_foreach (it, count_encoder, counts) == GST_ITERATOR_RESYNC)
    {
      counts[0] = counts[1] = 0;
      gst_iterator_resync (it);
    }
  if (n_video != NULL)
    *n_video = counts[0];
  if (n_audio != NULL)
    *n_audio = counts[1];
}
