# lattice_app_bench.py: what the real app costs, rendering a grid under Xvfb
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The `lattice` app joins a room of N-1 lattice-peer processes inside its
# own Xvfb (1280x800, the window 1280x760), with test sources, and the CPU
# of the app is set against that of the headless peers in the same room:
# the app decodes the same streams, and on top uploads and draws them
# (GTK's renderer: cairo by default here, there being no GPU; `gl` runs on
# Mesa's software rasterizer). Per tile: (app - peer) / (N - 1).
#
# Used by lattice-bench.py ("app"); `lb` is that module.

import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

WINDOW = (1280, 760)
SCREEN = '1280x800x24'


def start_xvfb(logdir):
    """An Xvfb of our own on a free display; (process, display) or None."""
    xvfb = shutil.which('Xvfb')
    if xvfb is None:
        return None
    for number in range(90, 130):
        if os.path.exists('/tmp/.X11-unix/X%d' % number) or os.path.exists('/tmp/.X%d-lock' % number):
            continue
        err = open(os.path.join(logdir, 'xvfb.err'), 'wb')
        proc = subprocess.Popen([xvfb, ':%d' % number, '-screen', '0', SCREEN, '-nolisten', 'tcp'],
                                stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists('/tmp/.X11-unix/X%d' % number):
                return proc, ':%d' % number
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        proc.kill()
        proc.wait()
    return None


class App(object):
    """The lattice app with its debug report (ui/lattice-debug-report.h)."""

    def __init__(self, lb, bench, link, display, renderer):
        self.workdir = tempfile.mkdtemp(prefix='lattice-app-bench-', dir=bench.logdir)
        self.report = os.path.join(self.workdir, 'report')
        config = os.path.join(self.workdir, 'config', 'glib-2.0', 'settings')
        os.makedirs(config)
        with open(os.path.join(config, 'keyfile'), 'w') as f:
            f.write('[io/github/latticecall/Lattice]\nwindow-width=%d\nwindow-height=%d\n' % WINDOW)
        env = dict(os.environ)
        env.update({
            'DISPLAY': display,
            'GDK_BACKEND': 'x11',
            'GSK_RENDERER': renderer,
            'GSETTINGS_BACKEND': 'keyfile',
            'GSETTINGS_SCHEMA_DIR': os.path.join(bench.args.builddir, 'data'),
            'XDG_CONFIG_HOME': os.path.join(self.workdir, 'config'),
            'XDG_DATA_HOME': os.path.join(self.workdir, 'data'),
            'LATTICE_TEST_SOURCES': '1',
            'LATTICE_DEBUG_REPORT': self.report,
            'NO_AT_BRIDGE': '1',
            'GTK_A11Y': 'none',
        })
        env.pop('DBUS_SESSION_BUS_ADDRESS', None)
        binary = os.path.join(bench.args.builddir, 'ui', 'lattice')
        self.stderr = open(os.path.join(bench.logdir, 'app-%s.err' % renderer), 'wb')
        self.popen = subprocess.Popen([binary, link], env=env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=self.stderr)
        self.pid = self.popen.pid
        self.cpu_ticks = lb.Proc.cpu_ticks.__get__(self)
        self.rss_kib = lb.Proc.rss_kib.__get__(self)

    def read(self):
        try:
            with open(self.report + '.json') as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def remote_tiles(self):
        report = self.read() or {}
        return [t for t in report.get('tiles', []) if not t.get('is-self')]

    def stop(self):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.stderr.close()


def wait_tiles(app, n_remote, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tiles = app.remote_tiles()
        if len(tiles) == n_remote and all(t.get('showing-video') for t in tiles):
            return True
        if app.popen.poll() is not None:
            return False
        time.sleep(0.25)
    return False


def run_one(lb, bench, n, renderer, display):
    args = bench.args
    server = bench.server()
    room = bench.room('app%d%s' % (n, renderer))
    extra = lb.peer_args(fps=args.fps)
    peers = lb.start_mesh(bench, server, n - 1, room, extra)
    lb.wait_mesh(peers, args.connect_timeout + 3 * n)
    app = App(lb, bench, server.link(room), display, renderer)
    shown = wait_tiles(app, n - 1, args.connect_timeout + 3 * n)
    if not shown:
        lb.log('  app N=%d (%s): not every tile showed video; measuring anyway' % (n, renderer))
    time.sleep(args.warmup)
    tiles0 = {t['id']: t.get('frames', 0) for t in app.remote_tiles()}
    app0 = app.cpu_ticks()
    window = lb.measure_window(bench, peers, args.window)
    app1 = app.cpu_ticks()
    tiles1 = {t['id']: t for t in app.remote_tiles()}
    app_cores = ((app1 or 0) - (app0 or 0)) / lb.CLK_TCK / window['seconds']
    rss = app.rss_kib()
    tile_fps = [(tiles1[i].get('frames', 0) - tiles0.get(i, 0)) / window['seconds'] for i in tiles1]
    sizes = sorted({'%dx%d' % (t.get('width', 0), t.get('height', 0)) for t in tiles1.values()})
    app.stop()
    bench.stop_all()
    peer_cores = statistics.median(window['cpu']) if window['cpu'] else None
    per_tile = (app_cores - peer_cores) / (n - 1) if peer_cores is not None and n > 1 else None
    row = {
        'n': n, 'renderer': renderer, 'all_tiles_shown': shown,
        'app_cores': lb.rounded(app_cores, 3),
        'peer_cores_median': lb.rounded(peer_cores, 3),
        'app_over_peer_per_tile_cores': lb.rounded(per_tile, 4),
        'app_rss_mib': lb.rounded((rss or 0) / 1024.0),
        'tile_fps_min': lb.rounded(min(tile_fps)) if tile_fps else None,
        'tile_fps_median': lb.rounded(statistics.median(tile_fps)) if tile_fps else None,
        'tile_sizes': sizes,
        'peer_fps_min': lb.rounded(min(window['rates'].values())) if window['rates'] else None,
        'total_cores': lb.rounded(app_cores + sum(window['cpu']), 3),
    }
    lb.log('  app N=%d %-5s app %.3f cores, peer median %.3f, per tile +%s; tiles %s at %s-%s fps'
           % (n, renderer, app_cores, peer_cores or 0, row['app_over_peer_per_tile_cores'], sizes,
              row['tile_fps_min'], row['tile_fps_median']))
    return row


def bench_app(lb, bench):
    args = bench.args
    binary = os.path.join(args.builddir, 'ui', 'lattice')
    if not os.path.exists(binary):
        lb.log('App: %s is not built; skipped' % binary)
        return {'skipped': 'the app is not built'}
    xvfb = start_xvfb(bench.logdir)
    if xvfb is None:
        lb.log('App: Xvfb is missing (Debian package xvfb); skipped')
        return {'skipped': 'no Xvfb'}
    proc, display = xvfb
    sizes = [int(n) for n in args.app_sizes.split(',')]
    renderers = args.app_renderers.split(',')
    lb.log('App under Xvfb: grids of %s, window %dx%d, renderers %s' % (sizes, WINDOW[0], WINDOW[1], renderers))
    rows = []
    try:
        for renderer in renderers:
            for n in sizes:
                rows.append(run_one(lb, bench, n, renderer, display))
    finally:
        proc.terminate()
        proc.wait()
    return {'window': '%dx%d' % WINDOW, 'fps': args.fps, 'rows': rows}


def markdown(lb, app):
    if not app or 'rows' not in app:
        return ''
    out = ['| N | renderer | app (cores) | lattice-peer (cores, median) | app − peer per tile (cores) | tiles | tile fps min / median | app RSS (MiB) |',
           '|---|---|---|---|---|---|---|---|']
    for r in app['rows']:
        out.append('| %d | %s | %s | %s | %s | %s | %s / %s | %s |' % (
            r['n'], r['renderer'], lb.fmt(r['app_cores']), lb.fmt(r['peer_cores_median']),
            lb.fmt(r['app_over_peer_per_tile_cores']), ', '.join(r['tile_sizes']),
            lb.fmt(r['tile_fps_min']), lb.fmt(r['tile_fps_median']), lb.fmt(r['app_rss_mib'])))
    return '\n'.join(out) + '\n'
