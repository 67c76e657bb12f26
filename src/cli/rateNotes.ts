// What record and top say about the sampling rate: a warning when the asked rate is beyond what
// was measured to be sustainable, and a note (summary + profile notes) when the achieved rate fell
// below 90 % of the asked one, with the reason. Durations never depend on this: they come from
// the measured rate (see Recorder.finish).

import * as os from 'os';
import type { SamplerStats } from '../engine/sampler';

/**
 * Highest rate `npm run bench` measured the sampler to hold on a single-threaded target on a
 * 2-vCPU VM (10 kHz at −1.4 %; unthrottled it reached ~78 kHz, with nothing left for the target).
 * Deeper stacks and more threads make each sample dearer, so the real limit is often lower.
 */
export const SUSTAINABLE_RATE_HZ = 10_000;

/** Below this share of the asked rate, the summary and the profile's notes say so. */
const UNDER_DELIVERED = 0.9;

/** A warning for a rate above SUSTAINABLE_RATE_HZ, or undefined. */
export function rateWarning(rateHz: number): string | undefined {
  if (rateHz <= SUSTAINABLE_RATE_HZ) return undefined;
  return `--rate ${rateHz} is above the ${SUSTAINABLE_RATE_HZ.toLocaleString('en-US')} Hz measured to be sustainable here (one thread, shallow stack); ` +
    'the rate achieved will be lower and is reported, and sampling that fast takes a core away from the program';
}

/**
 * A note when the sampler delivered less than 90 % of the asked rate over at least half a second:
 * the rate achieved and why — its own CPU (each sample costs too much for the rate) or the machine
 * (the sampler was runnable but not given a core).
 */
export function underDeliveredNote(stats: SamplerStats, askedHz: number, samplerCpuShare: number): string | undefined {
  const achieved = stats.achievedRateHz;
  if (!(achieved > 0) || stats.elapsedMs - stats.suspendedMs < 500 || achieved >= askedHz * UNDER_DELIVERED) return undefined;
  const pct = Math.round((100 * achieved) / askedHz);
  const cost = Math.round(stats.meanTickCostUs);
  const head = `sampling rate ${formatHz(achieved)} achieved of ${formatHz(askedHz)} asked (${pct} %); durations use the achieved rate`;
  if (samplerCpuShare >= 0.8) {
    const most = cost > 0 ? `, so about ${formatHz(1e6 / cost)} is the most it can take` : '';
    return `${head}. Why: the sampler's own CPU — it used ${Math.round(samplerCpuShare * 100)} % of a core; each sample costs ${cost} µs${most}`;
  }
  const load = os.loadavg()[0];
  return `${head}. Why: the machine — the sampler used only ${Math.round(samplerCpuShare * 100)} % of a core (${cost} µs per sample) but was not given the CPU on time (load average ${load.toFixed(1)} on ${os.cpus().length} cores)`;
}

function formatHz(hz: number): string {
  return `${Math.round(hz).toLocaleString('en-US')} Hz`;
}

/** Mean lateness of ticks above which a normal-priority sampler is said to have competed for a core. */
const LATE_MS = 0.25;

/**
 * A note when the sampler could not run at real-time priority and its ticks were late on average:
 * it competed with the program for a core and got one mostly while the program slept, so short
 * bursts of CPU are under-counted (see native/samplingPriority.ts). Says how to avoid it.
 */
export function priorityNote(stats: SamplerStats): string | undefined {
  if (stats.priority === 'realtime' || stats.ticks === 0 || !(stats.meanLagMs > LATE_MS)) return undefined;
  const why = stats.priorityReason ? ` (${stats.priorityReason})` : '';
  return `the sampler ran at ${stats.priority} priority${why} and its samples came ${stats.meanLagMs.toFixed(2)} ms late on average: ` +
    'it competed with the program for a core and got one mostly while the program slept, so short bursts of CPU (under a few ms) are under-counted. ' +
    'Run pyprof as root or with CAP_SYS_NICE (or ulimit -r 1) to sample at real-time priority';
}

/** Thread samples due on a core below which the late-sample tally says nothing. */
const LATE_TALLY_MIN = 200;
/**
 * A shortfall said when it is at least this, and at least 4 standard deviations of the tally's
 * noise: on time, read / due was 0.992 ± 0.014 over 105 recordings of bursty and flicker at 1 kHz
 * (~1,300 due each), so one standard deviation is about 0.5 / sqrt(due).
 */
const LATE_SHORTFALL = 0.05;

/**
 * A note when the samples found the program's threads on a core markedly less often than their
 * switch records show them on one at the ticks' scheduled instants (engine/proc/samplingThread.ts,
 * dueOnCore): the machine kept the sampler waiting while the program ran, so the samples lean to
 * the program's idle moments and its CPU time is short in the profile by about that share.
 */
export function lateSamplesNote(stats: SamplerStats): string | undefined {
  const due = stats.onCoreDue, read = stats.onCoreRead;
  if (!(due >= LATE_TALLY_MIN) || 1 - read / due < Math.max(LATE_SHORTFALL, 2 / Math.sqrt(due))) return undefined;
  const pct = Math.round((100 * read) / due);
  return `samples came late while the program ran: at the ticks' scheduled instants its threads were on a core ${due.toLocaleString('en-US')} times ` +
    `(their context-switch records), but the samples, taken when the sampler got to run, found them on one ${read.toLocaleString('en-US')} times (${pct} % of that): ` +
    'the machine did not run the sampler until the program paused (seen on VMs whose virtual CPUs share a physical CPU), ' +
    `so the program's CPU time is about ${100 - pct} % short in this profile, mostly from its bursts of CPU shorter than a few ms`;
}
