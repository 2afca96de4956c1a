/* test-verification.c: the verification code both ends of a call compute
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "lattice-verification.h"

#define FP_A "9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08"
#define FP_B "60:30:3A:E2:2B:99:86:1B:EC:B2:BA:7B:04:A6:E1:A0:0F:A6:21:F4:54:8B:4D:1A:6F:C4:EC:1D:F0:4C:68:28"
#define FP_C "2C:F2:4D:BA:5F:B0:A3:0E:26:E8:3B:2A:C5:B9:E2:9E:1B:16:1E:5C:1F:A7:42:5E:73:04:33:62:93:8B:98:24"

static void
assert_code_shape (const char *code)
{
  g_assert_nonnull (code);
  g_assert_cmpuint (strlen (code), ==, LATTICE_VERIFICATION_CODE_DIGITS + 3);
  for (guint i = 0; code[i] != '\0'; i++)
    {
      if (i % 4 == 3)
        g_assert_cmpint (code[i], ==, ' ');
      else
        g_assert_true (g_ascii_isdigit (code[i]));
    }
}

static void
test_symmetric (void)
{
  g_autofree char *ab = lattice_verification_code (FP_A, FP_B);
  g_autofree char *ba = lattice_verification_code (FP_B, FP_A);

  assert_code_shape (ab);
  g_assert_cmpstr (ab, ==, ba);
}

static void
test_stable (void)
{
  g_autofree char *code = lattice_verification_code (FP_A, FP_B);

  /* the derivation is part of the protocol: two versions must agree */
  g_assert_cmpstr (code, ==, "493 712 768 179");
}

static void
test_spellings (void)
{
  g_autofree char *upper = lattice_verification_code (FP_A, FP_B);
  g_autofree char *lower_a = g_ascii_strdown (FP_A, -1);
  g_autofree char *bare_b = g_strdup (FP_B);
  g_autofree char *padded = g_strdup_printf ("  %s\n", FP_A);
  g_autofree char *lower = NULL;
  g_autofree char *bare = NULL;
  g_autofree char *blank = NULL;
  char *out = bare_b;

  for (const char *in = FP_B; *in != '\0'; in++)
    if (*in != ':')
      *out++ = *in;
  *out = '\0';
  lower = lattice_verification_code (lower_a, FP_B);
  bare = lattice_verification_code (FP_A, bare_b);
  blank = lattice_verification_code (padded, FP_B);
  g_assert_cmpstr (upper, ==, lower);
  g_assert_cmpstr (upper, ==, bare);
  g_assert_cmpstr (upper, ==, blank);
}

static void
test_differs (void)
{
  g_autofree char *ab = lattice_verification_code (FP_A, FP_B);
  g_autofree char *ac = lattice_verification_code (FP_A, FP_C);
  g_autofree char *cb = lattice_verification_code (FP_C, FP_B);

  /* what each end sees with a server in the middle: A–C and C–B */
  g_assert_cmpstr (ab, !=, ac);
  g_assert_cmpstr (ab, !=, cb);
  g_assert_cmpstr (ac, !=, cb);
}

static void
test_invalid (void)
{
  static const char *const bad[] = {
    NULL,
    "",
    "9F:86",                                     /* too short */
    FP_A ":00",                                  /* too long */
    "sha-256 " FP_A,                             /* the algorithm is not part of it */
    "9G:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08",
    "9F::86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08",
    ":9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08",
    "9:F86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *normalized = lattice_verification_normalize_fingerprint (bad[i]);
      g_autofree char *code = lattice_verification_code (bad[i], FP_B);
      g_autofree char *reversed = lattice_verification_code (FP_B, bad[i]);

      g_assert_null (normalized);
      g_assert_null (code);
      g_assert_null (reversed);
    }
}

static void
test_normalize (void)
{
  g_autofree char *n = lattice_verification_normalize_fingerprint (FP_A);

  g_assert_cmpstr (n, ==, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/verification/symmetric", test_symmetric);
  g_test_add_func ("/verification/stable", test_stable);
  g_test_add_func ("/verification/spellings", test_spellings);
  g_test_add_func ("/verification/differs", test_differs);
  g_test_add_func ("/verification/invalid", test_invalid);
  g_test_add_func ("/verification/normalize", test_normalize);
  return g_test_run ();
}
