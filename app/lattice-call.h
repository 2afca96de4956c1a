/* lattice-call.h: the call controller, wiring signaling (net/) and media (media/)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * No GTK here: the desktop app and lattice-peer both drive a LatticeCall.
 */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include "lattice-participant.h"
#include "lattice-media-engine.h"

G_BEGIN_DECLS

typedef enum {
  LATTICE_CALL_STATE_IDLE,          /* not joined yet */
  LATTICE_CALL_STATE_JOINING,       /* connecting to the signaling server */
  LATTICE_CALL_STATE_IN_CALL,       /* joined; peers come and go */
  LATTICE_CALL_STATE_RECONNECTING,  /* signaling lost; media with connected peers goes on */
  LATTICE_CALL_STATE_LEFT,
  LATTICE_CALL_STATE_FAILED,        /* see the "error" property */
} LatticeCallState;

#define LATTICE_CALL_ERROR (lattice_call_error_quark ())
typedef enum {
  LATTICE_CALL_ERROR_BAD_LINK,
  LATTICE_CALL_ERROR_UNREACHABLE,
  LATTICE_CALL_ERROR_WRONG_PASSWORD,
  LATTICE_CALL_ERROR_ROOM_FULL,
  LATTICE_CALL_ERROR_VERSION,
  LATTICE_CALL_ERROR_MEDIA,
  LATTICE_CALL_ERROR_FAILED,
  /* A self-signed (or otherwise unvouched) server and no pin: the UI may
   * ask the user, see lattice_call_dup_server_fingerprint(). */
  LATTICE_CALL_ERROR_CERTIFICATE_UNTRUSTED,
  /* Not the pinned certificate: maybe an attack; never to be overridden. */
  LATTICE_CALL_ERROR_CERTIFICATE_MISMATCH,
} LatticeCallError;
GQuark lattice_call_error_quark (void);

#define LATTICE_TYPE_CALL (lattice_call_get_type ())
G_DECLARE_FINAL_TYPE (LatticeCall, lattice_call, LATTICE, CALL, GObject)

/* Properties: "state" (LatticeCallState), "error" (GError boxed, when
 * FAILED), "participants" (GListModel of LatticeParticipant, self first),
 * "self" (LatticeParticipant), "room", "link" (the lattice:// invite link),
 * "audio-muted", "video-enabled", "engine".
 *
 * Signals:
 *   participant-joined (LatticeParticipant *)   someone new (not on resume)
 *   participant-left (LatticeParticipant *)     after removal from the model
 *   create-video-sink (LatticeParticipant *) → GstElement *   forwarded from the engine
 *   create-audio-sink (LatticeParticipant *) → GstElement *
 *   first-frame (LatticeParticipant *, const char *kind) */
LatticeCall        *lattice_call_new              (LatticeMediaEngine *engine);

/* Parses @link (every form of docs/PROTOCOL.md), starts the engine and
 * joins. Errors in the link or the local media come back at once; the rest
 * arrives as the "state" and "error" properties. */
gboolean            lattice_call_join             (LatticeCall        *self,
                                                   const char         *link,
                                                   const char         *display_name,
                                                   const char         *password,
                                                   GError            **error);
void                lattice_call_leave            (LatticeCall        *self);

LatticeCallState    lattice_call_get_state        (LatticeCall        *self);
const GError       *lattice_call_get_error        (LatticeCall        *self);
GListModel         *lattice_call_get_participants (LatticeCall        *self);
LatticeParticipant *lattice_call_get_self         (LatticeCall        *self);
LatticeParticipant *lattice_call_lookup           (LatticeCall        *self,
                                                   const char         *id);
const char         *lattice_call_get_room         (LatticeCall        *self);
char               *lattice_call_dup_invite_link  (LatticeCall        *self);
/* The fingerprint ("sha256:…") of the certificate the server presented on
 * the last TLS connection attempt, accepted or not; NULL before any. */
char               *lattice_call_dup_server_fingerprint (LatticeCall  *self);
LatticeMediaEngine *lattice_call_get_engine       (LatticeCall        *self);

/* Local STUN/TURN servers (webrtcbin's forms, see lattice-ice.h); when set,
 * they replace the ones the signaling server recommends. Before join. */
void                lattice_call_set_ice_servers  (LatticeCall        *self,
                                                   const char         *stun_server,
                                                   const char *const  *turn_servers);

void                lattice_call_set_audio_muted   (LatticeCall *self, gboolean muted);
gboolean            lattice_call_get_audio_muted   (LatticeCall *self);
void                lattice_call_set_video_enabled (LatticeCall *self, gboolean enabled);
gboolean            lattice_call_get_video_enabled (LatticeCall *self);
void                lattice_call_set_hand_raised   (LatticeCall *self, gboolean raised);
void                lattice_call_set_display_name  (LatticeCall *self, const char *name);

/* How large this end shows @participant_id's video, in device pixels
 * (0×0: not shown). The participant's sender then sends no larger a layer
 * than that needs (docs/ARCHITECTURE.md, "Decoding only what is shown").
 * Never called: it sends what the link allows. */
void                lattice_call_set_view          (LatticeCall *self,
                                                    const char  *participant_id,
                                                    guint        width,
                                                    guint        height);
/* The window is minimized or otherwise out of sight: no video from anyone
 * until it is shown again. */
void                lattice_call_set_video_hidden  (LatticeCall *self, gboolean hidden);
gboolean            lattice_call_get_video_hidden  (LatticeCall *self);

G_END_DECLS
