/* lattice-test-proc.c: run lattice-server and lattice-peer processes in tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each process's stdout is read line by line as JSON events, its stderr
 * kept whole, both asynchronously on the main context, so a test waits
 * for what a process said with lattice_test_wait().
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "lattice-test-proc.h"

struct _LatticeTestProc
{
  char             *name;
  GSubprocess      *process;
  GDataInputStream *out;
  GDataInputStream *err;
  GCancellable     *cancellable;
  GPtrArray        *events;
  GString          *stderr_text;
  char             *listening;  /* server: the "listening on" line */
  gboolean          exited;
  int               status;
};

char *
lattice_test_binary (const char *name)
{
  const char *builddir = g_getenv ("LATTICE_BUILDDIR");

  g_assert_nonnull (builddir);
  return g_build_filename (builddir, "app", name, NULL);
}

static void read_next_line (LatticeTestProc *self, GDataInputStream *stream);

/* Set only for the duration of a *_start_in() call. */
static const char *current_netns;

static void
handle_line (LatticeTestProc  *self,
             GDataInputStream *stream,
             const char       *line)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;

  if (stream == self->err)
    {
      g_string_append_printf (self->stderr_text, "%s\n", line);
      g_test_message ("[%s stderr] %s", self->name, line);
      return;
    }
  if (g_str_has_prefix (line, "lattice-server listening on "))
    {
      g_free (self->listening);
      self->listening = g_strdup (line);
      return;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, line, -1, &error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_test_message ("[%s] not JSON: %s", self->name, line);
      return;
    }
  if (!g_str_equal (json_object_get_string_member_with_default (
                      json_node_get_object (json_parser_get_root (parser)), "event", ""),
                    "stats"))
    g_test_message ("[%s] %s", self->name, line);
  g_ptr_array_add (self->events, json_object_ref (json_node_get_object (json_parser_get_root (parser))));
}

static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LatticeTestProc *self = user_data;
  GDataInputStream *stream = G_DATA_INPUT_STREAM (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (stream, result, NULL, &error);

  if (line == NULL)
    return;  /* end of stream, cancelled, or an error: the process is done */
  handle_line (self, stream, line);
  read_next_line (self, stream);
}

static void
read_next_line (LatticeTestProc  *self,
                GDataInputStream *stream)
{
  g_data_input_stream_read_line_async (stream, G_PRIORITY_DEFAULT, self->cancellable,
                                       on_line_read, self);
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  LatticeTestProc *self = user_data;
  GSubprocess *process = G_SUBPROCESS (source);

  if (!g_subprocess_wait_finish (process, result, NULL))
    return;
  self->exited = TRUE;
  if (g_subprocess_get_if_signaled (process))
    self->status = -g_subprocess_get_term_sig (process);
  else
    self->status = g_subprocess_get_exit_status (process);
}

/* A test that crashes or times out must not leave peers running. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static const char session_bus_config[] =
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
  "<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen>"
  "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
  "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n";

GSubprocess *
lattice_test_session_bus_start (const char  *name,
                                char       **address)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_strconcat (name, ".conf", NULL);
  g_autofree char *config = g_build_filename (g_getenv ("LATTICE_BUILDDIR"), "tests", file, NULL);
  g_autofree char *config_arg = g_strconcat ("--config-file=", config, NULL);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  GSubprocess *bus;

  g_assert_true (g_file_set_contents (config, session_bus_config, -1, NULL));
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  bus = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", config_arg, "--nofork",
                                     "--print-address=1", NULL);
  if (bus == NULL)
    return NULL;
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus));
  *address = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*address);
  return bus;
}

static LatticeTestProc *
proc_start_with_flags (const char       *name,
                       GPtrArray        *argv,
                       GSubprocessFlags  stdin_flags)
{
  /* the same process, run inside a network namespace: "ip netns exec"
   * execs it, so it keeps this test as its parent (and its death signal) */
  if (current_netns != NULL)
    {
      const char *prefix[] = { "ip", "netns", "exec", current_netns };

      for (guint i = 0; i < G_N_ELEMENTS (prefix); i++)
        g_ptr_array_insert (argv, i, g_strdup (prefix[i]));
    }

  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  LatticeTestProc *self = g_new0 (LatticeTestProc, 1);

  self->name = g_strdup (name);
  self->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->stderr_text = g_string_new (NULL);
  self->cancellable = g_cancellable_new ();

  g_ptr_array_add (argv, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                       stdin_flags);
  /* Criticals do not abort the child (one comes from a race inside
   * GStreamer 1.22, see known_critical()): lattice_test_proc_free() fails
   * the test on any other. Nor do warnings: the test's own G_DEBUG
   * (fatal-warnings) is not the children's. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  self->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);

  self->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  self->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (self->process));
  read_next_line (self, self->out);
  read_next_line (self, self->err);
  g_subprocess_wait_async (self->process, self->cancellable, on_exited, self);
  return self;
}

static LatticeTestProc *
proc_start (const char *name,
            GPtrArray  *argv)
{
  return proc_start_with_flags (name, argv, G_SUBPROCESS_FLAGS_NONE);
}

static void
add_args (GPtrArray         *argv,
          const char *const *args)
{
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
}

static gboolean
server_ready (gpointer data)
{
  LatticeTestProc *self = data;

  return self->listening != NULL || self->exited;
}

LatticeTestProc *
lattice_test_server_start (const char *const *extra_args,
                           guint              *port)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  LatticeTestProc *self;
  const char *colon;

  g_ptr_array_add (argv, lattice_test_binary ("lattice-server"));
  add_args (argv, (const char *const[]) { "--host", "127.0.0.1", "--port", "0", NULL });
  add_args (argv, extra_args);
  self = proc_start ("server", argv);
  g_assert_true (lattice_test_wait (server_ready, self, 30));
  g_assert_false (self->exited);
  /* "lattice-server listening on ws://127.0.0.1:PORT/ws" */
  colon = strrchr (self->listening, ':');
  g_assert_nonnull (colon);
  *port = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
  g_assert_cmpuint (*port, >, 0);
  return self;
}

