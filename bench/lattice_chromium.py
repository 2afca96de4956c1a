# lattice_chromium.py: a Chromium mesh and a Lattice mesh, side by side
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The `chromium` benchmark of lattice-bench.py (docs/BENCHMARKS.md, "Lattice
# and Chromium side by side"). For each N, in the same run and one right
# after the other:
#
#   - a Chromium mesh of N: bench/chromium/mesh.mjs drives Debian's chromium
#     (playwright-core, headless), one page holding N participants, each with
#     its own getUserMedia stream from Lattice's synthetic camera (a Y4M file
#     made by lattice-testsrc-y4m) and a 440 Hz tone, VP8, every received
#     video playing in a <video>;
#   - a Lattice mesh of N: N lattice-peer processes, the same size, rate and
#     audio, with --view 1280x720 when lattice-peer has it.
#
# Both are measured over the same window: CPU of every process (Chromium's
# whole process tree; the N peers), frames decoded per second of each
# directed stream, its decoded size and received bitrate.
#
# lattice-bench.py passes itself in as `lb` (its file name has a hyphen, so
# this module cannot import it).

import collections
import json
import math
import os
import random
import shutil
import signal
import statistics
import struct
import subprocess
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(HERE)
MESH_SCRIPT = os.path.join(HERE, 'chromium', 'mesh.mjs')

VIEW = '1280x720'        # the window lattice-peer lays its grid in, and Chromium's viewport
MEDIA_SECONDS = 30       # Chromium loops the camera file
TALK_SECONDS = 60        # the talking voice, looped by Chromium
TONE_SECONDS = 10        # a whole number of 440 Hz periods: the loop has no click


def nominal_bitrate(width, height, fps):
    """The bitrate of Lattice's full layer (media/lattice-video-encoders.c,
    lattice_video_encoders_nominal_bitrate): 800 kbit/s at 640x360@30, in
    proportion to pixels per second, 150 kbit/s to 4 Mbit/s. Chromium's
    encoders are capped at it (RTCRtpSender.setParameters maxBitrate), so both
    send the same bits for the same picture."""
    scale = width * height * fps / (640.0 * 360 * 30)
    return int(min(max(800000 * scale, 150000), 4000000))


def missing_requirements(bench):
    """What the Chromium side lacks, as a sentence, or None."""
    args = bench.args
    if not os.access(args.chromium, os.X_OK):
        return '%s is not installed (build-aux/install-deps.sh installs Debian\'s chromium)' % args.chromium
    if shutil.which('node') is None:
        return 'node is not installed'
    if not os.path.isdir(os.path.join(SOURCE_ROOT, 'node_modules', 'playwright-core')):
        return 'node_modules/playwright-core is missing (build-aux/install-deps.sh runs npm ci)'
    if not os.access(testsrc_y4m(bench), os.X_OK):
        return '%s is not built' % testsrc_y4m(bench)
    if shutil.which('unshare') is None:
        return 'unshare (util-linux) is missing: mesh.mjs keeps Chromium on loopback in a network namespace'
    return None


def testsrc_y4m(bench):
    return os.path.join(os.path.abspath(bench.args.builddir), 'bench', 'lattice-testsrc-y4m')


def peer_has_view(bench):
    out = subprocess.run([bench.peer_bin, '--help'], capture_output=True, text=True)
    return '--view' in out.stdout


def lattice_model(lb, bench):
    """(the options every lattice-peer of the Lattice side gets besides its
    size and rate, the --view among them or None). lattice-bench.py's
    PEER_MODEL, where it has one (its --view and --audio), else --view
    1280x720; --view only when this lattice-peer has it."""
    model = getattr(lb, 'PEER_MODEL', None)
    if model is None:
        model, view = [], VIEW
    else:
        model = list(model)
        view = model[model.index('--view') + 1] if '--view' in model else None
        if view is not None:
            del model[model.index('--view'):model.index('--view') + 2]
    if not peer_has_view(bench):
        view = None
    return model + (['--view', view] if view else []), view


def make_media(bench, width, height, fps):
    """The Y4M camera and the WAV tone Chromium gets as its fake devices."""
    video = os.path.join(bench.logdir, 'camera-%dx%d-%d.y4m' % (width, height, fps))
    subprocess.run([testsrc_y4m(bench), '--size', '%dx%d' % (width, height), '--fps', str(fps),
                    '--seconds', str(MEDIA_SECONDS), video], check=True, stdout=subprocess.DEVNULL)
    rate = 48000
    if bench.args.audio == 'talk':
        # lattice-peer --audio talk (media/lattice-test-audio.c): a sawtooth
        # near a speaking voice's pitch in spurts of 0.5-3 s, pauses of
        # 1-10 s of silence; one minute of it, which Chromium loops
        audio = os.path.join(bench.logdir, 'talk.wav')
        samples = talk_samples(rate, TALK_SECONDS)
    else:
        # lattice-peer's tone: audiotestsrc's default 440 Hz sine at volume 0.1
        audio = os.path.join(bench.logdir, 'tone.wav')
        samples = (int(0.1 * 32767 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate * TONE_SECONDS))
    with wave.open(audio, 'wb') as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b''.join(struct.pack('<h', s) for s in samples))
    return video, audio


