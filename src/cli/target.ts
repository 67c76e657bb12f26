// What record/top share: open the target (attach to --pid or launch a command), stop a launched
// command when recording ends early, turn Ctrl-C/SIGTERM into a clean stop, and print errors as
// one actionable line.

import { attach } from '../engine';
import { EngineError } from '../engine/types';
import type { TargetProcess } from '../engine/types';
import { descendants, isAlive } from '../engine/subprocesses';
import { launch, Launched, tryAttach } from '../engine/launch';
import { describeCommand } from '../engine/types';
import { readCmdline } from '../engine/proc/procfs';
import { setTimeout as sleep } from 'timers/promises';
import { UsageError } from './args';
import type { EventSink } from './eventStream';

export interface OpenedTarget {
  process: TargetProcess;
  /** Set in launch mode. */
  launched?: Launched;
  /** The command line as shown to the user. */
  command: string;
  /**
   * With --subprocesses, the process whose Python descendants are followed when it is not Python
   * itself (`--pid` of a shell or launcher; a launched wrapper): `process` is its first Python descendant.
   */
  treeRoot?: number;
}

/** How long `--pid NON_PYTHON --subprocesses` waits for a first Python descendant. */
const DESCENDANT_WAIT_MS = 10_000;

/**
 * Attaches to `pid`, or launches `command` (in `env`, default this process's) and attaches from its
 * start. Exactly one must be given.
 */
export async function openTarget(pid: number | undefined, command: readonly string[], env?: NodeJS.ProcessEnv, subprocesses = false): Promise<OpenedTarget> {
  if (pid !== undefined && command.length > 0) throw new UsageError('give either --pid PID or a command after --, not both');
  if (pid === undefined && command.length === 0) throw new UsageError('nothing to profile: give --pid PID or a command (-- python script.py args)');
  if (pid !== undefined) {
    try {
      const process = attach(pid);
      return { process, command: describeCommand(process.info) };
    } catch (e) {
      if (!subprocesses || !(e instanceof EngineError) || e.code !== 'NOT_PYTHON') throw e;
      // like py-spy: a shell, `sh -c` or a launcher is the root of the Python processes it starts
      const process = await firstPythonDescendant(pid, DESCENDANT_WAIT_MS, e);
      return { process, command: readCmdline(pid) || `pid ${pid}`, treeRoot: pid };
    }
  }
  const launched = await launch(command, { attach, env });
  const wrapper = subprocesses && launched.pythonDescendant !== undefined ? launched.child.pid : undefined;
  return { process: launched.process, launched, command: command.join(' '), treeRoot: wrapper };
}

/** The first Python process under `root` (breadth first), waiting up to `waitMs` for one to start. */
async function firstPythonDescendant(root: number, waitMs: number, notPython: EngineError): Promise<TargetProcess> {
  const until = Date.now() + waitMs;
  for (;;) {
    for (const pid of descendants(root)) {
      try {
        const proc = tryAttach(pid, attach, () => undefined);
        if (proc) return proc;
      } catch (e) {
        if (e instanceof EngineError && e.code === 'PERMISSION_DENIED') throw e;
        // not Python (another shell, a helper) or gone meanwhile: keep looking
      }
    }
    if (!isAlive(root)) throw new EngineError('PROCESS_EXITED', `${notPython.message}, and it exited before starting a Python process to follow`);
    if (Date.now() >= until) {
      throw new EngineError('NOT_PYTHON', `${notPython.message}, and no Python process was started under it within ${waitMs / 1000} s (--subprocesses follows the Python processes it starts)`);
    }
    await sleep(20);
  }
}

/**
 * Ends a launched command that is still running when sampling stops (duration reached or Ctrl-C).
 * A terminal Ctrl-C already reached the child (same process group): give it a moment to finish
 * on its own before sending SIGINT, then SIGKILL as a last resort.
 */
export async function endLaunched(launched: Launched | undefined, graceMs: number): Promise<string | undefined> {
  if (!launched) return undefined;
  const { child } = launched;
  const pid = child.pid!;
  const exited = () => child.exitCode !== null || child.signalCode !== null || !isAlive(pid);
  const waitExit = (ms: number) =>
    Promise.race([launched.exit.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(exited()), ms))]);
  if (exited()) return undefined;
  if (graceMs > 0 && (await waitExit(graceMs))) return undefined;
  child.kill('SIGINT');
  if (await waitExit(3000)) return 'the launched command was stopped with SIGINT';
  child.kill('SIGKILL');
  await waitExit(1000);
  return 'the launched command did not stop on SIGINT and was killed';
}

/**
 * Calls `stop` on the first SIGINT/SIGTERM (the command then writes its output and exits 0).
 * A second one exits at once. Returns a function that removes the handlers.
 */
export function onInterrupt(stop: (signal: NodeJS.Signals) => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    if (++count > 1) {
      process.stderr.write('\npyprof: interrupted again, exiting without waiting\n');
      process.exit(130);
    }
    stop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Prints an error as one line (plus a hint for usage errors) and returns the exit code. */
export function reportError(e: unknown, command: string, events?: EventSink): number {
  if (e instanceof UsageError) {
    process.stderr.write(`pyprof ${command}: ${e.message}\nTry 'pyprof ${command} --help'.\n`);
    events?.emit({ type: 'error', code: 'USAGE', message: e.message });
    return 2;
  }
  if (e instanceof EngineError) {
    process.stderr.write(`pyprof: error: ${e.message}\n`);
    events?.emit({ type: 'error', code: e.code, message: e.message });
    return 1;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as NodeJS.ErrnoException).code;
  process.stderr.write(`pyprof: error: ${err.message}\n`);
  if (process.env.PYPROF_DEBUG && err.stack) process.stderr.write(err.stack + '\n');
  events?.emit({ type: 'error', code: code ?? 'INTERNAL', message: err.message });
  return 1;
}
