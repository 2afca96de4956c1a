/* lattice-signal-server.h: the signaling server (libsoup 3)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Serves the websocket at /ws and a small page for each room at /ROOM.
 * Runs in lattice-server and embedded in the app. Used from the thread
 * whose thread-default main context was current when it was created.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LATTICE_SIGNAL_SERVER_DEFAULT_PORT          8787
#define LATTICE_SIGNAL_SERVER_DEFAULT_ROOM_SIZE     8
#define LATTICE_SIGNAL_SERVER_DEFAULT_RATE          50   /* messages per second per client */
#define LATTICE_SIGNAL_SERVER_BURST_SECONDS         4    /* of max-rate, sent at once */
#define LATTICE_SIGNAL_SERVER_DEFAULT_HEARTBEAT_MS  5000
#define LATTICE_SIGNAL_SERVER_DEFAULT_TIMEOUT_MS    15000
#define LATTICE_SIGNAL_SERVER_DEFAULT_CONNECTIONS_PER_ADDRESS 20
#define LATTICE_SIGNAL_SERVER_DEFAULT_PASSWORD_ATTEMPTS       5     /* wrong ones per window */
#define LATTICE_SIGNAL_SERVER_DEFAULT_PASSWORD_WINDOW_MS      60000
#define LATTICE_SIGNAL_SERVER_DEFAULT_PASSWORD_COOLDOWN_MS    60000

#define LATTICE_TYPE_SIGNAL_SERVER (lattice_signal_server_get_type ())
G_DECLARE_FINAL_TYPE (LatticeSignalServer, lattice_signal_server, LATTICE, SIGNAL_SERVER, GObject)

/* Limits and options are properties ("max-message-size", "max-rate",
 * "max-room-size", "max-name-length", "heartbeat-interval" (ms),
 * "heartbeat-timeout" (ms), "tls-certificate", "allowed-origins",
 * "stun-servers", "turn-servers", "turn-secret", "max-connections-per-address",
 * "max-password-attempts", "password-window" (ms), "password-cooldown" (ms));
 * set them before listening. */
LatticeSignalServer *lattice_signal_server_new        (void);

/* Listens on HOST:PORT; PORT 0 picks a free port (see get_port). */
gboolean             lattice_signal_server_listen     (LatticeSignalServer  *self,
                                                       const char           *host,
                                                       guint                 port,
                                                       GError              **error);
guint                lattice_signal_server_get_port   (LatticeSignalServer  *self);
/* Closes every connection and stops listening. */
void                 lattice_signal_server_stop       (LatticeSignalServer  *self);

guint                lattice_signal_server_get_n_rooms   (LatticeSignalServer *self);
guint                lattice_signal_server_get_n_clients (LatticeSignalServer *self);

G_END_DECLS
