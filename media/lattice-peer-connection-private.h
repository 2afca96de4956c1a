/* lattice-peer-connection-private.h: LatticePeerConnection's insides
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two parts: how LatticeMediaEngine drives a peer connection, and what the
 * class's own files share (the instance structure and the functions one
 * file calls in another):
 *
 *   lattice-peer-connection.c          the object, its state, SDP and ICE
 *   lattice-peer-connection-dtls.c     the DTLS certificate check
 *   lattice-peer-connection-receive.c  decoding what arrives, speaking
 *   lattice-peer-connection-watchdog.c liveness: silence, connect and handshake timeouts
 *   lattice-peer-connection-stats.c    rates, the selected candidate pair
 *   lattice-peer-connection-view.c     view requests: how large each end shows the other
 */
#pragma once

#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include "lattice-peer-connection.h"

G_BEGIN_DECLS

/* For the engine. */

/* Asks the engine for the sink of a decoded stream (@kind "video" or
 * "audio"); called on the main context. NULL means a counting fakesink. */
typedef GstElement *(*LatticePeerConnectionSinkFunc) (LatticePeerConnection *peer,
                                                      const char            *kind,
                                                      gpointer               user_data);

typedef struct {
  guint                          latency_ms;
  const char                    *stun_server;
  const char *const             *turn_servers;
  gboolean                       relay_only;
  GstElement                    *echo_probe;  /* webrtcechoprobe for the audio chain if free, or NULL */
  LatticePeerConnectionSinkFunc  create_sink;
  gpointer                       sink_data;
  gboolean                       read_stamps; /* latency samples from stamped frames (lattice-stamp.h) */
  guint                          connect_timeout_ms; /* NEW/CONNECTING longer than this: FAILED; 0: default */
} LatticePeerConnectionConfig;

LatticePeerConnection *lattice_peer_connection_new              (const char                        *id,
                                                                 gboolean                           offerer,
                                                                 GMainContext                      *context,
                                                                 const LatticePeerConnectionConfig *config);
/* The bin holding this peer's branch: webrtcbin, send queues, decoders. */
GstBin                *lattice_peer_connection_get_bin          (LatticePeerConnection *self);
/* A webrtcbin sink pad for sending @kind ("video" or "audio") with RTP @caps. */
GstPad                *lattice_peer_connection_request_send_pad (LatticePeerConnection *self,
                                                                 GstCaps               *caps);
/* A receive-only transceiver, when there is nothing of that kind to send. */
void                   lattice_peer_connection_add_recv_only    (LatticePeerConnection *self,
                                                                 GstCaps               *caps);
/* The bin is in the pipeline and playing: the offerer may negotiate. */
void                   lattice_peer_connection_start            (LatticePeerConnection *self);
/* Removed: no more signals; the state becomes CLOSED. */
void                   lattice_peer_connection_close            (LatticePeerConnection *self);
/* The pipeline reported an error inside this peer's bin. */
void                   lattice_peer_connection_fail             (LatticePeerConnection *self);
/* A "level" element message from this peer's audio chain. */
void                   lattice_peer_connection_handle_level     (LatticePeerConnection *self,
                                                                 const GstStructure    *level);

/* Between the class's own files. */

#define SILENCE_DB  (-200.0)  /* the audio level when nothing is heard */
#define RATE_TIMES  128       /* enough for 120 frames or buffers a second */

typedef struct {
  guint  mline;
  char  *candidate;
} Candidate;

struct _LatticePeerConnection {
  GObject           parent_instance;

  char             *id;
  gboolean          offerer;
  LatticePeerConnectionState state;
  gboolean          speaking;
  double            audio_level;
  guint             level_run;      /* intervals on the other side of the threshold */

  GMainContext     *context;
  GstBin           *bin;
  GstElement       *webrtc;
  GstElement       *echo_probe;
  LatticePeerConnectionSinkFunc create_sink;
  gpointer          sink_data;

  gint              offer_started;  /* atomic */
  gboolean          remote_set;
  guint             n_remote_mlines;     /* of the remote description, once set */
  guint             n_remote_candidates; /* taken, of MAX_REMOTE_CANDIDATES */
  guint             n_dropped_candidates;
  GArray           *pending_candidates;  /* Candidate, before the remote description */
  gboolean          closed;

  /* DTLS certificates in use, SHA-256 "AB:CD:…"; main context only. */
  GstWebRTCDTLSTransport *dtls;
  char             *local_fingerprint;
  char             *remote_fingerprint;
  GPtrArray        *announced_fingerprints;  /* sha-256 ones of the remote description */
  gboolean          fingerprint_mismatch;

  /* Written by pad probes on streaming threads. */
  GMutex            stats_lock;
  LatticePeerConnectionStats stats;
  gint64            video_times[RATE_TIMES];  /* rings of the last decode times */
  gint64            audio_times[RATE_TIMES];
  gboolean          first_video;
  gboolean          first_audio;
  gboolean          read_stamps;
  GstElement       *video_guard;      /* lattice-vp8-guard.h, once video arrives */
  GArray           *latency_samples;  /* double, ms; under stats_lock */
  gint64            last_received_us;  /* any packet from the other end */

