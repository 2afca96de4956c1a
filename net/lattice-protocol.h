/* lattice-protocol.h: the signaling protocol codec (pure: no I/O)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every message is one JSON object with a "type". The codec turns text into
 * a LatticeMessage and back, and validates each message for the side it came
 * from; docs/PROTOCOL.md is the reference for every field.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define LATTICE_PROTOCOL_VERSION 1
/* Largest text message a peer may send; the server's default limit. */
#define LATTICE_PROTOCOL_DEFAULT_MAX_MESSAGE_SIZE (64 * 1024)
#define LATTICE_PROTOCOL_MAX_NAME_LENGTH 64
#define LATTICE_PROTOCOL_MAX_ROOM_LENGTH 64

#define LATTICE_PROTOCOL_ERROR (lattice_protocol_error_quark ())

/* Each value has a stable wire code: see lattice_protocol_error_to_code(). */
typedef enum {
  LATTICE_PROTOCOL_ERROR_BAD_JSON,             /* "bad-json" */
  LATTICE_PROTOCOL_ERROR_UNKNOWN_TYPE,         /* "unknown-type" */
  LATTICE_PROTOCOL_ERROR_MISSING_FIELD,        /* "missing-field" */
  LATTICE_PROTOCOL_ERROR_INVALID_FIELD,        /* "invalid-field" */
  LATTICE_PROTOCOL_ERROR_WRONG_PASSWORD,       /* "wrong-password" */
  LATTICE_PROTOCOL_ERROR_ROOM_FULL,            /* "room-full" */
  LATTICE_PROTOCOL_ERROR_UNKNOWN_TARGET,       /* "unknown-target" */
  LATTICE_PROTOCOL_ERROR_TOO_LARGE,            /* "too-large" */
  LATTICE_PROTOCOL_ERROR_RATE_LIMITED,         /* "rate-limited" */
  LATTICE_PROTOCOL_ERROR_VERSION_UNSUPPORTED,  /* "version-unsupported" */
  LATTICE_PROTOCOL_ERROR_NOT_JOINED,           /* "not-joined" */
  LATTICE_PROTOCOL_ERROR_ALREADY_JOINED,       /* "already-joined" */
  LATTICE_PROTOCOL_ERROR_INVALID_TOKEN,        /* "invalid-token" */
  LATTICE_PROTOCOL_ERROR_HANDSHAKE_REQUIRED,   /* "handshake-required" */
  LATTICE_PROTOCOL_ERROR_ORIGIN_NOT_ALLOWED,   /* "origin-not-allowed" */
  LATTICE_PROTOCOL_ERROR_INTERNAL,             /* "internal" */
} LatticeProtocolError;

GQuark       lattice_protocol_error_quark        (void);
const char  *lattice_protocol_error_to_code      (LatticeProtocolError  error);
gboolean     lattice_protocol_error_from_code    (const char           *code,
                                                  LatticeProtocolError *out_error);

typedef enum {
  LATTICE_MESSAGE_HELLO,               /* client → server: version handshake */
  LATTICE_MESSAGE_WELCOME,             /* server → client */
  LATTICE_MESSAGE_JOIN,                /* client → server */
  LATTICE_MESSAGE_JOINED,              /* server → client */
  LATTICE_MESSAGE_PARTICIPANT_JOINED,  /* server → room */
  LATTICE_MESSAGE_PARTICIPANT_LEFT,    /* server → room */
  LATTICE_MESSAGE_STATE,               /* client → server: own media state */
  LATTICE_MESSAGE_PARTICIPANT_STATE,   /* server → room */
  LATTICE_MESSAGE_OFFER,               /* relayed: client "to" → server → client "from" */
  LATTICE_MESSAGE_ANSWER,              /* relayed */
  LATTICE_MESSAGE_CANDIDATE,           /* relayed; empty candidate = end-of-candidates */
  LATTICE_MESSAGE_LEAVE,               /* client → server */
  LATTICE_MESSAGE_PING,                /* either way */
  LATTICE_MESSAGE_PONG,                /* either way */
  LATTICE_MESSAGE_ERROR,               /* server → client */
  LATTICE_MESSAGE_REJECT,              /* relayed: a participant refuses another's offer */
} LatticeMessageType;

#define LATTICE_MESSAGE_LAST LATTICE_MESSAGE_REJECT

/* Why a participant refused an offer ("reject" messages, docs/PROTOCOL.md). */
#define LATTICE_REJECT_UNSUPPORTED "unsupported-offer" /* media sections or BUNDLE Lattice never negotiates */
#define LATTICE_REJECT_TOO_LARGE   "too-large"         /* over the receiver's size budget */
#define LATTICE_REJECT_SLOW_DOWN   "slow-down"         /* offers too often: ignored for a while */
#define LATTICE_REJECT_RESOURCES   "resources"         /* the receiver cannot take another connection */

/* Which side sent the text being parsed: the required fields differ (a
 * client's offer names "to", the relayed one names "from"). */
