#!/usr/bin/env node
// `npm run bench -- --only=threads200` (or `node bench/threads200.mjs [--quick]` after `npm run build`):
// load (issue 21, point 7; issue 18). `pyprof record --pid` at 1 kHz of
//   - 200 threads (bench/fixtures/many_threads.py: short bursts of work between short sleeps), in
//     each mode: default (idle threads dropped: each thread's /proc state read every sample, and
//     only running threads' stacks walked), --idle (every stack walked, no state read) and --gil
//     (only the GIL holder's stack walked and its state read);
//   - thread churn (bench/fixtures/thread_churn.py: 50 keepers each starting short-lived threads
//     one after another, so the thread list changes between most samples), --idle and default:
//     errors per run (threads that vanish between listing and reading must cost none).
// Beside it austin at the same interval, when built (AUSTIN=path, else `austin` on PATH, else
// /tmp/austin-src/src/austin or /tmp/austin-src/austin): its CPU (bash `times` of the run) and, in
// its default all-threads mode (like --idle), its rate = samples / sampled threads / its sampling
// duration; with -s (like our default) and -g (like --gil) it counts no idle samples: no rate.
// Reported: the rate achieved (the CLI's own samples / sampling time, from the clock) and the
// sampler's CPU (% of one core, its process CPU time over the sampling time), medians of 3 runs,
// per CPython 3.8 / 3.12 / 3.13 (whichever are installed). PYPROF_BENCH_DIST=DIR measures another
// build; PYPROF_BENCH_BASE=DIR measures that build too, interleaved run by run on the same target
// (before/after on a shared machine: compare within the run).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { kill, median, startTarget, table } from './common.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = process.env.PYPROF_BENCH_DIST ? path.resolve(process.env.PYPROF_BENCH_DIST) : path.join(root, 'dist');
const cli = path.join(dist, 'cli.js');
const quick = process.argv.includes('--quick');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-bench-threads-'));
const fixture = (f) => path.join(root, 'bench/fixtures', f);
const D = quick ? 3 : 5;
const REPS = 3;

const base = process.env.PYPROF_BENCH_BASE ? path.join(path.resolve(process.env.PYPROF_BENCH_BASE), 'cli.js') : undefined;
const builds = [['pyprof', cli], ...(base ? [['pyprof (base)', base]] : [])];

function findAustin() {
  const onPath = spawnSync('sh', ['-c', 'command -v austin'], { encoding: 'utf8' }).stdout?.trim();
  return [process.env.AUSTIN, onPath, '/tmp/austin-src/src/austin', '/tmp/austin-src/austin'].find((c) => c && fs.existsSync(c));
}
const austin = findAustin();

const pythons = ['3.8', '3.12', '3.13']
  .map((minor) => {
    const root = '/root/.pyenv/versions';
    const v = fs.existsSync(root) ? fs.readdirSync(root).find((d) => d.startsWith(minor + '.')) : undefined;
    return v && { version: v, path: path.join(root, v, 'bin', 'python3') };
  })
  .filter(Boolean);

function record(cliPath, pid, extra) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, 'record', '--pid', String(pid), '--rate', '1000', '-d', String(D), '-f', 'collapsed', '-o', path.join(tmp, 'r.txt'), ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', () => resolve({
      hz: Number(/samples at (\d+) Hz/.exec(stderr)?.[1]),
      share: Number(/sampler CPU ([\d.]+)% of one core/.exec(stderr)?.[1]),
      errors: Number((/([\d,]+) errors/.exec(stderr)?.[1] ?? 'NaN').replace(/,/g, '')),
      stderr,
    }));
  });
}

