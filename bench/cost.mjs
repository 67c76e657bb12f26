#!/usr/bin/env node
// `npm run bench -- --only=cost` (or `node bench/cost.mjs [--quick] [--hour] [--no-austin] [--parts=1,2,3,4,5]` after `npm run build`):
// what sampling costs the sampler itself (issue 18), beside baselines runnable here.
//   1. per sample, in-process (the engine's snapshot() back to back): CPU µs by stack depth 5 / 50 /
//      200 and CPython version, process_vm_readv calls (= koffi calls: it is the only native call
//      on the hot path) and /proc thread-state reads per sample; all syscalls per sample counted by
//      strace for one case; a C loop of process_vm_readv as the physical limit of one syscall.
//   2. whole process, as fast as it goes, pyprof record vs austin (if built): CPU per sample from the
//      difference between a long and a short run (start-up and exit cancel out), like with like:
//      every thread (pyprof --idle, austin's default) and threads on CPU only (pyprof's default, austin -s).
//   3. sampler CPU (% of one core, every thread of the sampler, steady state after a warm-up) at
//      100 Hz, 1 kHz and 10 kHz with 1 and 8 busy threads; 200 threads at 1 kHz with and without
//      --idle (issue 21, point 7): the rate achieved; C loops of sleep (+ one read) as the floor.
//   4. sampler RSS over a recording at 1 kHz and at 100 Hz of a stack that changes every sample
//      (speedscope output, so the timeline is kept): growth per sample after warm-up from a
//      least-squares fit, extrapolated to 1 h at 100 Hz. `node bench/cost.mjs --hour` records the
//      real hour at 100 Hz instead.
//   5. start-up and exit latency of `pyprof record -- python …`: command start → first sample,
//      the target's last line → profile file written → pyprof exited, whole-command wall time vs
//      unprofiled, `node -e 0` as the floor, and each part from the recorder's phase timestamps.
// Figures are medians of several runs. PYPROF_BENCH_DIST=DIR measures another build's dist/ (the
// before/after tables); AUSTIN=/path/to/austin (else `austin` on PATH, else /tmp/austin-src/austin or /tmp/austin-src/src/austin).
// austin 3.7.0 builds without autotools: git archive of P403n1x87/austin into /tmp/austin-src, then
//   cd /tmp/austin-src/src && gcc -I. -O3 -pthread -o ../austin argparse.c austin.c cache.c error.c \
//     logging.c stats.c platform.c py_proc_list.c py_proc.c py_thread.c -lm
import { spawn, spawnSync } from 'child_process';
import { createRequire } from 'module';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { performance } from 'perf_hooks';
import { allocatedPerCall, kill, median, startTarget, table } from './common.mjs';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = process.env.PYPROF_BENCH_DIST ? path.resolve(process.env.PYPROF_BENCH_DIST) : path.join(root, 'dist');
const cli = path.join(dist, 'cli.js');
const engine = require(path.join(dist, 'bench-engine.js'));
const quick = process.argv.includes('--quick');
const hour = process.argv.includes('--hour');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-bench-cost-'));
const fixture = (f) => path.join(root, 'bench/fixtures', f);
const REPS = quick ? 3 : 5;
const partsArg = process.argv.find((a) => a.startsWith('--parts='));
const parts = partsArg ? new Set(partsArg.slice(8).split(',').map(Number)) : undefined;
const part = (n) => !parts || parts.has(n);

