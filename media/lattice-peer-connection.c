/* lattice-peer-connection.c: the connection to one remote participant (one webrtcbin)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gio/gio.h>
#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#ifdef LATTICE_HAVE_NICE
#include <nice/agent.h>
#endif

#include "lattice-media.h"
#include "lattice-media-enums.h"
#include "lattice-media-private.h"
#include "lattice-peer-connection-private.h"
#include "lattice-stamp.h"

/* "speaking": above the threshold for SPEAKING_ON intervals of the level
 * element (100 ms each) turns it on, below for SPEAKING_OFF turns it off. */
#define SPEAKING_THRESHOLD_DB  (-45.0)
#define SPEAKING_ON            2
#define SPEAKING_OFF           5
#define LEVEL_INTERVAL         (100 * GST_MSECOND)
#define MAX_LATENCY_SAMPLES  100000
#define SILENCE_DB             (-200.0)
#define RATE_TIMES             128  /* enough for 120 frames or buffers a second */
/* A connected peer that hears nothing for this long is FAILED (see
 * "Silence" below; the messages say 5 s); RTCP alone arrives at least
 * every ~1.3 s. */
#define SILENCE_TIMEOUT_US     (5 * G_USEC_PER_SEC)
#define RTCP_INTERVAL          (1 * GST_SECOND)
/* ICE connected but no DTLS handshake after this long (5 s too): the
 * path broke on the way back, or only one end believes in it. */
#define HANDSHAKE_TIMEOUT_US   (5 * G_USEC_PER_SEC)

enum {
  PROP_0,
  PROP_ID,
  PROP_OFFERER,
  PROP_STATE,
  PROP_SPEAKING,
  PROP_AUDIO_LEVEL,
  PROP_LOCAL_FINGERPRINT,
  PROP_REMOTE_FINGERPRINT,
  N_PROPS
};

enum {
  SIGNAL_LOCAL_DESCRIPTION,
  SIGNAL_LOCAL_CANDIDATE,
  SIGNAL_FIRST_FRAME,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct {
  guint  mline;
  char  *candidate;
} Candidate;

struct _LatticePeerConnection {
  GObject           parent_instance;

  char             *id;
  gboolean          offerer;
  LatticePeerConnectionState  state;
  gboolean          speaking;
  double            audio_level;
  guint             level_run;      /* intervals on the other side of the threshold */

  GMainContext     *context;
  GstBin           *bin;
  GstElement       *webrtc;
  GstElement       *echo_probe;
  LatticePeerConnectionSinkFunc create_sink;
  gpointer          sink_data;

  gint              offer_started;  /* atomic */
  gboolean          remote_set;
  GArray           *pending_candidates;  /* Candidate, before the remote description */
  gboolean          closed;

  /* DTLS certificates in use, SHA-256 "AB:CD:…"; main context only. */
  GstWebRTCDTLSTransport *dtls;
  char             *local_fingerprint;
  char             *remote_fingerprint;
  GPtrArray        *announced_fingerprints;  /* sha-256 ones of the remote description */
  gboolean          fingerprint_mismatch;

  /* Written by pad probes on streaming threads. */
  GMutex            stats_lock;
  LatticePeerConnectionStats  stats;
  gint64            video_times[RATE_TIMES];  /* rings of the last decode times */
  gint64            audio_times[RATE_TIMES];
  gboolean          first_video;
  gboolean          first_audio;
  gboolean          read_stamps;
  GArray           *latency_samples;  /* double, ms; under stats_lock */
  gint64            last_received_us;  /* any packet from the other end */

  /* Silence detection and the selected candidate pair; main context only. */
  GSource          *silence_watch;
  GSource          *connect_watch;    /* until CONNECTED, FAILED or CLOSED */
  gint64            connected_us;     /* when it became CONNECTED */
  guint             connect_timeout_ms;
  gboolean          handshake_done;   /* webrtcbin said DTLS is connected too */
  char             *candidate_type;  /* of the selected local candidate, or NULL */
  gboolean          stats_pending;
};

G_DEFINE_FINAL_TYPE (LatticePeerConnection, lattice_peer_connection, G_TYPE_OBJECT)

/* Deferred work on the main context; each holds a reference on the peer. */
typedef struct {
  LatticePeerConnection *peer;
  guint        number;
  char        *text;
  char        *text2;
  GstPad      *pad;
  gulong       probe;
} PeerCall;

static PeerCall *
peer_call_new (LatticePeerConnection *self)
{
  PeerCall *call = g_new0 (PeerCall, 1);

  call->peer = g_object_ref (self);
  return call;
}

static void
peer_call_free (gpointer data)
{
  PeerCall *call = data;

  g_clear_object (&call->peer);
  g_clear_object (&call->pad);
  g_free (call->text);
  g_free (call->text2);
  g_free (call);
}

static void
peer_defer (LatticePeerConnection *self, GSourceFunc func, PeerCall *call)
{
  lattice_media_invoke (self->context, func, call, peer_call_free);
}

static void
candidate_clear (gpointer data)
{
  Candidate *c = data;

  g_free (c->candidate);
}

static void peer_watch_silence (LatticePeerConnection *self);
static void stop_connect_watch (LatticePeerConnection *self);

/* State, on the main context only. */
static void
peer_set_state (LatticePeerConnection *self, LatticePeerConnectionState state)
{
  if (self->state == state || self->state == LATTICE_PEER_CONNECTION_STATE_CLOSED)
    return;
  /* A failed connection does not come back without a new peer. */
  if (self->state == LATTICE_PEER_CONNECTION_STATE_FAILED && state != LATTICE_PEER_CONNECTION_STATE_CLOSED)
    return;
  g_debug ("Peer %s: state %d -> %d", self->id, self->state, state);
  self->state = state;
  if (state != LATTICE_PEER_CONNECTION_STATE_NEW && state != LATTICE_PEER_CONNECTION_STATE_CONNECTING)
    stop_connect_watch (self);
  peer_watch_silence (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* DTLS fingerprints (issue 7). webrtcbin 1.22 accepts whatever certificate
 * the other end presents, whatever the description announced; checking it
 * here is what makes a forged a=fingerprint fail the connection (RFC 8122). */

/* SHA-256 of the certificate's DER, as SDP writes it ("AB:CD:…"). */
static char *
fingerprint_of_pem (const char *pem)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) checksum = NULL;
  guint8 digest[32];
  gsize length = sizeof digest;
  GString *text;

  if (pem == NULL || *pem == '\0' ||
      (certificate = g_tls_certificate_new_from_pem (pem, -1, NULL)) == NULL)
    return NULL;
  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &length);
  text = g_string_sized_new (3 * length);
  for (gsize i = 0; i < length; i++)
    g_string_append_printf (text, "%s%02X", i > 0 ? ":" : "", digest[i]);
  return g_string_free (text, FALSE);
}