LatticeTestProc *
lattice_test_server_start_in (const char        *netns,
                              const char *const *extra_args,
                              guint             *port)
{
  LatticeTestProc *self;

  current_netns = netns;
  self = lattice_test_server_start (extra_args, port);
  current_netns = NULL;
  return self;
}

LatticeTestProc *
lattice_test_peer_start_in (const char        *netns,
                            const char        *name,
                            const char        *link,
                            const char *const *extra_args)
{
  LatticeTestProc *self;

  current_netns = netns;
  self = lattice_test_peer_start (name, link, extra_args);
  current_netns = NULL;
  return self;
}

LatticeTestProc *
lattice_test_peer_join_in (const char        *netns,
                           const char        *name,
                           const char        *link,
                           const char *const *extra_args)
{
  LatticeTestProc *self = lattice_test_peer_start_in (netns, name, link, extra_args);

  lattice_test_proc_wait_joined (self, 30);
  return self;
}

LatticeTestProc *
lattice_test_proc_start (const char        *name,
                         const char *const *argv)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);

  add_args (args, argv);
  return proc_start (name, args);
}

LatticeTestProc *
lattice_test_proc_start_with_stdin (const char        *name,
                                    const char *const *argv)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);

  /* a write to a process that died fails with EPIPE, and the test says
   * so, rather than the test dying of SIGPIPE without a word */
  signal (SIGPIPE, SIG_IGN);
  add_args (args, argv);
  return proc_start_with_flags (name, args, G_SUBPROCESS_FLAGS_STDIN_PIPE);
}

void
lattice_test_proc_write_line (LatticeTestProc *self,
                              const char      *line)
{
  GOutputStream *in = g_subprocess_get_stdin_pipe (self->process);
  g_autofree char *text = g_strconcat (line, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (in);
  if (!g_output_stream_write_all (in, text, strlen (text), NULL, NULL, &error))
    g_error ("writing to %s: %s (its stderr:\n%s)", self->name, error->message, self->stderr_text->str);
}

void
lattice_test_proc_close_stdin (LatticeTestProc *self)
{
  GOutputStream *in = g_subprocess_get_stdin_pipe (self->process);

  g_assert_nonnull (in);
  g_output_stream_close (in, NULL, NULL);
}

guint
lattice_test_free_port (void)
{
  /* a TCP port whose UDP twin is free too (TURN listens on both) */
  for (guint attempt = 0; attempt < 20; attempt++)
    {
      g_autoptr(GSocket) tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
      g_autoptr(GSocket) udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                             G_SOCKET_PROTOCOL_UDP, NULL);
      g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
      g_autoptr(GSocketAddress) bound = NULL;
      g_autoptr(GSocketAddress) twin = NULL;
      guint port;

      g_assert_true (g_socket_bind (tcp, any, TRUE, NULL));
      bound = g_socket_get_local_address (tcp, NULL);
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      twin = g_inet_socket_address_new_from_string ("127.0.0.1", port);
      if (g_socket_bind (udp, twin, FALSE, NULL))
        return port;  /* both close here, and the port stays free for a moment */
    }
  g_assert_not_reached ();
}

gint64
lattice_test_now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

