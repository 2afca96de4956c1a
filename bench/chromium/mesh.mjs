#!/usr/bin/env node
// mesh.mjs: what a Chromium mesh of N participants costs, in one headless page
//
// SPDX-License-Identifier: GPL-3.0-or-later
//
//   node bench/chromium/mesh.mjs --n 4 --video camera.y4m [--audio tone.wav]
//        [--size 640x360] [--fps 20] [--max-bitrate BPS] [--dtx] [--warmup 5] [--window 20]
//
// Starts Debian's chromium headless with a fake camera (the Y4M file, looped)
// and microphone (the WAV file, or Chromium's own beep), opens one page that
// holds all N participants (mesh-page.js), waits until every directed stream
// decodes video and audio, warms up, and measures one window: per stream the
// frames decoded per second, the decoded size and the bitrate received, and
// the CPU of every Chromium process (utime + stime from /proc/PID/stat, the
// whole process tree of the browser). Prints one JSON object on stdout;
// progress goes to stderr. bench/lattice_chromium.py runs it next to a
// Lattice mesh of the same size (docs/BENCHMARKS.md).
//
// Everything stays on the loopback interface: the script runs itself again
// in a network namespace of its own that has nothing but `lo` (unshare -n as
// root, unshare -rn otherwise), and Chromium is told to use loopback for
// WebRTC, which it otherwise leaves out.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE_ROOT = path.resolve(HERE, '..', '..');
const CLK_TCK = 100;  // USER_HZ: what /proc/PID/stat counts in on Linux

function log(...args) {
  console.error('mesh.mjs:', ...args);
}

function parseArgs(argv) {
  const o = {
    n: 2, size: '640x360', fps: 20, warmup: 5, window: 20, connectTimeout: 60,
    video: null, audio: null, maxBitrate: 0, chromium: '/usr/bin/chromium',
    viewport: '1280x720', keepNetwork: false, dtx: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) {
        throw new Error(`${a} needs a value`);
      }
      return argv[++i];
    };
    switch (a) {
      case '--n': o.n = parseInt(value(), 10); break;
      case '--size': o.size = value(); break;
      case '--fps': o.fps = parseInt(value(), 10); break;
      case '--warmup': o.warmup = parseFloat(value()); break;
      case '--window': o.window = parseFloat(value()); break;
      case '--connect-timeout': o.connectTimeout = parseFloat(value()); break;
      case '--video': o.video = path.resolve(value()); break;
      case '--audio': o.audio = path.resolve(value()); break;
      case '--max-bitrate': o.maxBitrate = parseInt(value(), 10); break;
      case '--chromium': o.chromium = value(); break;
      case '--viewport': o.viewport = value(); break;
      case '--dtx': o.dtx = true; break;
      // development only: stay in this network namespace
      case '--keep-network': o.keepNetwork = true; break;
      case '-h': case '--help':
        console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('\n').slice(1, 19).map(l => l.replace(/^\/\/ ?/, '')).join('\n'));
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  const [w, h] = o.size.split('x').map(Number);
  const [vw, vh] = o.viewport.split('x').map(Number);
  if (!(o.n >= 2) || !(w > 0 && h > 0) || !(vw > 0 && vh > 0) || !(o.fps > 0)) {
    throw new Error('bad --n, --size, --viewport or --fps');
  }
  Object.assign(o, { width: w, height: h, viewportWidth: vw, viewportHeight: vh });
  return o;
}

// ---------------------------------------------------------------------------
// The network namespace

function onlyLoopback() {
  return Object.values(os.networkInterfaces()).flat().every(i => i.internal);
}

