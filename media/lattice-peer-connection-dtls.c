/* lattice-peer-connection-dtls.c: is the other end the one its description announced?
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <gio/gio.h>

#include "lattice-media-private.h"
#include "lattice-peer-connection-private.h"

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
void
lattice_peer_connection_remember_fingerprints (LatticePeerConnection *self, const GstSDPMessage *sdp)
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
      lattice_peer_connection_set_state (self, LATTICE_PEER_CONNECTION_STATE_FAILED);
      return;
    }
  lattice_peer_connection_set_fingerprints (self, g_steal_pointer (&local),
                                            g_steal_pointer (&remote));
}

static gboolean
read_fingerprints_cb (gpointer data)
{
  LatticePeerCall *call = data;

  peer_read_fingerprints (call->peer);
  return G_SOURCE_REMOVE;
}

/* The DTLS transport's state changed (a DTLS thread). */
static void
on_dtls_state (GObject *dtls, GParamSpec *pspec, gpointer user_data)
{
  lattice_peer_call_defer (LATTICE_PEER_CONNECTION (user_data), read_fingerprints_cb, lattice_peer_call_new (user_data));
}

/* ICE is connected: the bundle's one DTLS transport exists. */
void
lattice_peer_connection_watch_dtls (LatticePeerConnection *self)
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