def talk_samples(rate, seconds):
    """The samples of lattice-peer --audio talk's schedule and voice."""
    rand = random.Random(14)
    out = []
    talking, phase, glide = True, 0.0, 0.0
    while len(out) < rate * seconds:
        length = int(rate * (rand.uniform(0.5, 3.0) if talking else rand.uniform(1.0, 10.0)))
        ramp = rate // 100
        for i in range(length):
            if not talking:
                out.append(0)
                continue
            pitch = 140.0 * (1.0 + 0.15 * math.sin(glide))
            syllables = 0.55 + 0.45 * math.sin(2 * math.pi * 4.0 * i / rate)
            envelope = min(1.0, i / ramp, (length - i) / ramp)
            out.append(int((2.0 * phase - 1.0) * 0.2 * syllables * envelope * 32767))
            phase = (phase + pitch / rate) % 1.0
            glide += 2 * math.pi * 0.7 / rate
        talking = not talking
    return out[:rate * seconds]


def machine_busy_ticks():
    """CPU ticks the whole machine spent busy (all but idle and iowait)."""
    with open('/proc/stat') as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    steal = fields[7] if len(fields) > 7 else 0
    return user + nice + system + irq + softirq + steal


def others_cores(busy, ours):
    """Cores the rest of the machine used while we measured (not below 0)."""
    if busy is None or ours is None:
        return None
    return max(0.0, busy - ours)


def loadavg():
    with open('/proc/loadavg') as f:
        return f.read().split()[:3]


def size_counts(sizes):
    """'640x360 ×28, 320x180 ×2', most frequent first."""
    counts = collections.Counter(sizes)
    return ', '.join('%s ×%d' % (s, c) for s, c in counts.most_common())


def summary(lb, cores, streams, n):
    """The figures both sides report, from per-stream rows with fps, kbps, size."""
    rates = [s['fps'] for s in streams]
    kbps = [s['kbps'] for s in streams if s.get('kbps') is not None]
    decoded = sum(rates)
    return {
        'cpu_total_cores': lb.rounded(cores, 3),
        'streams': len(streams),
        'streams_expected': n * (n - 1),
        'fps_min': lb.rounded(min(rates)) if rates else None,
        'fps_median': lb.rounded(statistics.median(rates)) if rates else None,
        'decoded_fps_total': lb.rounded(decoded),
        'cpu_ms_per_decoded_frame': lb.rounded(cores * 1000.0 / decoded, 2) if decoded else None,
        'kbps_min': lb.rounded(min(kbps), 0) if kbps else None,
        'kbps_median': lb.rounded(statistics.median(kbps), 0) if kbps else None,
        'kbps_max': lb.rounded(max(kbps), 0) if kbps else None,
        'sizes': size_counts(s['size'] for s in streams),
    }


