/* lattice-media-engine.c: one pipeline per call, each local stream encoded once
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gst/video/video.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "lattice-media-engine.h"
#include "lattice-media-enums.h"
#include "lattice-media-private.h"
#include "lattice-peer-connection-private.h"
#include "lattice-peer-sender.h"
#include "lattice-stamp.h"
#include "lattice-test-source.h"
#include "lattice-video-encoders.h"

/* Video: NACK with retransmissions (webrtcbin adds the RTX payload type for
 * a transceiver with do-nack), keyframe requests, and transport-wide
 * congestion control, whose header extension the payloader writes. */
#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define VIDEO_RTP_CAPS "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96," \
                       "rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true," \
                       "rtcp-fb-ccm-fir=(boolean)true,rtcp-fb-transport-cc=(boolean)true," \
                       "extmap-3=(string)\"" TWCC_URI "\""
/* Audio carries the transport-wide sequence numbers too: its steady 50
 * packets a second give the bandwidth estimate delay samples between the
 * video frames, which at a small layer come a few times a second. */
#define AUDIO_RTP_CAPS "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111," \
                       "rtcp-fb-transport-cc=(boolean)true,extmap-3=(string)\"" TWCC_URI "\""
/* Per-peer decisions (layers, encoder bitrates) every tick, statistics
 * (loss, round trip) from webrtcbin every STATS_TICKS. */
#define STATS_TICKS  (1000 / LATTICE_PEER_SENDER_TICK_MS)
/* Opus's in-band FEC is tuned to the worst loss a peer reports, within
 * these bounds (percent). */
#define OPUS_MIN_LOSS_PERCENT  1
#define OPUS_MAX_LOSS_PERCENT  30

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
  N_PROPS
};

enum {
  SIGNAL_CREATE_VIDEO_SINK,
  SIGNAL_CREATE_AUDIO_SINK,
  SIGNAL_PEER_ADDED,
  SIGNAL_PEER_REMOVED,
  SIGNAL_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* One local stream: source → … → valve → tee(s) the peers draw from. */
typedef struct {
  GstElement *source;
  GstElement *after_source;  /* relinked when the device changes */
  GstElement *valve;         /* mute / video off */
  GstElement *encoder;       /* audio: the shared encoder; NULL when encoding per peer */
  GstElement *tee;           /* audio: RTP; video: the full layer (VP8), or raw when encoding per peer */
  GstElement *low_tee;       /* video: the low layer, if any */
} LocalStream;

/* The tee pads feeding a peer's bin. */
enum {
  TEE_VIDEO,
  TEE_VIDEO_LOW,
  TEE_AUDIO,
  N_TEES
};

/* What the engine keeps per peer. */
typedef struct {
  LatticeMediaEngine    *engine;
  LatticePeerConnection *peer;
  LatticePeerSender     *sender;  /* NULL with no video to send */
  GstPad                *tee_pads[N_TEES];
  gint                   pending;  /* tee pads still to unlink, atomic */
} PeerLink;

struct _LatticeMediaEngine {
  GObject             parent_instance;

  LatticeMediaSource  video_source;
  LatticeMediaSource  audio_source;
  GstDevice          *video_device;
  GstDevice          *audio_device;
  guint               width;
  guint               height;
  guint               framerate;
  guint               latency;
  guint               connect_timeout;  /* ms */
  gboolean            key_asked;        /* lattice_media_prepare() called */
  gboolean            encode_per_peer;
  gboolean            audio_muted;
  gboolean            video_enabled;
  gboolean            echo_cancel;
  gboolean            stamp_time;
  LatticeTestPattern  test_pattern;
  GstElement         *self_view_sink;

  char               *stun_server;
  GStrv               turn_servers;
  gboolean            relay_only;

