/* lattice-vp8-guard.c: lets through only the RTP packets of VP8 frames that will decode intact
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Written from RFC 7741 (RTP payload format for VP8) and RFC 6386 (VP8).
 * Everything but the properties belongs to the streaming thread: the sink
 * pad's stream lock serialises packets, serialized events and FLUSH_STOP.
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <string.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#include "lattice-vp8-guard.h"

GST_DEBUG_CATEGORY_STATIC (guard_debug);
#define GST_CAT_DEFAULT guard_debug

#define DEFAULT_REQUEST_INTERVAL_MS  250
#define MIN_REQUEST_INTERVAL_MS       10
#define MAX_REQUEST_INTERVAL_MS    60000

/* A frame larger than this is garbage, not video (a 4K keyframe at call
 * bitrates is a few hundred kilobytes); it bounds what a frame that never
 * gets its marker can hold. */
#define MAX_FRAME_BYTES    (16 * 1024 * 1024)
#define MAX_FRAME_PACKETS  16384
/* A sequence number this far behind the last one is not a late duplicate
 * but a sender that started counting again. */
#define SEQ_RESTART_DISTANCE  3000
/* After this many lost packets, picture IDs (7 bits) and TL0PICIDX (8
 * bits, at least one packet per TL0 frame and one per frame of the layers
 * between) may have wrapped around unseen: the only safe assumption is
 * that something is broken. */
#define LONG_GAP_PACKETS  128

#define MAX_TID  3  /* TID has two bits */

/* VP8 payload header (RFC 6386 9.1): the 3-byte frame tag, and for key
 * frames the start code and the dimensions after it. */
#define FRAME_TAG_SIZE     3
#define KEY_HEADER_SIZE   10

enum {
  PROP_0,
  PROP_REQUEST_INTERVAL,
  PROP_FRAMES_PASSED,
  PROP_FRAMES_DROPPED,
  PROP_KEYFRAME_REQUESTS,
  PROP_PACKETS_INVALID,
  PROP_BROKEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One RTP packet, as the guard sees it. */
typedef struct {
  guint16  seq;
  guint32  timestamp;
  guint32  ssrc;
  gboolean marker;
  gboolean start;           /* S set and PID 0: the frame's first packet */
  gint     picture_id;      /* -1: no I field */
  guint    picture_id_bits; /* 7 or 15 */
  gboolean layered;         /* L and T: TL0PICIDX and TID present */
  guint8   tl0picidx;
  guint    tid;
  gboolean layer_sync;      /* Y */
  guint8   head[KEY_HEADER_SIZE];  /* the first bytes of VP8 data */
  gsize    head_len;
  gsize    vp8_len;
} Packet;

/* The frame being reassembled. */
typedef struct {
  gboolean       open;
  guint32        timestamp;
  gint           picture_id;
  guint          picture_id_bits;
  gboolean       layered;
  guint8         tl0picidx;
  guint          tid;
  gboolean       layer_sync;
  gboolean       missing_before;  /* whole frames were lost just before it */
  gboolean       after_long_gap;
  /* The packets so far; NULL once the frame cannot pass (its first packet
   * missing, a packet lost in it, too large). */
  GstBufferList *packets;
  gsize          bytes;
  gsize          vp8_bytes;
  guint8         header[KEY_HEADER_SIZE];
  gsize          header_len;
} Frame;

struct _LatticeVp8Guard {
  GstElement    parent_instance;

  GstPad       *sinkpad;
  GstPad       *srcpad;

  /* Streaming thread. */
  gint          payload_type;     /* of the caps; -1: any */
  gboolean      have_seq;
  guint16       last_seq;         /* received, or reported lost */
  guint         lost_packets;     /* since the last packet received */
  gboolean      restart;          /* a new stream: nothing before it counts */
  gboolean      have_ssrc;
  guint32       ssrc;
  gint          last_picture_id;  /* -1: none yet */
  guint         last_picture_id_bits;
  Frame         frame;
  gboolean      have_closed;      /* the last frame judged, whose late */
  guint32       closed_timestamp; /* packets make no frame of their own */
  gint          closed_picture_id;
  GQueue        held_events;      /* serialized events that came during a frame */

  /* What the decoder holds, as far as the frames pushed tell. */
  gboolean      waiting;          /* references broken: nothing but a keyframe */
  gboolean      tl0_valid;        /* the last reference passed was a layered one */
  guint8        tl0picidx;        /* its TL0PICIDX */
  gboolean      layer_intact[MAX_TID + 1];  /* [t]: every frame of layer t since its sync */

