// Stopping a target's threads for an exact picture (blocking mode). PTRACE_SEIZE + PTRACE_INTERRUPT
// stop each thread without signals; PTRACE_DETACH lets it run again. Every paused process is
// registered so an exiting sampler resumes it (process 'exit', and SIGINT/SIGTERM/SIGHUP while
// anything is paused); if the sampler dies outright, the kernel detaches its tracees and they
// carry on. All calls run on the Node main thread (ptrace is per OS thread).
import { listTids } from '../proc/procfs';
import { readStat } from '../subprocesses';
import { permissionDenied } from '../proc/permission';
import { ERRNO, Libc, loadLibc } from './libc';
import { performance } from 'perf_hooks';
import { EngineError } from '../types';

const PTRACE_DETACH = 17;
const PTRACE_SEIZE = 0x4206;
const PTRACE_INTERRUPT = 0x4207;
const WALL = 0x40000000;
const P_PID = 1;
const WSTOPPED = 2;
const WEXITED = 4;
const WNOHANG = 1;
const SIGINFO_BYTES = 128;
/** offset of si_pid in siginfo_t on x86-64 (signo, errno, code, pad, then pid) */
const SI_PID = 16;
const STOP_WAIT_MS = 2000;
const STOP_POLL_MS = 0.02;
const pollCell = new Int32Array(new SharedArrayBuffer(4));
/** waitid's answer, reused: pauses can come a thousand times a second */
const siginfo = Buffer.alloc(SIGINFO_BYTES);

const paused = new Map<number, number[]>();
let exitHookInstalled = false;
/** Rounds of re-listing threads while pausing: a running thread may start another meanwhile. */
const SEIZE_ROUNDS = 3;
const RESUME_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Stops every thread of `pid`. `lingering`: the pause outlives this call (an explicit pause()),
 * so SIGINT/SIGTERM/SIGHUP must resume the target first; a pause-read-resume inside one
 * synchronous call needs no signal hooks (no JS signal handler can run before it resumes).
 */
export function pauseProcess(pid: number, lingering = false): void {
  if (lingering) installSignalHooks();
  if (paused.has(pid)) return;
  if (stopThreads(pid, () => listTids(pid), SEIZE_ROUNDS) === 0) throw new EngineError('PROCESS_EXITED', `process ${pid} has exited`);
}

/**
 * Stops the given threads of `pid` too (the rest run on), until resumeProcess(pid). Returns how
 * many it stopped: 0 when each had ended or was stopped already. For a read of one thread's stack
 * that tore: only the thread itself changes its frames, so stopping it alone makes its read exact,
 * at a fraction of the cost of stopping every thread (one seize, interrupt, wait and detach
 * instead of one per thread plus the thread listings).
 */
export function pauseThreads(pid: number, tids: readonly number[]): number {
  return stopThreads(pid, () => tids, 1);
}

/** Seizes and interrupts the listed threads (listing again while new ones appear), then waits until each is stopped; registers them under `pid`. */
function stopThreads(pid: number, list: () => readonly number[], rounds: number): number {
  const libc = loadLibc();
  installExitHook();
  const seized = paused.get(pid) ?? [];
  const already = seized.length;
  paused.set(pid, seized);
  try {
    for (let round = 0; round < rounds; round++) {
      let added = 0;
      for (const tid of list()) {
        if (seized.includes(tid)) continue;
        if (libc.ptrace(PTRACE_SEIZE, tid, 0, 0) !== 0) {
          const e = libc.errno();
          if (e === ERRNO.ESRCH) continue; // the thread just ended
          if (e === ERRNO.EPERM) throw permissionDenied(pid, `ptrace(PTRACE_SEIZE) of thread ${tid}`, 'EPERM');
          throw new EngineError('READ_FAILED', `cannot pause thread ${tid} of process ${pid} (errno ${e})`);
        }
        seized.push(tid);
        added++;
        libc.ptrace(PTRACE_INTERRUPT, tid, 0, 0);
      }
      if (added === 0) break; // no thread appeared since the last listing: all are stopping
    }
    for (let i = already; i < seized.length; i++) waitForStop(libc, seized[i], siginfo);
  } catch (e) {
    resumeProcess(pid);
    throw e;
  }
  if (seized.length === 0) paused.delete(pid);
  return seized.length - already;
}

