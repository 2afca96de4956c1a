/* lattice-peer-connection.c: the connection to one remote participant (one webrtcbin)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

/* Remote candidates taken per connection: a host has a handful per
 * address family and interface, a TURN relay one or two more; a browser
 * sends each for every m-line of the bundle. */
#define MAX_REMOTE_CANDIDATES 100
/* RFC 8839 candidates with every extension are under 300 bytes. */
#define MAX_CANDIDATE_LENGTH  512

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <gio/gio.h>
#ifdef LATTICE_HAVE_NICE
#include <nice/agent.h>
#endif

#include "lattice-media.h"
#include "lattice-media-enums.h"
#include "lattice-media-private.h"
#include "lattice-peer-connection-private.h"

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
  SIGNAL_REMOTE_VIEW,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (LatticePeerConnection, lattice_peer_connection, G_TYPE_OBJECT)

LatticePeerCall *
lattice_peer_call_new (LatticePeerConnection *self)
{
  LatticePeerCall *call = g_new0 (LatticePeerCall, 1);

  call->peer = g_object_ref (self);
  return call;
}

static void
lattice_peer_call_free (gpointer data)
{
  LatticePeerCall *call = data;

  g_clear_object (&call->peer);
  g_clear_object (&call->pad);
  g_free (call->text);
  g_free (call->text2);
  g_free (call);
}

void
lattice_peer_call_defer (LatticePeerConnection *self, GSourceFunc func, LatticePeerCall *call)
{
  lattice_media_invoke (self->context, func, call, lattice_peer_call_free);
}

static void
candidate_clear (gpointer data)
{
  Candidate *c = data;

  g_free (c->candidate);
}

/* State, on the main context only. */
void
lattice_peer_connection_set_state (LatticePeerConnection *self, LatticePeerConnectionState state)
{
  if (self->state == state || self->state == LATTICE_PEER_CONNECTION_STATE_CLOSED)
    return;
  /* A failed connection does not come back without a new peer. */
  if (self->state == LATTICE_PEER_CONNECTION_STATE_FAILED && state != LATTICE_PEER_CONNECTION_STATE_CLOSED)
    return;
  g_debug ("Peer %s: state %d -> %d", self->id, self->state, state);
  self->state = state;
  if (state != LATTICE_PEER_CONNECTION_STATE_NEW && state != LATTICE_PEER_CONNECTION_STATE_CONNECTING)
    lattice_peer_connection_stop_connect_watch (self);
  lattice_peer_connection_watch_silence (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
lattice_peer_connection_set_speaking (LatticePeerConnection *self,
                                      gboolean               speaking)
{
  speaking = !!speaking;
  if (self->speaking == speaking)
    return;
  self->speaking = speaking;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEAKING]);
}

void
lattice_peer_connection_set_audio_level (LatticePeerConnection *self,
                                         double                 level)
{
  if (self->audio_level == level)
    return;
  self->audio_level = level;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUDIO_LEVEL]);
}

void
lattice_peer_connection_set_fingerprints (LatticePeerConnection *self,
                                          char                  *local,
                                          char                  *remote)
{
  g_free (self->local_fingerprint);
  self->local_fingerprint = local;
  g_free (self->remote_fingerprint);
  self->remote_fingerprint = remote;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_FINGERPRINT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOTE_FINGERPRINT]);
}

void
lattice_peer_connection_emit_remote_view (LatticePeerConnection *self,
                                          guint                  width,
                                          guint                  height)
{
  g_signal_emit (self, signals[SIGNAL_REMOTE_VIEW], 0, width, height);
}

void
lattice_peer_connection_emit_first_frame (LatticePeerConnection *self,
                                          const char            *kind)
{
  g_signal_emit (self, signals[SIGNAL_FIRST_FRAME], 0, kind);
}

static gboolean
set_state_cb (gpointer data)
{
  LatticePeerCall *call = data;

  lattice_peer_connection_set_state (call->peer, call->number);
  /* ICE connected, and again when webrtcbin says DTLS is connected too */
  if (call->number == LATTICE_PEER_CONNECTION_STATE_CONNECTED && !call->peer->closed)
    lattice_peer_connection_watch_dtls (call->peer);
  return G_SOURCE_REMOVE;
}

static void
defer_state (LatticePeerConnection *self, LatticePeerConnectionState state)
{
  LatticePeerCall *call = lattice_peer_call_new (self);

  call->number = state;
  lattice_peer_call_defer (self, set_state_cb, call);
}

/* Signaling: descriptions and candidates. */