  GstClock     *request_clock;    /* what last_request was measured on; NULL: monotonic */
  GstClockTime  last_request;

  /* Object lock. */
  guint         request_interval_ms;
  guint64       frames_passed;
  guint64       frames_dropped;
  guint64       keyframe_requests;
  guint64       packets_invalid;
  gboolean      broken;
};

G_DEFINE_FINAL_TYPE (LatticeVp8Guard, lattice_vp8_guard, GST_TYPE_ELEMENT)

#define RTP_VP8_CAPS "application/x-rtp, media=(string)video, encoding-name=(string)VP8"

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (RTP_VP8_CAPS));
static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (RTP_VP8_CAPS));

/* ------------------------------------------------------------------ */
/* Statistics                                                          */

static void
count (LatticeVp8Guard *self,
       guint64         *counter)
{
  GST_OBJECT_LOCK (self);
  (*counter)++;
  GST_OBJECT_UNLOCK (self);
}

static void
set_waiting (LatticeVp8Guard *self,
             gboolean         waiting)
{
  gboolean changed;

  self->waiting = waiting;
  GST_OBJECT_LOCK (self);
  changed = self->broken != waiting;
  self->broken = waiting;
  GST_OBJECT_UNLOCK (self);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BROKEN]);
}

/* ------------------------------------------------------------------ */
/* Keyframe requests                                                   */

static void
request_keyframe_if_due (LatticeVp8Guard *self)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime now, interval;
  gboolean due;

  now = clock != NULL ? gst_clock_get_time (clock) : (GstClockTime) g_get_monotonic_time () * GST_USECOND;
  GST_OBJECT_LOCK (self);
  interval = (GstClockTime) self->request_interval_ms * GST_MSECOND;
  GST_OBJECT_UNLOCK (self);

  /* Times from another clock (the pipeline's replaced the monotonic one,
   * or changed) cannot be compared: then it is due. */
  due = !GST_CLOCK_TIME_IS_VALID (self->last_request) || clock != self->request_clock ||
        now < self->last_request || now - self->last_request >= interval;
  if (!due)
    {
      g_clear_object (&clock);
      return;
    }
  g_clear_object (&self->request_clock);
  self->request_clock = clock;
  self->last_request = now;
  count (self, &self->keyframe_requests);
  g_debug ("%s: asking for a keyframe", GST_OBJECT_NAME (self));
  gst_pad_push_event (self->sinkpad,
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
}

/* ------------------------------------------------------------------ */
/* Decodability                                                        */

static void
break_references (LatticeVp8Guard *self,
                  const char      *why)
{
  if (!self->waiting)
    g_debug ("%s: %s, waiting for a keyframe", GST_OBJECT_NAME (self), why);
  set_waiting (self, TRUE);
}

/* Frames of layer @tid or above may be lost: a later frame of those layers
 * without Y may have needed them. */
static void
upper_layers_lost (LatticeVp8Guard *self,
                   guint            tid)
{
  for (guint t = MAX (tid, 1); t <= MAX_TID; t++)
    self->layer_intact[t] = FALSE;
}

static gboolean
layers_intact (LatticeVp8Guard *self,
               guint            tid)
{
  for (guint t = 1; t <= tid; t++)
    if (!self->layer_intact[t])
      return FALSE;
  return TRUE;
}

static gboolean
frame_is_key (const Frame *frame)
{
  return frame->header_len >= 1 && (frame->header[0] & 0x01) == 0;
}

/* What can be checked of a complete frame without decoding it: the frame
 * tag, a keyframe's start code and size, and that the first partition
 * fits in the frame. */
static gboolean
frame_header_valid (const Frame *frame)
{
  guint32 tag, first_partition;
  gsize header_size;

  if (frame->header_len < FRAME_TAG_SIZE)
    return FALSE;
  tag = frame->header[0] | (frame->header[1] << 8) | ((guint32) frame->header[2] << 16);
  if (((tag >> 1) & 0x7) > 3)  /* version */
    return FALSE;
  first_partition = tag >> 5;
  header_size = FRAME_TAG_SIZE;
  if (frame_is_key (frame))
    {
      guint width, height;

      if (frame->header_len < KEY_HEADER_SIZE || frame->header[3] != 0x9d ||
          frame->header[4] != 0x01 || frame->header[5] != 0x2a)
        return FALSE;
      width = (frame->header[6] | (frame->header[7] << 8)) & 0x3fff;
      height = (frame->header[8] | (frame->header[9] << 8)) & 0x3fff;
      if (width == 0 || height == 0)
        return FALSE;
      header_size = KEY_HEADER_SIZE;
    }
  return frame->vp8_bytes >= header_size + first_partition;
}