// ---------- helpers ----------
function interpreters() {
  const base = '/root/.pyenv/versions';
  const out = [];
  if (fs.existsSync(base)) {
    for (const v of fs.readdirSync(base)) {
      const [maj, min] = v.split('.').map(Number);
      const p = [path.join(base, v, 'bin', 'python3'), path.join(base, v, 'bin', 'python')].find((x) => fs.existsSync(x));
      if (p && (maj === 2 || maj === 3)) out.push({ path: p, version: v, minor: min, old: maj === 2 || min < 8 });
    }
  }
  return out.sort((a, b) => a.version.localeCompare(b.version, 'en', { numeric: true }));
}
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
/** Runs a command; resolves with its output and its CPU seconds (user + sys, from bash's `times`). */
function runTimed(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const quoted = [cmd, ...args].map((a) => `'${String(a).replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('bash', ['-c', `${quoted}; rc=$?; times >&3; exit $rc`], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '', stderr = '', times = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdio[3].on('data', (d) => (times += d));
    child.on('close', (code) => {
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(times.trim());
      const cpu = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : NaN;
      resolve({ code, stdout, stderr, cpu });
    });
  });
}
function findAustin() {
  for (const c of [process.env.AUSTIN, spawnSync('sh', ['-c', 'command -v austin'], { encoding: 'utf8' }).stdout.trim(), '/tmp/austin-src/austin', '/tmp/austin-src/src/austin']) {
    if (c && fs.existsSync(c)) return c;
  }
  return undefined;
}
const rssKb = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return NaN;
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const allInterps = interpreters(); // per-sample cost: every version; the rest: 3.8+
const interps = allInterps.filter((i) => !i.old);
const primary = interps.find((i) => i.minor === 12) ?? interps.at(-1);
const austin = process.argv.includes('--no-austin') ? undefined : findAustin(); // --no-austin: the hour in 1 h, not 2
/** Figures the parts collect for the closing side-by-side table (issue 18's). */
const summary = { perSample: [], rates: [], rss: undefined, startup: undefined };
console.log(`## Sampler cost (issue 18) — ${dist === path.join(root, 'dist') ? 'this build' : dist}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (2 shared cores: compare ratios within this run)\n`);

// ---------- 1. per sample, in-process ----------
if (part(1)) {
  const depths = [5, 50, 200];
  const N = quick ? 1000 : 3000;
  const rows = [];
  for (const interp of allInterps) {
    const row = [interp.version];
    for (const depth of depths) {
      const child = await startTarget(interp.path, [fixture('deep.py'), String(depth)]);
      let proc;
      try {
        proc = engine.attach(child.pid);
        for (let i = 0; i < 300; i++) try { proc.snapshot(); } catch { /* warm-up */ }
        const cpus = [], walls = [];
        const c0 = proc.readCalls, b0 = proc.readBytes ?? NaN, s0 = proc.stateReads ?? NaN;
        let taken = 0, errors = 0;
        for (let rep = 0; rep < 3; rep++) {
          const cpu0 = process.cpuUsage();
          const t0 = performance.now();
          for (let i = 0; i < N; i++) {
            try { proc.snapshot(); } catch { errors++; }
            taken++;
          }
          const cpu = process.cpuUsage(cpu0);
          cpus.push((cpu.user + cpu.system) / N);
          walls.push(((performance.now() - t0) * 1000) / N);
        }
        const bytes = await allocatedPerCall(() => { try { proc.snapshot(); } catch { /* torn: counted above */ } }, quick ? 1000 : 3000);
        row.push(`${fmt(median(cpus))} µs · ${fmt((proc.readCalls - c0) / taken, 2)} pvr (${fmt(((proc.readBytes ?? NaN) - b0) / taken / 1024, 1)} KB) · ${fmt(((proc.stateReads ?? NaN) - s0) / taken, 2)} stat · ${fmt(bytes / 1024, 1)} KB alloc${errors ? ` · ${errors} torn` : ''}`);
      } catch (e) {
        row.push(`failed: ${e.message.slice(0, 40)}`);
      } finally {
        proc?.close();
        kill(child);
      }
    }
    // blocking mode (ptrace stop, read, resume) at depth 50: wall µs, the stop dominates
    const child = await startTarget(interp.path, [fixture('deep.py'), '50']);
    let proc;
    try {
      proc = engine.attach(child.pid);
      const times = [];
      for (let i = 0; i < (quick ? 100 : 300); i++) {
        const t = performance.now();
        try {
          proc.snapshot({ blocking: true });
          times.push((performance.now() - t) * 1000);
        } catch {
          /* counted as missing */
        }
      }
      row.push(times.length ? `${fmt(median(times), 0)} µs wall` : 'failed');
    } catch (e) {
      row.push(`failed: ${e.message.slice(0, 40)}`);
    } finally {
      proc?.close();
      kill(child);
    }
    rows.push(row);
  }
  console.log(`### 1. Per sample, in-process: CPU µs (median of 3 × ${N} back-to-back snapshots, single-threaded target), process_vm_readv (koffi) calls and the bytes they read, /proc state reads and JS heap allocated (garbage included, V8 sampling heap profiler) per sample\n`);
  console.log(table(['CPython', 'depth 5', 'depth 50', 'depth 200', 'depth 50 --blocking'], rows));

  // Every syscall per sample, counted by strace -f -c (GC threads, timers and all), one case.
  const straceOk = spawnSync('strace', ['-V']).status === 0;
  if (straceOk) {
    const child = await startTarget(primary.path, [fixture('deep.py'), '50']);
    try {
      const script = path.join(tmp, 'loop.cjs');
      fs.writeFileSync(script, `const e = require(${JSON.stringify(path.join(dist, 'bench-engine.js'))}); const p = e.attach(${child.pid}); for (let i = 0; i < 300; i++) try { p.snapshot(); } catch {} const n = Number(process.argv[2]); for (let i = 0; i < n; i++) try { p.snapshot(); } catch {} p.close();`);
      const count = (n) => {
        const out = path.join(tmp, `strace-${n}.txt`);
        spawnSync('strace', ['-f', '-c', '-o', out, process.execPath, script, String(n)]);
        const m = /\n-+.*\n\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d+)?\s*total/.exec(fs.readFileSync(out, 'utf8'));
        return m ? Number(m[1]) : NaN;
      };
      const n = quick ? 2000 : 5000;
      const per = (count(n) - count(0)) / n;
      console.log(`\nAll syscalls per sample (strace -f -c, CPython ${primary.version}, depth 50, ${n} snapshots minus an empty run): ${fmt(per, 2)}`);
    } finally {
      kill(child);
    }
  }

  // Physical limit: one process_vm_readv from C of what one of our samples reads (depth 5: ~2 KiB).
  const cc = spawnSync('cc', ['--version']).status === 0;
  if (cc) {
    const src = path.join(tmp, 'pvr.c');
    fs.writeFileSync(src, `#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <time.h>
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
int main(int argc, char **argv) {
  int pid = atoi(argv[1]); unsigned long addr = strtoul(argv[2], 0, 0); size_t len = atol(argv[3]); long n = atol(argv[4]);
  static char buf[1 << 16];
  struct iovec l = { buf, len }, r = { (void *)addr, len };
  double t0 = cpu();
  for (long i = 0; i < n; i++) if (process_vm_readv(pid, &l, 1, &r, 1, 0) != (ssize_t)len) { perror("process_vm_readv"); return 1; }
  printf("%.3f\\n", (cpu() - t0) / n);
  return 0;
}
`);
    const bin = path.join(tmp, 'pvr');
    const built = spawnSync('cc', ['-O2', '-o', bin, src]);
    if (built.status === 0) {
      const child = await startTarget(primary.path, [fixture('deep.py'), '5']);
      try {
        const proc = engine.attach(child.pid);
        const runtime = proc.located?.runtime;
        proc.close();
        const xs = [];
        for (let rep = 0; rep < 3; rep++) xs.push(Number(spawnSync(bin, [String(child.pid), String(runtime), '2048', '200000'], { encoding: 'utf8' }).stdout));
        console.log(`Physical limit: a C loop of process_vm_readv (one 2 KiB read of _PyRuntime, CPython ${primary.version}): ${fmt(median(xs), 2)} µs CPU per call (median of 3 × 200,000)`);
      } finally {
        kill(child);
      }
    }
  }
  console.log();
}

// ---------- 2. whole process, unthrottled: pyprof vs austin ----------
if (part(2)) {
  const rows = [];
  const picks = interps.filter((i) => [8, 11, 12, 13].includes(i.minor));
  const long = quick ? 3 : 4, short = 1;
  // Pairs that do the same work: every thread's stack, running or not (pyprof --idle, austin's
  // default wall-time mode), and only the threads on CPU (pyprof's default, which reads each thread's
  // run state and, for one in state R, whether it is on a core or waiting for one, from the kernel's
  // switch records where perf_event_open is allowed, else from /proc; austin -s, which reads the run
  // state only).
  const pairs = [
    { mode: 'every thread', ourFlags: ['--idle'], theirFlags: [] },
    { mode: 'on CPU only', ourFlags: [], theirFlags: ['-s'] },
    { mode: 'on CPU only, /proc (PYPROF_SWITCH_RECORDS=0)', ourFlags: [], theirFlags: ['-s'], env: { PYPROF_SWITCH_RECORDS: '0' } },
  ];
  for (const interp of picks) {
    for (const depth of [5, 200]) {
      const child = await startTarget(interp.path, [fixture('deep.py'), String(depth)]);
      try {
        for (const { mode, ourFlags, theirFlags, env } of pairs) {
          const ours = async (d) => {
            const r = await runTimed(process.execPath, [cli, 'record', '--pid', child.pid, '--rate', '1000000', '-d', d, ...ourFlags, '-f', 'collapsed', '-o', path.join(tmp, 'u.txt')], env);
            return { cpu: r.cpu, samples: Number((/([\d,]+) samples at/.exec(r.stderr)?.[1] ?? 'NaN').replace(/,/g, '')) };
          };
          const theirs = async (d) => {
            const r = await runTimed(austin, ['-i', '0', ...theirFlags, '-x', d, '-p', child.pid, '-o', path.join(tmp, 'a.txt')]);
            // austin 3.7 ends with "Error rate : 0/2062 (0.00 %) invalid samples" (ANSI codes around the
            // numbers): the second number counts every sample taken, the first the invalid ones
            const m = /Error rate\s*:\s*(\d+)\s*\/\s*(\d+)/.exec(r.stderr.replace(/\x1b\[[0-9;]*m/g, ''));
            return { cpu: r.cpu, samples: m ? Number(m[2]) - Number(m[1]) : NaN };
          };
          // Interleaved: each repetition measures pyprof, then austin, on the same target within seconds,
          // and the ratio is taken per repetition, so load that changes over the run cancels out.
          const ps = [], as = [], ratios = [];
          for (let rep = 0; rep < 3; rep++) {
            const mine = await ours(long), mineShort = await ours(short);
            const p1 = ((mine.cpu - mineShort.cpu) / (mine.samples - mineShort.samples)) * 1e6;
            ps.push(p1);
            if (!austin) continue;
            const their = await theirs(long), theirShort = await theirs(short);
            const a1 = ((their.cpu - theirShort.cpu) / (their.samples - theirShort.samples)) * 1e6;
            as.push(a1);
            ratios.push(p1 / a1);
          }
          const p = median(ps);
          const a = austin ? median(as) : NaN;
          const ratio = austin ? median(ratios) : NaN;
          const flags = (f) => (f.length ? f.join(' ') : 'default');
          rows.push([interp.version, depth, mode, `${fmt(p)} µs (${flags(ourFlags)})`, austin ? `${fmt(a)} µs (${flags(theirFlags)})` : 'not built', austin ? `${fmt(ratio, 2)}×` : '–']);
          summary.perSample.push({ minor: interp.minor, depth, mode, pyprof: p, austin: a, ratio });
        }
      } finally {
        kill(child);
      }
    }
  }
  console.log(`### 2. CPU per sample of the whole sampler process, as fast as it goes (${long} s run minus ${short} s run; medians of 3 interleaved repetitions, the ratio per repetition): pyprof record vs austin ${austin ? '(' + path.basename(austin) + ' -i 0)' : '(not built: see the header of bench/cost.mjs)'}\n`);
  console.log(table(['CPython', 'depth', 'threads sampled', 'pyprof', 'austin', 'pyprof / austin'], rows));
  console.log('\naustin writes each sample as a text line; pyprof aggregates in memory and writes once at the end.');
  console.log('"on CPU only": austin -s reads each thread\'s run state (state R: running, or waiting for a core); pyprof also knows, for a thread in R, whether it is on a core, so that a thread waiting for a core does not count as running: from the kernel\'s switch records (a read of shared memory, native/switchRing.ts) where perf_event_open is allowed (perf_event_paranoid ≤ 2, or CAP_PERFMON), else from /proc/…/sched and schedstat (~7 µs a thread; the last row).');
  console.log();
}

// ---------- 3. sampler CPU at a rate, by thread count: pyprof vs austin ----------
// Each case records the same target with pyprof record and austin, interleaved, and reads the CPU
// every thread of the sampler process used (/proc/PID/task/*/schedstat: ns on CPU, the main thread
// and V8's GC/compiler threads and libuv's pool alike) over a window that starts WARM s after the
// sampler started: the steady state of a long recording. Start-up (Node, attaching, V8 compiling
// the walker: 0.1–0.6 s of CPU) is part 5's and would otherwise dominate a few seconds' share. The
// rate achieved is the recording's (pyprof: its summary line; austin: samples over its sampling
// duration, divided by the threads it samples).
const threadCount = (pid) => {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).length;
  } catch {
    return NaN;
  }
};
const austinStats = (stderr) => {
  const plain = stderr.replace(/\x1b\[[0-9;]*m/g, '');
  const m = /Error rate\s*:\s*(\d+)\s*\/\s*(\d+)/.exec(plain);
  const d = /Sampling duration\s*:\s*([\d.]+)\s*s/.exec(plain);
  return { samples: m ? Number(m[2]) : NaN, seconds: d ? Number(d[1]) : NaN };
};
/** ns on CPU of `pid`'s main thread and of its other threads (threads that ended are not counted: none end in a window). */
function threadCpuNs(pid) {
  let main = 0, others = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      if (tid === String(pid)) main += ns;
      else others += ns;
    } catch {
      /* the thread ended between listing and reading */
    }
  }
  return { main, others };
}
/**
 * Runs argv (a sampler told to stop after warm + seconds + 1 s) and measures its CPU share (% of one
 * core) between warm and warm + seconds: main thread, other threads; with its stderr once it ends.
 */
