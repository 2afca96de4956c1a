/* lattice-test-net.c: network namespaces for tests, and an impaired network of them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The impaired network, for n hosts:
 *
 *   host 0 (10.214.0.1) eth0 ──veth── p0 ┐
 *   host 1 (10.214.0.2) eth0 ──veth── p1 ├ lattice-netem, in namespace "sw"
 *   …                                    │
 *   host n-1            eth0 ──veth── pn-1┘
 *
 * The switch does the loss, delay, jitter and blackouts, per port and
 * direction. Rate caps are tbf qdiscs: on the host's eth0 for its uplink,
 * on its port for its downlink (the switch's AF_PACKET writes go through
 * that qdisc like anything else sent there).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lattice-test-net.h"
#include "lattice-test-proc.h"

#define SUBNET           "10.214.0"  /* test-netns.c has 10.213.x */
#define HOSTS_MAX        250
#define DEFAULT_QUEUE_MS 200
#define FRAME_BYTES      1514

/* Namespaces */

gboolean
lattice_test_net_run_argv (const char *const *argv,
                           GError           **error)
{
  g_autofree char *err = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "%s %s: %s: ", argv[0], argv[1], g_strstrip (err));
      return FALSE;
    }
  return TRUE;
}

void
lattice_test_net_ip (const char *first,
                     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) "ip");
  va_start (args, first);
  for (arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  lattice_test_net_run_argv ((const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
}

void
lattice_test_net_ns_sysctl (const char *ns,
                            const char *key,
                            const char *value)
{
  g_autofree char *script = g_strdup_printf ("echo %s > /proc/sys/%s", value, key);
  g_autoptr(GError) error = NULL;

  lattice_test_net_run_argv ((const char *const[]) { "ip", "netns", "exec", ns, "sh", "-c", script, NULL },
                             &error);
  g_assert_no_error (error);
}

/* Namespaces left by runs that died before their guard could act (it
 * cannot when the whole machine stops): "lattice-PID-x" of a dead PID. */
void
lattice_test_net_delete_stale_namespaces (void)
{
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_spawn_command_line_sync ("ip netns list", &out, NULL, NULL, NULL) || out == NULL)
    return;
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit (lines[i], " ", 2);
      const char *digits;
      char *end = NULL;
      guint64 pid;

      if (words[0] == NULL || !g_str_has_prefix (words[0], "lattice-"))
        continue;
      digits = words[0] + strlen ("lattice-");
      pid = g_ascii_strtoull (digits, &end, 10);
      if (end == digits || *end != '-' || pid == 0 || pid > G_MAXINT)
        continue;
      if (kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
        continue;
      g_test_message ("deleting the stale namespace %s", words[0]);
      lattice_test_net_run_argv ((const char *const[]) { "ip", "netns", "delete", words[0], NULL }, NULL);
    }
}

static void
new_session (gpointer user_data)
{
  setsid ();
}

/* A shell that waits for this process to die (its stdin closes then,
 * however it dies) and deletes the namespaces: in its own session, so
 * that a test runner killing the group does not take it along. */
GSubprocess *
lattice_test_net_start_guard (const char *const *namespaces)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autoptr(GString) script = g_string_new ("cat >/dev/null; ");
  g_autoptr(GError) error = NULL;
  GSubprocess *guard;

  for (guint i = 0; namespaces[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (namespaces[i]);

      g_string_append_printf (script, "ip netns delete %s 2>/dev/null; ", quoted);
    }
  g_string_append (script, "exit 0");
  g_subprocess_launcher_set_child_setup (launcher, new_session, NULL, NULL);
  guard = g_subprocess_launcher_spawn (launcher, &error, "sh", "-c", script->str, NULL);
  g_assert_no_error (error);
  return guard;
}

void
lattice_test_net_stop_guard (GSubprocess *guard)
{
  g_autoptr(GError) error = NULL;

  /* the guard deletes them as soon as its stdin closes */
  g_output_stream_close (g_subprocess_get_stdin_pipe (guard), NULL, NULL);
  g_subprocess_wait (guard, NULL, &error);
  g_assert_no_error (error);
}

gboolean
lattice_test_net_can_make_namespaces (char **why)
{
  g_autofree char *probe = g_strdup_printf ("lattice-%d-probe", (int) getpid ());
  g_autofree char *ip = g_find_program_in_path ("ip");
  g_autoptr(GError) error = NULL;

  if (ip == NULL)
    {
      *why = g_strdup ("iproute2's ip is not installed");
      return FALSE;
    }
  if (!lattice_test_net_run_argv ((const char *const[]) { "ip", "netns", "add", probe, NULL }, &error))
    {
      *why = g_strdup_printf ("cannot create a network namespace (%s)", error->message);
      return FALSE;
    }
  lattice_test_net_run_argv ((const char *const[]) { "ip", "netns", "delete", probe, NULL }, NULL);
  return TRUE;
}

void
lattice_test_net_add_namespace (const char *ns)
{
  lattice_test_net_ip ("netns", "add", ns, NULL);
  lattice_test_net_ip ("-n", ns, "link", "set", "lo", "up", NULL);
  /* IPv4 only: no link-local IPv6 candidates beside the routed ones */
  lattice_test_net_ns_sysctl (ns, "net/ipv6/conf/all/disable_ipv6", "1");
  lattice_test_net_ns_sysctl (ns, "net/ipv6/conf/default/disable_ipv6", "1");
}

gboolean
lattice_test_net_link_is_up (const char *ns,
                             const char *ifname)
{
  g_autofree char *out = NULL;
  const char *argv[] = { "ip", "-n", ns, "link", "show", ifname, NULL };

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &out, NULL, NULL, NULL) || out == NULL)
    return FALSE;
  return strstr (out, "state UP") != NULL && strstr (out, "NO-CARRIER") == NULL;
}

