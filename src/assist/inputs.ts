// Checks what an assistant (a language model behind VS Code's LM tools or an MCP client) asks a
// tool to do, before anything runs: numbers in range, paths inside the workspace root, a PID that
// exists and that this user may read, a duration under the cap. Every refusal is an AssistInputError
// whose message says what was wrong and what to do instead; the model shows it to the user.

import * as fs from 'fs';
import * as path from 'path';
import { permissionDenied } from '../engine/proc/permission';
import { AssistInputError } from './errors';

export { AssistInputError } from './errors';


/** Longest recording a tool may start, unless the host raises it (`pyprof mcp --max-duration`). */
export const DEFAULT_MAX_DURATION_S = 300;
/** Rows a query returns when the model does not say. */
export const DEFAULT_LIMIT = 15;
const MAX_LIMIT = 200;
/** Linux's PID_MAX_LIMIT (2^22). */
const PID_MAX = 4_194_304;

type Input = Record<string, unknown>;

export function asObject(input: unknown): Input {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new AssistInputError('the tool input must be a JSON object');
  return input as Input;
}

export function optionalString(input: Input, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new AssistInputError(`'${key}' must be a string, not ${JSON.stringify(v)}`);
  return v;
}

export function requiredString(input: Input, key: string): string {
  const v = optionalString(input, key);
  if (v === undefined) throw new AssistInputError(`'${key}' is required`);
  return v;
}

export function stringList(input: Input, key: string): string[] | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new AssistInputError(`'${key}' must be a list of strings`);
  return v as string[];
}

function number(input: Input, key: string): number | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new AssistInputError(`'${key}' must be a number, not ${JSON.stringify(v)}`);
  return n;
}

/** Rows to show: 1..200, default DEFAULT_LIMIT. */
export function limitOf(input: Input): number {
  const n = number(input, 'limit');
  if (n === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new AssistInputError(`'limit' must be a whole number from 1 to ${MAX_LIMIT}, not ${n}`);
  return n;
}

/** Samples per second: 1..10000 (what the recorder sustains), undefined = the host's default. */
export function rateOf(input: Input): number | undefined {
  const n = number(input, 'rate');
  if (n === undefined) return undefined;
  if (n < 1 || n > 10_000) throw new AssistInputError(`'rate' must be from 1 to 10000 samples per second, not ${n}`);
  return n;
}

/** Seconds to record: over 0 and at most `cap`; `required` for attaching (a process may run forever). */
export function durationOf(input: Input, cap: number, required: boolean): number | undefined {
  const n = number(input, 'durationSeconds');
  if (n === undefined) {
    if (required) throw new AssistInputError(`'durationSeconds' is required: how long to record (at most ${cap} s)`);
    return undefined;
  }
  if (!(n > 0)) throw new AssistInputError(`'durationSeconds' must be more than 0, not ${n}`);
  if (n > cap) throw new AssistInputError(`'durationSeconds' ${n} is over the cap of ${cap} s; record ${cap} s or less (the cap is set by whoever runs pyprof: pyprof mcp --max-duration SECONDS)`);
  return n;
}

/**
 * A PID this user may read: a whole number, a live process, and /proc/PID/mem opens (the kernel's
 * ptrace access check, the same one reading its memory needs). A refusal is explained by
 * engine/proc/permission.ts exactly as `pyprof record --pid` explains it.
 */
export function readablePid(input: Input): number {
  const v = number(input, 'pid');
  if (v === undefined) throw new AssistInputError("'pid' is required: the process ID of a running Python program");
  if (!Number.isInteger(v) || v < 1 || v > PID_MAX) throw new AssistInputError(`'pid' must be a process ID (a whole number from 1 to ${PID_MAX}), not ${v}`);
  if (v === process.pid) throw new AssistInputError(`PID ${v} is pyprof's own process, not a Python program`);
  if (!fs.existsSync(`/proc/${v}`)) throw new AssistInputError(`there is no process with PID ${v} (it may have exited); 'ps -C python3 -o pid,args' lists running Python programs`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(`/proc/${v}/mem`, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EACCES';
    if (code === 'EACCES' || code === 'EPERM') throw new AssistInputError(permissionDenied(v, `opening /proc/${v}/mem`, code).message);
    if (code === 'ENOENT') throw new AssistInputError(`there is no process with PID ${v} (it exited)`);
    throw new AssistInputError(`cannot open /proc/${v}/mem: ${(e as Error).message}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return v;
}

/** True when `file` (already resolved) is `root` or inside it. */
function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * An existing file named relative to one of `roots` (or absolute), resolved through symlinks, that
 * lies inside one of them. `what` names the argument in the error ("file", "profile").
 */
export function fileInRoots(p: string, roots: readonly string[], what: string, alsoAllowed: ReadonlySet<string> = new Set()): string {
  if (roots.length === 0 && alsoAllowed.size === 0) throw new AssistInputError(`no workspace folder is open, so pyprof reads no ${what} files (open a folder, or start pyprof mcp with --root DIR)`);
  const candidates = path.isAbsolute(p) ? [p] : roots.map((r) => path.resolve(r, p));
  const existing = candidates.find((c) => fs.existsSync(c));
  if (!existing) throw new AssistInputError(`${what} '${p}' does not exist${path.isAbsolute(p) ? '' : ` under ${roots.join(' or ')}`}`);
  const real = fs.realpathSync(existing);
  if (alsoAllowed.has(real)) return real;
  if (!roots.some((r) => isInside(safeRealpath(r), real))) {
    throw new AssistInputError(`${what} '${p}' is outside the workspace root (${roots.join(', ') || 'none'}): pyprof only reads and runs files under the root${roots.length ? '' : ''} (pyprof mcp --root DIR chooses it)`);
  }
  if (!fs.statSync(real).isFile()) throw new AssistInputError(`${what} '${p}' is not a file`);
  return real;
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * A command to launch: a non-empty argv whose arguments that name existing .py files lie inside a
 * root (a script outside the workspace is refused like a file outside it; the command's own code is
 * what the user confirms).
 */
export function commandIn(input: Input, roots: readonly string[]): string[] | undefined {
  const cmd = stringList(input, 'command');
  if (cmd === undefined) return undefined;
  if (cmd.length === 0 || cmd[0].trim() === '') throw new AssistInputError("'command' must name a program to run, e.g. [\"python3\", \"app.py\"]");
  for (const arg of cmd.slice(1)) {
    if (!/\.pyw?$/i.test(arg)) continue;
    const abs = path.isAbsolute(arg) ? arg : path.resolve(roots[0] ?? '.', arg);
    if (fs.existsSync(abs)) fileInRoots(abs, roots, 'script');
  }
  return cmd;
}
