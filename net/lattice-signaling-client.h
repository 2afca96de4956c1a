/* lattice-signaling-client.h: the signaling client (libsoup 3 websocket)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Connects, says hello, joins one room, and stays in it: a dropped
 * connection is retried with backoff and the client rejoins as the same
 * participant (resume token), so live peer connections are kept. Every
 * signal is emitted on the main context the client was created in.
 */
#pragma once

#include <gio/gio.h>
#include "lattice-protocol.h"

G_BEGIN_DECLS

typedef enum {
  LATTICE_SIGNALING_STATE_DISCONNECTED,
  LATTICE_SIGNALING_STATE_CONNECTING,
  LATTICE_SIGNALING_STATE_JOINED,
  LATTICE_SIGNALING_STATE_RECONNECTING,
  LATTICE_SIGNALING_STATE_FAILED,
} LatticeSignalingState;

#define LATTICE_TYPE_SIGNALING_CLIENT (lattice_signaling_client_get_type ())
G_DECLARE_FINAL_TYPE (LatticeSignalingClient, lattice_signaling_client, LATTICE, SIGNALING_CLIENT, GObject)

/* Signals:
 *   joined (gboolean resumed)                       after each (re)join
 *   participant-joined (LatticeParticipantInfo *)
 *   participant-left (const char *id, const char *reason)
 *   participant-state (LatticeParticipantInfo *)
 *   offer (const char *from, const char *sdp)
 *   answer (const char *from, const char *sdp)
 *   candidate (const char *from, guint mline, const char *mid, const char *candidate)
 *       candidate "" is end-of-candidates
 *   server-error (const char *code, const char *message)  a non-fatal error
 * Fatal errors (wrong password, room full, version unsupported, bad URI…)
 * move the state to FAILED and are kept in the "error" property. */
LatticeSignalingClient *lattice_signaling_client_new (const char *ws_uri,
                                                      const char *room,
                                                      const char *name,
                                                      const char *password);

void                   lattice_signaling_client_connect         (LatticeSignalingClient *self);
/* Sends "leave" when joined, closes, and stops reconnecting. */
void                   lattice_signaling_client_disconnect      (LatticeSignalingClient *self);

LatticeSignalingState  lattice_signaling_client_get_state       (LatticeSignalingClient *self);
const GError          *lattice_signaling_client_get_error       (LatticeSignalingClient *self);
const char            *lattice_signaling_client_get_participant_id (LatticeSignalingClient *self);
const char            *lattice_signaling_client_get_room        (LatticeSignalingClient *self);
/* Participants other than this one, as of the last join and events since. */
GPtrArray             *lattice_signaling_client_get_participants (LatticeSignalingClient *self);
/* LatticeIceServer, from the last "joined". */
GPtrArray             *lattice_signaling_client_get_ice_servers (LatticeSignalingClient *self);

void lattice_signaling_client_send_offer     (LatticeSignalingClient *self,
                                              const char             *to,
                                              const char             *sdp);
void lattice_signaling_client_send_answer    (LatticeSignalingClient *self,
                                              const char             *to,
                                              const char             *sdp);
void lattice_signaling_client_send_candidate (LatticeSignalingClient *self,
                                              const char             *to,
                                              guint                   mline,
                                              const char             *mid,
                                              const char             *candidate);
/* Sends the fields of @fields from @info ("state"); the server broadcasts. */
void lattice_signaling_client_send_state     (LatticeSignalingClient       *self,
                                              LatticeStateFields            fields,
                                              const LatticeParticipantInfo *info);

G_END_DECLS
