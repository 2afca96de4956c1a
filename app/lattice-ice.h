/* lattice-ice.h: ICE server URIs, from the protocol's form to webrtcbin's
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "stun:HOST[:PORT]" → "stun://HOST:PORT"; "turn:HOST[:PORT][?transport=…]"
 * with credentials → "turn://USER:PASS@HOST:PORT[?transport=…]" (turns: →
 * turns://), user and password percent-encoded. NULL for anything else. */
char *lattice_ice_uri_to_gst (const char *uri,
                              const char *username,
                              const char *credential);

G_END_DECLS
