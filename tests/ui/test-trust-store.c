/* test-trust-store.c: remembered trust in self-signed servers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs with GSETTINGS_BACKEND=memory and the schema of the build tree.
 */
#include "config.h"

#include "lattice-settings.h"
#include "lattice-trust-store.h"

#define FP_A "sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
#define FP_B "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static GSettings *
fresh_settings (void)
{
  GSettings *settings = g_settings_new (LATTICE_SETTINGS_SCHEMA);

  g_settings_reset (settings, "trusted-certificates");
  return settings;
}

static void
test_key (void)
{
  g_autofree char *v4 = lattice_trust_store_key ("192.168.1.20", 8787);
  g_autofree char *v6 = lattice_trust_store_key ("fe80::1", 443);

  g_assert_cmpstr (v4, ==, "192.168.1.20:8787");
  g_assert_cmpstr (v6, ==, "[fe80::1]:443");
}

static void
test_remember_lookup (void)
{
  g_autoptr(GSettings) settings = fresh_settings ();
  g_autoptr(GVariant) stored = NULL;
  char *fp;

  g_assert_true (lattice_fingerprint_is_valid (FP_A));
  g_assert_true (lattice_fingerprint_is_valid (FP_B));
  g_assert_null (lattice_trust_store_lookup (settings, "192.168.1.20", 8787));

  lattice_trust_store_remember (settings, "192.168.1.20", 8787, FP_A);
  lattice_trust_store_remember (settings, "example.org", 443, FP_B);
  fp = lattice_trust_store_lookup (settings, "192.168.1.20", 8787);
  g_assert_cmpstr (fp, ==, FP_A);
  g_free (fp);
  /* per host AND port */
  g_assert_null (lattice_trust_store_lookup (settings, "192.168.1.20", 8788));
  g_assert_null (lattice_trust_store_lookup (settings, "192.168.1.21", 8787));

  /* a new decision replaces the old one, the others stay */
  lattice_trust_store_remember (settings, "192.168.1.20", 8787, FP_B);
  fp = lattice_trust_store_lookup (settings, "192.168.1.20", 8787);
  g_assert_cmpstr (fp, ==, FP_B);
  g_free (fp);
  stored = g_settings_get_value (settings, "trusted-certificates");
  g_assert_cmpuint (g_variant_n_children (stored), ==, 2);
  fp = lattice_trust_store_lookup (settings, "example.org", 443);
  g_assert_cmpstr (fp, ==, FP_B);
  g_free (fp);
}

static void
test_damaged_value (void)
{
  g_autoptr(GSettings) settings = fresh_settings ();
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&builder, "{ss}", "example.org:443", "sha256:nope");
  g_settings_set_value (settings, "trusted-certificates", g_variant_builder_end (&builder));

  g_test_expect_message ("LatticeUi", G_LOG_LEVEL_WARNING, "*damaged*");
  g_assert_null (lattice_trust_store_lookup (settings, "example.org", 443));
  g_test_assert_expected_messages ();
}

static void
test_pin_link (void)
{
  g_autoptr(GSettings) settings = fresh_settings ();
  g_autoptr(LatticeLink) plain = lattice_link_parse ("lattice://192.168.1.20:8787/room", NULL);
  g_autoptr(LatticeLink) pinned = lattice_link_parse ("lattice://192.168.1.20:8787/room?fp=" FP_B, NULL);
  g_autoptr(LatticeLink) no_tls = lattice_link_parse ("http://192.168.1.20:8787/room", NULL);
  g_autoptr(LatticeLink) other = lattice_link_parse ("lattice://192.168.1.20/room", NULL);
  g_autofree char *text = NULL;

  g_assert_false (lattice_trust_store_pin_link (settings, plain));
  g_assert_null (plain->fingerprint);

  lattice_trust_store_remember (settings, "192.168.1.20", 8787, FP_A);
  g_assert_true (lattice_trust_store_pin_link (settings, plain));
  g_assert_cmpstr (plain->fingerprint, ==, FP_A);
  text = lattice_link_to_string (plain);
  g_assert_cmpstr (text, ==, "lattice://192.168.1.20:8787/room?fp=" FP_A);

  /* the link's own pin wins; no pin without TLS; another port is another server */
  g_assert_false (lattice_trust_store_pin_link (settings, pinned));
  g_assert_cmpstr (pinned->fingerprint, ==, FP_B);
  g_assert_false (lattice_trust_store_pin_link (settings, no_tls));
  g_assert_null (no_tls->fingerprint);
  g_assert_false (lattice_trust_store_pin_link (settings, other));
  g_assert_null (other->fingerprint);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/trust-store/key", test_key);
  g_test_add_func ("/ui/trust-store/remember-lookup", test_remember_lookup);
  g_test_add_func ("/ui/trust-store/damaged-value", test_damaged_value);
  g_test_add_func ("/ui/trust-store/pin-link", test_pin_link);
  return g_test_run ();
}