static void
remember_fingerprint (LatticePeerConnection *self, const char *value)
{
  g_auto(GStrv) parts = value != NULL ? g_strsplit (value, " ", 2) : NULL;

  if (parts != NULL && parts[0] != NULL && parts[1] != NULL &&
      g_ascii_strcasecmp (parts[0], "sha-256") == 0)
    g_ptr_array_add (self->announced_fingerprints, g_strdup (g_strstrip (parts[1])));
}

/* What the remote description says the other end's certificate is. */
static void
remember_announced_fingerprints (LatticePeerConnection *self, const GstSDPMessage *sdp)
{
  for (guint i = 0; i < gst_sdp_message_attributes_len (sdp); i++)
    {
      const GstSDPAttribute *attr = gst_sdp_message_get_attribute (sdp, i);

      if (g_strcmp0 (attr->key, "fingerprint") == 0)
        remember_fingerprint (self, attr->value);
    }
  for (guint m = 0; m < gst_sdp_message_medias_len (sdp); m++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, m);

      for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
        {
          const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);

          if (g_strcmp0 (attr->key, "fingerprint") == 0)
            remember_fingerprint (self, attr->value);
        }
    }
}

static gboolean
fingerprint_was_announced (LatticePeerConnection *self, const char *fingerprint)
{
  /* every one of them: bundled m-lines share one transport */
  for (guint i = 0; i < self->announced_fingerprints->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (self->announced_fingerprints, i), fingerprint) != 0)
      return FALSE;
  return self->announced_fingerprints->len > 0;
}

/* On the main context, once the DTLS handshake is done. */
static void
peer_read_fingerprints (LatticePeerConnection *self)
{
  g_autofree char *local_pem = NULL;
  g_autofree char *remote_pem = NULL;
  g_autofree char *local = NULL;
  g_autofree char *remote = NULL;
  GstWebRTCDTLSTransportState state;

  if (self->closed || self->dtls == NULL || self->remote_fingerprint != NULL ||
      self->fingerprint_mismatch)
    return;
  g_object_get (self->dtls, "state", &state, "certificate", &local_pem,
                "remote-certificate", &remote_pem, NULL);
  if (state != GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED)
    return;
  local = fingerprint_of_pem (local_pem);
  remote = fingerprint_of_pem (remote_pem);
  if (local == NULL || remote == NULL)
    {
      g_debug ("Peer %s: DTLS certificates unreadable; the connection stays unverified", self->id);
      return;
    }
  if (!fingerprint_was_announced (self, remote))
    {
      /* someone between the two ends rewrote the description */
      g_info ("Peer %s: the DTLS certificate is not the one its description announced", self->id);
      self->fingerprint_mismatch = TRUE;
      peer_set_state (self, LATTICE_PEER_CONNECTION_STATE_FAILED);
      return;
    }
  self->local_fingerprint = g_steal_pointer (&local);
  self->remote_fingerprint = g_steal_pointer (&remote);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_FINGERPRINT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOTE_FINGERPRINT]);
}

static gboolean
read_fingerprints_cb (gpointer data)
{
  PeerCall *call = data;

  peer_read_fingerprints (call->peer);
  return G_SOURCE_REMOVE;
}

/* The DTLS transport's state changed (a DTLS thread). */
static void
on_dtls_state (GObject *dtls, GParamSpec *pspec, gpointer user_data)
{
  peer_defer (LATTICE_PEER_CONNECTION (user_data), read_fingerprints_cb, peer_call_new (user_data));
}

/* ICE is connected: the bundle's one DTLS transport exists. */
static void
peer_watch_dtls (LatticePeerConnection *self)
{
  g_autoptr(GstWebRTCRTPTransceiver) transceiver = NULL;
  g_autoptr(GstWebRTCRTPReceiver) receiver = NULL;

  if (self->dtls == NULL)
    {
      g_signal_emit_by_name (self->webrtc, "get-transceiver", 0, &transceiver);
      if (transceiver != NULL)
        g_object_get (transceiver, "receiver", &receiver, NULL);
      if (receiver != NULL)
        g_object_get (receiver, "transport", &self->dtls, NULL);
      if (self->dtls == NULL)
        return;
      g_signal_connect (self->dtls, "notify::state", G_CALLBACK (on_dtls_state), self);
    }
  peer_read_fingerprints (self);
}

static gboolean
set_state_cb (gpointer data)
{
  PeerCall *call = data;

  peer_set_state (call->peer, call->number);
  /* ICE connected, and again when webrtcbin says DTLS is connected too */
  if (call->number == LATTICE_PEER_CONNECTION_STATE_CONNECTED && !call->peer->closed)
    peer_watch_dtls (call->peer);
  return G_SOURCE_REMOVE;
}

static void
defer_state (LatticePeerConnection *self, LatticePeerConnectionState state)
{
  PeerCall *call = peer_call_new (self);

  call->number = state;
  peer_defer (self, set_state_cb, call);
}

/* Signaling: descriptions and candidates. */

