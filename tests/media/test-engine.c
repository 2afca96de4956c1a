/* test-engine.c: two engines in one process, connected without a server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gst/gst.h>

#include "lattice-media-engine.h"
#include "lattice-peer-connection-private.h"
#include "media-test-utils.h"

typedef struct {
  LatticeMediaEngine *a;
  LatticeMediaEngine *b;
  LatticePeerConnection        *b_on_a;  /* A's connection to B */
  LatticePeerConnection        *a_on_b;
  GPtrArray          *first_frames;  /* "video"/"audio" seen on B's peer */
} Fixture;

static void
on_first_frame (LatticePeerConnection *peer, const char *kind, gpointer user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->first_frames, g_strdup (kind));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->first_frames = g_ptr_array_new_with_free_func (g_free);
  f->a = media_test_engine_new (FALSE);
  f->b = media_test_engine_new (FALSE);
  f->b_on_a = media_test_connect (f->a, "A", f->b, "B", &f->a_on_b);
  g_signal_connect (f->a_on_b, "first-frame", G_CALLBACK (on_first_frame), f);
  media_test_wait_flowing (f->b_on_a);
  media_test_wait_flowing (f->a_on_b);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_assert_finalize_object (f->a);
  g_assert_finalize_object (f->b);
  g_ptr_array_unref (f->first_frames);
}

static gboolean
has_first_frames (gpointer data)
{
  Fixture *f = data;

  return f->first_frames->len >= 2;
}

/* How many clocksync elements @bin holds at any depth, and how many sync. */
static guint
count_clocksyncs (GstBin *bin, guint *n_syncing)
{
  g_autoptr(GstIterator) it = gst_bin_iterate_recurse (bin);
  GValue item = G_VALUE_INIT;
  guint n = 0;

  *n_syncing = 0;
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *element = g_value_get_object (&item);
      GstElementFactory *factory = gst_element_get_factory (element);
      gboolean sync = FALSE;

      if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "clocksync"))
        {
          n++;
          g_object_get (element, "sync", &sync, NULL);
          *n_syncing += sync ? 1 : 0;
        }
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return n;
}