/* A veth gets its carrier a moment after it is set up; libnice gathers no
 * candidate on an interface without one. */
void
lattice_test_net_wait_link_up (const char *ns,
                               const char *ifname)
{
  guint tries = 0;

  while (!lattice_test_net_link_is_up (ns, ifname) && tries++ < 100)
    g_usleep (50 * 1000);
  g_assert_true (lattice_test_net_link_is_up (ns, ifname));
}

char *
lattice_test_net_helper (const char *name)
{
  const char *builddir = g_getenv ("LATTICE_BUILDDIR");

  g_assert_nonnull (builddir);
  return g_build_filename (builddir, "tests", "app", name, NULL);
}

/* The impaired network */

struct _LatticeTestNet
{
  guint             n_hosts;
  char             *switch_ns;
  char            **host_ns;    /* n_hosts of each */
  char            **addresses;
  char            **ports;      /* in switch_ns */
  gboolean         *up_capped;  /* whether a tbf is there to delete */
  gboolean         *down_capped;
  GSubprocess      *guard;
  LatticeTestProc  *netem;
};

/* Host i's hardware address, so that every host can know it beforehand:
 * locally administered, "LT". */
static char *
host_mac (guint i)
{
  return g_strdup_printf ("02:4c:54:00:%02x:%02x", (i + 1) >> 8, (i + 1) & 0xff);
}

typedef struct {
  LatticeTestProc *proc;
  guint            from;  /* events before this index are older answers */
} AnswerCheck;

static JsonObject *
find_answer (AnswerCheck *check)
{
  GPtrArray *events = lattice_test_proc_get_events (check->proc);

  for (guint i = check->from; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);
      const char *name = json_object_get_string_member_with_default (event, "event", "");

      if (g_str_equal (name, "ok") || g_str_equal (name, "error") || g_str_equal (name, "stats") ||
          g_str_equal (name, "ready"))
        return event;
    }
  return NULL;
}

static gboolean
has_answer (gpointer data)
{
  AnswerCheck *check = data;

  return find_answer (check) != NULL || lattice_test_proc_exited (check->proc);
}

/* Waits for the switch's next answer after the first @from events. */
static JsonObject *
wait_answer (LatticeTestNet *net,
             guint           from)
{
  AnswerCheck check = { net->netem, from };
  JsonObject *answer;

  lattice_test_wait (has_answer, &check, 30);
  if (find_answer (&check) == NULL && lattice_test_proc_exited (net->netem))
    lattice_test_run_for (100);  /* its last lines may still be in the pipe */
  answer = find_answer (&check);
  if (answer == NULL)
    g_error ("lattice-netem did not answer (%s); its stderr:\n%s",
             lattice_test_proc_exited (net->netem) ? "it exited" : "timed out",
             lattice_test_proc_get_stderr (net->netem));
  return answer;
}

static JsonObject *
switch_command (LatticeTestNet *net,
                const char     *line)
{
  guint from = lattice_test_proc_get_events (net->netem)->len;
  JsonObject *answer;

  lattice_test_proc_write_line (net->netem, line);
  answer = wait_answer (net, from);
  if (g_str_equal (json_object_get_string_member (answer, "event"), "error"))
    g_error ("lattice-netem: %s: %s", line,
             json_object_get_string_member_with_default (answer, "message", ""));
  return answer;
}

