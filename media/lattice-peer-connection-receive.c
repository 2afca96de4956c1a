/* lattice-peer-connection-receive.c: decoding what the other end sends, and its speaking
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#include "lattice-media-private.h"
#include "lattice-peer-connection-private.h"
#include "lattice-stamp.h"
#include "lattice-vp8-guard.h"

/* "speaking": above the threshold for SPEAKING_ON intervals of the level
 * element (100 ms each) turns it on, below for SPEAKING_OFF turns it off. */
#define SPEAKING_THRESHOLD_DB  (-45.0)
#define SPEAKING_ON            2
#define SPEAKING_OFF           5
#define LEVEL_INTERVAL         (100 * GST_MSECOND)
#define MAX_LATENCY_SAMPLES  100000

/* Receiving: counting probes on the decode chains (streaming threads). */

static gboolean
emit_first_frame_cb (gpointer data)
{
  LatticePeerCall *call = data;

  if (!call->peer->closed && !call->peer->fingerprint_mismatch)
    lattice_peer_connection_emit_first_frame (call->peer, call->text);
  return G_SOURCE_REMOVE;
}

static gsize
probe_info_size (GstPadProbeInfo *info)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    return gst_buffer_list_calculate_size (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  return gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
}

static GstPadProbeReturn
count_video_bytes (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LatticePeerConnection *self = user_data;
  gsize size = probe_info_size (info);

  g_mutex_lock (&self->stats_lock);
  self->stats.video_bytes += size;
  g_mutex_unlock (&self->stats_lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_audio_bytes (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LatticePeerConnection *self = user_data;
  gsize size = probe_info_size (info);

  g_mutex_lock (&self->stats_lock);
  self->stats.audio_bytes += size;
  g_mutex_unlock (&self->stats_lock);
  return GST_PAD_PROBE_OK;
}

static void
defer_first_frame (LatticePeerConnection *self, const char *kind)
{
  LatticePeerCall *call = lattice_peer_call_new (self);

  call->text = g_strdup (kind);
  lattice_peer_call_defer (self, emit_first_frame_cb, call);
}

static GstPadProbeReturn
count_video_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LatticePeerConnection *self = user_data;
  gboolean first;

  g_mutex_lock (&self->stats_lock);
  self->video_times[self->stats.video_frames % RATE_TIMES] = g_get_monotonic_time ();
  self->stats.video_frames++;
  first = !self->first_video;
  self->first_video = TRUE;
  g_mutex_unlock (&self->stats_lock);
  if (first)
    defer_first_frame (self, "video");
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_audio_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LatticePeerConnection *self = user_data;
  gboolean first;

  g_mutex_lock (&self->stats_lock);
  self->audio_times[self->stats.audio_buffers % RATE_TIMES] = g_get_monotonic_time ();
  self->stats.audio_buffers++;
  first = !self->first_audio;
  self->first_audio = TRUE;
  g_mutex_unlock (&self->stats_lock);
  if (first)
    defer_first_frame (self, "audio");
  return GST_PAD_PROBE_OK;
}

/* Glass-to-glass: the sender drew its monotonic clock into the frame before
 * encoding (lattice-stamp.h); on one machine both ends share that clock. */
static GstPadProbeReturn
read_stamp (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LatticePeerConnection *self = user_data;
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps (pad);
  GstVideoInfo video_info;
  guint64 stamp;
  double ms;

  if (caps == NULL || !gst_video_info_from_caps (&video_info, caps) ||
      !lattice_stamp_read_buffer (GST_PAD_PROBE_INFO_BUFFER (info), &video_info, &stamp))
    return GST_PAD_PROBE_OK;
  ms = (g_get_monotonic_time () - (gint64) stamp) / 1000.0;
  g_mutex_lock (&self->stats_lock);
  self->stats.stamped_frames++;
  /* bounded, should nobody take them */
  if (self->latency_samples->len < MAX_LATENCY_SAMPLES)
    g_array_append_val (self->latency_samples, ms);
  g_mutex_unlock (&self->stats_lock);
  return GST_PAD_PROBE_OK;
}

/* The decoded size, for statistics (what layer of the sender's arrives). */
static GstPadProbeReturn
note_video_size (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LatticePeerConnection *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstVideoInfo video_info;
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  if (!gst_video_info_from_caps (&video_info, caps))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&self->stats_lock);
  self->stats.video_width = GST_VIDEO_INFO_WIDTH (&video_info);
  self->stats.video_height = GST_VIDEO_INFO_HEIGHT (&video_info);
  g_mutex_unlock (&self->stats_lock);
  return GST_PAD_PROBE_OK;
}

