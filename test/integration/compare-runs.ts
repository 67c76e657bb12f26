// Shared by the diff tests (CLI here, editor in test/e2e): two real recordings of one program at one
// path, before and after an edit (test/fixtures/compare/: fast() made 2x faster, steady() moved
// down 10 lines). Recorded once per test process and reused. The program measures itself (CPU
// seconds per function, CPU and wall seconds of its loop): the ground truth the diff is checked
// against, and how much of a core the machine gave it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { fixture, Interpreter, repoRoot, supportedInterpreters, tmpDir } from '../helpers';

/** Rounds of the fixture's loop (CPU per recording: about 5 s). */
// 720 (~5 s of CPU per recording): at 360 the loop body's change (about -6 to -10 pp of ~2,500
// samples, split with the edited loop line) was not always outside a 99.9 % interval of +-4 pp, so
// the line-level assertion failed on a quiet CI run while the function-level one held.
export const COMPARE_ROUNDS = '720';

/** Where the editor's runs of the fixture write their measurements (relative to the workspace, its cwd). */
export const COMPARE_TRUTH_FILE = 'truth.jsonl';

/** What one run of the fixture measured itself (time.thread_time / perf_counter). */
export interface CompareTruth {
  cpu: { fast: number; other: number; steady: number };
  loopCpu: number;
  loopWall: number;
}

export interface CompareRuns {
  dir: string;
  app: string;
  base: string;
  next: string;
  python: Interpreter;
  truth: { base: CompareTruth; next: CompareTruth };
  /** How much of a core each run got, in words. */
  cpuShare: string;
  /** Why significance cannot be asserted on these recordings, if so (busyReason). */
  tooBusy?: string;
}

/**
 * Below this share of a core (its loop's CPU over wall seconds) the program sat descheduled more
 * than it ran, its stack frozen for stretches of many samples (design effects of 10-20 measured at
 * 30% of a core, load average 13 on 2 cores), and the recordings carry too little independent
 * information for the diff to be sure of a 2x change: it rightly widens its intervals (diffStats.ts).
 * The tests then still check that the intervals contain the program's own measurement.
 */
export const BUSY_CPU_SHARE = 0.5;

export function busyReason(...runs: CompareTruth[]): string | undefined {
  const share = Math.min(...runs.map((r) => r.loopCpu / r.loopWall));
  return share < BUSY_CPU_SHARE
    ? `the machine is too busy to measure: the program got ${(share * 100).toFixed(0)}% of a core (its own thread_time over perf_counter; < ${BUSY_CPU_SHARE * 100}%; load average ${os.loadavg()[0].toFixed(1)})`
    : undefined;
}

/** CPU seconds of a function as the program measured it; main's own is the loop's minus its callees'. */
function cpuOf(t: CompareTruth, fn: string): number | undefined {
  if (fn === 'main') return t.loopCpu - t.cpu.fast - t.cpu.other - t.cpu.steady;
  return fn in t.cpu ? t.cpu[fn as keyof CompareTruth['cpu']] : undefined;
}

/**
 * What the diff's share comparison estimates, computed from the program's own thread_time: the
 * relative change of fn's CPU time measured against the reference the diff normalised by (the
 * functions it found unchanged; their CPU summed), or against the whole loop when it compared plain
 * shares. Reference functions the program does not time (start-up code) are left out: they are
 * below the diff's 20-sample floor in both recordings or absent.
 */
export function trueNormalisedChange(base: CompareTruth, next: CompareTruth, fn: keyof CompareTruth['cpu'], reference: string[] | 'all'): number {
  const ref = (t: CompareTruth) => (reference === 'all' ? t.loopCpu : reference.reduce((a, f) => a + (cpuOf(t, f) ?? 0), 0));
  return next.cpu[fn] / ref(next) / (base.cpu[fn] / ref(base)) - 1;
}

/** Reads the runs a truth file collected (one JSON line per run of the fixture, in order). */
export function readTruth(file: string): CompareTruth[] {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CompareTruth);
}

/** The newest supported interpreter (the fixture's timing was sized on 3.12). */
export function comparePython(): Interpreter | undefined {
  const all = supportedInterpreters();
  return all.find((i) => i.minor === '3.12') ?? all[all.length - 1];
}

/** 1-based line of `marker` in a version of the fixture. */
export function compareLine(version: 'before' | 'after', marker: string): number {
  const i = fs.readFileSync(fixture(`compare/${version}.py`), 'utf8').split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`${marker} not in compare/${version}.py`);
  return i + 1;
}

/** Records before.py, then overwrites the same file with after.py and records again. */
export function recordCompareRuns(python: Interpreter, dir = tmpDir('pyprof-diff-')): CompareRuns {
  const cli = path.join(repoRoot, 'dist', 'cli.js');
  const app = path.join(dir, 'app.py');
  const base = path.join(dir, 'base.speedscope.json');
  const next = path.join(dir, 'new.speedscope.json');
  const truthFile = path.join(dir, 'truth.jsonl');
  for (const [version, out] of [['before', base], ['after', next]] as const) {
    fs.copyFileSync(fixture(`compare/${version}.py`), app);
    const r = spawnSync(process.execPath, [cli, 'record', '-q', '--rate', '1000', '-o', out, '--', python.path, app, COMPARE_ROUNDS, truthFile], { encoding: 'utf8', timeout: 180000 });
    if (r.status !== 0) throw new Error(`recording ${version}.py failed: ${r.stderr}`);
  }
  const [baseTruth, nextTruth] = readTruth(truthFile);
  const cpuShare = `${[baseTruth, nextTruth].map((r) => `${((100 * r.loopCpu) / r.loopWall).toFixed(0)}%`).join(' and ')} of a core (load average ${os.loadavg()[0].toFixed(1)})`;
  return { dir, app, base, next, python, truth: { base: baseTruth, next: nextTruth }, cpuShare, tooBusy: busyReason(baseTruth, nextTruth) };
}
