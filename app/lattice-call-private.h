/* lattice-call-private.h: what the files of LatticeCall share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lattice-call.c: the object, the room as a list of participants, media
 * events to signaling and back. lattice-call-negotiation.c: offers,
 * answers and candidates, which of them are taken, and rebuilding failed
 * connections. lattice-call-view.c: how large each participant is shown,
 * passed to their connections.
 */
#pragma once

#include "lattice-call.h"
#include "lattice-connection-quality.h"
#include "lattice-link.h"
#include "lattice-offer-check.h"
#include "lattice-signaling-client.h"

G_BEGIN_DECLS

struct _LatticeCall
{
  GObject parent_instance;

  LatticeMediaEngine     *engine;
  LatticeSignalingClient *client;
  LatticeLink            *link;
  GListStore             *participants;
  LatticeParticipant     *self_participant;
  GError                 *error;
  char                   *display_name;
  char                   *local_stun;
  GStrv                   local_turn;
  GHashTable             *awaiting_answer;  /* ids we sent an offer to, no answer yet */
  GHashTable             *departed;         /* ids announced as left */
  GHashTable             *rebuilds;         /* id → GSource, a pending re-offer */
  GHashTable             *negotiations;     /* id → Negotiation (lattice-call-negotiation.c) */
  LatticeQualityMonitor  *quality;          /* while the engine runs */
  GHashTable             *views;            /* id → width << 16 | height (lattice-call-view.c) */
  GSource                *view_settle;
  LatticeCallState        state;
  guint                   audio_muted : 1;
  guint                   video_enabled : 1;
  guint                   hand_raised : 1;
  guint                   video_hidden : 1;
};

static inline const char *
lattice_call_own_id (LatticeCall *self)
{
  return self->client != NULL ? lattice_signaling_client_get_participant_id (self->client) : NULL;
}

/* lattice-call.c */
gboolean               lattice_call_find_participant   (LatticeCall                  *self,
                                                        const char                   *id,
                                                        guint                        *position);
LatticeParticipant    *lattice_call_ensure_participant (LatticeCall                  *self,
                                                        const LatticeParticipantInfo *info,
                                                        gboolean                     *added);
LatticePeerConnection *lattice_call_add_peer           (LatticeCall                  *self,
                                                        const char                   *id,
                                                        gboolean                      offerer);
void                   lattice_call_remove_participant (LatticeCall                  *self,
                                                        const char                   *id);

/* lattice-call-negotiation.c */
void     lattice_call_negotiation_init   (LatticeCall *self);
void     lattice_call_negotiation_clear  (LatticeCall *self);
void     lattice_call_offer_to           (LatticeCall *self,
                                          const char  *id);
void     lattice_call_cancel_rebuild     (LatticeCall *self,
                                          const char  *id);
/* A connection's state or fingerprints changed: counts failures,
 * schedules the rebuild, says why on the tile. */
void     lattice_call_peer_state_changed (LatticeCall           *self,
                                          LatticePeerConnection *peer);
/* Whether another connection fits in this process's open-file limit. */
gboolean lattice_call_has_room_for_connection (void);

void lattice_call_on_client_offer          (LatticeSignalingClient *client,
                                            const char             *from,
                                            const char             *sdp,
                                            LatticeCall            *self);
void lattice_call_on_client_answer         (LatticeSignalingClient *client,
                                            const char             *from,
                                            const char             *sdp,
                                            LatticeCall            *self);
void lattice_call_on_client_candidate      (LatticeSignalingClient *client,
                                            const char             *from,
                                            guint                   mline,
                                            const char             *mid,
                                            const char             *candidate,
                                            LatticeCall            *self);
void lattice_call_on_client_reject         (LatticeSignalingClient *client,
                                            const char             *from,
                                            const char             *code,
                                            const char             *message,
                                            LatticeCall            *self);
void lattice_call_on_client_unknown_target (LatticeSignalingClient *client,
                                            const char             *id,
                                            LatticeCall            *self);

/* lattice-call-view.c */
void     lattice_call_view_init       (LatticeCall           *self);
void     lattice_call_view_clear      (LatticeCall           *self);
/* A new connection gets the view its participant has. */
void     lattice_call_view_peer_added (LatticeCall           *self,
                                       LatticePeerConnection *peer);
void     lattice_call_view_forget     (LatticeCall           *self,
                                       const char            *id);

G_END_DECLS
