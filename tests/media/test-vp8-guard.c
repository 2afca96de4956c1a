/* test-vp8-guard.c: VP8 temporal layers, and the frame guard through real encoders and real loss
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Three parts:
 *
 *  - vp8enc configured by lattice_vp8_layers_configure(): the frames follow
 *    the pattern, the bitrate follows the split, and decoding without TL2
 *    (or without TL1 and TL2) gives every remaining frame bit for bit as
 *    the full stream does — which is what proves the reference structure.
 *
 *  - The guard in a real pipeline: stamped raw frames → vp8enc → tee; one
 *    branch is decoded as it is (the loss-free decode), the other goes
 *    through rtpvp8pay, a packet dropper of this test's own, the guard,
 *    rtpvp8depay and vp8dec. Every frame that comes out of the lossy branch
 *    must carry its own stamp and be bit for bit the loss-free decode of
 *    that frame (so its PSNR against the original is the same). The same
 *    pipeline with identity in the guard's place shows corrupt frames: the
 *    test can fail. The pipeline runs on a GstTestClock advanced by each
 *    frame's duration, so the guard's request interval is measured in the
 *    stream's own time and every run is the same.
 *
 *  - The guard on its own (GstHarness) with packets made here: sequence
 *    number and picture ID wraps, duplicates, a stream starting mid-frame,
 *    lost markers, lost events, flushes, caps, layer sync, garbage.
 */
#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <gst/app/app.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "lattice-stamp.h"
#include "lattice-vp8-guard.h"
#include "lattice-vp8-layers.h"

#define WIDTH           320
#define HEIGHT          240
#define RESIZED_WIDTH   240
#define RESIZED_HEIGHT  180
#define FPS              15
#define BITRATE      150000  /* what the engine gives 320x240@15 */
#define MTU             500  /* several packets a frame: reassembly has work to do */
#define REQUEST_INTERVAL (250 * GST_MSECOND)
/* A decoded frame is corrupt when its stamp does not read back as its own
 * number, or when it is this much worse than the loss-free decode. */
#define CORRUPT_DB      2.0

static guint
frame_number (GstClockTime pts)
{
  return (guint) gst_util_uint64_scale_round (pts, FPS, GST_SECOND);
}

/* ------------------------------------------------------------------ */
/* Images                                                              */

/* A decoded or original frame, planes packed without padding. */
typedef struct {
  guint    width;
  guint    height;
  GBytes  *planes;
  gboolean stamp_ok;
  guint64  stamp;
} Image;

static void
image_free (gpointer data)
{
  Image *image = data;

  g_bytes_unref (image->planes);
  g_free (image);
}

static Image *
image_new (GstBuffer          *buffer,
           const GstVideoInfo *info)
{
  Image *image = g_new0 (Image, 1);
  GByteArray *bytes = g_byte_array_new ();
  GstVideoFrame frame;

  g_assert_true (gst_video_frame_map (&frame, (GstVideoInfo *) info, buffer, GST_MAP_READ));
  image->width = GST_VIDEO_INFO_WIDTH (info);
  image->height = GST_VIDEO_INFO_HEIGHT (info);
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&frame); c++)
    {
      const guint8 *data = GST_VIDEO_FRAME_COMP_DATA (&frame, c);
      int stride = GST_VIDEO_FRAME_COMP_STRIDE (&frame, c);

      for (int y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c); y++)
        g_byte_array_append (bytes, data + (gsize) y * stride, GST_VIDEO_FRAME_COMP_WIDTH (&frame, c));
    }
  image->stamp_ok = lattice_stamp_read (&frame, &image->stamp);
  gst_video_frame_unmap (&frame);
  image->planes = g_byte_array_free_to_bytes (bytes);
  return image;
}

/* PSNR of the luma plane (the first width × height bytes). */
static double
psnr_y (const Image *a,
        const Image *b)
{
  const guint8 *pa = g_bytes_get_data (a->planes, NULL);
  const guint8 *pb = g_bytes_get_data (b->planes, NULL);
  gsize n = (gsize) a->width * a->height;
  double sum = 0;

  if (a->width != b->width || a->height != b->height)
    return 0;
  for (gsize i = 0; i < n; i++)
    sum += (double) (pa[i] - pb[i]) * (pa[i] - pb[i]);
  if (sum == 0)
    return 99.0;
  return 10 * log10 (255.0 * 255.0 * n / sum);
}

/* ------------------------------------------------------------------ */
/* RTP packets, as this test reads them (RFC 7741)                     */

typedef struct {
  guint    n;               /* frame number, from the packet's timestamp */
  guint16  seq;
  gboolean start;           /* S and PID 0 */
  gboolean marker;
  gboolean non_reference;   /* N */
  gint     picture_id;
  gint     tl0picidx;       /* -1: absent */
  gint     tid;             /* -1: absent */
  gboolean layer_sync;
  gboolean key;             /* on the first packet */
  guint    index_in_frame;
  guint    index;           /* in the stream */
} PacketInfo;

static void
read_packet (GstBuffer  *buffer,
             PacketInfo *info)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  const guint8 *data;
  guint size, pos = 1;

  memset (info, 0, sizeof *info);
  info->picture_id = info->tl0picidx = info->tid = -1;
  g_assert_true (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp));
  info->n = frame_number (GST_BUFFER_PTS (buffer));
  info->seq = gst_rtp_buffer_get_seq (&rtp);
  info->marker = gst_rtp_buffer_get_marker (&rtp);
  data = gst_rtp_buffer_get_payload (&rtp);
  size = gst_rtp_buffer_get_payload_len (&rtp);
  /* the longest descriptor Lattice writes is 6 bytes (X, I with a 15-bit
   * picture ID, L, T/K); a frame's last fragment may carry a byte or two */
  g_assert_cmpuint (size, >, 1);
  info->start = (data[0] & 0x17) == 0x10;
  info->non_reference = (data[0] & 0x20) != 0;
  if (data[0] & 0x80)
    {
      guint8 x = data[pos++];

      if (x & 0x80)
        {
          if (data[pos] & 0x80)
            {
              info->picture_id = ((data[pos] & 0x7f) << 8) | data[pos + 1];
              pos += 2;
            }
          else
            info->picture_id = data[pos++];
        }
      if (x & 0x40)
        info->tl0picidx = data[pos++];
      if (x & 0x20)
        {
          info->tid = data[pos] >> 6;
          info->layer_sync = (data[pos] & 0x20) != 0;
        }
      if (x & 0x30)
        pos++;
    }
  g_assert_cmpuint (size, >, pos);
  info->key = info->start && (data[pos] & 0x01) == 0;
  gst_rtp_buffer_unmap (&rtp);
}

/* ------------------------------------------------------------------ */
/* A run: the pipeline, the dropper, what came out                     */

typedef enum {
  KEEP,
  DROP,
  GARBAGE,
} Action;

typedef struct _Run Run;
typedef Action (*Policy) (Run *run, const PacketInfo *packet);

typedef struct {
  gboolean decoded;      /* came out of the lossy branch */
  gboolean bit_exact;    /* identical to the loss-free decode */
  gboolean stamp_ok;     /* its stamp read back as its own number */
  double   psnr;         /* against the original */
  double   clean_psnr;   /* the loss-free decode against the original */
} FrameResult;

struct _Run {
  /* The scenario */
  gboolean      guard;             /* FALSE: identity in its place */
  gboolean      layered;
  guint         n_frames;
  GstClockTime  min_key_interval;  /* vp8enc's min-force-key-unit-interval */
  gboolean      lost_events;       /* announce drops as a jitterbuffer does */
  guint         resize_at;         /* first frame at RESIZED_*; 0: none */
  Policy        policy;
  guint         target;
  guint         count;
  double        loss;

  /* The dropper */
  GRand        *rand;
  guint         packets;
  guint         dropped;
  guint         replaced;
  guint         current_frame;
  guint         index_in_frame;
  gint          chosen[3];         /* frames a policy picked, -1: none yet */
  gint          dropping;          /* a whole frame being dropped, -1: none */
  GArray       *hit_frames;        /* guint: frames the policy took packets of */
  guint         descriptor_errors;
  gint          last_tl0picidx;

  /* The encoder's side */
  GstTestClock *clock;
  GstElement   *size_filter;
  guint         n_raw;
  GHashTable   *originals;         /* frame number → Image */
  guint         force_events;      /* force-key-unit events that reached vp8enc */
  GArray       *request_times;     /* GstClockTime of each, on the test clock */
  GArray       *keyframes;         /* guint: frames vp8enc made keyframes */
  guint         lost_forwarded;    /* GstRTPPacketLost events out of the guard */

  /* The two decodes */
  GHashTable   *clean;             /* frame number → Image, until compared */
  GHashTable   *lossy;
  guint         n_clean;
  FrameResult  *results;

  /* The guard's figures */
  guint64       passed;
  guint64       frames_dropped;
  guint64       requests;
  guint64       invalid;
  gboolean      broken;
};

static Run *
run_new (guint n_frames)
{
  Run *run = g_new0 (Run, 1);

  run->guard = TRUE;
  run->layered = TRUE;
  run->n_frames = n_frames;
  run->rand = g_rand_new_with_seed (7741);
  run->current_frame = G_MAXUINT;
  run->chosen[0] = run->chosen[1] = run->chosen[2] = -1;
  run->dropping = -1;
  run->last_tl0picidx = -1;
  run->hit_frames = g_array_new (FALSE, FALSE, sizeof (guint));
  run->request_times = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  run->keyframes = g_array_new (FALSE, FALSE, sizeof (guint));
  run->originals = g_hash_table_new_full (NULL, NULL, NULL, image_free);
  run->clean = g_hash_table_new_full (NULL, NULL, NULL, image_free);
  run->lossy = g_hash_table_new_full (NULL, NULL, NULL, image_free);
  run->results = g_new0 (FrameResult, n_frames);
  return run;
}

static void
run_free (Run *run)
{
  g_rand_free (run->rand);
  g_array_unref (run->hit_frames);
  g_array_unref (run->request_times);
  g_array_unref (run->keyframes);
  g_hash_table_unref (run->originals);
  g_hash_table_unref (run->clean);
  g_hash_table_unref (run->lossy);
  g_free (run->results);
  g_free (run);
}