/* Whether the decoder will decode @frame as the sender meant, and what it
 * holds afterwards if the frame is pushed. */
static gboolean
judge_frame (LatticeVp8Guard *self,
             const Frame     *frame,
             gboolean         complete)
{
  guint8 ahead;

  if (complete && frame_is_key (frame))
    {
      set_waiting (self, FALSE);
      self->tl0_valid = frame->layered;
      self->tl0picidx = frame->tl0picidx;
      for (guint t = 1; t <= MAX_TID; t++)
        self->layer_intact[t] = TRUE;
      return TRUE;
    }

  if (frame->after_long_gap)
    break_references (self, "long gap");
  else if (frame->missing_before)
    {
      /* Layered, the TL0PICIDX of what follows tells whether a TL0 frame
       * was among them; without layers each of them was a reference. */
      if (frame->layered)
        upper_layers_lost (self, 1);
      else
        break_references (self, "frame missing");
    }

  if (!complete)
    {
      if (frame->layered && frame->tid > 0)
        upper_layers_lost (self, frame->tid);
      else
        break_references (self, "incomplete frame");
      return FALSE;
    }
  if (self->waiting)
    return FALSE;

  if (!frame->layered)
    {
      /* It replaces LAST, so TL0PICIDX no longer says what LAST holds. */
      self->tl0_valid = FALSE;
      return TRUE;
    }
  if (!self->tl0_valid)
    {
      break_references (self, "layered frame after unlayered ones");
      return FALSE;
    }
  ahead = (guint8) (frame->tl0picidx - self->tl0picidx);
  if (frame->tid == 0)
    {
      if (ahead == 1)
        {
          self->tl0picidx = frame->tl0picidx;
          return TRUE;
        }
      break_references (self, "TL0 frame missing");
      return FALSE;
    }
  if (ahead == 0)
    {
      if (frame->layer_sync)
        {
          self->layer_intact[frame->tid] = TRUE;
          return TRUE;
        }
      if (layers_intact (self, frame->tid))
        return TRUE;
      upper_layers_lost (self, frame->tid);
      return FALSE;
    }
  /* Its TL0 frame is one we never passed. Behind: an old frame whose
   * reference is gone, harmless to drop. Ahead: that TL0 frame was lost. */
  if (ahead < 128)
    break_references (self, "TL0 frame missing");
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Reassembly                                                          */

static void
frame_discard_packets (Frame *frame)
{
  g_clear_pointer (&frame->packets, gst_buffer_list_unref);
}

static void
push_held_events (LatticeVp8Guard *self)
{
  GstEvent *event;

  while ((event = g_queue_pop_head (&self->held_events)) != NULL)
    gst_pad_push_event (self->srcpad, event);
}

/* Ends the frame being reassembled: @marker says its last packet came. */
static GstFlowReturn
close_frame (LatticeVp8Guard *self,
             gboolean         marker)
{
  Frame *frame = &self->frame;
  GstBufferList *packets;
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean complete, pass;

  if (!frame->open)
    {
      push_held_events (self);
      return GST_FLOW_OK;
    }

  complete = marker && frame->packets != NULL && frame_header_valid (frame);
  pass = judge_frame (self, frame, complete);
  packets = g_steal_pointer (&frame->packets);
  frame->open = FALSE;
  self->have_closed = TRUE;
  self->closed_timestamp = frame->timestamp;
  self->closed_picture_id = frame->picture_id;
  GST_LOG_OBJECT (self, "frame ts %u picture %d TL%u/%u%s: %s%s", frame->timestamp,
                  frame->picture_id, frame->tid, frame->tl0picidx,
                  complete && frame_is_key (frame) ? " key" : "",
                  complete ? "complete" : "incomplete", pass ? ", passed" : ", dropped");
  if (pass)
    {
      count (self, &self->frames_passed);
      ret = gst_pad_push_list (self->srcpad, packets);
    }
  else
    {
      count (self, &self->frames_dropped);
      if (packets != NULL)
        gst_buffer_list_unref (packets);
    }
  if (self->waiting)
    request_keyframe_if_due (self);
  push_held_events (self);
  return ret;
}

static gboolean
same_frame (guint32       timestamp,
            gint          picture_id,
            const Packet *packet)
{
  return packet->timestamp == timestamp && !packet->start &&
         (packet->picture_id < 0 || picture_id < 0 || packet->picture_id == picture_id);
}

static void
open_frame (LatticeVp8Guard *self,
            const Packet    *packet,
            gboolean         gap,
            gboolean         long_gap)
{
  Frame *frame = &self->frame;

  memset (frame, 0, sizeof *frame);
  frame->open = TRUE;
  frame->timestamp = packet->timestamp;
  frame->picture_id = packet->picture_id;
  frame->picture_id_bits = packet->picture_id_bits;
  frame->layered = packet->layered;
  frame->tl0picidx = packet->tl0picidx;
  frame->tid = packet->tid;
  frame->layer_sync = packet->layer_sync;
  frame->after_long_gap = long_gap;
  /* Picture IDs count frames exactly; without them a gap between frames
   * may have been whole frames. */
  if (packet->picture_id >= 0 && self->last_picture_id >= 0)
    {
      guint mask = (1u << packet->picture_id_bits) - 1;

      frame->missing_before = packet->picture_id_bits != self->last_picture_id_bits ||
                              ((guint) (packet->picture_id - self->last_picture_id) & mask) != 1;
    }
  else
    frame->missing_before = gap;
  if (packet->picture_id >= 0)
    {
      self->last_picture_id = packet->picture_id;
      self->last_picture_id_bits = packet->picture_id_bits;
    }
  /* Without its first packet it cannot be decoded. */
  if (packet->start)
    frame->packets = gst_buffer_list_new ();
}

static void
frame_add_packet (Frame        *frame,
                  const Packet *packet,
                  GstBuffer    *buffer)
{
  gsize take;

  if (frame->packets == NULL)
    {
      gst_buffer_unref (buffer);
      return;
    }
  frame->bytes += gst_buffer_get_size (buffer);
  frame->vp8_bytes += packet->vp8_len;
  if (frame->bytes > MAX_FRAME_BYTES || gst_buffer_list_length (frame->packets) >= MAX_FRAME_PACKETS)
    {
      frame_discard_packets (frame);
      gst_buffer_unref (buffer);
      return;
    }
  take = MIN (packet->head_len, KEY_HEADER_SIZE - frame->header_len);
  memcpy (frame->header + frame->header_len, packet->head, take);
  frame->header_len += take;
  gst_buffer_list_add (frame->packets, buffer);
}

/* RFC 7741 4.2: the payload descriptor, and the first bytes after it. */
static gboolean
parse_packet (LatticeVp8Guard *self,
              GstBuffer       *buffer,
              Packet          *packet)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  const guint8 *data;
  guint size, pos = 1;
  gboolean has_l = FALSE, has_t = FALSE, ok = FALSE;

  memset (packet, 0, sizeof *packet);
  packet->picture_id = -1;
  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return FALSE;
  packet->seq = gst_rtp_buffer_get_seq (&rtp);
  packet->timestamp = gst_rtp_buffer_get_timestamp (&rtp);
  packet->ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  packet->marker = gst_rtp_buffer_get_marker (&rtp);
  if (self->payload_type >= 0 && gst_rtp_buffer_get_payload_type (&rtp) != self->payload_type)
    goto out;
  data = gst_rtp_buffer_get_payload (&rtp);
  size = gst_rtp_buffer_get_payload_len (&rtp);
  if (data == NULL || size < 2)
    goto out;

  packet->start = (data[0] & 0x10) != 0 && (data[0] & 0x07) == 0;
  if (data[0] & 0x80)  /* X */
    {
      guint8 x = data[pos++];

      if (x & 0x80)  /* I */
        {
          if (pos >= size)
            goto out;
          if (data[pos] & 0x80)  /* M: 15 bits */
            {
              if (pos + 1 >= size)
                goto out;
              packet->picture_id = ((data[pos] & 0x7f) << 8) | data[pos + 1];
              packet->picture_id_bits = 15;
              pos += 2;
            }
          else
            {
              packet->picture_id = data[pos] & 0x7f;
              packet->picture_id_bits = 7;
              pos++;
            }
        }
      if (x & 0x40)  /* L */
        {
          if (pos >= size)
            goto out;
          packet->tl0picidx = data[pos++];
          has_l = TRUE;
        }
      if (x & 0x30)  /* T or K: one octet for both */
        {
          if (pos >= size)
            goto out;
          if (x & 0x20)
            {
              packet->tid = data[pos] >> 6;
              packet->layer_sync = (data[pos] & 0x20) != 0;
              has_t = TRUE;
            }
          pos++;
        }
    }
  if (pos >= size)  /* a descriptor and no VP8 data */
    goto out;
  /* TL0PICIDX without TID, or TID without TL0PICIDX, says too little to
   * follow the layers: such a stream is taken as unlayered. */
  packet->layered = has_l && has_t;
  packet->vp8_len = size - pos;
  packet->head_len = MIN (packet->vp8_len, KEY_HEADER_SIZE);
  memcpy (packet->head, data + pos, packet->head_len);
  ok = TRUE;

out:
  gst_rtp_buffer_unmap (&rtp);
  return ok;
}

