/* lattice-audio-sink.h: a remote participant's sound, to speakers that can change
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define LATTICE_TYPE_AUDIO_SINK (lattice_audio_sink_get_type ())
G_DECLARE_FINAL_TYPE (LatticeAudioSink, lattice_audio_sink, LATTICE, AUDIO_SINK, GstBin)

/* audioconvert ! audioresample ! SINK, where SINK can be replaced while
 * playing: the choice of speakers takes effect without leaving the call. */
GstElement *lattice_audio_sink_new        (GstElement       *sink);
/* Replaces the inner sink (floating refs are sunk). Safe from the main
 * thread while the pipeline plays: the swap happens when no buffer flows. */
void        lattice_audio_sink_set_sink   (LatticeAudioSink *self,
                                           GstElement       *sink);
/* The output element for @device, or autoaudiosink when NULL. */
GstElement *lattice_audio_sink_make_output (GstDevice       *device);

G_END_DECLS
