/* test-netem.c: the emulated network does what it is told, measured
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Three hosts on lattice-test-net.c's switch; lattice-probe sends
 * timestamped datagrams from one to another and reports what arrived,
 * when and in which order, while the switch's own counters say what it
 * dropped. Loss, delay and jitter, blackouts and rate caps are each
 * checked against what they promise; then the switch's CPU at 10 Mbit/s,
 * and that odd frames do not hurt it. Bounds are statistical or generous
 * where a loaded machine may add to a delay, never where it could hide a
 * bug: nothing may arrive before its delay, out of order, or through a
 * blackout. Needs root and iproute2 (exit status 77 without them).
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "lattice-test-net.h"
#include "lattice-test-proc.h"

#define N_HOSTS    3
#define PROBE_PORT "5000"
#define A          0
#define B          1
#define C          2
/* what a loaded machine may add to a delay, the switch or the receiver
 * woken late: to nearly all of them, and to the worst one (a process
 * stalled for a moment) */
#define SLACK_US   (10 * 1000)
#define STALL_US   (100 * 1000)

static LatticeTestNet *net;
static LatticeTestProc *receivers[N_HOSTS];

typedef struct {
  guint64 sent;
  guint64 received;
  guint64 reordered;
  guint64 duplicates;
  guint64 bytes;
  gint64  first_us, last_us;  /* arrivals */
  gint64  min_us, p50_us, p99_us, max_us;  /* one-way delays */
} Measure;

/* Events */

typedef struct {
  LatticeTestProc *proc;
  guint            from;  /* the index of the first event to look at */
  const char      *event;
} NewEvent;

static JsonObject *
find_new_event (NewEvent *check)
{
  GPtrArray *events = lattice_test_proc_get_events (check->proc);

  for (guint i = check->from; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "event", NULL), check->event) == 0)
        return event;
    }
  return NULL;
}

static gboolean
new_event_or_exit (gpointer data)
{
  NewEvent *check = data;

  return find_new_event (check) != NULL || lattice_test_proc_exited (check->proc);
}

/* Waits for an event @event among those @proc prints after its first
 * @from; fails the test if none comes. */
static JsonObject *
wait_new_event (LatticeTestProc *proc,
                guint            from,
                const char      *event,
                guint            timeout_s)
{
  NewEvent check = { proc, from, event };
  JsonObject *found;

  lattice_test_wait (new_event_or_exit, &check, timeout_s);
  found = find_new_event (&check);
  if (found == NULL)
    g_error ("%s printed no %s; its stderr:\n%s", lattice_test_proc_get_name (proc), event,
             lattice_test_proc_get_stderr (proc));
  return found;
}

static guint
n_events (LatticeTestProc *proc)
{
  return lattice_test_proc_get_events (proc)->len;
}

/* Probes */