static gboolean
emit_local_description_cb (gpointer data)
{
  PeerCall *call = data;

  if (call->peer->closed)
    return G_SOURCE_REMOVE;
  peer_set_state (call->peer, LATTICE_PEER_CONNECTION_STATE_CONNECTING);
  g_signal_emit (call->peer, signals[SIGNAL_LOCAL_DESCRIPTION], 0, call->text, call->text2);
  return G_SOURCE_REMOVE;
}

/* The promise of create-offer / create-answer replied (webrtcbin's thread). */
static void
on_description_created (GstPromise *promise, gpointer user_data)
{
  LatticePeerConnection *self = user_data;
  const char *field = self->offerer ? "offer" : "answer";
  g_autoptr(GstWebRTCSessionDescription) desc = NULL;
  const GstStructure *reply;
  PeerCall *call;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED ||
      (reply = gst_promise_get_reply (promise)) == NULL ||
      !gst_structure_get (reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL))
    {
      g_debug ("Peer %s: could not create the %s", self->id, field);
      defer_state (self, LATTICE_PEER_CONNECTION_STATE_FAILED);
      gst_promise_unref (promise);
      return;
    }
  gst_promise_unref (promise);

  g_signal_emit_by_name (self->webrtc, "set-local-description", desc, NULL);
  call = peer_call_new (self);
  call->text = g_strdup (field);
  call->text2 = gst_sdp_message_as_text (desc->sdp);
  peer_defer (self, emit_local_description_cb, call);
}

static void
peer_create_description (LatticePeerConnection *self)
{
  GstPromise *promise;

  promise = gst_promise_new_with_change_func (on_description_created,
                                              g_object_ref (self), g_object_unref);
  g_signal_emit_by_name (self->webrtc, self->offerer ? "create-offer" : "create-answer",
                         NULL, promise);
}

static void
peer_create_offer_once (LatticePeerConnection *self)
{
  /* on-negotiation-needed and lattice_peer_connection_start() race; one offer only. */
  if (self->offerer && g_atomic_int_compare_and_exchange (&self->offer_started, 0, 1))
    peer_create_description (self);
}

static void
on_negotiation_needed (GstElement *webrtc, gpointer user_data)
{
  peer_create_offer_once (LATTICE_PEER_CONNECTION (user_data));
}

static void
on_remote_description_set (GstPromise *promise, gpointer user_data)
{
  LatticePeerConnection *self = user_data;

  gst_promise_unref (promise);
  peer_create_description (self);
}

static gboolean
emit_local_candidate_cb (gpointer data)
{
  PeerCall *call = data;

  if (!call->peer->closed)
    g_signal_emit (call->peer, signals[SIGNAL_LOCAL_CANDIDATE], 0, call->number, call->text);
  return G_SOURCE_REMOVE;
}

static void
defer_local_candidate (LatticePeerConnection *self, guint mline, const char *candidate)
{
  PeerCall *call = peer_call_new (self);

  call->number = mline;
  call->text = g_strdup (candidate);
  peer_defer (self, emit_local_candidate_cb, call);
}

static void
on_ice_candidate (GstElement *webrtc, guint mline, const char *candidate, gpointer user_data)
{
  /* End-of-candidates is reported once, from the gathering state. */
  if (candidate != NULL && *candidate != '\0')
    defer_local_candidate (LATTICE_PEER_CONNECTION (user_data), mline, candidate);
}

static void
on_ice_gathering_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  GstWebRTCICEGatheringState state;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    defer_local_candidate (LATTICE_PEER_CONNECTION (user_data), 0, "");
}

static void
on_ice_connection_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  g_debug ("Peer %s: ICE connection state %d", LATTICE_PEER_CONNECTION (user_data)->id, state);
  if (state == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
      state == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED)
    defer_state (LATTICE_PEER_CONNECTION (user_data), LATTICE_PEER_CONNECTION_STATE_CONNECTED);
  else if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    defer_state (LATTICE_PEER_CONNECTION (user_data), LATTICE_PEER_CONNECTION_STATE_FAILED);
}

static void
on_connection_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    defer_state (LATTICE_PEER_CONNECTION (user_data), LATTICE_PEER_CONNECTION_STATE_CONNECTED);
  else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    defer_state (LATTICE_PEER_CONNECTION (user_data), LATTICE_PEER_CONNECTION_STATE_FAILED);
}

/* Receiving: counting probes on the decode chains (streaming threads). */

static gboolean
emit_first_frame_cb (gpointer data)
{
  PeerCall *call = data;

  if (!call->peer->closed && !call->peer->fingerprint_mismatch)
    g_signal_emit (call->peer, signals[SIGNAL_FIRST_FRAME], 0, call->text);
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
  PeerCall *call = peer_call_new (self);

  call->text = g_strdup (kind);
  peer_defer (self, emit_first_frame_cb, call);
}

/* Frames or buffers decoded during the last second; call with stats_lock held. */
static double
recent_rate (const gint64 *times, gint64 now)
{
  guint n = 0;

  for (guint i = 0; i < RATE_TIMES; i++)
    if (times[i] != 0 && now - times[i] <= G_USEC_PER_SEC)
      n++;
  return n;
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
  /* bounded, should nobody take them */
  if (self->latency_samples->len < MAX_LATENCY_SAMPLES)
    g_array_append_val (self->latency_samples, ms);
  g_mutex_unlock (&self->stats_lock);
  return GST_PAD_PROBE_OK;
}

static void
add_probe (GstElement *element, const char *pad_name, GstPadProbeType type,
           GstPadProbeCallback func, LatticePeerConnection *self)
{
  g_autoptr(GstPad) pad = gst_element_get_static_pad (element, pad_name);

  gst_pad_add_probe (pad, type, func, self, NULL);
}

static GstElement *
make_element (const char *factory, const char *name)
{
  GstElement *element = gst_element_factory_make (factory, name);

  /* lattice_media_check_plugins() ran at start, so this is a broken install. */
  g_assert (element != NULL);
  return element;
}