/**
 * Waits until a seized thread is in its interrupt stop. waitid with WSTOPPED and without WEXITED:
 * a wait that also took exit statuses would reap a launched target (we are its parent as well as
 * its tracer) if it exited meanwhile, and Node would never learn that its child ended. Polled
 * (WNOHANG) with short sleeps, and given up after STOP_WAIT_MS: a thread that exits instead of
 * stopping never reports a stop.
 */
function waitForStop(libc: Libc, tid: number, info: Buffer): void {
  const deadline = performance.now() + STOP_WAIT_MS;
  for (;;) {
    info.fill(0);
    const r = libc.waitid(P_PID, tid, info, WSTOPPED | WNOHANG | WALL);
    if (r !== 0 || info.readInt32LE(SI_PID) !== 0) return; // stopped, or no such child any more
    if (performance.now() > deadline) return;
    Atomics.wait(pollCell, 0, 0, STOP_POLL_MS);
  }
}

export function resumeProcess(pid: number): void {
  const seized = paused.get(pid);
  if (!seized) return;
  paused.delete(pid);
  const libc = loadLibc();
  for (const tid of seized) {
    if (libc.ptrace(PTRACE_DETACH, tid, 0, 0) === 0) continue;
    // The thread exited (or is exiting) while seized: detaching fails, and it stays a traced zombie
    // until its tracer, us, waits on it. Until then its own parent cannot reap the process: a
    // multiprocessing parent joining that child waited for ever, and a recording following both
    // waited for the parent. A launched target's leader is left to Node, its parent, which reaps it.
    if (!(tid === pid && readStat(pid)?.ppid === process.pid)) exitedTracees.set(tid, 0);
  }
  reapExitedTracees();
  if (paused.size === 0) removeSignalHooks();
}

/** Seized threads that exited, and the reap attempts each has had (resumeProcess). */
const exitedTracees = new Map<number, number>();
/** Attempts, 10 ms apart, to reap an exited tracee that is not yet a zombie (still exiting). */
const REAP_ATTEMPTS = 500;
let reapTimer: NodeJS.Timeout | undefined;

function reapExitedTracees(): void {
  if (exitedTracees.size === 0) return;
  const libc = loadLibc();
  const info = siginfo;
  for (const [tid, attempts] of exitedTracees) {
    info.fill(0);
    const r = libc.waitid(P_PID, tid, info, WEXITED | WNOHANG | WALL);
    // reaped, or no longer ours to wait for (ECHILD): done; else it is still exiting
    if (r !== 0 || info.readInt32LE(SI_PID) !== 0 || attempts + 1 >= REAP_ATTEMPTS) exitedTracees.delete(tid);
    else exitedTracees.set(tid, attempts + 1);
  }
  if (exitedTracees.size > 0 && !reapTimer) {
    reapTimer = setTimeout(() => {
      reapTimer = undefined;
      reapExitedTracees();
    }, 10);
    reapTimer.unref();
  }
}

/** The threads of `pid` stopped by us (empty when not paused). */
export function pausedThreads(pid: number): readonly number[] {
  return paused.get(pid) ?? [];
}

export function isPaused(pid: number): boolean {
  return paused.has(pid);
}

/**
 * While a target is paused, a signal that would end this process first resumes it. Listeners are
 * attached only while something is paused, so the process's normal signal behaviour is untouched
 * otherwise; when ours is the only listener, the signal is re-raised after resuming so the
 * default action (exit) still happens.
 */
function onSignal(signal: NodeJS.Signals): void {
  for (const pid of [...paused.keys()]) resumeProcess(pid);
  removeSignalHooks();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

let signalHooksInstalled = false;

function installSignalHooks(): void {
  if (signalHooksInstalled) return;
  signalHooksInstalled = true;
  for (const s of RESUME_SIGNALS) process.on(s, onSignal);
}

function removeSignalHooks(): void {
  if (!signalHooksInstalled) return;
  signalHooksInstalled = false;
  for (const s of RESUME_SIGNALS) process.removeListener(s, onSignal);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of [...paused.keys()]) resumeProcess(pid);
  });
}