static GstFlowReturn
handle_packet (LatticeVp8Guard *self,
               GstBuffer       *buffer)
{
  Frame *frame = &self->frame;
  GstFlowReturn ret = GST_FLOW_OK;
  Packet packet;
  gboolean gap, long_gap;

  if (!parse_packet (self, buffer, &packet))
    {
      GST_LOG_OBJECT (self, "dropping an invalid packet of %" G_GSIZE_FORMAT " bytes",
                      gst_buffer_get_size (buffer));
      count (self, &self->packets_invalid);
      gst_buffer_unref (buffer);
      return GST_FLOW_OK;
    }

  /* Another source is another stream: nothing of the old one counts. */
  if (self->have_ssrc && packet.ssrc != self->ssrc)
    {
      ret = close_frame (self, FALSE);
      self->restart = TRUE;
    }
  self->have_ssrc = TRUE;
  self->ssrc = packet.ssrc;
  if (self->restart)
    self->have_seq = FALSE;

  if (self->have_seq)
    {
      gint delta = (gint16) (packet.seq - self->last_seq);

      if (delta <= 0 && delta > -SEQ_RESTART_DISTANCE)
        {
          /* A duplicate, or older than what was given up on. */
          gst_buffer_unref (buffer);
          return ret;
        }
      if (delta < 0)
        self->restart = TRUE;
      else
        self->lost_packets += delta - 1;
    }
  if (self->restart)
    {
      self->last_picture_id = -1;
      self->have_closed = FALSE;
    }
  gap = self->lost_packets > 0 || self->restart;
  long_gap = self->lost_packets >= LONG_GAP_PACKETS || self->restart;
  self->have_seq = TRUE;
  self->last_seq = packet.seq;
  self->lost_packets = 0;
  self->restart = FALSE;

  /* The rest of a frame already judged: a lost event ended it early. */
  if (!frame->open && self->have_closed &&
      same_frame (self->closed_timestamp, self->closed_picture_id, &packet))
    {
      gst_buffer_unref (buffer);
      return ret;
    }
  if (frame->open && !same_frame (frame->timestamp, frame->picture_id, &packet))
    {
      GstFlowReturn closed = close_frame (self, FALSE);

      if (ret == GST_FLOW_OK)
        ret = closed;
    }
  if (!frame->open)
    open_frame (self, &packet, gap, long_gap);
  else if (gap)
    frame_discard_packets (frame);
  frame_add_packet (frame, &packet, buffer);
  if (packet.marker)
    {
      GstFlowReturn closed = close_frame (self, TRUE);

      if (ret == GST_FLOW_OK)
        ret = closed;
    }
  return ret;
}

