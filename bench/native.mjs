// `record --native` / `dump --native` cost (issue 14), two figures:
//   1. per sample, by stack depth: the sampler's CPU µs and the wall µs of one snapshot read three
//      ways: Python only while the target runs (the default), Python only with the target
//      ptrace-stopped (--blocking) and with native frames (--native: stop, Python walk, libunwind
//      unwind of every thread, resume). A native snapshot's wall time is about how long the target
//      stands still per sample.
//   2. the target's slowdown: wall time of a fixed pure-Python workload unprofiled, recorded
//      Python-only and recorded --native at 100 Hz and 1 kHz.
// Interleaved repetitions, medians; the machine may be shared, so compare the ratios within one run.
import { createRequire } from 'module';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { performance } from 'perf_hooks';
import { interleavedWorkRuns, kill, median, run as runCommand, startTarget, table } from './common.mjs';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const engine = require(path.join(root, 'dist', 'bench-engine.js'));
const cli = path.join(root, 'dist', 'cli.js');
const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 5;
const N = quick ? 60 : 200;

const missing = ['/usr/lib/x86_64-linux-gnu/libunwind-ptrace.so.0', '/usr/lib/x86_64-linux-gnu/libunwind-x86_64.so.8'].filter((p) => !fs.existsSync(p));
if (missing.length) {
  console.log(`## Native frames: skipped (libunwind8 is not installed: ${missing.join(', ')} missing)\n`);
} else {
  const versions = ['3.8', '3.12'].map((m) => {
    const dir = fs.existsSync('/root/.pyenv/versions') ? fs.readdirSync('/root/.pyenv/versions').find((v) => v.startsWith(`${m}.`)) : undefined;
    return dir ? { label: dir, path: `/root/.pyenv/versions/${dir}/bin/python` } : undefined;
  }).filter(Boolean);
  if (!versions.length) console.log('## Native frames: skipped (neither CPython 3.8 nor 3.12 is installed under /root/.pyenv)\n');
  else {
    await perSample(versions);
    await slowdown(versions.at(-1));
  }
}

async function perSample(versions) {
  const modes = [['Python, running', {}], ['Python, --blocking', { blocking: true }], ['--native', { native: true }]];
  const rows = [];
  for (const py of versions) {
    for (const depth of [10, 50, 200]) {
      const child = await startTarget(py.path, [path.join(root, 'bench/fixtures/deep.py'), String(depth)]);
      let proc;
      try {
        proc = engine.attach(child.pid);
        for (const [, opts] of modes) for (let i = 0; i < 30; i++) proc.snapshot(opts); // warm-up: caches, unwind info, symbols
        const cpu = modes.map(() => []);
        const wall = modes.map(() => []);
        let nativeFrames = 0;
        for (let rep = 0; rep < REPS; rep++) {
          modes.forEach(([, opts], m) => {
            const f0 = proc.nativeFrameCount;
            const c0 = process.cpuUsage();
            const t0 = performance.now();
            for (let i = 0; i < N; i++) proc.snapshot(opts);
            const t = performance.now() - t0;
            const c = process.cpuUsage(c0);
            cpu[m].push((c.user + c.system) / N);
            wall[m].push((t * 1000) / N);
            if (opts.native) nativeFrames = (proc.nativeFrameCount - f0) / N;
          });
        }
        const base = median(cpu[0]);
        modes.forEach(([name, opts], m) => rows.push([
          py.label, depth, name,
          median(cpu[m]).toFixed(0), median(wall[m]).toFixed(0),
          `${(median(cpu[m]) / base).toFixed(1)}×`,
          opts.native ? nativeFrames.toFixed(0) : '-',
        ]));
      } finally {
        proc?.close();
        kill(child);
      }
    }
  }
  console.log(`## Native frames 1. Cost per sample by Python stack depth (bench/fixtures/deep.py; ${REPS}×${N} snapshots per mode, interleaved, medians)\n`);
  console.log(table(['CPython', 'depth', 'mode', 'CPU µs/sample', 'wall µs/sample', 'CPU vs Python running', 'native frames/sample'], rows));
  console.log('\nCPU: the sampler process\'s own (user+system, its ptrace and process_vm_readv calls included). With --blocking and --native the target stands still for about the wall time per sample; the native stack of a deep recursion is cut at 512 frames.\n');
}

