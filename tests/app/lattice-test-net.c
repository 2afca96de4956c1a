/* lattice-test-net.c: network namespaces for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lattice-test-net.h"

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
