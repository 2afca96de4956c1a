/* test-mesh.c: three engines in a full mesh, each stream encoded once
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gst/gst.h>

#include "lattice-media-engine.h"
#include "media-test-utils.h"

typedef struct {
  LatticeMediaEngine *engines[3];  /* A, B, C */
  LatticePeerConnection        *peers[3][3]; /* peers[i][j]: engine i's connection to j */
} Mesh;

static const char *const names[] = { "A", "B", "C" };

static LatticeMediaEngine *
small_engine (gboolean per_peer)
{
  LatticeMediaEngine *engine = lattice_media_engine_new (LATTICE_MEDIA_SOURCE_TEST,
                                                         LATTICE_MEDIA_SOURCE_TEST);
  g_autoptr(GError) error = NULL;

  /* Small frames: six decoders and up to six encoders share two cores. */
  g_object_set (engine, "encode-per-peer", per_peer,
                "width", 320, "height", 180, "framerate", 15, NULL);
  g_assert_true (lattice_media_engine_start (engine, &error));
  g_assert_no_error (error);
  return engine;
}

static void
mesh_setup (Mesh *m, gconstpointer data)
{
  gboolean per_peer = GPOINTER_TO_INT (data);

  for (guint i = 0; i < 3; i++)
    m->engines[i] = small_engine (per_peer);
  for (guint i = 0; i < 3; i++)
    for (guint j = i + 1; j < 3; j++)
      m->peers[i][j] = media_test_connect (m->engines[i], names[i], m->engines[j], names[j],
                                           &m->peers[j][i]);
  for (guint i = 0; i < 3; i++)
    for (guint j = 0; j < 3; j++)
      if (i != j)
        media_test_wait_flowing (m->peers[i][j]);
}

static void
mesh_teardown (Mesh *m, gconstpointer data)
{
  for (guint i = 0; i < 3; i++)
    g_assert_finalize_object (m->engines[i]);
}

static void
assert_encoders (LatticeMediaEngine *engine, guint video, guint audio)
{
  guint n_video = 0, n_audio = 0;

  lattice_media_engine_count_encoders (engine, &n_video, &n_audio);
  g_assert_cmpuint (n_video, ==, video);
  g_assert_cmpuint (n_audio, ==, audio);
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Removes C from A (and A from C) and checks A–B goes on. */
static void
remove_c_from_a (Mesh *m)
{
  gpointer gone = m->peers[0][2];

  g_object_add_weak_pointer (gone, &gone);
  lattice_media_engine_remove_peer (m->engines[0], "C");
  lattice_media_engine_remove_peer (m->engines[2], "A");
  g_assert_true (media_test_wait_for (is_null, &gone, 30));
  g_assert_true (media_test_wait_video (m->peers[0][1], 30));
  g_assert_true (media_test_wait_video (m->peers[1][0], 30));
  g_assert_true (media_test_wait_audio (m->peers[0][1], 25));
  /* B–C is not disturbed either. */
  g_assert_true (media_test_wait_video (m->peers[2][1], 30));
}

/* Encoded once per layer whatever the number of peers: the full and the
 * low-resolution video encoders, one audio encoder. */
static void
test_shared_encoders (Mesh *m, gconstpointer data)
{
  for (guint i = 0; i < 3; i++)
    assert_encoders (m->engines[i], 2, 1);
  remove_c_from_a (m);
  assert_encoders (m->engines[0], 2, 1);
}

static void
test_encode_per_peer (Mesh *m, gconstpointer data)
{
  for (guint i = 0; i < 3; i++)
    assert_encoders (m->engines[i], 2, 2);
  remove_c_from_a (m);
  assert_encoders (m->engines[0], 1, 1);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/media/mesh/shared-encoders", Mesh, GINT_TO_POINTER (FALSE),
              mesh_setup, test_shared_encoders, mesh_teardown);
  g_test_add ("/media/mesh/encode-per-peer", Mesh, GINT_TO_POINTER (TRUE),
              mesh_setup, test_encode_per_peer, mesh_teardown);
  return g_test_run ();
}
