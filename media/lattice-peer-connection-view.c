/* lattice-peer-connection-view.c: how large each end shows the other's video
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A receiver tells the sender the size it displays the sender's video at,
 * and the sender sends no larger a layer than that needs. The request
 * travels in the connection's own RTCP, so it works while the signaling
 * server is away: an APP packet (RFC 3550, 6.7) named "LATV" that rides in
 * the compound packets rtpsession sends anyway (docs/PROTOCOL.md, "View
 * requests"):
 *
 *   APP, subtype 0, SSRC: the sender of the packet, name "LATV",
 *   data (8 bytes, network order):
 *     media SSRC (32 bits)  the video it is about; 0: the camera video
 *     width  (16 bits)      device pixels it is shown at; 0×0: not shown
 *     height (16 bits)
 *
 * A view is state, not an event: the packet goes in the next RTCP after a
 * change (an early one is asked for), again in the REPEATS after it in case
 * one is lost, and then every REFRESH_US. The last one received counts.
 * Endpoints that never send one (a browser) get what their link allows.
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <string.h>
#include <gst/rtp/rtp.h>

#include "lattice-peer-connection-private.h"
#include "lattice-view-request.h"

#define REPEATS           3
#define REFRESH_US        (5 * G_USEC_PER_SEC)
/* How soon after a change the early RTCP packet should leave. */
#define EARLY_DELAY       (20 * GST_MSECOND)

/* A change of the other end's view is taken at most this often. Each can
 * switch its layer and wake an idle encoder with a keyframe; an honest
 * receiver changes less often (its sizes settle first) and repeats each
 * view, so one ignored now arrives again. */
#define MIN_CHANGE_US     (250 * G_TIME_SPAN_MILLISECOND)

/* The SSRC this end sends RTCP with: the first packet's sender. */
static guint32
sender_ssrc (GstRTCPBuffer *rtcp)
{
  GstRTCPPacket packet;
  guint32 ssrc = 0;

  if (!gst_rtcp_buffer_get_first_packet (rtcp, &packet))
    return 0;
  switch (gst_rtcp_packet_get_type (&packet))
    {
    case GST_RTCP_TYPE_SR:
      gst_rtcp_packet_sr_get_sender_info (&packet, &ssrc, NULL, NULL, NULL, NULL);
      break;
    case GST_RTCP_TYPE_RR:
      ssrc = gst_rtcp_packet_rr_get_ssrc (&packet);
      break;
    case GST_RTCP_TYPE_RTPFB:
    case GST_RTCP_TYPE_PSFB:
      ssrc = gst_rtcp_packet_fb_get_sender_ssrc (&packet);
      break;
    default:
      break;
    }
  return ssrc;
}

static gboolean
append_view (GstBuffer *buffer,
             guint      width,
             guint      height)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gboolean added = FALSE;
  guint32 ssrc;

  if (!gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp))
    return FALSE;
  ssrc = sender_ssrc (&rtcp);
  if (ssrc != 0 && gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_APP, &packet))
    {
      gst_rtcp_packet_app_set_subtype (&packet, LATTICE_VIEW_APP_SUBTYPE);
      gst_rtcp_packet_app_set_ssrc (&packet, ssrc);
      gst_rtcp_packet_app_set_name (&packet, LATTICE_VIEW_APP_NAME);
      if (gst_rtcp_packet_app_set_data_length (&packet, LATTICE_VIEW_DATA_BYTES / 4))
        {
          lattice_view_request_write (gst_rtcp_packet_app_get_data (&packet), width, height);
          added = TRUE;
        }
      else
        gst_rtcp_packet_remove (&packet);
    }
  gst_rtcp_buffer_unmap (&rtcp);
  return added;
}

/* rtpsession's thread, before each RTCP packet leaves. */
static gboolean
on_sending_rtcp (GObject   *session,
                 GstBuffer *buffer,
                 gboolean   early,
                 gpointer   user_data)
{
  LatticePeerConnection *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean due;
  guint width, height;

  g_mutex_lock (&self->view_lock);
  due = self->view_set &&
        (self->view_repeats > 0 || now - self->view_sent_us >= REFRESH_US);
  width = self->view_width;
  height = self->view_height;
  g_mutex_unlock (&self->view_lock);
  if (!due || !append_view (buffer, width, height))
    return FALSE;

  g_mutex_lock (&self->view_lock);
  /* a change made meanwhile keeps its own repeats */
  if (self->view_width == width && self->view_height == height && self->view_repeats > 0)
    self->view_repeats--;
  self->view_sent_us = now;
  g_mutex_unlock (&self->view_lock);
  return TRUE;
}

