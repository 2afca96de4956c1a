/* test-offer-check.c: which offers from another participant are taken
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <gst/gst.h>

#include "lattice-offer-check.h"
#include "lattice-protocol.h"

/* An offer shaped like Lattice's own: @n_media sections, all bundled when
 * @bundle, or all but the last when @bundle_all_but_last. */
static char *
make_offer (guint    n_media,
            gboolean bundle,
            gboolean bundle_all_but_last)
{
  GString *sdp = g_string_new ("v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");

  if (bundle)
    {
      g_string_append (sdp, "a=group:BUNDLE");
      for (guint i = 0; i < n_media - (bundle_all_but_last ? 1 : 0); i++)
        g_string_append_printf (sdp, " %u", i);
      g_string_append (sdp, "\r\n");
    }
  for (guint i = 0; i < n_media; i++)
    g_string_append_printf (sdp, "m=%s 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:%u\r\n"
                                 "a=rtpmap:96 %s\r\na=sendrecv\r\n",
                            i % 2 ? "audio" : "video", i, i % 2 ? "OPUS/48000/2" : "VP8/90000");
  return g_string_free (sdp, FALSE);
}

static const char *
check (const char *sdp)
{
  g_autofree char *reason = NULL;
  const char *code = lattice_offer_check (sdp, &reason);

  g_assert_true ((code == NULL) == (reason == NULL));
  if (code != NULL)
    g_test_message ("%s: %s", code, reason);
  return code;
}

static void
test_shapes (void)
{
  g_autofree char *two = make_offer (2, TRUE, FALSE);
  g_autofree char *four = make_offer (4, TRUE, FALSE);
  g_autofree char *five = make_offer (5, TRUE, FALSE);
  g_autofree char *many = make_offer (133, FALSE, FALSE);
  g_autofree char *unbundled = make_offer (2, FALSE, FALSE);
  g_autofree char *half = make_offer (3, TRUE, TRUE);

  g_assert_null (check (two));
  g_assert_null (check (four));
  g_assert_cmpstr (check (five), ==, LATTICE_REJECT_UNSUPPORTED);
  g_assert_cmpstr (check (unbundled), ==, LATTICE_REJECT_UNSUPPORTED);
  g_assert_cmpstr (check (half), ==, LATTICE_REJECT_UNSUPPORTED);
  /* the remote crash: 133 unbundled sections, 58 KB */
  g_assert_cmpuint (strlen (many), >, LATTICE_OFFER_MAX_SIZE / 4);
  g_assert_cmpstr (check (many), ==, LATTICE_REJECT_UNSUPPORTED);
  /* garbage is webrtcbin's to refuse, with its own error */
  g_assert_null (check ("not an sdp at all"));
  g_assert_null (check (""));
}

static void
test_size (void)
{
  g_autofree char *offer = make_offer (2, TRUE, FALSE);
  g_autoptr(GString) big = g_string_new (offer);

  while (big->len <= LATTICE_OFFER_MAX_SIZE)
    g_string_append (big, "a=x-padding:0123456789012345678901234567890123456789\r\n");
  g_assert_cmpstr (check (big->str), ==, LATTICE_REJECT_TOO_LARGE);
}

static void
test_rate (void)
{
  LatticeOfferRate rate = { 0 };
  gint64 t = 1000 * G_USEC_PER_SEC;
  const gint64 s = G_USEC_PER_SEC;

  /* a rebuild every few seconds is fine, forever */
  for (guint i = 0; i < 20; i++)
    g_assert_cmpint (lattice_offer_rate_check (&rate, t += 3 * s), ==, LATTICE_OFFER_RATE_OK);
  /* a storm: four are taken in the window, the fifth is told off … */
  t += 60 * s;
  for (guint i = 0; i < LATTICE_OFFER_MAX_IN_WINDOW; i++)
    g_assert_cmpint (lattice_offer_rate_check (&rate, t += s / 10), ==, LATTICE_OFFER_RATE_OK);
  g_assert_cmpint (lattice_offer_rate_check (&rate, t += s / 10), ==, LATTICE_OFFER_RATE_SLOW_DOWN);
  /* … and the rest ignored for the penalty, however many */
  for (guint i = 0; i < 95; i++)
    g_assert_cmpint (lattice_offer_rate_check (&rate, t += s / 10), ==, LATTICE_OFFER_RATE_IGNORE);
  /* then offers are taken again */
  t += LATTICE_OFFER_PENALTY_S * s;
  g_assert_cmpint (lattice_offer_rate_check (&rate, t), ==, LATTICE_OFFER_RATE_OK);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/offer-check/shapes", test_shapes);
  g_test_add_func ("/offer-check/size", test_size);
  g_test_add_func ("/offer-check/rate", test_rate);
  return g_test_run ();
}
