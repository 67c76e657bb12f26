// The accuracy suite's one measurement, shared by the tests (test/integration/accuracy.test.ts)
// and `npm run bench -- --only=accuracy`: record test/fixtures/accuracy.py with the real CLI and
// compare the profile's split of time between its two phase functions (acc_a, acc_b) with the CPU
// time the program measured itself (time.thread_time around every call).
//
// Comparing shares of the program's own CPU clock keeps the check meaningful on a loaded machine:
// when the program gets fewer cores, its phases lose CPU in proportion, and both sides move together.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn } from 'child_process';

export const ACCURACY_MODES = ['steady', 'bursty', 'flicker', 'threads', 'processes'] as const;
export type AccuracyMode = (typeof ACCURACY_MODES)[number];

export interface AccuracyResult {
  mode: AccuracyMode;
  rateHz: number;
  /** acc_a's share of acc_a + acc_b CPU time, as the program measured it. */
  truth: number;
  /** acc_a's share of the samples with acc_a or acc_b on the stack. */
  measured: number;
  /** measured - truth, in percentage points. */
  errorPp: number;
  /** Samples in acc_a or acc_b. */
  samples: number;
  /** One binomial standard deviation of `measured` at this sample count (pp): the sampling noise floor. */
  sigmaPp: number;
  /** The rate the recording achieved. */
  achievedHz: number;
  /** The sampler's own CPU, % of one core (from record's summary). */
  samplerCpuPct: number;
  /** % of samples read with the program paused (the torn-read fallback, CPython 3.10 and older; record's note). */
  pausedPct: number;
  /**
   * When record said its samples came late while the program ran (cli/rateNotes.ts, lateSamplesNote):
   * how often they found its threads on a core, as a share of how often the switch records had them
   * on one at the ticks' scheduled instants. Undefined when it said nothing.
   */
  lateReadShare?: number;
  /** The program's own CPU seconds per phase and wall seconds. */
  cpu: Record<string, number>;
  wall: number;
}

/** Runs one recording; rejects with the CLI's stderr when it fails. */
export async function measureAccuracy(cli: string, python: string, fixture: string, mode: AccuracyMode, rateHz: number, seconds: number): Promise<AccuracyResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-accuracy-'));
  try {
    const out = path.join(dir, 'profile.txt');
    const args = [cli, 'record', '--rate', String(rateHz), '-f', 'collapsed', '-o', out];
    if (mode === 'processes') args.push('--subprocesses');
    args.push('--', python, fixture, mode, String(seconds));
    const r = await run(process.execPath, args);
    const m = /ACCURACY (\{.*\})/.exec(r.stdout);
    if (r.code !== 0 || !m) throw new Error(`record failed (${r.code}): ${r.stderr}${r.stdout}`);
    const truthJson = JSON.parse(m[1]) as { cpu: Record<string, number>; wall: number };
    const a = truthJson.cpu.acc_a ?? 0;
    const b = truthJson.cpu.acc_b ?? 0;
    let sa = 0;
    let sb = 0;
    for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
      const lm = /^(.*) (\d+)$/.exec(line);
      if (!lm) continue;
      const frames = lm[1].split(';');
      if (frames.some((f) => f.startsWith('acc_a ('))) sa += Number(lm[2]);
      else if (frames.some((f) => f.startsWith('acc_b ('))) sb += Number(lm[2]);
    }
    const truth = a / (a + b);
    const measured = sa + sb > 0 ? sa / (sa + sb) : NaN;
    const rate = /samples at ([\d,]+) Hz/.exec(r.stderr);
    return {
      mode,
      rateHz,
      truth,
      measured,
      errorPp: (measured - truth) * 100,
      samples: sa + sb,
      sigmaPp: sa + sb > 0 ? Math.sqrt((truth * (1 - truth)) / (sa + sb)) * 100 : NaN,
      achievedHz: rate ? Number(rate[1].replace(/,/g, '')) : NaN,
      samplerCpuPct: Number(/sampler CPU ([\d.]+)% of one core/.exec(r.stderr)?.[1] ?? NaN),
      pausedPct: Number(/samples \(([\d.]+) %\) were read with the program paused/.exec(r.stderr)?.[1] ?? 0),
      lateReadShare: lateShare(r.stderr),
      cpu: truthJson.cpu,
      wall: truthJson.wall,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function lateShare(stderr: string): number | undefined {
  const m = /samples came late while the program ran: .*\((\d+) % of that\)/.exec(stderr);
  return m ? Number(m[1]) / 100 : undefined;
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