static gboolean
emit_remote_view_cb (gpointer data)
{
  LatticePeerCall *call = data;
  LatticePeerConnection *self = call->peer;
  guint width = call->number >> 16, height = call->number & 0xffff;

  if (self->closed ||
      (self->remote_view_set && self->remote_view_width == width && self->remote_view_height == height))
    return G_SOURCE_REMOVE;
  self->remote_view_set = TRUE;
  self->remote_view_width = width;
  self->remote_view_height = height;
  g_debug ("Peer %s shows our video at %ux%u", self->id, width, height);
  lattice_peer_connection_emit_remote_view (self, width, height);
  return G_SOURCE_REMOVE;
}

/* rtpsession's thread, for every APP packet the other end sends. */
static void
on_app_rtcp (GObject    *session,
             guint       subtype,
             guint       ssrc,
             const char *name,
             GstBuffer  *data,
             gpointer    user_data)
{
  LatticePeerConnection *self = user_data;
  guint8 bytes[LATTICE_VIEW_DATA_BYTES];
  gsize size;
  guint width, height, packed;
  LatticePeerCall *call;
  gint64 now;

  size = data != NULL ? gst_buffer_extract (data, 0, bytes, sizeof bytes) : 0;
  if (!lattice_view_request_read (subtype, name, data != NULL ? bytes : NULL, size, &width, &height))
    return;
  packed = width << 16 | height;
  /* the same request comes every few seconds: hop only for a change (this
   * thread alone reads and writes these) */
  if (self->remote_view_seen && self->remote_view_packed == (gint) packed)
    return;
  now = g_get_monotonic_time ();
  if (self->remote_view_seen && now - self->remote_view_changed_us < MIN_CHANGE_US)
    return;
  self->remote_view_seen = TRUE;
  self->remote_view_packed = (gint) packed;
  self->remote_view_changed_us = now;
  call = lattice_peer_call_new (self);
  call->number = packed;
  lattice_peer_call_defer (self, emit_remote_view_cb, call);
}

void
lattice_peer_connection_on_rtpbin_session (GstBin     *rtpbin,
                                           GstElement *element,
                                           gpointer    user_data)
{
  LatticePeerConnection *self = user_data;
  GstElementFactory *factory = gst_element_get_factory (element);
  GObject *session = NULL;

  if (factory == NULL || !g_str_equal (GST_OBJECT_NAME (factory), "rtpsession"))
    return;
  g_object_get (element, "internal-session", &session, NULL);
  if (session == NULL)
    return;
  g_signal_connect (session, "on-sending-rtcp", G_CALLBACK (on_sending_rtcp), self);
  g_signal_connect (session, "on-app-rtcp", G_CALLBACK (on_app_rtcp), self);
  g_mutex_lock (&self->view_lock);
  /* bundled: one session carries audio and video */
  if (self->rtp_session == NULL)
    self->rtp_session = g_object_ref (session);
  g_mutex_unlock (&self->view_lock);
  g_object_unref (session);
}

void
lattice_peer_connection_stop_view (LatticePeerConnection *self)
{
  GObject *session;

  g_mutex_lock (&self->view_lock);
  session = g_steal_pointer (&self->rtp_session);
  g_mutex_unlock (&self->view_lock);
  if (session == NULL)
    return;
  g_signal_handlers_disconnect_by_data (session, self);
  g_object_unref (session);
}

void
lattice_peer_connection_set_view (LatticePeerConnection *self,
                                  guint                  width,
                                  guint                  height)
{
  GObject *session;

  g_return_if_fail (LATTICE_IS_PEER_CONNECTION (self));

  width = MIN (width, LATTICE_VIEW_MAX_SIDE);
  height = MIN (height, LATTICE_VIEW_MAX_SIDE);
  if (width == 0 || height == 0)
    width = height = 0;
  g_mutex_lock (&self->view_lock);
  if (self->view_set && self->view_width == width && self->view_height == height)
    {
      g_mutex_unlock (&self->view_lock);
      return;
    }
  self->view_set = TRUE;
  self->view_width = width;
  self->view_height = height;
  self->view_repeats = REPEATS;
  session = self->rtp_session ? g_object_ref (self->rtp_session) : NULL;
  g_mutex_unlock (&self->view_lock);

  g_debug ("Peer %s: asking for our view of %ux%u", self->id, width, height);
  if (session != NULL)
    {
      gboolean scheduled = FALSE;

      /* AVPF allows one early packet between the regular ones; if that
       * was used, the regular one (about a second) carries it. */
      g_signal_emit_by_name (session, "send-rtcp-full", (guint64) EARLY_DELAY, &scheduled);
      g_object_unref (session);
    }
}

gboolean
lattice_peer_connection_get_remote_view (LatticePeerConnection *self,
                                         guint                 *width,
                                         guint                 *height)
{
  g_return_val_if_fail (LATTICE_IS_PEER_CONNECTION (self), FALSE);

  if (width != NULL)
    *width = self->remote_view_width;
  if (height != NULL)
    *height = self->remote_view_height;
  return self->remote_view_set;
}