gint64
lattice_test_event_time (JsonObject *event)
{
  return json_object_get_int_member_with_default (event, "t", -1);
}

JsonObject *
lattice_test_stats_peer (JsonObject *stats,
                         const char *id)
{
  JsonArray *peers;

  if (stats == NULL || !json_object_has_member (stats, "peers"))
    return NULL;
  peers = json_object_get_array_member (stats, "peers");
  for (guint i = 0; i < json_array_get_length (peers); i++)
    {
      JsonObject *peer = json_array_get_object_element (peers, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (peer, "id", NULL), id) == 0)
        return peer;
    }
  return NULL;
}

gint64
lattice_test_stats_video_frames (JsonObject *stats,
                                 const char *from)
{
  JsonObject *peer = lattice_test_stats_peer (stats, from);

  if (peer == NULL)
    return -1;
  return json_object_get_int_member (json_object_get_object_member (peer, "video"), "frames");
}

JsonObject *
lattice_test_proc_find_event (LatticeTestProc *self,
                              gint64           since_ms,
                              const char      *event,
                              const char      *member,
                              const char      *value)
{
  for (guint i = 0; i < self->events->len; i++)
    {
      JsonObject *object = g_ptr_array_index (self->events, i);

      if (lattice_test_event_time (object) < since_ms ||
          g_strcmp0 (json_object_get_string_member_with_default (object, "event", NULL), event) != 0)
        continue;
      if (member == NULL ||
          g_strcmp0 (json_object_get_string_member_with_default (object, member, NULL), value) == 0)
        return object;
    }
  return NULL;
}

LatticeTestProc *
lattice_test_peer_start (const char        *name,
                         const char        *link,
                         const char *const *extra_args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, lattice_test_binary ("lattice-peer"));
  g_ptr_array_add (argv, g_strdup ("--name"));
  g_ptr_array_add (argv, g_strdup (name));
  add_args (argv, extra_args);
  g_ptr_array_add (argv, g_strdup (link));
  return proc_start (name, argv);
}

LatticeTestProc *
lattice_test_peer_join (const char        *name,
                        const char        *link,
                        const char *const *extra_args)
{
  return lattice_test_peer_join_in (NULL, name, link, extra_args);
}

