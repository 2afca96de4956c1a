/* lattice-test-hostile.h: hostile signaling clients for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A LatticeHostile is a websocket client that sends a signaling server
 * nothing but bad messages: malformed, mutated valid ones, wrong-typed,
 * oversized, unknown, and valid ones the server must refuse in its state.
 * It works asynchronously on the thread-default main context, so it can run
 * beside anything else a test waits for (well-behaved clients in-process,
 * or lattice-peer processes with real media).
 *
 * It sends in windows and waits for the answers: every bad message must
 * get an `error`, or be lost to a close the server announced with a close
 * code (or, after a frame over twice the size limit, to the connection
 * being cut); then it reconnects and goes on. The counts prove it.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  LATTICE_HOSTILE_SILENT,    /* connects but never says hello */
  LATTICE_HOSTILE_UNJOINED,  /* says hello, joins no room */
  LATTICE_HOSTILE_MEMBER,    /* joins a room, then misbehaves in it */
} LatticeHostileRole;

typedef struct {
  guint sent;         /* bad messages sent */
  guint errors;       /* `error` replies to them */
  guint lost;         /* unanswered when the server closed with a close code */
  guint closes;       /* connections the server closed with a close code */
  guint cut;          /* ended after a frame over twice the limit, which the
                       * server stops reading: the reset may beat the close */
  guint unannounced;  /* connections that ended without one: must stay 0 */
  guint unexpected;   /* replies other than `error` to bad messages: must stay 0 */
  guint connects;     /* successful websocket handshakes */
  guint failures;     /* failed handshakes (retried) */
  gboolean stalled;   /* gave up waiting for answers */
} LatticeHostileStats;

typedef struct _LatticeHostile LatticeHostile;

/* @ws_uri: ws://HOST:PORT/ws; @room: for LATTICE_HOSTILE_MEMBER (it also
 * appears in the others' messages); @max_message_size: the server's limit,
 * to aim oversized messages at; @seed: the same seed sends the same
 * messages. */
LatticeHostile            *lattice_hostile_new       (const char         *ws_uri,
                                                      LatticeHostileRole  role,
                                                      const char         *room,
                                                      guint               n_messages,
                                                      guint               max_message_size,
                                                      guint32             seed);
/* Waits @ms after each window of bad messages was answered before sending
 * the next (default 0: at once), so the same messages span a while: long
 * enough, say, to watch a call beside them. Before lattice_hostile_start(). */
void                       lattice_hostile_set_pause (LatticeHostile     *self,
                                                      guint               ms);
/* Connects and sends until n_messages were sent and answered or lost. */
void                       lattice_hostile_start     (LatticeHostile     *self);
gboolean                   lattice_hostile_is_done   (LatticeHostile     *self);
const LatticeHostileStats *lattice_hostile_get_stats (LatticeHostile     *self);
/* One line of counts, for test logs. */
char                      *lattice_hostile_describe  (LatticeHostile     *self);
void                       lattice_hostile_free      (LatticeHostile     *self);

/* Whether all of @hostiles are done; a LatticeTestCondition. */
gboolean                   lattice_hostiles_done     (gpointer            hostiles_ptr_array);
/* Each driver is done and accounts for every bad message it sent: each
 * was answered with an error or lost to a close the server announced,
 * and nothing else came back; together they sent at least @min_sent. */
void                       lattice_hostiles_assert_accounted (GPtrArray *hostiles,
                                                              guint      min_sent);

/* The generator alone: one bad message (text unless *out_binary). It is
 * bad for any client: whether the server must refuse it in a given state
 * is the driver's business. */
GBytes                    *lattice_hostile_generate  (GRand              *rand,
                                                      const char         *room,
                                                      guint               max_message_size,
                                                      gboolean           *out_binary);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LatticeHostile, lattice_hostile_free)

G_END_DECLS
