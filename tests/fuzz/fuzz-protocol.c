/* fuzz-protocol.c: libFuzzer harness for the protocol codec
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Any text either side might send is parsed; whatever parses must survive
 * a trip through lattice_message_to_json() unchanged.
 */
#define G_LOG_DOMAIN "LatticeFuzz"

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lattice-protocol.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_round_trip (const char    *text,
                  gsize          size,
                  LatticeOrigin  origin)
{
  g_autoptr(LatticeMessage) message = NULL;
  g_autoptr(LatticeMessage) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *json_again = NULL;

  message = lattice_message_parse (text, size, origin, &error);
  if (message == NULL)
    {
      /* Every refusal carries a code to answer the sender with. */
      g_assert_true (error != NULL && error->domain == LATTICE_PROTOCOL_ERROR);
      g_assert_nonnull (lattice_protocol_error_to_code (error->code));
      return;
    }
  g_assert_no_error (error);

  json = lattice_message_to_json (message);
  g_assert_nonnull (json);
  g_assert_null (strchr (json, '\n'));

  again = lattice_message_parse (json, -1, origin, &error);
  if (again == NULL)
    g_error ("“%s” parsed, but its serialization “%s” did not: %s", text, json, error->message);
  g_assert_cmpint (again->type, ==, message->type);

  /* Serialization writes every field, so equal texts are equal messages. */
  json_again = lattice_message_to_json (again);
  g_assert_cmpstr (json_again, ==, json);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* The websocket hands over a buffer with a NUL after it; so do we. */
  g_autofree char *text = g_strndup ((const char *) data, size);

  check_round_trip (text, size, LATTICE_ORIGIN_CLIENT);
  check_round_trip (text, size, LATTICE_ORIGIN_SERVER);
  return 0;
}