static gboolean
on_deadline (gpointer data)
{
  gboolean *expired = data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
lattice_test_wait (gboolean (*check) (gpointer data),
                   gpointer   data,
                   guint      timeout_s)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (timeout_s, on_deadline, &expired);
  /* conditions on files or clocks change without any event: look again
   * every 50 ms */
  guint tick = g_timeout_add (50, on_tick, NULL);
  gboolean ok;

  while (!(ok = check (data)) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  g_source_remove (tick);
  return ok;
}

void
lattice_test_run_for (guint ms)
{
  gboolean expired = FALSE;

  g_timeout_add (ms, on_deadline, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

GPtrArray *
lattice_test_proc_get_events (LatticeTestProc *self)
{
  return self->events;
}

JsonObject *
lattice_test_proc_last_event (LatticeTestProc *self,
                              const char      *event)
{
  for (guint i = self->events->len; i > 0; i--)
    {
      JsonObject *object = g_ptr_array_index (self->events, i - 1);

      if (g_strcmp0 (json_object_get_string_member_with_default (object, "event", NULL), event) == 0)
        return object;
    }
  return NULL;
}

gboolean
lattice_test_proc_has_event (LatticeTestProc *self,
                             const char      *event,
                             const char      *member,
                             const char      *value)
{
  for (guint i = 0; i < self->events->len; i++)
    {
      JsonObject *object = g_ptr_array_index (self->events, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (object, "event", NULL), event) != 0)
        continue;
      if (member == NULL ||
          g_strcmp0 (json_object_get_string_member_with_default (object, member, NULL), value) == 0)
        return TRUE;
    }
  return FALSE;
}

const char *
lattice_test_proc_get_id (LatticeTestProc *self)
{
  JsonObject *joined = lattice_test_proc_last_event (self, "joined");

  return joined != NULL ? json_object_get_string_member_with_default (joined, "id", NULL) : NULL;
}

static gboolean
joined_or_exited (gpointer data)
{
  return lattice_test_proc_get_id (data) != NULL || lattice_test_proc_exited (data);
}

void
lattice_test_proc_wait_joined (LatticeTestProc *self,
                               guint            timeout_s)
{
  gboolean done = lattice_test_wait (joined_or_exited, self, timeout_s);

  if (lattice_test_proc_get_id (self) == NULL)
    g_test_message ("%s did not join (%s); its stderr:\n%s", lattice_test_proc_get_name (self),
                    done ? "it exited" : "timed out", lattice_test_proc_get_stderr (self));
  g_assert_nonnull (lattice_test_proc_get_id (self));
}

gint64
lattice_test_proc_video_frames (LatticeTestProc *self,
                                const char      *from)
{
  return lattice_test_stats_video_frames (lattice_test_proc_last_event (self, "stats"), from);
}

GPid
lattice_test_proc_get_pid (LatticeTestProc *self)
{
  const char *identifier = g_subprocess_get_identifier (self->process);

  return identifier != NULL ? (GPid) g_ascii_strtoll (identifier, NULL, 10) : 0;
}

const char *
lattice_test_proc_get_name (LatticeTestProc *self)
{
  return self->name;
}

const char *
lattice_test_proc_get_stderr (LatticeTestProc *self)
{
  return self->stderr_text->str;
}

void
lattice_test_proc_signal (LatticeTestProc *self,
                          int              signum)
{
  if (!self->exited)
    g_subprocess_send_signal (self->process, signum);
}

static gboolean
has_exited (gpointer data)
{
  return ((LatticeTestProc *) data)->exited;
}

int
lattice_test_proc_wait_exit (LatticeTestProc *self,
                             guint            timeout_s)
{
  if (!lattice_test_wait (has_exited, self, timeout_s))
    {
      g_test_message ("%s did not exit in %u s: killing it", self->name, timeout_s);
      g_subprocess_force_exit (self->process);
      lattice_test_wait (has_exited, self, 10);
    }
  /* let the pipes drain so the last lines are read */
  lattice_test_run_for (50);
  return self->status;
}

gboolean
lattice_test_proc_exited (LatticeTestProc *self)
{
  return self->exited;
}

/* A race inside GStreamer before 1.29.1 (gst-plugins-good, "rtpsource: Add
 * locking for receive reports table", MR 10683): webrtcbin reads a
 * source's table of receiver reports from rtpsession's RTCP thread while
 * the receiving thread adds the first report of a new reporter, and GLib
 * says so. Lattice itself never calls g_hash_table_foreach(), so this line
 * in a child's stderr names that race. Seen once in about a hundred
 * three-party joins, just after the first frames. */
static gboolean
known_critical (const char *line)
{
  return strstr (line, "g_hash_table_foreach: assertion 'version == hash_table->version' failed") != NULL;
}

void
lattice_test_proc_assert_no_criticals (LatticeTestProc *self)
{
  g_auto(GStrv) lines = g_strsplit (self->stderr_text->str, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (strstr (lines[i], "-CRITICAL **") == NULL)
        continue;
      if (known_critical (lines[i]))
        {
          g_test_message ("%s: known GStreamer 1.22 race, not Lattice's: %s", self->name, lines[i]);
          continue;
        }
      g_error ("%s logged a critical: %s", self->name, lines[i]);
    }
}

void
lattice_test_proc_free (LatticeTestProc *self)
{
  if (!self->exited)
    {
      g_subprocess_force_exit (self->process);
      lattice_test_wait (has_exited, self, 10);
    }
  /* let the pipes drain so the last lines are read */
  lattice_test_run_for (50);
  lattice_test_proc_assert_no_criticals (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->out);
  g_clear_object (&self->err);
  g_clear_object (&self->process);
  g_ptr_array_unref (self->events);
  g_string_free (self->stderr_text, TRUE);
  g_free (self->listening);
  g_free (self->name);
  g_free (self);
}

/* Assertions shared by the integration tests */

gboolean
lattice_test_proc_has_first_frame (LatticeTestProc *receiver,
                 gint64           since_ms,
                 const char      *from,
                 const char      *kind)
{
  GPtrArray *events = lattice_test_proc_get_events (receiver);

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      if (lattice_test_event_time (event) >= since_ms &&
          g_strcmp0 (json_object_get_string_member_with_default (event, "event", NULL), "first-frame") == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (event, "from", NULL), from) == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (event, "kind", NULL), kind) == 0)
        return TRUE;
    }
  return FALSE;
}

typedef struct {
  GPtrArray *receivers;
  GPtrArray *senders;
  gint64     since_ms;
} MediaFlows;

static gboolean
media_flows (gpointer data)
{
  MediaFlows *check = data;

  for (guint r = 0; r < check->receivers->len; r++)
    for (guint s = 0; s < check->senders->len; s++)
      {
        LatticeTestProc *receiver = g_ptr_array_index (check->receivers, r);
        LatticeTestProc *sender = g_ptr_array_index (check->senders, s);
        const char *from = lattice_test_proc_get_id (sender);

        if (receiver == sender)
          continue;
        if (from == NULL ||
            !lattice_test_proc_has_first_frame (receiver, check->since_ms, from, "video") ||
            !lattice_test_proc_has_first_frame (receiver, check->since_ms, from, "audio"))
          return FALSE;
      }
  return TRUE;
}