  GMainContext       *context;
  GstPipeline        *pipeline;
  GSource            *bus_source;
  gboolean            running;
  LocalStream         video;
  LocalStream         audio;
  LatticeVideoEncoders *encoders;  /* NULL when encoding per peer, or no video */
  GSource            *tick_source;
  guint               ticks;
  guint               opus_loss_percent;
  GstElement         *echo_probe;  /* webrtcdsp's probe, lent to one peer's audio */
  GHashTable         *peers;  /* id → PeerLink */
  GSource            *trim_source;  /* hands freed heap back after a removal */
};

G_DEFINE_FINAL_TYPE (LatticeMediaEngine, lattice_media_engine, G_TYPE_OBJECT)

/* Building the local part of the pipeline. */

/* Adds @elements (NULL-terminated) to @bin and links them in order. */
static void
add_and_link (GstBin *bin, GstElement **elements)
{
  for (guint i = 0; elements[i] != NULL; i++)
    {
      gst_bin_add (bin, elements[i]);
      if (i > 0 && !gst_element_link (elements[i - 1], elements[i]))
        g_critical ("Could not link %s to %s", GST_ELEMENT_NAME (elements[i - 1]),
                    GST_ELEMENT_NAME (elements[i]));
    }
}

static GstElement *
make_queue (gboolean leaky)
{
  GstElement *queue = lattice_media_make_element ("queue", NULL);

  /* A slow branch drops its own data instead of stalling the shared tee. */
  if (leaky)
    g_object_set (queue, "leaky", 2 /* downstream */,
                  "max-size-buffers", 0, "max-size-bytes", 0,
                  "max-size-time", 500 * GST_MSECOND, NULL);
  return queue;
}

static GstElement *
make_audio_encoder (void)
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

static GstElement *
make_audio_payloader (void)
{
  GstElement *pay = lattice_media_make_element ("rtpopuspay", "audio-payloader");

  g_object_set (pay, "pt", LATTICE_MEDIA_AUDIO_PAYLOAD, NULL);
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
  GstElement *source;

  if (self->audio_source == LATTICE_MEDIA_SOURCE_DEVICE)
    return find_device_element ("Audio/Source", self->audio_device, error);
  source = lattice_media_make_element ("audiotestsrc", NULL);
  /* A quiet tone in 20 ms buffers, like a microphone feeding Opus. */
  g_object_set (source, "is-live", TRUE, "volume", 0.1, "samplesperbuffer", 960, NULL);
  return source;
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

static GstElement *
make_tee (const char *name)
{
  GstElement *tee = lattice_media_make_element ("tee", name);

  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  return tee;
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
  add_and_link (GST_BIN (self->pipeline), chain + 1);
  gst_element_link (raw_tee, queue);
}

static gboolean
build_video (LatticeMediaEngine *self, GError **error)
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
  raw_tee = make_tee (NULL);
  rate = lattice_media_make_element ("videorate", NULL);
  /* Caps a fast camera's rate; a slow one is not padded with copies to encode. */
  g_object_set (rate, "drop-only", TRUE, NULL);
  self->video.source = source;
  self->video.after_source = convert;
  self->video.valve = make_valve (!self->video_enabled);
  {
    GstElement *capture[] = { source, convert, lattice_media_make_element ("videoscale", NULL),
                              rate, filter, raw_tee,
                              make_queue (TRUE), self->video.valve, NULL };
    add_and_link (GST_BIN (self->pipeline), capture);
  }
  if (self->encode_per_peer)
    {
      self->video.tee = make_tee (LATTICE_MEDIA_VIDEO_TEE_NAME);
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

static gboolean
use_echo_cancel (LatticeMediaEngine *self)
{
  return self->echo_cancel && self->audio_source == LATTICE_MEDIA_SOURCE_DEVICE;
}

static char *
echo_probe_name (LatticeMediaEngine *self)
{
  /* webrtcdsp finds its probe by name, process-wide. */
  return g_strdup_printf ("lattice-echo-probe-%p", self);
}

static gboolean
build_audio (LatticeMediaEngine *self, GError **error)
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
  self->audio.tee = make_tee (LATTICE_MEDIA_AUDIO_TEE_NAME);
  {
    GstElement *capture[] = { source, self->audio.after_source,
                              lattice_media_make_element ("audioresample", NULL), filter, NULL };
    add_and_link (GST_BIN (self->pipeline), capture);
  }
  last = filter;
  if (use_echo_cancel (self))
    {
      g_autofree char *probe = echo_probe_name (self);
      GstElement *dsp[] = { last, lattice_media_make_element ("webrtcdsp", NULL), NULL };

      g_object_set (dsp[1], "probe", probe, NULL);
      /* webrtcdsp looks its probe up when it starts, so it exists from now. */
      self->echo_probe = gst_object_ref_sink (lattice_media_make_element ("webrtcechoprobe", probe));
      add_and_link (GST_BIN (self->pipeline), dsp + 1);
      gst_element_link (last, dsp[1]);
      last = dsp[1];
    }
  if (self->encode_per_peer)
    {
      GstElement *send[] = { self->audio.valve, self->audio.tee, NULL };
      add_and_link (GST_BIN (self->pipeline), send);
    }
  else
    {
      GstElement *send[] = { self->audio.valve, make_audio_encoder (), make_audio_payloader (),
                             self->audio.tee, NULL };
      self->audio.encoder = send[1];
      add_and_link (GST_BIN (self->pipeline), send);
    }
  gst_element_link (last, self->audio.valve);
  return TRUE;
}

/* Peers. */

static void
peer_link_free (gpointer data)
{
  PeerLink *link = data;

  for (guint i = 0; i < N_TEES; i++)
    g_clear_object (&link->tee_pads[i]);
  g_clear_pointer (&link->sender, lattice_peer_sender_free);
  g_clear_object (&link->peer);
  g_clear_object (&link->engine);
  g_free (link);
}

static GstElement *
create_sink (LatticePeerConnection *peer, const char *kind, gpointer user_data)
{
  LatticeMediaEngine *self = user_data;
  GstElement *sink = NULL;
  guint signal_id = g_str_equal (kind, "video") ? SIGNAL_CREATE_VIDEO_SINK
                                                : SIGNAL_CREATE_AUDIO_SINK;

  g_signal_emit (self, signals[signal_id], 0, lattice_peer_connection_get_id (peer), &sink);
  /* The handler gives us a reference, floating or not; the bin takes its own. */
  if (sink != NULL && g_object_is_floating (sink))
    gst_object_ref_sink (sink);
  return sink;
}

static GstPad *
ghost_pad (GstBin *bin, GstElement *element, const char *name)
{
  g_autoptr(GstPad) pad = gst_element_get_static_pad (element, "sink");
  GstPad *ghost = gst_ghost_pad_new (name, pad);

  gst_element_add_pad (GST_ELEMENT (bin), ghost);
  return ghost;
}

static GstPadProbeReturn
drop_feedback (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s = gst_event_get_structure (event);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM && s != NULL &&
      gst_structure_has_name (s, "RTPTWCCPackets"))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

/* The bin's audio branch: queue [→ encoder → payloader] → webrtcbin. */
static GstPad *
build_audio_send_branch (LatticeMediaEngine *self, LatticePeerConnection *peer)
{
  GstBin *bin = lattice_peer_connection_get_bin (peer);
  g_autoptr(GstCaps) caps = gst_caps_from_string (AUDIO_RTP_CAPS);
  g_autoptr(GstPad) webrtc_pad = NULL;
  GstElement *chain[4] = { make_queue (TRUE), NULL, NULL, NULL };
  GstElement *last = chain[0];

  if (self->encode_per_peer)
    {
      chain[1] = make_audio_encoder ();
      chain[2] = make_audio_payloader ();
      last = chain[2];
    }
  add_and_link (bin, chain);
  webrtc_pad = lattice_peer_connection_request_send_pad (peer, caps);
  {
    g_autoptr(GstPad) last_pad = gst_element_get_static_pad (last, "src");
    gst_pad_link (last_pad, webrtc_pad);
    /* the video sender reads the transport-wide feedback; it has no use
     * up the shared audio chain */
    gst_pad_add_probe (last_pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, drop_feedback, NULL, NULL);
  }
  return ghost_pad (bin, chain[0], "audio_sink");
}

/* The bin's video branch, the sender's: the layer selector, or queue →
 * encoder when encoding per peer; then the peer's own payloader. */
static void
build_video_send_branch (LatticeMediaEngine *self, PeerLink *link, GstPad **full_pad, GstPad **low_pad)
{
  GstBin *bin = lattice_peer_connection_get_bin (link->peer);
  g_autoptr(GstCaps) caps = gst_caps_from_string (VIDEO_RTP_CAPS);
  g_autoptr(GstPad) webrtc_pad = lattice_peer_connection_request_send_pad (link->peer, caps);
  guint nominal = lattice_video_encoders_nominal_bitrate (self->width, self->height, self->framerate);

  link->sender = lattice_peer_sender_new (lattice_peer_connection_get_id (link->peer), nominal);
  *low_pad = NULL;
  if (self->encode_per_peer)
    *full_pad = lattice_peer_sender_build_per_peer (link->sender, bin, webrtc_pad,
                                                    lattice_video_encoder_make (NULL, self->width, self->height,
                                                                                self->framerate, nominal, FALSE));
  else
    lattice_peer_sender_build (link->sender, bin, webrtc_pad, self->video.low_tee != NULL, full_pad, low_pad);
}

static GstPad *
link_tee (GstElement *tee, GstPad *ghost)
{
  GstPad *tee_pad = gst_element_request_pad_simple (tee, "src_%u");

  if (gst_pad_link (tee_pad, ghost) != GST_PAD_LINK_OK)
    g_critical ("Could not link %s to a peer", GST_PAD_NAME (tee_pad));
  return tee_pad;
}

static PeerLink *
find_link (LatticeMediaEngine *self, LatticePeerConnection *peer)
{
  PeerLink *link = g_hash_table_lookup (self->peers, lattice_peer_connection_get_id (peer));

  return link != NULL && link->peer == peer ? link : NULL;
}

static void
on_peer_state (LatticePeerConnection *peer, GParamSpec *pspec, gpointer user_data)
{
  PeerLink *link = find_link (LATTICE_MEDIA_ENGINE (user_data), peer);

  /* A new peer needs a keyframe now, not at the next periodic one. */
  if (link != NULL && link->sender != NULL &&
      lattice_peer_connection_get_state (peer) == LATTICE_PEER_CONNECTION_STATE_CONNECTED)
    {
      g_debug ("Forcing a keyframe for peer %s", lattice_peer_connection_get_id (peer));
      lattice_peer_sender_request_keyframe (link->sender);
    }
}

static LatticePeerConnection *
create_peer (LatticeMediaEngine *self, const char *peer_id, gboolean offerer)
{
  LatticePeerConnectionConfig config = {
    .latency_ms = self->latency,
    .connect_timeout_ms = self->connect_timeout,
    .stun_server = self->stun_server,
    .turn_servers = (const char *const *) self->turn_servers,
    .relay_only = self->relay_only,
    .echo_probe = self->echo_probe,
    .create_sink = create_sink,
    .sink_data = self,
    .read_stamps = self->stamp_time,
  };

  return lattice_peer_connection_new (peer_id, offerer, self->context, &config);
}

/* Removing a peer, without stalling the others. */

/* Stops and takes the peer's bin out of the pipeline (main context). */
static void
remove_bin (LatticeMediaEngine *self, PeerLink *link)
{
  GstElement *bin = GST_ELEMENT (lattice_peer_connection_get_bin (link->peer));

  GstElement *tees[N_TEES] = { self->video.tee, self->video.low_tee, self->audio.tee };

  /* The engine may have been stopped since the removal began. */
  for (guint i = 0; i < N_TEES; i++)
    if (link->tee_pads[i] != NULL && tees[i] != NULL)
      gst_element_release_request_pad (tees[i], link->tee_pads[i]);
  /* Off the streaming threads: webrtcbin's shutdown joins its own threads. */
  gst_element_set_state (bin, GST_STATE_NULL);
  /* The echo probe goes back to the engine for the next peer. */
  if (self->echo_probe != NULL && GST_OBJECT_PARENT (self->echo_probe) == GST_OBJECT (bin))
    gst_bin_remove (GST_BIN (bin), self->echo_probe);
  if (GST_OBJECT_PARENT (bin) == GST_OBJECT (self->pipeline))
    gst_bin_remove (GST_BIN (self->pipeline), bin);
}

/* A departed peer's decoders, jitterbuffers and webrtcbin threads free
 * megabytes in whichever of glibc's per-thread arenas they came from. Free
 * chunks under live ones stay resident, and the next peer's threads often
 * allocate from other arenas, so without this RSS climbs by megabytes over the
 * first few dozen joins and leaves (docs/BENCHMARKS.md, "Memory over time").
 * malloc_trim() gives the free pages of every arena back: under a millisecond
 * typically, once per departure (a burst of them shares one). */
static gboolean
trim_heap_cb (gpointer data)
{
  LatticeMediaEngine *self = data;

#ifdef __GLIBC__
  malloc_trim (0);
#endif
  g_clear_pointer (&self->trim_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
schedule_heap_trim (LatticeMediaEngine *self)
{
  if (self->trim_source != NULL)
    return;
  /* Low priority: after the removal's own callbacks drop the last references. */
  self->trim_source = g_idle_source_new ();
  g_source_set_priority (self->trim_source, G_PRIORITY_LOW);
  g_source_set_callback (self->trim_source, trim_heap_cb, self, NULL);
  g_source_set_static_name (self->trim_source, "[lattice] heap trim");
  g_source_attach (self->trim_source, self->context);
}

static gboolean
finish_removal_cb (gpointer data)
{
  PeerLink *link = data;
  LatticeMediaEngine *self = link->engine;

  remove_bin (self, link);
  g_signal_emit (self, signals[SIGNAL_PEER_REMOVED], 0, link->peer);
  schedule_heap_trim (self);
  return G_SOURCE_REMOVE;
}

static GstPadProbeReturn
unlink_when_idle (GstPad *tee_pad, GstPadProbeInfo *info, gpointer user_data)
{
  PeerLink *link = user_data;
  g_autoptr(GstPad) peer_pad = gst_pad_get_peer (tee_pad);

  /* No buffer is in flight on this pad now; the tee skips unlinked pads. */
  if (peer_pad != NULL)
    gst_pad_unlink (tee_pad, peer_pad);
  if (g_atomic_int_dec_and_test (&link->pending))
    lattice_media_invoke (link->engine->context, finish_removal_cb, link, peer_link_free);
  return GST_PAD_PROBE_REMOVE;
}

static void
start_removal (LatticeMediaEngine *self, PeerLink *link)
{
  GstPad **pads = link->tee_pads;

  link->engine = g_object_ref (self);
  lattice_peer_connection_close (link->peer);
  g_atomic_int_set (&link->pending, 1);
  for (guint i = 0; i < N_TEES; i++)
    if (pads[i] != NULL)
      {
        g_atomic_int_inc (&link->pending);
        gst_pad_add_probe (pads[i], GST_PAD_PROBE_TYPE_IDLE, unlink_when_idle, link, NULL);
      }
  /* Drop the extra count taken above so the last pad finishes the removal. */
  if (g_atomic_int_dec_and_test (&link->pending))
    lattice_media_invoke (self->context, finish_removal_cb, link, peer_link_free);
}

/* Removes every peer at once, with the pipeline already stopped. */
static void
drop_all_peers (LatticeMediaEngine *self, gboolean notify)
{
  g_autoptr(GList) links = g_hash_table_get_values (self->peers);

  /* Frees the keys only: the links are freed below. */
  g_hash_table_remove_all (self->peers);
  for (GList *l = links; l != NULL; l = l->next)
    {
      PeerLink *link = l->data;

      lattice_peer_connection_close (link->peer);
      remove_bin (self, link);
      if (notify)
        g_signal_emit (self, signals[SIGNAL_PEER_REMOVED], 0, link->peer);
      peer_link_free (link);
    }
}

/* Bus. */

static LatticePeerConnection *
find_peer_of (LatticeMediaEngine *self, GstObject *object)
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
  LatticePeerConnection *peer = find_peer_of (self, GST_MESSAGE_SRC (message));

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
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
}

static void
handle_element (LatticeMediaEngine *self, GstMessage *message)
{
  const GstStructure *s = gst_message_get_structure (message);
  LatticePeerConnection *peer;

  if (s == NULL || !gst_structure_has_name (s, "level"))
    return;
  peer = find_peer_of (self, GST_MESSAGE_SRC (message));
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

static void
update_device (LatticeMediaEngine *self, gboolean video)
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
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
      return;
    }
  swap_source (self, stream, source);
}

/* Adapting to each peer's link. */

/* Every tick each connected peer's sender says what its estimate leaves
 * for video (its budget); the engine then sets the encoders' bitrates and
 * lets each sender pick its layer.
 *
 * The encoders follow what the peers need: each layer runs at what its
 * fastest receiver's budget allows, up to its nominal rate, so one slow
 * peer never lowers what the others receive (lattice-peer-sender.c moves
 * that peer to a smaller layer instead).
 *
 * Except when every peer is short of the full layer: then the bottleneck
 * is most likely this end's own uplink, which all the connections share
 * without knowing it. Each estimate alone would let one connection take
 * the uplink and starve the others (seen: 160 against 30 kbit/s), so the
 * budgets are pooled: every peer gets their mean, the same layer at the
 * same rate, and each estimate stays within its share. */
typedef struct {
  PeerLink *link;
  guint     budget;
} Budget;

/* TRUE when the budgets were pooled. */
static gboolean
share_shortage (GArray *budgets, guint full_nominal)
{
  guint64 total = 0;
  guint n_short = 0;

  for (guint i = 0; i < budgets->len; i++)
    {
      Budget *b = &g_array_index (budgets, Budget, i);

      total += b->budget;
      n_short += b->budget < full_nominal;
    }
  if (budgets->len < 2 || n_short < budgets->len)
    return FALSE;
  for (guint i = 0; i < budgets->len; i++)
    g_array_index (budgets, Budget, i).budget = (guint) (total / budgets->len);
  return TRUE;
}

static void
update_encoder_rates (LatticeMediaEngine *self, GArray *budgets)
{
  guint full_min, low_min, low_nominal;
  guint best_full = 0, best_low = 0;

  if (self->encoders == NULL)
    return;
  lattice_video_encoders_get_bounds (self->encoders, &full_min, &low_min, &low_nominal);
  for (guint i = 0; i < budgets->len; i++)
    {
      Budget *b = &g_array_index (budgets, Budget, i);

      best_full = MAX (best_full, b->budget);
      if (!lattice_video_layer_is_full (lattice_peer_sender_get_layer (b->link->sender)))
        best_low = MAX (best_low, b->budget);
    }
  /* With nobody connected, the encoders wait at their nominal rates. */
  if (budgets->len == 0)
    best_full = best_low = G_MAXUINT;
  if (best_low == 0)
    best_low = low_nominal;
  lattice_video_encoders_set_rates (self->encoders, best_full, best_low);
}

static void
adapt_to_links (LatticeMediaEngine *self, gint64 now_us)
{
  g_autoptr(GArray) budgets = g_array_new (FALSE, FALSE, sizeof (Budget));
  LatticeEncoderRates rates = { 0, 0, 0 };
  GHashTableIter iter;
  gboolean shared = FALSE;
  PeerLink *link;

  if (self->encoders != NULL)
    lattice_video_encoders_get_rates (self->encoders, &rates);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &link))
    {
      LatticePeerConnectionStats stats;
      Budget b = { link, 0 };

      /* nothing to decide on before feedback can come */
      if (link->sender == NULL ||
          lattice_peer_connection_get_state (link->peer) != LATTICE_PEER_CONNECTION_STATE_CONNECTED)
        continue;
      lattice_peer_connection_get_stats (link->peer, &stats);
      if (stats.video_reports > 0)
        lattice_peer_sender_on_receiver_report (link->sender, stats.video_loss_sent, stats.rtt_us);
      b.budget = lattice_peer_sender_update (link->sender, now_us);
      g_array_append_val (budgets, b);
    }
  if (self->encoders != NULL)
    shared = share_shortage (budgets, rates.full_nominal_bps);
  update_encoder_rates (self, budgets);
  if (self->encoders != NULL)
    lattice_video_encoders_get_rates (self->encoders, &rates);
  for (guint i = 0; i < budgets->len; i++)
    {
      Budget *b = &g_array_index (budgets, Budget, i);

      lattice_peer_sender_decide (b->link->sender, now_us, &rates, b->budget, shared);
    }
}

