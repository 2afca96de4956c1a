/* test-layers.c: each peer gets the layer it is given, as continuous RTP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two engines in one process, 640x360 at 15 fps with stamped frames: A's
 * layer for B is set by hand (lattice_media_engine_set_peer_max_layer())
 * and B's decoded size, frame rate and stamps show which layer arrives.
 * A probe before B's VP8 guard checks that the RTP B receives stays
 * continuous through every switch: sequence numbers, one picture ID per
 * frame, TL0PICIDX never jumping.
 *
 * The view tests drive the same choice from the receiving end, as the app
 * does: B says how large it shows A (lattice_peer_connection_set_view()),
 * the request travels in B's RTCP, and A sends no more than that needs.
 */

#include "config.h"

#include <gst/gst.h>
#include <gst/rtp/rtp.h>

#include "lattice-media-engine.h"
#include "lattice-peer-connection-private.h"
#include "lattice-vp8-guard.h"
#include "media-test-utils.h"

#define WIDTH   640
#define HEIGHT  360
#define FPS     15

typedef struct {
  GMutex   lock;
  gboolean started;
  guint16  seq;
  guint    picture_id;
  guint    tl0picidx;
  guint    packets;
  guint    frames;
  guint    seq_gaps;
  guint    picture_id_jumps;
  guint    tl0_jumps;
} Continuity;

typedef struct {
  LatticeMediaEngine    *a;
  LatticeMediaEngine    *b;
  LatticePeerConnection *b_on_a;
  LatticePeerConnection *a_on_b;
  Continuity             rtp;
} Fixture;

static LatticeMediaEngine *
stamped_engine (void)
{
  LatticeMediaEngine *engine = lattice_media_engine_new (LATTICE_MEDIA_SOURCE_TEST,
                                                         LATTICE_MEDIA_SOURCE_TEST);
  g_autoptr(GError) error = NULL;

  g_object_set (engine, "width", WIDTH, "height", HEIGHT, "framerate", FPS,
                "stamp-time", TRUE, NULL);
  g_assert_true (lattice_media_engine_start (engine, &error));
  g_assert_no_error (error);
  return engine;
}

/* The VP8 payload descriptor (RFC 7741) of one packet: whether it starts
 * a frame, its 15-bit picture ID and its TL0PICIDX. */
static gboolean
read_descriptor (GstRTPBuffer *rtp, gboolean *start, guint *picture_id, guint *tl0picidx)
{
  const guint8 *p = gst_rtp_buffer_get_payload (rtp);
  guint size = gst_rtp_buffer_get_payload_len (rtp);

  /* X, then I with a 15-bit ID, then L: what every Lattice packet has */
  if (size < 6 || !(p[0] & 0x80) || !(p[1] & 0x80) || !(p[1] & 0x40) || !(p[2] & 0x80))
    return FALSE;
  *start = (p[0] & 0x10) && (p[0] & 0x07) == 0;
  *picture_id = ((p[2] & 0x7f) << 8) | p[3];
  *tl0picidx = p[4];
  return TRUE;
}

static void
check_packet (Continuity *c, GstBuffer *buffer)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gboolean start;
  guint picture_id, tl0picidx;
  guint16 seq;

  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return;
  seq = gst_rtp_buffer_get_seq (&rtp);
  if (read_descriptor (&rtp, &start, &picture_id, &tl0picidx))
    {
      g_mutex_lock (&c->lock);
      if (c->started && seq != (guint16) (c->seq + 1))
        c->seq_gaps++;
      if (c->started && start)
        {
          if (picture_id != ((c->picture_id + 1) & 0x7fff))
            c->picture_id_jumps++;
          if (tl0picidx != c->tl0picidx && tl0picidx != ((c->tl0picidx + 1) & 0xff))
            c->tl0_jumps++;
        }
      if (start)
        c->frames++;
      c->started = TRUE;
      c->seq = seq;
      c->picture_id = picture_id;
      c->tl0picidx = tl0picidx;
      c->packets++;
      g_mutex_unlock (&c->lock);
    }
  gst_rtp_buffer_unmap (&rtp);
}