/* Builds @factories in the bin, linked in order, and returns the first one. */
static GstElement *
add_chain (LatticePeerConnection *self, const char *const *factories, GstElement **elements)
{
  for (guint i = 0; factories[i] != NULL; i++)
    {
      elements[i] = lattice_media_make_element (factories[i], NULL);
      gst_bin_add (self->bin, elements[i]);
      if (i > 0)
        gst_element_link (elements[i - 1], elements[i]);
    }
  return elements[0];
}

static GstElement *
make_sink (LatticePeerConnection *self, const char *kind)
{
  GstElement *sink = NULL;

  if (self->create_sink != NULL)
    sink = self->create_sink (self, kind, self->sink_data);
  if (sink == NULL)
    {
      /* Headless: count and drop, as fast as frames come. */
      sink = lattice_media_make_element ("fakesink", NULL);
      g_object_set (sink, "sync", FALSE, NULL);
    }
  /* A sink added to a playing pipeline must not wait for preroll. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (sink), "async") != NULL)
    g_object_set (sink, "async", FALSE, NULL);
  return sink;
}

/* The guard lets through only frames that decode intact: after a lost
 * reference frame nothing is shown (and a keyframe is asked for) rather
 * than pictures decoded from a broken reference; rtpvp8depay's own
 * keyframe options stay off, see lattice-vp8-guard.h. */
static GstElement *
build_video_chain (LatticePeerConnection *self)
{
  static const char *const factories[] = { "rtpvp8depay", "vp8dec", "videoconvert", NULL };
  GstElement *elements[G_N_ELEMENTS (factories)] = { NULL };
  GstElement *sink = make_sink (self, "video");
  GstElement *guard = lattice_vp8_guard_new (NULL);

  add_chain (self, factories, elements);
  gst_bin_add (self->bin, sink);
  gst_element_link (elements[2], sink);
  gst_bin_add (self->bin, guard);
  gst_element_link (guard, elements[0]);
  g_set_object (&self->video_guard, guard);
  lattice_media_add_probe (guard, "sink", GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                           count_video_bytes, self);
  lattice_media_add_probe (elements[1], "src", GST_PAD_PROBE_TYPE_BUFFER, count_video_frame, self);
  lattice_media_add_probe (elements[1], "src", GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, note_video_size, self);
  if (self->read_stamps)
    lattice_media_add_probe (elements[1], "src", GST_PAD_PROBE_TYPE_BUFFER, read_stamp, self);
  return guard;
}

static GstElement *
build_audio_chain (LatticePeerConnection *self)
{
  static const char *const factories[] = { "rtpopusdepay", "opusdec", "level",
                                           "audioconvert", "audioresample", NULL };
  GstElement *elements[G_N_ELEMENTS (factories)] = { NULL };
  GstElement *last, *sink = make_sink (self, "audio");

  add_chain (self, factories, elements);
  /* A lost packet is rebuilt from the next one's in-band FEC when it has
   * some (the sender adds it at the loss we report), else concealed; the
   * jitterbuffer tells the decoder of the gap (webrtcbin sets do-lost). */
  g_object_set (elements[1], "use-inband-fec", TRUE, "plc", TRUE, NULL);
  g_object_set (elements[2], "post-messages", TRUE, "interval", LEVEL_INTERVAL, NULL);
  last = elements[4];
  if (self->echo_probe != NULL && GST_OBJECT_PARENT (self->echo_probe) == NULL)
    {
      /* The microphone's echo canceller listens to what we play here; it
       * has one probe, which the first peer to play audio takes. */
      gst_bin_add (self->bin, self->echo_probe);
      gst_element_link (last, self->echo_probe);
      last = self->echo_probe;
    }
  gst_bin_add (self->bin, sink);
  gst_element_link (last, sink);
  lattice_media_add_probe (elements[0], "sink", GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                           count_audio_bytes, self);
  lattice_media_add_probe (elements[1], "src", GST_PAD_PROBE_TYPE_BUFFER, count_audio_buffer, self);
  return elements[0];
}

static void
sync_children (GstBin *bin)
{
  g_autoptr(GstIterator) it = gst_bin_iterate_elements (bin);
  GValue item = G_VALUE_INIT;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      gst_element_sync_state_with_parent (g_value_get_object (&item));
      g_value_reset (&item);
    }
  g_value_unset (&item);
}

