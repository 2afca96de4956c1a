/* lattice-test-audio.c: a test microphone that talks like people do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <math.h>
#include <gst/audio/audio.h>

#include "lattice-media-private.h"
#include "lattice-test-audio.h"

#define RATE            48000
#define BUFFER_SAMPLES  960          /* 20 ms */
#define RAMP_SAMPLES    (RATE / 100) /* 10 ms fades: no clicks */
#define SPURT_MIN_MS    500
#define SPURT_MAX_MS    3000
#define PAUSE_MIN_MS    1000
#define PAUSE_MAX_MS    10000
#define PITCH_HZ        140.0        /* between a low and a high speaking voice */
#define PITCH_SWING     0.15         /* intonation: ±15 % */
#define LEVEL           0.2          /* of full scale, a voice at a headset's distance */

typedef struct {
  GRand   *rand;
  gboolean talking;
  guint    left;        /* samples until the next change */
  guint    position;    /* samples since the spurt began */
  double   phase;       /* of the sawtooth, 0–1 */
  double   glide;       /* the pitch's slow drift, radians */
} Talk;

static guint
ms_to_samples (guint ms)
{
  return ms * (RATE / 1000);
}

guint
lattice_test_audio_next_spurt (GRand *rand)
{
  return ms_to_samples (g_rand_int_range (rand, SPURT_MIN_MS, SPURT_MAX_MS + 1));
}

guint
lattice_test_audio_next_pause (GRand *rand)
{
  return ms_to_samples (g_rand_int_range (rand, PAUSE_MIN_MS, PAUSE_MAX_MS + 1));
}

static void
talk_free (gpointer data)
{
  Talk *talk = data;

  g_rand_free (talk->rand);
  g_free (talk);
}

/* The spurt's envelope at @position of @length samples: 10 ms fades. */
static double
envelope (guint position, guint length)
{
  guint from_end = length - position;

  return MIN (1.0, MIN ((double) position / RAMP_SAMPLES, (double) from_end / RAMP_SAMPLES));
}

static void
render (Talk *talk, gint16 *samples, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      if (talk->left == 0)
        {
          talk->talking = !talk->talking;
          talk->left = talk->talking ? lattice_test_audio_next_spurt (talk->rand)
                                     : lattice_test_audio_next_pause (talk->rand);
          talk->position = 0;
        }
      if (talk->talking)
        {
          guint length = talk->position + talk->left;
          double pitch = PITCH_HZ * (1.0 + PITCH_SWING * sin (talk->glide));
          /* a syllable rhythm, about four a second, as speech has */
          double syllables = 0.55 + 0.45 * sin (2 * G_PI * 4.0 * talk->position / RATE);
          double value = (2.0 * talk->phase - 1.0) * LEVEL * syllables * envelope (talk->position, length);

          samples[i] = (gint16) (value * G_MAXINT16);
          talk->phase += pitch / RATE;
          talk->phase -= floor (talk->phase);
          talk->glide += 2 * G_PI * 0.7 / RATE;
          talk->position++;
        }
      else
        samples[i] = 0;
      talk->left--;
    }
}

/* audiotestsrc gives the timing (live, 20 ms buffers, from the clock);
 * the samples are replaced here. */
static GstPadProbeReturn
talk_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstBuffer *buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstMapInfo map;

  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  if (gst_buffer_map (buffer, &map, GST_MAP_WRITE))
    {
      render (user_data, (gint16 *) map.data, map.size / sizeof (gint16));
      gst_buffer_unmap (buffer, &map);
    }
  return GST_PAD_PROBE_OK;
}

GstElement *
lattice_test_audio_new (LatticeTestAudio pattern)
{
  GstElement *bin = gst_bin_new (NULL);
  GstElement *source = lattice_media_make_element ("audiotestsrc", NULL);
  GstElement *filter = lattice_media_make_element ("capsfilter", NULL);
  g_autoptr(GstCaps) caps = gst_caps_new_simple ("audio/x-raw",
                                                 "format", G_TYPE_STRING, "S16LE",
                                                 "rate", G_TYPE_INT, RATE,
                                                 "channels", G_TYPE_INT, 1,
                                                 "layout", G_TYPE_STRING, "interleaved", NULL);
  g_autoptr(GstPad) pad = NULL;

  /* 20 ms buffers, like a microphone feeding Opus */
  g_object_set (source, "is-live", TRUE, "samplesperbuffer", BUFFER_SAMPLES, NULL);
  g_object_set (filter, "caps", caps, NULL);
  gst_bin_add_many (GST_BIN (bin), source, filter, NULL);
  gst_element_link (source, filter);
  pad = gst_element_get_static_pad (filter, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", pad));

  if (pattern == LATTICE_TEST_AUDIO_TALK)
    {
      Talk *talk = g_new0 (Talk, 1);

      /* its own schedule: people do not all talk at once */
      talk->rand = g_rand_new ();
      talk->talking = TRUE;  /* the next change starts a pause, after a short hello */
      talk->left = lattice_test_audio_next_spurt (talk->rand);
      /* silence: the probe writes the samples */
      gst_util_set_object_arg (G_OBJECT (source), "wave", "silence");
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, talk_probe, talk, talk_free);
    }
  else
    /* a quiet tone */
    g_object_set (source, "volume", 0.1, NULL);
  return bin;
}