static GstClockTime
run_now (Run *run)
{
  return gst_clock_get_time (GST_CLOCK (run->clock));
}

/* Raw frames: stamp each with its number, keep the original, and let the
 * clock follow the stream. */
static GstPadProbeReturn
on_raw_frame (GstPad          *pad,
              GstPadProbeInfo *probe_info,
              gpointer         user_data)
{
  Run *run = user_data;
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps (pad);
  GstBuffer *buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (probe_info));
  guint n = run->n_raw++;
  GstVideoInfo info;

  GST_PAD_PROBE_INFO_DATA (probe_info) = buffer;
  g_assert_true (gst_video_info_from_caps (&info, caps));
  g_assert_cmpuint (frame_number (GST_BUFFER_PTS (buffer)), ==, n);
  g_assert_true (lattice_stamp_write_buffer (buffer, &info, n));
  g_hash_table_insert (run->originals, GUINT_TO_POINTER (n), image_new (buffer, &info));
  gst_test_clock_set_time (run->clock, MAX (run_now (run), GST_BUFFER_PTS (buffer)));
  if (run->resize_at != 0 && n + 1 == run->resize_at)
    {
      g_autoptr(GstCaps) resized = gst_caps_new_simple ("video/x-raw",
                                                        "format", G_TYPE_STRING, "I420",
                                                        "width", G_TYPE_INT, RESIZED_WIDTH,
                                                        "height", G_TYPE_INT, RESIZED_HEIGHT,
                                                        "framerate", GST_TYPE_FRACTION, FPS, 1,
                                                        NULL);

      g_object_set (run->size_filter, "caps", resized, NULL);
    }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_encoder_event (GstPad          *pad,
                  GstPadProbeInfo *probe_info,
                  gpointer         user_data)
{
  Run *run = user_data;

  if (gst_video_event_is_force_key_unit (GST_PAD_PROBE_INFO_EVENT (probe_info)))
    {
      GstClockTime now = run_now (run);

      run->force_events++;
      g_array_append_val (run->request_times, now);
    }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_encoded_frame (GstPad          *pad,
                  GstPadProbeInfo *probe_info,
                  gpointer         user_data)
{
  Run *run = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (probe_info);

  if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    {
      guint n = frame_number (GST_BUFFER_PTS (buffer));

      g_array_append_val (run->keyframes, n);
    }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_guard_event (GstPad          *pad,
                GstPadProbeInfo *probe_info,
                gpointer         user_data)
{
  Run *run = user_data;

  if (gst_event_has_name (GST_PAD_PROBE_INFO_EVENT (probe_info), "GstRTPPacketLost"))
    run->lost_forwarded++;
  return GST_PAD_PROBE_OK;
}

/* What rtpvp8pay wrote, against lattice-vp8-layers.h: TID by the frame's
 * place in the pattern (keyframes on TL0), Y on TL1/TL2 frames, N on
 * exactly the droppable ones, TL0PICIDX one more on every TL0 frame. */
static void
check_descriptor (Run              *run,
                  const PacketInfo *packet)
{
  static const gint pattern[] = { 0, 2, 1, 2 };
  gint tid;

  if (!run->layered)
    {
      if (packet->tid != -1 || packet->tl0picidx != -1 || packet->non_reference)
        run->descriptor_errors++;
      return;
    }
  if (!packet->start)
    return;
  tid = packet->key ? 0 : pattern[packet->n % 4];
  if (packet->tid != tid || packet->tl0picidx < 0 ||
      packet->layer_sync != (tid > 0 || packet->key) ||
      packet->non_reference != (tid > 0))
    run->descriptor_errors++;
  if (tid == 0)
    {
      if (run->last_tl0picidx >= 0 && packet->tl0picidx != ((run->last_tl0picidx + 1) & 0xff))
        run->descriptor_errors++;
      run->last_tl0picidx = packet->tl0picidx;
    }
  else if (packet->tl0picidx != run->last_tl0picidx)
    run->descriptor_errors++;
}

static void
note_hit (Run  *run,
          guint n)
{
  if (run->hit_frames->len == 0 || g_array_index (run->hit_frames, guint, run->hit_frames->len - 1) != n)
    g_array_append_val (run->hit_frames, n);
}

/* Replaces a packet by something that is not a valid VP8 RTP packet of
 * this stream: six kinds in turn. */
static GstBuffer *
make_garbage (Run       *run,
              GstBuffer *packet)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *garbage;
  guint kind = run->replaced++ % 6;
  guint16 seq;
  guint32 timestamp;

  g_assert_true (gst_rtp_buffer_map (packet, GST_MAP_READ, &rtp));
  seq = gst_rtp_buffer_get_seq (&rtp);
  timestamp = gst_rtp_buffer_get_timestamp (&rtp);
  gst_rtp_buffer_unmap (&rtp);

  switch (kind)
    {
    case 0:  /* a runt: not even an RTP header */
      garbage = gst_buffer_new_memdup ("\x80\x60\x00", 3);
      break;
    case 4:  /* 70 000 bytes that are no RTP at all (version 3) */
      {
        guint8 *junk = g_malloc (70000);

        memset (junk, 0xff, 70000);
        garbage = gst_buffer_new_wrapped (junk, 70000);
      }
      break;
    default:
      {
        /* RTP, but: no payload; a descriptor announcing a 15-bit picture
         * ID that is not there; a descriptor and no VP8 data; another
         * payload type. */
        static const guint8 payloads[][3] = { { 0 }, { 0x90, 0x80, 0x80 }, { 0x90 }, { 0x10, 0x9d } };
        static const guint lengths[] = { 0, 3, 1, 2 };
        guint which = kind == 5 ? 3 : kind - 1;

        garbage = gst_rtp_buffer_new_allocate (lengths[which], 0, 0);
        g_assert_true (gst_rtp_buffer_map (garbage, GST_MAP_WRITE, &rtp));
        gst_rtp_buffer_set_seq (&rtp, seq);
        gst_rtp_buffer_set_timestamp (&rtp, timestamp);
        gst_rtp_buffer_set_payload_type (&rtp, kind == 5 ? 97 : 96);
        if (lengths[which] > 0)
          memcpy (gst_rtp_buffer_get_payload (&rtp), payloads[which], lengths[which]);
        gst_rtp_buffer_unmap (&rtp);
      }
      break;
    }
  GST_BUFFER_PTS (garbage) = GST_BUFFER_PTS (packet);
  return garbage;
}

/* The dropper: a probe between rtpvp8pay and the guard. */
static GstPadProbeReturn
on_packet (GstPad          *pad,
           GstPadProbeInfo *probe_info,
           gpointer         user_data)
{
  Run *run = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (probe_info);
  PacketInfo packet;
  Action action;

  read_packet (buffer, &packet);
  if (packet.n != run->current_frame)
    {
      run->current_frame = packet.n;
      run->index_in_frame = 0;
    }
  packet.index_in_frame = run->index_in_frame++;
  packet.index = run->packets++;
  check_descriptor (run, &packet);

  action = run->policy != NULL ? run->policy (run, &packet) : KEEP;
  if (action == KEEP)
    return GST_PAD_PROBE_OK;
  note_hit (run, packet.n);
  if (action == GARBAGE)
    {
      GST_PAD_PROBE_INFO_DATA (probe_info) = make_garbage (run, buffer);
      gst_buffer_unref (buffer);
      return GST_PAD_PROBE_OK;
    }
  run->dropped++;
  if (run->lost_events)
    gst_pad_push_event (pad, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
                                                   gst_structure_new ("GstRTPPacketLost",
                                                                      "seqnum", G_TYPE_UINT, (guint) packet.seq,
                                                                      "timestamp", G_TYPE_UINT64, GST_BUFFER_PTS (buffer),
                                                                      "duration", G_TYPE_UINT64, (guint64) 0,
                                                                      "retry", G_TYPE_UINT, 0u,
                                                                      NULL)));
  return GST_PAD_PROBE_DROP;
}

static void
compare_if_both (Run  *run,
                 guint n)
{
  Image *clean = g_hash_table_lookup (run->clean, GUINT_TO_POINTER (n));
  Image *lossy = g_hash_table_lookup (run->lossy, GUINT_TO_POINTER (n));
  Image *original = g_hash_table_lookup (run->originals, GUINT_TO_POINTER (n));
  FrameResult *result = &run->results[n];

  if (clean == NULL || lossy == NULL)
    return;
  g_assert_nonnull (original);
  result->decoded = TRUE;
  result->bit_exact = g_bytes_equal (clean->planes, lossy->planes);
  result->stamp_ok = lossy->stamp_ok && lossy->stamp == n;
  result->psnr = psnr_y (lossy, original);
  result->clean_psnr = psnr_y (clean, original);
  g_hash_table_remove (run->clean, GUINT_TO_POINTER (n));
  g_hash_table_remove (run->lossy, GUINT_TO_POINTER (n));
}

static void
on_decoded (Run        *run,
            GstAppSink *sink,
            gboolean    lossy)
{
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstVideoInfo info;
  Image *image;
  guint n = frame_number (GST_BUFFER_PTS (buffer));

  g_assert_cmpuint (n, <, run->n_frames);
  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  image = image_new (buffer, &info);
  if (!lossy)
    {
      /* The loss-free decode reads back: the stamp is a fair test. */
      g_assert_true (image->stamp_ok);
      g_assert_cmpuint (image->stamp, ==, n);
      run->n_clean++;
    }
  g_hash_table_insert (lossy ? run->lossy : run->clean, GUINT_TO_POINTER (n), image);
  compare_if_both (run, n);
}

static GstFlowReturn
on_lossy_sample (GstAppSink *sink,
                 gpointer    user_data)
{
  on_decoded (user_data, sink, TRUE);
  return GST_FLOW_OK;
}

static GstFlowReturn
on_clean_sample (GstAppSink *sink,
                 gpointer    user_data)
{
  on_decoded (user_data, sink, FALSE);
  return GST_FLOW_OK;
}