// Runs this script again in the namespace and passes signals on to it: on
// SIGTERM Playwright there closes the browser, which would otherwise outlive
// us (it runs in a process group of its own).
function reexecInNamespace() {
  const unshare = process.getuid() === 0 ? ['-n'] : ['-rn'];
  const argv = [...unshare, '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"',
                process.execPath, ...process.execArgv, fileURLToPath(import.meta.url),
                ...process.argv.slice(2)];
  return new Promise(resolve => {
    const child = spawn('unshare', argv, { stdio: 'inherit', env: { ...process.env, LATTICE_MESH_NETNS: '1' } });
    const forward = signal => child.kill(signal);
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
      process.on(signal, forward);
    }
    child.on('error', e => {
      log(`cannot start unshare: ${e.message}`);
      resolve(3);
    });
    child.on('exit', code => resolve(code === null ? 1 : code));
  });
}

// ---------------------------------------------------------------------------
// CPU of a process tree, from /proc

function readStat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces and parentheses: count from the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: parseInt(fields[1], 10), ticks: parseInt(fields[11], 10) + parseInt(fields[12], 10) };
  } catch {
    return null;
  }
}

// utime + stime of @root and every process below it, per pid
function treeTicks(root) {
  const all = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(name)) {
      const s = readStat(name);
      if (s) {
        all.set(parseInt(name, 10), s);
      }
    }
  }
  const children = new Map();
  for (const [pid, s] of all) {
    if (!children.has(s.ppid)) {
      children.set(s.ppid, []);
    }
    children.get(s.ppid).push(pid);
  }
  const out = new Map();
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop();
    const s = all.get(pid);
    if (!s || out.has(pid)) {
      continue;
    }
    out.set(pid, s.ticks);
    todo.push(...(children.get(pid) || []));
  }
  return out;
}

function browserPid() {
  const tree = treeTicks(process.pid);
  for (const pid of tree.keys()) {
    if (pid !== process.pid && readStat(pid)?.ppid === process.pid && processName(pid) === 'browser') {
      return pid;
    }
  }
  return null;
}

function processName(pid) {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
    const type = cmdline.find(a => a.startsWith('--type='));
    const sub = cmdline.find(a => a.startsWith('--utility-sub-type='));
    return type ? type.slice(7) + (sub ? ':' + sub.slice(19).split('.').pop() : '') : 'browser';
  } catch {
    return 'gone';
  }
}

// CPU ticks the whole machine spent busy (all but idle and iowait)
function machineBusyTicks() {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return user + nice + system + irq + softirq + (steal || 0);
  } catch {
    return null;
  }
}

