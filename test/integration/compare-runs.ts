// Shared by the diff tests (CLI here, editor in test/e2e): two real recordings of one program at one
// path, before and after an edit (test/fixtures/compare/: fast() made 2x faster, steady() moved
// down 10 lines). Recorded once per test process and reused.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { fixture, Interpreter, repoRoot, supportedInterpreters, tmpDir } from '../helpers';

export const COMPARE_ROUNDS = '120';

export interface CompareRuns {
  dir: string;
  app: string;
  base: string;
  next: string;
  python: Interpreter;
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
  return { dir, app, base, next, python };
}