static void
add_probe (GstElement          *bin,
           const char          *element_name,
           const char          *pad_name,
           GstPadProbeType      type,
           GstPadProbeCallback  callback,
           Run                 *run)
{
  g_autoptr(GstElement) element = gst_bin_get_by_name (GST_BIN (bin), element_name);
  g_autoptr(GstPad) pad = gst_element_get_static_pad (element, pad_name);

  gst_pad_add_probe (pad, type, callback, run, NULL);
}

static void
set_sample_callback (GstElement *pipeline,
                     const char *name,
                     GstFlowReturn (*callback) (GstAppSink *, gpointer),
                     gpointer    user_data)
{
  g_autoptr(GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstAppSinkCallbacks callbacks = { .new_sample = callback };

  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, user_data, NULL);
}

static void
run_pipeline (Run *run)
{
  g_autofree char *description = g_strdup_printf (
    "videotestsrc pattern=smpte horizontal-speed=3 num-buffers=%u ! videoscale ! "
    "capsfilter name=size caps=video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1 ! "
    "identity name=raw ! "
    "vp8enc name=enc deadline=1 cpu-used=8 threads=1 end-usage=cbr lag-in-frames=0 "
    "error-resilient=default keyframe-mode=disabled target-bitrate=%u ! tee name=t "
    "t. ! rtpvp8pay picture-id-mode=15-bit mtu=%u ! identity name=net ! %s name=guard ! "
    "rtpvp8depay ! vp8dec ! appsink name=lossy sync=false async=false "
    "t. ! vp8dec ! appsink name=clean sync=false async=false",
    run->n_frames, WIDTH, HEIGHT, FPS, BITRATE, MTU,
    run->guard ? LATTICE_VP8_GUARD_FACTORY : "identity");
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch (description, &error);
  g_autoptr(GstElement) encoder = NULL;
  g_autoptr(GstElement) guard = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) message = NULL;

  g_assert_no_error (error);
  run->clock = GST_TEST_CLOCK (gst_test_clock_new ());
  gst_pipeline_use_clock (GST_PIPELINE (pipeline), GST_CLOCK (run->clock));
  run->size_filter = gst_bin_get_by_name (GST_BIN (pipeline), "size");
  encoder = gst_bin_get_by_name (GST_BIN (pipeline), "enc");
  guard = gst_bin_get_by_name (GST_BIN (pipeline), "guard");
  if (run->layered)
    lattice_vp8_layers_configure (encoder);
  g_object_set (encoder, "min-force-key-unit-interval", run->min_key_interval, NULL);

  add_probe (pipeline, "raw", "src", GST_PAD_PROBE_TYPE_BUFFER, on_raw_frame, run);
  add_probe (pipeline, "enc", "src", GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_encoder_event, run);
  add_probe (pipeline, "enc", "src", GST_PAD_PROBE_TYPE_BUFFER, on_encoded_frame, run);
  add_probe (pipeline, "net", "src", GST_PAD_PROBE_TYPE_BUFFER, on_packet, run);
  add_probe (pipeline, "guard", "src", GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_guard_event, run);
  set_sample_callback (pipeline, "lossy", on_lossy_sample, run);
  set_sample_callback (pipeline, "clean", on_clean_sample, run);

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipeline);
  message = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr(GError) pipeline_error = NULL;
      g_autofree char *debug = NULL;

      gst_message_parse_error (message, &pipeline_error, &debug);
      g_error ("%s (%s)", pipeline_error->message, debug);
    }
  if (run->guard)
    g_object_get (guard,
                  "frames-passed", &run->passed,
                  "frames-dropped", &run->frames_dropped,
                  "keyframe-requests", &run->requests,
                  "packets-invalid", &run->invalid,
                  "broken", &run->broken,
                  NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_clear_object (&run->size_filter);
  gst_clear_object (&run->clock);

  /* Every frame was encoded, and decoded without loss. */
  g_assert_cmpuint (run->n_raw, ==, run->n_frames);
  g_assert_cmpuint (run->n_clean, ==, run->n_frames);
  /* Every frame out of the lossy branch was compared; what is left of the
   * loss-free decode is what was not delivered. */
  g_assert_cmpuint (g_hash_table_size (run->lossy), ==, 0);
  g_hash_table_remove_all (run->clean);
  g_assert_cmpuint (run->descriptor_errors, ==, 0);
  g_assert_cmpuint (run->lost_forwarded, ==, 0);
}

typedef struct {
  guint  delivered;
  guint  corrupt;      /* stamp wrong or unreadable, or CORRUPT_DB worse than loss-free */
  guint  not_exact;
  double min_psnr;     /* of the delivered frames */
  guint  forced_keyframes;
} Summary;

static Summary
summarize (Run        *run,
           const char *name)
{
  Summary s = { .min_psnr = 99.0 };

  for (guint n = 0; n < run->n_frames; n++)
    {
      const FrameResult *r = &run->results[n];

      if (!r->decoded)
        continue;
      s.delivered++;
      if (!r->stamp_ok || r->psnr < r->clean_psnr - CORRUPT_DB)
        s.corrupt++;
      if (!r->bit_exact)
        s.not_exact++;
      s.min_psnr = MIN (s.min_psnr, r->psnr);
    }
  for (guint i = 0; i < run->keyframes->len; i++)
    if (g_array_index (run->keyframes, guint, i) != 0)
      s.forced_keyframes++;
  if (run->guard)
    g_test_message ("%s: %u packets, %u lost, %u garbled; %u/%u frames delivered (%.1f %%), "
                    "guard passed %" G_GUINT64_FORMAT " dropped %" G_GUINT64_FORMAT
                    ", %" G_GUINT64_FORMAT " keyframe requests (%u reached vp8enc, %u keyframes after the first), "
                    "%" G_GUINT64_FORMAT " invalid packets; min PSNR %.1f dB, %u corrupt",
                    name, run->packets, run->dropped, run->replaced, s.delivered, run->n_frames,
                    100.0 * s.delivered / run->n_frames, run->passed, run->frames_dropped,
                    run->requests, run->force_events, s.forced_keyframes, run->invalid,
                    s.min_psnr, s.corrupt);
  else
    g_test_message ("%s without the guard: %u packets, %u lost; %u/%u frames decoded, "
                    "%u corrupt, %u not as the loss-free decode; min PSNR %.1f dB",
                    name, run->packets, run->dropped, s.delivered, run->n_frames,
                    s.corrupt, s.not_exact, s.min_psnr);
  return s;
}

/* With the guard: whatever is decoded is intact, bit for bit. */
static Summary
check_guarded (Run        *run,
               const char *name)
{
  Summary s = summarize (run, name);

  for (guint n = 0; n < run->n_frames; n++)
    {
      const FrameResult *r = &run->results[n];

      if (!r->decoded)
        continue;
      if (!r->stamp_ok || !r->bit_exact)
        g_error ("%s: frame %u decoded %s (PSNR %.1f dB, loss-free %.1f dB)", name, n,
                 r->stamp_ok ? "not as the loss-free decode" : "with a wrong stamp",
                 r->psnr, r->clean_psnr);
      g_assert_cmpfloat (r->psnr, >=, r->clean_psnr - CORRUPT_DB);
    }
  g_assert_cmpuint (s.corrupt, ==, 0);
  g_assert_cmpuint (run->passed, ==, s.delivered);
  /* Every request reached the encoder, never two within the interval. */
  g_assert_cmpuint (run->force_events, ==, run->requests);
  for (guint i = 1; i < run->request_times->len; i++)
    g_assert_cmpuint (g_array_index (run->request_times, GstClockTime, i) -
                      g_array_index (run->request_times, GstClockTime, i - 1), >=, REQUEST_INTERVAL);
  return s;
}

static gboolean
decoded (Run  *run,
         guint n)
{
  return run->results[n].decoded;
}

/* The first keyframe vp8enc made after frame @n. */
static guint
keyframe_after (Run  *run,
                guint n)
{
  for (guint i = 0; i < run->keyframes->len; i++)
    if (g_array_index (run->keyframes, guint, i) > n)
      return g_array_index (run->keyframes, guint, i);
  g_assert_not_reached ();
  return 0;
}

/* ------------------------------------------------------------------ */
/* Policies of the dropper                                             */

static Action
lose_random (Run              *run,
             const PacketInfo *packet)
{
  return g_rand_double (run->rand) < run->loss ? DROP : KEEP;
}

/* The first packet of the first TL2 frame from frame target on. */
static Action
lose_tl2_packet (Run              *run,
                 const PacketInfo *packet)
{
  if (run->chosen[0] < 0 && packet->start && packet->tid == 2 && packet->n >= run->target)
    {
      run->chosen[0] = packet->n;
      return DROP;
    }
  return KEEP;
}

/* From frame target on: the first packet of a TL2 frame, eight frames
 * later the last packet (the marker) of a TL1 frame, eight more frames
 * later a whole TL2 frame. */
static Action
lose_in_upper_layers (Run              *run,
                      const PacketInfo *packet)
{
  if (run->chosen[0] < 0 && packet->start && packet->tid == 2 && packet->n >= run->target)
    {
      run->chosen[0] = packet->n;
      return DROP;
    }
  if (run->chosen[1] < 0 && packet->marker && packet->tid == 1 && packet->n >= run->target + 8)
    {
      run->chosen[1] = packet->n;
      return DROP;
    }
  if (run->chosen[2] < 0 && packet->start && packet->tid == 2 && packet->n >= run->target + 16)
    run->chosen[2] = packet->n;
  return (gint) packet->n == run->chosen[2] ? DROP : KEEP;
}

/* Every packet of the first TL0 frame (not a keyframe) from frame target
 * on; then every packet of the next count keyframes. */
static Action
lose_tl0_frame (Run              *run,
                const PacketInfo *packet)
{
  if (packet->start)
    {
      if (run->chosen[0] < 0 && packet->tid == 0 && !packet->key && packet->n >= run->target)
        run->chosen[0] = run->dropping = packet->n;
      else if (run->chosen[0] >= 0 && packet->key && run->count > 0)
        {
          run->count--;
          run->dropping = packet->n;
        }
    }
  return (gint) packet->n == run->dropping ? DROP : KEEP;
}