static void
test_connect (Fixture *f, gconstpointer data)
{
  LatticePeerConnection *peers[] = { f->b_on_a, f->a_on_b };
  LatticePeerConnectionStats stats;

  g_assert_true (media_test_wait_for (has_first_frames, f, 10));
  g_assert_true (g_ptr_array_find_with_equal_func (f->first_frames, "video", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (f->first_frames, "audio", g_str_equal, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    {
      g_assert_cmpint (lattice_peer_connection_get_state (peers[i]), ==, LATTICE_PEER_CONNECTION_STATE_CONNECTED);
      g_assert_true (media_test_wait_video (peers[i], 30));
      g_assert_true (media_test_wait_audio (peers[i], 30));
      lattice_peer_connection_get_stats (peers[i], &stats);
      g_assert_cmpuint (stats.video_bytes, >, 0);
      g_assert_cmpuint (stats.audio_bytes, >, 0);
      g_assert_cmpfloat (stats.video_fps, >, 0.0);
    }
  /* webrtcbin's send path holds no frame back (lattice-peer-connection.c, clocksync). */
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    {
      guint n_syncing;

      g_assert_cmpuint (count_clocksyncs (lattice_peer_connection_get_bin (peers[i]), &n_syncing), >, 0);
      g_assert_cmpuint (n_syncing, ==, 0);
    }
  g_assert_true (lattice_media_engine_lookup_peer (f->a, "B") == f->b_on_a);
  g_assert_true (lattice_peer_connection_get_offerer (f->b_on_a));
  g_assert_false (lattice_peer_connection_get_offerer (f->a_on_b));
  g_assert_cmpstr (lattice_peer_connection_get_id (f->a_on_b), ==, "A");
}

/* True when the count did not move over @ms (after what was in flight drained). */
static gboolean
stays_still (LatticePeerConnection *peer, gboolean video, guint ms)
{
  guint64 before;

  media_test_run_for (1000);
  before = video ? media_test_video_frames (peer) : media_test_audio_buffers (peer);
  media_test_run_for (ms);
  return before == (video ? media_test_video_frames (peer) : media_test_audio_buffers (peer));
}

static void
on_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
test_mute_audio (Fixture *f, gconstpointer data)
{
  guint notified = 0;

  g_signal_connect (f->a, "notify::audio-muted", G_CALLBACK (on_notify), &notified);
  lattice_media_engine_set_audio_muted (f->a, TRUE);
  lattice_media_engine_set_audio_muted (f->a, TRUE);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (lattice_media_engine_get_audio_muted (f->a));

  g_assert_true (stays_still (f->a_on_b, FALSE, 1500));
  /* Muting audio leaves video alone, and B's own audio still reaches A. */
  g_assert_true (media_test_wait_video (f->a_on_b, 15));
  g_assert_true (media_test_wait_audio (f->b_on_a, 25));

  lattice_media_engine_set_audio_muted (f->a, FALSE);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_true (media_test_wait_audio (f->a_on_b, 25));
}

static void
test_video_off (Fixture *f, gconstpointer data)
{
  guint notified = 0;

  g_signal_connect (f->a, "notify::video-enabled", G_CALLBACK (on_notify), &notified);
  lattice_media_engine_set_video_enabled (f->a, FALSE);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_false (lattice_media_engine_get_video_enabled (f->a));

  g_assert_true (stays_still (f->a_on_b, TRUE, 1500));
  g_assert_true (media_test_wait_audio (f->a_on_b, 25));
  g_assert_true (media_test_wait_video (f->b_on_a, 15));

  /* Back on: frames flow again without a new offer. */
  lattice_media_engine_set_video_enabled (f->a, TRUE);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_true (media_test_wait_video (f->a_on_b, 30));
  g_assert_cmpint (lattice_peer_connection_get_state (f->a_on_b), ==, LATTICE_PEER_CONNECTION_STATE_CONNECTED);
}

typedef struct {
  gpointer peer;
  gpointer webrtc;
} Weak;

static gboolean
all_gone (gpointer data)
{
  Weak *w = data;

  return w->peer == NULL && w->webrtc == NULL;
}

static void
on_peer_removed (LatticeMediaEngine *engine, LatticePeerConnection *peer, gpointer user_data)
{
  *(LatticePeerConnection **) user_data = peer;
}

static void
test_remove_peer (Fixture *f, gconstpointer data)
{
  Weak w = { f->b_on_a, lattice_peer_connection_get_webrtcbin (f->b_on_a) };
  LatticePeerConnection *removed = NULL;
  guint n_video = 0, n_audio = 0;

  g_signal_connect (f->a, "peer-removed", G_CALLBACK (on_peer_removed), &removed);
  g_object_add_weak_pointer (w.peer, &w.peer);
  g_object_add_weak_pointer (w.webrtc, &w.webrtc);
  lattice_media_engine_remove_peer (f->a, "B");
  g_assert_null (lattice_media_engine_lookup_peer (f->a, "B"));
  g_assert_null (lattice_media_engine_get_peers (f->a));
  g_assert_true (media_test_wait_for (all_gone, &w, 30));
  g_assert_true (removed == f->b_on_a);  /* compared, not used: it is gone */

  /* A keeps its local pipeline: a new peer still gets the shared encoders,
   * one per video layer (full and low resolution). */
  lattice_media_engine_count_encoders (f->a, &n_video, &n_audio);
  g_assert_cmpuint (n_video, ==, 2);
  g_assert_cmpuint (n_audio, ==, 1);
  g_assert_cmpint (gst_element_get_state (GST_ELEMENT (lattice_media_engine_get_pipeline (f->a)),
                                          NULL, NULL, 0), ==, GST_STATE_CHANGE_SUCCESS);
}

static gboolean
is_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static void
test_garbage_sdp (Fixture *f, gconstpointer data)
{
  static const char *const garbage[] = { "", "hello", "v=0\r\n", "m=video\r\n\x01\x02", "v=0\r\nm=" };
  LatticePeerConnection *peer = lattice_media_engine_add_peer (f->a, "C", FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (lattice_peer_connection_set_remote_description (peer, "offer", garbage[i], &error));
      g_assert_error (error, LATTICE_MEDIA_ERROR, LATTICE_MEDIA_ERROR_INVALID_DESCRIPTION);
      g_assert_cmpstr (error->message, !=, "");
    }
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (lattice_peer_connection_set_remote_description (peer, "pranswer", "v=0", &error));
    g_assert_error (error, LATTICE_MEDIA_ERROR, LATTICE_MEDIA_ERROR_INVALID_DESCRIPTION);
  }
  /* The existing connection is untouched. */
  g_assert_true (media_test_wait_video (f->a_on_b, 15));
  {
    LatticePeerConnection *removed = NULL;

    g_signal_connect (f->a, "peer-removed", G_CALLBACK (on_peer_removed), &removed);
    lattice_media_engine_remove_peer (f->a, "C");
    g_assert_true (media_test_wait_for (is_set, &removed, 30));
  }
}

/* Signaling that delivers the offer only after A's first candidates. */
typedef struct {
  LatticePeerConnection *to;
  char        *type;
  char        *sdp;
  guint        n_candidates;
} Delayed;

static void
on_delayed_description (LatticePeerConnection *peer, const char *type, const char *sdp, gpointer user_data)
{
  Delayed *d = user_data;

  d->type = g_strdup (type);
  d->sdp = g_strdup (sdp);
}

static void
on_delayed_candidate (LatticePeerConnection *peer, guint mline, const char *candidate, gpointer user_data)
{
  Delayed *d = user_data;

  lattice_peer_connection_add_remote_candidate (d->to, mline, candidate);
  if (*candidate != '\0')
    d->n_candidates++;
}

static void
on_forward_description (LatticePeerConnection *peer, const char *type, const char *sdp, gpointer user_data)
{
  g_assert_true (lattice_peer_connection_set_remote_description (LATTICE_PEER_CONNECTION (user_data), type, sdp, NULL));
}

static void
on_forward_candidate (LatticePeerConnection *peer, guint mline, const char *candidate, gpointer user_data)
{
  lattice_peer_connection_add_remote_candidate (LATTICE_PEER_CONNECTION (user_data), mline, candidate);
}

static gboolean
has_candidates (gpointer data)
{
  return ((Delayed *) data)->n_candidates > 0 && ((Delayed *) data)->sdp != NULL;
}

static void
on_handoff (GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
}

static GstElement *
on_create_video_sink (LatticeMediaEngine *engine, const char *peer_id, gpointer user_data)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  g_assert_cmpstr (peer_id, ==, "A");
  g_object_set (sink, "sync", FALSE, "signal-handoffs", TRUE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), user_data);
  return sink;
}