typedef enum {
  LATTICE_ORIGIN_CLIENT,
  LATTICE_ORIGIN_SERVER,
} LatticeOrigin;

const char *lattice_message_type_to_string (LatticeMessageType type);

typedef struct {
  char     *id;
  char     *name;
  gboolean  audio_muted;
  gboolean  video_off;
  gboolean  hand_raised;
} LatticeParticipantInfo;

#define LATTICE_TYPE_PARTICIPANT_INFO (lattice_participant_info_get_type ())
GType                   lattice_participant_info_get_type (void) G_GNUC_CONST;
LatticeParticipantInfo *lattice_participant_info_new  (const char *id,
                                                       const char *name);
LatticeParticipantInfo *lattice_participant_info_copy (const LatticeParticipantInfo *info);
void                    lattice_participant_info_free (LatticeParticipantInfo *info);

typedef struct {
  GStrv  urls;        /* stun:HOST:PORT, turn:HOST:PORT?transport=udp, turns:… */
  char  *username;    /* NULL for STUN */
  char  *credential;  /* NULL for STUN */
} LatticeIceServer;

#define LATTICE_TYPE_ICE_SERVER (lattice_ice_server_get_type ())
GType             lattice_ice_server_get_type (void) G_GNUC_CONST;
LatticeIceServer *lattice_ice_server_new  (const char *const *urls,
                                           const char        *username,
                                           const char        *credential);
LatticeIceServer *lattice_ice_server_copy (const LatticeIceServer *server);
void              lattice_ice_server_free (LatticeIceServer *server);

/* Which fields of a "state" message are present: a client sends only what
 * changed. */
typedef enum {
  LATTICE_STATE_FIELD_NONE        = 0,
  LATTICE_STATE_FIELD_AUDIO_MUTED = 1 << 0,
  LATTICE_STATE_FIELD_VIDEO_OFF   = 1 << 1,
  LATTICE_STATE_FIELD_HAND_RAISED = 1 << 2,
  LATTICE_STATE_FIELD_NAME        = 1 << 3,
} LatticeStateFields;

/* One message. Only the fields its type uses are set; docs/PROTOCOL.md
 * lists them per type. Strings are owned by the message. */
typedef struct {
  LatticeMessageType type;

  guint     version;          /* hello, welcome */
  char     *software;         /* hello, welcome: free text, e.g. "lattice 0.1.0" */
  guint     heartbeat_ms;     /* welcome: the server pings this often */

  char     *room;             /* join, joined */
  char     *name;             /* join */
  char     *password;         /* join (optional) */
  char     *token;            /* join (optional: resume), joined */
  char     *id;               /* joined (own id), participant-left */
  gboolean  resumed;          /* joined: the token was accepted */
  char     *reason;           /* participant-left: "left", "timeout", "disconnected" */

  GPtrArray *participants;    /* joined: LatticeParticipantInfo, others already there */
  GPtrArray *ice_servers;     /* joined: LatticeIceServer */
  LatticeParticipantInfo *participant; /* participant-joined, participant-state, state */
  LatticeStateFields state_fields;     /* state: which fields of participant are set */

  char     *to;               /* offer, answer, candidate, reject sent by a client;
                               * error: the id a refused message named, if any */
  char     *from;             /* offer, answer, candidate, reject relayed by the server */
  char     *sdp;              /* offer, answer */
  char     *candidate;        /* candidate: "" means end-of-candidates */
  char     *sdp_mid;          /* candidate (may be NULL) */
  gint      sdp_mline_index;  /* candidate, -1 when absent */

  guint64   seq;              /* ping, pong (echoed) */

  char     *code;             /* error: wire code of LatticeProtocolError; reject: LATTICE_REJECT_* */
  char     *message;          /* error, reject: human-readable, English */
  char     *ref_type;         /* error, reject: type of the message that caused it, if known */
} LatticeMessage;

/* A new "joined" comes with both lists created, empty, ready to be added to. */
LatticeMessage *lattice_message_new   (LatticeMessageType type);
void            lattice_message_free  (LatticeMessage *message);

/* Parses and validates one message. On failure, @error is in
 * LATTICE_PROTOCOL_ERROR with the code to answer the sender with. */
LatticeMessage *lattice_message_parse (const char     *text,
                                       gssize          length,
                                       LatticeOrigin   origin,
                                       GError        **error);

/* Serializes; the result is compact JSON, newline-free. */
char           *lattice_message_to_json (const LatticeMessage *message);

/* Convenience builders for the messages sent most. */
char *lattice_message_build_error     (LatticeProtocolError  code,
                                       const char           *message,
                                       const char           *ref_type);
char *lattice_message_build_error_from_gerror (const GError *error,
                                               const char   *ref_type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LatticeMessage, lattice_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LatticeParticipantInfo, lattice_participant_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LatticeIceServer, lattice_ice_server_free)

G_END_DECLS