/* The second packet of frame target. */
static Action
lose_one_packet (Run              *run,
                 const PacketInfo *packet)
{
  return packet->n == run->target && packet->index_in_frame == 1 ? DROP : KEEP;
}

/* Packets target .. target + count - 1 of the stream. */
static Action
lose_burst (Run              *run,
            const PacketInfo *packet)
{
  return packet->index >= run->target && packet->index < run->target + run->count ? DROP : KEEP;
}

/* Every 37th packet from packet target on becomes garbage. */
static Action
garble (Run              *run,
        const PacketInfo *packet)
{
  return packet->index >= run->target && (packet->index - run->target) % 37 == 0 ? GARBAGE : KEEP;
}

/* ------------------------------------------------------------------ */
/* The encoder's layers                                                */

typedef struct {
  GstBuffer *buffer;
  guint      layer;
  gboolean   sync;
  gboolean   key;
} Encoded;

typedef struct {
  GArray     *frames;  /* Encoded */
  GstElement *encoder;
  guint       bitrate;
  guint       force_at;
  guint       rate_change_at;
} Encoding;

static GstFlowReturn
on_encoded_sample (GstAppSink *sink,
                   gpointer    user_data)
{
  Encoding *encoding = user_data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  Encoded frame = { gst_buffer_ref (buffer), 0, FALSE,
                    !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT) };

  g_assert_true (lattice_vp8_layers_frame_info (buffer, &frame.layer, &frame.sync));
  g_assert_cmpuint (frame_number (GST_BUFFER_PTS (buffer)), ==, encoding->frames->len);
  g_array_append_val (encoding->frames, frame);
  /* Settings changed from the streaming thread apply from the next frame. */
  if (encoding->frames->len == encoding->force_at)
    {
      g_autoptr(GstPad) pad = gst_element_get_static_pad (encoding->encoder, "src");

      gst_pad_send_event (pad, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
    }
  if (encoding->frames->len == encoding->rate_change_at)
    lattice_vp8_layers_set_bitrate (encoding->encoder, encoding->bitrate / 2);
  return GST_FLOW_OK;
}

static void
encoded_clear (gpointer data)
{
  Encoded *frame = data;

  gst_buffer_unref (frame->buffer);
}

/* Encodes @n_frames with the layers at @bitrate; a keyframe is forced at
 * frame @force_at, the bitrate halved from frame @rate_change_at. */
static GArray *
encode (guint n_frames,
        guint bitrate,
        guint force_at,
        guint rate_change_at)
{
  g_autofree char *description = g_strdup_printf (
    "videotestsrc pattern=smpte horizontal-speed=3 num-buffers=%u ! "
    "video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1 ! "
    "vp8enc name=enc deadline=1 cpu-used=8 threads=1 end-usage=cbr lag-in-frames=0 "
    "error-resilient=default keyframe-mode=disabled target-bitrate=%u ! "
    "appsink name=sink sync=false",
    n_frames, WIDTH, HEIGHT, FPS, bitrate);
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch (description, &error);
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) message = NULL;
  Encoding encoding = { g_array_new (FALSE, FALSE, sizeof (Encoded)), NULL, bitrate, force_at, rate_change_at };

  g_assert_no_error (error);
  g_array_set_clear_func (encoding.frames, encoded_clear);
  encoding.encoder = gst_bin_get_by_name (GST_BIN (pipeline), "enc");
  lattice_vp8_layers_configure (encoding.encoder);
  set_sample_callback (pipeline, "sink", on_encoded_sample, &encoding);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipeline);
  message = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (encoding.encoder);
  g_assert_cmpuint (encoding.frames->len, ==, n_frames);
  return encoding.frames;
}

/* Decodes the frames of layers up to @max_layer: frame number → planes. */
static GHashTable *
decode_layers (GArray *frames,
               guint   max_layer)
{
  g_autofree char *description = g_strdup_printf (
    "appsrc name=src format=time caps=video/x-vp8,width=%u,height=%u,framerate=%u/1 ! "
    "vp8dec ! appsink name=sink sync=false", WIDTH, HEIGHT, FPS);
  g_autoptr(GstElement) pipeline = gst_parse_launch (description, NULL);
  g_autoptr(GstElement) src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_autoptr(GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GHashTable *decoded_frames = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_bytes_unref);
  GstSample *sample;

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  for (guint i = 0; i < frames->len; i++)
    {
      const Encoded *frame = &g_array_index (frames, Encoded, i);

      if (frame->layer <= max_layer)
        g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (src), gst_buffer_ref (frame->buffer)), ==, GST_FLOW_OK);
    }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink))) != NULL)
    {
      GstBuffer *buffer = gst_sample_get_buffer (sample);
      GstMapInfo map;

      g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
      g_hash_table_insert (decoded_frames, GUINT_TO_POINTER (frame_number (GST_BUFFER_PTS (buffer))),
                           g_bytes_new (map.data, map.size));
      gst_buffer_unmap (buffer, &map);
      gst_sample_unref (sample);
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return decoded_frames;
}

/* The layer of every frame and the share of the bitrate of each layer. */
static void
test_layers_pattern (void)
{
  static const guint pattern[] = { 0, 2, 1, 2 };
  g_autoptr(GArray) frames = encode (240, BITRATE, 61, 0);
  guint64 bytes[LATTICE_VP8_TEMPORAL_LAYERS] = { 0 };
  guint counts[LATTICE_VP8_TEMPORAL_LAYERS] = { 0 };
  guint64 total = 0;
  double share[LATTICE_VP8_TEMPORAL_LAYERS];

  for (guint n = 0; n < frames->len; n++)
    {
      const Encoded *frame = &g_array_index (frames, Encoded, n);

      /* Keyframes at 0 and where forced, at a TL2 place; the pattern goes
       * on by frame number around them. */
      g_assert_cmpint (frame->key, ==, n == 0 || n == 61);
      g_assert_cmpuint (frame->layer, ==, frame->key ? 0 : pattern[n % 4]);
      g_assert_cmpint (frame->sync, ==, frame->key || frame->layer > 0);
      /* libvpx says which frames no other frame needs; rtpvp8pay makes that N. */
      g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (frame->buffer, GST_BUFFER_FLAG_DROPPABLE), ==, frame->layer > 0);
      if (frame->key)
        continue;
      bytes[frame->layer] += gst_buffer_get_size (frame->buffer);
      counts[frame->layer]++;
      total += gst_buffer_get_size (frame->buffer);
    }
  for (guint l = 0; l < LATTICE_VP8_TEMPORAL_LAYERS; l++)
    {
      share[l] = 100.0 * bytes[l] / total;
      g_test_message ("TL%u: %u frames, %" G_GUINT64_FORMAT " bytes on average, %.1f %% of the bits",
                      l, counts[l], bytes[l] / counts[l], share[l]);
    }
  /* 40 / 20 / 40 % asked; a TL0 frame is about twice a TL1 or TL2 one. */
  g_assert_cmpfloat (fabs (share[0] - 40), <, 5);
  g_assert_cmpfloat (fabs (share[1] - 20), <, 5);
  g_assert_cmpfloat (fabs (share[2] - 40), <, 5);
  g_assert_cmpfloat (bytes[0] / counts[0], >, 1.5 * bytes[1] / counts[1]);
  g_assert_cmpfloat (bytes[0] / counts[0], >, 1.5 * bytes[2] / counts[2]);
}

/* Dropping all of TL2, or TL1 and TL2, changes no remaining frame by one
 * bit: TL1/TL2 frames leave the decoder as they found it. */
static void
test_layers_bit_exact (void)
{
  g_autoptr(GArray) frames = encode (240, BITRATE, 61, 0);
  g_autoptr(GHashTable) full = decode_layers (frames, 2);

  g_assert_cmpuint (g_hash_table_size (full), ==, frames->len);
  for (guint max_layer = 0; max_layer < 2; max_layer++)
    {
      g_autoptr(GHashTable) part = decode_layers (frames, max_layer);
      GHashTableIter iter;
      gpointer key, value;
      guint expected = 0, identical = 0;

      for (guint n = 0; n < frames->len; n++)
        if (g_array_index (frames, Encoded, n).layer <= max_layer)
          expected++;
      g_hash_table_iter_init (&iter, part);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (g_bytes_equal (value, g_hash_table_lookup (full, key)))
          identical++;
      g_test_message ("TL0%s only: %u frames decoded, %u identical to the full stream's",
                      max_layer == 0 ? "" : "+TL1", g_hash_table_size (part), identical);
      g_assert_cmpuint (g_hash_table_size (part), ==, expected);
      g_assert_cmpuint (identical, ==, expected);
    }
}

/* The bytes of TL0 frames (not keyframes) in frames [first, last), in
 * percent of all. */
static double
tl0_share (GArray *frames,
           guint   first,
           guint   last,
           guint64 *total)
{
  guint64 tl0 = 0;

  *total = 0;
  for (guint n = first; n < last; n++)
    {
      const Encoded *frame = &g_array_index (frames, Encoded, n);

      *total += gst_buffer_get_size (frame->buffer);
      if (frame->layer == 0 && !frame->key)
        tl0 += gst_buffer_get_size (frame->buffer);
    }
  return 100.0 * tl0 / *total;
}

/* The bitrate changes while playing, and the split with it. (At 320x240
 * this content needs about 100 kbit/s at vp8enc's coarsest quantizer, so
 * the test halves 300 kbit/s.) */
static void
test_layers_bitrate (void)
{
  g_autoptr(GArray) frames = encode (240, 2 * BITRATE, 0, 120);
  guint64 before, after;
  double share_before, share_after;

  /* Past the first keyframe, and a second for the rate control to settle. */
  share_before = tl0_share (frames, 30, 120, &before);
  share_after = tl0_share (frames, 150, 240, &after);
  g_test_message ("%u kbit/s, then %u kbit/s: %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT
                  " bit/s measured, %.1f and %.1f %% of it TL0",
                  2 * BITRATE / 1000, BITRATE / 1000, before * 8 * FPS / 90, after * 8 * FPS / 90,
                  share_before, share_after);
  g_assert_cmpfloat ((double) after / before, <, 0.7);
  g_assert_cmpfloat ((double) after / before, >, 0.4);
  g_assert_cmpfloat (fabs (share_before - 40), <, 6);
  g_assert_cmpfloat (fabs (share_after - 40), <, 6);
}