/* Opus's in-band FEC costs bits in proportion to the loss it is told to
 * expect: the worst a peer reported, since one encoder serves them all. */
static void
update_opus_loss (LatticeMediaEngine *self)
{
  GHashTableIter iter;
  PeerLink *link;
  double worst = 0;
  guint percent;

  if (self->audio.encoder == NULL)
    return;
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &link))
    {
      LatticePeerConnectionStats stats;

      lattice_peer_connection_get_stats (link->peer, &stats);
      worst = MAX (worst, stats.audio_loss_sent);
    }
  percent = CLAMP ((guint) (worst * 100 + 0.5), OPUS_MIN_LOSS_PERCENT, OPUS_MAX_LOSS_PERCENT);
  if (percent == self->opus_loss_percent)
    return;
  self->opus_loss_percent = percent;
  g_object_set (self->audio.encoder, "packet-loss-percentage", (int) percent, NULL);
}

static gboolean
tick_cb (gpointer data)
{
  LatticeMediaEngine *self = data;
  gboolean stats_due = ++self->ticks % STATS_TICKS == 0;
  GHashTableIter iter;
  PeerLink *link;

  if (stats_due)
    {
      g_hash_table_iter_init (&iter, self->peers);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &link))
        lattice_peer_connection_query_stats (link->peer);
    }
  adapt_to_links (self, g_get_monotonic_time ());
  if (stats_due)
    update_opus_loss (self);
  return G_SOURCE_CONTINUE;
}

