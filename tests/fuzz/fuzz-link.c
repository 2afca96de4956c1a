/* fuzz-link.c: libFuzzer harness for room links
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whatever parses as a link prints as a link that parses to the same
 * thing, in both printed forms.
 */
#define G_LOG_DOMAIN "LatticeFuzz"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "lattice-link.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
assert_same_link (const LatticeLink *a,
                  const LatticeLink *b)
{
  g_assert_cmpstr (a->host, ==, b->host);
  g_assert_cmpuint (a->port, ==, b->port);
  g_assert_cmpstr (a->room, ==, b->room);
  g_assert_cmpint (a->tls, ==, b->tls);
  g_assert_cmpstr (a->ws_uri, ==, b->ws_uri);
}

static void
check_reparses (const LatticeLink *link,
                const char        *printed)
{
  g_autoptr(LatticeLink) again = NULL;
  g_autoptr(GError) error = NULL;

  again = lattice_link_parse (printed, &error);
  if (again == NULL)
    g_error ("printed link “%s” does not parse: %s", printed, error->message);
  assert_same_link (link, again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  g_autoptr(LatticeLink) link = NULL;
  g_autoptr(LatticeLink) copy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *printed = NULL;
  g_autofree char *web = NULL;

  /* The API takes a C string: an embedded NUL ends it. */
  text = g_strndup ((const char *) data, size);
  link = lattice_link_parse (text, &error);
  if (link == NULL)
    {
      g_assert_true (error != NULL && error->domain == LATTICE_LINK_ERROR);
      return 0;
    }
  g_assert_no_error (error);
  g_assert_true (lattice_room_name_is_valid (link->room));

  printed = lattice_link_to_string (link);
  check_reparses (link, printed);
  web = lattice_link_to_web_uri (link);
  check_reparses (link, web);

  copy = lattice_link_copy (link);
  assert_same_link (link, copy);
  return 0;
}
