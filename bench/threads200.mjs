#!/usr/bin/env node
// `npm run bench -- --only=threads200` (or `node bench/threads200.mjs [--quick]` after `npm run build`):
// load (issue 21, point 7; issue 18). `pyprof record --pid` at 1 kHz of
//   - 200 threads (bench/fixtures/many_threads.py: short bursts of work between short sleeps),
//     default (idle threads dropped: their /proc state read) and --idle (no state read);
//   - thread churn (bench/fixtures/thread_churn.py: 50 keepers each starting short-lived threads
//     one after another, so the thread list changes between most samples): threads started, errors.
// Reported: the rate achieved (the CLI's own samples / sampling time, from the clock) and the
// sampler's CPU (% of one core, its process CPU time over the sampling time), medians of 3 runs,
// per CPython 3.8 / 3.12 / 3.13 (whichever are installed). PYPROF_BENCH_DIST=DIR measures another build.
import { spawn } from 'child_process';
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

const pythons = ['3.8', '3.12', '3.13']
  .map((minor) => {
    const base = '/root/.pyenv/versions';
    const v = fs.existsSync(base) ? fs.readdirSync(base).find((d) => d.startsWith(minor + '.')) : undefined;
    return v && { version: v, path: path.join(base, v, 'bin', 'python3') };
  })
  .filter(Boolean);

function record(pid, extra) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'record', '--pid', String(pid), '--rate', '1000', '-d', String(D), '-f', 'collapsed', '-o', path.join(tmp, 'r.txt'), ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
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

const rows = [];
for (const py of pythons) {
  for (const [label, script, args, extra] of [
    ['200 threads', 'many_threads.py', ['600', '200'], []],
    ['200 threads --idle', 'many_threads.py', ['600', '200'], ['--idle']],
    ['thread churn', 'thread_churn.py', [String(REPS * (D + 3) + 10), '50'], ['--idle']],
  ]) {
    const child = await startTarget(py.path, [fixture(script), ...args]);
    let started = '';
    child.stdout.on('data', (d) => (started += d));
    try {
      const xs = [];
      for (let rep = 0; rep < REPS; rep++) xs.push(await record(child.pid, extra));
      const bad = xs.find((x) => !Number.isFinite(x.hz));
      if (bad) console.error(`threads200: a run printed no summary: ${bad.stderr.slice(-300)}`);
      rows.push([py.version, label, '1000 Hz', `${Math.round(median(xs.map((x) => x.hz)))} Hz`, `${median(xs.map((x) => x.share)).toFixed(1)} %`, xs.map((x) => x.errors).join(' / ')]);
    } finally {
      kill(child);
    }
  }
}
console.log(`## 200 threads and thread churn at 1 kHz (pyprof record --pid, ${D} s, median of ${REPS}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}: a shared 2-core machine, compare within this run)\n`);
console.log(table(['CPython', 'target', 'asked', 'achieved', 'sampler CPU (of one core)', 'errors per run'], rows));
console.log('\nthread churn: bench/fixtures/thread_churn.py, 50 keepers each starting a short-lived thread after the last ended (thousands of threads a second), recorded with --idle.');
console.log();
fs.rmSync(tmp, { recursive: true, force: true });
