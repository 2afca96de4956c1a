#!/usr/bin/env python3
# lattice-bench.py: what a Lattice call costs, measured with real processes
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Every participant is a lattice-peer process with test sources, one
# lattice-server relays signaling, everything on 127.0.0.1. The figures come
# from the peers' JSON lines (docs/ARCHITECTURE.md, "lattice-peer's output")
# and from /proc. docs/BENCHMARKS.md explains each benchmark.
#
#   lattice-bench.py [--builddir DIR] [--quick] all|mesh|encode|join|latency|memory|impair|app|chromium|markdown
#
# "all" writes bench/results/latest.json; a single benchmark updates its own
# entry in that file; "markdown" prints the tables of docs/BENCHMARKS.md.
# "chromium" (a Chromium mesh next to a Lattice mesh, lattice_chromium.py) is
# not part of "all": it needs Chromium and playwright-core, and takes as long
# as the rest.

import argparse
import datetime
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import lattice_app_bench
import lattice_chromium

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, 'results', 'latest.json')
CLK_TCK = os.sysconf('SC_CLK_TCK')
PAGE_KIB = os.sysconf('SC_PAGE_SIZE') // 1024

# The goals the issue sets (issue 6), and what a browser mesh measured on
# this class of machine (cores for N participants).
GOALS = {
    'n6_min_fps': 19.0,
    'n6_max_cores': 0.7,
    'all_streams_ratio': 0.9,
    'all_streams_n': 10,
    'join_p50_ms': 500,
    'latency_p50_ms': 60,
    'latency_p95_ms': 100,
    'rss_per_peer_mib': 15,
}
BROWSER_CORES = {2: 0.22, 4: 0.84, 6: 1.76, 8: 2.0}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def now_ms():
    # CLOCK_MONOTONIC: the clock of lattice-peer's "t" (g_get_monotonic_time)
    return time.clock_gettime(time.CLOCK_MONOTONIC) * 1000.0


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def rounded(value, digits=1):
    return None if value is None else round(value, digits)


# ---------------------------------------------------------------------------
# Processes

class Proc:
    """A child process whose CPU time and RSS come from /proc."""

    def __init__(self, argv, stderr_path, stdout=subprocess.PIPE):
        self.stderr_file = open(stderr_path, 'wb')
        self.started_ms = now_ms()
        self.popen = subprocess.Popen(argv, stdout=stdout, stderr=self.stderr_file,
                                      stdin=subprocess.DEVNULL)
        self.pid = self.popen.pid

    def cpu_ticks(self):
        try:
            with open('/proc/%d/stat' % self.pid) as f:
                # the command name may hold spaces: fields count from after ')'
                fields = f.read().rsplit(')', 1)[1].split()
            return int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError):
            return None

    def thread_ticks(self):
        """CPU ticks per thread name (digits dropped: queue12:src → queue:src)."""
        ticks = {}
        try:
            tids = os.listdir('/proc/%d/task' % self.pid)
        except OSError:
            return ticks
        for tid in tids:
            try:
                with open('/proc/%d/task/%s/stat' % (self.pid, tid)) as f:
                    text = f.read()
            except OSError:
                continue
            name = re.sub(r'\d+', '', text[text.index('(') + 1:text.rindex(')')])
            fields = text.rsplit(')', 1)[1].split()
            ticks[(tid, name)] = int(fields[11]) + int(fields[12])
        return ticks

    def rss_kib(self):
        try:
            with open('/proc/%d/statm' % self.pid) as f:
                return int(f.read().split()[1]) * PAGE_KIB
        except (OSError, IndexError):
            return None

    def alive(self):
        return self.popen.poll() is None

    def stop(self, timeout=5.0):
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.stderr_file.close()


class Server(Proc):
    def __init__(self, bench, max_room_size=16):
        path = os.path.join(bench.logdir, 'server.err')
        super().__init__([bench.server_bin, '--host', '127.0.0.1', '--port', '0',
                          '--max-room-size', str(max_room_size),
                          # a newcomer's offers and candidates to 9 peers come in a burst
                          '--max-rate', '500'], path)
        line = self.popen.stdout.readline().decode()
        match = re.search(r'ws://127\.0\.0\.1:(\d+)/ws', line)
        if not match:
            self.stop()
            raise RuntimeError('lattice-server did not start: %r (see %s)' % (line, path))
        self.port = int(match.group(1))
        # whatever else it prints must not fill the pipe and block it
        threading.Thread(target=self.popen.stdout.read, daemon=True).start()

    def link(self, room):
        return 'http://127.0.0.1:%d/%s' % (self.port, room)