/* ------------------------------------------------------------------ */
/* The guard in real pipelines                                         */

static void
test_guard_no_loss (void)
{
  Run *run = run_new (120);
  Summary s;

  run_pipeline (run);
  s = check_guarded (run, "no loss");
  g_assert_cmpuint (s.delivered, ==, run->n_frames);
  g_assert_cmpuint (run->frames_dropped, ==, 0);
  g_assert_cmpuint (run->requests, ==, 0);
  g_assert_cmpuint (s.forced_keyframes, ==, 0);
  g_assert_false (run->broken);
  run_free (run);
}

static void
test_guard_tl2_packet (void)
{
  Run *run = run_new (120);
  Summary s;

  run->policy = lose_tl2_packet;
  run->target = 30;
  run_pipeline (run);
  s = check_guarded (run, "one TL2 packet lost");
  g_assert_cmpuint (run->dropped, ==, 1);
  /* That frame and no other. */
  for (guint n = 0; n < run->n_frames; n++)
    g_assert_cmpint (decoded (run, n), ==, (gint) n != run->chosen[0]);
  g_assert_cmpuint (s.delivered, ==, run->n_frames - 1);
  g_assert_cmpuint (run->frames_dropped, ==, 1);
  g_assert_cmpuint (run->requests, ==, 0);
  g_assert_false (run->broken);
  run_free (run);
}

/* A TL2 frame without its first packet, a TL1 frame without its marker
 * (the next frame starts), a TL2 frame lost whole (a picture ID gap): each
 * costs itself. */
static void
test_guard_upper_layers (void)
{
  Run *run = run_new (120);
  Summary s;

  run->policy = lose_in_upper_layers;
  run->target = 30;
  run_pipeline (run);
  s = check_guarded (run, "three TL1/TL2 losses");
  g_assert_cmpuint (run->hit_frames->len, ==, 3);
  for (guint n = 0; n < run->n_frames; n++)
    g_assert_cmpint (decoded (run, n), ==,
                     (gint) n != run->chosen[0] && (gint) n != run->chosen[1] && (gint) n != run->chosen[2]);
  g_assert_cmpuint (s.delivered, ==, run->n_frames - 3);
  g_assert_cmpuint (run->requests, ==, 0);
  run_free (run);
}

/* A lost TL0 frame breaks everything after it until the keyframe the
 * guard asked for, which really comes back from vp8enc. */
static void
test_guard_tl0_frame (void)
{
  Run *run = run_new (120);
  Summary s;
  guint lost, keyframe;

  run->policy = lose_tl0_frame;
  run->target = 40;
  run_pipeline (run);
  s = check_guarded (run, "one TL0 frame lost");
  lost = run->chosen[0];
  keyframe = keyframe_after (run, lost);
  g_test_message ("TL0 frame %u lost, keyframe at frame %u", lost, keyframe);
  for (guint n = 0; n < run->n_frames; n++)
    g_assert_cmpint (decoded (run, n), ==, n < lost || n >= keyframe);
  g_assert_cmpuint (run->requests, ==, 1);
  g_assert_cmpuint (run->force_events, ==, 1);
  g_assert_cmpuint (s.forced_keyframes, ==, 1);
  g_assert_false (run->broken);
  run_free (run);
}

/* The keyframes the guard asks for are lost too: it asks again, once per
 * request-interval, until one arrives. */
static void
test_guard_keyframes_lost (void)
{
  Run *run = run_new (120);
  Summary s;
  guint lost, keyframe;

  run->policy = lose_tl0_frame;
  run->target = 40;
  run->count = 2;
  run_pipeline (run);
  s = check_guarded (run, "a TL0 frame and the next two keyframes lost");
  lost = run->chosen[0];
  keyframe = keyframe_after (run, run->dropping);
  g_test_message ("TL0 frame %u lost, keyframes lost until frame %u", lost, keyframe);
  for (guint n = 0; n < run->n_frames; n++)
    g_assert_cmpint (decoded (run, n), ==, n < lost || n >= keyframe);
  g_assert_cmpuint (run->requests, ==, 3);
  g_assert_cmpuint (s.forced_keyframes, ==, 3);
  run_free (run);
}

/* No temporal layers (another implementation, or encode-per-peer): every
 * frame is a reference, so one lost packet stops everything until a
 * keyframe. vp8enc holds forced keyframes back for 3 s here, so the guard
 * keeps asking meanwhile. */
static void
test_guard_unlayered (void)
{
  Run *run = run_new (90);
  Summary s;
  guint keyframe;

  run->layered = FALSE;
  run->policy = lose_one_packet;
  run->target = 20;
  run->min_key_interval = 3 * GST_SECOND;
  run_pipeline (run);
  s = check_guarded (run, "unlayered, one packet lost");
  g_assert_cmpuint (run->dropped, ==, 1);
  keyframe = keyframe_after (run, run->target);
  g_test_message ("packet of frame %u lost, keyframe at frame %u", run->target, keyframe);
  g_assert_cmpuint (keyframe, ==, 45);
  for (guint n = 0; n < run->n_frames; n++)
    g_assert_cmpint (decoded (run, n), ==, n < run->target || n >= keyframe);
  /* 25 frames at 15 fps, one request per 250 ms */
  g_assert_cmpuint (run->requests, ==, 7);
  g_assert_cmpuint (s.forced_keyframes, ==, 1);
  run_free (run);
}

static void
test_guard_burst (void)
{
  Run *run = run_new (120);
  Summary s;

  run->policy = lose_burst;
  run->target = 150;
  run->count = 12;
  run_pipeline (run);
  s = check_guarded (run, "a burst of 12 packets lost");
  g_assert_cmpuint (run->hit_frames->len, >=, 3);
  g_assert_cmpuint (run->requests, ==, 1);
  g_assert_cmpuint (s.forced_keyframes, ==, 1);
  /* From the keyframe on, everything. */
  for (guint n = keyframe_after (run, 0); n < run->n_frames; n++)
    g_assert_true (decoded (run, n));
  run_free (run);
}

static void
check_random (gboolean lost_events)
{
  Run *run = run_new (450);
  Summary s;
  const char *name = lost_events ? "3 % random loss, announced by lost events" : "3 % random loss";

  run->policy = lose_random;
  run->loss = 0.03;
  run->lost_events = lost_events;
  run_pipeline (run);
  s = check_guarded (run, name);
  g_assert_cmpuint (run->dropped, >, 0);
  g_assert_cmpuint (s.delivered, >, 0);
  g_assert_cmpuint (s.delivered, <, run->n_frames);
  g_assert_cmpuint (s.delivered + run->frames_dropped, <=, run->n_frames);
  /* Never more than one request per interval: 30 s of video. */
  g_assert_cmpuint (run->requests, <=, run->n_frames / FPS * 4 + 1);
  /* Each request gives the next frame as a keyframe (but one at the end). */
  g_assert_cmpuint (s.forced_keyframes, <=, run->requests);
  g_assert_cmpuint (s.forced_keyframes + 1, >=, run->requests);
  run_free (run);
}

static void
test_guard_random (void)
{
  check_random (FALSE);
}

static void
test_guard_random_lost_events (void)
{
  check_random (TRUE);
}

static void
test_guard_garbage (void)
{
  Run *run = run_new (120);
  Summary s;

  run->policy = garble;
  run->target = 40;
  run_pipeline (run);
  s = check_guarded (run, "garbage packets");
  g_assert_cmpuint (run->replaced, >, 6);
  /* The kinds that are no VP8 RTP packet of this stream at all are counted
   * as such; the others are frames that do not pass. */
  g_assert_cmpuint (run->invalid, ==, run->replaced);
  g_assert_cmpuint (s.delivered, >, run->n_frames / 2);
  run_free (run);
}

/* A new resolution: vp8enc starts again with a keyframe, which passes like
 * any keyframe; a TL0 loss after it is repaired as before. */
static void
test_guard_resolution_change (void)
{
  Run *run = run_new (120);
  Summary s;
  guint keyframe;

  run->resize_at = 30;
  run->policy = lose_tl0_frame;
  run->target = 60;
  run_pipeline (run);
  s = check_guarded (run, "resolution change, then a TL0 frame lost");
  keyframe = keyframe_after (run, run->chosen[0]);
  g_assert_cmpuint (keyframe_after (run, 0), >=, run->resize_at);
  g_assert_cmpuint (keyframe_after (run, 0), <, run->chosen[0]);
  for (guint n = 0; n < run->n_frames; n++)
    g_assert_cmpint (decoded (run, n), ==, n < (guint) run->chosen[0] || n >= keyframe);
  g_assert_cmpuint (run->requests, ==, 1);
  g_assert_cmpuint (s.forced_keyframes, ==, 2);
  run_free (run);
}

/* The control: identity in the guard's place. The same losses give frames
 * decoded against broken references. */
