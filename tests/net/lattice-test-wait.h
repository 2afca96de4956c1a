/* lattice-test-wait.h: wait for a condition in tests, by iterating the main context
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

/* Generous: the suite runs under sanitizers and on busy machines. */
#define LATTICE_TEST_WAIT_TIMEOUT_S 30

static inline gboolean
lattice_test_set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the default main context until @cond holds or the timeout
 * passes, then asserts @cond; no sleeping, no timing asserts. */
#define wait_until(cond) G_STMT_START {                                        \
    gboolean timed_out_ = FALSE;                                               \
    GSource *timer_ = g_timeout_source_new_seconds (LATTICE_TEST_WAIT_TIMEOUT_S); \
    g_source_set_callback (timer_, lattice_test_set_flag, &timed_out_, NULL);  \
    g_source_attach (timer_, NULL);                                            \
    while (!(cond) && !timed_out_)                                             \
      g_main_context_iteration (NULL, TRUE);                                   \
    g_source_destroy (timer_);                                                 \
    g_source_unref (timer_);                                                   \
    g_assert_true (cond);                                                      \
  } G_STMT_END
