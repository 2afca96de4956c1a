/* lattice-peer-connection-private.h: how LatticeMediaEngine drives a LatticePeerConnection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "lattice-peer-connection.h"

G_BEGIN_DECLS

/* Asks the engine for the sink of a decoded stream (@kind "video" or
 * "audio"); called on the main context. NULL means a counting fakesink. */
typedef GstElement *(*LatticePeerConnectionSinkFunc) (LatticePeerConnection *peer,
                                            const char  *kind,
                                            gpointer     user_data);

typedef struct {
  guint               latency_ms;
  const char         *stun_server;
  const char *const  *turn_servers;
  gboolean            relay_only;
  GstElement         *echo_probe;  /* webrtcechoprobe for the audio chain if free, or NULL */
  LatticePeerConnectionSinkFunc create_sink;
  gpointer            sink_data;
  gboolean            read_stamps; /* latency samples from stamped frames (lattice-stamp.h) */
  guint               connect_timeout_ms; /* NEW/CONNECTING longer than this: FAILED; 0: default */
} LatticePeerConnectionConfig;

LatticePeerConnection *lattice_peer_connection_new             (const char              *id,
                                           gboolean                 offerer,
                                           GMainContext            *context,
                                           const LatticePeerConnectionConfig *config);
/* The bin holding this peer's branch: webrtcbin, send queues, decoders. */
GstBin      *lattice_peer_connection_get_bin         (LatticePeerConnection             *self);
/* A webrtcbin sink pad for sending @kind ("video" or "audio") with RTP @caps. */
GstPad      *lattice_peer_connection_request_send_pad (LatticePeerConnection            *self,
                                            GstCaps                *caps);
/* A receive-only transceiver, when there is nothing of that kind to send. */
void         lattice_peer_connection_add_recv_only   (LatticePeerConnection             *self,
                                           GstCaps                 *caps);
/* The bin is in the pipeline and playing: the offerer may negotiate. */
void         lattice_peer_connection_start           (LatticePeerConnection             *self);
/* Removed: no more signals; the state becomes CLOSED. */
void         lattice_peer_connection_close           (LatticePeerConnection             *self);
/* The pipeline reported an error inside this peer's bin. */
void         lattice_peer_connection_fail            (LatticePeerConnection             *self);
/* A "level" element message from this peer's audio chain. */
void         lattice_peer_connection_handle_level    (LatticePeerConnection             *self,
                                           const GstStructure      *level);

G_END_DECLS