class Peer(Proc):
    """A lattice-peer process and the JSON events it printed."""

    def __init__(self, bench, name, link, extra=()):
        self.name = name
        self.events = []
        self.cond = threading.Condition()
        self.id = None
        self.eof = False
        self.logdir = bench.logdir
        argv = [bench.peer_bin, '--name', name, *extra, link]
        super().__init__(argv, os.path.join(bench.logdir, name + '.err'))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        with open(os.path.join(self.logdir, self.name + '.jsonl'), 'wb') as copy:
            self._read_lines(copy)
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def _read_lines(self, copy):
        for raw in self.popen.stdout:
            copy.write(raw)
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            with self.cond:
                if event.get('event') == 'joined' and self.id is None:
                    self.id = event.get('id')
                self.events.append(event)
                self.cond.notify_all()

    def snapshot(self, kind=None):
        with self.cond:
            return [e for e in self.events if kind is None or e.get('event') == kind]

    def wait(self, predicate, timeout):
        """Waits until predicate(events) is true; False on timeout or exit."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(self.events):
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    return False
                self.cond.wait(min(left, 0.5))
            return True

    def first_frames(self, kind='video'):
        return {e['from']: e for e in self.snapshot('first-frame') if e.get('kind') == kind}

    def errors(self):
        return self.snapshot('error')


class Bench:
    def __init__(self, args):
        self.args = args
        build = os.path.abspath(args.builddir)
        self.server_bin = os.path.join(build, 'app', 'lattice-server')
        self.peer_bin = os.path.join(build, 'app', 'lattice-peer')
        for binary in (self.server_bin, self.peer_bin):
            if not os.access(binary, os.X_OK):
                sys.exit('lattice-bench: %s is not built (meson compile -C %s)' % (binary, build))
        self.logdir = tempfile.mkdtemp(prefix='lattice-bench-')
        self.procs = []
        self.room_count = 0

    def room(self, what):
        self.room_count += 1
        return '%s-%d-%d' % (what, os.getpid(), self.room_count)

    def server(self):
        server = Server(self)
        self.procs.append(server)
        return server

    def peer(self, name, link, extra=()):
        peer = Peer(self, name, link, extra)
        self.procs.append(peer)
        return peer

    def stop_all(self):
        # all leave at once, then each is waited for
        for proc in self.procs:
            if proc.alive():
                proc.popen.send_signal(signal.SIGTERM)
        for proc in self.procs:
            proc.stop()
        self.procs = []


# What every peer is run with, besides its size and rate (set from the
# options in main()): the app's grid in a window of --view, and a test
# microphone that talks in bursts and pauses (--audio), as in real calls.
PEER_MODEL = []


def peer_args(size='640x360', fps=20, extra=()):
    return ['--size', size, '--fps', str(fps), *PEER_MODEL, *extra]


def wait_mesh(peers, timeout):
    """Waits until every peer decoded video from every other one."""
    deadline = time.monotonic() + timeout
    for peer in peers:
        # ids are known only once every peer has joined
        if not peer.wait(lambda ev: any(e.get('event') == 'joined' for e in ev),
                         max(0.1, deadline - time.monotonic())):
            return False
    ids = {p.id for p in peers}
    for peer in peers:
        want = ids - {peer.id}
        ok = peer.wait(lambda ev: want <= {e.get('from') for e in ev
                                           if e.get('event') == 'first-frame' and e.get('kind') == 'video'},
                       max(0.1, deadline - time.monotonic()))
        if not ok:
            return False
    return True


def start_mesh(bench, server, n, room, extra, stagger=0.3):
    peers = []
    for i in range(n):
        peers.append(bench.peer('%s-%d' % (room, i), server.link(room), extra))
        time.sleep(stagger)
    return peers


def last_stats_before(peer, t_ms):
    chosen = None
    for event in peer.snapshot('stats'):
        if event['t'] <= t_ms:
            chosen = event
    return chosen


def stream_rates(peers, t0, t1):
    """Received video fps of every stream (receiver ← sender) between t0 and t1."""
    rates = {}
    ids = {p.id for p in peers}
    for peer in peers:
        a, b = last_stats_before(peer, t0), last_stats_before(peer, t1)
        before = {s['id']: s for s in (a or {}).get('peers', [])}
        after = {s['id']: s for s in (b or {}).get('peers', [])}
        for sender in ids - {peer.id}:
            if a is None or b is None or sender not in after or b['t'] <= a['t']:
                rates[(peer.name, sender)] = 0.0
                continue
            frames0 = before.get(sender, {}).get('video', {}).get('frames', 0)
            frames1 = after[sender]['video']['frames']
            rates[(peer.name, sender)] = (frames1 - frames0) * 1000.0 / (b['t'] - a['t'])
    return rates


def latency_samples(peers, t0, t1):
    """Glass-to-glass samples (ms) per stream from the stats events in [t0, t1]."""
    samples = {}
    for peer in peers:
        for event in peer.snapshot('stats'):
            if not t0 < event['t'] <= t1:
                continue
            for stream in event.get('peers', []):
                samples.setdefault((peer.name, stream['id']), []).extend(stream.get('latency', []))
    return samples


def measure_window(bench, peers, window):
    """CPU (cores), RSS and stream rates of @peers over @window seconds."""
    ticks0 = {p.pid: p.cpu_ticks() for p in peers}
    threads0 = {p.pid: p.thread_ticks() for p in peers}
    t0 = now_ms()
    time.sleep(window)
    t1 = now_ms()
    ticks1 = {p.pid: p.cpu_ticks() for p in peers}
    threads1 = {p.pid: p.thread_ticks() for p in peers}
    # the stats line of the second that ends the window
    time.sleep(1.2)
    seconds = (t1 - t0) / 1000.0
    cpu = [((ticks1[p.pid] or 0) - (ticks0[p.pid] or 0)) / CLK_TCK / seconds for p in peers]
    rss = [p.rss_kib() or 0 for p in peers]
    # where the time goes: cores per thread name, summed over the processes
    by_thread = {}
    for p in peers:
        for key, ticks in threads1[p.pid].items():
            spent = (ticks - threads0[p.pid].get(key, 0)) / CLK_TCK / seconds
            by_thread[key[1]] = by_thread.get(key[1], 0.0) + spent
    top_threads = sorted(((round(v, 3), k) for k, v in by_thread.items() if v >= 0.005), reverse=True)[:12]
    return {
        't0': t0, 't1': t1, 'seconds': seconds,
        'threads': [{'thread': k, 'cores': v} for v, k in top_threads],
        'cpu': cpu, 'rss_kib': rss,
        'rates': stream_rates(peers, t0, t1),
    }


# ---------------------------------------------------------------------------
# 1 and 2: mesh scaling, encode once vs once per peer

def run_mesh_size(bench, n, fps, extra=(), label=None):
    args = bench.args
    server = bench.server()
    room = bench.room(label or 'mesh%d' % n)
    peers = start_mesh(bench, server, n, room, peer_args(fps=fps, extra=extra))
    connect_started = now_ms()
    connected = wait_mesh(peers, args.connect_timeout + 3 * n)
    connect_ms = now_ms() - connect_started
    if not connected:
        log('  N=%d: not every stream started within the timeout; measuring anyway' % n)
    time.sleep(args.warmup)
    window = measure_window(bench, peers, args.window)
    encoders = [(last_stats_before(p, window['t1']) or {}).get('encoders', {}).get('video') for p in peers]
    errors = [e for p in peers for e in p.errors()]
    bench.stop_all()

    rates = list(window['rates'].values())
    result = {
        'n': n,
        'fps_sent': fps,
        'encode_per_peer': '--encode-per-peer' in extra,
        'all_connected': connected,
        'connect_s': rounded(connect_ms / 1000.0),
        'window_s': rounded(window['seconds']),
        'cpu_total_cores': rounded(sum(window['cpu']), 3),
        'cpu_per_participant_cores': rounded(sum(window['cpu']) / n, 3),
        'streams': len(rates),
        'fps_min': rounded(min(rates)) if rates else None,
        'fps_median': rounded(statistics.median(rates)) if rates else None,
        'streams_at_90pct': sum(1 for r in rates if r >= 0.9 * fps),
        'all_streams_at_90pct': bool(rates) and all(r >= 0.9 * fps for r in rates),
        'rss_mib_mean': rounded(statistics.mean(window['rss_kib']) / 1024.0),
        'rss_mib_max': rounded(max(window['rss_kib']) / 1024.0),
        'video_encoders_per_process': encoders,
        'cpu_by_thread': window['threads'],
        'errors': errors[:5],
    }
    log('  N=%-2d %s cpu %.2f cores (%.3f each)  fps min %s median %s  %d/%d streams >= 90%%  rss %s MiB'
        % (n, 'per-peer' if result['encode_per_peer'] else 'once    ', result['cpu_total_cores'],
           result['cpu_per_participant_cores'], result['fps_min'], result['fps_median'],
           result['streams_at_90pct'], result['streams'], result['rss_mib_mean']))
    return result


def rss_slope(rows):
    """MiB of RSS per process per added peer: least squares over N-1."""
    points = [(r['n'] - 1, r['rss_mib_mean']) for r in rows]
    if len(points) < 2:
        return None
    mx = statistics.mean(x for x, _ in points)
    my = statistics.mean(y for _, y in points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return rounded(sum((x - mx) * (y - my) for x, y in points) / den, 2) if den else None


def bench_mesh(bench):
    args = bench.args
    log('Mesh scaling: N = %s, %s, %d fps, audio on' % (args.sizes, args.size, args.fps))
    rows = [run_mesh_size(bench, n, args.fps) for n in args.sizes]
    ok = [r['n'] for r in rows if r['all_streams_at_90pct']]
    # the largest N up to which every measured size held 90 %
    largest = None
    for r in sorted(rows, key=lambda r: r['n']):
        if not r['all_streams_at_90pct']:
            break
        largest = r['n']
    return {
        'size': args.size, 'fps': args.fps, 'warmup_s': args.warmup, 'window_s': args.window,
        'rows': rows,
        'largest_n_all_streams_90pct': largest,
        'sizes_all_streams_90pct': ok,
        'rss_mib_per_added_peer': rss_slope(rows),
    }


def bench_encode(bench, mesh=None):
    args = bench.args
    n = args.encode_n
    log('Encode once vs once per peer: N = %d' % n)
    once = None
    if mesh is not None:
        once = next((r for r in mesh['rows'] if r['n'] == n), None)
    if once is None:
        once = run_mesh_size(bench, n, args.fps)
    per_peer = run_mesh_size(bench, n, args.fps, extra=('--encode-per-peer',), label='perpeer%d' % n)
    ratio = None
    if once['cpu_total_cores']:
        ratio = rounded(per_peer['cpu_total_cores'] / once['cpu_total_cores'], 2)
    return {'n': n, 'once': once, 'per_peer': per_peer, 'cpu_ratio_per_peer_over_once': ratio}


# ---------------------------------------------------------------------------
# 3: join time

def one_join(bench, server, room, talkers, index, extra):
    args = bench.args
    spawned = now_ms()
    newcomer = bench.peer('%s-new%d' % (room, index), server.link(room), extra)
    ids = {p.id for p in talkers}
    result = {'complete': False}
    newcomer.wait(lambda ev: any(e.get('event') == 'joined' for e in ev), args.join_timeout)
    got_all = newcomer.wait(lambda ev: ids <= {e.get('from') for e in ev
                                               if e.get('event') == 'first-frame' and e.get('kind') == 'video'},
                            args.join_timeout)
    nid = newcomer.id
    seen_by_all = nid is not None and all(
        t.wait(lambda ev: any(e.get('event') == 'first-frame' and e.get('kind') == 'video'
                              and e.get('from') == nid for e in ev), args.join_timeout)
        for t in talkers)
    frames = newcomer.first_frames()
    if frames:
        any_frame = next(iter(frames.values()))
        join_t = any_frame['t'] - any_frame['sinceJoin']  # when it started joining
        received = [frames[i]['sinceJoin'] for i in ids if i in frames]
        sent = [t.first_frames()[nid]['t'] - join_t for t in talkers if nid in t.first_frames()]
        result = {
            'complete': got_all and seen_by_all,
            'from_all_ms': max(received) if got_all else None,
            'to_all_ms': max(sent) if seen_by_all else None,
            'each_from_ms': sorted(received),
            'each_to_ms': sorted(sent),
            'spawn_to_join_ms': rounded(join_t - spawned, 0),
        }
    newcomer.stop()
    bench.procs.remove(newcomer)
    # the room is back to the talkers before the next join
    for t in talkers:
        t.wait(lambda ev: any(e.get('event') == 'participant-left' and e.get('id') == nid for e in ev), 10)
    return result


def bench_join(bench):
    args = bench.args
    log('Join time: %d joins into a room of %d talking' % (args.joins, args.join_room))
    server = bench.server()
    room = bench.room('join')
    extra = peer_args(fps=args.fps)
    talkers = start_mesh(bench, server, args.join_room, room, extra)
    if not wait_mesh(talkers, args.connect_timeout + 3 * args.join_room):
        log('  the room of %d did not connect fully; joining anyway' % args.join_room)
    time.sleep(args.warmup)
    joins = []
    for i in range(args.joins):
        j = one_join(bench, server, room, talkers, i, extra)
        log('  join %2d: from all %s ms, to all %s ms' % (i + 1, j.get('from_all_ms'), j.get('to_all_ms')))
        joins.append(j)
        time.sleep(1.0)
    bench.stop_all()
    from_all = [j['from_all_ms'] for j in joins if j.get('from_all_ms') is not None]
    to_all = [j['to_all_ms'] for j in joins if j.get('to_all_ms') is not None]
    each = [v for j in joins for v in j.get('each_from_ms', [])]
    return {
        'room': args.join_room, 'joins': len(joins),
        'complete': sum(1 for j in joins if j.get('complete')),
        'from_all_p50_ms': rounded(percentile(from_all, 50), 0),
        'from_all_p95_ms': rounded(percentile(from_all, 95), 0),
        'to_all_p50_ms': rounded(percentile(to_all, 50), 0),
        'to_all_p95_ms': rounded(percentile(to_all, 95), 0),
        'each_stream_p50_ms': rounded(percentile(each, 50), 0),
        'spawn_to_join_p50_ms': rounded(percentile([j['spawn_to_join_ms'] for j in joins
                                                   if 'spawn_to_join_ms' in j], 50), 0),
        'details': joins,
    }


# ---------------------------------------------------------------------------
# 4: glass-to-glass latency

def stamp_supported(bench):
    # an unknown option makes lattice-peer exit with 2 before --version prints
    out = subprocess.run([bench.peer_bin, '--stamp-time', '--version'], capture_output=True)
    return out.returncode == 0


def run_latency(bench, n, latency):
    args = bench.args
    server = bench.server()
    room = bench.room('latency%d-%d' % (n, latency))
    extra = peer_args(fps=args.latency_fps, extra=('--stamp-time', '--latency', str(latency)))
    peers = start_mesh(bench, server, n, room, extra)
    connected = wait_mesh(peers, args.connect_timeout + 3 * n)
    time.sleep(args.warmup)
    window = measure_window(bench, peers, args.window)
    samples = latency_samples(peers, window['t0'], window['t1'])
    names = {p.id: p.name for p in peers}
    bench.stop_all()
    streams = []
    for (receiver, sender), values in sorted(samples.items()):
        streams.append({
            'receiver': receiver, 'sender': names.get(sender, sender), 'samples': len(values),
            'p50_ms': rounded(percentile(values, 50)), 'p95_ms': rounded(percentile(values, 95)),
            'max_ms': rounded(max(values)) if values else None,
        })
    pooled = [v for values in samples.values() for v in values]
    p50s = [s['p50_ms'] for s in streams if s['p50_ms'] is not None]
    p95s = [s['p95_ms'] for s in streams if s['p95_ms'] is not None]
    row = {
        'n': n, 'latency_setting_ms': latency, 'fps': args.latency_fps,
        'all_connected': connected, 'streams': len(streams), 'samples': len(pooled),
        'cpu_total_cores': rounded(sum(window['cpu']), 3),
        'fps_min': rounded(min(window['rates'].values())) if window['rates'] else None,
        'p50_ms': rounded(percentile(pooled, 50)), 'p95_ms': rounded(percentile(pooled, 95)),
        'max_ms': rounded(max(pooled)) if pooled else None,
        'worst_stream_p50_ms': max(p50s) if p50s else None,
        'worst_stream_p95_ms': max(p95s) if p95s else None,
        'per_stream': streams,
    }
    log('  N=%d latency=%3d ms: p50 %s p95 %s max %s ms (worst stream p50 %s p95 %s; %d samples)'
        % (n, latency, row['p50_ms'], row['p95_ms'], row['max_ms'], row['worst_stream_p50_ms'],
           row['worst_stream_p95_ms'], row['samples']))
    return row


def bench_latency(bench):
    args = bench.args
    log('Glass-to-glass latency at %d fps' % args.latency_fps)
    if not stamp_supported(bench):
        log('  lattice-peer has no --stamp-time yet: skipped')
        return {'available': False}
    rows = [run_latency(bench, n, latency)
            for n in args.latency_sizes for latency in (50, 200)]
    return {'available': True, 'fps': args.latency_fps, 'window_s': args.window, 'rows': rows}


# ---------------------------------------------------------------------------
# 5: memory over join/leave cycles

def bench_memory(bench):
    args = bench.args
    log('Memory: %d join/leave cycles of one participant with %d staying'
        % (args.cycles, args.memory_room))
    server = bench.server()
    room = bench.room('memory')
    extra = peer_args(fps=args.fps)
    stayers = start_mesh(bench, server, args.memory_room, room, extra)
    wait_mesh(stayers, args.connect_timeout + 3 * args.memory_room)
    time.sleep(args.warmup)
    before = [p.rss_kib() for p in stayers]
    after_each, with_guest, incomplete = [], [], 0
    for i in range(args.cycles):
        guest = bench.peer('%s-guest%d' % (room, i), server.link(room), extra)
        ok = wait_mesh(stayers + [guest], args.join_timeout)
        incomplete += 0 if ok else 1
        time.sleep(args.memory_hold)
        with_guest.append([p.rss_kib() for p in stayers])
        gid = guest.id
        guest.stop()
        bench.procs.remove(guest)
        for p in stayers:
            p.wait(lambda ev: any(e.get('event') == 'participant-left' and e.get('id') == gid for e in ev), 10)
        time.sleep(1.0)
        after_each.append([p.rss_kib() for p in stayers])
        log('  cycle %2d: staying RSS %s MiB' % (i + 1, ' '.join('%.1f' % (k / 1024) for k in after_each[-1])))
    time.sleep(2.0)
    after = [p.rss_kib() for p in stayers]
    bench.stop_all()

    def mean_mib(values):
        return statistics.mean(values) / 1024.0

    # RSS a staying process gains while one more peer is connected
    added = [mean_mib(w) - mean_mib(a) for w, a in zip(with_guest, after_each)]
    growth_tail = None
    if len(after_each) >= 10:
        # steady state: from a third of the way in to the end, per cycle
        start = len(after_each) // 3
        growth_tail = (mean_mib(after_each[-1]) - mean_mib(after_each[start])) / (len(after_each) - 1 - start)
    return {
        'staying': args.memory_room, 'cycles': args.cycles, 'incomplete_cycles': incomplete,
        'rss_before_mib': [rounded(k / 1024.0) for k in before],
        'rss_after_mib': [rounded(k / 1024.0) for k in after],
        'growth_mib_per_process': rounded(mean_mib(after) - mean_mib(before), 2),
        'growth_mib_per_cycle_steady': rounded(growth_tail, 3),
        'rss_per_added_peer_mib': rounded(statistics.median(added), 2) if added else None,
        'rss_mean_after_each_cycle_mib': [rounded(mean_mib(a), 1) for a in after_each],
    }


# ---------------------------------------------------------------------------
# Impaired networks

IMPAIR_SCENARIOS = [
    ('loss', '3 % random loss on every link, both ways'),
    ('delay', '40 ± 10 ms and 1 % loss on every link, both ways (160 ms round trip)'),
    ('uncapped', 'no impairment (the reference for the downlink cap)'),
    ('downlink-cap', "A's downlink capped at 400 kbit/s (tbf)"),
    ('uplink-cap', "A's uplink capped at 300 kbit/s (tbf)"),
    ('before-blackout', 'no impairment (before the blackout)'),
    ('after-blackout', "the 20 s after A's link was dead for 2 s"),
]


def bench_impair(bench):
    """Runs tests/app/test-impair (it builds the emulated network: root only)
    with longer windows, and collects every directed pair it measured."""
    args = bench.args
    binary = os.path.join(args.builddir, 'tests', 'app', 'test-impair')
    if os.geteuid() != 0 or not os.path.exists(binary):
        log('impair: skipped (needs root and %s)' % binary)
        return {'available': False}
    report = os.path.join(bench.logdir, 'impair.jsonl')
    env = dict(os.environ, LATTICE_BUILDDIR=args.builddir, LATTICE_IMPAIR_REPORT=report,
               LATTICE_IMPAIR_SECONDS=str(int(args.impair_window)))
    with open('/proc/loadavg') as f:
        load = f.read().split()[:3]
    log('impair: %s (%d s windows)' % (binary, args.impair_window))
    with open(os.path.join(bench.logdir, 'impair.log'), 'wb') as out:
        status = subprocess.run([binary], env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    rows = []
    if os.path.exists(report):
        with open(report) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    with open('/proc/loadavg') as f:
        load_after = f.read().split()[:3]
    return {'available': True, 'window_s': int(args.impair_window), 'test_passed': status == 0,
            'load_before': load, 'load_after': load_after, 'rows': rows}


def impair_markdown(imp):
    lines = ['', '### 6. Impaired networks (3 participants, 320x240@15, synthetic camera, %d s windows)'
             % imp['window_s'], '']
    lines.append('Each row is one directed pair, measured by the receiver: frame rate, seconds with under a '
                 'third of the frames ("frozen"), decoded frames whose stamp read back ("intact"), video '
                 'bitrate received, glass-to-glass latency, the size received, and what the sender says it '
                 'sends that receiver at the end: its layer and its estimate of the path (audio and video). '
                 'Load average %s before, %s after; the test itself %s.'
                 % (' '.join(imp['load_before']), ' '.join(imp['load_after']),
                    'passed' if imp['test_passed'] else '**failed**'))
    for name, title in IMPAIR_SCENARIOS:
        rows = [r for r in imp['rows'] if r['scenario'] == name]
        if not rows:
            continue
        lines += ['', '**%s**: %s' % (name, title), '',
                  '| pair | fps | frozen s | intact % | kbit/s | g2g p50 / p95 (ms) | size | layer | estimate (kbit/s) |',
                  '|---|---|---|---|---|---|---|---|---|']
        for r in rows:
            lines.append('| %s→%s | %.1f | %d | %.1f | %.0f | %.0f / %.0f | %dx%d | %s | %s |'
                         % (r['from'], r['to'], r['fps'], r['frozen'], r['intact'], r['kbps'], r['p50'], r['p95'],
                            r['width'], r['height'], r.get('layer', '–'), fmt(r.get('estimate'))))
    return lines


# ---------------------------------------------------------------------------
# Results

def machine_info(bench):
    model = 'unknown'
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    with open('/proc/meminfo') as f:
        mem_kib = int(f.readline().split()[1])

    def git(*argv):
        out = subprocess.run(['git', '-C', SOURCE_ROOT, *argv], capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else None
    gst = subprocess.run(['gst-inspect-1.0', '--version'], capture_output=True, text=True).stdout
    gst_version = re.search(r'GStreamer (\S+)', gst)
    with open('/proc/loadavg') as f:
        load = f.read().split()[:3]
    return {
        'cpu': model, 'cores': os.cpu_count(), 'memory_gib': round(mem_kib / 1048576.0, 1),
        'kernel': platform.release(), 'os': platform.freedesktop_os_release().get('PRETTY_NAME')
        if hasattr(platform, 'freedesktop_os_release') else None,
        'gstreamer': gst_version.group(1) if gst_version else None,
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        'commit': git('rev-parse', '--short', 'HEAD'),
        'dirty': bool(git('status', '--porcelain')),
        'load_at_start': load,
    }


def verdicts(results):
    """Each goal of issue 6: the figure, the target and whether it is met."""
    out = []
    mesh = results.get('mesh')
    if mesh:
        n6 = next((r for r in mesh['rows'] if r['n'] == 6), None)
        if n6:
            out.append({'goal': 'N=6: every stream >= 19 fps', 'value': n6['fps_min'],
                        'met': n6['fps_min'] is not None and n6['fps_min'] >= GOALS['n6_min_fps']})
            out.append({'goal': 'N=6: total CPU <= 0.7 cores', 'value': n6['cpu_total_cores'],
                        'met': n6['cpu_total_cores'] <= GOALS['n6_max_cores']})
        n10 = next((r for r in mesh['rows'] if r['n'] == 10), None)
        if n10:
            out.append({'goal': 'N=10: every stream >= 90% of sent rate',
                        'value': '%d/%d streams, min %s fps' % (n10['streams_at_90pct'], n10['streams'], n10['fps_min']),
                        'met': n10['all_streams_at_90pct']})
    join = results.get('join')
    if join and join.get('from_all_p50_ms') is not None:
        out.append({'goal': 'join: first frame from all 5 within 500 ms (p50)',
                    'value': join['from_all_p50_ms'], 'met': join['from_all_p50_ms'] <= GOALS['join_p50_ms']})
    latency = results.get('latency')
    if latency and latency.get('available'):
        for row in latency['rows']:
            if row['latency_setting_ms'] != 50 or row['p50_ms'] is None:
                continue
            out.append({'goal': 'glass-to-glass N=%d, 30 fps: p50 <= 60 ms, p95 <= 100 ms' % row['n'],
                        'value': 'p50 %s, p95 %s' % (row['p50_ms'], row['p95_ms']),
                        'met': row['p50_ms'] <= GOALS['latency_p50_ms'] and row['p95_ms'] <= GOALS['latency_p95_ms']})
    memory = results.get('memory')
    if memory and memory.get('rss_per_added_peer_mib') is not None:
        out.append({'goal': '<= 15 MiB RSS per added peer', 'value': memory['rss_per_added_peer_mib'],
                    'met': memory['rss_per_added_peer_mib'] <= GOALS['rss_per_peer_mib']})
        # "no growth": at most 2 MiB a process over all the cycles (allocator
        # noise), and under 0.1 MiB a cycle once warmed up
        steady = memory.get('growth_mib_per_cycle_steady')
        out.append({'goal': 'no RSS growth across the cycles', 'value': '%s MiB/process in all, %s MiB/cycle steady'
                    % (memory['growth_mib_per_process'], steady),
                    'met': steady is not None and steady < 0.1 and memory['growth_mib_per_process'] <= 2})
    return out


def short_name(name):
    # peers are named ROOM-INDEX: the index is enough inside one row
    return 'p' + name.rsplit('-', 1)[-1]


def fmt(value, missing='–'):
    return missing if value is None else str(value)


def markdown(results):
    lines = []
    m = results.get('machine', {})
    lines.append('Machine: %s, %s cores, %s GiB, %s, kernel %s, GStreamer %s; commit %s%s; %s.'
                 % (m.get('cpu'), m.get('cores'), m.get('memory_gib'), m.get('os'), m.get('kernel'),
                    m.get('gstreamer'), m.get('commit') or '(none)', ' (uncommitted changes)' if m.get('dirty') else '',
                    m.get('date')))
    mesh = results.get('mesh')
    if mesh:
        lines += ['', '### 1. Mesh scaling (%s, %d fps, audio on, %d s window after %d s warm-up)'
                  % (mesh['size'], mesh['fps'], mesh['window_s'], mesh['warmup_s']), '',
                  '| N | streams | total CPU (cores) | per participant | browser mesh | fps min | fps median | streams ≥ 90 % | RSS/process (MiB) |',
                  '|---|---|---|---|---|---|---|---|---|']
        for r in mesh['rows']:
            lines.append('| %d | %d | %.2f | %.3f | %s | %s | %s | %d/%d | %s |'
                         % (r['n'], r['streams'], r['cpu_total_cores'], r['cpu_per_participant_cores'],
                            fmt(BROWSER_CORES.get(r['n'])), fmt(r['fps_min']), fmt(r['fps_median']),
                            r['streams_at_90pct'], r['streams'], fmt(r['rss_mib_mean'])))
        lines += ['', 'Largest N with every stream ≥ 90 %% of the sent rate: **%s**. RSS per added peer (slope over N): %s MiB.'
                  % (fmt(mesh['largest_n_all_streams_90pct'], 'none'), fmt(mesh['rss_mib_per_added_peer']))]
    enc = results.get('encode')
    if enc:
        lines += ['', '### 2. Encode once vs once per peer (N = %d)' % enc['n'], '',
                  '| mode | video encoders/process | total CPU (cores) | fps min | fps median |', '|---|---|---|---|---|']
        for label, r in (('once (Lattice)', enc['once']), ('once per peer (browser-like)', enc['per_peer'])):
            encoders = sorted(set(e for e in r['video_encoders_per_process'] if e is not None))
            lines.append('| %s | %s | %.2f | %s | %s |' % (label, ','.join(map(str, encoders)) or '–',
                                                           r['cpu_total_cores'], fmt(r['fps_min']), fmt(r['fps_median'])))
        lines += ['', 'CPU ratio, once per peer / once: **%s×**.' % fmt(enc['cpu_ratio_per_peer_over_once'])]
    join = results.get('join')
    if join:
        lines += ['', '### 3. Join time (%d joins into a room of %d talking)' % (join['joins'], join['room']), '',
                  '| | p50 (ms) | p95 (ms) |', '|---|---|---|',
                  '| newcomer decoded a first frame from all %d | %s | %s |' % (join['room'], fmt(join['from_all_p50_ms']), fmt(join['from_all_p95_ms'])),
                  '| all %d decoded a first frame from the newcomer | %s | %s |' % (join['room'], fmt(join['to_all_p50_ms']), fmt(join['to_all_p95_ms'])),
                  '', 'Joins complete: %d/%d. Median of single streams: %s ms; process start to join: %s ms (not counted).'
                  % (join['complete'], join['joins'], fmt(join['each_stream_p50_ms']), fmt(join['spawn_to_join_p50_ms']))]
    lat = results.get('latency')
    if lat:
        lines += ['', '### 4. Glass-to-glass latency (%s fps)' % lat.get('fps', 30), '']
        if not lat.get('available'):
            lines.append('Not measured: lattice-peer has no `--stamp-time` in this build.')
        else:
            lines += ['| N | jitterbuffer | streams | samples | p50 (ms) | p95 (ms) | max (ms) | worst stream p50 / p95 | fps min |',
                      '|---|---|---|---|---|---|---|---|---|']
            for r in lat['rows']:
                lines.append('| %d | %d ms | %d | %d | %s | %s | %s | %s / %s | %s |'
                             % (r['n'], r['latency_setting_ms'], r['streams'], r['samples'], fmt(r['p50_ms']),
                                fmt(r['p95_ms']), fmt(r['max_ms']), fmt(r['worst_stream_p50_ms']),
                                fmt(r['worst_stream_p95_ms']), fmt(r['fps_min'])))
            lines += ['', '<details><summary>Every stream (receiver ← sender)</summary>', '',
                      '| N | jitterbuffer | stream | samples | p50 (ms) | p95 (ms) | max (ms) |',
                      '|---|---|---|---|---|---|---|']
            for r in lat['rows']:
                for st in r['per_stream']:
                    lines.append('| %d | %d ms | %s ← %s | %d | %s | %s | %s |'
                                 % (r['n'], r['latency_setting_ms'], short_name(st['receiver']),
                                    short_name(st['sender']), st['samples'], fmt(st['p50_ms']),
                                    fmt(st['p95_ms']), fmt(st['max_ms'])))
            lines += ['', '</details>']
    mem = results.get('memory')
    if mem:
        lines += ['', '### 5. Memory over %d join/leave cycles (%d staying)' % (mem['cycles'], mem['staying']), '',
                  '| | MiB |', '|---|---|',
                  '| RSS of the staying processes before | %s |' % ', '.join(map(fmt, mem['rss_before_mib'])),
                  '| … after the %d cycles | %s |' % (mem['cycles'], ', '.join(map(fmt, mem['rss_after_mib']))),
                  '| growth per process, in all | %s |' % fmt(mem['growth_mib_per_process']),
                  '| growth per cycle, last two thirds | %s |' % fmt(mem['growth_mib_per_cycle_steady']),
                  '| RSS per added peer (median over cycles) | %s |' % fmt(mem['rss_per_added_peer_mib'])]
    imp = results.get('impair')
    if imp and imp.get('available'):
        lines += impair_markdown(imp)
    side = results.get('chromium')
    if side:
        lines += lattice_chromium.markdown(sys.modules[__name__], side)
    app = results.get('app')
    if app and app.get('rows'):
        lines += ['', '### 7. The app rendering a grid (Xvfb, window %s, %s fps)' % (app['window'], app['fps']), '',
                  lattice_app_bench.markdown(sys.modules[__name__], app).rstrip()]
    v = results.get('goals')
    if v:
        lines += ['', '### Goals', '', '| goal | measured | met |', '|---|---|---|']
        for g in v:
            lines.append('| %s | %s | %s |' % (g['goal'], g['value'], 'yes' if g['met'] else '**no**'))
    return '\n'.join(lines) + '\n'


def load_results(path=RESULTS):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save_results(results, path=RESULTS):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    results['goals'] = verdicts(results)
    with open(path, 'w') as f:
        json.dump(results, f, indent=1)
        f.write('\n')


# ---------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description='Lattice benchmarks (docs/BENCHMARKS.md)')
    parser.add_argument('what', choices=['all', 'mesh', 'encode', 'join', 'latency', 'memory', 'impair',
                                         'app', 'chromium', 'markdown'])
    parser.add_argument('--builddir', default=os.environ.get('LATTICE_BUILDDIR', os.path.join(SOURCE_ROOT, '_build')))
    # a run alongside other people's runs writes its own file, not theirs
    parser.add_argument('--results', default=RESULTS, help='the JSON file to update (default: %(default)s)')
    parser.add_argument('--skip', default='', help='with all: benchmarks to leave out, e.g. latency,memory')
    parser.add_argument('--quick', action='store_true', help='N <= 4, short windows (while others use the machine)')
    parser.add_argument('--sizes', default='2,4,6,8,10')
    parser.add_argument('--size', default='640x360')
    parser.add_argument('--fps', type=int, default=20)
    parser.add_argument('--view', default='1280x720',
                        help="each peer lays the app's grid out in a window this size and asks for "
                             "its tiles' sizes (lattice-peer --view); 'none': it asks nothing")
    parser.add_argument('--audio', default='talk',
                        help='test audio: talk (bursts and pauses, DTX in silence) or test (a steady tone)')
    parser.add_argument('--warmup', type=float, default=5.0)
    parser.add_argument('--window', type=float, default=20.0)
    parser.add_argument('--connect-timeout', type=float, default=30.0)
    parser.add_argument('--encode-n', type=int, default=6)
    parser.add_argument('--joins', type=int, default=12)
    parser.add_argument('--join-room', type=int, default=4,
                        help='participants talking when one more joins (4: a room of five)')
    parser.add_argument('--join-timeout', type=float, default=20.0)
    parser.add_argument('--latency-sizes', default='2,4')
    parser.add_argument('--latency-fps', type=int, default=30)
    parser.add_argument('--cycles', type=int, default=30)
    parser.add_argument('--memory-room', type=int, default=4)
    parser.add_argument('--memory-hold', type=float, default=2.0)
    parser.add_argument('--app-sizes', default='6,9', help='app: grids of these many participants')
    parser.add_argument('--app-renderers', default='cairo',
                        help="app: GTK renderers to measure, e.g. cairo,gl (gl runs on Mesa's software rasterizer here)")
    parser.add_argument('--impair-window', type=float, default=30.0)
    parser.add_argument('--chromium', default='/usr/bin/chromium', help='the browser of the chromium benchmark')
    parser.add_argument('--chromium-sizes', default='2,3,4,5,6,7,8,9,10')
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = '2,4'
        args.window = min(args.window, 10.0)
        args.warmup = min(args.warmup, 3.0)
        args.encode_n = min(args.encode_n, 4)
        args.joins = min(args.joins, 3)
        args.join_room = min(args.join_room, 3)
        args.latency_sizes = '2'
        args.cycles = min(args.cycles, 3)
        args.memory_room = min(args.memory_room, 2)
        args.impair_window = min(args.impair_window, 10.0)
        args.chromium_sizes = '2,4,6'
    args.sizes = [int(n) for n in args.sizes.split(',')]
    args.latency_sizes = [int(n) for n in args.latency_sizes.split(',')]
    args.chromium_sizes = [int(n) for n in args.chromium_sizes.split(',')]
    return args


# benchmarks that run only when asked for by name
NOT_IN_ALL = {'chromium'}


def wanted_name(args, name):
    if name in NOT_IN_ALL:
        return args.what == name
    return args.what == name or (args.what == 'all' and name not in set(args.skip.split(',')))


def main(argv):
    args = parse_args(argv)
    if args.what == 'markdown':
        sys.stdout.write(markdown(load_results(args.results)))
        return 0
    bench = Bench(args)
    PEER_MODEL[:] = ([] if args.view == 'none' else ['--view', args.view]) + ['--audio', args.audio]
    results = {} if args.what == 'all' else load_results(args.results)
    results['machine'] = machine_info(bench)
    results['machine']['peer_model'] = ' '.join(PEER_MODEL)
    for name in ('mesh', 'encode', 'join', 'latency', 'memory', 'impair', 'app', 'chromium'):
        if wanted_name(args, name):
            results.setdefault('runs', {})[name] = {'date': results['machine']['date'],
                                                   'commit': results['machine']['commit'],
                                                   'peer_model': results['machine']['peer_model'],
                                                   'load_at_start': results['machine']['load_at_start']}
    results['quick'] = args.quick
    started = time.monotonic()

    def wanted(name):
        return wanted_name(args, name)
    try:
        if wanted('mesh'):
            results['mesh'] = bench_mesh(bench)
        if wanted('encode'):
            results['encode'] = bench_encode(bench, results.get('mesh') if args.what == 'all' else None)
        if wanted('join'):
            results['join'] = bench_join(bench)
        if wanted('latency'):
            results['latency'] = bench_latency(bench)
        if wanted('memory'):
            results['memory'] = bench_memory(bench)
        if wanted('impair'):
            results['impair'] = bench_impair(bench)
        if wanted('app'):
            results['app'] = lattice_app_bench.bench_app(sys.modules[__name__], bench)
        if wanted('chromium'):
            results['chromium'] = lattice_chromium.bench_chromium(sys.modules[__name__], bench)
    finally:
        bench.stop_all()
    results['machine']['duration_s'] = round(time.monotonic() - started)
    save_results(results, args.results)
    print(markdown(results))
    log('Results: %s (logs of the processes: %s)' % (args.results, bench.logdir))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
