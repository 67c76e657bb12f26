// Start-up and exit phases of a command, for the benchmark (bench/cost.mjs, part 5): with
// PYPROF_PHASE_TIMES=1 each phase prints one line `pyprof: phase NAME EPOCH_MS` on stderr (wall
// clock, sub-millisecond), so the bench can split "command → first sample" and "target's exit →
// file written → process exit" into their parts. Off by default: nothing is printed or measured.

const enabled = process.env.PYPROF_PHASE_TIMES === '1';

/** Prints when `name` happened (epoch ms; default now), if PYPROF_PHASE_TIMES=1. */
export function phase(name: string, at?: number): void {
  if (enabled) process.stderr.write(`pyprof: phase ${name} ${(at ?? performance.timeOrigin + performance.now()).toFixed(3)}\n`);
}

/** Whether phases are printed (to skip work that only feeds them). */
export const phaseTimes = enabled;
