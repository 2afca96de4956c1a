/* lattice-link.h: room links (pure: no I/O)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every form of docs/PROTOCOL.md ("Links") parses into the websocket URI to
 * connect to and the room to join:
 *   lattice://HOST[:PORT]/ROOM          wss://HOST[:PORT]/ws  (?tls=no: ws://)
 *   https://HOST[:PORT]/ROOM            wss://HOST[:PORT]/ws
 *   http://HOST[:PORT]/ROOM, ws://…     ws://HOST[:PORT]/ws
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
} LatticeLinkError;

GQuark lattice_link_error_quark (void);

typedef struct {
  char     *host;      /* without brackets for IPv6 */
  guint     port;      /* the explicit or the scheme's default port */
  char     *room;
  gboolean  tls;
  char     *ws_uri;    /* what the signaling client connects to */
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
void         lattice_link_free       (LatticeLink       *link);

/* lattice://HOST:PORT/ROOM, the form to share (opens the app). */
char        *lattice_link_to_string  (const LatticeLink *link);
/* https://… or http://…, the form a browser shows the room page for. */
char        *lattice_link_to_web_uri (const LatticeLink *link);

/* Room names: 1..LATTICE_PROTOCOL_MAX_ROOM_LENGTH of [A-Za-z0-9._-]. */
gboolean     lattice_room_name_is_valid (const char *room);
/* A random room name that is hard to guess, e.g. "brisk-otter-4821-9xq2". */
char        *lattice_room_name_generate (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LatticeLink, lattice_link_free)

G_END_DECLS