/* Builds @factories in the bin, linked in order, and returns the first one. */
static GstElement *
add_chain (LatticePeerConnection *self, const char *const *factories, GstElement **elements)
{
  for (guint i = 0; factories[i] != NULL; i++)
    {
      elements[i] = make_element (factories[i], NULL);
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
      sink = make_element ("fakesink", NULL);
      g_object_set (sink, "sync", FALSE, NULL);
    }
  /* A sink added to a playing pipeline must not wait for preroll. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (sink), "async") != NULL)
    g_object_set (sink, "async", FALSE, NULL);
  return sink;
}

static GstElement *
build_video_chain (LatticePeerConnection *self)
{
  static const char *const factories[] = { "rtpvp8depay", "vp8dec", "videoconvert", NULL };
  GstElement *elements[G_N_ELEMENTS (factories)] = { NULL };
  GstElement *sink = make_sink (self, "video");

  add_chain (self, factories, elements);
  gst_bin_add (self->bin, sink);
  gst_element_link (elements[2], sink);
  add_probe (elements[0], "sink", GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
             count_video_bytes, self);
  add_probe (elements[1], "src", GST_PAD_PROBE_TYPE_BUFFER, count_video_frame, self);
  if (self->read_stamps)
    add_probe (elements[1], "src", GST_PAD_PROBE_TYPE_BUFFER, read_stamp, self);
  return elements[0];
}

static GstElement *
build_audio_chain (LatticePeerConnection *self)
{
  static const char *const factories[] = { "rtpopusdepay", "opusdec", "level",
                                           "audioconvert", "audioresample", NULL };
  GstElement *elements[G_N_ELEMENTS (factories)] = { NULL };
  GstElement *last, *sink = make_sink (self, "audio");

  add_chain (self, factories, elements);
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
  add_probe (elements[0], "sink", GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
             count_audio_bytes, self);
  add_probe (elements[1], "src", GST_PAD_PROBE_TYPE_BUFFER, count_audio_buffer, self);
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
  GstElement *sink = make_element ("fakesink", NULL);

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (self->bin, sink);
  return sink;
}

/* On the main context, with the new webrtcbin pad blocked. */
static gboolean
link_decoder_cb (gpointer data)
{
  PeerCall *call = data;
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
  PeerCall *call = peer_call_new (self);

  call->pad = gst_object_ref (pad);
  call->probe = GST_PAD_PROBE_INFO_ID (info);
  peer_defer (self, link_decoder_cb, call);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *webrtc, GstPad *pad, gpointer user_data)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  /* Sticky events (caps) pass and stay on the pad; data waits for a sink,
   * which the caller creates on the main context. */
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER |
                     GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     hold_first_buffer, g_object_ref (user_data), g_object_unref);
}

/* Silence (issue 7). webrtcbin 1.22 and libnice do no ICE consent
 * freshness (RFC 7675): when the path between two ends goes silent (a
 * broken network, a frozen process) the connection stays CONNECTED for
 * ever. So the peer watches what arrives: every packet nicesrc hands up,
 * which is everything but libnice's own STUN (DTLS, SRTP and SRTCP). That
 * is the broadest signal there is: it does not depend on what the other end
 * sends (audio muted and video off close its valves, so no RTP), because
 * its rtpbin keeps sending RTCP reports, every RTCP_INTERVAL or so here,
 * once it has sent RTP. */

/* RTP or RTCP, as opposed to DTLS (RFC 7983: first byte 128–191). */
static gboolean
is_rtp_or_rtcp (GstPadProbeInfo *info)
{
  GstBuffer *buffer = (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
                        ? gst_buffer_list_get (GST_PAD_PROBE_INFO_BUFFER_LIST (info), 0)
                        : GST_PAD_PROBE_INFO_BUFFER (info);
  guint8 first = 0;

  return buffer != NULL && gst_buffer_extract (buffer, 0, &first, 1) == 1 &&
         first >= 128 && first <= 191;
}

static GstPadProbeReturn
note_received (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LatticePeerConnection *self = user_data;
  gint64 now = g_get_monotonic_time ();

  /* Armed by RTP or RTCP only (see check_silence_cb). */
  if (!is_rtp_or_rtcp (info))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&self->stats_lock);
  self->last_received_us = now;
  g_mutex_unlock (&self->stats_lock);
  return GST_PAD_PROBE_OK;
}

/* Probes the src pads of the transport's nicesrc elements, once. */
static void
probe_transport (LatticePeerConnection *self)
{
  g_autoptr(GstIterator) it = gst_bin_iterate_recurse (GST_BIN (self->webrtc));
  GValue item = G_VALUE_INIT;
  GstIteratorResult result;

  while ((result = gst_iterator_next (it, &item)) != GST_ITERATOR_DONE)
    {
      GstElementFactory *factory;

      if (result == GST_ITERATOR_RESYNC)
        {
          gst_iterator_resync (it);  /* a second probe on a pad does no harm */
          continue;
        }
      if (result == GST_ITERATOR_ERROR)
        break;
      factory = gst_element_get_factory (g_value_get_object (&item));
      if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "nicesrc"))
        add_probe (g_value_get_object (&item), "src",
                   GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                   note_received, self);
      g_value_reset (&item);
    }
  g_value_unset (&item);
}

/* Whether this end sends anything (even muted): two ends with nothing to
 * send agree on inactive media, and webrtcbin 1.22 then never finishes the
 * DTLS handshake. (Its "current-direction" does not tell: it says recvonly
 * there.) */
static gboolean
sends_media (LatticePeerConnection *self)
{
  GArray *transceivers = NULL;
  gboolean active = FALSE;

  g_signal_emit_by_name (self->webrtc, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers != NULL && i < transceivers->len; i++)
    {
      GstWebRTCRTPTransceiverDirection direction;

      g_object_get (g_array_index (transceivers, GstWebRTCRTPTransceiver *, i),
                    "direction", &direction, NULL);
      active |= direction == GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV ||
                direction == GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY;
    }
  g_clear_pointer (&transceivers, g_array_unref);
  return active;
}

