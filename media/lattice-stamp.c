/* lattice-stamp.c: a 64-bit timestamp drawn into a video frame, readable after lossy coding
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <string.h>

#include "lattice-stamp.h"

/* Cell layout, row by row: the sync pattern fills the first row, then the
 * value (most significant bit first), then its CRC-16. */
#define N_CELLS     (LATTICE_STAMP_COLUMNS * LATTICE_STAMP_ROWS)
#define SYNC_BITS   LATTICE_STAMP_COLUMNS
#define VALUE_BITS  64
#define CRC_BITS    16
#define SYNC        0xB38E5u  /* 20 bits, ones and zeros mixed to calibrate black and white */

/* Limited-range luma: what a decoder gives back most faithfully. */
#define LUMA_BLACK   16
#define LUMA_WHITE  235
#define CHROMA_GREY 128
#define ALPHA_OPAQUE 255

/* A read is trusted only when black and white differ by this much (of 219). */
#define MIN_CONTRAST 64

G_STATIC_ASSERT (SYNC_BITS + VALUE_BITS + CRC_BITS <= N_CELLS);

typedef struct {
  gboolean bits[N_CELLS];
} Cells;

static guint16
crc16 (guint64 value)
{
  guint16 crc = 0xFFFF;  /* CRC-16/CCITT-FALSE over the 8 bytes, big-endian */

  for (int byte = 7; byte >= 0; byte--)
    {
      crc ^= (guint16) (((value >> (byte * 8)) & 0xFF) << 8);
      for (int i = 0; i < 8; i++)
        crc = (crc & 0x8000) ? (guint16) ((crc << 1) ^ 0x1021) : (guint16) (crc << 1);
    }
  return crc;
}

static void
put_bits (Cells  *cells,
          guint   first,
          guint64 bits,
          guint   n_bits)
{
  for (guint i = 0; i < n_bits; i++)
    cells->bits[first + i] = (bits >> (n_bits - 1 - i)) & 1;
}

static guint64
get_bits (const Cells *cells,
          guint        first,
          guint        n_bits)
{
  guint64 bits = 0;

  for (guint i = 0; i < n_bits; i++)
    bits = (bits << 1) | (cells->bits[first + i] ? 1 : 0);
  return bits;
}

static void
cells_encode (Cells   *cells,
              guint64  value)
{
  memset (cells, 0, sizeof *cells);
  put_bits (cells, 0, SYNC, SYNC_BITS);
  put_bits (cells, SYNC_BITS, value, VALUE_BITS);
  put_bits (cells, SYNC_BITS + VALUE_BITS, crc16 (value), CRC_BITS);
}

/* Side of a cell in pixels: 16 (a VP8 macroblock) when the frame has room,
 * else 8. Multiples of 8 keep cells aligned with subsampled chroma. */
static guint
cell_size (const GstVideoInfo *info)
{
  if (GST_VIDEO_INFO_WIDTH (info) >= 16 * LATTICE_STAMP_COLUMNS &&
      GST_VIDEO_INFO_HEIGHT (info) >= 2 * 16 * LATTICE_STAMP_ROWS)
    return 16;
  return 8;
}

gboolean
lattice_stamp_supports (const GstVideoInfo *info)
{
  const GstVideoFormatInfo *finfo;

  g_return_val_if_fail (info != NULL, FALSE);

  finfo = info->finfo;
  if (finfo == NULL || !GST_VIDEO_FORMAT_INFO_IS_YUV (finfo) ||
      GST_VIDEO_FORMAT_INFO_IS_TILED (finfo) ||
      GST_VIDEO_INFO_WIDTH (info) < LATTICE_STAMP_MIN_WIDTH ||
      GST_VIDEO_INFO_HEIGHT (info) < LATTICE_STAMP_MIN_HEIGHT)
    return FALSE;
  /* one byte per component sample, wherever it sits */
  for (guint c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++)
    if (GST_VIDEO_FORMAT_INFO_DEPTH (finfo, c) != 8 || GST_VIDEO_FORMAT_INFO_SHIFT (finfo, c) != 0)
      return FALSE;
  return TRUE;
}