static void
start_ticking (LatticeMediaEngine *self)
{
  self->tick_source = g_timeout_source_new (LATTICE_PEER_SENDER_TICK_MS);
  g_source_set_callback (self->tick_source, tick_cb, self, NULL);
  g_source_set_static_name (self->tick_source, "[lattice] media tick");
  g_source_attach (self->tick_source, self->context);
}

static void
stop_ticking (LatticeMediaEngine *self)
{
  if (self->tick_source == NULL)
    return;
  g_source_destroy (self->tick_source);
  g_clear_pointer (&self->tick_source, g_source_unref);
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
  update_device (self, prop_id == PROP_VIDEO_DEVICE);
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
      drop_all_peers (self, FALSE);
    }
  stop_ticking (self);
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

  signals[SIGNAL_CREATE_VIDEO_SINK] =
    g_signal_new ("create-video-sink", type, G_SIGNAL_RUN_LAST, 0,
                  g_signal_accumulator_first_wins, NULL, NULL,
                  GST_TYPE_ELEMENT, 1, G_TYPE_STRING);
  signals[SIGNAL_CREATE_AUDIO_SINK] =
    g_signal_new ("create-audio-sink", type, G_SIGNAL_RUN_LAST, 0,
                  g_signal_accumulator_first_wins, NULL, NULL,
                  GST_TYPE_ELEMENT, 1, G_TYPE_STRING);
  signals[SIGNAL_PEER_ADDED] =
    g_signal_new ("peer-added", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, LATTICE_TYPE_PEER_CONNECTION);
  signals[SIGNAL_PEER_REMOVED] =
    g_signal_new ("peer-removed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, LATTICE_TYPE_PEER_CONNECTION);
  signals[SIGNAL_ERROR] =
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
      (use_echo_cancel (self) &&
       !lattice_media_check_echo_plugins (error)))
    return FALSE;
  lattice_media_prepare ();
  self->key_asked = TRUE;
  if ((self->video_source != LATTICE_MEDIA_SOURCE_NONE && !build_video (self, error)) ||
      (self->audio_source != LATTICE_MEDIA_SOURCE_NONE && !build_audio (self, error)))
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
  start_ticking (self);
  return TRUE;
}

