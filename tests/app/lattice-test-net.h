/* lattice-test-net.h: network namespaces for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Namespaces, for tests that build their own network (root only). Their
 * names start with "lattice-PID-", so that a later test deletes those of
 * a test that died before it could. */

/* Runs @argv (looked up in PATH), its stdout dropped; its stderr goes in
 * the error when it fails. */
gboolean     lattice_test_net_run_argv          (const char *const *argv,
                                                 GError           **error);
/* Runs "ip ARGS…"; the test fails if it does. */
void         lattice_test_net_ip                (const char *first,
                                                 ...) G_GNUC_NULL_TERMINATED;
/* Writes @value to /proc/sys/@key inside @ns. */
void         lattice_test_net_ns_sysctl         (const char *ns,
                                                 const char *key,
                                                 const char *value);
/* Whether namespaces can be made here at all; if not, why. */
gboolean     lattice_test_net_can_make_namespaces (char **why);
/* Deletes the namespaces of test processes that are gone. */
void         lattice_test_net_delete_stale_namespaces (void);
/* Adds @ns with lo up and IPv6 disabled. */
void         lattice_test_net_add_namespace     (const char *ns);
/* A process that deletes @namespaces (NULL-terminated) once this one dies,
 * however it dies, or when lattice_test_net_stop_guard() is called. */
GSubprocess *lattice_test_net_start_guard       (const char *const *namespaces);
/* Has the guard delete them now, and waits until it did. */
void         lattice_test_net_stop_guard        (GSubprocess *guard);
/* Whether @ifname in @ns is up and has a carrier. */
gboolean     lattice_test_net_link_is_up        (const char *ns,
                                                 const char *ifname);
/* Waits (5 s at most) for that; the test fails if it does not come. */
void         lattice_test_net_wait_link_up      (const char *ns,
                                                 const char *ifname);
/* Path of a test helper built here: LATTICE_BUILDDIR/tests/app/@name. */
char        *lattice_test_net_helper            (const char *name);

G_END_DECLS
