/* lattice-signal-server-private.h: driving the server without sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For tests and the fuzzer (tests/fuzz/fuzz-server.c): a fake client goes
 * through exactly the per-message path of a websocket client (size and rate
 * limits, parsing, handlers), but what the server sends it is queued as
 * text instead of written to a socket.
 */
#pragma once

#include "lattice-signal-server.h"

G_BEGIN_DECLS

typedef struct _LatticeServerClient LatticeServerClient;

/* A client connected from @address; owned by the server, freed after it
 * closed (lattice_signal_server_reap()) or when the server stops. */
LatticeServerClient *lattice_signal_server_add_fake_client (LatticeSignalServer *self,
                                                            const char          *address);
/* One websocket frame from the client: text, or binary when @binary. */
void                 lattice_server_client_receive        (LatticeServerClient *client,
                                                           gboolean             binary,
                                                           const char          *data,
                                                           gsize                size);
/* The texts sent to it since the last call, in order (char *). */
GPtrArray           *lattice_server_client_take_sent      (LatticeServerClient *client);
/* The server's close code once it closed the connection, else 0. */
gushort              lattice_server_client_get_close_code (LatticeServerClient *client);
gboolean             lattice_server_client_is_joined      (LatticeServerClient *client);
/* The client's side closes the connection (@code as in its close frame). */
void                 lattice_server_client_close          (LatticeServerClient *client,
                                                           gushort              code);
/* Frees the clients that closed now instead of from an idle. */
void                 lattice_signal_server_reap           (LatticeSignalServer *self);
guint                lattice_signal_server_get_n_connections_from (LatticeSignalServer *self,
                                                                   const char          *address);

G_END_DECLS