static const char *
pad_media_kind (GstPad *pad)
{
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps (pad);
  const char *media;

  if (caps == NULL || gst_caps_get_size (caps) == 0)
    return NULL;
  media = gst_structure_get_string (gst_caps_get_structure (caps, 0), "media");
  if (g_strcmp0 (media, "video") == 0)
    return "video";
  if (g_strcmp0 (media, "audio") == 0)
    return "audio";
  return NULL;
}

static GstElement *
build_discard (LatticePeerConnection *self)
{
  GstElement *sink = lattice_media_make_element ("fakesink", NULL);

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (self->bin, sink);
  return sink;
}

/* On the main context, with the new webrtcbin pad blocked. */
static gboolean
link_decoder_cb (gpointer data)
{
  LatticePeerCall *call = data;
  LatticePeerConnection *self = call->peer;
  const char *kind = pad_media_kind (call->pad);
  GstElement *first = NULL;
  g_autoptr(GstPad) sinkpad = NULL;

  if (self->closed)
    {
      gst_pad_remove_probe (call->pad, call->probe);
      return G_SOURCE_REMOVE;
    }
  /* media under a certificate nobody announced is not played */
  if (self->fingerprint_mismatch)
    first = build_discard (self);
  else if (g_strcmp0 (kind, "video") == 0)
    first = build_video_chain (self);
  else if (g_strcmp0 (kind, "audio") == 0)
    first = build_audio_chain (self);
  else
    first = build_discard (self);  /* an unlinked pad would stop the transport */

  sinkpad = gst_element_get_static_pad (first, "sink");
  if (gst_pad_link (call->pad, sinkpad) != GST_PAD_LINK_OK)
    g_debug ("Peer %s: could not link the %s decoder", self->id, kind);
  sync_children (self->bin);
  gst_pad_remove_probe (call->pad, call->probe);
  return G_SOURCE_REMOVE;
}

/* The first buffer of a new stream, with its caps known: hold it there
 * until the main context has built and linked the decoder. */
static GstPadProbeReturn
hold_first_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LatticePeerConnection *self = user_data;
  LatticePeerCall *call = lattice_peer_call_new (self);

  call->pad = gst_object_ref (pad);
  call->probe = GST_PAD_PROBE_INFO_ID (info);
  lattice_peer_call_defer (self, link_decoder_cb, call);
  return GST_PAD_PROBE_OK;
}

void
lattice_peer_connection_on_pad_added (GstElement *webrtc, GstPad *pad, gpointer user_data)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  /* Sticky events (caps) pass and stay on the pad; data waits for a sink,
   * which the caller creates on the main context. */
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER |
                     GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     hold_first_buffer, g_object_ref (user_data), g_object_unref);
}

/* Speaking. */

static double
level_peak (const GstStructure *level)
{
  const GValue *value = gst_structure_get_value (level, "peak");
  double peak = SILENCE_DB;
  GValueArray *array;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (value == NULL || !G_VALUE_HOLDS_BOXED (value))
    return peak;
  array = g_value_get_boxed (value);
  for (guint i = 0; i < array->n_values; i++)
    peak = MAX (peak, g_value_get_double (g_value_array_get_nth (array, i)));
  G_GNUC_END_IGNORE_DEPRECATIONS
  return peak;
}