guint
lattice_stamp_band_height (const GstVideoInfo *info)
{
  return lattice_stamp_supports (info) ? cell_size (info) * LATTICE_STAMP_ROWS : 0;
}

static guint8
component_value (guint          component,
                 const Cells   *cells,
                 guint          x,
                 guint          y,
                 guint          size)
{
  if (component == GST_VIDEO_COMP_Y)
    return cells->bits[(y / size) * LATTICE_STAMP_COLUMNS + x / size] ? LUMA_WHITE : LUMA_BLACK;
  if (component == GST_VIDEO_COMP_A)
    return ALPHA_OPAQUE;
  return CHROMA_GREY;
}

/* Paints one component of the band; (x, y) in luma coordinates pick the cell. */
static void
paint_component (GstVideoFrame *frame,
                 guint          component,
                 const Cells   *cells,
                 guint          size)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  guint w_sub = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, component);
  guint h_sub = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, component);
  guint8 *data = GST_VIDEO_FRAME_COMP_DATA (frame, component);
  int stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, component);
  int pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, component);
  guint width = (size * LATTICE_STAMP_COLUMNS) >> w_sub;
  guint height = (size * LATTICE_STAMP_ROWS) >> h_sub;

  for (guint y = 0; y < height; y++)
    {
      guint8 *row = data + (gsize) y * stride;

      for (guint x = 0; x < width; x++)
        row[(gsize) x * pstride] = component_value (component, cells, x << w_sub, y << h_sub, size);
    }
}

gboolean
lattice_stamp_write (GstVideoFrame *frame,
                     guint64        value)
{
  Cells cells;
  guint size;

  g_return_val_if_fail (frame != NULL, FALSE);

  if (!lattice_stamp_supports (&frame->info))
    return FALSE;
  size = cell_size (&frame->info);
  cells_encode (&cells, value);
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (frame); c++)
    paint_component (frame, c, &cells, size);
  return TRUE;
}

/* Mean luma of the middle of a cell: its edges carry the coding's ringing. */
static double
cell_mean (const GstVideoFrame *frame,
           guint                cell,
           guint                size)
{
  const guint8 *data = GST_VIDEO_FRAME_COMP_DATA (frame, GST_VIDEO_COMP_Y);
  int stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, GST_VIDEO_COMP_Y);
  int pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, GST_VIDEO_COMP_Y);
  guint x0 = (cell % LATTICE_STAMP_COLUMNS) * size + size / 4;
  guint y0 = (cell / LATTICE_STAMP_COLUMNS) * size + size / 4;
  guint inner = size / 2;
  guint sum = 0;

  for (guint y = y0; y < y0 + inner; y++)
    for (guint x = x0; x < x0 + inner; x++)
      sum += data[(gsize) y * stride + (gsize) x * pstride];
  return (double) sum / (inner * inner);
}

/* Black and white levels as the sync row shows them. */
static void
sync_levels (const double *means,
             double       *black,
             double       *white)
{
  double sum[2] = { 0, 0 };
  guint count[2] = { 0, 0 };

  for (guint i = 0; i < SYNC_BITS; i++)
    {
      guint bit = (SYNC >> (SYNC_BITS - 1 - i)) & 1;

      sum[bit] += means[i];
      count[bit]++;
    }
  *black = sum[0] / count[0];
  *white = sum[1] / count[1];
}

/* Thresholds every cell halfway between black and white; a cell in the
 * middle band (within a quarter of the contrast of the threshold) is neither,
 * and makes the whole read fail rather than guess. */
static gboolean
cells_decode (const double *means,
              Cells        *cells)
{
  double black, white, threshold, margin;

  sync_levels (means, &black, &white);
  if (white - black < MIN_CONTRAST)
    return FALSE;
  threshold = (black + white) / 2;
  margin = (white - black) / 4;
  for (guint i = 0; i < SYNC_BITS + VALUE_BITS + CRC_BITS; i++)
    {
      if (ABS (means[i] - threshold) < margin)
        return FALSE;
      cells->bits[i] = means[i] > threshold;
    }
  return get_bits (cells, 0, SYNC_BITS) == SYNC;
}