/* ICE can succeed on one end only (seen after a network came back
 * during the checks): that end is CONNECTED, hears nothing, and the
 * silence watch is not armed yet. */
static gboolean
handshake_overdue (LatticePeerConnection *self)
{
  GstWebRTCPeerConnectionState state;

  if (self->handshake_done)
    return FALSE;
  g_object_get (self->webrtc, "connection-state", &state, NULL);
  self->handshake_done = state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED;
  return !self->handshake_done &&
         g_get_monotonic_time () - self->connected_us >= HANDSHAKE_TIMEOUT_US &&
         sends_media (self);
}

/* From the watch's callback, which ends with it. */
static gboolean
connection_lost (LatticePeerConnection *self, const char *why)
{
  /* expected when a network breaks: the call rebuilds the connection */
  g_info ("Peer %s: %s; the connection is lost", self->id, why);
  g_clear_pointer (&self->silence_watch, g_source_unref);
  peer_set_state (self, LATTICE_PEER_CONNECTION_STATE_FAILED);
  return G_SOURCE_REMOVE;
}

static gboolean
check_silence_cb (gpointer data)
{
  LatticePeerConnection *self = data;
  gint64 last;

  if (handshake_overdue (self))
    return connection_lost (self, "no DTLS handshake 5 s after ICE connected");
  g_mutex_lock (&self->stats_lock);
  last = self->last_received_us;
  g_mutex_unlock (&self->stats_lock);
  /* Armed by the first RTP or RTCP packet: until it has sent RTP once,
   * rtpbin sends no RTCP either, so an end that joined muted with its
   * camera off is silent from the start, and so are two ends with nothing
   * to send at all. Once armed, RTCP keeps coming through any mute. */
  if (last == 0 || g_get_monotonic_time () - last < SILENCE_TIMEOUT_US)
    return G_SOURCE_CONTINUE;
  return connection_lost (self, "nothing received for 5 s");
}

static void
stop_silence_watch (LatticePeerConnection *self)
{
  if (self->silence_watch == NULL)
    return;
  g_source_destroy (self->silence_watch);
  g_clear_pointer (&self->silence_watch, g_source_unref);
}

/* A connection that never gets anywhere (the answer or every candidate
 * lost on the way, or checks that libnice never gives up on) would stay
 * CONNECTING for good; as FAILED, the call builds it again. */
static gboolean
connect_overdue_cb (gpointer data)
{
  LatticePeerConnection *self = data;

  g_clear_pointer (&self->connect_watch, g_source_unref);
  g_info ("Peer %s: not connected after %u ms; giving up on this connection",
          self->id, self->connect_timeout_ms);
  peer_set_state (self, LATTICE_PEER_CONNECTION_STATE_FAILED);
  return G_SOURCE_REMOVE;
}

static void
stop_connect_watch (LatticePeerConnection *self)
{
  if (self->connect_watch == NULL)
    return;
  g_source_destroy (self->connect_watch);
  g_clear_pointer (&self->connect_watch, g_source_unref);
}

static void
peer_watch_connect (LatticePeerConnection *self)
{
  self->connect_watch = g_timeout_source_new (self->connect_timeout_ms);
  g_source_set_callback (self->connect_watch, connect_overdue_cb, self, NULL);
  g_source_attach (self->connect_watch, self->context);
}

/* Watches while CONNECTED, from the moment it becomes so. */
static void
peer_watch_silence (LatticePeerConnection *self)
{
  if (self->state != LATTICE_PEER_CONNECTION_STATE_CONNECTED)
    {
      stop_silence_watch (self);
      return;
    }
  if (self->silence_watch != NULL)
    return;
  self->connected_us = g_get_monotonic_time ();
  probe_transport (self);
  self->silence_watch = g_timeout_source_new (500);
  g_source_set_callback (self->silence_watch, check_silence_cb, self, NULL);
  g_source_attach (self->silence_watch, self->context);
}

/* rtpbin sends RTCP every 5 s or so by default (2–6 s randomized): too
 * rare to tell silence from a muted peer quickly. Reports every second
 * cost a few hundred bytes a second. */
static void
on_rtpbin_element_added (GstBin *rtpbin, GstElement *element, gpointer user_data)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "rtpsession"))
    g_object_set (element, "rtcp-min-interval", (guint64) RTCP_INTERVAL, NULL);
}

/* webrtcbin 1.22 holds every outgoing RTP buffer in a clocksync until its
 * timestamp plus the pipeline latency: one frame of delay for a live
 * source, and a timed wait per packet per peer. The engine's sources are
 * all live, so buffers already come at the pace they were captured. */
static void
on_webrtc_deep_element_added (GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer user_data)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "clocksync"))
    g_object_set (element, "sync", FALSE, NULL);
}

/* The selected candidate pair (issue 7): whether media goes straight or
 * through a relay, from webrtcbin's statistics. */

/* The "candidate-type" of the local candidate of a "candidate-pair" entry
 * (webrtcbin 1.22 lists the selected pair only), or NULL. */
static char *
selected_candidate_type (const GstStructure *stats)
{
  for (int i = 0; i < gst_structure_n_fields (stats); i++)
    {
      const GValue *value = gst_structure_get_value (stats, gst_structure_nth_field_name (stats, i));
      const GstStructure *pair, *local;
      const GValue *local_value;
      GstWebRTCStatsType type;
      const char *local_id;

      if (!GST_VALUE_HOLDS_STRUCTURE (value))
        continue;
      pair = gst_value_get_structure (value);
      if (!gst_structure_get_enum (pair, "type", GST_TYPE_WEBRTC_STATS_TYPE, (int *) &type) ||
          type != GST_WEBRTC_STATS_CANDIDATE_PAIR ||
          (local_id = gst_structure_get_string (pair, "local-candidate-id")) == NULL ||
          (local_value = gst_structure_get_value (stats, local_id)) == NULL ||
          !GST_VALUE_HOLDS_STRUCTURE (local_value))
        continue;
      local = gst_value_get_structure (local_value);
      if (gst_structure_get_string (local, "candidate-type") != NULL)
        return g_strdup (gst_structure_get_string (local, "candidate-type"));
    }
  return NULL;
}