static void
test_control (void)
{
  struct {
    const char *name;
    gboolean    layered;
    guint       n_frames;
    Policy      policy;
    guint       target;
    double      loss;
  } cases[] = {
    { "one TL0 frame lost", TRUE, 120, lose_tl0_frame, 40, 0 },
    { "3 % random loss", TRUE, 450, lose_random, 0, 0.03 },
    { "unlayered, one packet lost", FALSE, 90, lose_one_packet, 20, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Run *run = run_new (cases[i].n_frames);
      Summary s;

      run->guard = FALSE;
      run->layered = cases[i].layered;
      run->policy = cases[i].policy;
      run->target = cases[i].target;
      run->loss = cases[i].loss;
      run_pipeline (run);
      s = summarize (run, cases[i].name);
      g_assert_cmpuint (s.corrupt, >, 0);
      run_free (run);
    }
}

/* ------------------------------------------------------------------ */
/* The guard on its own                                                */

#define RTP_CAPS "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96"
#define PT        96
#define SSRC      0x1234abcdu
#define FRAME_TICKS (90000 / FPS)

/* A sender of made-up VP8 RTP packets. */
typedef struct {
  guint16  seq;
  guint32  timestamp;
  gint     picture_id;       /* -1: none */
  guint    picture_id_bits;
  gboolean layered;
  guint8   tl0picidx;
  guint32  ssrc;
  guint8   pt;
} Sender;

static Sender
sender_new (guint16  seq,
            gint     picture_id,
            guint    picture_id_bits,
            gboolean layered)
{
  Sender s = { seq, 1000, picture_id, picture_id_bits, layered, 0, SSRC, PT };

  return s;
}

/* One packet: descriptor, and for a frame's first packet a VP8 frame tag
 * (first partition of 4 bytes), with start code and size for a keyframe. */
static GstBuffer *
make_packet (const Sender *s,
             gboolean      start,
             gboolean      marker,
             gboolean      key,
             gint          tid,
             gboolean      sync)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 payload[64] = { 0 };
  guint len = 1;
  GstBuffer *buffer;

  payload[0] = start ? 0x10 : 0;
  if (s->picture_id >= 0 || s->layered)
    {
      guint8 *x = &payload[len++];

      payload[0] |= 0x80;
      if (s->picture_id >= 0)
        {
          *x |= 0x80;
          if (s->picture_id_bits == 15)
            {
              payload[len++] = 0x80 | (s->picture_id >> 8);
              payload[len++] = s->picture_id & 0xff;
            }
          else
            payload[len++] = s->picture_id & 0x7f;
        }
      if (s->layered)
        {
          *x |= 0x60;
          payload[len++] = s->tl0picidx;
          payload[len++] = (tid << 6) | (sync ? 0x20 : 0);
        }
    }
  if (start)
    {
      guint32 tag = (4 << 5) | (1 << 4) | (key ? 0 : 1);

      payload[len] = tag & 0xff;
      payload[len + 1] = (tag >> 8) & 0xff;
      payload[len + 2] = tag >> 16;
      if (key)
        {
          static const guint8 key_header[] = { 0x9d, 0x01, 0x2a, 320 & 0xff, 320 >> 8, 240, 0 };

          memcpy (payload + len + 3, key_header, sizeof key_header);
        }
    }
  len += 24;
  buffer = gst_rtp_buffer_new_allocate (len, 0, 0);
  g_assert_true (gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_seq (&rtp, s->seq);
  gst_rtp_buffer_set_timestamp (&rtp, s->timestamp);
  gst_rtp_buffer_set_ssrc (&rtp, s->ssrc);
  gst_rtp_buffer_set_payload_type (&rtp, s->pt);
  gst_rtp_buffer_set_marker (&rtp, marker);
  memcpy (gst_rtp_buffer_get_payload (&rtp), payload, len);
  gst_rtp_buffer_unmap (&rtp);
  return buffer;
}

/* Sends one frame of @n_packets; packets whose bit is set in @lose are
 * lost (counted, not pushed). */
static void
send_frame (GstHarness *h,
            Sender     *s,
            gboolean    key,
            gint        tid,
            gboolean    sync,
            guint       n_packets,
            guint       lose)
{
  if (s->layered && (key || tid == 0))
    s->tl0picidx++;
  for (guint i = 0; i < n_packets; i++)
    {
      if (!(lose & (1u << i)))
        g_assert_cmpint (gst_harness_push (h, make_packet (s, i == 0, i == n_packets - 1, key,
                                                           key ? 0 : tid, key || sync)), ==, GST_FLOW_OK);
      s->seq++;
    }
  s->timestamp += FRAME_TICKS;
  if (s->picture_id >= 0)
    s->picture_id = (s->picture_id + 1) & ((1 << s->picture_id_bits) - 1);
}

static GstHarness *
guard_harness (void)
{
  GstHarness *h = gst_harness_new (LATTICE_VP8_GUARD_FACTORY);

  gst_harness_set_src_caps_str (h, RTP_CAPS);
  return h;
}

static guint64
guard_stat (GstHarness *h,
            const char *name)
{
  guint64 value;

  g_object_get (h->element, name, &value, NULL);
  return value;
}

static gboolean
guard_broken (GstHarness *h)
{
  gboolean broken;

  g_object_get (h->element, "broken", &broken, NULL);
  return broken;
}

/* Force-key-unit events that came out of the guard's sink pad. */
static guint
pull_requests (GstHarness *h)
{
  GstEvent *event;
  guint requests = 0;

  while ((event = gst_harness_try_pull_upstream_event (h)) != NULL)
    {
      if (gst_video_event_is_force_key_unit (event))
        requests++;
      gst_event_unref (event);
    }
  return requests;
}

/* The packets that came out: every frame whole (first packet with S and
 * PID 0, consecutive sequence numbers, marker on the last). Returns the
 * number of frames. */
static guint
pull_frames (GstHarness *h)
{
  GstBuffer *buffer;
  guint frames = 0;
  gboolean in_frame = FALSE;
  guint16 seq = 0;

  while ((buffer = gst_harness_try_pull (h)) != NULL)
    {
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      const guint8 *payload;

      g_assert_true (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp));
      payload = gst_rtp_buffer_get_payload (&rtp);
      if (!in_frame)
        g_assert_cmphex (payload[0] & 0x17, ==, 0x10);
      else
        g_assert_cmpuint (gst_rtp_buffer_get_seq (&rtp), ==, (guint16) (seq + 1));
      seq = gst_rtp_buffer_get_seq (&rtp);
      in_frame = !gst_rtp_buffer_get_marker (&rtp);
      if (!in_frame)
        frames++;
      gst_rtp_buffer_unmap (&rtp);
      gst_buffer_unref (buffer);
    }
  g_assert_false (in_frame);
  return frames;
}

static void
check_wraps (gint     picture_id,
             guint    bits,
             gboolean layered)
{
  GstHarness *h = guard_harness ();
  Sender s = sender_new (65530, picture_id, bits, layered);
  static const gint pattern[] = { 0, 2, 1, 2 };

  s.tl0picidx = 250;
  send_frame (h, &s, TRUE, 0, TRUE, 3, 0);
  for (guint n = 1; n < 40; n++)
    send_frame (h, &s, FALSE, pattern[n % 4], TRUE, 2, 0);
  /* The sequence number, the picture ID and TL0PICIDX wrapped: all 40
   * frames pass, nothing is asked. */
  g_assert_cmpuint (pull_frames (h), ==, 40);
  g_assert_cmpuint (guard_stat (h, "frames-passed"), ==, 40);
  g_assert_cmpuint (guard_stat (h, "frames-dropped"), ==, 0);
  g_assert_cmpuint (pull_requests (h), ==, 0);
  g_assert_false (guard_broken (h));
  gst_harness_teardown (h);
}

static void
test_harness_wraps (void)
{
  check_wraps (32760, 15, FALSE);
  check_wraps (120, 7, FALSE);
  check_wraps (32760, 15, TRUE);
  check_wraps (-1, 0, TRUE);
  check_wraps (-1, 0, FALSE);
}

static void
test_harness_duplicates (void)
{
  GstHarness *h = guard_harness ();
  Sender s = sender_new (100, 5, 15, FALSE);
  Sender old;

  send_frame (h, &s, TRUE, 0, FALSE, 2, 0);
  old = s;
  send_frame (h, &s, FALSE, 0, FALSE, 3, 0);
  /* every packet of that frame again, and its first packet once more */
  send_frame (h, &old, FALSE, 0, FALSE, 3, 0);
  old.seq -= 3;
  g_assert_cmpint (gst_harness_push (h, make_packet (&old, TRUE, FALSE, FALSE, 0, FALSE)), ==, GST_FLOW_OK);
  send_frame (h, &s, FALSE, 0, FALSE, 2, 0);
  g_assert_cmpuint (pull_frames (h), ==, 3);
  g_assert_cmpuint (guard_stat (h, "frames-dropped"), ==, 0);
  g_assert_cmpuint (pull_requests (h), ==, 0);
  gst_harness_teardown (h);
}

/* The first packets of the stream are the end of a frame: nothing passes
 * until a keyframe, asked for at once. */
static void
test_harness_mid_frame_start (void)
{
  GstHarness *h = guard_harness ();
  Sender s = sender_new (7, 9, 15, FALSE);

  g_assert_true (guard_broken (h));
  send_frame (h, &s, FALSE, 0, FALSE, 3, 0x3);
  send_frame (h, &s, FALSE, 0, FALSE, 2, 0);
  g_assert_cmpuint (pull_frames (h), ==, 0);
  g_assert_cmpuint (pull_requests (h), ==, 1);
  g_assert_true (guard_broken (h));
  send_frame (h, &s, TRUE, 0, FALSE, 3, 0);
  send_frame (h, &s, FALSE, 0, FALSE, 2, 0);
  g_assert_cmpuint (pull_frames (h), ==, 2);
  g_assert_false (guard_broken (h));
  g_assert_cmpuint (guard_stat (h, "frames-dropped"), ==, 2);
  gst_harness_teardown (h);
}

/* A frame whose marker is lost ends when the next one starts. */
static void
test_harness_missing_marker (void)
{
  GstHarness *h = guard_harness ();
  Sender s = sender_new (1, 0, 7, FALSE);
  Sender layered = sender_new (1, 0, 7, TRUE);

  /* Unlayered: that frame and everything after it. */
  send_frame (h, &s, TRUE, 0, FALSE, 2, 0);
  send_frame (h, &s, FALSE, 0, FALSE, 3, 0x4);
  send_frame (h, &s, FALSE, 0, FALSE, 2, 0);
  g_assert_cmpuint (pull_frames (h), ==, 1);
  g_assert_cmpuint (pull_requests (h), ==, 1);
  g_assert_true (guard_broken (h));
  gst_harness_teardown (h);

  /* Layered: a TL2 frame costs only itself, a TL0 frame all until a keyframe. */
  h = guard_harness ();
  send_frame (h, &layered, TRUE, 0, TRUE, 2, 0);
  send_frame (h, &layered, FALSE, 2, TRUE, 3, 0x4);
  send_frame (h, &layered, FALSE, 1, TRUE, 2, 0);
  send_frame (h, &layered, FALSE, 2, TRUE, 2, 0);
  send_frame (h, &layered, FALSE, 0, FALSE, 2, 0);
  g_assert_cmpuint (pull_frames (h), ==, 4);
  g_assert_cmpuint (pull_requests (h), ==, 0);
  send_frame (h, &layered, FALSE, 0, FALSE, 3, 0x4);
  send_frame (h, &layered, FALSE, 2, TRUE, 2, 0);
  send_frame (h, &layered, FALSE, 1, TRUE, 2, 0);
  g_assert_cmpuint (pull_frames (h), ==, 0);
  g_assert_cmpuint (pull_requests (h), ==, 1);
  gst_harness_teardown (h);
}