static gboolean
emit_local_description_cb (gpointer data)
{
  LatticePeerCall *call = data;

  if (call->peer->closed)
    return G_SOURCE_REMOVE;
  lattice_peer_connection_set_state (call->peer, LATTICE_PEER_CONNECTION_STATE_CONNECTING);
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
  LatticePeerCall *call;

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
  call = lattice_peer_call_new (self);
  call->text = g_strdup (field);
  call->text2 = gst_sdp_message_as_text (desc->sdp);
  lattice_peer_call_defer (self, emit_local_description_cb, call);
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
  LatticePeerCall *call = data;

  if (!call->peer->closed)
    g_signal_emit (call->peer, signals[SIGNAL_LOCAL_CANDIDATE], 0, call->number, call->text);
  return G_SOURCE_REMOVE;
}

static void
defer_local_candidate (LatticePeerConnection *self, guint mline, const char *candidate)
{
  LatticePeerCall *call = lattice_peer_call_new (self);

  call->number = mline;
  call->text = g_strdup (candidate);
  lattice_peer_call_defer (self, emit_local_candidate_cb, call);
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
  /* ICE and DTLS are up: the send path takes buffers (drop_until_connected()) */
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    g_atomic_int_set (&LATTICE_PEER_CONNECTION (user_data)->send_ready, TRUE);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    defer_state (LATTICE_PEER_CONNECTION (user_data), LATTICE_PEER_CONNECTION_STATE_CONNECTED);
  else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    defer_state (LATTICE_PEER_CONNECTION (user_data), LATTICE_PEER_CONNECTION_STATE_FAILED);
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
  lattice_peer_connection_stop_silence_watch (self);
  lattice_peer_connection_stop_connect_watch (self);
  lattice_peer_connection_stop_view (self);
  g_clear_object (&self->dtls);
  g_clear_object (&self->webrtc);
  g_clear_object (&self->video_guard);
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
  g_mutex_clear (&self->view_lock);
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
  signals[SIGNAL_REMOTE_VIEW] =
    g_signal_new ("remote-view", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
}

static void
lattice_peer_connection_init (LatticePeerConnection *self)
{
  self->audio_level = SILENCE_DB;
  self->pending_candidates = g_array_new (FALSE, TRUE, sizeof (Candidate));
  g_array_set_clear_func (self->pending_candidates, candidate_clear);
  self->announced_fingerprints = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&self->stats_lock);
  g_mutex_init (&self->view_lock);
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
    {
      g_signal_connect (rtpbin, "element-added", G_CALLBACK (lattice_peer_connection_on_rtpbin_element_added), NULL);
      g_signal_connect (rtpbin, "element-added", G_CALLBACK (lattice_peer_connection_on_rtpbin_session), self);
      /* after webrtcbin's own handler, which sets what this one corrects */
      g_signal_connect (rtpbin, "new-jitterbuffer", G_CALLBACK (lattice_peer_connection_on_new_jitterbuffer), self);
    }
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

/* webrtcbin 1.22 blocks the thread pushing into a send pad until the
 * connection is negotiated, and again inside, until its DTLS keys are set.
 * The shared encoders push into every peer's pads with no queue between
 * (a thread per peer and stream saved), so a peer still connecting, or
 * never answering, or answering and never connecting, would stall
 * everyone's media: its buffers are dropped instead. Blocking probes run
 * before the others, so this is one too: it drops (which never blocks)
 * until the connection is up, then takes itself away. */
static GstPadProbeReturn
drop_until_connected (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LatticePeerConnection *self = user_data;

  return g_atomic_int_get (&self->send_ready) ? GST_PAD_PROBE_REMOVE : GST_PAD_PROBE_DROP;
}

static void
connect_webrtcbin (LatticePeerConnection *self)
{
  /* Emitted on webrtcbin's threads; each handler only hops to the main context. */
  g_signal_connect (self->webrtc, "on-negotiation-needed", G_CALLBACK (on_negotiation_needed), self);
  g_signal_connect (self->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (self->webrtc, "pad-added", G_CALLBACK (lattice_peer_connection_on_pad_added), self);
  g_signal_connect (self->webrtc, "notify::ice-gathering-state",
                    G_CALLBACK (on_ice_gathering_state), self);
  g_signal_connect (self->webrtc, "notify::ice-connection-state",
                    G_CALLBACK (on_ice_connection_state), self);
  g_signal_connect (self->webrtc, "notify::connection-state",
                    G_CALLBACK (on_connection_state), self);
}

LatticePeerConnection *
lattice_peer_connection_new (const char                        *id,
                             gboolean                           offerer,
                             GMainContext                      *context,
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
  self->base_latency_ms = config->latency_ms;
  self->connect_timeout_ms = config->connect_timeout_ms ? config->connect_timeout_ms
                                                        : LATTICE_MEDIA_DEFAULT_CONNECT_TIMEOUT_MS;

  self->bin = GST_BIN (gst_object_ref_sink (gst_bin_new (name)));
  self->webrtc = gst_object_ref (lattice_media_make_element ("webrtcbin", "webrtcbin"));
  gst_bin_add (self->bin, self->webrtc);
  configure_webrtcbin (self, config);
  connect_webrtcbin (self);
  lattice_peer_connection_watch_connect (self);
  return self;
}

GstBin *
lattice_peer_connection_get_bin (LatticePeerConnection *self)
{
  return self->bin;
}

/* Video is repaired with NACK and retransmissions: webrtcbin then offers an
 * RTX payload type, has rtprtxsend keep what was sent, and its
 * jitterbuffers ask for what is missing. Audio is not: Opus's in-band FEC
 * and concealment repair it without the round trip a retransmission
 * costs, which would come too late for a voice anyway. */
static void
configure_transceiver (GstWebRTCRTPTransceiver *transceiver, GstCaps *caps)
{
  const char *media = gst_structure_get_string (gst_caps_get_structure (caps, 0), "media");

  if (g_strcmp0 (media, "video") == 0)
    g_object_set (transceiver, "do-nack", TRUE, NULL);
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
  configure_transceiver (transceiver, caps);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER |
                     GST_PAD_PROBE_TYPE_BUFFER_LIST, drop_until_connected, self, NULL);
  return pad;
}

void
lattice_peer_connection_add_recv_only (LatticePeerConnection *self, GstCaps *caps)
{
  g_autoptr(GstWebRTCRTPTransceiver) transceiver = NULL;

  g_signal_emit_by_name (self->webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &transceiver);
  if (transceiver != NULL)
    configure_transceiver (transceiver, caps);
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
  lattice_peer_connection_set_state (self, LATTICE_PEER_CONNECTION_STATE_CLOSED);
  self->closed = TRUE;
  lattice_peer_connection_set_speaking (self, FALSE);
}

void
lattice_peer_connection_fail (LatticePeerConnection *self)
{
  lattice_peer_connection_set_state (self, LATTICE_PEER_CONNECTION_STATE_FAILED);
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
                                                const char             *type,
                                                const char             *sdp,
                                                GError                **error)
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
  lattice_peer_connection_remember_fingerprints (self, desc->sdp);
  self->n_remote_mlines = gst_sdp_message_medias_len (desc->sdp);
  g_signal_emit_by_name (self->webrtc, "set-remote-description", desc, promise);
  self->remote_set = TRUE;
  /* webrtcbin runs its actions in order: these follow the description. */
  flush_pending_candidates (self);
  lattice_peer_connection_set_state (self, LATTICE_PEER_CONNECTION_STATE_CONNECTING);
  return TRUE;
}

