/* lattice-test-audio.h: a test microphone that talks like people do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A steady tone is never silent, so Opus's DTX never starts and a call of
 * test sources costs what a room of people all talking at once would. The
 * TALK pattern speaks in bursts and pauses instead: a voiced sound (a
 * sawtooth near a speaking voice's pitch, its pitch drifting as intonation
 * does) in spurts of 0.5–3 s, with pauses of 1–10 s of digital silence
 * between, each process on its own random schedule: about a quarter of the
 * time talking, as each person in a small meeting does.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  LATTICE_TEST_AUDIO_TONE,  /* a quiet steady tone, never silent */
  LATTICE_TEST_AUDIO_TALK,  /* bursts and pauses, like speech in a meeting */
} LatticeTestAudio;

/* A live source of S16LE mono 48 kHz audio in 20 ms buffers (a GstBin with
 * one "src" ghost pad). */
GstElement *lattice_test_audio_new (LatticeTestAudio pattern);

/* TALK's schedule, for tests: how long the next talk spurt or pause lasts
 * (in samples at 48 kHz), drawn from @rand. */
guint       lattice_test_audio_next_spurt (GRand *rand);
guint       lattice_test_audio_next_pause (GRand *rand);

G_END_DECLS
