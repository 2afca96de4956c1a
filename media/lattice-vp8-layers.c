/* lattice-vp8-layers.c: the temporal layers of Lattice's VP8 encoder, in one place
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What vp8enc 1.22 does with these settings (gstvpxenc.c, gstvp8enc.c):
 * the layer flags, layer ids and sync flags are indexed by the frame's
 * system_frame_number, a counter of input frames that nothing resets, so
 * the pattern never restarts. A forced keyframe replaces the frame's flags
 * with "force keyframe" but keeps its place in the pattern: the frames
 * after it go on by their number. Every keyframe is reported on layer 0
 * with layer-sync set and a new TL0PICIDX, and refreshes LAST like any
 * keyframe, so the TL1/TL2 frames after it reference it. The frame's
 * GstVP8Meta carries use-temporal-scaling, layer-id, layer-sync and
 * tl0picidx; rtpvp8pay writes I, L and T into every packet of the frame
 * (TID = layer-id, Y = layer-sync), counts TL0PICIDX itself (one more per
 * layer-0 frame) and sets N on frames libvpx marks droppable.
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include "lattice-vp8-layers.h"

#define PERIODICITY      4
#define DEFAULT_BITRATE  256000

G_STATIC_ASSERT (LATTICE_VP8_TEMPORAL_LAYERS == 3);

typedef struct {
  int                layer_id;
  const char *const *flags;  /* nicks of GstVPXEncTsLayerFlags */
  gboolean           sync;
} PatternFrame;

/* TL0 predicts from and refreshes LAST only: golden and altref are never
 * used, so no libvpx heuristic can make a frame depend on anything but the
 * TL0 chain. */
static const char *const base_flags[] = {
  "no-ref-golden", "no-ref-alt", "no-upd-golden", "no-upd-alt", NULL
};
/* TL1 and TL2 predict from the TL0 frame before them and leave the decoder
 * exactly as they found it: no reference buffer, no entropy context. */
static const char *const droppable_flags[] = {
  "no-ref-golden", "no-ref-alt", "no-upd-last", "no-upd-golden", "no-upd-alt",
  "no-upd-entropy", NULL
};

static const PatternFrame pattern[PERIODICITY] = {
  { 0, base_flags, FALSE },
  { 2, droppable_flags, TRUE },
  { 1, droppable_flags, TRUE },
  { 2, droppable_flags, TRUE },
};

/* Frames of the pattern per frame of each layer: TL0 every 4th frame, TL0+TL1
 * every 2nd, all of them every frame. */
static const int rate_decimators[LATTICE_VP8_TEMPORAL_LAYERS] = { 4, 2, 1 };

/* Cumulative share of the bitrate, in percent, of TL0, TL0+TL1, everything.
 * TL0 gets 40 % for a quarter of the frames (1.6 times the average frame),
 * TL1 and TL2 0.8 times the average: the TL0 frames are the only
 * references, so their quality carries over into every other frame, and
 * they predict across four frame intervals instead of one or two, so they
 * need more bits for the same quality. It is also the split libwebrtc
 * uses for three layers, so a peer receiving TL0 alone (40 % of the rate at
 * a quarter of the frame rate) or TL0+TL1 (60 % at half) still gets frames
 * of the quality of the full stream. */
static const guint cumulative_percent[LATTICE_VP8_TEMPORAL_LAYERS] = { 40, 60, 100 };

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
/* vp8enc's temporal-scalability-* properties (but the flags) are GValueArrays. */
static void
set_int_array (GstElement *element,
               const char *property,
               const int  *values,
               guint       n_values)
{
  GValueArray *array = g_value_array_new (n_values);

  for (guint i = 0; i < n_values; i++)
    {
      GValue value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_INT);
      g_value_set_int (&value, values[i]);
      g_value_array_append (array, &value);
      g_value_unset (&value);
    }
  g_object_set (element, property, array, NULL);
  g_value_array_free (array);
}
G_GNUC_END_IGNORE_DEPRECATIONS

/* The flags and sync flags are GstValueArrays; the flags' GType is private
 * to the vpx plugin, so it comes from the property's element spec. */
static GType
layer_flags_type (GstElement *vp8enc)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (vp8enc),
                                                    "temporal-scalability-layer-flags");

  g_return_val_if_fail (pspec != NULL && GST_IS_PARAM_SPEC_ARRAY_LIST (pspec), G_TYPE_INVALID);
  return GST_PARAM_SPEC_ARRAY_LIST (pspec)->element_spec->value_type;
}

static guint
flags_from_nicks (GType              type,
                  const char *const *nicks)
{
  GFlagsClass *klass = g_type_class_ref (type);
  guint flags = 0;

  for (guint i = 0; nicks[i] != NULL; i++)
    {
      GFlagsValue *value = g_flags_get_value_by_nick (klass, nicks[i]);

      if (value == NULL)
        g_critical ("vp8enc has no layer flag '%s'", nicks[i]);
      else
        flags |= value->value;
    }
  g_type_class_unref (klass);
  return flags;
}

