// What a recording leaves out or adds up, said in the summary and the profile's notes: samples
// --gil or the default (no --idle) dropped and why, with the flag that would show them, and how
// many processes and threads were added together (their times can sum past the recording's length).

import type { SamplerStats } from '../engine/sampler';

/** Below this share of samples, what was left out is not worth a note. */
const WORTH_SAYING = 0.05;

export interface LeftOutInput {
  stats: SamplerStats;
  gil: boolean;
  idle: boolean;
  /** Processes and threads that contributed stacks. */
  processes: number;
  threads: number;
  /** Thread stacks recorded, and what one is worth in ms (the measured interval). */
  threadSamples: number;
  msPerSample: number;
  durationMs: number;
}

export function leftOutNotes(i: LeftOutInput): string[] {
  const notes: string[] = [];
  const { samples, emptySamples, samplesWithoutGilHolder, samplesWithoutActiveThread } = i.stats;
  if (samples === 0) return notes;
  const pct = (n: number) => `${Math.round((100 * n) / samples)} %`;
  const covered = `${((i.threadSamples * i.msPerSample) / 1000).toFixed(2)} s`;
  if (i.gil && samplesWithoutGilHolder / samples >= WORTH_SAYING) {
    notes.push(
      `--gil: no thread held the GIL in ${samplesWithoutGilHolder} of ${samples} samples (${pct(samplesWithoutGilHolder)}) — ` +
        'time in C code that releases the GIL (numpy/BLAS, compression, I/O) or waiting; those samples are left out, ' +
        `so the profile covers ${covered} of ${(i.durationMs / 1000).toFixed(2)} s recorded. Record without --gil to see that time`,
    );
  } else if (!i.gil && !i.idle && samplesWithoutActiveThread / samples >= WORTH_SAYING) {
    notes.push(
      `no thread was running in ${samplesWithoutActiveThread} of ${samples} samples (${pct(samplesWithoutActiveThread)}): ` +
        'the program was sleeping or waiting (I/O, locks, child processes); those samples are left out. Add --idle to see where it waits',
    );
  } else if (emptySamples / samples >= WORTH_SAYING && (i.gil || !i.idle)) {
    notes.push(`${emptySamples} of ${samples} samples (${pct(emptySamples)}) had no thread left after the ${i.gil ? '--gil' : 'running-threads'} filter and are left out`);
  }
  if (i.stats.unfollowedChildren > 0) {
    const n = i.stats.unfollowedChildren;
    notes.push(`the program started ${n} child process${n === 1 ? '' : 'es'} (multiprocessing, subprocess, fork): ${n === 1 ? 'it is' : 'they are'} not in this profile; add --subprocesses to follow ${n === 1 ? 'it' : 'them'}`);
  }
  const totalMs = i.threadSamples * i.msPerSample;
  if (i.processes > 1 || (i.threads > 1 && totalMs > i.durationMs * 1.05)) {
    const what = `${i.processes} process${i.processes === 1 ? '' : 'es'} and ${i.threads} thread${i.threads === 1 ? '' : 's'}`;
    notes.push(
      `sampled ${what}; their times add up: ${(totalMs / 1000).toFixed(2)} s of thread time in ${(i.durationMs / 1000).toFixed(2)} s recorded` +
        (i.processes > 1 ? ' (each process is a root of the profile)' : ''),
    );
  }
  return notes;
}