static gboolean
store_candidate_type_cb (gpointer data)
{
  PeerCall *call = data;
  LatticePeerConnection *self = call->peer;

  self->stats_pending = FALSE;
  /* keep the last known type through a query that found no pair */
  if (call->text != NULL && g_strcmp0 (self->candidate_type, call->text) != 0)
    {
      g_free (self->candidate_type);
      self->candidate_type = g_steal_pointer (&call->text);
    }
  return G_SOURCE_REMOVE;
}

/* get-stats replied (webrtcbin's thread). */
static void
on_stats (GstPromise *promise, gpointer user_data)
{
  LatticePeerConnection *self = user_data;
  PeerCall *call = peer_call_new (self);
  const GstStructure *reply = NULL;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply != NULL)
    call->text = selected_candidate_type (reply);
  gst_promise_unref (promise);
  peer_defer (self, store_candidate_type_cb, call);
}

static void
query_candidate_type (LatticePeerConnection *self)
{
  GstPromise *promise;

  if (self->stats_pending || self->closed || self->state != LATTICE_PEER_CONNECTION_STATE_CONNECTED)
    return;
  self->stats_pending = TRUE;
  promise = gst_promise_new_with_change_func (on_stats, g_object_ref (self), g_object_unref);
  g_signal_emit_by_name (self->webrtc, "get-stats", NULL, promise);
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
  self->speaking = above;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEAKING]);
}

/* GObject. */

static void
lattice_peer_connection_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LatticePeerConnection *self = LATTICE_PEER_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_OFFERER:
      g_value_set_boolean (value, self->offerer);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_SPEAKING:
      g_value_set_boolean (value, self->speaking);
      break;
    case PROP_AUDIO_LEVEL:
      g_value_set_double (value, self->audio_level);
      break;
    case PROP_LOCAL_FINGERPRINT:
      g_value_set_string (value, self->local_fingerprint);
      break;
    case PROP_REMOTE_FINGERPRINT:
      g_value_set_string (value, self->remote_fingerprint);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_peer_connection_dispose (GObject *object)
{
  LatticePeerConnection *self = LATTICE_PEER_CONNECTION (object);

  if (self->webrtc != NULL)
    g_signal_handlers_disconnect_by_data (self->webrtc, self);
  if (self->dtls != NULL)
    g_signal_handlers_disconnect_by_data (self->dtls, self);
  stop_silence_watch (self);
  stop_connect_watch (self);
  g_clear_object (&self->dtls);
  g_clear_object (&self->webrtc);
  g_clear_object (&self->bin);
  g_clear_object (&self->echo_probe);

  G_OBJECT_CLASS (lattice_peer_connection_parent_class)->dispose (object);
}

static void
lattice_peer_connection_finalize (GObject *object)
{
  LatticePeerConnection *self = LATTICE_PEER_CONNECTION (object);

  g_clear_pointer (&self->pending_candidates, g_array_unref);
  g_clear_pointer (&self->announced_fingerprints, g_ptr_array_unref);
  g_free (self->local_fingerprint);
  g_free (self->remote_fingerprint);
  g_free (self->candidate_type);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->latency_samples, g_array_unref);
  g_mutex_clear (&self->stats_lock);
  g_free (self->id);

  G_OBJECT_CLASS (lattice_peer_connection_parent_class)->finalize (object);
}

