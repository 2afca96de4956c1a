/* test-participant.c: LatticeParticipant's properties and notifications
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "lattice-participant.h"
#include "lattice-app-enums.h"

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
test_initials (void)
{
  static const struct { const char *name; const char *initials; } cases[] = {
    { "Ada Lovelace", "AL" },
    { "Ada King Lovelace", "AL" },
    { "grace", "G" },
    { "  margaret   hamilton  ", "MH" },
    { "émile zola", "ÉZ" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(LatticeParticipant) p = lattice_participant_new ("id", cases[i].name, FALSE);

      g_assert_cmpstr (lattice_participant_get_initials (p), ==, cases[i].initials);
    }
}

static void
test_notify_only_on_change (void)
{
  LatticeParticipant *p = lattice_participant_new ("abc", "Ada", FALSE);
  guint muted = 0, name = 0, initials = 0, state = 0;

  g_signal_connect (p, "notify::audio-muted", G_CALLBACK (count_notify), &muted);
  g_signal_connect (p, "notify::name", G_CALLBACK (count_notify), &name);
  g_signal_connect (p, "notify::initials", G_CALLBACK (count_notify), &initials);
  g_signal_connect (p, "notify::connection-state", G_CALLBACK (count_notify), &state);

  lattice_participant_set_audio_muted (p, TRUE);
  lattice_participant_set_audio_muted (p, TRUE);
  g_assert_cmpuint (muted, ==, 1);
  g_assert_true (lattice_participant_get_audio_muted (p));

  lattice_participant_set_name (p, "Ada");
  g_assert_cmpuint (name, ==, 0);
  lattice_participant_set_name (p, "Ada Lovelace");
  g_assert_cmpuint (name, ==, 1);
  g_assert_cmpuint (initials, ==, 1);
  /* same initials, new name: only the name changes */
  lattice_participant_set_name (p, "Ada Lee");
  g_assert_cmpuint (name, ==, 2);
  g_assert_cmpuint (initials, ==, 1);

  g_object_set (p, "connection-state", LATTICE_CONNECTION_CONNECTED, NULL);
  lattice_participant_set_connection_state (p, LATTICE_CONNECTION_CONNECTED);
  g_assert_cmpuint (state, ==, 1);
  g_assert_cmpint (lattice_participant_get_connection_state (p), ==, LATTICE_CONNECTION_CONNECTED);

  g_assert_finalize_object (p);
}

static void
test_paintable_reference (void)
{
  LatticeParticipant *p = lattice_participant_new ("abc", "Ada", TRUE);
  GObject *paintable = g_object_new (G_TYPE_OBJECT, NULL);

  g_assert_true (lattice_participant_get_is_self (p));
  lattice_participant_set_paintable (p, paintable);
  g_assert_true (lattice_participant_get_paintable (p) == paintable);
  lattice_participant_set_paintable (p, NULL);
  g_assert_null (lattice_participant_get_paintable (p));
  g_assert_finalize_object (paintable);

  paintable = g_object_new (G_TYPE_OBJECT, NULL);
  lattice_participant_set_paintable (p, paintable);
  g_object_unref (paintable);
  /* the participant keeps its paintable alive, and drops it with itself */
  g_assert_finalize_object (p);
}

/* The one-word rating of a link: the worst of what each measure says. */
static void
test_connection_quality (void)
{
  static const struct {
    LatticeLinkMeasures      m;
    LatticeConnectionQuality quality;
  } cases[] = {
    { { -1, -1, -1, -1 }, LATTICE_CONNECTION_QUALITY_UNKNOWN },
    { { 20, 0, 0, 1 }, LATTICE_CONNECTION_QUALITY_GOOD },
    { { 20, -1, -1, -1 }, LATTICE_CONNECTION_QUALITY_GOOD },
    { { 300, 0, 0, 1 }, LATTICE_CONNECTION_QUALITY_FAIR },    /* round trip */
    { { 600, 0, 0, 1 }, LATTICE_CONNECTION_QUALITY_POOR },
    { { 20, 0.03, 0, 1 }, LATTICE_CONNECTION_QUALITY_FAIR },  /* loss of what we send */
    { { 20, 0, 0.03, 1 }, LATTICE_CONNECTION_QUALITY_FAIR },  /* of what we receive */
    { { 20, 0, 0.12, 1 }, LATTICE_CONNECTION_QUALITY_POOR },
    { { 20, 0, 0, 0.35 }, LATTICE_CONNECTION_QUALITY_FAIR },    /* the low layer */
    { { 20, 0, 0, 0.21 }, LATTICE_CONNECTION_QUALITY_POOR },    /* it at half rate */
    { { 600, 0.03, 0, 0.35 }, LATTICE_CONNECTION_QUALITY_POOR }, /* the worst wins */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (lattice_connection_quality_rate (&cases[i].m), ==, cases[i].quality);
}

static void
test_connection_quality_notify (void)
{
  g_autoptr(LatticeParticipant) p = lattice_participant_new ("abc", "Ada", FALSE);
  guint quality = 0;

  g_assert_cmpint (lattice_participant_get_connection_quality (p), ==, LATTICE_CONNECTION_QUALITY_UNKNOWN);
  g_signal_connect (p, "notify::connection-quality", G_CALLBACK (count_notify), &quality);
  lattice_participant_set_connection_quality (p, LATTICE_CONNECTION_QUALITY_FAIR);
  lattice_participant_set_connection_quality (p, LATTICE_CONNECTION_QUALITY_FAIR);
  g_assert_cmpuint (quality, ==, 1);
  g_assert_cmpint (lattice_participant_get_connection_quality (p), ==, LATTICE_CONNECTION_QUALITY_FAIR);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/participant/initials", test_initials);
  g_test_add_func ("/participant/notify-only-on-change", test_notify_only_on_change);
  g_test_add_func ("/participant/paintable-reference", test_paintable_reference);
  g_test_add_func ("/participant/connection-quality", test_connection_quality);
  g_test_add_func ("/participant/connection-quality-notify", test_connection_quality_notify);

  return g_test_run ();
}
