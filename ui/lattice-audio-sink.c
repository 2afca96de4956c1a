/* lattice-audio-sink.c: a remote participant's sound, to speakers that can change
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include "lattice-audio-sink.h"

struct _LatticeAudioSink
{
  GstBin parent_instance;

  GstElement *resample;
  GstElement *sink;       /* owned by the bin */
};

G_DEFINE_FINAL_TYPE (LatticeAudioSink, lattice_audio_sink, GST_TYPE_BIN)

typedef struct
{
  LatticeAudioSink *self;
  GstElement *sink;
  gboolean done;
} Swap;

static void
swap_free (gpointer data)
{
  Swap *swap = data;

  gst_object_unref (swap->self);
  gst_clear_object (&swap->sink);
  g_free (swap);
}

/* Runs when no buffer is on the pad (on whichever thread sees that first),
 * so the old sink can go without a flow error upstream. */
static GstPadProbeReturn
swap_when_idle (GstPad          *pad,
                GstPadProbeInfo *info,
                gpointer         data)
{
  Swap *swap = data;
  LatticeAudioSink *self = swap->self;
  GstElement *old = self->sink;

  /* An idle probe can fire twice before it is removed. */
  if (g_atomic_int_get (&swap->done))
    return GST_PAD_PROBE_REMOVE;
  g_atomic_int_set (&swap->done, TRUE);

  if (old != NULL)
    {
      gst_element_unlink (self->resample, old);
      gst_element_set_state (old, GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self), old);
    }
  self->sink = swap->sink;
  swap->sink = NULL;
  gst_bin_add (GST_BIN (self), self->sink);
  gst_element_link (self->resample, self->sink);
  gst_element_sync_state_with_parent (self->sink);
  return GST_PAD_PROBE_REMOVE;
}

static void
lattice_audio_sink_class_init (LatticeAudioSinkClass *klass)
{
}

static void
lattice_audio_sink_init (LatticeAudioSink *self)
{
  GstElement *convert = gst_element_factory_make ("audioconvert", NULL);
  g_autoptr(GstPad) pad = NULL;

  self->resample = gst_element_factory_make ("audioresample", NULL);
  g_return_if_fail (convert != NULL && self->resample != NULL);

  gst_bin_add_many (GST_BIN (self), convert, self->resample, NULL);
  gst_element_link (convert, self->resample);
  pad = gst_element_get_static_pad (convert, "sink");
  gst_element_add_pad (GST_ELEMENT (self), gst_ghost_pad_new ("sink", pad));
}

GstElement *
lattice_audio_sink_new (GstElement *sink)
{
  LatticeAudioSink *self = g_object_new (LATTICE_TYPE_AUDIO_SINK, NULL);

  g_return_val_if_fail (GST_IS_ELEMENT (sink), GST_ELEMENT (self));

  lattice_audio_sink_set_sink (self, sink);
  return GST_ELEMENT (self);
}

void
lattice_audio_sink_set_sink (LatticeAudioSink *self,
                             GstElement       *sink)
{
  g_autoptr(GstPad) pad = NULL;
  Swap *swap;

  g_return_if_fail (LATTICE_IS_AUDIO_SINK (self));
  g_return_if_fail (GST_IS_ELEMENT (sink));

  /* Added late to a playing pipeline: it must not make it preroll again. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (sink), "async"))
    g_object_set (sink, "async", FALSE, NULL);

  swap = g_new0 (Swap, 1);
  swap->self = gst_object_ref (self);
  swap->sink = gst_object_ref_sink (sink);
  pad = gst_element_get_static_pad (self->resample, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_IDLE, swap_when_idle, swap, swap_free);
}

GstElement *
lattice_audio_sink_make_output (GstDevice *device)
{
  GstElement *sink = NULL;

  if (device != NULL)
    sink = gst_device_create_element (device, NULL);
  if (sink == NULL)
    sink = gst_element_factory_make ("autoaudiosink", NULL);
  return sink;
}