static GstEvent *
lost_event (guint16 seq)
{
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
                               gst_structure_new ("GstRTPPacketLost",
                                                  "seqnum", G_TYPE_UINT, (guint) seq,
                                                  "timestamp", G_TYPE_UINT64, (guint64) 0,
                                                  "duration", G_TYPE_UINT64, (guint64) 0,
                                                  NULL));
}

/* A lost event in the middle of a frame ends it at once, and the keyframe
 * is asked for before the next packet; the event goes no further. */
static void
test_harness_lost_event (void)
{
  GstHarness *h = guard_harness ();
  Sender s = sender_new (500, 3, 15, FALSE);
  GstEvent *event;

  send_frame (h, &s, TRUE, 0, FALSE, 2, 0);
  g_assert_cmpint (gst_harness_push (h, make_packet (&s, TRUE, FALSE, FALSE, 0, FALSE)), ==, GST_FLOW_OK);
  g_assert_true (gst_harness_push_event (h, lost_event (s.seq + 1)));
  g_assert_cmpuint (guard_stat (h, "frames-dropped"), ==, 1);
  g_assert_cmpuint (pull_requests (h), ==, 1);
  g_assert_true (guard_broken (h));
  /* the rest of that frame is no frame of its own */
  s.seq += 2;
  g_assert_cmpint (gst_harness_push (h, make_packet (&s, FALSE, TRUE, FALSE, 0, FALSE)), ==, GST_FLOW_OK);
  s.seq++;
  s.timestamp += FRAME_TICKS;
  s.picture_id++;
  g_assert_cmpuint (guard_stat (h, "frames-dropped"), ==, 1);
  /* one for a packet long gone changes nothing */
  g_assert_true (gst_harness_push_event (h, lost_event (400)));
  g_assert_cmpuint (guard_stat (h, "frames-dropped"), ==, 1);
  send_frame (h, &s, TRUE, 0, FALSE, 2, 0);
  g_assert_cmpuint (pull_frames (h), ==, 2);
  g_assert_false (guard_broken (h));
  while ((event = gst_harness_try_pull_event (h)) != NULL)
    {
      g_assert_false (gst_event_has_name (event, "GstRTPPacketLost"));
      gst_event_unref (event);
    }
  gst_harness_teardown (h);
}

/* While broken: a request at once, then one per request-interval of the
 * element's clock, and none after the keyframe. */
static void
test_harness_request_interval (void)
{
  GstHarness *h = guard_harness ();
  Sender s = sender_new (1, 0, 15, FALSE);
  GstClockTime t = 10 * GST_SECOND;

  gst_harness_set_time (h, t);
  send_frame (h, &s, TRUE, 0, FALSE, 2, 0);
  t += GST_SECOND / FPS;
  gst_harness_set_time (h, t);
  send_frame (h, &s, FALSE, 0, FALSE, 2, 0x1);
  g_assert_cmpuint (pull_requests (h), ==, 1);
  /* 2 s of frames at 15 fps: at 266, 533, 800, … 1866 ms */
  for (guint n = 1; n <= 30; n++)
    {
      gst_harness_set_time (h, t + gst_util_uint64_scale (n, GST_SECOND, FPS));
      send_frame (h, &s, FALSE, 0, FALSE, 2, 0);
    }
  g_assert_cmpuint (pull_requests (h), ==, 7);
  g_assert_cmpuint (guard_stat (h, "keyframe-requests"), ==, 8);
  /* a longer interval */
  g_object_set (h->element, "request-interval", 1000, NULL);
  t += 2 * GST_SECOND;
  for (guint n = 1; n <= 30; n++)
    {
      gst_harness_set_time (h, t + gst_util_uint64_scale (n, GST_SECOND, FPS));
      send_frame (h, &s, FALSE, 0, FALSE, 2, 0);
    }
  g_assert_cmpuint (pull_requests (h), ==, 2);
  t += 3 * GST_SECOND;
  gst_harness_set_time (h, t);
  send_frame (h, &s, TRUE, 0, FALSE, 2, 0);
  for (guint n = 1; n <= 30; n++)
    {
      gst_harness_set_time (h, t + gst_util_uint64_scale (n, GST_SECOND, FPS));
      send_frame (h, &s, FALSE, 0, FALSE, 2, 0);
    }
  g_assert_cmpuint (pull_requests (h), ==, 0);
  g_assert_cmpuint (guard_stat (h, "keyframe-requests"), ==, 10);
  g_assert_cmpuint (pull_frames (h), ==, 32);
  gst_harness_teardown (h);
}

/* A flush drops the frame in the middle, and the decoder behind is flushed
 * too: a keyframe is needed again. */
static void
test_harness_flush (void)
{
  GstHarness *h = guard_harness ();
  Sender s = sender_new (1, 0, 15, TRUE);

  send_frame (h, &s, TRUE, 0, TRUE, 2, 0);
  send_frame (h, &s, FALSE, 2, TRUE, 3, 0x4);  /* open: no marker yet */
  g_assert_cmpuint (pull_frames (h), ==, 1);
  g_assert_false (guard_broken (h));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  g_assert_true (guard_broken (h));
  gst_harness_set_src_caps_str (h, RTP_CAPS);  /* a segment after the flush */
  send_frame (h, &s, FALSE, 1, TRUE, 2, 0);
  g_assert_cmpuint (pull_frames (h), ==, 0);
  send_frame (h, &s, TRUE, 0, TRUE, 2, 0);
  send_frame (h, &s, FALSE, 2, TRUE, 2, 0);
  g_assert_cmpuint (pull_frames (h), ==, 2);
  g_assert_false (guard_broken (h));
  gst_harness_teardown (h);
}

typedef struct {
  GString *log;
} OrderLog;

static GstPadProbeReturn
log_order (GstPad          *pad,
           GstPadProbeInfo *info,
           gpointer         user_data)
{
  OrderLog *order = user_data;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    {
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

      g_assert_true (gst_rtp_buffer_map (GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ, &rtp));
      g_string_append_printf (order->log, "%u ", gst_rtp_buffer_get_seq (&rtp));
      gst_rtp_buffer_unmap (&rtp);
    }
  else if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    {
      GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

      for (guint i = 0; i < gst_buffer_list_length (list); i++)
        {
          GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

          g_assert_true (gst_rtp_buffer_map (gst_buffer_list_get (list, i), GST_MAP_READ, &rtp));
          g_string_append_printf (order->log, "%u ", gst_rtp_buffer_get_seq (&rtp));
          gst_rtp_buffer_unmap (&rtp);
        }
    }
  else
    {
      GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

      g_string_append_printf (order->log, "%s ", GST_EVENT_IS_STICKY (event) ?
                              GST_EVENT_TYPE_NAME (event) :
                              gst_structure_get_name (gst_event_get_structure (event)));
    }
  return GST_PAD_PROBE_OK;
}

/* Events keep their place after the frame they came in; new caps with
 * another payload type make packets of the old one invalid. */
static void
test_harness_events_and_caps (void)
{
  GstHarness *h = guard_harness ();
  Sender s = sender_new (10, 0, 15, FALSE);
  OrderLog order = { g_string_new (NULL) };

  gst_harness_add_probe (h, LATTICE_VP8_GUARD_FACTORY, "src",
                         GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                         GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                         log_order, &order, NULL);
  send_frame (h, &s, TRUE, 0, FALSE, 1, 0);
  g_assert_cmpint (gst_harness_push (h, make_packet (&s, TRUE, FALSE, FALSE, 0, FALSE)), ==, GST_FLOW_OK);
  s.seq++;
  g_assert_true (gst_harness_push_event (h, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
                                                                  gst_structure_new_empty ("test-mark"))));
  gst_harness_set_src_caps_str (h, "application/x-rtp,media=video,encoding-name=VP8,"
                                   "clock-rate=90000,payload=100");
  s.pt = 100;
  g_assert_cmpint (gst_harness_push (h, make_packet (&s, FALSE, TRUE, FALSE, 0, FALSE)), ==, GST_FLOW_OK);
  s.seq++;
  s.timestamp += FRAME_TICKS;
  s.picture_id++;
  g_assert_cmpstr (order.log->str, ==, "10 11 12 test-mark caps segment ");
  /* payload type 96 is no longer this stream's */
  s.pt = 96;
  send_frame (h, &s, FALSE, 0, FALSE, 2, 0);
  g_assert_cmpuint (guard_stat (h, "packets-invalid"), ==, 2);
  s.pt = 100;
  send_frame (h, &s, TRUE, 0, FALSE, 2, 0);
  g_assert_cmpuint (guard_stat (h, "frames-passed"), ==, 3);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  g_string_free (order.log, TRUE);
  gst_harness_teardown (h);
}

/* Frames of upper layers without Y may need earlier frames of their layer
 * and the ones below: they pass only while those are intact. */
static void
test_harness_layer_sync (void)
{
  GstHarness *h = guard_harness ();
  Sender s = sender_new (1, 0, 15, TRUE);

  send_frame (h, &s, TRUE, 0, TRUE, 1, 0);
  send_frame (h, &s, FALSE, 2, FALSE, 1, 0);   /* passes */
  send_frame (h, &s, FALSE, 1, TRUE, 1, 0x1);  /* lost */
  send_frame (h, &s, FALSE, 2, FALSE, 1, 0);   /* may need it: dropped */
  send_frame (h, &s, FALSE, 0, FALSE, 1, 0);   /* passes */
  send_frame (h, &s, FALSE, 2, FALSE, 1, 0);   /* still no TL1 since: dropped */
  send_frame (h, &s, FALSE, 2, TRUE, 1, 0);    /* sync: passes */
  send_frame (h, &s, FALSE, 1, TRUE, 1, 0);    /* sync: passes */
  send_frame (h, &s, FALSE, 2, FALSE, 1, 0);   /* both layers intact: passes */
  g_assert_cmpuint (pull_frames (h), ==, 6);
  g_assert_cmpuint (guard_stat (h, "frames-dropped"), ==, 2);
  g_assert_cmpuint (pull_requests (h), ==, 0);
  g_assert_false (guard_broken (h));
  gst_harness_teardown (h);
}