/* A GstRTPPacketLost event: the jitterbuffer gave up on a packet (and
 * maybe the ones after it; the next packet tells). */
static void
handle_lost (LatticeVp8Guard    *self,
             const GstStructure *s)
{
  guint seqnum;

  if (!self->have_seq)
    return;
  if (gst_structure_get_uint (s, "seqnum", &seqnum))
    {
      gint delta = (gint16) ((guint16) seqnum - self->last_seq);

      if (delta <= 0)
        return;
      self->lost_packets += delta;
      self->last_seq = (guint16) seqnum;
    }
  else
    self->lost_packets++;
  /* The frame being reassembled has not had its last packet: it was this
   * one or comes after it. Either way the frame is incomplete, and it is
   * better to know it, and ask for a keyframe, now. */
  close_frame (self, FALSE);
  if (self->waiting)
    request_keyframe_if_due (self);
}

/* ------------------------------------------------------------------ */
/* Pads                                                                */

static GstFlowReturn
lattice_vp8_guard_chain (GstPad    *pad,
                         GstObject *parent,
                         GstBuffer *buffer)
{
  return handle_packet (LATTICE_VP8_GUARD (parent), buffer);
}

static GstFlowReturn
lattice_vp8_guard_chain_list (GstPad        *pad,
                              GstObject     *parent,
                              GstBufferList *list)
{
  LatticeVp8Guard *self = LATTICE_VP8_GUARD (parent);
  GstFlowReturn ret = GST_FLOW_OK;
  guint n = gst_buffer_list_length (list);

  for (guint i = 0; i < n && ret == GST_FLOW_OK; i++)
    ret = handle_packet (self, gst_buffer_ref (gst_buffer_list_get (list, i)));
  gst_buffer_list_unref (list);
  return ret;
}

