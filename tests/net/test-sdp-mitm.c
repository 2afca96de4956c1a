/* test-sdp-mitm.c: the test server's fingerprint forgery
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "lattice-sdp-mitm.h"

#define FP "9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08"

static const char sdp[] =
  "v=0\r\n"
  "o=- 1 0 IN IP4 0.0.0.0\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=fingerprint:sha-256 " FP "\r\n"
  "a=group:BUNDLE video0 audio1\r\n"
  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
  "a=fingerprint:sha-256 " FP "\r\n"
  "a=setup:actpass\r\n"
  "m=audio 9 UDP/TLS/RTP/SAVPF 97\r\n"
  "a=fingerprint:sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\r\n"
  "a=mid:audio1\r\n";

/* The value of each fingerprint line, in order. */
static GPtrArray *
fingerprints (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "a=fingerprint:"))
      g_ptr_array_add (values, g_strdup (lines[i] + strlen ("a=fingerprint:")));
  return values;
}

static void
assert_valid_looking (const char *original,
                      const char *forged)
{
  const char *algorithm_end = strchr (original, ' ');

  /* same algorithm, same shape: only the hex digits changed, every one */
  g_assert_cmpuint (strlen (forged), ==, strlen (original));
  g_assert_cmpint (strncmp (original, forged, algorithm_end - original + 1), ==, 0);
  for (const char *o = algorithm_end + 1, *f = forged + (algorithm_end - original) + 1; *o != '\0'; o++, f++)
    {
      if (*o == ':' || *o == '\r')
        {
          g_assert_cmpint (*f, ==, *o);
          continue;
        }
      g_assert_true (g_ascii_isxdigit (*f));
      g_assert_false (g_ascii_isxdigit (*f) && g_ascii_tolower (*f) == g_ascii_tolower (*o));
    }
}

static void
test_rewrites_every_fingerprint (void)
{
  g_autofree char *forged = lattice_sdp_mitm_rewrite_fingerprints (sdp);
  g_autoptr(GPtrArray) before = fingerprints (sdp);
  g_autoptr(GPtrArray) after = fingerprints (forged);

  g_assert_cmpuint (before->len, ==, 3);
  g_assert_cmpuint (after->len, ==, before->len);
  for (guint i = 0; i < before->len; i++)
    assert_valid_looking (g_ptr_array_index (before, i), g_ptr_array_index (after, i));
  /* a consistent forgery: the same fingerprint maps to the same forgery */
  g_assert_cmpstr (g_ptr_array_index (after, 0), ==, g_ptr_array_index (after, 1));
}

static void
test_keeps_the_rest (void)
{
  g_autofree char *forged = lattice_sdp_mitm_rewrite_fingerprints (sdp);
  g_auto(GStrv) lines_before = g_strsplit (sdp, "\n", -1);
  g_auto(GStrv) lines_after = g_strsplit (forged, "\n", -1);

  g_assert_cmpuint (strlen (forged), ==, strlen (sdp));
  g_assert_cmpuint (g_strv_length (lines_after), ==, g_strv_length (lines_before));
  for (guint i = 0; lines_before[i] != NULL; i++)
    if (!g_str_has_prefix (lines_before[i], "a=fingerprint:"))
      g_assert_cmpstr (lines_after[i], ==, lines_before[i]);
}

static void
test_edge_cases (void)
{
  static const char *const unchanged[] = {
    "",
    "v=0\n",
    "a=fingerprint:\r\n",          /* nothing to forge */
    "a=fingerprint:sha-256\n",     /* no value */
    "a=setup:active",
  };

  for (guint i = 0; i < G_N_ELEMENTS (unchanged); i++)
    {
      g_autofree char *out = lattice_sdp_mitm_rewrite_fingerprints (unchanged[i]);

      g_assert_cmpstr (out, ==, unchanged[i]);
    }
  {
    /* no end of line after the last one, and bare \n endings */
    g_autofree char *out = lattice_sdp_mitm_rewrite_fingerprints ("v=0\na=fingerprint:sha-256 " FP);

    g_assert_true (g_str_has_prefix (out, "v=0\na=fingerprint:sha-256 "));
    assert_valid_looking ("sha-256 " FP, out + strlen ("v=0\na=fingerprint:"));
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sdp-mitm/rewrites-every-fingerprint", test_rewrites_every_fingerprint);
  g_test_add_func ("/sdp-mitm/keeps-the-rest", test_keeps_the_rest);
  g_test_add_func ("/sdp-mitm/edge-cases", test_edge_cases);
  return g_test_run ();
}