static LatticeTestProc *
start_probe (guint              host,
             const char        *name,
             gboolean           with_stdin,
             const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup ("ip"));
  g_ptr_array_add (argv, g_strdup ("netns"));
  g_ptr_array_add (argv, g_strdup ("exec"));
  g_ptr_array_add (argv, g_strdup (lattice_test_net_host_ns (net, host)));
  g_ptr_array_add (argv, lattice_test_net_helper ("lattice-probe"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  if (with_stdin)
    return lattice_test_proc_start_with_stdin (name, (const char *const *) argv->pdata);
  return lattice_test_proc_start (name, (const char *const *) argv->pdata);
}

static LatticeTestProc *
receiver (guint host)
{
  if (receivers[host] == NULL)
    {
      g_autofree char *name = g_strdup_printf ("recv-%c", 'a' + host);

      receivers[host] = start_probe (host, name, TRUE, (const char *const[]) { "--recv", PROBE_PORT, NULL });
      wait_new_event (receivers[host], 0, "ready", 30);
    }
  return receivers[host];
}

static gint64
member_int (JsonObject *object,
            const char *member)
{
  g_assert_true (json_object_has_member (object, member));
  return json_object_get_int_member (object, member);
}

/* Sends @count datagrams of @size bytes from host @from to host @to, one
 * every @interval_us, waits @drain_ms for the last ones (a delay, a queue)
 * and tells what arrived. */
static void
probe (guint    from,
       guint    to,
       guint    count,
       guint    interval_us,
       guint    size,
       guint    drain_ms,
       Measure *m)
{
  LatticeTestProc *rx = receiver (to);
  g_autofree char *address = g_strdup_printf ("%s:%s", lattice_test_net_host_address (net, to), PROBE_PORT);
  g_autofree char *count_text = g_strdup_printf ("%u", count);
  g_autofree char *interval_text = g_strdup_printf ("%u", interval_us);
  g_autofree char *size_text = g_strdup_printf ("%u", size);
  g_autoptr(LatticeTestProc) tx = NULL;
  g_autofree char *delays = NULL;
  guint before;
  JsonObject *sent, *report;

  /* what came before (late frames of an earlier run) is not this run's */
  before = n_events (rx);
  lattice_test_proc_write_line (rx, "report");
  wait_new_event (rx, before, "report", 30);

  tx = start_probe (from, "send", FALSE,
                    (const char *const[]) { "--send", address, "--count", count_text, "--interval-us",
                                            interval_text, "--size", size_text, NULL });
  g_assert_cmpint (lattice_test_proc_wait_exit (tx, 60 + (guint64) count * interval_us / G_USEC_PER_SEC), ==, 0);
  sent = wait_new_event (tx, 0, "sent", 1);
  g_assert_cmpint (member_int (sent, "errors"), ==, 0);
  lattice_test_run_for (drain_ms);

  before = n_events (rx);
  lattice_test_proc_write_line (rx, "report");
  report = wait_new_event (rx, before, "report", 30);
  *m = (Measure) {
    .sent = (guint64) member_int (sent, "count"),
    .received = (guint64) member_int (report, "received"),
    .reordered = (guint64) member_int (report, "reordered"),
    .duplicates = (guint64) member_int (report, "duplicates"),
    .bytes = (guint64) member_int (report, "bytes"),
    .first_us = member_int (report, "first_us"),
    .last_us = member_int (report, "last_us"),
    .min_us = member_int (report, "min_us"),
    .p50_us = member_int (report, "p50_us"),
    .p99_us = member_int (report, "p99_us"),
    .max_us = member_int (report, "max_us"),
  };
  /* ASCII only: the test runs with LC_ALL=C */
  if (m->received > 0)
    delays = g_strdup_printf ("; one-way delay min %.2f ms, median %.2f, p99 %.2f, max %.2f",
                              m->min_us / 1000.0, m->p50_us / 1000.0, m->p99_us / 1000.0, m->max_us / 1000.0);
  g_test_message ("%c->%c: %" G_GUINT64_FORMAT " sent, %" G_GUINT64_FORMAT " received (%.2f %% lost), "
                  "%" G_GUINT64_FORMAT " reordered, %" G_GUINT64_FORMAT " duplicated%s",
                  'A' + from, 'A' + to, m->sent, m->received,
                  m->sent > 0 ? 100.0 * (double) (m->sent - m->received) / (double) m->sent : 0.0,
                  m->reordered, m->duplicates, delays != NULL ? delays : "");
  g_assert_cmpuint (m->duplicates, ==, 0);
  g_assert_cmpuint (m->received, <=, m->sent);
}

/* The switch's counter @member of host @host's @direction ("up", "down"). */
static gint64
counter (JsonObject *stats,
         guint       host,
         const char *direction,
         const char *member)
{
  JsonArray *ports = json_object_get_array_member (stats, "ports");
  JsonObject *port = json_array_get_object_element (ports, host);

  g_assert_cmpstr (json_object_get_string_member (port, "port"), ==, lattice_test_net_switch_port (net, host));
  return member_int (json_object_get_object_member (port, direction), member);
}

static JsonObject *
stats_now (void)
{
  return lattice_test_net_switch_stats (net);
}

/* Tests */

/* No impairment: everything arrives, in order, within a millisecond or so,
 * and the switch floods only what it must. */
static void
test_clean (void)
{
  JsonObject *before, *after;
  Measure m;

  probe (A, B, 1000, 1000, 100, 200, &m);
  g_assert_cmpuint (m.received, ==, m.sent);
  g_assert_cmpuint (m.reordered, ==, 0);
  g_assert_cmpint (m.p50_us, <, 1000);
  g_assert_cmpint (m.min_us, >=, 0);
  probe (B, A, 1000, 1000, 100, 200, &m);
  g_assert_cmpuint (m.received, ==, m.sent);
  g_assert_cmpint (m.p50_us, <, 1000);

  /* A and B sent to each other: the switch knows both, and C hears none
   * of what one sends to the other */
  before = stats_now ();
  probe (A, B, 200, 1000, 100, 200, &m);
  after = stats_now ();
  g_assert_cmpuint (m.received, ==, m.sent);
  g_assert_cmpint (counter (after, B, "down", "frames") - counter (before, B, "down", "frames"), ==, 200);
  g_assert_cmpint (counter (after, C, "down", "frames") - counter (before, C, "down", "frames"), ==, 0);
}

/* A frame to an address no port has sent from goes to every other port. */
static void
test_flood (void)
{
  JsonObject *before, *after;
  g_autoptr(LatticeTestProc) tx = NULL;
  const char *ghost = "10.214.0.200";

  /* A believes in a host that is not there */
  lattice_test_net_ip ("-n", lattice_test_net_host_ns (net, A), "neigh", "replace", ghost,
                       "lladdr", "02:4c:54:00:00:c8", "dev", "eth0", "nud", "permanent", NULL);
  before = stats_now ();
  tx = start_probe (A, "send", FALSE, (const char *const[]) { "--send", "10.214.0.200:" PROBE_PORT,
                                                              "--count", "100", "--interval-us", "1000", NULL });
  g_assert_cmpint (lattice_test_proc_wait_exit (tx, 60), ==, 0);
  lattice_test_run_for (200);
  after = stats_now ();
  g_assert_cmpint (counter (after, B, "down", "frames") - counter (before, B, "down", "frames"), ==, 100);
  g_assert_cmpint (counter (after, C, "down", "frames") - counter (before, C, "down", "frames"), ==, 100);
  g_assert_cmpint (counter (after, A, "down", "frames") - counter (before, A, "down", "frames"), ==, 0);
  lattice_test_net_ip ("-n", lattice_test_net_host_ns (net, A), "neigh", "del", ghost, "dev", "eth0", NULL);
}

/* 10 % loss on one side: the measured loss is within 4.5 standard
 * deviations of it over 2000 datagrams (binomial: σ = 0.67 %), and it is
 * exactly what the switch counted as dropped there. */
static void
check_loss (gboolean uplink)
{
  LatticeTestLinkParams lossy = { .loss_percent = 10 };
  guint host = uplink ? A : B;
  const char *direction = uplink ? "up" : "down";
  JsonObject *before, *after;
  double lost_percent;
  Measure m;

  if (uplink)
    lattice_test_net_set_uplink (net, A, &lossy);
  else
    lattice_test_net_set_downlink (net, B, &lossy);
  before = stats_now ();
  probe (A, B, 2000, 500, 100, 200, &m);
  after = stats_now ();
  lost_percent = 100.0 * (double) (m.sent - m.received) / (double) m.sent;
  g_test_message ("10 %% loss on %c's %slink: %.2f %% lost", 'A' + host, direction, lost_percent);
  g_assert_cmpfloat (lost_percent, >=, 7.0);
  g_assert_cmpfloat (lost_percent, <=, 13.0);
  g_assert_cmpint (counter (after, host, direction, "dropped") - counter (before, host, direction, "dropped"),
                   ==, (gint64) (m.sent - m.received));
  g_assert_cmpuint (m.reordered, ==, 0);

  if (uplink)
    lattice_test_net_set_uplink (net, A, NULL);
  else
    lattice_test_net_set_downlink (net, B, NULL);
  probe (A, B, 200, 1000, 100, 200, &m);
  g_assert_cmpuint (m.received, ==, m.sent);
}

static void
test_loss_uplink (void)
{
  check_loss (TRUE);
}

static void
test_loss_downlink (void)
{
  check_loss (FALSE);
}

/* 30 ± 10 ms: never earlier than 20, not later than 40 (but for the
 * machine's slack), never reordered, and spread over the range, not stuck
 * at one end. A jitter twice as wide would put 1 % of them past 45 ms. */
static void
test_delay_jitter (void)
{
  LatticeTestLinkParams jittery = { .delay_ms = 30, .jitter_ms = 10 };
  LatticeTestLinkParams up = { .delay_ms = 10 };
  LatticeTestLinkParams down = { .delay_ms = 20 };
  Measure m;

  lattice_test_net_set_uplink (net, A, &jittery);
  probe (A, B, 500, 4000, 100, 500, &m);
  g_assert_cmpuint (m.received, ==, m.sent);
  g_assert_cmpuint (m.reordered, ==, 0);
  g_assert_cmpint (m.min_us, >=, 20000);
  g_assert_cmpint (m.p99_us, <=, 40000 + SLACK_US);
  g_assert_cmpint (m.max_us, <=, 40000 + STALL_US);
  g_assert_cmpint (m.max_us - m.min_us, >=, 10000);

  /* the same on B's downlink, with datagrams closer together than the
   * jitter: order still kept */
  lattice_test_net_set_uplink (net, A, NULL);
  lattice_test_net_set_downlink (net, B, &jittery);
  probe (A, B, 2000, 500, 100, 500, &m);
  g_assert_cmpuint (m.received, ==, m.sent);
  g_assert_cmpuint (m.reordered, ==, 0);
  g_assert_cmpint (m.min_us, >=, 20000);
  g_assert_cmpint (m.p99_us, <=, 40000 + SLACK_US);
  g_assert_cmpint (m.max_us, <=, 40000 + STALL_US);

  /* A's uplink and B's downlink add up */
  lattice_test_net_set_uplink (net, A, &up);
  lattice_test_net_set_downlink (net, B, &down);
  probe (A, B, 200, 2000, 100, 500, &m);
  g_assert_cmpuint (m.received, ==, m.sent);
  g_assert_cmpint (m.min_us, >=, 30000);
  g_assert_cmpint (m.p50_us, <=, 30000 + SLACK_US);

  lattice_test_net_set_uplink (net, A, NULL);
  lattice_test_net_set_downlink (net, B, NULL);
  probe (A, B, 200, 1000, 100, 200, &m);
  g_assert_cmpuint (m.received, ==, m.sent);
  g_assert_cmpint (m.p50_us, <, 1000);
}

static void
test_blackout (void)
{
  LatticeTestLinkParams dark = { .blackout = TRUE };
  Measure m;

  for (guint uplink = 0; uplink < 2; uplink++)
    {
      if (uplink)
        lattice_test_net_set_uplink (net, A, &dark);
      else
        lattice_test_net_set_downlink (net, B, &dark);
      probe (A, B, 300, 1000, 100, 200, &m);
      g_assert_cmpuint (m.received, ==, 0);

      if (uplink)
        lattice_test_net_set_uplink (net, A, NULL);
      else
        lattice_test_net_set_downlink (net, B, NULL);
      probe (A, B, 300, 1000, 100, 200, &m);
      g_assert_cmpuint (m.received, ==, m.sent);
    }
}

/* A tbf cap of 500 kbit/s, blasted at twice that for 4 s: what gets
 * through is the cap, within 20 %. On the downlink it is the switch's
 * own writes that the port's qdisc caps, and refuses when full. */
static void
check_rate (gboolean uplink)
{
  LatticeTestLinkParams capped = { .rate_kbps = 500 };
  JsonObject *before, *after;
  double goodput_kbps;
  Measure m;

  if (uplink)
    lattice_test_net_set_uplink (net, A, &capped);
  else
    lattice_test_net_set_downlink (net, B, &capped);
  before = stats_now ();
  probe (A, B, 500, 8000, 1000, 1000, &m);
  after = stats_now ();
  g_assert_cmpuint (m.received, >, 10);
  /* the first datagram's bytes were there at first_us */
  goodput_kbps = (double) (m.bytes - m.bytes / m.received) * 8 / (double) (m.last_us - m.first_us) * 1000;
  g_test_message ("500 kbit/s on %c's %slink: %.0f kbit/s of UDP payload through "
                  "(%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " datagrams, %.1f s; the switch's writes "
                  "refused by the qdisc: %" G_GINT64_FORMAT ")",
                  uplink ? 'A' : 'B', uplink ? "up" : "down", goodput_kbps, m.received, m.sent,
                  (m.last_us - m.first_us) / 1e6,
                  counter (after, B, "down", "send_errors") - counter (before, B, "down", "send_errors"));
  g_assert_cmpfloat (goodput_kbps, >=, 500 * 0.8);
  g_assert_cmpfloat (goodput_kbps, <=, 500 * 1.2);
  g_assert_cmpuint (m.reordered, ==, 0);
  if (!uplink)
    g_assert_cmpint (counter (after, B, "down", "send_errors") - counter (before, B, "down", "send_errors"), >, 0);

  if (uplink)
    lattice_test_net_set_uplink (net, A, NULL);
  else
    lattice_test_net_set_downlink (net, B, NULL);
  probe (A, B, 200, 1000, 1000, 200, &m);
  g_assert_cmpuint (m.received, ==, m.sent);
}

static void
test_rate_uplink (void)
{
  check_rate (TRUE);
}

static void
test_rate_downlink (void)
{
  check_rate (FALSE);
}

/* What the switch costs at 10 Mbit/s, plain and with every datagram held
 * back. A bound for a broken loop (busy polling, say), not a benchmark. */
static void
test_cpu (void)
{
  LatticeTestLinkParams impaired = { .loss_percent = 1, .delay_ms = 20, .jitter_ms = 5 };

  for (guint round = 0; round < 2; round++)
    {
      JsonObject *before, *after;
      gint64 start_ms, elapsed_ms, cpu_ms;
      Measure m;

      lattice_test_net_set_uplink (net, A, round == 0 ? NULL : &impaired);
      before = stats_now ();
      start_ms = lattice_test_now_ms ();
      /* 1250 bytes every 1000 µs: 10 Mbit/s of payload, for 5 s */
      probe (A, B, 5000, 1000, 1250, 200, &m);
      elapsed_ms = lattice_test_now_ms () - start_ms;
      after = stats_now ();
      cpu_ms = member_int (after, "cpu_ms") - member_int (before, "cpu_ms");
      g_test_message ("switch at 10 Mbit/s (%s): %" G_GINT64_FORMAT " ms of CPU in %" G_GINT64_FORMAT
                      " ms, %.1f %% of a core; frames its socket had no room for so far: %" G_GINT64_FORMAT,
                      round == 0 ? "no impairment" : "loss 1 %, delay 20 +- 5 ms", cpu_ms, elapsed_ms,
                      100.0 * (double) cpu_ms / (double) elapsed_ms, counter (after, A, "up", "kernel_drops"));
      g_assert_cmpint (cpu_ms, <, elapsed_ms / 4);
      /* 4 MB of socket buffer lasts a stalled switch a second at this
       * rate; a machine that stalls it longer loses some, not the switch */
      g_assert_cmpuint (m.received, >=, m.sent * (round == 0 ? 99 : 95) / 100);
      g_assert_cmpuint (m.reordered, ==, 0);
    }
  lattice_test_net_set_uplink (net, A, NULL);
}

/* Runts, made-up addresses, frames that are not IP, frames too big for the
 * ports they are flooded to, random bytes: the switch takes them all, and
 * goes on switching. */
static void
test_odd_frames (void)
{
  const char *host_ns = lattice_test_net_host_ns (net, A);
  const char *switch_ns = lattice_test_net_switch_ns (net);
  const char *port = lattice_test_net_switch_port (net, A);
  g_autoptr(LatticeTestProc) tx = NULL;
  JsonObject *before, *after;
  JsonObject *sent;
  Measure m;

  /* jumbo frames from A as far as the switch; B's and C's ports keep 1500 */
  lattice_test_net_ip ("-n", switch_ns, "link", "set", port, "mtu", "65535", NULL);
  lattice_test_net_ip ("-n", host_ns, "link", "set", "eth0", "mtu", "65535", NULL);
  before = stats_now ();
  tx = start_probe (A, "odd", FALSE, (const char *const[]) { "--odd-frames", "eth0", NULL });
  g_assert_cmpint (lattice_test_proc_wait_exit (tx, 60), ==, 0);
  sent = wait_new_event (tx, 0, "sent", 1);
  lattice_test_run_for (200);
  after = stats_now ();
  g_test_message ("odd frames: %" G_GINT64_FORMAT " written (%" G_GINT64_FORMAT " refused by A's kernel); "
                  "the switch read %" G_GINT64_FORMAT ", found %" G_GINT64_FORMAT " bad, "
                  "could not write %" G_GINT64_FORMAT " to B",
                  member_int (sent, "count"), member_int (sent, "errors"),
                  counter (after, A, "up", "frames") - counter (before, A, "up", "frames"),
                  counter (after, A, "up", "bad") - counter (before, A, "up", "bad"),
                  counter (after, B, "down", "send_errors") - counter (before, B, "down", "send_errors"));
  g_assert_cmpint (member_int (sent, "errors"), ==, 0);
  g_assert_cmpint (counter (after, A, "up", "frames") - counter (before, A, "up", "frames"),
                   ==, member_int (sent, "count"));
  /* the two jumbo frames, flooded */
  g_assert_cmpint (counter (after, B, "down", "send_errors") - counter (before, B, "down", "send_errors"), ==, 2);
  g_assert_cmpint (counter (after, C, "down", "send_errors") - counter (before, C, "down", "send_errors"), ==, 2);

  lattice_test_net_ip ("-n", host_ns, "link", "set", "eth0", "mtu", "1500", NULL);
  lattice_test_net_ip ("-n", switch_ns, "link", "set", port, "mtu", "1500", NULL);
  probe (A, B, 200, 1000, 100, 200, &m);
  g_assert_cmpuint (m.received, ==, m.sent);
  probe (B, A, 200, 1000, 100, 200, &m);
  g_assert_cmpuint (m.received, ==, m.sent);
}

/* The control protocol, on a switch of its own between two ports that
 * lead nowhere: bad commands are answered with an error and change
 * nothing, and the switch exits with 0 when its stdin closes. */
static void
test_commands (void)
{
  const char *switch_ns = lattice_test_net_switch_ns (net);
  g_autofree char *netem = lattice_test_net_helper ("lattice-netem");
  g_autoptr(LatticeTestProc) sw = NULL;
  g_autofree char *long_line = g_strnfill (10000, 'x');
  const char *bad[] = {
    "set", "set t9 up loss=1", "set t0 sideways loss=1", "set t0 up loss=101", "set t0 up loss=-1",
    "set t0 up loss=nan", "set t0 up delay=-1", "set t0 up delay=60001", "set t0 up jitter=1x",
    "set t0 up blackout=2", "set t0 up colour=blue", "set t0 up loss", "stats now", "reboot",
    "set t0 up delay=7 loss=200",
  };
  JsonObject *stats, *t0, *up, *down;
  guint from;

  lattice_test_net_ip ("-n", switch_ns, "link", "add", "t0", "type", "veth", "peer", "name", "t1", NULL);
  lattice_test_net_ip ("-n", switch_ns, "link", "set", "t0", "up", NULL);
  lattice_test_net_ip ("-n", switch_ns, "link", "set", "t1", "up", NULL);
  sw = lattice_test_proc_start_with_stdin ("netem-cmd", (const char *const[]) {
                                             "ip", "netns", "exec", switch_ns, netem, "t0", "t1", NULL });
  wait_new_event (sw, 0, "ready", 30);

  from = n_events (sw);
  lattice_test_proc_write_line (sw, "set t0 up loss=2.5 delay=40 jitter=10 blackout=1");
  wait_new_event (sw, from, "ok", 10);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      JsonObject *error;

      from = n_events (sw);
      lattice_test_proc_write_line (sw, bad[i]);
      error = wait_new_event (sw, from, "error", 10);
      g_assert_cmpuint (n_events (sw), ==, from + 1);
      g_assert_nonnull (json_object_get_string_member_with_default (error, "message", NULL));
    }
  from = n_events (sw);
  lattice_test_proc_write_line (sw, long_line);
  wait_new_event (sw, from, "error", 10);
  /* blank lines are no commands; one setting alone leaves the others */
  lattice_test_proc_write_line (sw, "   ");
  lattice_test_proc_write_line (sw, "set t0 up blackout=0");
  wait_new_event (sw, from + 1, "ok", 10);
  g_assert_cmpuint (n_events (sw), ==, from + 2);
  from = n_events (sw);
  lattice_test_proc_write_line (sw, "stats");
  stats = wait_new_event (sw, from, "stats", 10);
  t0 = json_array_get_object_element (json_object_get_array_member (stats, "ports"), 0);
  up = json_object_get_object_member (t0, "up");
  down = json_object_get_object_member (t0, "down");
  g_assert_cmpfloat (json_object_get_double_member (up, "loss"), ==, 2.5);
  g_assert_cmpint (member_int (up, "delay"), ==, 40);
  g_assert_cmpint (member_int (up, "jitter"), ==, 10);
  g_assert_false (json_object_get_boolean_member (up, "blackout"));
  g_assert_cmpint (member_int (down, "delay"), ==, 0);

  lattice_test_proc_close_stdin (sw);
  g_assert_cmpint (lattice_test_proc_wait_exit (sw, 20), ==, 0);
  g_assert_cmpstr (lattice_test_proc_get_stderr (sw), ==, "");
  lattice_test_net_ip ("-n", switch_ns, "link", "del", "t0", NULL);

  /* a port that is not there: an error, and exit status 1 */
  g_clear_pointer (&sw, lattice_test_proc_free);
  sw = lattice_test_proc_start_with_stdin ("netem-bad", (const char *const[]) {
                                             "ip", "netns", "exec", switch_ns, netem, "nosuch0", NULL });
  wait_new_event (sw, 0, "error", 30);
  g_assert_cmpint (lattice_test_proc_wait_exit (sw, 20), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *why = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  net = lattice_test_net_new (N_HOSTS, &why);
  if (net == NULL)
    {
      g_print ("SKIP: %s; the emulated network needs root and iproute2\n", why);
      return 77;
    }

  g_test_add_func ("/netem/clean", test_clean);
  g_test_add_func ("/netem/flood", test_flood);
  g_test_add_func ("/netem/loss-uplink", test_loss_uplink);
  g_test_add_func ("/netem/loss-downlink", test_loss_downlink);
  g_test_add_func ("/netem/delay-jitter", test_delay_jitter);
  g_test_add_func ("/netem/blackout", test_blackout);
  g_test_add_func ("/netem/rate-uplink", test_rate_uplink);
  g_test_add_func ("/netem/rate-downlink", test_rate_downlink);
  g_test_add_func ("/netem/cpu", test_cpu);
  g_test_add_func ("/netem/odd-frames", test_odd_frames);
  g_test_add_func ("/netem/commands", test_commands);
  status = g_test_run ();

  for (guint i = 0; i < N_HOSTS; i++)
    if (receivers[i] != NULL)
      {
        lattice_test_proc_close_stdin (receivers[i]);
        g_assert_cmpint (lattice_test_proc_wait_exit (receivers[i], 20), ==, 0);
        lattice_test_proc_free (receivers[i]);
      }
  lattice_test_net_free (net);
  return status;
}
