/* lattice-peer-connection.h: the connection to one remote participant (one webrtcbin)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  LATTICE_PEER_CONNECTION_STATE_NEW,
  LATTICE_PEER_CONNECTION_STATE_CONNECTING,
  LATTICE_PEER_CONNECTION_STATE_CONNECTED,
  LATTICE_PEER_CONNECTION_STATE_FAILED,
  LATTICE_PEER_CONNECTION_STATE_CLOSED,
} LatticePeerConnectionState;

typedef struct {
  guint64 video_frames;   /* decoded */
  guint64 video_bytes;    /* encoded, as received */
  guint64 audio_buffers;  /* decoded */
  guint64 audio_bytes;
  double  video_fps;      /* decoded frames per second over the last second */
  double  audio_rate;     /* decoded audio buffers per second over the last second */
  guint   video_width;    /* of the last decoded frame; 0 before the first */
  guint   video_height;
  guint64 stamped_frames; /* decoded frames whose stamp read back (engine "stamp-time") */
  guint64 frames_held_back; /* frames not decodable (a reference lost): never shown */

  /* From RTCP and the RTP elements, about once a second. */
  guint   video_reports;  /* receiver reports on our video so far; 0: the next is unknown */
  double  video_loss_sent;     /* fraction of our video the peer's receiver reports lost, after repairs */
  double  audio_loss_sent;     /* the same for audio, which nothing repairs but Opus's FEC */
  double  video_loss_received; /* fraction of the video sent to us the network lost, before repairs, last second */
  gint64  rtt_us;              /* round trip; 0 before it is known */
  guint64 nacks_received;      /* retransmission requests for our video */
  guint64 nacks_sent;
  guint64 retransmitted;       /* packets we sent again */
  guint64 repaired;            /* packets retransmissions gave back to us */
  guint64 keyframe_requests_sent; /* by the VP8 guard, for a lost reference */
} LatticePeerConnectionStats;

/* Media sections a Lattice connection may have: audio and video, and
 * room for what is to come (a second video, a data channel). */
#define LATTICE_PEER_CONNECTION_MAX_MLINES 4

#define LATTICE_TYPE_PEER_CONNECTION (lattice_peer_connection_get_type ())
G_DECLARE_FINAL_TYPE (LatticePeerConnection, lattice_peer_connection, LATTICE, PEER_CONNECTION, GObject)

/* Properties: "id", "offerer", "state" (LatticePeerConnectionState), "speaking",
 * "audio-level" (dB, peak of the last interval), "local-fingerprint" and
 * "remote-fingerprint" (see below).
 *
 * Signals (main context):
 *   local-description (const char *type, const char *sdp)   type: "offer" or "answer"
 *   local-candidate (guint mline, const char *candidate)     "" = end-of-candidates
 *   first-frame (const char *kind)                           "video" or "audio"
 *   remote-view (guint width, guint height)                  the other end shows our
 *                                                            video this large (0×0: not at all) */

const char                 *lattice_peer_connection_get_id       (LatticePeerConnection *self);
gboolean                    lattice_peer_connection_get_offerer  (LatticePeerConnection *self);
LatticePeerConnectionState  lattice_peer_connection_get_state    (LatticePeerConnection *self);
gboolean                    lattice_peer_connection_get_speaking (LatticePeerConnection *self);

/* @type: "offer" or "answer". An offer makes the peer answer. */
gboolean    lattice_peer_connection_set_remote_description (LatticePeerConnection       *self,
                                                            const char                  *type,
                                                            const char                  *sdp,
                                                            GError                     **error);
/* @candidate "" marks end-of-candidates. */
void        lattice_peer_connection_add_remote_candidate   (LatticePeerConnection       *self,
                                                            guint                        mline,
                                                            const char                  *candidate);

void        lattice_peer_connection_get_stats              (LatticePeerConnection       *self,
                                                            LatticePeerConnectionStats  *stats);
GstElement *lattice_peer_connection_get_webrtcbin          (LatticePeerConnection       *self);
/* Benchmarks (engine "stamp-time" on both sides): glass-to-glass latency of
 * each video frame decoded since the last call, in ms (double). Transfer full. */
GArray     *lattice_peer_connection_take_latency_samples   (LatticePeerConnection       *self);

/* SHA-256 fingerprints ("AB:CD:…") of the DTLS certificates in use: ours,
 * and the one the other end presented in the handshake (not merely the one
 * its description announced). NULL until the DTLS handshake is done, after
 * CONNECTED; both are set, with notify::, at once. If the presented
 * certificate is not the announced one, they stay NULL and the state
 * becomes FAILED: someone rewrote the description on the way. */
const char *lattice_peer_connection_get_local_fingerprint  (LatticePeerConnection *self);
const char *lattice_peer_connection_get_remote_fingerprint (LatticePeerConnection *self);
/* Whether the connection failed because the other side's DTLS certificate
 * was not the one its description announced. */
gboolean    lattice_peer_connection_get_fingerprint_mismatch (LatticePeerConnection *self);

/* How large this end shows the other's video, in device pixels (0×0: not
 * at all). Sent to the other end in the connection's RTCP (docs/PROTOCOL.md,
 * "View requests"), also while signaling is down; it then sends no larger a
 * layer than that needs. Until the first call nothing is asked, and the
 * other end sends what the link allows. Any time, from the main context. */
void        lattice_peer_connection_set_view               (LatticePeerConnection *self,
                                                            guint                  width,
                                                            guint                  height);
/* The last view the other end asked for ("remote-view"); FALSE if none yet. */
gboolean    lattice_peer_connection_get_remote_view        (LatticePeerConnection *self,
                                                            guint                 *width,
                                                            guint                 *height);

/* The type of the local candidate of the selected ICE pair: "host",
 * "srflx", "prflx" or "relay" (a TURN server carries the media); NULL
 * before one is known. The value is the last one webrtcbin's statistics
 * gave; each call asks for fresh ones, which a later call returns. */
const char *lattice_peer_connection_get_candidate_type     (LatticePeerConnection *self);

G_END_DECLS
