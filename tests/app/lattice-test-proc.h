/* lattice-test-proc.h: run lattice-server and lattice-peer processes in tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _LatticeTestProc LatticeTestProc;

/* Path of a built binary: LATTICE_BUILDDIR/app/NAME. */
char            *lattice_test_binary          (const char *name);

/* Starts lattice-server on 127.0.0.1 and a free port, waits until it
 * listens, and returns it; its port in *port. Extra args may be NULL. */
LatticeTestProc *lattice_test_server_start    (const char *const *extra_args,
                                               guint              *port);
/* Starts lattice-peer with ARGS… LINK; returns at once. */
LatticeTestProc *lattice_test_peer_start      (const char        *name,
                                               const char        *link,
                                               const char *const *extra_args);

/* Iterates the main context until @check returns TRUE or @timeout_s pass. */
gboolean         lattice_test_wait            (gboolean  (*check) (gpointer data),
                                               gpointer    data,
                                               guint       timeout_s);
/* Runs the main context for @ms. */
void             lattice_test_run_for         (guint       ms);

/* Events the process printed so far (JsonObject, in order). */
GPtrArray       *lattice_test_proc_get_events (LatticeTestProc *proc);
/* The latest event named @event, or NULL. */
JsonObject      *lattice_test_proc_last_event (LatticeTestProc *proc,
                                               const char      *event);
/* Whether an event @event has a string member @member equal to @value
 * (@member NULL: any such event). */
gboolean         lattice_test_proc_has_event  (LatticeTestProc *proc,
                                               const char      *event,
                                               const char      *member,
                                               const char      *value);
/* The participant id from the "joined" event, or NULL. */
const char      *lattice_test_proc_get_id     (LatticeTestProc *proc);
/* Decoded video frames from @from in the latest "stats" event (-1: none). */
gint64           lattice_test_proc_video_frames (LatticeTestProc *proc,
                                                 const char      *from);
const char      *lattice_test_proc_get_name   (LatticeTestProc *proc);
/* Everything the process wrote to stderr so far. */
const char      *lattice_test_proc_get_stderr (LatticeTestProc *proc);

void             lattice_test_proc_signal     (LatticeTestProc *proc,
                                               int              signum);
/* Waits for the exit (killing it after @timeout_s); returns the exit
 * status, or -signal when it was killed by a signal. */
int              lattice_test_proc_wait_exit  (LatticeTestProc *proc,
                                               guint            timeout_s);
gboolean         lattice_test_proc_exited     (LatticeTestProc *proc);
void             lattice_test_proc_free       (LatticeTestProc *proc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LatticeTestProc, lattice_test_proc_free)

G_END_DECLS
