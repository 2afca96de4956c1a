/* lattice-test-ws.c: raw websocket clients and main-loop waits for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeTest"

#include "config.h"

#include "lattice-test-ws.h"

#define QUIET_SEQ 4242424242u

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
lattice_test_wait_until (LatticeTestCondition condition,
                         gpointer             user_data,
                         guint                timeout_ms)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) deadline = g_timeout_source_new (timeout_ms);
  gboolean timed_out = FALSE;

  g_source_set_callback (deadline, on_deadline, &timed_out, NULL);
  g_source_attach (deadline, context);

  while (!condition (user_data) && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (deadline);
  return condition (user_data);
}

static void
answer_ping (LatticeTestWs *ws,
             const char    *text)
{
  g_autoptr(LatticeMessage) message = lattice_message_parse (text, -1, LATTICE_ORIGIN_SERVER, NULL);
  g_autoptr(LatticeMessage) pong = NULL;
  g_autofree char *json = NULL;

  if (message == NULL || message->type != LATTICE_MESSAGE_PING)
    return;

  pong = lattice_message_new (LATTICE_MESSAGE_PONG);
  pong->seq = message->seq;
  json = lattice_message_to_json (pong);
  lattice_test_ws_send (ws, json);
}

static void
on_message (SoupWebsocketConnection *conn,
            gint                     type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  LatticeTestWs *ws = user_data;
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  char *text = g_strndup (data, size);

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  if (ws->auto_pong)
    answer_ping (ws, text);
  g_queue_push_tail (&ws->received, text);
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  LatticeTestWs *ws = user_data;

  ws->closed = TRUE;
  ws->close_code = soup_websocket_connection_get_close_code (conn);
}

typedef struct {
  gboolean                 done;
  SoupWebsocketConnection *conn;
  GError                  *error;
} Connecting;

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connecting *connecting = user_data;

  connecting->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                            &connecting->error);
  connecting->done = TRUE;
}

static gboolean
is_true (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static gboolean
on_accept_certificate (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  GTlsCertificate *trusted = user_data;

  return trusted != NULL && g_tls_certificate_is_same (certificate, trusted);
}

LatticeTestWs *
lattice_test_ws_connect (const char  *uri,
                         const char  *origin,
                         guint       *out_status,
                         GError     **error)
{
  return lattice_test_ws_connect_tls (uri, origin, NULL, out_status, error);
}

LatticeTestWs *
lattice_test_ws_connect_tls (const char       *uri,
                             const char       *origin,
                             GTlsCertificate  *trusted,
                             guint            *out_status,
                             GError          **error)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, uri);
  Connecting connecting = { FALSE, NULL, NULL };
  LatticeTestWs *ws;

  if (trusted != NULL)
    g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate), trusted);

  soup_session_websocket_connect_async (session, msg, origin, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_connected, &connecting);
  g_assert_true (lattice_test_wait_until (is_true, &connecting.done, LATTICE_TEST_WAIT_MS));
  if (out_status != NULL)
    *out_status = soup_message_get_status (msg);

  if (connecting.conn == NULL)
    {
      if (error == NULL)
        g_assert_no_error (connecting.error);
      g_propagate_error (error, connecting.error);
      return NULL;
    }

  ws = g_new0 (LatticeTestWs, 1);
  ws->session = g_steal_pointer (&session);
  ws->conn = connecting.conn;
  ws->auto_pong = TRUE;
  g_queue_init (&ws->received);
  g_signal_connect (ws->conn, "message", G_CALLBACK (on_message), ws);
  g_signal_connect (ws->conn, "closed", G_CALLBACK (on_closed), ws);
  return ws;
}

void
lattice_test_ws_free (LatticeTestWs *ws)
{
  if (ws == NULL)
    return;

  /* A clean close, so the server is not left with a half-open socket. */
  if (!ws->closed && soup_websocket_connection_get_state (ws->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (ws->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  lattice_test_wait_until (is_true, &ws->closed, LATTICE_TEST_WAIT_MS);

  g_signal_handlers_disconnect_by_data (ws->conn, ws);
  g_object_unref (ws->conn);
  g_object_unref (ws->session);
  g_queue_clear_full (&ws->received, g_free);
  g_free (ws);
}

void
lattice_test_ws_drop (LatticeTestWs *ws)
{
  GIOStream *stream = soup_websocket_connection_get_io_stream (ws->conn);

  g_io_stream_close (stream, NULL, NULL);
}

void
lattice_test_ws_send (LatticeTestWs *ws,
                      const char    *text)
{
  g_assert_cmpint (soup_websocket_connection_get_state (ws->conn), ==, SOUP_WEBSOCKET_STATE_OPEN);
  soup_websocket_connection_send_text (ws->conn, text);
}

void
lattice_test_ws_sendf (LatticeTestWs *ws,
                       const char    *format,
                       ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  lattice_test_ws_send (ws, text);
}

static gboolean
has_message (gpointer user_data)
{
  LatticeTestWs *ws = user_data;

  return !g_queue_is_empty (&ws->received);
}

char *
lattice_test_ws_next_text (LatticeTestWs *ws)
{
  lattice_test_wait_until (has_message, ws, LATTICE_TEST_WAIT_MS);
  return g_queue_pop_head (&ws->received);
}

LatticeMessage *
lattice_test_ws_next (LatticeTestWs *ws)
{
  for (;;)
    {
      g_autofree char *text = lattice_test_ws_next_text (ws);
      g_autoptr(GError) error = NULL;
      g_autoptr(LatticeMessage) message = NULL;

      g_assert_nonnull (text);
      message = lattice_message_parse (text, -1, LATTICE_ORIGIN_SERVER, &error);
      g_assert_no_error (error);
      if (message->type != LATTICE_MESSAGE_PING)
        return g_steal_pointer (&message);
    }
}

LatticeMessage *
lattice_test_ws_expect (LatticeTestWs      *ws,
                        LatticeMessageType  type)
{
  LatticeMessage *message = lattice_test_ws_next (ws);

  g_assert_cmpstr (lattice_message_type_to_string (message->type), ==,
                   lattice_message_type_to_string (type));
  return message;
}

LatticeMessage *
lattice_test_ws_expect_error (LatticeTestWs *ws,
                              const char    *code)
{
  LatticeMessage *message = lattice_test_ws_expect (ws, LATTICE_MESSAGE_ERROR);

  g_assert_cmpstr (message->code, ==, code);
  return message;
}

void
lattice_test_ws_assert_quiet (LatticeTestWs *ws)
{
  g_autoptr(LatticeMessage) pong = NULL;

  lattice_test_ws_sendf (ws, "{\"type\":\"ping\",\"seq\":%u}", QUIET_SEQ);
  pong = lattice_test_ws_expect (ws, LATTICE_MESSAGE_PONG);
  g_assert_cmpuint (pong->seq, ==, QUIET_SEQ);
}

gushort
lattice_test_ws_wait_closed (LatticeTestWs *ws)
{
  g_assert_true (lattice_test_wait_until (is_true, &ws->closed, LATTICE_TEST_WAIT_MS));
  return ws->close_code;
}
