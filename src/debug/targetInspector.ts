// What the debug adapter's Pause does to the target: a snapshot of every thread, either read while
// the program keeps running (non-blocking) or with the program ptrace-stopped until Continue
// (blocking). Nothing is executed in the target and nothing is written to it. A stopped target is
// resumed on Continue, on disconnect, when this process exits or is signalled (the engine's
// ptrace hooks), and by the kernel if this process is killed outright (PTRACE_SEIZE stops are not
// group stops, so a vanished tracer leaves the program running).

import { attach, PythonProcess } from '../engine';
import { blockFor } from '../engine/sampler';
import { EngineError, ProcessInfo, Snapshot } from '../engine/types';
import { consistentSnapshot } from '../engine/consistentSnapshot';
import { tracerOf } from '../engine/proc/procfs';

/** The recorder holding sampling off while we own the target (see `pyprof record`'s SIGUSR1/2). */
export interface SamplingControl {
  suspend(): boolean;
  resume(): void;
}

/**
 * Room for a recorder to notice SIGUSR1 and finish a blocking read it is in the middle of: its
 * sampling loop visits the event loop every 50 ms (engine/sampler.ts YIELD_EVERY_MS), plus at most one
 * gap between samples (15 ms at 100 Hz).
 */
const SUSPEND_SETTLE_MS = 70;
/**
 * How long Pause waits for a blocking recorder to let go of the target (it holds it ptrace-stopped
 * for one read at a time). The settle time above is usually enough; on a loaded machine the
 * recorder may need far longer to be scheduled and see the signal (CI: EPERM after the settle time
 * and ten 10 ms retries), so the wait is bounded by the clock, and only while a tracer is really
 * attached: a plain permission refusal fails at once.
 */
const PAUSE_WAIT_MS = 5000;

export class TargetInspector {
  private proc: PythonProcess | undefined;
  private stoppedByUs = false;

  constructor(
    readonly pid: number,
    private readonly recorder: SamplingControl | undefined,
  ) {}

  private handle(): PythonProcess {
    if (!this.proc) this.proc = attach(this.pid);
    return this.proc;
  }

  /** The target's version, executable and command line. */
  get info(): ProcessInfo {
    return this.handle().info;
  }

  get holdsTargetStopped(): boolean {
    return this.stoppedByUs;
  }

  /** Why the last snapshot taken with `locals` has none (an unsupported version), else undefined. */
  localsUnavailable: string | undefined;
  /** Why the last snapshot taken with `locals` has no asyncio tasks (unsupported version, unreadable), else undefined. */
  tasksUnavailable: string | undefined;

  /**
   * Reads every thread's stack. `blocking`: the target stays stopped afterwards, until resume().
   * Thread run states are read before stopping (a ptrace-stopped thread always looks idle).
   * `locals`: also each frame's local variables and every asyncio task (read while stopped when blocking).
   */
  snapshot(blocking: boolean, locals = false): Snapshot {
    const proc = this.handle();
    if (!blocking || this.stoppedByUs) return this.read(proc, locals); // stopped already: exact anyway
    const running = consistentSnapshot(proc, false);
    const suspended = this.recorder?.suspend() ?? false;
    if (suspended) blockFor(SUSPEND_SETTLE_MS);
    try {
      this.stopTarget(proc);
    } catch (e) {
      if (suspended) this.recorder?.resume();
      throw e;
    }
    const stopped = this.read(proc, locals);
    const active = new Map(running.threads.map((t) => [t.tid, t.active] as const));
    for (const t of stopped.threads) t.active = active.get(t.tid) ?? false;
    return stopped;
  }

  private read(proc: PythonProcess, locals: boolean): Snapshot {
    this.localsUnavailable = undefined;
    this.tasksUnavailable = undefined;
    if (!locals) return consistentSnapshot(proc, false);
    try {
      // asyncio tasks too (Call Stack shows each as a pseudo-thread); a program without asyncio costs one dict lookup
      return consistentSnapshot(proc, false, 20, { locals: true, tasks: true });
    } catch (e) {
      if (!(e instanceof EngineError) || e.code === 'PROCESS_EXITED' || e.code === 'NO_SUCH_PROCESS') throw e;
      this.tasksUnavailable = e.message; // unsupported version, or a loop too busy to read: the threads still show
    }
    try {
      return consistentSnapshot(proc, false, 20, { locals: true });
    } catch (e) {
      if (!(e instanceof EngineError) || e.code !== 'UNSUPPORTED_VERSION') throw e;
      this.localsUnavailable = e.message;
      return consistentSnapshot(proc, false);
    }
  }

  /** ptrace-stops the target; retried while a blocking recorder still holds it for a read. */
  private stopTarget(proc: PythonProcess): void {
    const giveUp = performance.now() + PAUSE_WAIT_MS;
    let refusedUntraced = false;
    for (;;) {
      try {
        proc.pause();
        this.stoppedByUs = true;
        return;
      } catch (e) {
        // EPERM from PTRACE_SEIZE also means "another tracer has it": a blocking recorder between
        // its pause and resume. It lets go within one sample once it has seen the signal.
        const refused = e instanceof EngineError && e.code === 'PERMISSION_DENIED';
        if (!refused || this.recorder === undefined || performance.now() > giveUp) throw e;
        if (tracerOf(this.pid) === undefined) {
          // nobody traces it: the recorder may have let go between our attempt and this look, so one
          // more attempt; refused again with nobody tracing it, it is a real permission problem
          if (refusedUntraced) throw e;
          refusedUntraced = true;
          blockFor(5);
          continue;
        }
        refusedUntraced = false;
        blockFor(10);
      }
    }
  }

  /** Lets a target we stopped run again, and the recorder sample it again. */
  resume(): void {
    if (!this.stoppedByUs) return;
    this.stoppedByUs = false;
    try {
      this.proc?.resume();
    } finally {
      this.recorder?.resume();
    }
  }

  close(): void {
    this.resume();
    try {
      this.proc?.close();
    } catch {
      /* already gone */
    }
    this.proc = undefined;
  }
}
