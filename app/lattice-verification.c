/* lattice-verification.c: the code two participants read to each other
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each end knows its own DTLS certificate and the one the other end
 * presented in the handshake. A server in the middle has to present its own
 * certificates to both, so the two ends then hash different pairs and read
 * out different codes.
 */
#define G_LOG_DOMAIN "LatticeVerification"

#include "config.h"

#include <string.h>

#include "lattice-verification.h"

#define SHA256_HEX   64
/* Versioned, so a future change of the derivation cannot collide with this one. */
#define CODE_CONTEXT "lattice-verification-code-v1"

char *
lattice_verification_normalize_fingerprint (const char *fingerprint)
{
  g_autoptr(GString) hex = NULL;
  g_autofree char *stripped = NULL;
  const char *p;

  if (fingerprint == NULL)
    return NULL;
  stripped = g_strstrip (g_strdup (fingerprint));
  hex = g_string_sized_new (SHA256_HEX);
  for (p = stripped; *p != '\0'; p++)
    {
      /* colons only between pairs: "AB:CD", not "A:BCD" or "AB::CD" */
      if (*p == ':' && hex->len % 2 == 0 && hex->len > 0 && p[-1] != ':' && p[1] != '\0')
        continue;
      if (!g_ascii_isxdigit (*p))
        return NULL;
      g_string_append_c (hex, g_ascii_tolower (*p));
    }
  if (hex->len != SHA256_HEX)
    return NULL;
  return g_string_free (g_steal_pointer (&hex), FALSE);
}

char *
lattice_verification_code (const char *fingerprint_a,
                           const char *fingerprint_b)
{
  g_autofree char *a = lattice_verification_normalize_fingerprint (fingerprint_a);
  g_autofree char *b = lattice_verification_normalize_fingerprint (fingerprint_b);
  g_autoptr(GChecksum) checksum = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  guint64 value = 0;
  const char *first, *second;

  if (a == NULL || b == NULL)
    return NULL;
  /* sorted, so that "mine, theirs" on one end is "theirs, mine" on the other */
  first = strcmp (a, b) <= 0 ? a : b;
  second = first == a ? b : a;

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guchar *) CODE_CONTEXT, sizeof CODE_CONTEXT);
  g_checksum_update (checksum, (const guchar *) first, SHA256_HEX);
  g_checksum_update (checksum, (const guchar *) second, SHA256_HEX);
  g_checksum_get_digest (checksum, digest, &digest_len);

  /* 64 bits reduced to 12 digits: the bias is below 10⁻⁷, irrelevant */
  for (guint i = 0; i < 8; i++)
    value = (value << 8) | digest[i];
  value %= G_GUINT64_CONSTANT (1000000000000);
  return g_strdup_printf ("%03u %03u %03u %03u",
                          (guint) (value / 1000000000), (guint) (value / 1000000 % 1000),
                          (guint) (value / 1000 % 1000), (guint) (value % 1000));
}
