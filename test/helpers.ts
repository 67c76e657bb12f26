// Shared test utilities: where the repository and fixtures are, and which real interpreters exist.
// Tests run from out/test/** (compiled by tsc), so paths are resolved from the repository root.
import * as fs from 'fs';
import * as path from 'path';
import { spawn, ChildProcess, spawnSync } from 'child_process';

export const repoRoot = path.resolve(__dirname, __dirname.includes(`${path.sep}out${path.sep}`) ? '../..' : '..');

export function fixture(name: string): string {
  return path.join(repoRoot, 'test', 'fixtures', name);
}

export interface Interpreter {
  /** "3.12" */
  minor: string;
  /** "3.12.1" */
  version: string;
  path: string;
  /** Short label for test names: "3.12.1 (pyenv)" */
  label: string;
}

let cached: Interpreter[] | undefined;

/**
 * Every installed CPython we can test against: pyenv builds (2.7, 3.x) plus Debian's /usr/bin/python3
 * (a static, non-PIE build: a different locating path). Sorted by version.
 */
export function interpreters(): Interpreter[] {
  if (cached) return cached;
  const found: Interpreter[] = [];
  const pyenv = '/root/.pyenv/versions';
  const candidates: Array<[string, string]> = [];
  if (fs.existsSync(pyenv)) {
    for (const v of fs.readdirSync(pyenv)) {
      // 2.x builds have no python3 binary
      const p = ['python3', 'python2'].map((b) => path.join(pyenv, v, 'bin', b)).find((b) => fs.existsSync(b));
      if (p) candidates.push([p, 'pyenv']);
    }
  }
  if (fs.existsSync('/usr/bin/python3')) candidates.push([fs.realpathSync('/usr/bin/python3'), 'debian']);
  for (const [p, kind] of candidates) {
    const r = spawnSync(p, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const version = r.stdout.trim();
    const minor = version.split('.').slice(0, 2).join('.');
    found.push({ minor, version, path: p, label: `${version} (${kind})` });
  }
  const key = (v: string) => v.split('.').map((x) => x.padStart(3, '0')).join('.');
  found.sort((a, b) => key(a.version).localeCompare(key(b.version)));
  cached = found;
  return found;
}

/** Supported interpreters (2.7, 3.6+). */
export function supportedInterpreters(): Interpreter[] {
  return interpreters().filter((i) => {
    const [maj, min] = i.minor.split('.').map(Number);
    return (maj === 3 && min >= 6) || (maj === 2 && min === 7);
  });
}

/** Whether an interpreter is at least major.minor (features newer CPythons added: tracemalloc, native ids). */
export function atLeast(i: Interpreter, major: number, minor: number): boolean {
  const [a, b] = i.minor.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

/**
 * For tests too slow to run on every version: every interpreter older than 3.9 (2.7, 3.6, 3.7
 * and 3.8, the old layouts and the old oldest) plus the newest; `filter` keeps those a feature
 * applies to (e.g. tracemalloc: 3.4+).
 */
export function oldAndNewestInterpreters(filter: (i: Interpreter) => boolean = () => true): Interpreter[] {
  const all = supportedInterpreters().filter(filter);
  const picks = all.filter((i) => !atLeast(i, 3, 9));
  if (all.length > 0 && !picks.includes(all[all.length - 1])) picks.push(all[all.length - 1]);
  return picks;
}

/** Interpreter for a minor version ("3.9"), or undefined with the reason printed for skip(). */
export function interpreterFor(minor: string): Interpreter | undefined {
  return interpreters().find((i) => i.minor === minor && i.label.includes('pyenv')) ?? interpreters().find((i) => i.minor === minor);
}

/** The minor versions the product must support; tests iterate these and skip the missing ones. */
export const REQUIRED_MINORS = ['2.7', '3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14'];

/** Starts a python fixture and resolves once it prints a line containing `readyMarker` on stdout. */
export async function startFixture(
  python: string,
  script: string,
  args: string[] = [],
  readyMarker = 'READY',
  timeoutMs = 20000,
): Promise<ChildProcess> {
  const child = spawn(python, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fixture ${script} not ready in ${timeoutMs} ms; stdout=${out} stderr=${err}`)), timeoutMs);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes(readyMarker)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fixture ${script} exited (${code}) before ready; stderr=${err}`));
    });
  });
  return child;
}

export function killQuietly(child: ChildProcess | undefined): void {
  if (child && child.exitCode === null && child.signalCode === null) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Temporary directory removed by the caller (or left under the OS tmp dir). */
export function tmpDir(prefix = 'pyprof-test-'): string {
  return fs.mkdtempSync(path.join(require('os').tmpdir(), prefix));
}
