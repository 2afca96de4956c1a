/* lattice-trust-store.c: servers the user chose to trust, by fingerprint
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include <string.h>

#include "lattice-trust-store.h"

#define TRUST_KEY "trusted-certificates"

char *
lattice_trust_store_key (const char *host,
                         guint       port)
{
  g_return_val_if_fail (host != NULL, NULL);

  /* brackets keep an IPv6 address apart from the port, as in a URI */
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

char *
lattice_trust_store_lookup (GSettings  *settings,
                            const char *host,
                            guint       port)
{
  g_autoptr(GVariant) trusted = NULL;
  g_autofree char *key = NULL;
  const char *fingerprint = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (host != NULL, NULL);

  key = lattice_trust_store_key (host, port);
  trusted = g_settings_get_value (settings, TRUST_KEY);
  if (!g_variant_lookup (trusted, key, "&s", &fingerprint))
    return NULL;
  /* a hand-edited value must not become a pin the link code refuses */
  if (!lattice_fingerprint_is_valid (fingerprint))
    {
      g_warning ("Ignoring the damaged trusted fingerprint of %s", key);
      return NULL;
    }
  return g_strdup (fingerprint);
}

void
lattice_trust_store_remember (GSettings  *settings,
                              const char *host,
                              guint       port,
                              const char *fingerprint)
{
  g_autoptr(GVariant) trusted = NULL;
  g_autofree char *key = NULL;
  GVariantBuilder builder;
  GVariantIter iter;
  const char *k, *v;

  g_return_if_fail (G_IS_SETTINGS (settings));
  g_return_if_fail (host != NULL);
  g_return_if_fail (lattice_fingerprint_is_valid (fingerprint));

  key = lattice_trust_store_key (host, port);
  trusted = g_settings_get_value (settings, TRUST_KEY);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  g_variant_iter_init (&iter, trusted);
  while (g_variant_iter_next (&iter, "{&s&s}", &k, &v))
    if (!g_str_equal (k, key))
      g_variant_builder_add (&builder, "{ss}", k, v);
  g_variant_builder_add (&builder, "{ss}", key, fingerprint);
  g_settings_set_value (settings, TRUST_KEY, g_variant_builder_end (&builder));
}

gboolean
lattice_trust_store_pin_link (GSettings   *settings,
                              LatticeLink *link)
{
  g_autofree char *fingerprint = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), FALSE);
  g_return_val_if_fail (link != NULL, FALSE);

  /* a pin in the link is the inviter's word and wins over ours */
  if (!link->tls || link->fingerprint != NULL)
    return FALSE;
  fingerprint = lattice_trust_store_lookup (settings, link->host, link->port);
  if (fingerprint == NULL)
    return FALSE;
  lattice_link_set_fingerprint (link, fingerprint);
  return TRUE;
}
