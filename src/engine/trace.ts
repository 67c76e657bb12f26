// Tracing mode: run a program under CPython's own deterministic profiler (`python -m cProfile`)
// and import the result. Unlike sampling it sees every call: exact call counts and per-function
// times, at the price of a large slowdown of call-heavy code (often 1.5-3x) and no line detail.
// cProfile writes its stats in a `finally`, so Ctrl-C (SIGINT → KeyboardInterrupt) still
// produces a profile.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { importPstats } from '../profile/formats/pstats';
import type { Profile } from '../profile/model';
import { EngineError } from './types';

export interface TraceResult {
  profile: Profile;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  pid: number;
}

/** [python, script, args…] or [python, -m, module, args…] → the same under cProfile. */
export function tracedCommand(command: readonly string[], statsFile: string): string[] {
  if (command.length < 2) throw new EngineError('LAUNCH_FAILED', 'tracing needs a Python command: -- python script.py [args]');
  const [python, ...rest] = command;
  return [python, '-m', 'cProfile', '-o', statsFile, ...rest];
}

export async function runTraced(
  command: readonly string[],
  hooks: { onStart?(pid: number): void; stdio?: 'inherit' | 'ignore'; signal?: AbortSignal } = {},
): Promise<TraceResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-trace-'));
  const stats = path.join(dir, 'trace.pstats');
  try {
    const argv = tracedCommand(command, stats);
    const child = spawn(argv[0], argv.slice(1), { stdio: hooks.stdio ?? 'inherit' });
    const exit = await new Promise<TraceResult['exit']>((resolve, reject) => {
      child.once('error', (e) => reject(new EngineError('LAUNCH_FAILED', `cannot start '${argv[0]}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'command not found' : e.message}`)));
      child.once('spawn', () => hooks.onStart?.(child.pid!));
      hooks.signal?.addEventListener('abort', () => child.kill('SIGINT'));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    if (!fs.existsSync(stats)) {
      throw new EngineError('LAUNCH_FAILED', `'${command.join(' ')}' ended (${exit.signal ?? `exit code ${exit.code}`}) without cProfile output: is it a Python program?`);
    }
    const profile = importPstats(fs.readFileSync(stats), stats);
    profile.meta.command = command.join(' ');
    profile.meta.pid = child.pid;
    return { profile, exit, pid: child.pid! };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
