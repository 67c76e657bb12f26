// Stopping a target's threads for an exact picture (blocking mode). PTRACE_SEIZE + PTRACE_INTERRUPT
// stop each thread without signals; PTRACE_DETACH lets it run again. Every paused process is
// registered so an exiting sampler resumes it; if the sampler dies outright, the kernel detaches
// its tracees and they carry on. All calls run on the Node main thread (ptrace is per OS thread).
import { listTids } from '../proc/procfs';
import { permissionDenied } from './memory';
import { ERRNO, loadLibc } from './libc';
import { EngineError } from '../types';

const PTRACE_DETACH = 17;
const PTRACE_SEIZE = 0x4206;
const PTRACE_INTERRUPT = 0x4207;
const WALL = 0x40000000;

const paused = new Map<number, number[]>();
let exitHookInstalled = false;

export function pauseProcess(pid: number): void {
  if (paused.has(pid)) return;
  const libc = loadLibc();
  installExitHook();
  const seized: number[] = [];
  paused.set(pid, seized);
  const status = Buffer.alloc(4);
  try {
    for (const tid of listTids(pid)) {
      if (libc.ptrace(PTRACE_SEIZE, tid, 0, 0) !== 0) {
        const e = libc.errno();
        if (e === ERRNO.ESRCH) continue; // the thread just ended
        if (e === ERRNO.EPERM) throw permissionDenied(pid);
        throw new EngineError('READ_FAILED', `cannot pause thread ${tid} of process ${pid} (errno ${e})`);
      }
      seized.push(tid);
      libc.ptrace(PTRACE_INTERRUPT, tid, 0, 0);
    }
    for (const tid of seized) libc.waitpid(tid, status, WALL);
    if (seized.length === 0) throw new EngineError('PROCESS_EXITED', `process ${pid} has exited`);
  } catch (e) {
    resumeProcess(pid);
    throw e;
  }
}

export function resumeProcess(pid: number): void {
  const seized = paused.get(pid);
  if (!seized) return;
  paused.delete(pid);
  const libc = loadLibc();
  for (const tid of seized) libc.ptrace(PTRACE_DETACH, tid, 0, 0);
}

export function isPaused(pid: number): boolean {
  return paused.has(pid);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of [...paused.keys()]) resumeProcess(pid);
  });
}
