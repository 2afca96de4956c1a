/* lattice-test-ws.h: raw websocket clients and main-loop waits for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A LatticeTestWs is a bare libsoup websocket on the thread-default main
 * context that queues every text frame it receives. Waits iterate that
 * context until something happens or a generous deadline passes: no sleeps.
 */
#pragma once

#include <libsoup/soup.h>

#include "lattice-protocol.h"

G_BEGIN_DECLS

/* Long enough for a loaded sanitizer build; only reached when a test fails. */
#define LATTICE_TEST_WAIT_MS 20000

typedef gboolean (*LatticeTestCondition) (gpointer user_data);

/* Iterates the thread-default context until @condition holds; FALSE when
 * @timeout_ms passed first. */
gboolean lattice_test_wait_until (LatticeTestCondition condition,
                                  gpointer             user_data,
                                  guint                timeout_ms);

typedef struct {
  SoupSession             *session;
  SoupWebsocketConnection *conn;
  GQueue                   received;     /* char *, text frames in order */
  gboolean                 closed;
  gushort                  close_code;   /* the server's close code, once closed */
  gboolean                 auto_pong;    /* answer the server's pings (default TRUE) */
} LatticeTestWs;

/* Connects to @uri (ws://…/ws) and waits for the handshake. With @error
 * NULL a failure fails the test; otherwise it returns NULL and sets
 * @error, and @out_status (if given) gets the HTTP status. */
LatticeTestWs  *lattice_test_ws_connect     (const char    *uri,
                                             const char    *origin,
                                             guint         *out_status,
                                             GError       **error);
/* lattice_test_ws_connect() to a wss:// @uri whose server presents
 * @trusted, a certificate no authority signed. */
LatticeTestWs  *lattice_test_ws_connect_tls (const char       *uri,
                                             const char       *origin,
                                             GTlsCertificate  *trusted,
                                             guint            *out_status,
                                             GError          **error);
void            lattice_test_ws_free        (LatticeTestWs *ws);
/* Drops the connection without a close frame, like a lost network. */
void            lattice_test_ws_drop        (LatticeTestWs *ws);

void            lattice_test_ws_send        (LatticeTestWs *ws,
                                             const char    *text);
void            lattice_test_ws_sendf       (LatticeTestWs *ws,
                                             const char    *format,
                                             ...) G_GNUC_PRINTF (2, 3);

/* Waits for the next text frame; NULL if none came in time. */
char           *lattice_test_ws_next_text   (LatticeTestWs *ws);
/* Waits for the next message that is not a server ping and parses it as
 * one from the server; fails the test if none came or it does not parse. */
LatticeMessage *lattice_test_ws_next        (LatticeTestWs *ws);
/* lattice_test_ws_next(), asserting its type. */
LatticeMessage *lattice_test_ws_expect      (LatticeTestWs      *ws,
                                             LatticeMessageType  type);
/* The next message is an error with @code; returns it. */
LatticeMessage *lattice_test_ws_expect_error (LatticeTestWs *ws,
                                              const char    *code);
/* Proves nothing else is queued for @ws: a ping's pong is the next thing
 * it hears (the server answers in order). */
void            lattice_test_ws_assert_quiet (LatticeTestWs *ws);
/* Waits for the server to close; returns its close code. */
gushort         lattice_test_ws_wait_closed (LatticeTestWs *ws);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LatticeTestWs, lattice_test_ws_free)

G_END_DECLS