def run_chromium(lb, bench, n, media, max_bitrate):
    args = bench.args
    width, height = (int(v) for v in args.size.split('x'))
    argv = ['node', MESH_SCRIPT, '--n', str(n), '--size', args.size, '--fps', str(args.fps),
            '--video', media[0], '--audio', media[1], '--max-bitrate', str(max_bitrate),
            '--warmup', str(args.warmup), '--window', str(args.window),
            '--connect-timeout', str(args.connect_timeout + 3 * n),
            '--chromium', args.chromium, '--viewport', VIEW]
    if args.audio == 'talk':
        # DTX in silence, as Lattice sends it
        argv.append('--dtx')
    load = loadavg()
    err_path = os.path.join(bench.logdir, 'chromium-%d.err' % n)
    # on a machine this busy, getStats of 90 connections can take a while
    timeout = args.connect_timeout + 3 * n + args.warmup + args.window + 120
    with open(err_path, 'wb') as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            stdout, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # SIGTERM, not SIGKILL: mesh.mjs passes it on, and Playwright then
            # closes the browser, which runs in a process group of its own
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
            return {'error': 'mesh.mjs did not finish in %d s (see %s)' % (timeout, err_path), 'load_before': load}
    with open(os.path.join(bench.logdir, 'chromium-%d.json' % n), 'wb') as copy:
        copy.write(stdout)
    try:
        raw = json.loads(stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {'error': 'mesh.mjs exited with %d and printed no result (see %s)' % (proc.returncode, err_path),
                'load_before': load}
    if 'cpu_total_cores' not in raw:
        return {'error': 'mesh.mjs: %s (see %s)' % ('; '.join(raw.get('errors', [])) or 'no figures', err_path),
                'load_before': load}
    streams = []
    for s in raw['streams']:
        streams.append({
            'receiver': 'p%d' % s['receiver'], 'sender': 'p%d' % s['sender'],
            'fps': s.get('fps', 0.0), 'kbps': s.get('videoKbps'),
            'size': '%dx%d' % (s.get('width', 0), s.get('height', 0)),
            'rendered_fps': s.get('renderedFps'),
            'audio_kbps': s.get('audioKbps'),
            'audio_samples_per_s': s.get('audioSamplesPerS'),
            'sent_size': '%dx%d' % (s['reverseSend']['width'], s['reverseSend']['height'])
            if s.get('reverseSend') else None,
            'send_limited_by': (s.get('reverseSend') or {}).get('qualityLimitationReason'),
            'decode_ms_per_frame': s.get('decodeMsPerFrame'),
            'codec': s.get('codec'),
        })
    result = summary(lb, raw['cpu_total_cores'], streams, n)
    rendered = [s['rendered_fps'] for s in streams if s['rendered_fps'] is not None]
    audio = [s['audio_kbps'] for s in streams if s['audio_kbps'] is not None]
    by_type = {k: lb.rounded(v, 3) for k, v in sorted(raw['cpu_by_process_type'].items(), key=lambda kv: -kv[1])}
    result.update({
        'version': raw['browser']['version'],
        'all_connected': raw.get('all_connected'),
        'connect_s': lb.rounded(raw.get('connect_s')),
        'window_s': lb.rounded(raw.get('window_s')),
        'load_before': load,
        'load_window': [raw.get('load_before'), raw.get('load_after')],
        'cpu_by_process_type': by_type,
        'machine_busy_cores': lb.rounded(raw.get('machine_busy_cores'), 3),
        'others_cores': lb.rounded(others_cores(raw.get('machine_busy_cores'),
                                                raw['cpu_total_cores'] + (raw.get('driver_cpu_cores') or 0)), 3),
        'cpu_gpu_process_cores': by_type.get('gpu-process'),
        'processes': raw.get('processes'),
        'driver_cpu_cores': lb.rounded(raw.get('driver_cpu_cores'), 3),
        'rendered_fps_median': lb.rounded(statistics.median(rendered)) if rendered else None,
        'audio_kbps_median': lb.rounded(statistics.median(audio)) if audio else None,
        'audio_streams_playing': sum(1 for s in streams if (s['audio_samples_per_s'] or 0) > 40000),
        'codecs': dict(collections.Counter(s['codec'] for s in streams)),
        'sent_sizes': size_counts(s['sent_size'] for s in streams if s['sent_size']),
        'encoders_limited': dict(collections.Counter(s['send_limited_by'] for s in streams)),
        'max_bitrate': max_bitrate,
        'errors': raw.get('errors', [])[:5],
        'per_stream': [{k: (lb.rounded(v, 1) if isinstance(v, float) else v) for k, v in s.items()}
                       for s in streams],
    })
    return result


def lattice_streams(lb, peers, t0, t1):
    """Per directed stream: fps, received video kbit/s and decoded size, from
    the stats lines that bracket the window (as lb.stream_rates does)."""
    names = {p.id: p.name for p in peers}
    streams = []
    for peer in peers:
        a, b = lb.last_stats_before(peer, t0), lb.last_stats_before(peer, t1)
        before = {s['id']: s for s in (a or {}).get('peers', [])}
        after = {s['id']: s for s in (b or {}).get('peers', [])}
        for sender in sorted(set(names) - {peer.id}):
            row = {'receiver': lb.short_name(peer.name), 'sender': lb.short_name(names[sender]),
                   'fps': 0.0, 'kbps': None, 'size': '0x0', 'audio_kbps': None}
            if a is not None and b is not None and sender in after and b['t'] > a['t']:
                seconds = (b['t'] - a['t']) / 1000.0
                v0 = before.get(sender, {}).get('video', {})
                v1 = after[sender].get('video', {})
                row['fps'] = (v1.get('frames', 0) - v0.get('frames', 0)) / seconds
                row['kbps'] = (v1.get('bytes', 0) - v0.get('bytes', 0)) * 8 / 1000.0 / seconds
                row['size'] = '%sx%s' % (v1.get('width', 0), v1.get('height', 0))
                au0 = before.get(sender, {}).get('audio', {})
                au1 = after[sender].get('audio', {})
                row['audio_kbps'] = (au1.get('bytes', 0) - au0.get('bytes', 0)) * 8 / 1000.0 / seconds
            streams.append(row)
    return streams


def run_lattice(lb, bench, n, model, view):
    args = bench.args
    load = loadavg()
    server = bench.server()
    room = bench.room('chromium-side%d' % n)
    peers = lb.start_mesh(bench, server, n, room, ['--size', args.size, '--fps', str(args.fps), *model])
    started = lb.now_ms()
    connected = lb.wait_mesh(peers, args.connect_timeout + 3 * n)
    connect_s = (lb.now_ms() - started) / 1000.0
    if not connected:
        lb.log('  Lattice N=%d: not every stream started within the timeout; measuring anyway' % n)
    time.sleep(args.warmup)
    load_window = loadavg()
    busy0, started_window = machine_busy_ticks(), time.monotonic()
    window = lb.measure_window(bench, peers, args.window)
    busy = (machine_busy_ticks() - busy0) / lb.CLK_TCK / (time.monotonic() - started_window)
    streams = lattice_streams(lb, peers, window['t0'], window['t1'])
    # what each sends: its layers' bitrates and which layer each receiver gets
    encoders = [(lb.last_stats_before(p, window['t1']) or {}).get('encoders', {}) for p in peers]
    layers = collections.Counter()
    for p in peers:
        for s in (lb.last_stats_before(p, window['t1']) or {}).get('peers', []):
            layers[(s.get('send') or {}).get('layer')] += 1
    errors = [e for p in peers for e in p.errors()]
    bench.stop_all()
    result = summary(lb, sum(window['cpu']), streams, n)
    audio = [s['audio_kbps'] for s in streams if s['audio_kbps'] is not None]
    full = [e.get('fullBitrate') for e in encoders if e.get('fullBitrate')]
    result.update({
        'view': view,
        'peer_args': ' '.join(model),
        'all_connected': connected,
        'connect_s': lb.rounded(connect_s),
        'window_s': lb.rounded(window['seconds']),
        'load_before': load,
        'load_window': [load_window, loadavg()],
        # over the window and the second after it that measure_window waits
        'machine_busy_cores': lb.rounded(busy, 3),
        'others_cores': lb.rounded(others_cores(busy, sum(window['cpu'])), 3),
        'layers_sent': dict(layers),
        'full_bitrate_median': statistics.median(full) if full else None,
        'audio_kbps_median': lb.rounded(statistics.median(audio)) if audio else None,
        'rss_mib_mean': lb.rounded(statistics.mean(window['rss_kib']) / 1024.0),
        'cpu_by_thread': window['threads'],
        'errors': errors[:5],
        'per_stream': [{k: (lb.rounded(v, 1) if isinstance(v, float) else v) for k, v in s.items()}
                       for s in streams],
    })
    return result


def ratio(lattice, chromium):
    """(Lattice cores per decoded frame) / (Chromium cores per decoded frame)."""
    lat, chr_ = lattice.get('cpu_ms_per_decoded_frame'), chromium.get('cpu_ms_per_decoded_frame')
    if not lat or not chr_:
        return None
    return round(lat / chr_, 2)


def bench_chromium(lb, bench):
    args = bench.args
    sizes = args.chromium_sizes
    lacking = missing_requirements(bench)
    if lacking:
        lb.log('Chromium side by side: skipped: %s' % lacking)
        return {'available': False, 'reason': lacking}
    machine = lb.machine_info(bench)
    started = time.monotonic()
    model, view = lattice_model(lb, bench)
    width, height = (int(v) for v in args.size.split('x'))
    max_bitrate = nominal_bitrate(width, height, args.fps)
    lb.log('Chromium and Lattice side by side: N = %s, %s, %d fps, audio on, %s'
           % (sizes, args.size, args.fps,
              'Lattice peers with --view %s' % view if view
              else 'Lattice peers without --view (%s)' % ('lattice-peer has none' if not peer_has_view(bench)
                                                          else 'as asked')))
    media = make_media(bench, width, height, args.fps)
    rows = []
    try:
        for n in sizes:
            chromium = run_chromium(lb, bench, n, media, max_bitrate)
            if 'error' in chromium:
                lb.log('  N=%-2d Chromium: %s' % (n, chromium['error']))
            else:
                lb.log('  N=%-2d Chromium %s: cpu %.2f cores, fps min %s median %s, %s decoded fps, '
                       '%s kbit/s median, %s (load %s)'
                       % (n, chromium['version'], chromium['cpu_total_cores'], chromium['fps_min'],
                          chromium['fps_median'], chromium['decoded_fps_total'], chromium['kbps_median'],
                          chromium['sizes'], ' '.join(chromium['load_before'])))
            time.sleep(2.0)
            lattice = run_lattice(lb, bench, n, model, view)
            lb.log('  N=%-2d Lattice: cpu %.2f cores, fps min %s median %s, %s decoded fps, '
                   '%s kbit/s median, %s (load %s)'
                   % (n, lattice['cpu_total_cores'], lattice['fps_min'], lattice['fps_median'],
                      lattice['decoded_fps_total'], lattice['kbps_median'], lattice['sizes'],
                      ' '.join(lattice['load_before'])))
            row = {'n': n, 'chromium': chromium, 'lattice': lattice,
                   'lattice_over_chromium_per_decoded_frame': ratio(lattice, chromium)}
            lb.log('  N=%-2d Lattice/Chromium CPU per decoded frame: %s' % (n, row['lattice_over_chromium_per_decoded_frame']))
            rows.append(row)
            time.sleep(2.0)
    finally:
        for path in media:
            if os.path.exists(path):
                os.unlink(path)
    return {
        'available': True, 'machine': machine, 'duration_s': round(time.monotonic() - started),
        'size': args.size, 'fps': args.fps, 'warmup_s': args.warmup,
        'window_s': args.window, 'view': view, 'lattice_peer_args': ' '.join(model), 'viewport': VIEW,
        'chromium_max_bitrate': max_bitrate, 'rows': rows,
    }


def markdown(lb, res):
    fmt = lb.fmt
    if not res.get('available'):
        return ['', '### Lattice and Chromium side by side', '', 'Not measured: %s.' % res.get('reason')]
    lines = ['', '### Lattice and Chromium side by side (%s, %d fps, audio on, %d s window after %d s warm-up)'
             % (res['size'], res['fps'], res['window_s'], res['warmup_s']), '']
    version = next((r['chromium'].get('version') for r in res['rows'] if r['chromium'].get('version')), None)
    m = res.get('machine', {})
    lines.append('Run of %s, commit %s%s, %s s, load average %s at the start.'
                 % (m.get('date'), m.get('commit'), ' (uncommitted changes)' if m.get('dirty') else '',
                    fmt(res.get('duration_s')), ' '.join(m.get('load_at_start') or [])))
    lines.append('')
    lines.append('Chromium %s (one headless page holding every participant, VP8 capped at %d kbit/s, every '
                 'received video in a `<video>` of a %s viewport) and Lattice (`lattice-peer` processes, %s), '
                 'one right after the other for each N. CPU: all of Chromium\'s processes / the N peers. '
                 'kbit/s: received video of one stream (median). Ratio: Lattice CPU per decoded frame over '
                 'Chromium\'s (below 1: Lattice spends less). Others\' CPU: what the rest of the machine '
                 'used during the window (/proc/stat less the measured processes): above a few hundredths, '
                 'something else took CPU from that run.'
                 % (fmt(version), res['chromium_max_bitrate'] // 1000, res['viewport'],
                    '`%s`' % res['lattice_peer_args'] if res.get('lattice_peer_args')
                    else '`--view %s`' % res['view'] if res.get('view') else 'without `--view`'))
    lines += ['', '| N | streams | CPU (cores) Chromium / Lattice | fps min / median Chromium | fps min / median Lattice '
              '| decoded fps Chromium / Lattice | kbit/s Chromium / Lattice | size received Chromium | '
              'size received Lattice | Lattice / Chromium per decoded frame | load before Chromium / Lattice | '
              'others\' CPU Chromium / Lattice |',
              '|---|---|---|---|---|---|---|---|---|---|---|---|']
    for r in res['rows']:
        c, l = r['chromium'], r['lattice']
        if 'error' in c:
            c = {'cpu_total_cores': None, 'streams': None, 'sizes': 'failed: ' + c['error'],
                 'load_before': c.get('load_before')}
        lines.append('| %d | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s | %s | %s | %s / %s | %s / %s |'
                     % (r['n'], fmt(c.get('streams')), fmt(l.get('streams')),
                        fmt(c.get('cpu_total_cores')), fmt(l.get('cpu_total_cores')),
                        fmt(c.get('fps_min')), fmt(c.get('fps_median')),
                        fmt(l.get('fps_min')), fmt(l.get('fps_median')),
                        fmt(c.get('decoded_fps_total')), fmt(l.get('decoded_fps_total')),
                        fmt(c.get('kbps_median')), fmt(l.get('kbps_median')),
                        c.get('sizes') or '–', l.get('sizes') or '–',
                        fmt(r.get('lattice_over_chromium_per_decoded_frame')),
                        (c.get('load_before') or ['–'])[0], (l.get('load_before') or ['–'])[0],
                        fmt(lb.rounded(c.get('others_cores'), 2)), fmt(lb.rounded(l.get('others_cores'), 2))))
    return lines