/* Another SSRC is another stream: it needs a keyframe of its own. */
static void
test_harness_ssrc_change (void)
{
  GstHarness *h = guard_harness ();
  Sender s = sender_new (1, 0, 15, FALSE);

  send_frame (h, &s, TRUE, 0, FALSE, 2, 0);
  send_frame (h, &s, FALSE, 0, FALSE, 2, 0);
  s.ssrc++;
  s.seq = 40000;
  send_frame (h, &s, FALSE, 0, FALSE, 2, 0);
  g_assert_cmpuint (pull_requests (h), ==, 1);
  send_frame (h, &s, TRUE, 0, FALSE, 2, 0);
  g_assert_cmpuint (pull_frames (h), ==, 3);
  g_assert_false (guard_broken (h));
  gst_harness_teardown (h);
}

/* A frame claiming more than it holds, and a frame that never ends, are
 * dropped; memory stays bounded. A frame open at EOS is dropped too. */
static void
test_harness_absurd_sizes (void)
{
  GstHarness *h = guard_harness ();
  Sender s = sender_new (1, 0, 15, FALSE);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *packet;
  GstEvent *event;
  gboolean eos = FALSE;
  guint8 *tag;

  send_frame (h, &s, TRUE, 0, FALSE, 2, 0);
  /* a first partition of 512 KiB, in a frame of 24 bytes */
  packet = make_packet (&s, TRUE, TRUE, FALSE, 0, FALSE);
  g_assert_true (gst_rtp_buffer_map (packet, GST_MAP_WRITE, &rtp));
  tag = (guint8 *) gst_rtp_buffer_get_payload (&rtp) + 4;  /* after X, I and 15 bits */
  tag[0] = 0xf1;
  tag[1] = tag[2] = 0xff;
  gst_rtp_buffer_unmap (&rtp);
  g_assert_cmpint (gst_harness_push (h, packet), ==, GST_FLOW_OK);
  s.seq++;
  s.timestamp += FRAME_TICKS;
  s.picture_id++;
  g_assert_cmpuint (guard_stat (h, "frames-dropped"), ==, 1);
  g_assert_true (guard_broken (h));
  g_assert_cmpuint (pull_requests (h), ==, 1);

  /* a keyframe that never ends: 20 000 packets and no marker */
  for (guint i = 0; i < 20000; i++)
    {
      g_assert_cmpint (gst_harness_push (h, make_packet (&s, i == 0, FALSE, TRUE, 0, FALSE)), ==, GST_FLOW_OK);
      s.seq++;
    }
  g_assert_cmpint (gst_harness_push (h, make_packet (&s, FALSE, TRUE, TRUE, 0, FALSE)), ==, GST_FLOW_OK);
  s.seq++;
  s.timestamp += FRAME_TICKS;
  s.picture_id++;
  g_assert_cmpuint (guard_stat (h, "frames-dropped"), ==, 2);
  g_assert_true (guard_broken (h));

  send_frame (h, &s, TRUE, 0, FALSE, 2, 0);
  g_assert_false (guard_broken (h));
  g_assert_cmpuint (pull_frames (h), ==, 2);

  g_assert_cmpint (gst_harness_push (h, make_packet (&s, TRUE, FALSE, FALSE, 0, FALSE)), ==, GST_FLOW_OK);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  g_assert_cmpuint (guard_stat (h, "frames-dropped"), ==, 3);
  g_assert_cmpuint (pull_frames (h), ==, 0);
  while ((event = gst_harness_try_pull_event (h)) != NULL)
    {
      eos |= GST_EVENT_TYPE (event) == GST_EVENT_EOS;
      gst_event_unref (event);
    }
  g_assert_true (eos);
  gst_harness_teardown (h);
}

/* Anything at all: nothing crashes, and whatever comes out is whole frames.
 * Random packets first, then real RTP with random VP8 payloads in
 * sequence, then a sane stream, which must get through. */
static void
test_harness_garbage (void)
{
  GstHarness *h = guard_harness ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (6386);
  Sender s = sender_new (0, 0, 15, TRUE);
  guint64 invalid;

  for (guint i = 0; i < 3000; i++)
    {
      guint size = g_rand_int_range (rand, 1, i % 100 == 0 ? 100000 : 64);
      guint8 *junk = g_malloc (size);

      for (guint j = 0; j < size; j++)
        junk[j] = g_rand_int_range (rand, 0, 256);
      g_assert_cmpint (gst_harness_push (h, gst_buffer_new_wrapped (junk, size)), ==, GST_FLOW_OK);
    }
  for (guint i = 0; i < 20000; i++)
    {
      guint size = g_rand_int_range (rand, 0, 40);
      GstBuffer *buffer = gst_rtp_buffer_new_allocate (size, 0, 0);
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      guint8 *payload;

      g_assert_true (gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp));
      gst_rtp_buffer_set_seq (&rtp, s.seq++);
      gst_rtp_buffer_set_timestamp (&rtp, s.timestamp + FRAME_TICKS * g_rand_int_range (rand, 0, 3));
      gst_rtp_buffer_set_ssrc (&rtp, SSRC);
      gst_rtp_buffer_set_payload_type (&rtp, PT);
      gst_rtp_buffer_set_marker (&rtp, g_rand_boolean (rand));
      payload = gst_rtp_buffer_get_payload (&rtp);
      for (guint j = 0; j < size; j++)
        payload[j] = g_rand_int_range (rand, 0, 256);
      /* now and then a descriptor that says "start", and a key frame tag */
      if (size > 12 && g_rand_int_range (rand, 0, 4) == 0)
        {
          payload[0] = 0x10;
          payload[1] &= 0xfe;
        }
      gst_rtp_buffer_unmap (&rtp);
      if (g_rand_int_range (rand, 0, 50) == 0)
        s.timestamp += FRAME_TICKS;
      g_assert_cmpint (gst_harness_push (h, buffer), ==, GST_FLOW_OK);
      if (i % 1000 == 0)
        pull_frames (h);
    }
  pull_frames (h);
  invalid = guard_stat (h, "packets-invalid");
  g_test_message ("garbage: %" G_GUINT64_FORMAT " invalid packets, %" G_GUINT64_FORMAT
                  " frames dropped, %" G_GUINT64_FORMAT " passed",
                  invalid, guard_stat (h, "frames-dropped"), guard_stat (h, "frames-passed"));
  g_assert_cmpuint (invalid, >, 2900);
  pull_requests (h);

  s.timestamp += 10 * FRAME_TICKS;
  send_frame (h, &s, TRUE, 0, TRUE, 3, 0);
  send_frame (h, &s, FALSE, 2, TRUE, 2, 0);
  send_frame (h, &s, FALSE, 1, TRUE, 2, 0);
  g_assert_cmpuint (pull_frames (h), ==, 3);
  g_assert_false (guard_broken (h));
  gst_harness_teardown (h);
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (lattice_vp8_guard_register ());

  g_test_add_func ("/vp8-guard/layers/pattern", test_layers_pattern);
  g_test_add_func ("/vp8-guard/layers/bit-exact", test_layers_bit_exact);
  g_test_add_func ("/vp8-guard/layers/bitrate", test_layers_bitrate);

  g_test_add_func ("/vp8-guard/harness/wraps", test_harness_wraps);
  g_test_add_func ("/vp8-guard/harness/duplicates", test_harness_duplicates);
  g_test_add_func ("/vp8-guard/harness/mid-frame-start", test_harness_mid_frame_start);
  g_test_add_func ("/vp8-guard/harness/missing-marker", test_harness_missing_marker);
  g_test_add_func ("/vp8-guard/harness/lost-event", test_harness_lost_event);
  g_test_add_func ("/vp8-guard/harness/request-interval", test_harness_request_interval);
  g_test_add_func ("/vp8-guard/harness/flush", test_harness_flush);
  g_test_add_func ("/vp8-guard/harness/events-and-caps", test_harness_events_and_caps);
  g_test_add_func ("/vp8-guard/harness/layer-sync", test_harness_layer_sync);
  g_test_add_func ("/vp8-guard/harness/ssrc-change", test_harness_ssrc_change);
  g_test_add_func ("/vp8-guard/harness/absurd-sizes", test_harness_absurd_sizes);
  g_test_add_func ("/vp8-guard/harness/garbage", test_harness_garbage);

  g_test_add_func ("/vp8-guard/pipeline/no-loss", test_guard_no_loss);
  g_test_add_func ("/vp8-guard/pipeline/tl2-packet", test_guard_tl2_packet);
  g_test_add_func ("/vp8-guard/pipeline/upper-layers", test_guard_upper_layers);
  g_test_add_func ("/vp8-guard/pipeline/tl0-frame", test_guard_tl0_frame);
  g_test_add_func ("/vp8-guard/pipeline/keyframes-lost", test_guard_keyframes_lost);
  g_test_add_func ("/vp8-guard/pipeline/unlayered", test_guard_unlayered);
  g_test_add_func ("/vp8-guard/pipeline/burst", test_guard_burst);
  g_test_add_func ("/vp8-guard/pipeline/random-3", test_guard_random);
  g_test_add_func ("/vp8-guard/pipeline/random-3-lost-events", test_guard_random_lost_events);
  g_test_add_func ("/vp8-guard/pipeline/garbage", test_guard_garbage);
  g_test_add_func ("/vp8-guard/pipeline/resolution-change", test_guard_resolution_change);
  g_test_add_func ("/vp8-guard/pipeline/control", test_control);
  return g_test_run ();
}
