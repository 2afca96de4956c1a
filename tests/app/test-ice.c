/* test-ice.c: protocol ICE URIs become webrtcbin's
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "lattice-ice.h"

static void
test_conversions (void)
{
  static const struct {
    const char *uri, *user, *pass, *expected;
  } cases[] = {
    { "stun:stun.example.org", NULL, NULL, "stun://stun.example.org:3478" },
    { "stun:stun.example.org:19302", NULL, NULL, "stun://stun.example.org:19302" },
    { "stun://127.0.0.1:3478", NULL, NULL, "stun://127.0.0.1:3478" },
    { "stun:[::1]:3478", NULL, NULL, "stun://[::1]:3478" },
    { "turn:turn.example.org:3478?transport=udp", "ada", "secret",
      "turn://ada:secret@turn.example.org:3478?transport=udp" },
    /* coturn's time-limited user names hold a colon; it must not split them */
    { "turn:127.0.0.1", "1700000000:3f9a0c1d2b4e5f60", "a+b/c=",
      "turn://1700000000%3A3f9a0c1d2b4e5f60:a%2Bb%2Fc%3D@127.0.0.1:3478" },
    { "turns:turn.example.org", "u", "p", "turns://u:p@turn.example.org:5349" },
    /* a TURN server without credentials cannot be used */
    { "turn:turn.example.org", NULL, NULL, NULL },
    { "http://example.org", NULL, NULL, NULL },
    { "stun:", NULL, NULL, NULL },
    { "stun:host:0", NULL, NULL, NULL },
    { "stun:host:99999", NULL, NULL, NULL },
    { "stun:user@host", NULL, NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *result = lattice_ice_uri_to_gst (cases[i].uri, cases[i].user, cases[i].pass);

      g_test_message ("%s", cases[i].uri);
      g_assert_cmpstr (result, ==, cases[i].expected);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ice/conversions", test_conversions);
  return g_test_run ();
}
