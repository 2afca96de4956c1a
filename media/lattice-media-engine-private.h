/* lattice-media-engine-private.h: what the engine's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LatticeMediaEngine spans four files, one concern each:
 *   lattice-media-engine.c        the object, its properties, the bus, the public API
 *   lattice-media-engine-local.c  capture, the shared encoders, device changes
 *   lattice-media-engine-peers.c  each remote participant's bin: add, link, remove
 *   lattice-media-engine-adapt.c  the tick: encoder bitrates, layers, Opus FEC
 */
#pragma once

#include "lattice-media-engine.h"
#include "lattice-media-enums.h"
#include "lattice-media-private.h"
#include "lattice-peer-sender.h"
#include "lattice-test-audio.h"
#include "lattice-video-encoders.h"

G_BEGIN_DECLS

enum {
  LATTICE_MEDIA_ENGINE_SIGNAL_CREATE_VIDEO_SINK,
  LATTICE_MEDIA_ENGINE_SIGNAL_CREATE_AUDIO_SINK,
  LATTICE_MEDIA_ENGINE_SIGNAL_PEER_ADDED,
  LATTICE_MEDIA_ENGINE_SIGNAL_PEER_REMOVED,
  LATTICE_MEDIA_ENGINE_SIGNAL_ERROR,
  LATTICE_MEDIA_ENGINE_N_SIGNALS
};

extern guint lattice_media_engine_signals[LATTICE_MEDIA_ENGINE_N_SIGNALS];

/* Opus's in-band FEC is tuned to the worst loss a peer reports, within
 * these bounds (percent). */
#define OPUS_MIN_LOSS_PERCENT  1
#define OPUS_MAX_LOSS_PERCENT  30

/* One local stream: source → … → valve → tee(s) the peers draw from. */
typedef struct {
  GstElement *source;
  GstElement *after_source;  /* relinked when the device changes */
  GstElement *valve;         /* mute / video off */
  GstElement *encoder;       /* audio: the shared encoder; NULL when encoding per peer */
  GstElement *tee;           /* audio: RTP; video: the full layer (VP8), or raw when encoding per peer */
  GstElement *low_tee;       /* video: the low layer, if any */
} LocalStream;

/* The tee pads feeding a peer's bin. */
enum {
  TEE_VIDEO,
  TEE_VIDEO_LOW,
  TEE_AUDIO,
  N_TEES
};

/* What the engine keeps per peer. */
typedef struct {
  LatticeMediaEngine    *engine;
  LatticePeerConnection *peer;
  LatticePeerSender     *sender;  /* NULL with no video to send */
  GstPad                *tee_pads[N_TEES];
  gint                   pending;  /* tee pads still to unlink, atomic */
} PeerLink;

struct _LatticeMediaEngine {
  GObject             parent_instance;

  LatticeMediaSource  video_source;
  LatticeMediaSource  audio_source;
  GstDevice          *video_device;
  GstDevice          *audio_device;
  guint               width;
  guint               height;
  guint               framerate;
  guint               latency;
  guint               connect_timeout;  /* ms */
  gboolean            key_asked;        /* lattice_media_prepare() called */
  gboolean            encode_per_peer;
  gboolean            audio_muted;
  gboolean            video_enabled;
  gboolean            echo_cancel;
  gboolean            stamp_time;
  LatticeTestPattern  test_pattern;
  LatticeTestAudio    test_audio;
  GstElement         *self_view_sink;

  char               *stun_server;
  GStrv               turn_servers;
  gboolean            relay_only;

  GMainContext       *context;
  GstPipeline        *pipeline;
  GSource            *bus_source;
  gboolean            running;
  LocalStream         video;
  LocalStream         audio;
  LatticeVideoEncoders *encoders;  /* NULL when encoding per peer, or no video */
  GSource            *tick_source;
  guint               ticks;
  guint               opus_loss_percent;
  GstElement         *echo_probe;  /* webrtcdsp's probe, lent to one peer's audio */
  GHashTable         *peers;  /* id → PeerLink */
  GSource            *trim_source;  /* hands freed heap back after a removal */
};


/* lattice-media-engine-local.c */
void        lattice_media_add_and_link            (GstBin      *bin,
                                                   GstElement **elements);
GstElement *lattice_media_make_queue              (gboolean     leaky);
GstElement *lattice_media_make_audio_encoder      (void);
GstElement *lattice_media_make_audio_payloader    (void);
gboolean    lattice_media_engine_build_video      (LatticeMediaEngine *self,
                                                   GError            **error);
gboolean    lattice_media_engine_build_audio      (LatticeMediaEngine *self,
                                                   GError            **error);
gboolean    lattice_media_engine_use_echo_cancel  (LatticeMediaEngine *self);
void        lattice_media_engine_update_device    (LatticeMediaEngine *self,
                                                   gboolean            video);

/* lattice-media-engine.c: the peer whose bin holds @object, or NULL. */
LatticePeerConnection *lattice_media_engine_find_peer_of (LatticeMediaEngine *self,
                                                          GstObject          *object);

/* lattice-media-engine-peers.c */
void        lattice_media_engine_drop_all_peers   (LatticeMediaEngine *self,
                                                   gboolean            notify);
void        lattice_media_engine_request_keyframes (LatticeMediaEngine *self);

/* lattice-media-engine-adapt.c */
void        lattice_media_engine_start_ticking    (LatticeMediaEngine *self);
void        lattice_media_engine_stop_ticking     (LatticeMediaEngine *self);
/* Encodes the layers some peer receives or is switching to, and only those. */
void        lattice_media_engine_update_encoder_activity (LatticeMediaEngine *self);

G_END_DECLS