void
lattice_media_engine_stop (LatticeMediaEngine *self)
{
  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));

  if (!self->running)
    return;
  gst_element_set_state (GST_ELEMENT (self->pipeline), GST_STATE_NULL);
  drop_all_peers (self, TRUE);
  clear_pipeline (self);
  self->running = FALSE;
  stop_ticking (self);
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

/* Builds the peer's send branches; the ghost pads to feed from the tees in
 * @ghosts. With nothing of a kind to send, it still receives that kind. */
static void
build_send_branches (LatticeMediaEngine *self, PeerLink *link, GstPad **ghosts)
{
  if (self->video.tee != NULL)
    build_video_send_branch (self, link, &ghosts[TEE_VIDEO], &ghosts[TEE_VIDEO_LOW]);
  else
    {
      g_autoptr(GstCaps) caps = gst_caps_from_string (VIDEO_RTP_CAPS);

      lattice_peer_connection_add_recv_only (link->peer, caps);
    }
  if (self->audio.tee != NULL)
    ghosts[TEE_AUDIO] = build_audio_send_branch (self, link->peer);
  else
    {
      g_autoptr(GstCaps) caps = gst_caps_from_string (AUDIO_RTP_CAPS);

      lattice_peer_connection_add_recv_only (link->peer, caps);
    }
}