static void
set_pattern_arrays (GstElement *vp8enc)
{
  GType flags_type = layer_flags_type (vp8enc);
  GValue flags = G_VALUE_INIT;
  GValue sync = G_VALUE_INIT;

  g_value_init (&flags, GST_TYPE_ARRAY);
  g_value_init (&sync, GST_TYPE_ARRAY);
  for (guint i = 0; i < PERIODICITY; i++)
    {
      GValue flag = G_VALUE_INIT;
      GValue sync_flag = G_VALUE_INIT;

      g_value_init (&flag, flags_type);
      g_value_set_flags (&flag, flags_from_nicks (flags_type, pattern[i].flags));
      gst_value_array_append_and_take_value (&flags, &flag);
      g_value_init (&sync_flag, G_TYPE_BOOLEAN);
      g_value_set_boolean (&sync_flag, pattern[i].sync);
      gst_value_array_append_and_take_value (&sync, &sync_flag);
    }
  g_object_set_property (G_OBJECT (vp8enc), "temporal-scalability-layer-flags", &flags);
  /* Needed even where every value is FALSE: vp8enc 1.22 takes the frame
   * number modulo its length. */
  g_object_set_property (G_OBJECT (vp8enc), "temporal-scalability-layer-sync-flags", &sync);
  g_value_unset (&flags);
  g_value_unset (&sync);
}

void
lattice_vp8_layers_configure (GstElement *vp8enc)
{
  int layer_ids[PERIODICITY];
  int bitrate = 0;

  g_return_if_fail (GST_IS_ELEMENT (vp8enc));

  for (guint i = 0; i < PERIODICITY; i++)
    layer_ids[i] = pattern[i].layer_id;
  g_object_set (vp8enc,
                "temporal-scalability-number-layers", LATTICE_VP8_TEMPORAL_LAYERS,
                "temporal-scalability-periodicity", PERIODICITY,
                NULL);
  set_int_array (vp8enc, "temporal-scalability-layer-id", layer_ids, PERIODICITY);
  set_int_array (vp8enc, "temporal-scalability-rate-decimator", rate_decimators,
                 LATTICE_VP8_TEMPORAL_LAYERS);
  set_pattern_arrays (vp8enc);

  /* 0 is vp8enc's "from the frame size" (bits-per-pixel), which would leave
   * the layers without a share. */
  g_object_get (vp8enc, "target-bitrate", &bitrate, NULL);
  lattice_vp8_layers_set_bitrate (vp8enc, bitrate > 0 ? (guint) bitrate : DEFAULT_BITRATE);
}

void
lattice_vp8_layers_set_bitrate (GstElement *vp8enc,
                                guint       bps)
{
  int cumulative[LATTICE_VP8_TEMPORAL_LAYERS];

  g_return_if_fail (GST_IS_ELEMENT (vp8enc));
  g_return_if_fail (bps >= 1000 && bps <= G_MAXINT);

  for (guint i = 0; i < LATTICE_VP8_TEMPORAL_LAYERS; i++)
    cumulative[i] = (int) ((guint64) bps * cumulative_percent[i] / 100);
  set_int_array (vp8enc, "temporal-scalability-target-bitrate", cumulative,
                 LATTICE_VP8_TEMPORAL_LAYERS);
  g_object_set (vp8enc, "target-bitrate", (int) bps, NULL);
}

gboolean
lattice_vp8_layers_frame_info (GstBuffer *frame,
                               guint     *layer_id,
                               gboolean  *layer_sync)
{
  GstCustomMeta *meta;
  GstStructure *s;
  gboolean scaling = FALSE, sync = FALSE;
  guint id = 0;

  g_return_val_if_fail (GST_IS_BUFFER (frame), FALSE);

  meta = gst_buffer_get_custom_meta (frame, "GstVP8Meta");
  if (meta == NULL)
    return FALSE;
  s = gst_custom_meta_get_structure (meta);
  if (gst_structure_get_boolean (s, "use-temporal-scaling", &scaling) && scaling)
    {
      if (!gst_structure_get_uint (s, "layer-id", &id) ||
          !gst_structure_get_boolean (s, "layer-sync", &sync))
        return FALSE;
    }
  if (layer_id != NULL)
    *layer_id = id;
  if (layer_sync != NULL)
    *layer_sync = sync;
  return TRUE;
}

double
lattice_vp8_layers_share (guint max_layer)
{
  max_layer = MIN (max_layer, LATTICE_VP8_TEMPORAL_LAYERS - 1);
  return cumulative_percent[max_layer] / 100.0;
}