async function steadyCpu(argv, warm, seconds) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise((r) => child.on('close', r));
  await sleep(warm * 1000);
  let a, t0, b, t1;
  try {
    a = threadCpuNs(child.pid);
    t0 = performance.now();
    await sleep(seconds * 1000);
    b = threadCpuNs(child.pid);
    t1 = performance.now();
  } catch {
    /* ended early: reported as NaN */
  }
  await closed;
  const pct = (x, y) => (a && b ? ((y - x) / 1e6 / (t1 - t0)) * 100 : NaN);
  return { main: pct(a?.main, b?.main), others: pct(a?.others, b?.others), total: pct(a && a.main + a.others, b && b.main + b.others), stderr };
}
/**
 * C loops at `rate` that only sleep (nanosleep of one period), or sleep and then read 2 KiB of the
 * target with one process_vm_readv: what waking up (and the smallest read) costs on this machine,
 * the floor for any sampler. Built on first use; NaN without a C compiler.
 */
let sleeperBin;
function sleepFloor(rate, seconds, read) {
  if (sleeperBin === undefined) {
    const src = path.join(tmp, 'sleeper.c');
    fs.writeFileSync(src, `#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/uio.h>
int main(int argc, char **argv) {
  long rate = atol(argv[1]); double secs = atof(argv[2]);
  int pid = argc > 4 ? atoi(argv[3]) : 0; unsigned long addr = argc > 4 ? strtoul(argv[4], 0, 0) : 0;
  static char buf[2048];
  struct iovec l = { buf, sizeof buf }, r = { (void *)addr, sizeof buf };
  struct timespec period = { 0, 1000000000L / rate }, a, b;
  struct rusage u;
  clock_gettime(CLOCK_MONOTONIC, &a);
  do {
    nanosleep(&period, 0);
    if (pid && process_vm_readv(pid, &l, 1, &r, 1, 0) != (ssize_t)sizeof buf) { perror("process_vm_readv"); return 1; }
    clock_gettime(CLOCK_MONOTONIC, &b);
  } while (b.tv_sec - a.tv_sec + (b.tv_nsec - a.tv_nsec) / 1e9 < secs);
  getrusage(RUSAGE_SELF, &u);
  printf("%.4f\\n", (u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6) / secs * 100);
  return 0;
}
`);
    const bin = path.join(tmp, 'sleeper');
    sleeperBin = spawnSync('cc', ['-O2', '-o', bin, src]).status === 0 ? bin : null;
  }
  if (!sleeperBin) return NaN;
  return Number(spawnSync(sleeperBin, [String(rate), String(seconds), ...(read ? [String(read.pid), String(read.addr)] : [])], { encoding: 'utf8' }).stdout);
}
if (part(3)) {
  const rows = [];
  const warm = quick ? 3 : 4, window = quick ? 4 : 6;
  const floors = new Map(); // rate → { sleep: [], read: [] } CPU % of the C loops, per repetition
  // [CPython minor, script, threads, rate, pyprof's flags, austin's flags]; pyprof's default drops
  // idle threads (a /proc read per thread, like austin -s); --idle keeps them (like austin's default)
  const cases = [
    [12, 'churn.py', 1, 100, [], []],
    [12, 'churn.py', 1, 1000, [], []],
    [12, 'churn.py', 1, 10000, [], []],
    [8, 'churn.py', 8, 1000, [], []],
    [12, 'churn.py', 8, 1000, [], []],
    [12, 'many_threads.py', 200, 1000, [], ['-s']],
    [12, 'many_threads.py', 200, 1000, ['--idle'], []],
  ];
  const runFor = warm + window + 1;
  for (const [minor, script, threads, rate, ourFlags, theirFlags] of cases) {
    const interp = interps.find((i) => i.minor === minor) ?? primary;
    const child = await startTarget(interp.path, [fixture(script), '900', String(threads)]);
    try {
      const sampled = threadCount(child.pid);
      let runtime;
      try {
        const proc = engine.attach(child.pid);
        runtime = proc.located?.runtime;
        proc.close();
      } catch {
        /* no read floor for this case */
      }
      const ours = async () => {
        const r = await steadyCpu([process.execPath, cli, 'record', '--pid', child.pid, '--rate', rate, '-d', runFor, '-f', 'collapsed', '-o', path.join(tmp, 'r.txt'), ...ourFlags], warm, window);
        return { ...r, hz: Number(/samples at (\d+) Hz/.exec(r.stderr)?.[1]) };
      };
      const theirs = async () => {
        const out = path.join(tmp, 'ra.txt');
        const r = await steadyCpu([austin, '-i', `${Math.round(1e6 / rate)}us`, '-x', runFor, ...theirFlags, '-p', child.pid, '-o', out], warm, window);
        fs.rmSync(out, { force: true });
        const s = austinStats(r.stderr);
        // with -s idle samples are not emitted nor counted: no snapshot count to divide
        return { ...r, hz: theirFlags.includes('-s') ? NaN : s.samples / sampled / s.seconds };
      };
      const p = { total: [], main: [], others: [], hz: [] }, a = { total: [], hz: [] }, ratios = [];
      for (let rep = 0; rep < 3; rep++) {
        const mine = await ours();
        for (const k of ['total', 'main', 'others', 'hz']) p[k].push(mine[k]);
        if (!austin) continue;
        const their = await theirs();
        a.total.push(their.total);
        a.hz.push(their.hz);
        ratios.push(mine.total / their.total);
      }
      if (!floors.has(rate) || (threads === 1 && floors.get(rate).sleep.length < 6)) {
        const f = floors.get(rate) ?? { sleep: [], read: [] };
        for (let rep = 0; rep < 3; rep++) {
          f.sleep.push(sleepFloor(rate, window));
          if (runtime) f.read.push(sleepFloor(rate, window, { pid: child.pid, addr: runtime }));
        }
        floors.set(rate, f);
      }
      const label = `${threads} thread${threads > 1 ? 's' : ''}${ourFlags.length ? ' ' + ourFlags.join(' ') : ''}`;
      const r = {
        minor, label, rate, threads, ourFlags, theirFlags,
        pyprof: { share: median(p.total), main: median(p.main), others: median(p.others), hz: median(p.hz) },
        austin: austin ? { share: median(a.total), hz: median(a.hz) } : undefined,
        ratio: median(ratios),
        floor: median(floors.get(rate).sleep),
        readFloor: median(floors.get(rate).read),
      };
      summary.rates.push(r);
      rows.push([
        interp.version, `${label} (${script})`, `${rate} Hz`,
        `${fmt(r.pyprof.share, 2)} % at ${fmt(r.pyprof.hz, 0)} Hz`,
        `${fmt(r.pyprof.main, 2)} % + ${fmt(r.pyprof.others, 2)} %`,
        austin ? `${fmt(r.austin.share, 2)} % at ${Number.isFinite(r.austin.hz) ? fmt(r.austin.hz, 0) + ' Hz' : '? Hz'}${theirFlags.length ? ' (' + theirFlags.join(' ') + ')' : ''}` : 'not built',
        austin ? `${fmt(r.ratio, 2)}×` : '–',
        `${fmt(r.floor, 2)} % / ${fmt(r.readFloor, 2)} %`,
      ]);
    } finally {
      kill(child);
    }
  }
  console.log(`### 3. Sampler CPU while recording, steady state (% of one core, every thread of the sampler process, from ${warm} s to ${warm + window} s after it started; medians of 3 interleaved runs, the ratio per run) and the rate achieved\n`);
  console.log(table(['CPython', 'target', 'asked', 'pyprof', 'pyprof: main thread + other threads (GC, compiler, I/O)', 'austin', 'pyprof / austin', 'C loop at that rate: sleep / sleep + one 2 KiB read'], rows));
  console.log('\n"C loop": a C program doing nothing but nanosleep(1 period) at the asked rate (then one process_vm_readv of 2 KiB of the target), its CPU % of a core: what waking up (and the smallest read) costs on this machine, the floor under any sampler.');
  console.log('pyprof\'s default drops idle threads (one /proc stat read per thread per sample), as austin -s does; --idle keeps every thread, as austin does by default. austin -s neither emits nor counts idle samples, so its rate is unknown (?).');
  console.log();
}