LatticePeerConnection *
lattice_media_engine_add_peer (LatticeMediaEngine *self,
                               const char         *peer_id,
                               gboolean            offerer)
{
  GstElement *tees[N_TEES] = { self->video.tee, self->video.low_tee, self->audio.tee };
  GstPad *ghosts[N_TEES] = { NULL, NULL, NULL };
  PeerLink *link;
  GstElement *bin;

  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), NULL);
  g_return_val_if_fail (peer_id != NULL, NULL);
  g_return_val_if_fail (self->running, NULL);
  g_return_val_if_fail (!g_hash_table_contains (self->peers, peer_id), NULL);

  link = g_new0 (PeerLink, 1);
  link->peer = create_peer (self, peer_id, offerer);
  bin = GST_ELEMENT (lattice_peer_connection_get_bin (link->peer));
  build_send_branches (self, link, ghosts);

  /* Playing before linked: a tee must never push into a flushing branch. */
  gst_bin_add (GST_BIN (self->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  for (guint i = 0; i < N_TEES; i++)
    if (ghosts[i] != NULL)
      link->tee_pads[i] = link_tee (tees[i], ghosts[i]);

  g_hash_table_insert (self->peers, g_strdup (peer_id), link);
  g_signal_connect_object (link->peer, "notify::state", G_CALLBACK (on_peer_state), self, 0);
  lattice_peer_connection_start (link->peer);
  g_signal_emit (self, signals[SIGNAL_PEER_ADDED], 0, link->peer);
  return link->peer;
}

void
lattice_media_engine_remove_peer (LatticeMediaEngine *self,
                                  const char         *peer_id)
{
  PeerLink *link;
  g_autofree char *key = NULL;

  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));
  g_return_if_fail (peer_id != NULL);

  if (!g_hash_table_steal_extended (self->peers, peer_id, (gpointer *) &key, (gpointer *) &link))
    return;
  start_removal (self, link);
}

