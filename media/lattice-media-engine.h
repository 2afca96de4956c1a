/* lattice-media-engine.h: one pipeline per call, each local stream encoded once
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   video source → convert/scale/rate → tee(raw) → self-view sink
 *                                           └→ vp8enc → rtpvp8pay → tee(video-rtp)
 *   audio source → opusenc → rtpopuspay → tee(audio-rtp)
 *   per remote participant: both RTP tees → queues → LatticePeerConnection (webrtcbin)
 *
 * The engine knows nothing of GTK or signaling: sinks come from the caller
 * ("create-video-sink", "create-audio-sink"), SDP and candidates go out and
 * come in through LatticePeerConnection. Every signal is emitted on the main context
 * that was thread-default when the engine was created.
 */
#pragma once

#include <gst/gst.h>

#include "lattice-media.h"
#include "lattice-peer-connection.h"
#include "lattice-peer-sender.h"
#include "lattice-test-audio.h"
#include "lattice-test-source.h"

G_BEGIN_DECLS


#define LATTICE_TYPE_MEDIA_ENGINE (lattice_media_engine_get_type ())
G_DECLARE_FINAL_TYPE (LatticeMediaEngine, lattice_media_engine, LATTICE, MEDIA_ENGINE, GObject)

/* Properties (set before start unless noted): "video-source", "audio-source"
 * (LatticeMediaSource), "video-device", "audio-device" (GstDevice, may change
 * while running), "width", "height", "framerate", "latency" (ms, jitterbuffer),
 * "connect-timeout" (ms a new peer connection may take before it is FAILED),
 * "encode-per-peer" (development: one encoder per peer, as a browser does),
 * "audio-muted", "video-enabled" (change any time; no renegotiation),
 * "self-view-sink" (GstElement, optional), "echo-cancel",
 * "stamp-time" (benchmarks: draw the capture time into sent frames and
 * measure latency on received ones, see lattice_peer_connection_take_latency_samples()),
 * "test-pattern" (LatticeTestPattern: what a TEST video source shows; the
 * default is as demanding to encode as a camera), "test-audio"
 * (LatticeTestAudio: what a TEST audio source says; TALK speaks in bursts
 * and pauses, as people in a meeting do).
 *
 * Signals:
 *   GstElement *create-video-sink (const char *peer_id)  return a new sink or NULL (fakesink)
 *   GstElement *create-audio-sink (const char *peer_id)
 *   peer-added (LatticePeerConnection *), peer-removed (LatticePeerConnection *)
 *   error (GError *)   a run-time failure of the local pipeline
 * The sink signals are emitted on the main context when the first packet of
 * that stream arrives; the sink gets async=FALSE. "echo-cancel" (DEVICE audio
 * only) puts webrtcdsp in the microphone chain and its one webrtcechoprobe
 * before the first peer's audio sink. */
LatticeMediaEngine *lattice_media_engine_new          (LatticeMediaSource   video,
                                                       LatticeMediaSource   audio);

/* Checks the plugins the configured sources need, builds the local part of
 * the pipeline and sets it playing. */
gboolean            lattice_media_engine_start        (LatticeMediaEngine  *self,
                                                       GError             **error);
void                lattice_media_engine_stop         (LatticeMediaEngine  *self);

/* ICE servers for peers added from now on: stun://HOST:PORT and
 * turn://USER:PASS@HOST:PORT (webrtcbin's forms). */
void                lattice_media_engine_set_ice_servers (LatticeMediaEngine *self,
                                                          const char         *stun_server,
                                                          const char *const  *turn_servers);
/* Relay-only ICE (tests of TURN). */
void                lattice_media_engine_set_relay_only  (LatticeMediaEngine *self,
                                                          gboolean            relay_only);

/* The offerer creates the offer as soon as the peer is added. */
LatticePeerConnection        *lattice_media_engine_add_peer     (LatticeMediaEngine  *self,
                                                       const char          *peer_id,
                                                       gboolean             offerer);
/* The peer is CLOSED at once; its branch is unlinked when idle and torn
 * down from the main context, then "peer-removed" is emitted. */
void                lattice_media_engine_remove_peer  (LatticeMediaEngine  *self,
                                                       const char          *peer_id);
LatticePeerConnection        *lattice_media_engine_lookup_peer  (LatticeMediaEngine  *self,
                                                       const char          *peer_id);
/* The LatticePeerConnection objects, in no particular order. */
GList              *lattice_media_engine_get_peers    (LatticeMediaEngine  *self);

void                lattice_media_engine_set_audio_muted   (LatticeMediaEngine *self,
                                                            gboolean            muted);
gboolean            lattice_media_engine_get_audio_muted   (LatticeMediaEngine *self);
void                lattice_media_engine_set_video_enabled (LatticeMediaEngine *self,
                                                            gboolean            enabled);
gboolean            lattice_media_engine_get_video_enabled (LatticeMediaEngine *self);

/* What the engine sends @peer_id's connection: its bandwidth estimate, the
 * video layer it gets (lattice-peer-sender.h). FALSE when no video is sent
 * to it. */
gboolean            lattice_media_engine_get_sender_stats (LatticeMediaEngine     *self,
                                                           const char             *peer_id,
                                                           LatticePeerSenderStats *stats);
/* The most @peer_id's connection is sent, whatever its link allows (a
 * receiver that shows the video small, or not at all). */
void                lattice_media_engine_set_peer_max_layer (LatticeMediaEngine *self,
                                                             const char         *peer_id,
                                                             LatticeVideoLayer   layer);
/* Which of the shared video encoders run now: a layer no peer receives
 * is not encoded. */
void                lattice_media_engine_get_encoders_active (LatticeMediaEngine *self,
                                                              gboolean           *full,
                                                              gboolean           *low);
/* The encoders' bitrates now (bit/s; 0 where there is no such encoder). */
void                lattice_media_engine_get_encoder_rates (LatticeMediaEngine  *self,
                                                            LatticeEncoderRates *rates);

/* For tests and benchmarks. */
GstPipeline        *lattice_media_engine_get_pipeline (LatticeMediaEngine  *self);
/* How many video and audio encoders the pipeline holds right now. */
void                lattice_media_engine_count_encoders (LatticeMediaEngine *self,
                                                         guint              *n_video,
                                                         guint              *n_audio);

G_END_DECLS