static void
lattice_peer_connection_class_init (LatticePeerConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = lattice_peer_connection_get_property;
  object_class->dispose = lattice_peer_connection_dispose;
  object_class->finalize = lattice_peer_connection_finalize;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_OFFERER] =
    g_param_spec_boolean ("offerer", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, LATTICE_TYPE_PEER_CONNECTION_STATE, LATTICE_PEER_CONNECTION_STATE_NEW,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SPEAKING] =
    g_param_spec_boolean ("speaking", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_AUDIO_LEVEL] =
    g_param_spec_double ("audio-level", NULL, NULL, SILENCE_DB, G_MAXDOUBLE, SILENCE_DB,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LOCAL_FINGERPRINT] =
    g_param_spec_string ("local-fingerprint", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REMOTE_FINGERPRINT] =
    g_param_spec_string ("remote-fingerprint", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_LOCAL_DESCRIPTION] =
    g_signal_new ("local-description", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_LOCAL_CANDIDATE] =
    g_signal_new ("local-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_FIRST_FRAME] =
    g_signal_new ("first-frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
lattice_peer_connection_init (LatticePeerConnection *self)
{
  self->audio_level = SILENCE_DB;
  self->pending_candidates = g_array_new (FALSE, TRUE, sizeof (Candidate));
  g_array_set_clear_func (self->pending_candidates, candidate_clear);
  self->announced_fingerprints = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&self->stats_lock);
  self->latency_samples = g_array_new (FALSE, FALSE, sizeof (double));
}

/* Private API for the engine. */

static void
disable_upnp (LatticePeerConnection *self)
{
  g_autoptr(GObject) ice = NULL;
  g_autoptr(GObject) agent = NULL;

  /* libnice's UPnP port mapping binds SSDP sockets and waits on routers
   * that calls never need (host, STUN and TURN candidates do). */
  g_object_get (self->webrtc, "ice-agent", &ice, NULL);
  if (ice != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, NULL);
  if (agent != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp"))
    g_object_set (agent, "upnp", FALSE, NULL);
}

static void
configure_webrtcbin (LatticePeerConnection *self, const LatticePeerConnectionConfig *config)
{
  g_autoptr(GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (self->webrtc), "rtpbin");

  disable_upnp (self);
  if (rtpbin != NULL)
    g_signal_connect (rtpbin, "element-added", G_CALLBACK (on_rtpbin_element_added), NULL);
  g_signal_connect (self->webrtc, "deep-element-added", G_CALLBACK (on_webrtc_deep_element_added), NULL);
  g_object_set (self->webrtc,
                "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", config->latency_ms,
                NULL);
  if (config->stun_server != NULL)
    g_object_set (self->webrtc, "stun-server", config->stun_server, NULL);
  for (guint i = 0; config->turn_servers != NULL && config->turn_servers[i] != NULL; i++)
    {
      gboolean ok = FALSE;

      g_signal_emit_by_name (self->webrtc, "add-turn-server", config->turn_servers[i], &ok);
      if (!ok)
        g_debug ("Peer %s: webrtcbin refused a TURN server", self->id);
    }
  if (config->relay_only)
    g_object_set (self->webrtc, "ice-transport-policy", GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY, NULL);
}

static void
connect_webrtcbin (LatticePeerConnection *self)
{
  /* Emitted on webrtcbin's threads; each handler only hops to the main context. */
  g_signal_connect (self->webrtc, "on-negotiation-needed", G_CALLBACK (on_negotiation_needed), self);
  g_signal_connect (self->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (self->webrtc, "pad-added", G_CALLBACK (on_pad_added), self);
  g_signal_connect (self->webrtc, "notify::ice-gathering-state",
                    G_CALLBACK (on_ice_gathering_state), self);
  g_signal_connect (self->webrtc, "notify::ice-connection-state",
                    G_CALLBACK (on_ice_connection_state), self);
  g_signal_connect (self->webrtc, "notify::connection-state",
                    G_CALLBACK (on_connection_state), self);
}

LatticePeerConnection *
lattice_peer_connection_new (const char              *id,
                  gboolean                 offerer,
                  GMainContext            *context,
                  const LatticePeerConnectionConfig *config)
{
  LatticePeerConnection *self = g_object_new (LATTICE_TYPE_PEER_CONNECTION, NULL);
  /* Unique per connection: a rebuilt connection's bin joins the pipeline
   * while the old one's is still being taken out, and names must differ. */
  g_autofree char *name = g_strdup_printf ("peer-%s-%p", id, (gpointer) self);

  self->id = g_strdup (id);
  self->offerer = offerer;
  self->context = g_main_context_ref (context);
  self->echo_probe = config->echo_probe ? gst_object_ref (config->echo_probe) : NULL;
  self->create_sink = config->create_sink;
  self->sink_data = config->sink_data;
  self->read_stamps = config->read_stamps;
  self->connect_timeout_ms = config->connect_timeout_ms ? config->connect_timeout_ms
                                                        : LATTICE_MEDIA_DEFAULT_CONNECT_TIMEOUT_MS;

  self->bin = GST_BIN (gst_object_ref_sink (gst_bin_new (name)));
  self->webrtc = gst_object_ref (make_element ("webrtcbin", "webrtcbin"));
  gst_bin_add (self->bin, self->webrtc);
  configure_webrtcbin (self, config);
  connect_webrtcbin (self);
  peer_watch_connect (self);
  return self;
}

GstBin *
lattice_peer_connection_get_bin (LatticePeerConnection *self)
{
  return self->bin;
}

GstPad *
lattice_peer_connection_request_send_pad (LatticePeerConnection *self, GstCaps *caps)
{
  GstPadTemplate *templ = gst_element_get_pad_template (self->webrtc, "sink_%u");
  g_autoptr(GstWebRTCRTPTransceiver) transceiver = NULL;
  GstPad *pad;

  pad = gst_element_request_pad (self->webrtc, templ, NULL, caps);
  g_object_get (pad, "transceiver", &transceiver, NULL);
  /* Fixed codec preferences let the offer be made before the first buffer
   * reaches the pad (webrtcbin 1.22 ignores the request caps for that). */
  g_object_set (transceiver,
                "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV,
                "codec-preferences", caps,
                NULL);
  return pad;
}

void
lattice_peer_connection_add_recv_only (LatticePeerConnection *self, GstCaps *caps)
{
  g_autoptr(GstWebRTCRTPTransceiver) transceiver = NULL;

  g_signal_emit_by_name (self->webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &transceiver);
}

void
lattice_peer_connection_start (LatticePeerConnection *self)
{
  peer_create_offer_once (self);
}

#ifdef LATTICE_HAVE_NICE
static void
on_ice_agent_closed (GObject *agent, GAsyncResult *result, gpointer user_data)
{
  gst_object_unref (user_data);
}
#endif

/* webrtcbin 1.22 drops its ICE agent with TURN allocations alive: they
 * linger on the TURN server until they expire, and libnice warns. Closing
 * the agent releases them; webrtcbin, which runs the agent's thread, is
 * kept until that is done. */
static void
release_turn_allocations (LatticePeerConnection *self)
{
#ifdef LATTICE_HAVE_NICE
  g_autoptr(GObject) ice = NULL;
  g_autoptr(GObject) agent = NULL;

  g_object_get (self->webrtc, "ice-agent", &ice, NULL);
  if (ice != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, NULL);
  if (agent != NULL && NICE_IS_AGENT (agent))
    nice_agent_close_async (NICE_AGENT (agent), on_ice_agent_closed, gst_object_ref (self->webrtc));
#endif
}

void
lattice_peer_connection_close (LatticePeerConnection *self)
{
  if (!self->closed)
    release_turn_allocations (self);
  peer_set_state (self, LATTICE_PEER_CONNECTION_STATE_CLOSED);
  self->closed = TRUE;
  if (self->speaking)
    {
      self->speaking = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEAKING]);
    }
}

void
lattice_peer_connection_fail (LatticePeerConnection *self)
{
  peer_set_state (self, LATTICE_PEER_CONNECTION_STATE_FAILED);
}

void
lattice_peer_connection_handle_level (LatticePeerConnection *self, const GstStructure *level)
{
  double peak = level_peak (level);

  if (self->closed)
    return;
  if (peak != self->audio_level)
    {
      self->audio_level = peak;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUDIO_LEVEL]);
    }
  update_speaking (self, peak);
}

