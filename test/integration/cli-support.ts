// Helpers for the CLI integration tests: run the built `pyprof` (dist/cli.js, what `npx pyprof`
// runs), parse collapsed output, find marker lines in fixtures, pick interpreters per version.
import * as fs from 'fs';
import * as path from 'path';
import { spawn, ChildProcess } from 'child_process';
import { repoRoot, supportedInterpreters, interpreters, REQUIRED_MINORS, Interpreter, fixture } from '../helpers';

export const CLI = path.join(repoRoot, 'dist', 'cli.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; the caller owns the child (kill it in finally). */
export function spawnCli(args: string[], extraFds = 0): ChildProcess {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} missing: run 'npm run build' first`);
  const stdio: Array<'pipe' | 'ignore'> = ['ignore', 'pipe', 'pipe'];
  for (let i = 0; i < extraFds; i++) stdio.push('pipe');
  return spawn(process.execPath, [CLI, ...args], { stdio, cwd: repoRoot });
}

export function collect(child: ChildProcess, timeoutMs = 60000): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pyprof did not finish in ${timeoutMs} ms; stderr=${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function runCli(args: string[], timeoutMs = 60000): Promise<CliResult> {
  return collect(spawnCli(args), timeoutMs);
}

export interface CollapsedStack {
  frames: string[];
  count: number;
}

/** `a (f.py:1);b (f.py:2) 17` lines → stacks (root first). */
export function parseCollapsed(text: string): CollapsedStack[] {
  const out: CollapsedStack[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const m = /^(.*) (\d+)$/.exec(line);
    if (!m) throw new Error(`not a collapsed-stack line: ${JSON.stringify(line)}`);
    out.push({ frames: m[1].split(';'), count: Number(m[2]) });
  }
  return out;
}

export function total(stacks: CollapsedStack[]): number {
  return stacks.reduce((a, s) => a + s.count, 0);
}

/** Samples whose innermost frame is function `name` (frame text starts with `name (`). */
export function selfCount(stacks: CollapsedStack[], name: string): number {
  return stacks.filter((s) => s.frames[s.frames.length - 1].startsWith(`${name} (`)).reduce((a, s) => a + s.count, 0);
}

/** Samples with `name` anywhere on the stack. */
export function totalCount(stacks: CollapsedStack[], name: string): number {
  return stacks.filter((s) => s.frames.some((f) => f.startsWith(`${name} (`))).reduce((a, s) => a + s.count, 0);
}

/** 1-based line of the first line containing `marker` in a fixture. */
export function markerLine(fixtureName: string, marker: string): number {
  const lines = fs.readFileSync(fixture(fixtureName), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not in ${fixtureName}`);
  return i + 1;
}

export interface VersionCase {
  label: string;
  interp?: Interpreter;
  skip?: string;
}

/** One case per required minor version (missing ones skip with a reason) plus Debian's python3. */
export function versionCases(): VersionCase[] {
  const supported = supportedInterpreters();
  const cases: VersionCase[] = REQUIRED_MINORS.map((minor) => {
    const interp = supported.find((i) => i.minor === minor && i.label.includes('pyenv')) ?? supported.find((i) => i.minor === minor);
    return interp ? { label: interp.label, interp } : { label: minor, skip: `CPython ${minor} is not installed on this machine` };
  });
  for (const i of supported) if (!cases.some((c) => c.interp === i)) cases.push({ label: i.label, interp: i });
  return cases;
}

/** Unsupported interpreters installed here (2.7, 3.6, 3.7). */
export function unsupportedInterpreters(): Interpreter[] {
  return interpreters().filter((i) => !supportedInterpreters().includes(i));
}

export function waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() - start > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}
