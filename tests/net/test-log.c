/* test-log.c: G_MESSAGES_DEBUG patterns and where logs go
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "lattice-log.h"

/* The child sets G_MESSAGES_DEBUG, as a user would before starting a program,
 * and logs from a few domains; the parent reads what reached stderr. */
static void
log_as (const char *setting)
{
  g_setenv ("G_MESSAGES_DEBUG", setting, TRUE);
  lattice_log_init ();
  g_log ("LatticeCall", G_LOG_LEVEL_DEBUG, "call debug");
  g_log ("LatticeMedia", G_LOG_LEVEL_INFO, "media info");
  g_log ("Gtk", G_LOG_LEVEL_DEBUG, "toolkit debug");
  g_log ("LatticeCall", G_LOG_LEVEL_MESSAGE, "call message");
}

static void
run_child (const char *test_path)
{
  g_test_trap_subprocess (test_path, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* stdout is lattice-peer's JSON lines: never a log line there. */
  g_test_trap_assert_stdout ("");
  g_test_trap_assert_stderr ("*call message*");
}

static void
test_glob (void)
{
  if (g_test_subprocess ())
    {
      log_as ("Lattice*");
      return;
    }
  run_child ("/log/glob");
  g_test_trap_assert_stderr ("*LatticeCall-DEBUG*call debug*");
  g_test_trap_assert_stderr ("*LatticeMedia-INFO*media info*");
  g_test_trap_assert_stderr_unmatched ("*toolkit debug*");
}

static void
test_exact_names (void)
{
  if (g_test_subprocess ())
    {
      log_as ("LatticeMedia Gtk");
      return;
    }
  run_child ("/log/exact-names");
  g_test_trap_assert_stderr ("*media info*");
  g_test_trap_assert_stderr ("*toolkit debug*");
  g_test_trap_assert_stderr_unmatched ("*call debug*");
}

static void
test_unset (void)
{
  if (g_test_subprocess ())
    {
      g_unsetenv ("G_MESSAGES_DEBUG");
      lattice_log_init ();
      g_log ("LatticeCall", G_LOG_LEVEL_DEBUG, "call debug");
      g_log ("LatticeCall", G_LOG_LEVEL_MESSAGE, "call message");
      return;
    }
  run_child ("/log/unset");
  g_test_trap_assert_stderr_unmatched ("*call debug*");
}

static void
test_all (void)
{
  if (g_test_subprocess ())
    {
      log_as ("all");
      return;
    }
  run_child ("/log/all");
  g_test_trap_assert_stderr ("*call debug*");
  g_test_trap_assert_stderr ("*toolkit debug*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/log/glob", test_glob);
  g_test_add_func ("/log/exact-names", test_exact_names);
  g_test_add_func ("/log/unset", test_unset);
  g_test_add_func ("/log/all", test_all);
  return g_test_run ();
}