// ---------- 4. sampler RSS over a long recording: pyprof vs austin ----------
/** Launches `argv`, samples its RSS every `everyMs`, resolves with the points, its stderr and exit code. */
async function rssOver(argv, seconds, everyMs) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise((r) => child.on('close', r));
  const t0 = performance.now();
  const points = [];
  while (child.exitCode === null && performance.now() - t0 < (seconds + 20) * 1000) {
    await sleep(everyMs);
    const kb = rssKb(child.pid);
    let cpuNs = NaN;
    try {
      const c = threadCpuNs(child.pid);
      cpuNs = c.main + c.others;
    } catch {
      /* ended */
    }
    if (Number.isFinite(kb)) points.push([(performance.now() - t0) / 1000, kb, cpuNs]);
  }
  if (child.exitCode === null) child.kill('SIGINT');
  await closed;
  return { points, stderr };
}
/**
 * Least-squares line through (x, y) points: slope, intercept and the slope's standard error, so a
 * growth rate is read from every point after warm-up, not from two (the GC's sawtooth averages out).
 */
function linearFit(points) {
  const n = points.length;
  if (n < 3) return { slope: NaN, intercept: NaN, slopeErr: NaN };
  let sx = 0, sy = 0;
  for (const [x, y] of points) { sx += x; sy += y; }
  const mx = sx / n, my = sy / n;
  let sxx = 0, sxy = 0;
  for (const [x, y] of points) { sxx += (x - mx) ** 2; sxy += (x - mx) * (y - my); }
  const slope = sxy / sxx, intercept = my - slope * mx;
  let ss = 0;
  for (const [x, y] of points) ss += (y - intercept - slope * x) ** 2;
  return { slope, intercept, slopeErr: Math.sqrt(ss / (n - 2) / sxx) };
}
if (part(4)) {
  const seconds = hour ? 3600 : quick ? 30 : 60;
  const warm = hour ? 60 : 10;
  const every = hour ? 5000 : 250;
  // 1 kHz: growth per sample (the timeline's worst case: a new run every sample); 100 Hz: what an
  // hour at the default rate holds (RSS at the end of the run plus its growth, extrapolated)
  const rates = hour ? [100] : [1000, 100];
  const describe = ({ points }, samples, rate) => {
    // the sampler's clock starts after launch and attach: samples are spread over [first, last] point
    const inRun = points.filter(([t]) => t >= warm && t <= seconds - 0.5);
    const fit = linearFit(inRun.map(([t, kb]) => [t, kb * 1024]));
    const perSecond = fit.slope; // bytes per second
    const achieved = samples / seconds;
    const perSample = perSecond / achieved;
    const early = median(points.filter(([t]) => t >= warm && t < warm + 5).map(([, kb]) => kb));
    const late = median(points.filter(([t]) => t >= seconds - 5 && t <= seconds - 0.5).map(([, kb]) => kb));
    // an hour at 100 Hz: the fitted RSS at the end of this run, plus the fitted growth per sample
    // over the samples still to come (at 100 Hz, 360,000 in all)
    const atEnd = fit.intercept + fit.slope * seconds;
    const hourBytes = atEnd + Math.max(0, perSample) * Math.max(0, 360_000 - (rate === 100 ? samples : 0));
    // the sampler's CPU (every thread, schedstat) over the second half of sampling: after V8 has
    // optimised the sampling path, which at 100 Hz takes minutes (the first minute costs ~2×)
    const half = inRun.filter(([t, , ns]) => t >= seconds / 2 && Number.isFinite(ns));
    const cpu = half.length > 1 ? ((half.at(-1)[2] - half[0][2]) / 1e6 / ((half.at(-1)[0] - half[0][0]) * 1000)) * 100 : NaN;
    return { rate, samples, early, late, peak: Math.max(...points.map(([, kb]) => kb)), perSample, perSampleErr: fit.slopeErr / achieved, perSecond, hour: hourBytes / 1048576, cpu };
  };
  const runs = [];
  for (const rate of rates) {
    const target = [primary.path, fixture('churn.py'), String(seconds + 30)];
    const mine = await rssOver([process.execPath, cli, 'record', '--rate', rate, '-d', seconds, '-o', path.join(tmp, 'rss.speedscope.json'), '--', ...target], seconds, every);
    const ours = describe(mine, Number((/([\d,]+) samples at/.exec(mine.stderr)?.[1] ?? 'NaN').replace(/,/g, '')), rate);
    let theirs;
    if (austin) {
      const their = await rssOver([austin, '-t', '10s', '-i', `${Math.round(1e6 / rate)}us`, '-x', String(seconds), '-o', path.join(tmp, 'rss.austin.txt'), ...target], seconds, every);
      theirs = describe(their, austinStats(their.stderr).samples, rate);
      fs.rmSync(path.join(tmp, 'rss.austin.txt'), { force: true });
    }
    runs.push({ ours, theirs });
  }
  summary.rss = { runs, seconds };
  const row = (name, x) => [
    name, `${x.rate} Hz`, x.samples, `${fmt(x.early / 1024)} MB`, `${fmt(x.late / 1024)} MB`, `${fmt(x.peak / 1024)} MB`,
    `${fmt(x.perSample)} ± ${fmt(x.perSampleErr)} bytes (${fmt(x.perSecond / 1024, 2)} KB/s)`, `${fmt(x.hour)} MB`, `${fmt(x.cpu, 2)} %`,
  ];
  console.log(`### 4. Sampler RSS, ${seconds} s of churn.py (a new stack almost every sample), launched by each; pyprof writes speedscope (timeline kept), austin its sample lines\n`);
  console.log(table(['sampler', 'rate', 'samples', `RSS ${warm}-${warm + 5} s`, 'RSS, last 5 s', 'peak (writing included)', 'growth per sample after warm-up (fit)', 'extrapolated: 1 h at 100 Hz', `CPU, ${seconds / 2}-${seconds} s (% of a core)`],
    runs.flatMap(({ ours, theirs }) => [row('pyprof', ours), ...(theirs ? [row('austin', theirs)] : [])])));
  console.log(`\nRSS (/proc/PID/status VmRSS) every ${every} ms; growth = least-squares slope of RSS over time from ${warm} s to the end of sampling (± its standard error), divided by the samples per second achieved; one run each. The hour: the fitted RSS at the end of the run plus that growth per sample up to 360,000 samples. The real hour: node bench/cost.mjs --hour --parts=4 (≈ 2 h with austin, 1 h with --no-austin; PYPROF_BENCH_DIST to pick a build).`);
  console.log();
}

