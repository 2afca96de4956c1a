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
#include "lattice-link.h"
#include "lattice-protocol.h"

G_BEGIN_DECLS

/* Errors of the client itself (the server's refusals are
 * LATTICE_PROTOCOL_ERROR, network trouble G_IO_ERROR). */
#define LATTICE_SIGNALING_ERROR (lattice_signaling_error_quark ())

typedef enum {
  /* No CA vouches for the server's certificate and nothing pins it: the
   * UI may show "peer-certificate-fingerprint" and ask whether to trust it. */
  LATTICE_SIGNALING_ERROR_CERTIFICATE_UNTRUSTED,
  /* The certificate is not the pinned one: maybe an attack; never retried. */
  LATTICE_SIGNALING_ERROR_CERTIFICATE_MISMATCH,
} LatticeSignalingError;

GQuark lattice_signaling_error_quark (void);

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
 * move the state to FAILED and are kept in the "error" property
 * (LATTICE_PROTOCOL_ERROR with the server's code, LATTICE_SIGNALING_ERROR
 * for a certificate, or G_IO_ERROR; the message is translated and fit to
 * show).
 *
 * States: connect() goes CONNECTING → JOINED. The first connect tries a few
 * times quickly and ends in FAILED (within about 10 s) when the server cannot
 * be reached. Once joined, a dropped connection, or a server silent for three
 * heartbeats, gives RECONNECTING: retried with exponential backoff and jitter
 * ("reconnect-min-ms", "reconnect-max-ms") until rejoined or disconnect().
 *
 * Rejoining: "joined" (resumed = TRUE) keeps the participant id. The
 * participant list is then replaced by the server's; no participant-left or
 * participant-joined is made up for the difference, because after a server
 * restart the others come back one by one, each with a participant-joined
 * carrying an id the caller may already know (keep its peer connection).
 * If the server refuses the token, the client rejoins as a new participant:
 * "joined" (resumed = FALSE) with a new "participant-id".
 *
 * Leaving: participant-left's reason is "left" for a deliberate leave,
 * "disconnected" or "timeout" for someone who may come back. This client
 * closes with "going away" when it drops a connection to reconnect, so the
 * others see "disconnected", and normally on disconnect() and dispose.
 *
 * The send_*() methods need the JOINED state: otherwise (connecting, or
 * reconnecting) the message is dropped, with a debug message, not queued;
 * after a rejoin the caller resends what still matters.
 *
 * TLS (wss://): the server's certificate is verified against the system's
 * CAs. With "pinned-fingerprint" set (a "sha256:…" fingerprint, as in an
 * invite link's "?fp="), the certificate must be exactly that one instead,
 * CA or not (a self-signed host). Certificate failures end in FAILED at
 * once, also while reconnecting, with LATTICE_SIGNALING_ERROR:
 *   CERTIFICATE_MISMATCH   not the pinned certificate;
 *   CERTIFICATE_UNTRUSTED  no pin, and no CA vouches for it. Its
 *       fingerprint is in "peer-certificate-fingerprint": after the user
 *       trusts it, set_pinned_fingerprint() with it and connect() again.
 * The pin stays for every reconnect. */
LatticeSignalingClient *lattice_signaling_client_new (const char *ws_uri,
                                                      const char *room,
                                                      const char *name,
                                                      const char *password);
/* The link's websocket URI, room and certificate pin. */
LatticeSignalingClient *lattice_signaling_client_new_for_link (const LatticeLink *link,
                                                               const char        *name,
                                                               const char        *password);

/* Does nothing unless DISCONNECTED or FAILED; after FAILED it tries again
 * (resuming, if it had joined before). */
void                   lattice_signaling_client_connect         (LatticeSignalingClient *self);
/* Sends "leave" when joined, closes, and stops reconnecting; state
 * DISCONNECTED. A later connect() joins as a new participant. */
void                   lattice_signaling_client_disconnect      (LatticeSignalingClient *self);

LatticeSignalingState  lattice_signaling_client_get_state       (LatticeSignalingClient *self);
const GError          *lattice_signaling_client_get_error       (LatticeSignalingClient *self);
const char            *lattice_signaling_client_get_participant_id (LatticeSignalingClient *self);
const char            *lattice_signaling_client_get_room        (LatticeSignalingClient *self);
/* Participants other than this one (LatticeParticipantInfo), as of the last
 * join and the events since; owned by the client (transfer none). */
GPtrArray             *lattice_signaling_client_get_participants (LatticeSignalingClient *self);
/* LatticeIceServer, from the last "joined"; transfer none. */
GPtrArray             *lattice_signaling_client_get_ice_servers (LatticeSignalingClient *self);

/* The certificate the server must present ("sha256:…"), or NULL for CA
 * verification; used from the next connection attempt on. */
void                   lattice_signaling_client_set_pinned_fingerprint (LatticeSignalingClient *self,
                                                                        const char             *fingerprint);
const char            *lattice_signaling_client_get_pinned_fingerprint (LatticeSignalingClient *self);
/* The fingerprint of the certificate the server presented on the last
 * TLS connection attempt, accepted or not; NULL before any. */
const char            *lattice_signaling_client_get_peer_certificate_fingerprint (LatticeSignalingClient *self);

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
/* Refuses an offer of @to ("reject", docs/PROTOCOL.md): @code is one of
 * LATTICE_REJECT_*, @text says why in English, @ref_type what was refused. */
void lattice_signaling_client_send_reject    (LatticeSignalingClient *self,
                                              const char             *to,
                                              const char             *code,
                                              const char             *text,
                                              const char             *ref_type);
/* Sends the fields of @fields from @info ("state"); the server broadcasts. */
void lattice_signaling_client_send_state     (LatticeSignalingClient       *self,
                                              LatticeStateFields            fields,
                                              const LatticeParticipantInfo *info);

G_END_DECLS