static gboolean
sink_got_frames (gpointer data)
{
  return g_atomic_int_get ((gint *) data) > 10;
}

/* Candidates that arrive before the description are kept, and the caller's
 * sink receives the decoded frames. */
static void
test_candidates_first (void)
{
  g_autoptr(LatticeMediaEngine) a = media_test_engine_new (FALSE);
  g_autoptr(LatticeMediaEngine) b = media_test_engine_new (FALSE);
  Delayed d = { NULL };
  gint sink_frames = 0;
  LatticePeerConnection *b_on_a, *a_on_b;

  g_signal_connect (b, "create-video-sink", G_CALLBACK (on_create_video_sink), &sink_frames);
  b_on_a = lattice_media_engine_add_peer (a, "B", TRUE);
  a_on_b = lattice_media_engine_add_peer (b, "A", FALSE);
  d.to = a_on_b;
  g_signal_connect (b_on_a, "local-description", G_CALLBACK (on_delayed_description), &d);
  g_signal_connect (b_on_a, "local-candidate", G_CALLBACK (on_delayed_candidate), &d);
  g_signal_connect (a_on_b, "local-description", G_CALLBACK (on_forward_description), b_on_a);
  g_signal_connect (a_on_b, "local-candidate", G_CALLBACK (on_forward_candidate), b_on_a);

  g_assert_true (media_test_wait_for (has_candidates, &d, 30));
  g_assert_true (lattice_peer_connection_set_remote_description (a_on_b, d.type, d.sdp, NULL));
  media_test_wait_flowing (a_on_b);
  media_test_wait_flowing (b_on_a);
  g_assert_true (media_test_wait_for (sink_got_frames, &sink_frames, 30));
  g_free (d.type);
  g_free (d.sdp);
}

static gboolean
peer_failed (gpointer data)
{
  return lattice_peer_connection_get_state (data) == LATTICE_PEER_CONNECTION_STATE_FAILED;
}

/* An offer whose answer never comes leaves the connection CONNECTING; the
 * engine's connect timeout turns it FAILED, which the call rebuilds. One
 * that connects in time is left alone once the timeout has passed. */
