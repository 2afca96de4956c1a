/* media-test-utils.c: helpers shared by the media tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "media-test-utils.h"

/* The thread that made the first engine, which owns the default context. */
static GThread *main_thread;

static void
assert_main_thread (void)
{
  /* The engine promises every signal on its main context. */
  g_assert_true (g_thread_self () == main_thread);
}

static gboolean
wake_up (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
media_test_wait_for (MediaTestCondition condition,
                     gpointer           data,
                     guint              seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  guint tick = g_timeout_add (20, wake_up, NULL);
  gboolean ok;

  while (!(ok = condition (data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return ok;
}

static gboolean
deadline_passed (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

void
media_test_run_for (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * 1000;

  media_test_wait_for (deadline_passed, &deadline, ms / 1000 + 2);
}

LatticeMediaEngine *
media_test_engine_new (gboolean per_peer)
{
  LatticeMediaEngine *engine = lattice_media_engine_new (LATTICE_MEDIA_SOURCE_TEST,
                                                         LATTICE_MEDIA_SOURCE_TEST);
  g_autoptr(GError) error = NULL;

  if (main_thread == NULL)
    main_thread = g_thread_self ();
  g_object_set (engine, "encode-per-peer", per_peer, NULL);
  g_assert_true (lattice_media_engine_start (engine, &error));
  g_assert_no_error (error);
  return engine;
}

static void
on_local_description (LatticePeerConnection *peer, const char *type, const char *sdp, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  assert_main_thread ();
  ok = lattice_peer_connection_set_remote_description (LATTICE_PEER_CONNECTION (user_data), type, sdp, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
on_local_candidate (LatticePeerConnection *peer, guint mline, const char *candidate, gpointer user_data)
{
  assert_main_thread ();
  lattice_peer_connection_add_remote_candidate (LATTICE_PEER_CONNECTION (user_data), mline, candidate);
}

static void
on_state (LatticePeerConnection *peer, GParamSpec *pspec, gpointer user_data)
{
  assert_main_thread ();
}

static void
wire (LatticePeerConnection *from, LatticePeerConnection *to)
{
  g_signal_connect (from, "notify::state", G_CALLBACK (on_state), NULL);
  g_signal_connect (from, "first-frame", G_CALLBACK (on_state), NULL);
  g_signal_connect_object (from, "local-description", G_CALLBACK (on_local_description), to, 0);
  g_signal_connect_object (from, "local-candidate", G_CALLBACK (on_local_candidate), to, 0);
}

LatticePeerConnection *
media_test_connect (LatticeMediaEngine *a,
                    const char         *a_id,
                    LatticeMediaEngine *b,
                    const char         *b_id,
                    LatticePeerConnection       **peer_b)
{
  /* The peer on A stands for B and the other way round. */
  LatticePeerConnection *on_a = lattice_media_engine_add_peer (a, b_id, TRUE);
  LatticePeerConnection *on_b = lattice_media_engine_add_peer (b, a_id, FALSE);

  g_assert_nonnull (on_a);
  g_assert_nonnull (on_b);
  if (main_thread == NULL)
    main_thread = g_thread_self ();
  /* Signals only come from the main context, so wiring now loses nothing. */
  wire (on_a, on_b);
  wire (on_b, on_a);
  if (peer_b != NULL)
    *peer_b = on_b;
  return on_a;
}

static gboolean
is_flowing (gpointer data)
{
  LatticePeerConnection *peer = data;
  LatticePeerConnectionStats stats;

  lattice_peer_connection_get_stats (peer, &stats);
  return lattice_peer_connection_get_state (peer) == LATTICE_PEER_CONNECTION_STATE_CONNECTED &&
         stats.video_frames > 0 && stats.audio_buffers > 0;
}

void
media_test_wait_flowing (LatticePeerConnection *peer)
{
  g_assert_true (media_test_wait_for (is_flowing, peer, 60));
}

guint64
media_test_video_frames (LatticePeerConnection *peer)
{
  LatticePeerConnectionStats stats;

  lattice_peer_connection_get_stats (peer, &stats);
  return stats.video_frames;
}

guint64
media_test_audio_buffers (LatticePeerConnection *peer)
{
  LatticePeerConnectionStats stats;

  lattice_peer_connection_get_stats (peer, &stats);
  return stats.audio_buffers;
}

typedef struct {
  LatticePeerConnection *peer;
  guint64      target;
  gboolean     video;
} Growth;

static gboolean
has_grown (gpointer data)
{
  Growth *g = data;

  return (g->video ? media_test_video_frames (g->peer)
                   : media_test_audio_buffers (g->peer)) >= g->target;
}

gboolean
media_test_wait_video (LatticePeerConnection *peer, guint64 count)
{
  Growth g = { peer, media_test_video_frames (peer) + count, TRUE };

  return media_test_wait_for (has_grown, &g, 30);
}

gboolean
media_test_wait_audio (LatticePeerConnection *peer, guint64 count)
{
  Growth g = { peer, media_test_audio_buffers (peer) + count, FALSE };

  return media_test_wait_for (has_grown, &g, 30);
}