static void
start_switch (LatticeTestNet *net)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  const char *seed = g_getenv ("LATTICE_TEST_NET_SEED");
  JsonObject *answer;

  g_ptr_array_add (argv, g_strdup ("ip"));
  g_ptr_array_add (argv, g_strdup ("netns"));
  g_ptr_array_add (argv, g_strdup ("exec"));
  g_ptr_array_add (argv, g_strdup (net->switch_ns));
  g_ptr_array_add (argv, lattice_test_net_helper ("lattice-netem"));
  g_ptr_array_add (argv, g_strdup ("--seed"));
  g_ptr_array_add (argv, g_strdup (seed != NULL ? seed : "1"));
  for (guint i = 0; i < net->n_hosts; i++)
    g_ptr_array_add (argv, g_strdup (net->ports[i]));
  g_ptr_array_add (argv, NULL);
  g_test_message ("switch seed %s (LATTICE_TEST_NET_SEED)", seed != NULL ? seed : "1");
  net->netem = lattice_test_proc_start_with_stdin ("netem", (const char *const *) argv->pdata);
  answer = wait_answer (net, 0);
  if (!g_str_equal (json_object_get_string_member (answer, "event"), "ready"))
    g_error ("lattice-netem did not start: %s",
             json_object_get_string_member_with_default (answer, "message", ""));
}

LatticeTestNet *
lattice_test_net_new (guint   n_hosts,
                      char  **skip_reason)
{
  static guint counter;
  g_autofree char *prefix = g_strdup_printf ("lattice-%d-%u", (int) getpid (), counter++);
  g_autofree char *tc = g_find_program_in_path ("tc");
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree char *netem = NULL;
  LatticeTestNet *net;

  g_return_val_if_fail (n_hosts > 0 && n_hosts <= HOSTS_MAX, NULL);
  if (!lattice_test_net_can_make_namespaces (skip_reason))
    return NULL;
  if (tc == NULL)
    {
      *skip_reason = g_strdup ("iproute2's tc is not installed");
      return NULL;
    }
  netem = lattice_test_net_helper ("lattice-netem");
  g_assert_true (g_file_test (netem, G_FILE_TEST_IS_EXECUTABLE));

  net = g_new0 (LatticeTestNet, 1);
  net->n_hosts = n_hosts;
  net->switch_ns = g_strdup_printf ("%s-sw", prefix);
  net->host_ns = g_new0 (char *, n_hosts + 1);
  net->addresses = g_new0 (char *, n_hosts + 1);
  net->ports = g_new0 (char *, n_hosts + 1);
  net->up_capped = g_new0 (gboolean, n_hosts);
  net->down_capped = g_new0 (gboolean, n_hosts);
  for (guint i = 0; i < n_hosts; i++)
    {
      net->host_ns[i] = g_strdup_printf ("%s-h%u", prefix, i);
      net->addresses[i] = g_strdup_printf (SUBNET ".%u", i + 1);
      net->ports[i] = g_strdup_printf ("p%u", i);
      g_ptr_array_add (names, net->host_ns[i]);
    }
  g_ptr_array_add (names, net->switch_ns);
  g_ptr_array_add (names, NULL);

  lattice_test_net_delete_stale_namespaces ();
  net->guard = lattice_test_net_start_guard ((const char *const *) names->pdata);

  lattice_test_net_add_namespace (net->switch_ns);
  for (guint i = 0; i < n_hosts; i++)
    {
      g_autofree char *cidr = g_strdup_printf ("%s/24", net->addresses[i]);
      g_autofree char *mac = host_mac (i);
      g_autoptr(GError) error = NULL;

      lattice_test_net_add_namespace (net->host_ns[i]);
      /* made in the switch's namespace, so no name is ever taken in the
       * host's */
      lattice_test_net_ip ("-n", net->switch_ns, "link", "add", net->ports[i], "type", "veth",
                           "peer", "name", "eth0", "address", mac, "netns", net->host_ns[i], NULL);
      lattice_test_net_ip ("-n", net->host_ns[i], "addr", "add", cidr, "dev", "eth0", NULL);
      lattice_test_net_ip ("-n", net->host_ns[i], "link", "set", "eth0", "up", NULL);
      lattice_test_net_ip ("-n", net->switch_ns, "link", "set", net->ports[i], "up", NULL);
      /* full checksums and wire-sized frames from the host (lattice-netem.c
       * says why); the switch does the same on its ports */
      lattice_test_net_run_argv ((const char *const[]) { "ip", "netns", "exec", net->host_ns[i], netem,
                                                         "--no-offload", "eth0", NULL }, &error);
      g_assert_no_error (error);
    }
  for (guint i = 0; i < n_hosts; i++)
    for (guint j = 0; j < n_hosts; j++)
      if (j != i)
        {
          g_autofree char *mac = host_mac (j);

          lattice_test_net_ip ("-n", net->host_ns[i], "neigh", "replace", net->addresses[j],
                               "lladdr", mac, "dev", "eth0", "nud", "permanent", NULL);
        }
  for (guint i = 0; i < n_hosts; i++)
    {
      lattice_test_net_wait_link_up (net->host_ns[i], "eth0");
      lattice_test_net_wait_link_up (net->switch_ns, net->ports[i]);
    }
  start_switch (net);
  return net;
}