// ---------- 5. start-up and exit latency: pyprof vs austin ----------
// Every time is a wall-clock timestamp: the bench's own before spawning and after the command is
// reaped, the script's first and last lines (T_START/T_END), the profile's first sample and its
// file's mtime, and the recorder's phases (PYPROF_PHASE_TIMES=1: node's start, the CLI's entry,
// the record command loaded, the target opened/attached, the first sample, sampling ended, the
// file written, process.exit called).
if (part(5)) {
  const script = fixture('startup_exit.py');
  const base = [], nodeFloor = [], ours = { first: [], firstVsScript: [], exit: [], wall: [], gone: [] }, theirs = { exit: [], wall: [] };
  const phases = new Map(); // part name → ms per run
  const addPhase = (name, ms) => { if (Number.isFinite(ms)) (phases.get(name) ?? phases.set(name, []).get(name)).push(ms); };
  const timed = (argv, fallback, env) => {
    const t0 = performance.now();
    const spawnedAt = performance.timeOrigin + t0;
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: env ? { ...process.env, ...env } : undefined });
    const t1 = performance.now();
    if (r.status !== 0 && fallback) return { ...timed(fallback), fellBack: true };
    if (r.status !== 0) throw new Error(`${path.basename(argv[0])} failed: ${r.stderr}`);
    return { r, wall: t1 - t0, spawnedAt, reapedAt: performance.timeOrigin + t1, end: Number(/T_END ([\d.]+)/.exec(r.stdout)?.[1]) * 1000 };
  };
  let austinFellBack = 0;
  // interleaved: unprofiled, node -e 0, pyprof, austin in every repetition
  for (let rep = 0; rep < REPS + 2; rep++) {
    base.push(timed([primary.path, script]).wall);
    nodeFloor.push(timed([process.execPath, '-e', '0']).wall);
    const out = path.join(tmp, `se-${rep}.speedscope.json`);
    const mine = timed([process.execPath, cli, 'record', '-q', '-o', out, '--', primary.path, script], undefined, { PYPROF_PHASE_TIMES: '1' });
    if (rep < 2) continue; // warm-up: the page cache, and V8's code cache where there is one
    ours.wall.push(mine.wall);
    if (!fs.existsSync(out)) {
      // the 0.3 s script ended before the first sample (a start-up slowed by load): no profile, said on stderr
      console.log(`(run ${rep + 1}: no profile: ${mine.r.stderr.trim().split('\n').at(-1)})`);
      continue;
    }
    const block = JSON.parse(fs.readFileSync(out, 'utf8')).pyprof;
    const first = block.meta.startTime + Math.min(...block.timeline.filter((_, i) => i % 4 === 0));
    ours.first.push(first - mine.spawnedAt);
    ours.firstVsScript.push(first - Number(/T_START ([\d.]+)/.exec(mine.r.stdout)[1]) * 1000);
    const written = fs.statSync(out).mtimeMs;
    ours.exit.push(written - mine.end);
    ours.gone.push(mine.reapedAt - mine.end);
    const at = Object.fromEntries([...mine.r.stderr.matchAll(/pyprof: phase (\S+) ([\d.]+)/g)].map((m) => [m[1], Number(m[2])]));
    addPhase('spawn → node started (exec, node before any JS)', at['node-start'] - mine.spawnedAt);
    addPhase('node started → CLI entry (node bootstrap, bundle read and compiled)', at.main - at['node-start']);
    addPhase('CLI entry → record command loaded', at['command-loaded'] - at.main);
    addPhase('record loaded → target being opened (options)', at['open-target'] - at['command-loaded']);
    addPhase('→ attached (launch, interpreter start-up, attach retries)', at.attached - at['open-target']);
    addPhase('attached → first sample (recorder, journal, sampler set up)', at['first-sample'] - at.attached);
    addPhase('script\'s last line → sampling ended (exit noticed)', at['sampling-ended'] - mine.end);
    addPhase('sampling ended → file written (notes, export, write)', at.written - at['sampling-ended']);
    addPhase('file written → process.exit (journal removed, summary)', at.exit - at.written);
    addPhase('process.exit → command reaped (node teardown)', mine.reapedAt - at.exit);
    if (austin) {
      const aout = path.join(tmp, `se-${rep}.austin.txt`);
      // austin's default 100 ms wait for the interpreter to come up fails on a loaded machine: then
      // again with -t 10s, whose waiting makes its wall time no longer comparable (counted, said below)
      const their = timed([austin, '-i', '10ms', '-o', aout, primary.path, script], [austin, '-t', '10s', '-i', '10ms', '-o', aout, primary.path, script]);
      if (their.fellBack) austinFellBack++;
      theirs.wall.push(their.wall);
      theirs.exit.push(fs.statSync(aout).mtimeMs - their.end);
    }
  }
  const b = median(base);
  const span = (xs) => `${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)}`;
  summary.startup = {
    first: median(ours.first), exit: median(ours.exit), gone: median(ours.gone), wall: median(ours.wall) / b, floor: median(nodeFloor),
    austinExit: median(theirs.exit), austinWall: median(theirs.wall) / b,
  };
  console.log(`### 5. Start-up and exit at the default 100 Hz (CPython ${primary.version}, bench/fixtures/startup_exit.py: 0.3 s of work; medians of ${REPS} interleaved runs after 2 warm-up runs, range after)\n`);
  console.log(table(['what', 'pyprof', 'austin'], [
    ['command started → first sample', `${fmt(median(ours.first), 0)} ms (${span(ours.first)})`, '– (its output has no times)'],
    ['  first sample relative to the script\'s first line', `${fmt(median(ours.firstVsScript), 0)} ms (${span(ours.firstVsScript)})`, '–'],
    ['script\'s last line → profile file written', `${fmt(median(ours.exit), 0)} ms (${span(ours.exit)})`, austin ? `${fmt(median(theirs.exit), 0)} ms (${span(theirs.exit)})` : 'not built'],
    ['script\'s last line → pyprof exited (reaped)', `${fmt(median(ours.gone), 0)} ms (${span(ours.gone)})`, '–'],
    ['whole command / unprofiled', `${fmt(median(ours.wall) / b, 2)}× (${fmt(median(ours.wall), 0)} / ${fmt(b, 0)} ms)`, austin ? `${fmt(median(theirs.wall) / b, 2)}× (${fmt(median(theirs.wall), 0)} / ${fmt(b, 0)} ms)` : 'not built'],
    ['`node -e 0`, start to reaped (the floor under any Node CLI)', `${fmt(median(nodeFloor), 0)} ms (${span(nodeFloor)})`, '–'],
  ]));
  console.log('\nWhere pyprof\'s time goes (medians of the same runs, from its PYPROF_PHASE_TIMES=1 timestamps):\n');
  console.log(table(['part', 'ms'], [...phases].map(([name, xs]) => [name, `${fmt(median(xs), 1)} (${span(xs)})`])));
  if (austinFellBack) console.log(`\naustin failed to find the interpreter within its default 100 ms in ${austinFellBack} of ${REPS} runs and ran again with -t 10s: its wall time then includes that wait.`);
  console.log('\nA negative "relative to the first line" means the first sample was taken while Python was still starting (imports, site) — before the script ran.');
  console.log();
}

