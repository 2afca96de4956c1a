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

/* Starts lattice-peer like lattice_test_peer_start() and waits (30 s at
 * most) until it joined; fails the test if it exits or times out first. */
LatticeTestProc *lattice_test_peer_join       (const char        *name,
                                               const char        *link,
                                               const char *const *extra_args);

/* The same, run inside network namespace @netns ("ip netns exec"; NULL:
 * this process's namespace). */
LatticeTestProc *lattice_test_server_start_in (const char        *netns,
                                               const char *const *extra_args,
                                               guint             *port);
LatticeTestProc *lattice_test_peer_start_in   (const char        *netns,
                                               const char        *name,
                                               const char        *link,
                                               const char *const *extra_args);
LatticeTestProc *lattice_test_peer_join_in    (const char        *netns,
                                               const char        *name,
                                               const char        *link,
                                               const char *const *extra_args);
/* Starts any program (@argv NULL-terminated, looked up in PATH); stdout
 * lines that are JSON objects become its events. */
LatticeTestProc *lattice_test_proc_start      (const char        *name,
                                               const char *const *argv);
/* The same, with a pipe to its stdin: lines for it go through
 * lattice_test_proc_write_line(); lattice_test_proc_close_stdin() gives
 * it end of file. (Its stdin closes too when the test dies.) */
LatticeTestProc *lattice_test_proc_start_with_stdin (const char        *name,
                                                     const char *const *argv);
/* Writes @line and a newline; fails the test if the process is gone. */
void             lattice_test_proc_write_line (LatticeTestProc *proc,
                                               const char      *line);
void             lattice_test_proc_close_stdin (LatticeTestProc *proc);
/* Starts a private session bus (dbus-daemon with no service directories,
 * so nothing is activated that would outlive the test), its config kept
 * as LATTICE_BUILDDIR/tests/@name.conf; its address in *address. NULL
 * when there is no dbus-daemon. It dies with the test. */
GSubprocess     *lattice_test_session_bus_start (const char  *name,
                                                 char       **address);
/* A port on 127.0.0.1 that is free for TCP and UDP right now. */
guint            lattice_test_free_port       (void);

/* The monotonic clock in ms: the clock of the events' "t". */
gint64           lattice_test_now_ms          (void);
gint64           lattice_test_event_time      (JsonObject *event);
/* The member of a "stats" event's "peers" about @id, or NULL. */
JsonObject      *lattice_test_stats_peer      (JsonObject *stats,
                                               const char *id);
/* Decoded video frames from @from in a "stats" event (-1: none). */
gint64           lattice_test_stats_video_frames (JsonObject *stats,
                                                  const char *from);

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
/* The first event @event at or after @since_ms (its "t") whose string
 * member @member is @value (@member NULL: any), or NULL. */
JsonObject      *lattice_test_proc_find_event (LatticeTestProc *proc,
                                               gint64           since_ms,
                                               const char      *event,
                                               const char      *member,
                                               const char      *value);
/* The participant id from the "joined" event, or NULL. */
const char      *lattice_test_proc_get_id     (LatticeTestProc *proc);
/* Waits until @proc joined its room; fails the test if it exits first
 * or after @timeout_s. */
void             lattice_test_proc_wait_joined (LatticeTestProc *proc,
                                                guint            timeout_s);
/* Decoded video frames from @from in the latest "stats" event (-1: none). */
gint64           lattice_test_proc_video_frames (LatticeTestProc *proc,
                                                 const char      *from);
const char      *lattice_test_proc_get_name   (LatticeTestProc *proc);
/* The process id (0 once it exited); "ip netns exec" execs in place. */
GPid             lattice_test_proc_get_pid    (LatticeTestProc *proc);
/* Everything the process wrote to stderr so far. */
const char      *lattice_test_proc_get_stderr (LatticeTestProc *proc);

void             lattice_test_proc_signal     (LatticeTestProc *proc,
                                               int              signum);
/* Waits for the exit (killing it after @timeout_s); returns the exit
 * status, or -signal when it was killed by a signal. */
int              lattice_test_proc_wait_exit  (LatticeTestProc *proc,
                                               guint            timeout_s);
gboolean         lattice_test_proc_exited     (LatticeTestProc *proc);
/* Fails the test if @proc logged a critical (children run without
 * fatal-criticals; one known GStreamer race is let through, see the .c).
 * lattice_test_proc_free() checks this too. */
void             lattice_test_proc_assert_no_criticals (LatticeTestProc *proc);
void             lattice_test_proc_free       (LatticeTestProc *proc);

/* Whether @proc printed a first-frame of @kind from @from at or after @since_ms. */
gboolean         lattice_test_proc_has_first_frame (LatticeTestProc *proc,
                                                    gint64           since_ms,
                                                    const char      *from,
                                                    const char      *kind);
/* Waits until each of @receivers decoded a first video and a first audio
 * frame from each of @senders (but itself) at or after @since_ms; fails
 * the test after @timeout_s. Both arrays hold LatticeTestProc. */
void             lattice_test_wait_media_flows (GPtrArray *receivers,
                                                GPtrArray *senders,
                                                gint64     since_ms,
                                                guint      timeout_s);
/* Waits for lattice_test_proc_find_event() to find one (fails the test
 * after @timeout_s) and returns its time. */
gint64           lattice_test_proc_wait_event (LatticeTestProc *proc,
                                               gint64           since_ms,
                                               const char      *event,
                                               const char      *member,
                                               const char      *value,
                                               guint            timeout_s);
/* Waits until @proc printed @n stats events at or after @since_ms. */
void             lattice_test_proc_wait_stats (LatticeTestProc *proc,
                                               gint64           since_ms,
                                               guint            n,
                                               guint            timeout_s);
/* The video frames @receiver decoded from @sender, in its stats events
 * over [@from_ms, @to_ms], never went down and rose over every 5 s.
 * Returns how many stats events it looked at. */
guint            lattice_test_assert_frames_rise (LatticeTestProc *receiver,
                                                  LatticeTestProc *sender,
                                                  gint64           from_ms,
                                                  gint64           to_ms);
/* SIGTERM: it leaves, exits with 0, with no warning nor critical. */
void             lattice_test_assert_clean_exit (LatticeTestProc *proc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LatticeTestProc, lattice_test_proc_free)

G_END_DECLS