const char *
lattice_test_net_host_ns (LatticeTestNet *net,
                          guint           i)
{
  g_assert_cmpuint (i, <, net->n_hosts);
  return net->host_ns[i];
}

const char *
lattice_test_net_host_address (LatticeTestNet *net,
                               guint           i)
{
  g_assert_cmpuint (i, <, net->n_hosts);
  return net->addresses[i];
}

const char *
lattice_test_net_switch_ns (LatticeTestNet *net)
{
  return net->switch_ns;
}

const char *
lattice_test_net_switch_port (LatticeTestNet *net,
                              guint           i)
{
  g_assert_cmpuint (i, <, net->n_hosts);
  return net->ports[i];
}

/* A tbf on @dev in @ns at @p's rate, or none. */
static void
set_cap (const char                  *ns,
         const char                  *dev,
         const LatticeTestLinkParams *p,
         gboolean                    *capped)
{
  g_autoptr(GError) error = NULL;

  if (p->rate_kbps > 0)
    {
      g_autofree char *rate = g_strdup_printf ("%ukbit", p->rate_kbps);
      /* the bucket holds two full frames at least (tbf sends nothing
       * larger than it) and 10 ms of the rate: the qdisc's timer cannot
       * refill a smaller one fast enough, and the cap would come out low */
      g_autofree char *burst = g_strdup_printf ("%u", MAX (2 * FRAME_BYTES, p->rate_kbps * 10 / 8));
      g_autofree char *latency = g_strdup_printf ("%ums", p->queue_ms > 0 ? p->queue_ms : DEFAULT_QUEUE_MS);

      lattice_test_net_run_argv ((const char *const[]) { "tc", "-n", ns, "qdisc", "replace", "dev", dev,
                                                         "root", "tbf", "rate", rate, "burst", burst,
                                                         "latency", latency, NULL }, &error);
      *capped = TRUE;
    }
  else if (*capped)
    {
      lattice_test_net_run_argv ((const char *const[]) { "tc", "-n", ns, "qdisc", "del", "dev", dev,
                                                         "root", NULL }, &error);
      *capped = FALSE;
    }
  g_assert_no_error (error);
}

static void
set_link (LatticeTestNet              *net,
          guint                        i,
          gboolean                     up,
          const LatticeTestLinkParams *p)
{
  static const LatticeTestLinkParams none = { 0 };
  char loss[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *command = NULL;

  g_assert_cmpuint (i, <, net->n_hosts);
  if (p == NULL)
    p = &none;
  g_assert_cmpfloat (p->loss_percent, >=, 0);
  g_assert_cmpfloat (p->loss_percent, <=, 100);
  if (up)
    set_cap (net->host_ns[i], "eth0", p, &net->up_capped[i]);
  else
    set_cap (net->switch_ns, net->ports[i], p, &net->down_capped[i]);
  command = g_strdup_printf ("set %s %s loss=%s delay=%u jitter=%u blackout=%d", net->ports[i],
                             up ? "up" : "down", g_ascii_dtostr (loss, sizeof loss, p->loss_percent),
                             p->delay_ms, p->jitter_ms, p->blackout ? 1 : 0);
  switch_command (net, command);
}

void
lattice_test_net_set_uplink (LatticeTestNet              *net,
                             guint                        i,
                             const LatticeTestLinkParams *p)
{
  set_link (net, i, TRUE, p);
}

void
lattice_test_net_set_downlink (LatticeTestNet              *net,
                               guint                        i,
                               const LatticeTestLinkParams *p)
{
  set_link (net, i, FALSE, p);
}

JsonObject *
lattice_test_net_switch_stats (LatticeTestNet *net)
{
  return switch_command (net, "stats");
}

void
lattice_test_net_free (LatticeTestNet *net)
{
  if (net == NULL)
    return;
  if (net->netem != NULL)
    {
      /* it exits when its stdin closes */
      lattice_test_proc_close_stdin (net->netem);
      if (lattice_test_proc_wait_exit (net->netem, 20) != 0)
        g_error ("lattice-netem did not exit cleanly; its stderr:\n%s",
                 lattice_test_proc_get_stderr (net->netem));
      lattice_test_proc_free (net->netem);
    }
  lattice_test_net_stop_guard (net->guard);
  g_object_unref (net->guard);
  g_free (net->switch_ns);
  g_strfreev (net->host_ns);
  g_strfreev (net->addresses);
  g_strfreev (net->ports);
  g_free (net->up_capped);
  g_free (net->down_capped);
  g_free (net);
}