void
lattice_peer_connection_add_remote_candidate (LatticePeerConnection *self,
                                              guint                  mline,
                                              const char            *candidate)
{
  Candidate c;

  g_return_if_fail (LATTICE_IS_PEER_CONNECTION (self));
  g_return_if_fail (candidate != NULL);

  /* End-of-candidates: webrtcbin 1.22 has no use for it. */
  if (*candidate == '\0' || self->closed)
    return;
  /* What the other side sends is bounded: webrtcbin keeps every candidate
   * it is given, for m-lines it has and has not (libnice then tries each
   * pair), and holds them for as long as the connection lives. */
  if (strlen (candidate) > MAX_CANDIDATE_LENGTH ||
      mline >= (self->remote_set ? self->n_remote_mlines : LATTICE_PEER_CONNECTION_MAX_MLINES) ||
      self->n_remote_candidates >= MAX_REMOTE_CANDIDATES)
    {
      if (self->n_dropped_candidates++ % 100 == 0)
        g_info ("Peer %s: dropping a candidate for m-line %u of %zu bytes (%u taken, %u dropped)",
                self->id, mline, strlen (candidate), self->n_remote_candidates, self->n_dropped_candidates);
      return;
    }
  self->n_remote_candidates++;
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

gboolean
lattice_peer_connection_get_fingerprint_mismatch (LatticePeerConnection *self)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), FALSE);
  return self->fingerprint_mismatch;
}

const char *
lattice_peer_connection_get_remote_fingerprint (LatticePeerConnection *self)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), NULL);
  return self->remote_fingerprint;
}