static void
test_connect_timeout (void)
{
  g_autoptr(LatticeMediaEngine) lonely = media_test_engine_new (FALSE);
  g_autoptr(LatticeMediaEngine) a = media_test_engine_new (FALSE);
  g_autoptr(LatticeMediaEngine) b = media_test_engine_new (FALSE);
  LatticePeerConnection *unanswered, *b_on_a, *a_on_b;

  g_object_set (lonely, "connect-timeout", 500, NULL);
  unanswered = lattice_media_engine_add_peer (lonely, "nobody", TRUE);
  g_assert_cmpint (lattice_peer_connection_get_state (unanswered), !=, LATTICE_PEER_CONNECTION_STATE_FAILED);
  g_assert_true (media_test_wait_for (peer_failed, unanswered, 30));

  g_object_set (a, "connect-timeout", 8000, NULL);
  g_object_set (b, "connect-timeout", 8000, NULL);
  b_on_a = media_test_connect (a, "A", b, "B", &a_on_b);
  media_test_wait_flowing (b_on_a);
  media_test_run_for (8500);
  g_assert_cmpint (lattice_peer_connection_get_state (b_on_a), ==, LATTICE_PEER_CONNECTION_STATE_CONNECTED);
  g_assert_cmpint (lattice_peer_connection_get_state (a_on_b), ==, LATTICE_PEER_CONNECTION_STATE_CONNECTED);
}

/* A test microphone that talks in bursts and pauses: while it pauses,
 * Opus's DTX and the payloader's send almost nothing, and the other end
 * decodes almost nothing (the comfort noise updates, a few a second). */
static void
test_talk_dtx (void)
{
  g_autoptr(LatticeMediaEngine) a = lattice_media_engine_new (LATTICE_MEDIA_SOURCE_NONE, LATTICE_MEDIA_SOURCE_TEST);
  g_autoptr(LatticeMediaEngine) b = lattice_media_engine_new (LATTICE_MEDIA_SOURCE_NONE, LATTICE_MEDIA_SOURCE_NONE);
  g_autoptr(GError) error = NULL;
  LatticePeerConnection *b_on_a, *a_on_b;
  guint64 last, total = 0;
  guint quiet = 0, busy = 0, seconds = 0;

  g_object_set (a, "test-audio", LATTICE_TEST_AUDIO_TALK, NULL);
  g_assert_true (lattice_media_engine_start (a, &error));
  g_assert_true (lattice_media_engine_start (b, &error));
  g_assert_no_error (error);
  b_on_a = media_test_connect (a, "A", b, "B", &a_on_b);
  g_assert_nonnull (b_on_a);
  /* it starts with a spurt */
  g_assert_true (media_test_wait_audio (a_on_b, 20));
  last = media_test_audio_buffers (a_on_b);
  /* spurts last up to 3 s and pauses up to 10 s: 25 s hold both */
  while (seconds < 25 && (quiet < 2 || busy < 1))
    {
      guint64 now;

      media_test_run_for (1000);
      now = media_test_audio_buffers (a_on_b);
      g_test_message ("second %u: %" G_GUINT64_FORMAT " audio buffers decoded", seconds, now - last);
      quiet += now - last <= 6;
      busy += now - last >= 40;
      total += now - last;
      last = now;
      seconds++;
    }
  g_assert_cmpuint (quiet, >=, 2);
  g_assert_cmpuint (busy, >=, 1);
  /* a steady tone would have been 50 a second */
  g_assert_cmpuint (total, <, seconds * 50 * 3 / 4);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/media/engine/connect", Fixture, NULL, fixture_setup, test_connect, fixture_teardown);
  g_test_add ("/media/engine/mute-audio", Fixture, NULL, fixture_setup, test_mute_audio, fixture_teardown);
  g_test_add ("/media/engine/video-off", Fixture, NULL, fixture_setup, test_video_off, fixture_teardown);
  g_test_add ("/media/engine/remove-peer", Fixture, NULL, fixture_setup, test_remove_peer, fixture_teardown);
  g_test_add_func ("/media/engine/candidates-first", test_candidates_first);
  g_test_add_func ("/media/engine/connect-timeout", test_connect_timeout);
  g_test_add_func ("/media/engine/talk-dtx", test_talk_dtx);
  g_test_add ("/media/engine/garbage-sdp", Fixture, NULL, fixture_setup, test_garbage_sdp, fixture_teardown);
  return g_test_run ();
}
