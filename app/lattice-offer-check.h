/* lattice-offer-check.h: what a participant's offer may ask of this one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Offers over this size are refused unread: Lattice's own are under
 * 8 KiB, a browser's with four media sections about 12 KiB. */
#define LATTICE_OFFER_MAX_SIZE (32 * 1024)

/* Whether webrtcbin may be given @sdp, an offer from another participant.
 * Refused, before anything is built for it: more media sections than
 * Lattice negotiates (LATTICE_PEER_CONNECTION_MAX_MLINES), a media
 * section outside the BUNDLE group or no BUNDLE group (each unbundled
 * section would cost its own ICE agent stream, sockets and threads), and
 * anything over LATTICE_OFFER_MAX_SIZE. On refusal returns the reject
 * code to answer with (LATTICE_REJECT_*) and sets @reason to an English
 * sentence for the sender and the log. */
const char *lattice_offer_check (const char  *sdp,
                                 char       **reason);

/* Offers one participant may send within LATTICE_OFFER_WINDOW_S; more get
 * a "slow-down" reject, and every offer of that participant is ignored for
 * LATTICE_OFFER_PENALTY_S. A rebuild after a failure or a rejoin is one
 * offer; crossing offers two. */
#define LATTICE_OFFER_MAX_IN_WINDOW 4
#define LATTICE_OFFER_WINDOW_S      10
#define LATTICE_OFFER_PENALTY_S     10

typedef struct {
  gint64 times_us[LATTICE_OFFER_MAX_IN_WINDOW];  /* the latest offers, oldest first */
  guint  n_times;
  gint64 ignore_until_us;
} LatticeOfferRate;

typedef enum {
  LATTICE_OFFER_RATE_OK,
  LATTICE_OFFER_RATE_SLOW_DOWN,  /* too many: reject this one, ignore the next */
  LATTICE_OFFER_RATE_IGNORE,     /* within a penalty: drop it silently */
} LatticeOfferRateVerdict;

/* Counts an offer arriving at @now_us. */
LatticeOfferRateVerdict lattice_offer_rate_check (LatticeOfferRate *rate,
                                                  gint64            now_us);

G_END_DECLS
