/* lattice-offer-check.c: what a participant's offer may ask of this one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeCall"

#include "config.h"

#include <string.h>
#include <gst/sdp/sdp.h>

#include "lattice-offer-check.h"
#include "lattice-peer-connection.h"
#include "lattice-protocol.h"

/* The mids of the first a=group:BUNDLE, or NULL. */
static GStrv
bundle_mids (const GstSDPMessage *message)
{
  for (guint i = 0; i < gst_sdp_message_attributes_len (message); i++)
    {
      const GstSDPAttribute *attr = gst_sdp_message_get_attribute (message, i);

      if (g_strcmp0 (attr->key, "group") == 0 && attr->value != NULL &&
          g_str_has_prefix (attr->value, "BUNDLE "))
        return g_strsplit_set (attr->value + strlen ("BUNDLE "), " ", -1);
    }
  return NULL;
}

const char *
lattice_offer_check (const char  *sdp,
                     char       **reason)
{
  g_autoptr(GstSDPMessage) message = NULL;
  g_auto(GStrv) mids = NULL;
  gsize size;
  guint n_media;

  g_return_val_if_fail (sdp != NULL, NULL);
  g_return_val_if_fail (reason != NULL && *reason == NULL, NULL);

  size = strlen (sdp);
  if (size > LATTICE_OFFER_MAX_SIZE)
    {
      *reason = g_strdup_printf ("The offer is %zu bytes, over the %u this participant takes",
                                 size, LATTICE_OFFER_MAX_SIZE);
      return LATTICE_REJECT_TOO_LARGE;
    }
  /* Unparsable text is webrtcbin's to refuse, with the usual error. */
  if (size == 0 || gst_sdp_message_new_from_text (sdp, &message) != GST_SDP_OK)
    return NULL;
  n_media = gst_sdp_message_medias_len (message);
  if (n_media > LATTICE_PEER_CONNECTION_MAX_MLINES)
    {
      *reason = g_strdup_printf ("The offer has %u media sections; Lattice takes at most %u",
                                 n_media, LATTICE_PEER_CONNECTION_MAX_MLINES);
      return LATTICE_REJECT_UNSUPPORTED;
    }
  mids = bundle_mids (message);
  if (n_media > 0 && mids == NULL)
    {
      *reason = g_strdup ("The offer has no BUNDLE group; Lattice bundles all media");
      return LATTICE_REJECT_UNSUPPORTED;
    }
  for (guint i = 0; i < n_media; i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (message, i);
      const char *mid = gst_sdp_media_get_attribute_val (media, "mid");

      if (mid == NULL || !g_strv_contains ((const char *const *) mids, mid))
        {
          *reason = g_strdup_printf ("Media section %u of the offer is not in its BUNDLE group", i);
          return LATTICE_REJECT_UNSUPPORTED;
        }
    }
  return NULL;
}

LatticeOfferRateVerdict
lattice_offer_rate_check (LatticeOfferRate *rate,
                          gint64            now_us)
{
  g_return_val_if_fail (rate != NULL, LATTICE_OFFER_RATE_IGNORE);

  if (now_us < rate->ignore_until_us)
    return LATTICE_OFFER_RATE_IGNORE;
  if (rate->n_times == LATTICE_OFFER_MAX_IN_WINDOW &&
      now_us - rate->times_us[0] < LATTICE_OFFER_WINDOW_S * G_USEC_PER_SEC)
    {
      rate->ignore_until_us = now_us + LATTICE_OFFER_PENALTY_S * G_USEC_PER_SEC;
      rate->n_times = 0;
      return LATTICE_OFFER_RATE_SLOW_DOWN;
    }
  if (rate->n_times == LATTICE_OFFER_MAX_IN_WINDOW)
    {
      memmove (rate->times_us, rate->times_us + 1, (LATTICE_OFFER_MAX_IN_WINDOW - 1) * sizeof (gint64));
      rate->n_times--;
    }
  rate->times_us[rate->n_times++] = now_us;
  return LATTICE_OFFER_RATE_OK;
}
