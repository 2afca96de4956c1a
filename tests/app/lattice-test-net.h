/* lattice-test-net.h: network namespaces for tests, and an impaired network of them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

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

/* An impaired network: n hosts, each in a namespace of its own with eth0
 * on one switched 10.214.0.0/24, host i at 10.214.0.(i + 1). The switch
 * (lattice-netem, in a namespace of its own) impairs each host's uplink
 * (what it sends) and downlink (what it receives) apart: what goes from
 * host A to host B has A's uplink impairment, then B's downlink one. The
 * hosts know each other's hardware addresses from the start (permanent
 * neighbour entries), so no ARP exchange is lost and no datagram waits
 * for one: an impairment applies to what the test sends, and only that.
 * A jitter keeps the order, so datagrams closer together than it get
 * delays that lean to the top of delay_ms ± jitter_ms. */

typedef struct {
  double   loss_percent;  /* random loss, 0–100 */
  guint    delay_ms;      /* one way */
  guint    jitter_ms;     /* ± uniform around delay_ms; order is kept */
  guint    rate_kbps;     /* 0: no cap; else a tbf qdisc */
  guint    queue_ms;      /* the tbf queue limit ("latency") when capped; 0: 200 */
  gboolean blackout;      /* drop everything */
} LatticeTestLinkParams;

typedef struct _LatticeTestNet LatticeTestNet;

/* NULL, and why in *@skip_reason, when namespaces cannot be made here
 * (not root, no ip, no tc…): the test then exits with 77. Any later
 * failure fails the test. The switch's random losses and delays are
 * seeded with LATTICE_TEST_NET_SEED (default 1). */
LatticeTestNet *lattice_test_net_new             (guint   n_hosts,
                                                  char  **skip_reason);
/* The namespace's name, for "ip netns exec" and lattice_test_*_in(). */
const char     *lattice_test_net_host_ns         (LatticeTestNet *net,
                                                  guint           i);
/* Its IPv4 address, without the /24. */
const char     *lattice_test_net_host_address    (LatticeTestNet *net,
                                                  guint           i);
/* In force when they return (@p NULL: no impairment). */
void            lattice_test_net_set_uplink      (LatticeTestNet              *net,
                                                  guint                        i,
                                                  const LatticeTestLinkParams *p);
void            lattice_test_net_set_downlink    (LatticeTestNet              *net,
                                                  guint                        i,
                                                  const LatticeTestLinkParams *p);
/* The switch's namespace, and the name there of host i's port. */
const char     *lattice_test_net_switch_ns       (LatticeTestNet *net);
const char     *lattice_test_net_switch_port     (LatticeTestNet *net,
                                                  guint           i);
/* The switch's counters now: its "stats" answer (lattice-netem.c),
 * valid until @net is freed. */
JsonObject     *lattice_test_net_switch_stats    (LatticeTestNet *net);
/* Stops the switch (the test fails if it did not exit cleanly) and
 * deletes every namespace. */
void            lattice_test_net_free            (LatticeTestNet *net);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LatticeTestNet, lattice_test_net_free)

G_END_DECLS