  /* Silence detection and the selected candidate pair; main context only. */
  GSource          *silence_watch;
  GSource          *connect_watch;    /* until CONNECTED, FAILED or CLOSED */
  gint64            connected_us;     /* when it became CONNECTED */
  gint64            last_check_us;    /* the silence watch's last look */
  gint64            silent_since_us;  /* last_received_us when the silence began */
  gint64            silent_us;        /* silence counted since, while running */
  guint             connect_timeout_ms;
  gboolean          handshake_done;   /* webrtcbin said DTLS is connected too */
  char             *candidate_type;  /* of the selected local candidate, or NULL */
  gboolean          stats_pending;
  gint64            rtt_us;           /* the last round trip RTCP measured, 0 unknown */
  guint64           last_pushed;      /* video jitterbuffers' counters at the last statistics */
  guint64           last_lost;
  guint64           last_repaired;
  guint             video_latency_ms; /* of the video jitterbuffers, see tune_jitterbuffer() */
  guint             base_latency_ms;  /* the engine's "latency" */

  /* View requests (view.c). What we show of the other's video, under
   * view_lock; what it shows of ours, on the main context, and the last
   * request taken on the RTCP thread (that thread only). */
  GMutex            view_lock;
  GObject          *rtp_session;      /* RTPSession, for early RTCP */
  gboolean          view_set;
  guint             view_width;
  guint             view_height;
  guint             view_repeats;     /* RTCP packets still to carry it */
  gint64            view_sent_us;
  gboolean          remote_view_set;
  guint             remote_view_width;
  guint             remote_view_height;
  gint              remote_view_packed;  /* width << 16 | height */
  gboolean          remote_view_seen;
  gint64            remote_view_changed_us;

  gint              send_ready;       /* atomic: connected, the send pads take buffers */
};

/* Deferred work on the main context; each holds a reference on the peer. */
typedef struct {
  LatticePeerConnection *peer;
  guint                  number;
  char                  *text;
  char                  *text2;
  GstPad                *pad;
  gulong                 probe;
} LatticePeerCall;

/* Runs @func(@call) on the peer's main context (never synchronously);
 * the call holds a reference on the peer and is freed afterwards. */
LatticePeerCall *lattice_peer_call_new   (LatticePeerConnection *self);
void             lattice_peer_call_defer (LatticePeerConnection *self,
                                          GSourceFunc            func,
                                          LatticePeerCall       *call);

/* lattice-peer-connection.c: state and notifications, main context only. */
void     lattice_peer_connection_set_state         (LatticePeerConnection      *self,
                                                    LatticePeerConnectionState  state);
void     lattice_peer_connection_set_speaking      (LatticePeerConnection      *self,
                                                    gboolean                    speaking);
void     lattice_peer_connection_set_audio_level   (LatticePeerConnection      *self,
                                                    double                      level);
/* Takes both strings. */
void     lattice_peer_connection_set_fingerprints  (LatticePeerConnection      *self,
                                                    char                       *local,
                                                    char                       *remote);
void     lattice_peer_connection_emit_first_frame  (LatticePeerConnection      *self,
                                                    const char                 *kind);
void     lattice_peer_connection_emit_remote_view  (LatticePeerConnection      *self,
                                                    guint                       width,
                                                    guint                       height);

/* lattice-peer-connection-dtls.c */
void     lattice_peer_connection_remember_fingerprints (LatticePeerConnection *self,
                                                        const GstSDPMessage   *sdp);
void     lattice_peer_connection_watch_dtls            (LatticePeerConnection *self);

/* lattice-peer-connection-receive.c */
void     lattice_peer_connection_on_pad_added          (GstElement            *webrtc,
                                                        GstPad                *pad,
                                                        gpointer               user_data);

/* No audio for a while (DTX in silence) is silence: not speaking. */
void     lattice_peer_connection_check_audio_gap       (LatticePeerConnection *self,
                                                        gint64                 now_us);

/* Jitterbuffers, which webrtcbin makes one per remote stream: told apart
 * by their caps, and configured for what they carry (receive.c). */
void     lattice_peer_connection_on_new_jitterbuffer   (GstElement            *rtpbin,
                                                        GstElement            *jitterbuffer,
                                                        guint                  session,
                                                        guint                  ssrc,
                                                        gpointer               user_data);
gboolean lattice_peer_connection_jitterbuffer_is_video (GstElement            *jitterbuffer);
/* Sets a video jitterbuffer's latency for how long a retransmission takes,
 * as the round trip and the jitterbuffer's own @stats say. */
void     lattice_peer_connection_tune_jitterbuffer     (LatticePeerConnection *self,
                                                        GstElement            *jitterbuffer,
                                                        const GstStructure    *stats);

/* lattice-peer-connection-watchdog.c */
void     lattice_peer_connection_watch_connect         (LatticePeerConnection *self);
void     lattice_peer_connection_stop_connect_watch    (LatticePeerConnection *self);
void     lattice_peer_connection_watch_silence         (LatticePeerConnection *self);
void     lattice_peer_connection_stop_silence_watch    (LatticePeerConnection *self);
void     lattice_peer_connection_on_rtpbin_element_added (GstBin              *rtpbin,
                                                          GstElement          *element,
                                                          gpointer             user_data);

/* lattice-peer-connection-view.c: rtpbin's "element-added", for its
 * rtpsession; stop_view() lets go of the session (dispose). */
void     lattice_peer_connection_on_rtpbin_session     (GstBin              *rtpbin,
                                                        GstElement          *element,
                                                        gpointer             user_data);
void     lattice_peer_connection_stop_view             (LatticePeerConnection *self);

/* lattice-peer-connection-stats.c */
/* Asks webrtcbin for statistics (the candidate pair, RTCP loss and round
 * trip, NACK and keyframe request counts) for get_stats() to return once
 * they came; at most one request at a time. */
void     lattice_peer_connection_query_stats           (LatticePeerConnection *self);

G_END_DECLS
