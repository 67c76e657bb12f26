// Timer slack of the calling thread (prctl PR_SET_TIMERSLACK). Linux lets a sleeping thread's
// wake-up be deferred by up to its slack (50 µs by default) so that it can share a timer interrupt
// with other expiring timers. A sampler that sleeps with slack wakes preferentially when some other
// timer fires — such as the target's own sleep ending — which ties sample times to the target's
// phases. The sampler sets the minimum (1 ns) while it runs and restores the old value after.

import { loadLibc } from './libc';

const PR_SET_TIMERSLACK = 29;
const PR_GET_TIMERSLACK = 30;

/** Sets this thread's timer slack to 1 ns; returns a function restoring the previous value. */
export function minimiseTimerSlack(): () => void {
  let libc;
  try {
    libc = loadLibc();
  } catch {
    return () => undefined; // no libc binding (not Linux): sleeping with the default slack is still correct
  }
  const previous = libc.prctl(PR_GET_TIMERSLACK, 0);
  if (previous < 0 || libc.prctl(PR_SET_TIMERSLACK, 1) !== 0) return () => undefined;
  return () => {
    libc.prctl(PR_SET_TIMERSLACK, previous);
  };
}
