#!/usr/bin/env node
// `npm run bench -- --only=cost` (or `node bench/cost.mjs [--quick] [--hour] [--parts=1,2,3,4,5]` after `npm run build`):
// what sampling costs the sampler itself (issue 18), beside baselines runnable here.
//   1. per sample, in-process (the engine's snapshot() back to back): CPU µs by stack depth 5 / 50 /
//      200 and CPython version, process_vm_readv calls (= koffi calls: it is the only native call
//      on the hot path) and /proc thread-state reads per sample; all syscalls per sample counted by
//      strace for one case; a C loop of process_vm_readv as the physical limit of one syscall.
//   2. whole process, as fast as it goes, pyprof record vs austin (if built): CPU per sample from the
//      difference between a long and a short run (start-up and exit cancel out).
//   3. sampler CPU (% of one core) at 100 Hz and 1 kHz with 1 and 8 busy threads; 200 threads at
//      1 kHz with and without --idle (issue 21, point 7): the rate achieved.
//   4. sampler RSS over a recording at 1 kHz of a stack that changes every sample (speedscope
//      output, so the timeline is kept): growth per sample after warm-up, extrapolated to 1 h at
//      100 Hz. `node bench/cost.mjs --hour` records the real hour at 100 Hz instead.
//   5. start-up and exit latency of `pyprof record -- python …`: command start → first sample,
//      the target's last line → profile file written, whole-command wall time vs unprofiled.
// Figures are medians of several runs. PYPROF_BENCH_DIST=DIR measures another build's dist/ (the
// before/after tables); AUSTIN=/path/to/austin (else `austin` on PATH, else /tmp/austin-src/austin).
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
function runTimed(cmd, args) {
  return new Promise((resolve) => {
    const quoted = [cmd, ...args].map((a) => `'${String(a).replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('bash', ['-c', `${quoted}; rc=$?; times >&3; exit $rc`], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
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
  for (const c of [process.env.AUSTIN, spawnSync('sh', ['-c', 'command -v austin'], { encoding: 'utf8' }).stdout.trim(), '/tmp/austin-src/austin']) {
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
const austin = findAustin();
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
        const c0 = proc.readCalls, s0 = proc.stateReads ?? NaN;
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
        row.push(`${fmt(median(cpus))} µs · ${fmt((proc.readCalls - c0) / taken, 2)} pvr · ${fmt(((proc.stateReads ?? NaN) - s0) / taken, 2)} stat · ${fmt(bytes / 1024, 1)} KB alloc${errors ? ` · ${errors} torn` : ''}`);
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
  console.log(`### 1. Per sample, in-process: CPU µs (median of 3 × ${N} back-to-back snapshots, single-threaded target), process_vm_readv (koffi) calls, /proc state reads and JS heap allocated (garbage included, V8 sampling heap profiler) per sample\n`);
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
  for (const interp of picks) {
    for (const depth of [5, 200]) {
      const child = await startTarget(interp.path, [fixture('deep.py'), String(depth)]);
      try {
        const ours = async (d) => {
          const r = await runTimed(process.execPath, [cli, 'record', '--pid', child.pid, '--rate', '1000000', '-d', d, '-f', 'collapsed', '-o', path.join(tmp, 'u.txt')]);
          return { cpu: r.cpu, samples: Number((/([\d,]+) samples at/.exec(r.stderr)?.[1] ?? 'NaN').replace(/,/g, '')) };
        };
        const theirs = async (d) => {
          const r = await runTimed(austin, ['-i', '0', '-x', d, '-p', child.pid, '-o', path.join(tmp, 'a.txt')]);
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
        rows.push([interp.version, depth, `${fmt(p)} µs`, austin ? `${fmt(a)} µs` : 'not built', austin ? `${fmt(ratio, 2)}×` : '–']);
      } finally {
        kill(child);
      }
    }
  }
  console.log(`### 2. CPU per sample of the whole sampler process, as fast as it goes (${long} s run minus ${short} s run; medians of 3 interleaved repetitions, the ratio per repetition): pyprof record vs austin ${austin ? '(' + path.basename(austin) + ' -i 0)' : '(not built: see the header of bench/cost.mjs)'}\n`);
  console.log(table(['CPython', 'depth', 'pyprof', 'austin', 'pyprof / austin'], rows));
  console.log('\naustin writes each sample as a text line; pyprof aggregates in memory and writes once at the end.');
  console.log();
}

// ---------- 3. sampler CPU at a rate, by thread count ----------
if (part(3)) {
  const rows = [];
  const D = quick ? 3 : 5;
  const recordAt = async (pid, rate, extra = []) => {
    const r = await runTimed(process.execPath, [cli, 'record', '--pid', pid, '--rate', rate, '-d', D, '-f', 'collapsed', '-o', path.join(tmp, 'r.txt'), ...extra]);
    return {
      share: Number(/sampler CPU ([\d.]+)% of one core/.exec(r.stderr)?.[1]),
      hz: Number(/samples at (\d+) Hz/.exec(r.stderr)?.[1]),
    };
  };
  const cases = [
    ['churn.py', 1, 100, []], ['churn.py', 1, 1000, []], ['churn.py', 8, 100, []], ['churn.py', 8, 1000, []],
    ['many_threads.py', 200, 1000, []], ['many_threads.py', 200, 1000, ['--idle']],
  ];
  for (const [script, threads, rate, extra] of cases) {
    const child = await startTarget(primary.path, [fixture(script), '600', String(threads)]);
    try {
      const xs = [];
      for (let rep = 0; rep < 3; rep++) xs.push(await recordAt(child.pid, rate, extra));
      rows.push([`${threads} thread${threads > 1 ? 's' : ''} (${script})${extra.length ? ' ' + extra.join(' ') : ''}`, `${rate} Hz`, `${Math.round(median(xs.map((x) => x.hz)))} Hz`, `${fmt(median(xs.map((x) => x.share)))} %`]);
    } finally {
      kill(child);
    }
  }
  console.log(`### 3. Sampler CPU while recording (CPython ${primary.version}, --pid, ${D} s, median of 3; the CLI's own "sampler CPU" figure: process CPU time over the sampling time)\n`);
  console.log(table(['target', 'asked', 'achieved', 'sampler CPU (of one core)'], rows));
  console.log();
}

// ---------- 4. sampler RSS over a long recording ----------
if (part(4)) {
  const rate = hour ? 100 : 1000;
  const seconds = hour ? 3600 : quick ? 30 : 60;
  const warm = hour ? 60 : 10;
  const out = path.join(tmp, 'rss.speedscope.json');
  const child = spawn(process.execPath, [cli, 'record', '--rate', rate, '-d', seconds, '-o', out, '--', primary.path, fixture('churn.py'), String(seconds + 30)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise((r) => child.on('close', r));
  const t0 = performance.now();
  const points = [];
  while (child.exitCode === null && performance.now() - t0 < (seconds + 20) * 1000) {
    await sleep(hour ? 5000 : 500);
    const kb = rssKb(child.pid);
    if (Number.isFinite(kb)) points.push([(performance.now() - t0) / 1000, kb]);
  }
  await closed;
  const samples = Number((/([\d,]+) samples at/.exec(stderr)?.[1] ?? 'NaN').replace(/,/g, ''));
  const achieved = Number(/samples at (\d+) Hz/.exec(stderr)?.[1]);
  // medians over a window after warm-up and over the last window: the GC's sawtooth averages out
  const win = Math.min(10, (seconds - warm) / 3);
  const early = median(points.filter(([t]) => t >= warm && t < warm + win).map(([, kb]) => kb));
  const late = median(points.filter(([t]) => t >= seconds - win && t < seconds).map(([, kb]) => kb));
  const between = achieved * (seconds - win / 2 - (warm + win / 2));
  const perSample = ((late - early) * 1024) / between;
  const max = Math.max(...points.map(([, kb]) => kb));
  console.log(`### 4. Sampler RSS, ${seconds} s at ${rate} Hz of churn.py (a new stack almost every sample), speedscope output (timeline kept)\n`);
  console.log(table(['samples', 'RSS after warm-up', 'RSS at the end', 'peak', 'growth per sample after warm-up', 'extrapolated: 1 h at 100 Hz'], [[
    samples,
    `${fmt(early / 1024)} MB`,
    `${fmt(late / 1024)} MB`,
    `${fmt(max / 1024)} MB`,
    `${fmt(perSample)} bytes`,
    `${fmt((early * 1024 + Math.max(0, perSample) * 360_000) / 1048576)} MB`,
  ]]));
  console.log(`\nRSS medians over ${fmt(win, 0)} s windows (from ${warm} s, and the last ${fmt(win, 0)} s). The hour itself: node bench/cost.mjs --hour (≈ 1 h; PYPROF_BENCH_DIST to pick a build).`);
  console.log();
}

// ---------- 5. start-up and exit latency ----------
if (part(5)) {
  const script = fixture('startup_exit.py');
  const firsts = [], firstVsScript = [], exits = [], walls = [], bases = [];
  for (let rep = 0; rep < REPS; rep++) {
    const out = path.join(tmp, `se-${rep}.speedscope.json`);
    let t0 = performance.now();
    const base = spawnSync(primary.path, [script], { encoding: 'utf8' });
    bases.push(performance.now() - t0);
    if (base.status !== 0) throw new Error(`startup_exit.py failed: ${base.stderr}`);
    const spawnedAt = Date.now();
    t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, 'record', '-q', '-o', out, '--', primary.path, script], { encoding: 'utf8' });
    walls.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`record failed: ${r.stderr}`);
    const scriptStart = Number(/T_START ([\d.]+)/.exec(r.stdout)[1]) * 1000;
    const scriptEnd = Number(/T_END ([\d.]+)/.exec(r.stdout)[1]) * 1000;
    const block = JSON.parse(fs.readFileSync(out, 'utf8')).pyprof;
    const times = block.timeline.filter((_, i) => i % 4 === 0);
    const first = block.meta.startTime + Math.min(...times);
    firsts.push(first - spawnedAt);
    firstVsScript.push(first - scriptStart);
    exits.push(fs.statSync(out).mtimeMs - scriptEnd);
  }
  console.log(`### 5. Start-up and exit (CPython ${primary.version}, bench/fixtures/startup_exit.py: 0.3 s of work; median of ${REPS})\n`);
  console.log(table(['what', 'median', 'range'], [
    ['`pyprof record -- python …` started → first sample', `${fmt(median(firsts), 0)} ms`, `${fmt(Math.min(...firsts), 0)}–${fmt(Math.max(...firsts), 0)} ms`],
    ['  first sample relative to the script\'s first line', `${fmt(median(firstVsScript), 0)} ms`, `${fmt(Math.min(...firstVsScript), 0)}–${fmt(Math.max(...firstVsScript), 0)} ms`],
    ['script\'s last line → profile file written', `${fmt(median(exits), 0)} ms`, `${fmt(Math.min(...exits), 0)}–${fmt(Math.max(...exits), 0)} ms`],
    ['whole command: record / unprofiled', `${fmt(median(walls) / median(bases), 2)}×`, `${fmt(median(walls), 0)} ms / ${fmt(median(bases), 0)} ms`],
  ]));
  console.log('\nA negative "relative to the first line" means the first sample was taken while Python was still starting (imports, site) — before the script ran.');
  console.log();
}

fs.rmSync(tmp, { recursive: true, force: true });
