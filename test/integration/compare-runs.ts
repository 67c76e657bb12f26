// Shared by the diff tests (CLI here, editor in test/e2e): two real recordings of one program at one
// path, before and after an edit (test/fixtures/compare/: fast() made 2x faster, steady() moved
// down 10 lines). Recorded once per test process and reused.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { fixture, Interpreter, repoRoot, supportedInterpreters, tmpDir } from '../helpers';
import { importProfile } from '../../src/profile/formats';
import type { Profile } from '../../src/profile/model';
import { designEffect } from '../../src/profile/diff';

export const COMPARE_ROUNDS = '120';

export interface CompareRuns {
  dir: string;
  app: string;
  base: string;
  next: string;
  python: Interpreter;
  /**
   * Why significance cannot be asserted on these recordings, if so: on an overloaded machine the
   * program sits descheduled with its stack frozen, samples come in long runs (design effect), and
   * the diff rightly widens its intervals until a 2x change of one function is no longer certain.
   */
  tooBusy?: string;
}

/** Above this design effect the recordings are too noisy to expect a 2x change to be significant. */
export const BUSY_DESIGN_EFFECT = 5;

export function busyReason(base: Profile, next: Profile): string | undefined {
  const worst = Math.max(designEffect(base), designEffect(next));
  return worst >= BUSY_DESIGN_EFFECT
    ? `the machine is too busy to measure: samples came in runs of one frozen stack (design effect ${worst.toFixed(1)} ≥ ${BUSY_DESIGN_EFFECT}; load average ${require('os').loadavg()[0].toFixed(1)})`
    : undefined;
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
  for (const [version, out] of [['before', base], ['after', next]] as const) {
    fs.copyFileSync(fixture(`compare/${version}.py`), app);
    const r = spawnSync(process.execPath, [cli, 'record', '-q', '--rate', '1000', '-o', out, '--', python.path, app, COMPARE_ROUNDS], { encoding: 'utf8', timeout: 120000 });
    if (r.status !== 0) throw new Error(`recording ${version}.py failed: ${r.stderr}`);
  }
  const read = (f: string) => importProfile(fs.readFileSync(f), f);
  return { dir, app, base, next, python, tooBusy: busyReason(read(base), read(next)) };
}