static gboolean
check_list_item (GstBuffer **buffer, guint idx, gpointer user_data)
{
  check_packet (user_data, *buffer);
  return TRUE;
}

static GstPadProbeReturn
on_received_rtp (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), check_list_item, user_data);
  else
    check_packet (user_data, GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

static GstElement *
find_guard (LatticePeerConnection *peer)
{
  g_autoptr(GstIterator) it = gst_bin_iterate_recurse (lattice_peer_connection_get_bin (peer));
  GValue item = G_VALUE_INIT;
  GstElement *guard = NULL;

  while (guard == NULL && gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      if (LATTICE_IS_VP8_GUARD (g_value_get_object (&item)))
        guard = g_value_dup_object (&item);
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return guard;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GstElement) guard = NULL;
  g_autoptr(GstPad) pad = NULL;

  g_mutex_init (&f->rtp.lock);
  f->a = stamped_engine ();
  f->b = stamped_engine ();
  f->b_on_a = media_test_connect (f->a, "A", f->b, "B", &f->a_on_b);
  media_test_wait_flowing (f->a_on_b);
  guard = find_guard (f->a_on_b);
  g_assert_nonnull (guard);
  pad = gst_element_get_static_pad (guard, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_received_rtp, &f->rtp, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_assert_finalize_object (f->a);
  g_assert_finalize_object (f->b);
  g_mutex_clear (&f->rtp.lock);
}

typedef struct {
  LatticePeerConnection *peer;
  guint                  width;
} SizeWait;

static gboolean
decodes_width (gpointer data)
{
  SizeWait *wait = data;
  LatticePeerConnectionStats stats;

  lattice_peer_connection_get_stats (wait->peer, &stats);
  return stats.video_width == wait->width;
}

/* Waits until B decodes A's video at @width, then checks what it gets
 * over the next two seconds: about @fps frames a second, every one of
 * them at that size and with its stamp read back. */
static void
assert_receives (Fixture *f, guint width, guint height, double min_fps, double max_fps)
{
  SizeWait wait = { f->a_on_b, width };
  LatticePeerConnectionStats before, after;

  g_assert_true (media_test_wait_for (decodes_width, &wait, 10));
  media_test_run_for (1000);  /* the frame rate of the new layer settles */
  lattice_peer_connection_get_stats (f->a_on_b, &before);
  media_test_run_for (2000);
  lattice_peer_connection_get_stats (f->a_on_b, &after);
  g_test_message ("B receives %ux%u at %.1f fps; %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                  " frames stamped", after.video_width, after.video_height, after.video_fps,
                  after.stamped_frames - before.stamped_frames, after.video_frames - before.video_frames);
  g_assert_cmpuint (after.video_width, ==, width);
  g_assert_cmpuint (after.video_height, ==, height);
  g_assert_cmpfloat ((after.video_frames - before.video_frames) / 2.0, >=, min_fps);
  g_assert_cmpfloat ((after.video_frames - before.video_frames) / 2.0, <=, max_fps);
  /* the low layer carries a stamp of its own, at its own size */
  g_assert_cmpuint (after.stamped_frames - before.stamped_frames, ==, after.video_frames - before.video_frames);
}

static void
assert_continuous (Fixture *f)
{
  g_mutex_lock (&f->rtp.lock);
  g_test_message ("%u packets, %u frames: %u sequence gaps, %u picture ID jumps, %u TL0PICIDX jumps",
                  f->rtp.packets, f->rtp.frames, f->rtp.seq_gaps, f->rtp.picture_id_jumps, f->rtp.tl0_jumps);
  g_assert_cmpuint (f->rtp.frames, >, 0);
  g_assert_cmpuint (f->rtp.seq_gaps, ==, 0);
  g_assert_cmpuint (f->rtp.picture_id_jumps, ==, 0);
  g_assert_cmpuint (f->rtp.tl0_jumps, ==, 0);
  g_mutex_unlock (&f->rtp.lock);
}

static void
assert_sent_layer (Fixture *f, LatticeVideoLayer layer)
{
  LatticePeerSenderStats stats;

  g_assert_true (lattice_media_engine_get_sender_stats (f->a, "B", &stats));
  g_assert_cmpstr (lattice_video_layer_to_string (stats.layer), ==, lattice_video_layer_to_string (layer));
}

/* Once what was on the way has arrived, B decodes no video from A over two
 * seconds while A's audio goes on. */
static void
assert_audio_only (Fixture *f)
{
  guint64 frames, audio;

  media_test_run_for (500);
  frames = media_test_video_frames (f->a_on_b);
  audio = media_test_audio_buffers (f->a_on_b);
  media_test_run_for (2000);
  g_assert_cmpuint (media_test_video_frames (f->a_on_b), ==, frames);
  g_assert_cmpuint (media_test_audio_buffers (f->a_on_b), >, audio + 50);
}

static void
test_full (Fixture *f, gconstpointer data)
{
  guint n_video = 0;

  assert_receives (f, WIDTH, HEIGHT, FPS * 0.8, FPS * 1.1);
  assert_sent_layer (f, LATTICE_VIDEO_LAYER_FULL);
  /* one encoder per layer, however many peers */
  lattice_media_engine_count_encoders (f->a, &n_video, NULL);
  g_assert_cmpuint (n_video, ==, 2);
  assert_continuous (f);
}

/* Down to the low-resolution encoder and back, through both switches. */
static void
test_low_and_back (Fixture *f, gconstpointer data)
{
  lattice_media_engine_set_peer_max_layer (f->a, "B", LATTICE_VIDEO_LAYER_LOW);
  assert_receives (f, WIDTH / 2, HEIGHT / 2, FPS * 0.8, FPS * 1.1);
  assert_sent_layer (f, LATTICE_VIDEO_LAYER_LOW);
  lattice_media_engine_set_peer_max_layer (f->a, "B", LATTICE_VIDEO_LAYER_FULL);
  assert_receives (f, WIDTH, HEIGHT, FPS * 0.8, FPS * 1.1);
  assert_continuous (f);
}

/* Temporal layers dropped: the same size at a half and a quarter of the
 * frames, and every frame still intact. */
static void
test_frame_rates (Fixture *f, gconstpointer data)
{
  lattice_media_engine_set_peer_max_layer (f->a, "B", LATTICE_VIDEO_LAYER_FULL_HALF);
  media_test_run_for (1000);
  assert_receives (f, WIDTH, HEIGHT, FPS / 2.0 * 0.8, FPS / 2.0 * 1.15);
  lattice_media_engine_set_peer_max_layer (f->a, "B", LATTICE_VIDEO_LAYER_LOW_QUARTER);
  assert_receives (f, WIDTH / 2, HEIGHT / 2, FPS / 4.0 * 0.7, FPS / 4.0 * 1.3);
  lattice_media_engine_set_peer_max_layer (f->a, "B", LATTICE_VIDEO_LAYER_FULL);
  assert_receives (f, WIDTH, HEIGHT, FPS * 0.8, FPS * 1.1);
  assert_continuous (f);
}

/* No video at all (a receiver that shows none), then all of it again
 * within a second or so; audio flows throughout. */
static void
test_none_and_back (Fixture *f, gconstpointer data)
{
  gint64 restored;
  SizeWait wait = { f->a_on_b, WIDTH };

  lattice_media_engine_set_peer_max_layer (f->a, "B", LATTICE_VIDEO_LAYER_NONE);
  assert_audio_only (f);

  restored = g_get_monotonic_time ();
  lattice_media_engine_set_peer_max_layer (f->a, "B", LATTICE_VIDEO_LAYER_FULL);
  g_assert_true (media_test_wait_video (f->a_on_b, 5));
  g_assert_true (media_test_wait_for (decodes_width, &wait, 10));
  g_test_message ("video back %" G_GINT64_FORMAT " ms after it was asked for",
                  (g_get_monotonic_time () - restored) / 1000);
  assert_receives (f, WIDTH, HEIGHT, FPS * 0.8, FPS * 1.1);
  assert_continuous (f);
}

typedef struct {
  Fixture *f;
  guint    width;
  guint    height;
} ViewWait;

static gboolean
a_heard_view (gpointer data)
{
  ViewWait *wait = data;
  guint width, height;

  return lattice_peer_connection_get_remote_view (wait->f->b_on_a, &width, &height) &&
         width == wait->width && height == wait->height;
}

static gboolean
a_targets (gpointer data)
{
  ViewWait *wait = data;
  LatticePeerSenderStats stats;

  return lattice_media_engine_get_sender_stats (wait->f->a, "B", &stats) &&
         stats.target == wait->width;   /* the layer, in this wait */
}

/* B shows A in a small tile, then large: A sends the low layer, then the
 * full one, with no signaling involved. */
static void
test_view (Fixture *f, gconstpointer data)
{
  ViewWait heard = { f, 400, 225 };
  ViewWait full = { f, LATTICE_VIDEO_LAYER_FULL, 0 };
  SizeWait decoded = { f->a_on_b, WIDTH };
  gint64 asked;

  /* 400×225 needs no more than the 320×180 layer scaled up by a quarter */
  lattice_peer_connection_set_view (f->a_on_b, 400, 225);
  g_assert_true (media_test_wait_for (a_heard_view, &heard, 10));
  assert_receives (f, WIDTH / 2, HEIGHT / 2, FPS * 0.8, FPS * 1.1);
  assert_sent_layer (f, LATTICE_VIDEO_LAYER_LOW);

  /* the tile grows: the full layer within a second of asking */
  asked = g_get_monotonic_time ();
  lattice_peer_connection_set_view (f->a_on_b, 1280, 720);
  g_assert_true (media_test_wait_for (a_targets, &full, 10));
  g_test_message ("A switched to the full layer %" G_GINT64_FORMAT " ms after B asked",
                  (g_get_monotonic_time () - asked) / 1000);
  g_assert_cmpint (g_get_monotonic_time () - asked, <=, G_USEC_PER_SEC);
  g_assert_true (media_test_wait_for (decodes_width, &decoded, 10));
  g_test_message ("B decodes the full layer %" G_GINT64_FORMAT " ms after it asked",
                  (g_get_monotonic_time () - asked) / 1000);
  assert_receives (f, WIDTH, HEIGHT, FPS * 0.8, FPS * 1.1);

  /* nonsense sizes are the largest, not a crash or a wrap-around */
  lattice_peer_connection_set_view (f->a_on_b, G_MAXUINT, 1);
  heard.width = 16384;
  heard.height = 1;
  g_assert_true (media_test_wait_for (a_heard_view, &heard, 10));
  assert_sent_layer (f, LATTICE_VIDEO_LAYER_FULL);
  assert_continuous (f);
}

/* B shows A nowhere (its window is minimized): no video, audio goes on;
 * shown again, the video is back. */
static void
test_view_hidden (Fixture *f, gconstpointer data)
{
  ViewWait none = { f, LATTICE_VIDEO_LAYER_NONE, 0 };

  lattice_peer_connection_set_view (f->a_on_b, 0, 0);
  g_assert_true (media_test_wait_for (a_targets, &none, 10));
  assert_audio_only (f);

  lattice_peer_connection_set_view (f->a_on_b, 640, 360);
  g_assert_true (media_test_wait_video (f->a_on_b, 5));
  assert_receives (f, WIDTH, HEIGHT, FPS * 0.8, FPS * 1.1);
  assert_continuous (f);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/media/layers/full", Fixture, NULL, fixture_setup, test_full, fixture_teardown);
  g_test_add ("/media/layers/low-and-back", Fixture, NULL, fixture_setup, test_low_and_back,
              fixture_teardown);
  g_test_add ("/media/layers/frame-rates", Fixture, NULL, fixture_setup, test_frame_rates,
              fixture_teardown);
  g_test_add ("/media/layers/none-and-back", Fixture, NULL, fixture_setup, test_none_and_back,
              fixture_teardown);
  g_test_add ("/media/layers/view", Fixture, NULL, fixture_setup, test_view, fixture_teardown);
  g_test_add ("/media/layers/view-hidden", Fixture, NULL, fixture_setup, test_view_hidden,
              fixture_teardown);
  return g_test_run ();
}
