/* lattice-link.h: room links (pure: no I/O)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every form of docs/PROTOCOL.md ("Links") parses into the websocket URI to
 * connect to and the room to join:
 *   lattice://HOST[:PORT]/ROOM          wss://HOST[:PORT]/ws  (?tls=no: ws://)
 *   https://HOST[:PORT]/ROOM            wss://HOST[:PORT]/ws
 *   http://HOST[:PORT]/ROOM, ws://…     ws://HOST[:PORT]/ws
 * A TLS link may pin the server's certificate: ?fp=sha256:<43 base64url>.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define LATTICE_LINK_ERROR (lattice_link_error_quark ())

typedef enum {
  LATTICE_LINK_ERROR_EMPTY,           /* nothing to parse */
  LATTICE_LINK_ERROR_UNKNOWN_SCHEME,  /* not lattice, https, http, wss or ws */
  LATTICE_LINK_ERROR_BAD_HOST,        /* missing or malformed host */
  LATTICE_LINK_ERROR_BAD_PORT,        /* not 1..65535 */
  LATTICE_LINK_ERROR_NO_ROOM,         /* no room in the path */
  LATTICE_LINK_ERROR_BAD_ROOM,        /* characters a room name may not have, or too long */
  LATTICE_LINK_ERROR_BAD_FINGERPRINT, /* malformed ?fp=, or a pin on a link without TLS */
} LatticeLinkError;

GQuark lattice_link_error_quark (void);

typedef struct {
  char     *host;      /* without brackets for IPv6 */
  guint     port;      /* the explicit or the scheme's default port */
  char     *room;
  gboolean  tls;
  char     *ws_uri;    /* what the signaling client connects to */
  char     *fingerprint; /* the pinned server certificate ("sha256:…"), or NULL */
} LatticeLink;

#define LATTICE_TYPE_LINK (lattice_link_get_type ())
GType        lattice_link_get_type   (void) G_GNUC_CONST;

LatticeLink *lattice_link_parse      (const char        *text,
                                      GError           **error);
/* @host: a name (UTF-8 allowed) or an IP address without brackets;
 * @port: 0 for the default of @tls (443 or 80). */
LatticeLink *lattice_link_new        (const char        *host,
                                      guint              port,
                                      const char        *room,
                                      gboolean           tls);
LatticeLink *lattice_link_copy       (const LatticeLink *link);
/* Pins the server certificate (a valid fingerprint, on a TLS link), or
 * removes the pin (NULL). */
void         lattice_link_set_fingerprint (LatticeLink *link,
                                           const char  *fingerprint);
void         lattice_link_free       (LatticeLink       *link);

/* lattice://HOST:PORT/ROOM, the form to share (opens the app). */
char        *lattice_link_to_string  (const LatticeLink *link);
/* https://… or http://…, the form a browser shows the room page for. */
char        *lattice_link_to_web_uri (const LatticeLink *link);

/* Room names: 1..LATTICE_PROTOCOL_MAX_ROOM_LENGTH of [A-Za-z0-9._-]. */
gboolean     lattice_room_name_is_valid (const char *room);
/* A random room name that is hard to guess, e.g. "brisk-otter-4821-9xq2". */
char        *lattice_room_name_generate (void);

/* Certificate fingerprints: "sha256:" and the SHA-256 of the DER
 * certificate in unpadded base64url (RFC 4648 §5), 43 characters. One
 * spelling per certificate, so fingerprints compare as strings. */
#define LATTICE_FINGERPRINT_PREFIX "sha256:"
#define LATTICE_FINGERPRINT_LENGTH (7 + 43)
gboolean     lattice_fingerprint_is_valid    (const char   *fingerprint);
/* @digest: the 32 bytes of a SHA-256 digest. */
char        *lattice_fingerprint_from_digest (const guint8 *digest,
                                              gsize         length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LatticeLink, lattice_link_free)

G_END_DECLS