/* Public API. */

const char *
lattice_peer_connection_get_id (LatticePeerConnection *self)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), NULL);
  return self->id;
}

gboolean
lattice_peer_connection_get_offerer (LatticePeerConnection *self)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), FALSE);
  return self->offerer;
}

LatticePeerConnectionState
lattice_peer_connection_get_state (LatticePeerConnection *self)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), LATTICE_PEER_CONNECTION_STATE_CLOSED);
  return self->state;
}

gboolean
lattice_peer_connection_get_speaking (LatticePeerConnection *self)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), FALSE);
  return self->speaking;
}

static GstWebRTCSessionDescription *
parse_description (const char *type, const char *sdp, GError **error)
{
  GstWebRTCSDPType sdp_type;
  GstSDPMessage *message = NULL;

  if (g_strcmp0 (type, "offer") == 0)
    sdp_type = GST_WEBRTC_SDP_TYPE_OFFER;
  else if (g_strcmp0 (type, "answer") == 0)
    sdp_type = GST_WEBRTC_SDP_TYPE_ANSWER;
  else
    {
      g_set_error (error, LATTICE_MEDIA_ERROR, LATTICE_MEDIA_ERROR_INVALID_DESCRIPTION,
                   _("Unknown session description type “%s”"), type);
      return NULL;
    }
  /* The parser accepts almost anything; a usable description has media. */
  if (*sdp == '\0' ||
      gst_sdp_message_new_from_text (sdp, &message) != GST_SDP_OK ||
      gst_sdp_message_medias_len (message) == 0 ||
      gst_sdp_message_get_version (message) == NULL)
    {
      g_clear_pointer (&message, gst_sdp_message_free);
      g_set_error (error, LATTICE_MEDIA_ERROR, LATTICE_MEDIA_ERROR_INVALID_DESCRIPTION,
                   _("The session description from the other participant is not valid"));
      return NULL;
    }
  return gst_webrtc_session_description_new (sdp_type, message);
}

static void
flush_pending_candidates (LatticePeerConnection *self)
{
  for (guint i = 0; i < self->pending_candidates->len; i++)
    {
      Candidate *c = &g_array_index (self->pending_candidates, Candidate, i);

      g_signal_emit_by_name (self->webrtc, "add-ice-candidate", c->mline, c->candidate);
    }
  g_array_set_size (self->pending_candidates, 0);
}

gboolean
lattice_peer_connection_set_remote_description (LatticePeerConnection  *self,
                                     const char   *type,
                                     const char   *sdp,
                                     GError      **error)
{
  g_autoptr(GstWebRTCSessionDescription) desc = NULL;
  GstPromise *promise = NULL;

  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), FALSE);
  g_return_val_if_fail (type != NULL && sdp != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  desc = parse_description (type, sdp, error);
  if (desc == NULL)
    return FALSE;
  if ((desc->type == GST_WEBRTC_SDP_TYPE_OFFER) == self->offerer || self->remote_set)
    {
      g_set_error (error, LATTICE_MEDIA_ERROR, LATTICE_MEDIA_ERROR_INVALID_DESCRIPTION,
                   _("Unexpected session description “%s” from the other participant"), type);
      return FALSE;
    }
  /* An offer is answered once webrtcbin has applied it. */
  if (!self->offerer)
    promise = gst_promise_new_with_change_func (on_remote_description_set,
                                                g_object_ref (self), g_object_unref);
  remember_announced_fingerprints (self, desc->sdp);
  g_signal_emit_by_name (self->webrtc, "set-remote-description", desc, promise);
  self->remote_set = TRUE;
  /* webrtcbin runs its actions in order: these follow the description. */
  flush_pending_candidates (self);
  peer_set_state (self, LATTICE_PEER_CONNECTION_STATE_CONNECTING);
  return TRUE;
}

void
lattice_peer_connection_add_remote_candidate (LatticePeerConnection *self,
                                   guint        mline,
                                   const char  *candidate)
{
  Candidate c;

  g_return_if_fail (LATTICE_IS_PEER_CONNECTION (self));
  g_return_if_fail (candidate != NULL);

  /* End-of-candidates: webrtcbin 1.22 has no use for it. */
  if (*candidate == '\0' || self->closed)
    return;
  if (self->remote_set)
    {
      g_signal_emit_by_name (self->webrtc, "add-ice-candidate", mline, candidate);
      return;
    }
  /* Before the remote description webrtcbin has no transport to give it to. */
  c.mline = mline;
  c.candidate = g_strdup (candidate);
  g_array_append_val (self->pending_candidates, c);
}

void
lattice_peer_connection_get_stats (LatticePeerConnection *self, LatticePeerConnectionStats *stats)
{
  gint64 now;

  g_return_if_fail (LATTICE_IS_PEER_CONNECTION (self));
  g_return_if_fail (stats != NULL);

  g_mutex_lock (&self->stats_lock);
  *stats = self->stats;
  now = g_get_monotonic_time ();
  stats->video_fps = recent_rate (self->video_times, now);
  stats->audio_rate = recent_rate (self->audio_times, now);
  g_mutex_unlock (&self->stats_lock);
}

GstElement *
lattice_peer_connection_get_webrtcbin (LatticePeerConnection *self)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), NULL);
  return self->webrtc;
}

const char *
lattice_peer_connection_get_local_fingerprint (LatticePeerConnection *self)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), NULL);
  return self->local_fingerprint;
}

const char *
lattice_peer_connection_get_remote_fingerprint (LatticePeerConnection *self)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), NULL);
  return self->remote_fingerprint;
}

const char *
lattice_peer_connection_get_candidate_type (LatticePeerConnection *self)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), NULL);

  query_candidate_type (self);
  return self->candidate_type;
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
