// A profile's samples cut into consecutive time blocks ("batch means"), so that the comparison of
// two profiles can measure how much each item's share really varies within a run instead of
// assuming independent samples (diffStats.ts explains the model). Pure.
//
// Why blocks of time: samples close in time are alike (a phase of the program, a frozen stack while
// the program was descheduled, a hot loop seen on the same line again and again), samples far apart
// much less so. Blocks much longer than that correlation are nearly independent of each other, so
// the spread of an item's share between blocks estimates the variance of its share over the run,
// whatever the correlation inside a block was. Blocks are equal stretches of the run's time axis
// (the timeline's clock for our recordings, the running sample weight for imported speedscope).

import type { Profile, StackSample } from './model';
import { computeStats, ProfileStats } from './summary';

/** At most this many blocks (more blocks: more degrees of freedom, but shorter blocks, more correlated). */
export const MAX_BATCHES = 30;
/** Fewer blocks than this estimate the variance too poorly; the binomial interval is used instead. */
export const MIN_BATCHES = 10;
/** Samples per block at least (on average), so that a block spans more than a moment of the program. */
export const MIN_BATCH_SAMPLES = 20;

export interface Batches {
  /** Weight of all samples in each block. */
  sizes: Float64Array;
  /** Each block's samples as a profile sharing the original's frames and nodes (for diffTree). */
  parts: Profile[];
  /** computeStats of each block: per-function and per-line counts in it. */
  stats: ProfileStats[];
  /** Degrees of freedom of a variance estimated from these blocks: blocks − 1. */
  df: number;
  /** Share of the profile's weight the timeline covers (< 1 when it was truncated). */
  coverage: number;
}

/**
 * The profile's blocks, or why it has none: no timeline (aggregated formats), weights that are not
 * sample counts, or too few samples for MIN_BATCHES blocks of MIN_BATCH_SAMPLES.
 */
export function splitIntoBatches(profile: Profile): Batches | string {
  const runs = profile.timeline;
  if (runs.length === 0) return 'no sample order (an aggregated format)';
  let covered = 0;
  for (const r of runs) covered += r.count;
  let total = 0;
  for (const s of profile.samples) total += s.weight;
  if (!(covered > 0) || !(total > 0)) return 'no samples';
  const blocks = Math.min(MAX_BATCHES, Math.floor(covered / MIN_BATCH_SAMPLES));
  if (blocks < MIN_BATCHES) return `too few samples (${Math.round(covered)}) to measure how they vary within the run`;

  // Each run holds `count` samples from its start t, one every `dt` of its thread, and ends no later
  // than the thread's next run starts. dt per thread: its time span over the samples in that span.
  const byThread = new Map<number, number[]>();
  runs.forEach((r, i) => {
    let list = byThread.get(r.thread);
    if (!list) byThread.set(r.thread, (list = []));
    list.push(i);
  });
  const start = new Float64Array(runs.length);
  const end = new Float64Array(runs.length);
  const fallbackDt = profile.meta.durationMs && profile.meta.sampleCount ? profile.meta.durationMs / profile.meta.sampleCount : 1;
  for (const list of byThread.values()) {
    list.sort((a, b) => runs[a].t - runs[b].t || a - b);
    const first = runs[list[0]].t;
    const last = runs[list[list.length - 1]].t;
    let before = 0;
    for (let k = 0; k < list.length - 1; k++) before += runs[list[k]].count;
    const dt = last > first && before > 0 ? (last - first) / before : fallbackDt;
    list.forEach((ri, k) => {
      const r = runs[ri];
      start[ri] = r.t;
      const natural = r.t + r.count * dt;
      end[ri] = k + 1 < list.length ? Math.min(natural, runs[list[k + 1]].t) : natural;
      if (!(end[ri] > start[ri])) end[ri] = start[ri] + dt; // runs started at one instant: give them a sliver
    });
  }
  let t0 = Infinity;
  let t1 = -Infinity;
  for (let i = 0; i < runs.length; i++) {
    t0 = Math.min(t0, start[i]);
    t1 = Math.max(t1, end[i]);
  }
  const width = (t1 - t0) / blocks;

  // Spread each run's count over the blocks it overlaps, in proportion to the overlap.
  const leafWeights: Array<Map<number, number>> = Array.from({ length: blocks }, () => new Map());
  const sizes = new Float64Array(blocks);
  const add = (b: number, node: number, w: number) => {
    if (!(w > 0)) return;
    sizes[b] += w;
    const m = leafWeights[b];
    m.set(node, (m.get(node) ?? 0) + w);
  };
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i];
    const span = end[i] - start[i];
    const bFirst = Math.min(blocks - 1, Math.floor((start[i] - t0) / width));
    const bLast = Math.min(blocks - 1, Math.floor((end[i] - t0) / width));
    if (bFirst === bLast) {
      add(bFirst, r.node, r.count);
      continue;
    }
    for (let b = bFirst; b <= bLast; b++) {
      const lo = Math.max(start[i], t0 + b * width);
      const hi = b === blocks - 1 ? end[i] : Math.min(end[i], t0 + (b + 1) * width);
      add(b, r.node, (r.count * Math.max(0, hi - lo)) / span);
    }
  }
  const parts = leafWeights.map((m): Profile => {
    const samples: StackSample[] = [];
    for (const [node, weight] of m) samples.push({ thread: 0, node, weight });
    return { ...profile, samples, timeline: [] };
  });
  return { sizes, parts, stats: parts.map((p) => computeStats(p)), df: blocks - 1, coverage: Math.min(1, covered / total) };
}
