/* lattice-peer-connection-watchdog.c: is the other end still there?
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include "lattice-media-private.h"
#include "lattice-peer-connection-private.h"

/* A connected peer that hears nothing for this long is FAILED (see
 * "Silence" below; the messages say 5 s); RTCP alone arrives at least
 * every ~1.3 s. */
#define SILENCE_TIMEOUT_US     (5 * G_USEC_PER_SEC)
#define RTCP_INTERVAL          (100 * GST_MSECOND)
/* ICE connected but no DTLS handshake after this long (5 s too): the
 * path broke on the way back, or only one end believes in it. */
#define HANDSHAKE_TIMEOUT_US   (5 * G_USEC_PER_SEC)
/* How often the watchdog looks, and the most one look may count as
 * silence however late it runs (see check_silence_cb()). */
#define SILENCE_CHECK_US       (500 * G_TIME_SPAN_MILLISECOND)
#define MAX_SILENCE_STEP_US    (2 * SILENCE_CHECK_US)

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
        lattice_media_add_probe (g_value_get_object (&item), "src",
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
  lattice_peer_connection_set_state (self, LATTICE_PEER_CONNECTION_STATE_FAILED);
  return G_SOURCE_REMOVE;
}

/* Silence is counted only while this process runs: a check that comes
 * late (the machine was busy, or the process stopped) adds at most
 * MAX_SILENCE_STEP_US, since whatever the other end sent meanwhile waits
 * unread in the socket, not lost. A starved process is not a dead link. */
static gboolean
check_silence_cb (gpointer data)
{
  LatticePeerConnection *self = data;
  gint64 now = g_get_monotonic_time ();
  gint64 last, step;

  step = self->last_check_us != 0 ? now - self->last_check_us : 0;
  if (step > MAX_SILENCE_STEP_US)
    g_debug ("Peer %s: the watchdog ran %" G_GINT64_FORMAT " ms late; not counted as silence",
             self->id, (step - SILENCE_CHECK_US) / 1000);
  self->last_check_us = now;
  lattice_peer_connection_check_audio_gap (self, now);
  if (handshake_overdue (self))
    return connection_lost (self, "no DTLS handshake 5 s after ICE connected");
  g_mutex_lock (&self->stats_lock);
  last = self->last_received_us;
  g_mutex_unlock (&self->stats_lock);
  /* Armed by the first RTP or RTCP packet: until it has sent RTP once,
   * rtpbin sends no RTCP either, so an end that joined muted with its
   * camera off is silent from the start, and so are two ends with nothing
   * to send at all. Once armed, RTCP keeps coming through any mute. */
  if (last == 0 || last > self->silent_since_us)
    {
      self->silent_since_us = last;
      self->silent_us = 0;
      return G_SOURCE_CONTINUE;
    }
  self->silent_us += MIN (step, MAX_SILENCE_STEP_US);
  if (self->silent_us < SILENCE_TIMEOUT_US)
    return G_SOURCE_CONTINUE;
  return connection_lost (self, "nothing received for 5 s");
}

void
lattice_peer_connection_stop_silence_watch (LatticePeerConnection *self)
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
  lattice_peer_connection_set_state (self, LATTICE_PEER_CONNECTION_STATE_FAILED);
  return G_SOURCE_REMOVE;
}

void
lattice_peer_connection_stop_connect_watch (LatticePeerConnection *self)
{
  if (self->connect_watch == NULL)
    return;
  g_source_destroy (self->connect_watch);
  g_clear_pointer (&self->connect_watch, g_source_unref);
}

void
lattice_peer_connection_watch_connect (LatticePeerConnection *self)
{
  self->connect_watch = g_timeout_source_new (self->connect_timeout_ms);
  g_source_set_callback (self->connect_watch, connect_overdue_cb, self, NULL);
  g_source_attach (self->connect_watch, self->context);
}

/* Watches while CONNECTED, from the moment it becomes so. */
void
lattice_peer_connection_watch_silence (LatticePeerConnection *self)
{
  if (self->state != LATTICE_PEER_CONNECTION_STATE_CONNECTED)
    {
      lattice_peer_connection_stop_silence_watch (self);
      return;
    }
  if (self->silence_watch != NULL)
    return;
  self->connected_us = g_get_monotonic_time ();
  self->last_check_us = 0;
  self->silent_us = 0;
  self->silent_since_us = 0;
  probe_transport (self);
  self->silence_watch = g_timeout_source_new (SILENCE_CHECK_US / 1000);
  g_source_set_callback (self->silence_watch, check_silence_cb, self, NULL);
  g_source_attach (self->silence_watch, self->context);
}

/* rtpbin sends RTCP every 5 s or so by default (2–6 s randomized): too
 * rare to tell silence from a muted peer quickly. Reports every second
 * cost a few hundred bytes a second. */
void
lattice_peer_connection_on_rtpbin_element_added (GstBin *rtpbin, GstElement *element, gpointer user_data)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "rtpsession"))
    g_object_set (element, "rtcp-min-interval", (guint64) RTCP_INTERVAL, NULL);
}
