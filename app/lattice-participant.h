/* lattice-participant.h: one person in the call, as the UI sees them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "lattice-connection-quality.h"

G_BEGIN_DECLS

typedef enum {
  LATTICE_CONNECTION_NEW,         /* known from signaling, no media yet */
  LATTICE_CONNECTION_CONNECTING,
  LATTICE_CONNECTION_CONNECTED,
  LATTICE_CONNECTION_FAILED,
  LATTICE_CONNECTION_CLOSED,
} LatticeConnectionState;

#define LATTICE_TYPE_PARTICIPANT (lattice_participant_get_type ())
G_DECLARE_FINAL_TYPE (LatticeParticipant, lattice_participant, LATTICE, PARTICIPANT, GObject)

/* Properties, each with notify:: when it changes:
 *   "id" (construct-only), "is-self" (construct-only), "name", "initials"
 *   (derived from name), "audio-muted", "video-off", "hand-raised",
 *   "speaking", "connection-state" (LatticeConnectionState),
 *   "paintable" (GObject: the GdkPaintable the UI's video sink draws into,
 *   set by whoever created the sink; NULL when none),
 *   "verification-code" (string or NULL), "video-notice" (string or NULL:
 *   why there is no video, e.g. camera access refused),
 *   "connection-quality" (LatticeConnectionQuality, lattice-connection-quality.h). */
LatticeParticipant     *lattice_participant_new                  (const char *id,
                                                                  const char *name,
                                                                  gboolean    is_self);

const char             *lattice_participant_get_id               (LatticeParticipant *self);
gboolean                lattice_participant_get_is_self          (LatticeParticipant *self);
const char             *lattice_participant_get_name             (LatticeParticipant *self);
void                    lattice_participant_set_name             (LatticeParticipant *self,
                                                                  const char         *name);
/* Up to two letters, upper-case, from the display name ("Ada Lovelace" → "AL"). */
const char             *lattice_participant_get_initials         (LatticeParticipant *self);
gboolean                lattice_participant_get_audio_muted      (LatticeParticipant *self);
void                    lattice_participant_set_audio_muted      (LatticeParticipant *self,
                                                                  gboolean            muted);
gboolean                lattice_participant_get_video_off        (LatticeParticipant *self);
void                    lattice_participant_set_video_off        (LatticeParticipant *self,
                                                                  gboolean            off);
gboolean                lattice_participant_get_hand_raised      (LatticeParticipant *self);
void                    lattice_participant_set_hand_raised      (LatticeParticipant *self,
                                                                  gboolean            raised);
gboolean                lattice_participant_get_speaking         (LatticeParticipant *self);
void                    lattice_participant_set_speaking         (LatticeParticipant *self,
                                                                  gboolean            speaking);
LatticeConnectionState  lattice_participant_get_connection_state (LatticeParticipant *self);
void                    lattice_participant_set_connection_state (LatticeParticipant *self,
                                                                  LatticeConnectionState state);
GObject                *lattice_participant_get_paintable        (LatticeParticipant *self);
void                    lattice_participant_set_paintable        (LatticeParticipant *self,
                                                                  GObject            *paintable);
/* A short code both ends derive from their DTLS fingerprints (issue 7). */
const char             *lattice_participant_get_verification_code (LatticeParticipant *self);
void                    lattice_participant_set_verification_code (LatticeParticipant *self,
                                                                   const char         *code);
const char             *lattice_participant_get_video_notice     (LatticeParticipant *self);
void                    lattice_participant_set_video_notice     (LatticeParticipant *self,
                                                                  const char         *notice);

LatticeConnectionQuality lattice_participant_get_connection_quality (LatticeParticipant       *self);
void                     lattice_participant_set_connection_quality (LatticeParticipant       *self,
                                                                     LatticeConnectionQuality  quality);

G_END_DECLS