gboolean
lattice_stamp_read (const GstVideoFrame *frame,
                    guint64             *value)
{
  double means[N_CELLS];
  Cells cells = { { 0 } };
  guint size;
  guint64 read;

  g_return_val_if_fail (frame != NULL, FALSE);

  if (!lattice_stamp_supports (&frame->info))
    return FALSE;
  size = cell_size (&frame->info);
  for (guint i = 0; i < SYNC_BITS + VALUE_BITS + CRC_BITS; i++)
    means[i] = cell_mean (frame, i, size);
  if (!cells_decode (means, &cells))
    return FALSE;
  read = get_bits (&cells, SYNC_BITS, VALUE_BITS);
  if (get_bits (&cells, SYNC_BITS + VALUE_BITS, CRC_BITS) != crc16 (read))
    return FALSE;
  if (value != NULL)
    *value = read;
  return TRUE;
}

gboolean
lattice_stamp_write_buffer (GstBuffer          *buffer,
                            const GstVideoInfo *info,
                            guint64             value)
{
  GstVideoFrame frame;
  gboolean ok;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  if (!lattice_stamp_supports (info) ||
      !gst_video_frame_map (&frame, (GstVideoInfo *) info, buffer, GST_MAP_WRITE))
    return FALSE;
  ok = lattice_stamp_write (&frame, value);
  gst_video_frame_unmap (&frame);
  return ok;
}

gboolean
lattice_stamp_read_buffer (GstBuffer          *buffer,
                           const GstVideoInfo *info,
                           guint64            *value)
{
  GstVideoFrame frame;
  gboolean ok;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  if (!lattice_stamp_supports (info) ||
      !gst_video_frame_map (&frame, (GstVideoInfo *) info, buffer, GST_MAP_READ))
    return FALSE;
  ok = lattice_stamp_read (&frame, value);
  gst_video_frame_unmap (&frame);
  return ok;
}

/* The reference the stamp's value is kept under, in nanoseconds. */
static GstCaps *
stamp_reference (void)
{
  static GstStaticCaps reference = GST_STATIC_CAPS ("timestamp/x-lattice-stamp");

  return gst_static_caps_get (&reference);
}

gboolean
lattice_stamp_mark_buffer (GstBuffer          *buffer,
                           const GstVideoInfo *info,
                           guint64             value)
{
  g_autoptr(GstCaps) reference = stamp_reference ();

  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);

  gst_buffer_add_reference_timestamp_meta (buffer, reference, value * 1000, GST_CLOCK_TIME_NONE);
  return lattice_stamp_write_buffer (buffer, info, value);
}

gboolean
lattice_stamp_rewrite_buffer (GstBuffer          *buffer,
                              const GstVideoInfo *info)
{
  g_autoptr(GstCaps) reference = stamp_reference ();
  GstReferenceTimestampMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);

  meta = gst_buffer_get_reference_timestamp_meta (buffer, reference);
  if (meta == NULL)
    return FALSE;
  return lattice_stamp_write_buffer (buffer, info, meta->timestamp / 1000);
}

/* The probes' buffer, made writable (a tee or videorate may share it) and
 * put back into @info, with its format; NULL before the pad has caps. */
static GstBuffer *
probe_writable_frame (GstPad          *pad,
                      GstPadProbeInfo *info,
                      GstVideoInfo    *video_info)
{
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps (pad);
  GstBuffer *buffer;

  if (caps == NULL || !gst_video_info_from_caps (video_info, caps))
    return NULL;
  buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  return buffer;
}

GstPadProbeReturn
lattice_stamp_mark_probe (GstPad          *pad,
                          GstPadProbeInfo *info,
                          gpointer         user_data)
{
  GstVideoInfo video_info;
  GstBuffer *buffer = probe_writable_frame (pad, info, &video_info);

  if (buffer != NULL)
    lattice_stamp_mark_buffer (buffer, &video_info, g_get_monotonic_time ());
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn
lattice_stamp_rewrite_probe (GstPad          *pad,
                             GstPadProbeInfo *info,
                             gpointer         user_data)
{
  GstVideoInfo video_info;
  GstBuffer *buffer = probe_writable_frame (pad, info, &video_info);

  if (buffer != NULL)
    lattice_stamp_rewrite_buffer (buffer, &video_info);
  return GST_PAD_PROBE_OK;
}