/** austin at 1 ms for D s: CPU % of one core (bash `times`), and its rate where it counts every thread's samples. */
function runAustin(pid, flags) {
  return new Promise((resolve) => {
    const out = path.join(tmp, 'austin.txt');
    const sampled = (() => { try { return fs.readdirSync(`/proc/${pid}/task`).length; } catch { return NaN; } })();
    const args = [austin, '-i', '1000us', '-x', String(D), ...flags, '-p', String(pid), '-o', out].map((a) => `'${a}'`).join(' ');
    const child = spawn('bash', ['-c', `${args}; rc=$?; times >&3; exit $rc`], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '', times = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdio[3].on('data', (d) => (times += d));
    child.on('close', () => {
      fs.rmSync(out, { force: true });
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(times.trim());
      const cpu = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : NaN;
      const plain = stderr.replace(/\x1b\[[0-9;]*m/g, '');
      const samples = Number(/Error rate\s*:\s*\d+\s*\/\s*(\d+)/.exec(plain)?.[1]);
      const errors = Number(/Error rate\s*:\s*(\d+)/.exec(plain)?.[1]);
      const seconds = Number(/Sampling duration\s*:\s*([\d.]+)\s*s/.exec(plain)?.[1]);
      resolve({ hz: flags.length ? NaN : samples / sampled / seconds, share: (cpu / D) * 100, errors, stderr });
    });
  });
}

const rows = [];
for (const py of pythons) {
  // [label, script, args, pyprof flags, austin flags (undefined: no austin run)]
  for (const [label, script, args, extra, theirs] of [
    ['200 threads', 'many_threads.py', ['600', '200'], [], ['-s']],
    ['200 threads --idle', 'many_threads.py', ['600', '200'], ['--idle'], []],
    ['200 threads --gil', 'many_threads.py', ['600', '200'], ['--gil'], ['-g']],
    ['thread churn --idle', 'thread_churn.py', [String(REPS * (D + 3) * 3 + 10), '50'], ['--idle'], undefined],
    ['thread churn', 'thread_churn.py', [String(REPS * (D + 3) * 3 + 10), '50'], [], undefined],
  ]) {
    const child = await startTarget(py.path, [fixture(script), ...args]);
    try {
      const tools = [...builds.map(([name, c]) => [name, () => record(c, child.pid, extra)]), ...(austin && theirs ? [[`austin${theirs.length ? ' ' + theirs.join(' ') : ''}`, () => runAustin(child.pid, theirs)]] : [])];
      const xs = tools.map(() => []);
      for (let rep = 0; rep < REPS; rep++) for (let k = 0; k < tools.length; k++) xs[k].push(await tools[k][1]());
      tools.forEach(([name], k) => {
        const bad = xs[k].find((x) => !Number.isFinite(x.share));
        if (bad) console.error(`threads200: ${name} printed no summary: ${bad.stderr.slice(-300)}`);
        const hz = median(xs[k].map((x) => x.hz));
        rows.push([py.version, label, name, '1000 Hz', Number.isFinite(hz) ? `${Math.round(hz)} Hz` : '– (not counted)', `${median(xs[k].map((x) => x.share)).toFixed(1)} %`, xs[k].map((x) => x.errors).join(' / ')]);
      });
    } finally {
      kill(child);
    }
  }
}
console.log(`## 200 threads and thread churn at 1 kHz (record --pid, ${D} s, median of ${REPS}${builds.length > 1 ? ', builds interleaved run by run' : ''}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}: a shared 2-core machine, compare within this run)\n`);
console.log(table(['CPython', 'target', 'sampler', 'asked', 'achieved', 'sampler CPU (of one core)', 'errors per run'], rows));
console.log(`\naustin: ${austin ? `${austin} -i 1000us (-s: non-idle threads only, like our default; -g: the GIL holder only, like --gil)` : 'not built (looked for AUSTIN=path, austin on PATH, /tmp/austin-src/src/austin, /tmp/austin-src/austin)'}.`);
console.log('thread churn: bench/fixtures/thread_churn.py, 50 keepers each starting a short-lived thread after the last ended (thousands of threads a second).');
console.log();
fs.rmSync(tmp, { recursive: true, force: true });