function loadavg() {
  try {
    return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

function perStream(before, after, seconds) {
  const key = e => `${e.receiver}<${e.sender}`;
  const earlier = new Map(before.map(e => [key(e), e]));
  return after.map(e => {
    const b = earlier.get(key(e)) || {};
    const row = { receiver: e.receiver, sender: e.sender, state: e.state, pair: e.pair };
    if (e.video && b.video && e.video.t > b.video.t) {
      const dt = (e.video.t - b.video.t) / 1000;
      row.fps = (e.video.framesDecoded - b.video.framesDecoded) / dt;
      row.framesDecoded = e.video.framesDecoded - b.video.framesDecoded;
      row.framesDropped = e.video.framesDropped - b.video.framesDropped;
      row.keyFrames = e.video.keyFramesDecoded - b.video.keyFramesDecoded;
      row.videoKbps = (e.video.bytes - b.video.bytes) * 8 / 1000 / dt;
      row.width = e.video.width;
      row.height = e.video.height;
      row.decoder = e.video.decoder;
      row.codec = e.video.codec || null;
      row.decodeMsPerFrame = row.framesDecoded > 0
        ? (e.video.totalDecodeTime - b.video.totalDecodeTime) * 1000 / row.framesDecoded : null;
      row.packetsLost = e.video.packetsLost - b.video.packetsLost;
      row.renderedFps = (e.presented - (b.presented || 0)) / dt;
    } else {
      row.fps = 0;
    }
    if (e.audio && b.audio && e.audio.t > b.audio.t) {
      const dt = (e.audio.t - b.audio.t) / 1000;
      row.audioSamplesPerS = (e.audio.samples - b.audio.samples) / dt;
      row.audioConcealedPct = e.audio.samples > b.audio.samples
        ? 100 * (e.audio.concealed - b.audio.concealed) / (e.audio.samples - b.audio.samples) : null;
      row.audioKbps = (e.audio.bytes - b.audio.bytes) * 8 / 1000 / dt;
      row.audioCodec = e.audio.codec || null;
    }
    if (e.send && b.send && e.send.t > b.send.t) {
      // what the receiver sends back the same way: its encoder for this sender
      const dt = (e.send.t - b.send.t) / 1000;
      row.reverseSend = {
        fps: (e.send.framesEncoded - b.send.framesEncoded) / dt,
        kbps: (e.send.bytes - b.send.bytes) * 8 / 1000 / dt,
        width: e.send.width, height: e.send.height, encoder: e.send.encoder,
        targetBitrate: e.send.targetBitrate, qualityLimitationReason: e.send.qualityLimitationReason,
      };
    }
    return row;
  });
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    log(e.message);
    return 2;
  }
  if (!options.keepNetwork && !process.env.LATTICE_MESH_NETNS && !onlyLoopback()) {
    return reexecInNamespace();
  }
  if (!onlyLoopback() && !options.keepNetwork) {
    log('this network namespace has interfaces other than loopback; refusing to run');
    return 3;
  }
  let chromium;
  try {
    // node_modules/ at the top of the source tree (build-aux/install-deps.sh)
    const require = createRequire(path.join(SOURCE_ROOT, 'package.json'));
    chromium = require('playwright-core').chromium;
  } catch (e) {
    log(`playwright-core is not installed (build-aux/install-deps.sh): ${e.message}`);
    return 4;
  }
  if (!fs.existsSync(options.chromium)) {
    log(`${options.chromium} is not installed (build-aux/install-deps.sh)`);
    return 4;
  }
  for (const file of [options.video, options.audio]) {
    if (file && !fs.existsSync(file)) {
      log(`${file} does not exist`);
      return 2;
    }
  }

  const args = [
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
    // WebRTC leaves the loopback interface out unless told; it is the only one
    // here. (Host candidates are addresses, not mDNS names, as the page has
    // camera and microphone: no --disable-features, which would replace
    // Playwright's own list, as Chromium takes only the last one.)
    '--allow-loopback-in-peer-connection',
    // a hidden or occluded page would throttle its timers and rendering
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
  ];
  if (options.video) {
    args.push(`--use-file-for-fake-video-capture=${options.video}`);
  }
  if (options.audio) {
    args.push(`--use-file-for-fake-audio-capture=${options.audio}`);
  }

  const startedAt = Date.now();
  const browser = await chromium.launch({
    executablePath: options.chromium,
    headless: true,
    args,
    // Playwright mutes audio in headless mode by default; keep the output
    // path as a call has it (there is no sound card: Chromium writes to a
    // fake output, at real-time pace)
    ignoreDefaultArgs: ['--mute-audio'],
  });
  const result = { n: options.n, streams: [], errors: [] };
  let exitStatus = 0;
  try {
    // Playwright's Browser does not give its process: it is this process's
    // child (the wrapper script /usr/bin/chromium execs the browser)
    const pid = browserPid();
    if (!pid) {
      throw new Error('no Chromium process found below this one');
    }
    result.browser = { version: browser.version(), executable: options.chromium, args };
    const context = await browser.newContext({
      viewport: { width: options.viewportWidth, height: options.viewportHeight },
    });
    const page = await context.newPage();
    page.on('console', msg => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        log(`page ${msg.type()}: ${msg.text()}`);
      }
    });
    page.on('pageerror', e => log(`page error: ${e.message}`));
    // served from memory: http://localhost is a secure context, as getUserMedia needs
    const script = fs.readFileSync(path.join(HERE, 'mesh-page.js'), 'utf8');
    const html = '<!doctype html><html><head><meta charset="utf-8"><title>Lattice bench: Chromium mesh</title>'
      + '<style>html,body{margin:0;height:100%;background:#000;overflow:hidden}'
      + '#grid{display:grid;width:100vw;height:100vh;gap:1px}'
      + 'video{width:100%;height:100%;min-height:0;min-width:0;object-fit:cover}</style></head>'
      + '<body><div id="grid"></div><script src="/mesh-page.js"></script></body></html>';
    await page.route('http://localhost/**', route => {
      const url = new URL(route.request().url());
      if (url.pathname === '/mesh-page.js') {
        return route.fulfill({ contentType: 'text/javascript', body: script });
      }
      return route.fulfill({ contentType: 'text/html', body: html });
    });
    await page.goto('http://localhost/mesh');

    const opened = await page.evaluate(o => window.mesh.start(o), {
      n: options.n, width: options.width, height: options.height, fps: options.fps,
      maxBitrate: options.maxBitrate, dtx: options.dtx,
    });
    log(`${opened.participants} participants, ${opened.pairs} pairs`);

    // every directed stream decodes video and audio, or the time is up
    const want = options.n * (options.n - 1);
    const deadline = Date.now() + options.connectTimeout * 1000;
    let flow = null;
    for (;;) {
      flow = await page.evaluate(() => window.mesh.flowing());
      if ((flow.video >= want && flow.audio >= want) || Date.now() > deadline) {
        break;
      }
      await sleep(1000);
    }
    result.connect_s = (Date.now() - startedAt) / 1000;
    result.all_connected = flow.video >= want && flow.audio >= want;
    if (!result.all_connected) {
      log(`not every stream started: ${JSON.stringify(flow)} of ${want}; measuring anyway`);
    }
    await sleep(options.warmup * 1000);

    result.load_before = loadavg();
    const ticks0 = treeTicks(pid);
    const busy0 = machineBusyTicks();
    const node0 = process.cpuUsage();
    const t0 = Date.now();
    const before = await page.evaluate(() => window.mesh.stats());
    await sleep(options.window * 1000);
    const after = await page.evaluate(() => window.mesh.stats());
    const t1 = Date.now();
    const ticks1 = treeTicks(pid);
    const busy1 = machineBusyTicks();
    const node1 = process.cpuUsage(node0);
    result.load_after = loadavg();
    const seconds = (t1 - t0) / 1000;

    // processes that started during the window count from zero; those that
    // ended during it are not counted (none do once the call runs)
    const byType = {};
    let total = 0;
    for (const [p, ticks] of ticks1) {
      const spent = (ticks - (ticks0.get(p) || 0)) / CLK_TCK / seconds;
      total += spent;
      const type = processName(p);
      byType[type] = (byType[type] || 0) + spent;
    }
    result.window_s = seconds;
    result.cpu_total_cores = total;
    result.cpu_by_process_type = byType;
    result.processes = ticks1.size;
    result.processes_ended_in_window = [...ticks0.keys()].filter(p => !ticks1.has(p)).length;
    result.driver_cpu_cores = (node1.user + node1.system) / 1e6 / seconds;
    // the whole machine: what is not Chromium's nor this script's was
    // someone else's, and was taken from the call
    result.machine_busy_cores = busy0 === null || busy1 === null ? null : (busy1 - busy0) / CLK_TCK / seconds;
    result.streams = perStream(before, after, seconds);
    result.errors = await page.evaluate(() => window.mesh.errors);
    await page.evaluate(() => window.mesh.stop());
  } catch (e) {
    log(`failed: ${e.stack || e.message}`);
    result.errors.push(String(e.message || e));
    exitStatus = 1;
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  return exitStatus;
}

main().then(status => process.exit(status), e => {
  log(e.stack || e.message);
  process.exit(1);
});
