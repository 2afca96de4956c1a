/* lattice-sdp-mitm.h: TEST ONLY — what a malicious signaling server would do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lattice-server --test-mitm-fingerprints relays offers and answers through
 * this, to prove that participants notice (docs/PROTOCOL.md, "Trust").
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @sdp with the value of every "a=fingerprint:ALGORITHM VALUE" line
 * replaced by another fingerprint of the same algorithm and length (hex
 * pairs, colon-separated), different from the original. Everything else,
 * line endings included, is unchanged. */
char *lattice_sdp_mitm_rewrite_fingerprints (const char *sdp);

G_END_DECLS
