/* lattice-sdp-mitm.c: TEST ONLY — what a malicious signaling server would do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeServer"

#include "config.h"

#include <string.h>

#include "lattice-sdp-mitm.h"

#define FINGERPRINT_PREFIX "a=fingerprint:"

/* Hex pairs derived from @value, as many as it has, none the same as in
 * @value at the same place: a forged fingerprint that still parses. */
static void
append_forged (GString    *out,
               const char *value,
               gsize       length)
{
  g_autofree char *hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                       (const guchar *) value, length);
  gsize hash_len = strlen (hash);

  for (gsize i = 0, h = 0; i < length; i++)
    {
      char c = value[i];

      if (g_ascii_isxdigit (c))
        {
          char forged = g_ascii_toupper (hash[h++ % hash_len]);

          /* never the digit it replaces */
          if (forged == g_ascii_toupper (c))
            forged = forged == '0' ? '1' : '0';
          g_string_append_c (out, forged);
        }
      else
        {
          g_string_append_c (out, c);
        }
    }
}

/* One line, without its end of line. */
static void
rewrite_line (GString    *out,
              const char *line,
              gsize       length)
{
  const char *space;

  if (length <= strlen (FINGERPRINT_PREFIX) ||
      g_ascii_strncasecmp (line, FINGERPRINT_PREFIX, strlen (FINGERPRINT_PREFIX)) != 0 ||
      (space = memchr (line, ' ', length)) == NULL)
    {
      g_string_append_len (out, line, length);
      return;
    }
  space++;
  g_string_append_len (out, line, space - line);
  append_forged (out, space, length - (space - line));
}

char *
lattice_sdp_mitm_rewrite_fingerprints (const char *sdp)
{
  GString *out;
  const char *line;

  g_return_val_if_fail (sdp != NULL, NULL);

  out = g_string_sized_new (strlen (sdp));
  for (line = sdp; *line != '\0';)
    {
      const char *end = strchr (line, '\n');
      gsize length = end != NULL ? (gsize) (end - line) : strlen (line);
      gsize content = length;

      if (content > 0 && line[content - 1] == '\r')
        content--;
      rewrite_line (out, line, content);
      g_string_append_len (out, line + content, length - content);
      if (end == NULL)
        break;
      g_string_append_c (out, '\n');
      line = end + 1;
    }
  return g_string_free (out, FALSE);
}