LatticePeerConnection *
lattice_media_engine_lookup_peer (LatticeMediaEngine *self,
                                  const char         *peer_id)
{
  PeerLink *link;

  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), NULL);
  g_return_val_if_fail (peer_id != NULL, NULL);

  link = g_hash_table_lookup (self->peers, peer_id);
  return link ? link->peer : NULL;
}

GList *
lattice_media_engine_get_peers (LatticeMediaEngine *self)
{
  GList *peers = NULL;
  GHashTableIter iter;
  PeerLink *link;

  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), NULL);

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &link))
    peers = g_list_prepend (peers, link->peer);
  return peers;
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

static void
request_keyframe_all (LatticeMediaEngine *self)
{
  GHashTableIter iter;
  PeerLink *link;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &link))
    if (link->sender != NULL)
      lattice_peer_sender_request_keyframe (link->sender);
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
    request_keyframe_all (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_ENABLED]);
}

gboolean
lattice_media_engine_get_video_enabled (LatticeMediaEngine *self)
{
  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), FALSE);
  return self->video_enabled;
}

gboolean
lattice_media_engine_get_sender_stats (LatticeMediaEngine     *self,
                                       const char             *peer_id,
                                       LatticePeerSenderStats *stats)
{
  PeerLink *link;

  g_return_val_if_fail (LATTICE_IS_MEDIA_ENGINE (self), FALSE);
  g_return_val_if_fail (peer_id != NULL && stats != NULL, FALSE);

  link = g_hash_table_lookup (self->peers, peer_id);
  if (link == NULL || link->sender == NULL)
    return FALSE;
  lattice_peer_sender_get_stats (link->sender, stats);
  return TRUE;
}

void
lattice_media_engine_set_peer_max_layer (LatticeMediaEngine *self,
                                         const char         *peer_id,
                                         LatticeVideoLayer   layer)
{
  PeerLink *link;

  g_return_if_fail (LATTICE_IS_MEDIA_ENGINE (self));
  g_return_if_fail (peer_id != NULL);

  link = g_hash_table_lookup (self->peers, peer_id);
  if (link != NULL && link->sender != NULL)
    lattice_peer_sender_set_max_layer (link->sender, layer);
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
