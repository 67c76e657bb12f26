// Launch mode: start a command and attach to it as early as possible, so the profile covers the
// program from its first Python instruction. Like py-spy, we do not stop the child: we retry the
// attach about every millisecond until the interpreter is initialised and has a thread state
// (`python3` may first be a shell shim that execs the real interpreter, and libpython is only
// mapped after exec), which is well before the interpreter has finished importing `site` and
// reached the main script.

import { spawn, ChildProcess, StdioOptions } from 'child_process';
import { setTimeout as sleep } from 'timers/promises';
import { EngineError, Snapshot } from './types';
import type { AttachFn, TargetProcess } from './types';
import { descendants } from './subprocesses';

export interface LaunchOptions {
  attach: AttachFn;
  /** Defaults to 'inherit': the program keeps the terminal. */
  stdio?: StdioOptions;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Give up when no Python interpreter appears within this time (default 10 s). */
  timeoutMs?: number;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The command ended before an interpreter could be attached: carries its exit, which record returns as its own status. */
export class CommandEndedError extends EngineError {
  constructor(readonly exit: ChildExit, message: string) {
    super('LAUNCH_FAILED', message);
  }
}

export interface Launched {
  child: ChildProcess;
  process: TargetProcess;
  /** Resolves when the child exits (reaped). */
  exit: Promise<ChildExit>;
  /** ms from spawn to a successful attach. */
  attachDelayMs: number;
  /**
   * Set when the command itself is not Python (a shell script, `uv run`, `poetry run`, `make`):
   * the pid of the first Python process it started, which is what is sampled.
   */
  pythonDescendant?: number;
}

const FATAL: ReadonlySet<string> = new Set(['UNSUPPORTED_VERSION', 'PERMISSION_DENIED']);
/** A command still not Python after this long has exec'd into what it is: look at its children. */
const WRAPPER_GRACE_MS = 100;
/** How often a wrapper's process tree is listed while waiting for its Python child. */
const DESCENDANT_SCAN_MS = 5;

/**
 * Attaches to `pid` when its interpreter is far enough into start-up to have a thread; undefined
 * (after `onEarly` with the read error) while it is not yet. Throws what attach throws.
 */
export function tryAttach(pid: number, attach: AttachFn, onEarly: (e: unknown) => void): TargetProcess | undefined {
  const proc = attach(pid);
  let snap: Snapshot | undefined;
  try {
    snap = proc.snapshot();
  } catch (e) {
    onEarly(e); // interpreter still initialising: its structures are not consistent yet
  }
  if (snap && snap.threads.length > 0) {
    if (snap.threads.some((t) => t.holdsGil)) return proc;
    // No GIL holder yet: the handle may have cached per-interpreter state (the GIL pointer)
    // read while start-up was still filling it in. Attach afresh (a few ms, only here).
    proc.close();
    return attach(pid);
  }
  proc.close();
  return undefined;
}

export async function launch(command: readonly string[], opts: LaunchOptions): Promise<Launched> {
  if (command.length === 0) throw new EngineError('LAUNCH_FAILED', 'no command given to launch (expected: -- python script.py args)');
  const started = Date.now();
  const child = spawn(command[0], command.slice(1), { stdio: opts.stdio ?? 'inherit', env: opts.env, cwd: opts.cwd });
  let exitInfo: ChildExit | undefined;
  let spawnError: Error | undefined;
  const exit = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve((exitInfo = { code, signal })));
    child.once('error', (err) => {
      spawnError = err;
      resolve((exitInfo = { code: null, signal: null }));
    });
  });
  await Promise.race([new Promise<void>((r) => child.once('spawn', () => r())), exit]);

  const timeoutMs = opts.timeoutMs ?? 10_000;
  let lastError: unknown;
  let nextDescendantScan = 0;
  for (;;) {
    if (spawnError) {
      const code = (spawnError as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'command not found' : code === 'EACCES' ? 'permission denied' : spawnError.message;
      throw new EngineError('LAUNCH_FAILED', `cannot start '${command[0]}': ${why}`);
    }
    if (exitInfo || child.pid === undefined) {
      // One message whether it ended before the attach or between the attach and the first sample
      // (which of the two is a matter of microseconds), so the answer is the same on every run.
      const how = exitInfo?.signal ? `was killed by ${exitInfo.signal}` : `exited with code ${exitInfo?.code}`;
      throw new CommandEndedError(exitInfo ?? { code: null, signal: null }, `'${command.join(' ')}' ${how} before it could be sampled`);
    }
    try {
      const proc = tryAttach(child.pid, opts.attach, (e) => (lastError = e));
      if (proc) return { child, process: proc, exit, attachDelayMs: Date.now() - started };
    } catch (e) {
      lastError = e;
      if (e instanceof EngineError && FATAL.has(e.code)) {
        child.kill('SIGKILL');
        throw e;
      }
      // Not (yet) Python. Once it has had time to exec, a wrapper's Python child is the program.
      if (e instanceof EngineError && e.code === 'NOT_PYTHON' && Date.now() - started >= WRAPPER_GRACE_MS && Date.now() >= nextDescendantScan) {
        nextDescendantScan = Date.now() + DESCENDANT_SCAN_MS;
        for (const pid of descendants(child.pid)) {
          try {
            const proc = tryAttach(pid, opts.attach, () => undefined);
            if (proc) return { child, process: proc, exit, attachDelayMs: Date.now() - started, pythonDescendant: pid };
          } catch (de) {
            if (de instanceof EngineError && FATAL.has(de.code)) {
              child.kill('SIGKILL');
              throw de;
            }
            // a shell, `env`, a helper: keep looking
          }
        }
      }
    }
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new EngineError('NOT_PYTHON', `'${command.join(' ')}' did not start a supported Python interpreter within ${timeoutMs / 1000} s${detail}`);
    }
    await sleep(1);
  }
}