static void
update_speaking (LatticePeerConnection *self, double level)
{
  gboolean above = level > SPEAKING_THRESHOLD_DB;

  if (above == self->speaking)
    {
      self->level_run = 0;
      return;
    }
  self->level_run++;
  if (self->level_run < (above ? SPEAKING_ON : SPEAKING_OFF))
    return;
  self->level_run = 0;
  lattice_peer_connection_set_speaking (self, above);
}

/* With DTX a silent peer sends almost nothing, and the level element gets
 * nothing to measure: no audio for this long is silence. */
#define AUDIO_GAP_US (500 * G_TIME_SPAN_MILLISECOND)

void
lattice_peer_connection_check_audio_gap (LatticePeerConnection *self,
                                         gint64                 now_us)
{
  gint64 last = 0;

  g_mutex_lock (&self->stats_lock);
  if (self->stats.audio_buffers > 0)
    last = self->audio_times[(self->stats.audio_buffers - 1) % RATE_TIMES];
  g_mutex_unlock (&self->stats_lock);
  if (last == 0 || now_us - last < AUDIO_GAP_US || self->closed)
    return;
  self->level_run = 0;
  lattice_peer_connection_set_audio_level (self, SILENCE_DB);
  lattice_peer_connection_set_speaking (self, FALSE);
}

void
lattice_peer_connection_handle_level (LatticePeerConnection *self, const GstStructure *level)
{
  double peak = level_peak (level);

  if (self->closed)
    return;
  lattice_peer_connection_set_audio_level (self, peak);
  update_speaking (self, peak);
}

GArray *
lattice_peer_connection_take_latency_samples (LatticePeerConnection *self)
{
  GArray *samples;

  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), NULL);

  g_mutex_lock (&self->stats_lock);
  samples = g_steal_pointer (&self->latency_samples);
  self->latency_samples = g_array_new (FALSE, FALSE, sizeof (double));
  g_mutex_unlock (&self->stats_lock);
  return samples;
}

/* Jitterbuffers. webrtcbin 1.22 gives every one its single "latency", and
 * sets "do-retransmission" by a transceiver lookup that goes wrong for a
 * bundled audio stream, which then asks for retransmissions nobody keeps.
 * Once the first packet shows what a jitterbuffer carries (its payload
 * type, through rtpbin's pt map), it is configured for that:
 *
 *   video  asks for what is missing, and waits for it long enough: a lost
 *          last packet of a frame shows only with the next frame (up to
 *          VIDEO_FRAME_WAIT_MS at 15 fps), then the request and the answer
 *          take a round trip. In-order packets never wait: the latency is
 *          only spent on a gap.
 *   audio  never asks: Opus's in-band FEC and concealment repair it at
 *          once, and a voice cannot wait a round trip. */
#define VIDEO_FRAME_WAIT_MS   70
#define VIDEO_RTX_MARGIN_MS   40
#define VIDEO_RTX_DELAY_MS    5
#define MAX_VIDEO_LATENCY_MS  400
#define MEDIA_KEY             "lattice-media"

/* How long a retransmission takes here: the round trip, or what the
 * jitterbuffer measured from its requests to the packets that answered
 * them (@rtx_rtt_ns, 0 before any), which also holds the time the request
 * waited for an RTCP packet to leave in (RFC 4585 spaces early feedback;
 * tens of ms on a fast link). */
static guint
video_latency_for (LatticePeerConnection *self, guint64 rtx_rtt_ns)
{
  guint64 round_trip_ms = MAX ((guint64) self->rtt_us / 1000, rtx_rtt_ns / GST_MSECOND);
  /* twice: a first request or its answer lost, the jitterbuffer asks again */
  guint latency = VIDEO_FRAME_WAIT_MS + (guint) MIN (round_trip_ms * 2, MAX_VIDEO_LATENCY_MS) +
                  VIDEO_RTX_MARGIN_MS;

  return CLAMP (latency, self->base_latency_ms, MAX_VIDEO_LATENCY_MS);
}