/** a function declaration (hoisted): the top-level awaits above call slowdown() before this line runs */
function run(cmd, args) {
  return runCommand(cmd, args, root);
}

async function slowdown(py) {
  const script = path.join(root, 'bench/fixtures/fixed_work.py');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-bench-native-'));
  try {
    // about WORK_S of work unprofiled, after WARMUP_S of the same work outside the timing: the
    // recorder attaches and --native loads symbol, line and unwind tables during the warm-up
    // (a second or more for a large libpython: with a 1.5 s workload and no warm-up, a --native
    // run took ~20 samples and its ratio measured that start-up, not sampling)
    const WORK_S = quick ? 3 : 5, WARMUP_S = 2;
    const probe = await run(py.path, [script, '60']);
    const perUnit = Number(/WORK_SECONDS ([\d.]+)/.exec(probe.stdout)[1]) / 60;
    const units = String(Math.max(40, Math.round(WORK_S / perUnit)));
    const args = [script, units, String(WARMUP_S)];
    const record = (rate, native) => () => run(process.execPath, [cli, 'record', '--rate', String(rate), ...(native ? ['--native'] : []), '-f', 'collapsed', '-o', path.join(tmp, `${rate}${native ? 'n' : ''}-${Math.random().toString(36).slice(2)}.txt`), '--', py.path, ...args]);
    const configs = [
      ['unprofiled', () => run(py.path, args)],
      ['record 100 Hz', record(100, false)],
      ['record 100 Hz --native', record(100, true)],
      ['record 1 kHz', record(1000, false)],
      ['record 1 kHz --native', record(1000, true)],
    ];
    const R = quick ? 3 : 5;
    const runs = await interleavedWorkRuns(configs, R);
    const wall = runs.map((r) => r.wall);
    const samplerCpu = runs.map((r) => r.samplerCpu);
    // the recorder's own count and measured rate over the whole recording (warm-up included)
    const recorded = runs.map((r) => r.stderr.map((e) => /recorded ([\d.,]+) (ms|s) .*: ([\d,]+) samples at (\d+) Hz/.exec(e)).filter(Boolean)
      .map((m) => ({ ms: Number(m[1].replace(/,/g, '')) * (m[2] === 's' ? 1000 : 1), samples: Number(m[3].replace(/,/g, '')), hz: Number(m[4]) })));
    const base = median(wall[0]);
    const rows = configs.map(([name], c) => {
      const pythonOnly = name.endsWith('--native') ? median(wall[c - 1]) : undefined;
      const rec = recorded[c];
      return [
        name,
        `${median(wall[c]).toFixed(3)} s`,
        `${(median(wall[c]) / base).toFixed(3)}×`,
        pythonOnly ? `${(median(wall[c]) / pythonOnly).toFixed(3)}×` : '-',
        samplerCpu[c].length ? `${median(samplerCpu[c]).toFixed(1)}%` : '-',
        rec.length ? `${median(rec.map((x) => x.samples))} in ${(median(rec.map((x) => x.ms)) / 1000).toFixed(1)} s` : '-',
        rec.length ? `${median(rec.map((x) => x.hz))} Hz` : '-',
        `${Math.min(...wall[c]).toFixed(2)}–${Math.max(...wall[c]).toFixed(2)} s`,
      ];
    });
    console.log(`## Native frames 2. Target slowdown (CPython ${py.label}, bench/fixtures/fixed_work.py ${units} units after a ${WARMUP_S} s warm-up, medians of ${R} interleaved runs)\n`);
    console.log(table(['run', 'work wall time', 'vs unprofiled', 'vs Python-only at the same rate', 'sampler CPU (of one core)', 'samples (whole recording)', 'achieved rate', 'wall range'], rows));
    console.log(`\nwall time is the workload's own perf_counter around the work only (start-up, attach and the ${WARMUP_S} s warm-up excluded); it includes the stops --native makes for every sample and competition for the cores. Samples and rate are the recorder's own, measured over its whole recording. Load average at the end: ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores.\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
