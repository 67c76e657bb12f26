// Scheduling priority of the sampling thread. A sampler that competes for a core with the program
// it samples (more runnable threads than cores: a busy machine, or a 1-core container) only gets
// to run when a core frees up — typically when the program goes to sleep. Its samples then land
// in the program's idle phases and miss its short bursts of CPU: measured on the accuracy fixture
// (1 ms bursts, 2 cores, load ~2.5), 17 % of the samples fell in bursts that took 26 % of the time
// at normal priority, 27 % of 27 % with SCHED_FIFO. So while sampling, the thread asks for the
// lowest real-time priority (SCHED_FIFO 1): each wake-up then takes a core at once, samples for a
// few µs and sleeps again. SCHED_RESET_ON_FORK keeps threads and processes started meanwhile
// (libuv's pool, a launched command) at normal priority. Without the right (CAP_SYS_NICE or
// RLIMIT_RTPRIO) it tries a lower nice value (RLIMIT_NICE), else stays as it was, and says so.
// The caller must drop back (restore) if the loop ever needs most of a core: a real-time thread
// that never sleeps would starve the program on its core (the kernel's RT throttling leaves 5 %).

import { loadLibc } from './libc';

const SCHED_OTHER = 0;
const SCHED_FIFO = 1;
const SCHED_RESET_ON_FORK = 0x40000000;
const PRIO_PROCESS = 0;
/** A nice value that wins wake-up preemption against normal (nice 0) threads most of the time. */
const RAISED_NICE = -10;

export type SamplingPriority = 'realtime' | 'raised' | 'normal';

export interface PriorityChange {
  priority: SamplingPriority;
  /** Why the priority stayed normal (no right to raise it, or not Linux). */
  reason?: string;
  /** Puts the thread back as it was; safe to call more than once. */
  restore(): void;
}

/** Raises the calling thread's scheduling priority for sampling; see the file comment. */
export function raiseSamplingPriority(): PriorityChange {
  let libc;
  try {
    libc = loadLibc();
  } catch {
    return { priority: 'normal', reason: 'no libc binding', restore: () => undefined };
  }
  const policy = libc.sched_getscheduler(0);
  const param = Buffer.alloc(4);
  if (policy < 0 || libc.sched_getparam(0, param) !== 0) return { priority: 'normal', reason: 'sched_getscheduler failed', restore: () => undefined };
  // Already real-time (someone ran us under chrt): leave it alone.
  if ((policy & ~SCHED_RESET_ON_FORK) !== SCHED_OTHER) return { priority: 'realtime', restore: () => undefined };
  let restored = false;
  const fifo = Buffer.alloc(4);
  fifo.writeInt32LE(1, 0);
  if (libc.sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, fifo) === 0) {
    return {
      priority: 'realtime',
      restore: () => {
        if (!restored) libc.sched_setscheduler(0, policy, param); // lowering a priority needs no right
        restored = true;
      },
    };
  }
  const fifoErrno = libc.errno();
  const nice = libc.getpriority(PRIO_PROCESS, 0);
  if (nice > RAISED_NICE && libc.setpriority(PRIO_PROCESS, 0, RAISED_NICE) === 0) {
    return {
      priority: 'raised',
      restore: () => {
        if (!restored) libc.setpriority(PRIO_PROCESS, 0, nice);
        restored = true;
      },
    };
  }
  const why = fifoErrno === 1 ? 'raising it needs CAP_SYS_NICE or an RLIMIT_RTPRIO/RLIMIT_NICE allowance (ulimit -r / -e)' : `sched_setscheduler failed with errno ${fifoErrno}`;
  return { priority: 'normal', reason: why, restore: () => undefined };
}