// ---------- issue 18's table, re-measured: every figure above beside austin and the target ----------
{
  const rows = [];
  const byMinor = (depth, mode) => [8, 11, 12, 13].map((m) => summary.perSample.find((x) => x.minor === m && x.depth === depth && x.mode === mode)).filter(Boolean);
  for (const depth of [5, 200]) {
    for (const mode of ['every thread', 'on CPU only']) {
      const xs = byMinor(depth, mode);
      if (!xs.length) continue;
      const list = (f, d = 1) => xs.map((x) => fmt(f(x), d)).join(' / ');
      rows.push([
        `CPU µs per sample, depth ${depth}, ${mode} (${xs.map((x) => '3.' + x.minor).join(' / ')})`,
        list((x) => x.pyprof), list((x) => x.austin), list((x) => x.ratio, 2) + '×',
        depth === 5 ? '≤ austin on 3.11+, ≤ 1.5× on 3.8' : '≤ austin',
      ]);
    }
  }
  // CPU per sample delivered (10 µs × CPU % / kHz): fair when the two achieve different rates
  const perSampleCpu = (x) => `${fmt(x.share, 2)} % for ${Number.isFinite(x.hz) ? fmt(x.hz, 0) : '?'} Hz${Number.isFinite(x.hz) ? ` (${fmt((x.share * 1e4) / x.hz, 0)} µs/sample)` : ''}`;
  const targetFor = (r) => r.threads === 1 ? (r.rate === 100 ? '≤ 0.5 %' : r.rate === 1000 ? '≤ 3 %' : 'says so if not sustained') : r.threads === 8 ? '≤ 8 %' : 'hold 1 kHz or say why not';
  for (const r of summary.rates) {
    rows.push([
      `sampler CPU, ${r.label}, asked ${r.rate} Hz (3.${r.minor})`,
      perSampleCpu(r.pyprof),
      r.austin ? `${perSampleCpu(r.austin)}${r.theirFlags.length ? ' (' + r.theirFlags.join(' ') + ')' : ''}` : 'not built',
      r.austin ? `${fmt(r.ratio, 2)}×` : '–',
      `${targetFor(r)} (C loop: sleep ${fmt(r.floor, 2)} %, sleep + read ${fmt(r.readFloor, 2)} %)`,
    ]);
  }
  if (summary.rss) {
    const { runs, seconds } = summary.rss;
    const f = (x) => `${fmt(x.early / 1024)} → ${fmt(x.late / 1024)} MB, ${fmt(x.perSample)} B/sample, 1 h at 100 Hz ≈ ${fmt(x.hour, 0)} MB`;
    for (const { ours, theirs } of runs) {
      rows.push([`sampler RSS, ${seconds} s at ${ours.rate} Hz (${ours.samples} samples)`, f(ours), theirs ? f(theirs) : 'not built', theirs ? `${fmt(ours.late / theirs.late, 1)}× (end RSS)` : '–', '≤ 60 MB after 1 h, ≤ 16 B/sample']);
    }
  }
  if (summary.startup) {
    const s = summary.startup;
    rows.push(['whole-command wall, launch + record 100 Hz', `${fmt(s.wall, 2)}×`, `${fmt(s.austinWall, 2)}×`, '–', 'within noise']);
    rows.push(['start-up: command → first sample', `${fmt(s.first, 0)} ms`, '–', '–', `≤ 50 ms (\`node -e 0\` alone: ${fmt(s.floor, 0)} ms)`]);
    rows.push(['exit: target\'s last line → file written (→ pyprof exited)', `${fmt(s.exit, 0)} ms (${fmt(s.gone, 0)} ms)`, `${fmt(s.austinExit, 0)} ms`, '–', '≤ 50 ms']);
  }
  if (rows.length) {
    console.log(`### Issue 18's table, re-measured (from the parts above; austin ${austin ? '= ' + austin : 'not built'})\n`);
    console.log(table(['what', 'pyprof', 'austin', 'pyprof / austin', 'target'], rows));
    console.log();
  }
}

fs.rmSync(tmp, { recursive: true, force: true });
