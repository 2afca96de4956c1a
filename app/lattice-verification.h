/* lattice-verification.h: the code two participants read to each other
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Digits in a verification code: four groups of three ("123 456 789 012"),
 * about 40 bits. README.md ("Verifying a call") says why so many. */
#define LATTICE_VERIFICATION_CODE_DIGITS 12

/* Normalizes a SHA-256 fingerprint: 64 hex digits, optionally in colon-separated
 * pairs ("AB:CD:…", as in SDP), case-insensitive, blanks around it ignored.
 * Returns 64 lower-case hex digits, or NULL if @fingerprint is not one. */
char *lattice_verification_normalize_fingerprint (const char *fingerprint);

/* The code for a connection between the certificates @fingerprint_a and
 * @fingerprint_b (SHA-256, any form normalize accepts). Symmetric: both
 * ends get the same code whichever they call local. NULL if either is not
 * a SHA-256 fingerprint. */
char *lattice_verification_code (const char *fingerprint_a,
                                 const char *fingerprint_b);

G_END_DECLS