static void
reset_stream (LatticeVp8Guard *self)
{
  frame_discard_packets (&self->frame);
  memset (&self->frame, 0, sizeof self->frame);
  self->have_closed = FALSE;
  self->have_seq = FALSE;
  self->lost_packets = 0;
  self->restart = FALSE;
  self->have_ssrc = FALSE;
  self->last_picture_id = -1;
  self->tl0_valid = FALSE;
  /* The decoder is flushed or new as well. */
  set_waiting (self, TRUE);
  g_clear_object (&self->request_clock);
  self->last_request = GST_CLOCK_TIME_NONE;
}

static void
read_caps (LatticeVp8Guard *self,
           GstCaps         *caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  int payload;

  self->payload_type = gst_structure_get_int (s, "payload", &payload) ? payload : -1;
}

/* Drops the frame being reassembled, but keeps the stream's configuration
 * that came during it. */
static gboolean
flush_stop (LatticeVp8Guard *self,
            GstEvent        *event)
{
  GQueue held = self->held_events;
  GstEvent *e;
  gboolean ret;

  g_queue_init (&self->held_events);
  reset_stream (self);
  ret = gst_pad_push_event (self->srcpad, event);
  while ((e = g_queue_pop_head (&held)) != NULL)
    {
      if (GST_EVENT_IS_STICKY (e) && GST_EVENT_TYPE (e) != GST_EVENT_SEGMENT)
        gst_pad_push_event (self->srcpad, e);
      else
        gst_event_unref (e);
    }
  return ret;
}

