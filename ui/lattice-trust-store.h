/* lattice-trust-store.h: servers the user chose to trust, by fingerprint
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A self-signed server (someone's "Host a room") is trusted only through
 * an explicit decision (docs/PROTOCOL.md, "Trust"). The decision is kept
 * in the "trusted-certificates" key, "host:port" → "sha256:…", so a link
 * without a pin to that server is pinned before joining.
 */
#pragma once

#include <gio/gio.h>
#include "lattice-link.h"

G_BEGIN_DECLS

/* "host:port", IPv6 addresses in brackets: the key of a server. */
char    *lattice_trust_store_key      (const char *host,
                                       guint       port);
/* The fingerprint trusted for @host:@port, or NULL. */
char    *lattice_trust_store_lookup   (GSettings  *settings,
                                       const char *host,
                                       guint       port);
/* Trusts @fingerprint (a valid one) for @host:@port, replacing any other. */
void     lattice_trust_store_remember (GSettings  *settings,
                                       const char *host,
                                       guint       port,
                                       const char *fingerprint);
/* Pins a TLS @link without a pin to the fingerprint trusted for its
 * server, if any; TRUE when it did. */
gboolean lattice_trust_store_pin_link (GSettings   *settings,
                                       LatticeLink *link);

G_END_DECLS