gboolean
lattice_peer_connection_jitterbuffer_is_video (GstElement *jitterbuffer)
{
  return g_strcmp0 (g_object_get_data (G_OBJECT (jitterbuffer), MEDIA_KEY), "video") == 0;
}

void
lattice_peer_connection_tune_jitterbuffer (LatticePeerConnection *self,
                                           GstElement            *jitterbuffer,
                                           const GstStructure    *stats)
{
  guint64 rtx_rtt = 0;
  guint wanted, latency = 0;

  gst_structure_get_uint64 (stats, "rtx-rtt", &rtx_rtt);
  wanted = video_latency_for (self, rtx_rtt);
  g_object_get (jitterbuffer, "latency", &latency, NULL);
  /* a change makes the pipeline compute its latency again: only for one
   * that matters */
  if (ABS ((int) wanted - (int) latency) * 5 < (int) latency && ABS ((int) wanted - (int) latency) < 20)
    return;
  g_debug ("Peer %s: video jitterbuffer latency %u -> %u ms", self->id, latency, wanted);
  g_object_set (jitterbuffer, "latency", wanted, NULL);
}

typedef struct {
  LatticePeerConnection *peer;   /* weak: the probe goes with the jitterbuffer */
  GstElement            *rtpbin; /* weak, likewise */
  GstElement            *jitterbuffer;
  guint                  session;
} JitterbufferProbe;

static GstBuffer *
first_buffer (GstPadProbeInfo *info)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    return gst_buffer_list_get (GST_PAD_PROBE_INFO_BUFFER_LIST (info), 0);
  return GST_PAD_PROBE_INFO_BUFFER (info);
}

static GstPadProbeReturn
configure_jitterbuffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  JitterbufferProbe *probe = user_data;
  GstBuffer *buffer = first_buffer (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  g_autoptr(GstCaps) caps = NULL;
  const char *media = NULL;
  guint pt;

  if (buffer == NULL || !gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  pt = gst_rtp_buffer_get_payload_type (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  /* webrtcbin answers from the negotiated descriptions */
  g_signal_emit_by_name (probe->rtpbin, "request-pt-map", probe->session, pt, &caps);
  if (caps != NULL && gst_caps_get_size (caps) > 0)
    media = gst_structure_get_string (gst_caps_get_structure (caps, 0), "media");
  if (g_strcmp0 (media, "video") == 0)
    {
      g_object_set_data (G_OBJECT (probe->jitterbuffer), MEDIA_KEY, (gpointer) "video");
      /* A frame leaves in one burst, so a gap is a loss, not reordering:
       * ask at once instead of the half frame interval rtpjitterbuffer
       * waits by default. And no guessing when the next packet is due:
       * the frame rate a peer receives changes with its layer (down to a
       * few frames a second, or none), and a packet "lost" for being late
       * by that guess is thrown away when it comes. */
      g_object_set (probe->jitterbuffer, "do-retransmission", TRUE, "rtx-delay", VIDEO_RTX_DELAY_MS,
                    "rtx-next-seqnum", FALSE, "latency", video_latency_for (probe->peer, 0), NULL);
    }
  else if (g_strcmp0 (media, "audio") == 0)
    {
      g_object_set_data (G_OBJECT (probe->jitterbuffer), MEDIA_KEY, (gpointer) "audio");
      g_object_set (probe->jitterbuffer, "do-retransmission", FALSE, NULL);
    }
  else
    return GST_PAD_PROBE_OK;  /* RTCP or an unknown type: the next packet tells */
  return GST_PAD_PROBE_REMOVE;
}

void
lattice_peer_connection_on_new_jitterbuffer (GstElement *rtpbin,
                                             GstElement *jitterbuffer,
                                             guint       session,
                                             guint       ssrc,
                                             gpointer    user_data)
{
  JitterbufferProbe *probe = g_new0 (JitterbufferProbe, 1);
  g_autoptr(GstPad) pad = gst_element_get_static_pad (jitterbuffer, "sink");

  probe->peer = user_data;
  probe->rtpbin = rtpbin;
  probe->jitterbuffer = jitterbuffer;
  probe->session = session;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     configure_jitterbuffer, probe, g_free);
}