static gboolean
lattice_vp8_guard_sink_event (GstPad    *pad,
                              GstObject *parent,
                              GstEvent  *event)
{
  LatticeVp8Guard *self = LATTICE_VP8_GUARD (parent);

  switch (GST_EVENT_TYPE (event))
    {
    case GST_EVENT_CUSTOM_DOWNSTREAM:
    case GST_EVENT_CUSTOM_DOWNSTREAM_OOB:
      if (gst_event_has_name (event, "GstRTPPacketLost"))
        {
          handle_lost (self, gst_event_get_structure (event));
          gst_event_unref (event);
          return TRUE;
        }
      break;
    case GST_EVENT_CAPS:
      {
        GstCaps *caps;

        gst_event_parse_caps (event, &caps);
        read_caps (self, caps);
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      return flush_stop (self, event);
    case GST_EVENT_STREAM_START:
      /* A frame cannot go on into another stream. */
      close_frame (self, FALSE);
      self->restart = TRUE;
      break;
    case GST_EVENT_EOS:
      close_frame (self, FALSE);
      break;
    default:
      break;
    }

  /* Keep the order of events and packets: what came during a frame goes
   * out after it (its packets wait for its marker). */
  if (GST_EVENT_IS_SERIALIZED (event) && self->frame.open)
    {
      g_queue_push_tail (&self->held_events, event);
      return TRUE;
    }
  return gst_pad_push_event (self->srcpad, event);
}

/* ------------------------------------------------------------------ */
/* GObject and GstElement                                              */

static GstStateChangeReturn
lattice_vp8_guard_change_state (GstElement     *element,
                                GstStateChange  transition)
{
  LatticeVp8Guard *self = LATTICE_VP8_GUARD (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    {
      reset_stream (self);
      self->payload_type = -1;
      GST_OBJECT_LOCK (self);
      self->frames_passed = self->frames_dropped = 0;
      self->keyframe_requests = self->packets_invalid = 0;
      GST_OBJECT_UNLOCK (self);
    }
  ret = GST_ELEMENT_CLASS (lattice_vp8_guard_parent_class)->change_state (element, transition);
  /* The pads are deactivated now: no streaming thread is in here. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    {
      reset_stream (self);
      g_queue_clear_full (&self->held_events, (GDestroyNotify) gst_event_unref);
    }
  return ret;
}

static void
lattice_vp8_guard_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  LatticeVp8Guard *self = LATTICE_VP8_GUARD (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id)
    {
    case PROP_REQUEST_INTERVAL:
      g_value_set_uint (value, self->request_interval_ms);
      break;
    case PROP_FRAMES_PASSED:
      g_value_set_uint64 (value, self->frames_passed);
      break;
    case PROP_FRAMES_DROPPED:
      g_value_set_uint64 (value, self->frames_dropped);
      break;
    case PROP_KEYFRAME_REQUESTS:
      g_value_set_uint64 (value, self->keyframe_requests);
      break;
    case PROP_PACKETS_INVALID:
      g_value_set_uint64 (value, self->packets_invalid);
      break;
    case PROP_BROKEN:
      g_value_set_boolean (value, self->broken);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
  GST_OBJECT_UNLOCK (self);
}

static void
lattice_vp8_guard_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  LatticeVp8Guard *self = LATTICE_VP8_GUARD (object);

  switch (prop_id)
    {
    case PROP_REQUEST_INTERVAL:
      GST_OBJECT_LOCK (self);
      self->request_interval_ms = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
lattice_vp8_guard_finalize (GObject *object)
{
  LatticeVp8Guard *self = LATTICE_VP8_GUARD (object);

  frame_discard_packets (&self->frame);
  g_queue_clear_full (&self->held_events, (GDestroyNotify) gst_event_unref);
  g_clear_object (&self->request_clock);
  G_OBJECT_CLASS (lattice_vp8_guard_parent_class)->finalize (object);
}

static void
lattice_vp8_guard_class_init (LatticeVp8GuardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->get_property = lattice_vp8_guard_get_property;
  object_class->set_property = lattice_vp8_guard_set_property;
  object_class->finalize = lattice_vp8_guard_finalize;
  element_class->change_state = lattice_vp8_guard_change_state;

  properties[PROP_REQUEST_INTERVAL] =
    g_param_spec_uint ("request-interval", NULL, NULL,
                       MIN_REQUEST_INTERVAL_MS, MAX_REQUEST_INTERVAL_MS, DEFAULT_REQUEST_INTERVAL_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRAMES_PASSED] =
    g_param_spec_uint64 ("frames-passed", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRAMES_DROPPED] =
    g_param_spec_uint64 ("frames-dropped", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEYFRAME_REQUESTS] =
    g_param_spec_uint64 ("keyframe-requests", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PACKETS_INVALID] =
    g_param_spec_uint64 ("packets-invalid", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BROKEN] =
    g_param_spec_boolean ("broken", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Lattice VP8 frame guard",
                                         "Filter/Network/RTP",
                                         "Passes only the RTP packets of VP8 frames that will decode intact",
                                         "Lattice");

  GST_DEBUG_CATEGORY_INIT (guard_debug, LATTICE_VP8_GUARD_FACTORY, 0, "Lattice VP8 frame guard");
}

static void
lattice_vp8_guard_init (LatticeVp8Guard *self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, lattice_vp8_guard_chain);
  gst_pad_set_chain_list_function (self->sinkpad, lattice_vp8_guard_chain_list);
  gst_pad_set_event_function (self->sinkpad, lattice_vp8_guard_sink_event);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  g_queue_init (&self->held_events);
  self->payload_type = -1;
  self->last_picture_id = -1;
  self->last_request = GST_CLOCK_TIME_NONE;
  self->request_interval_ms = DEFAULT_REQUEST_INTERVAL_MS;
  self->waiting = TRUE;
  self->broken = TRUE;
}

gboolean
lattice_vp8_guard_register (void)
{
  return gst_element_register (NULL, LATTICE_VP8_GUARD_FACTORY, GST_RANK_NONE, LATTICE_TYPE_VP8_GUARD);
}

GstElement *
lattice_vp8_guard_new (const char *name)
{
  return g_object_new (LATTICE_TYPE_VP8_GUARD, "name", name, NULL);
}