void
lattice_test_wait_media_flows (GPtrArray *receivers,
                               GPtrArray *senders,
                               gint64     since_ms,
                               guint      timeout_s)
{
  MediaFlows check = { receivers, senders, since_ms };

  g_assert_true (lattice_test_wait (media_flows, &check, timeout_s));
}

typedef struct {
  LatticeTestProc *proc;
  gint64           since_ms;
  const char      *event;
  const char      *member;
  const char      *value;
} EventCheck;

static gboolean
saw_event (gpointer data)
{
  EventCheck *check = data;

  return lattice_test_proc_find_event (check->proc, check->since_ms, check->event,
                                       check->member, check->value) != NULL;
}

gint64
lattice_test_proc_wait_event (LatticeTestProc *proc,
            gint64           since_ms,
            const char      *event,
            const char      *member,
            const char      *value,
            guint            timeout_s)
{
  EventCheck check = { proc, since_ms, event, member, value };

  if (!lattice_test_wait (saw_event, &check, timeout_s))
    g_error ("%s printed no %s %s=%s in %u s", lattice_test_proc_get_name (proc),
             event, member ? member : "", value ? value : "", timeout_s);
  return lattice_test_event_time (lattice_test_proc_find_event (proc, since_ms, event, member, value));
}

typedef struct {
  LatticeTestProc *proc;
  gint64           since_ms;
  guint            n;
} StatsCheck;

static guint
count_stats (LatticeTestProc *proc,
             gint64           since_ms)
{
  GPtrArray *events = lattice_test_proc_get_events (proc);
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      if (lattice_test_event_time (event) >= since_ms &&
          g_strcmp0 (json_object_get_string_member_with_default (event, "event", NULL), "stats") == 0)
        n++;
    }
  return n;
}

static gboolean
has_stats (gpointer data)
{
  StatsCheck *check = data;

  return count_stats (check->proc, check->since_ms) >= check->n;
}

void
lattice_test_proc_wait_stats (LatticeTestProc *proc,
                              gint64           since_ms,
                              guint            n,
                              guint            timeout_s)
{
  StatsCheck check = { proc, since_ms, n };

  if (!lattice_test_wait (has_stats, &check, timeout_s))
    g_error ("%s printed fewer than %u stats in %u s", lattice_test_proc_get_name (proc), n, timeout_s);
}

guint
lattice_test_assert_frames_rise (LatticeTestProc *receiver,
                    LatticeTestProc *sender,
                    gint64           from_ms,
                    gint64           to_ms)
{
  GPtrArray *events = lattice_test_proc_get_events (receiver);
  const char *id = lattice_test_proc_get_id (sender);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) frames = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);
      gint64 t = lattice_test_event_time (event);
      gint64 n;

      if (t < from_ms || t > to_ms ||
          g_strcmp0 (json_object_get_string_member_with_default (event, "event", NULL), "stats") != 0)
        continue;
      n = lattice_test_stats_video_frames (event, id);
      g_assert_cmpint (n, >=, 0);
      if (frames->len > 0)
        g_assert_cmpint (n, >=, g_array_index (frames, gint64, frames->len - 1));
      g_array_append_val (times, t);
      g_array_append_val (frames, n);
    }
  for (guint i = 0; i < times->len; i++)
    for (guint j = i + 1; j < times->len; j++)
      /* 5 s: a loaded machine may starve a process for a second or two */
      if (g_array_index (times, gint64, j) - g_array_index (times, gint64, i) >= 5000)
        {
          if (g_array_index (frames, gint64, j) <= g_array_index (frames, gint64, i))
            g_error ("%s got no video from %s between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                     lattice_test_proc_get_name (receiver), lattice_test_proc_get_name (sender),
                     g_array_index (times, gint64, i), g_array_index (times, gint64, j));
          break;
        }
  return times->len;
}

void
lattice_test_assert_clean_exit (LatticeTestProc *proc)
{
  lattice_test_proc_signal (proc, SIGTERM);
  g_assert_cmpint (lattice_test_proc_wait_exit (proc, 20), ==, 0);
  g_assert_true (lattice_test_proc_has_event (proc, "left", NULL, NULL));
  g_assert_null (strstr (lattice_test_proc_get_stderr (proc), "-CRITICAL **"));
  g_assert_null (strstr (lattice_test_proc_get_stderr (proc), "-WARNING **"));
}
