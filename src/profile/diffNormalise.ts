// What a share comparison divides by (diff.ts). Pure.
//
// Why not all samples. A profile is compositional: its shares sum to 1, so when one function gets
// 2x faster and the run 11% shorter, every function that did not change takes an 11% larger share
// of the shorter run. With enough samples a plain share comparison calls all of them "slower",
// which is true of their shares and false of their time. RNA-seq has the same problem (one gene
// taking more of the reads lowers every other gene's count) and the same answer (DESeq's median of
// ratios, edgeR's trimmed mean of M values): estimate the scale factor between the two profiles from
// the items that did not change, so that a few that changed a lot do not move the rest.
//
// How. Candidates are the functions with at least MIN_REFERENCE_SAMPLES own (self) samples in both
// profiles (own samples partition the profile; inclusive ones overlap). Each has a log share ratio
// M = log(p2/p1) and its variance (binomial × the batch-means design effect, diffStats.ts). The
// reference is a mode, not a mean (most functions did not change: counted in functions, not
// samples, so one big function that changed cannot take the centre with it): the largest group of
// candidates whose M agree, within both variances, with one candidate's M and then with the pooled
// scale of the group's other members, log((R2/n2)/(R1/n1)) with R their own samples (members that
// do not are dropped until all do); candidates outside that agree with the group's scale join.
// The new profile's shares are divided by the scale s = (R2/n2)/(R1/n1): each item is compared as
// its count relative to the reference's in the same run, and the reference's own sampling noise is
// in every interval (diffStats.ratioLogVariance).
// When nothing changed, the reference is nearly everything and s is near 1: the plain shares.
//
// Fallback to all samples (s = 1, said in the notes): no sample counts (no noise to tell changed
// from unchanged), fewer than MIN_CANDIDATES candidates (with two functions, which one changed
// cannot be told from shares), or a reference of fewer than two functions or under half of the
// candidates (no majority agrees on a scale).

import type { Profile } from './model';
import { computeStats, ProfileStats } from './summary';
import type { Batches } from './batchMeans';
import { batchDesignEffect, Interval } from './diffStats';

/** Own samples a function needs in each profile to be a candidate for the reference. */
export const MIN_REFERENCE_SAMPLES = 20;
/** Candidates needed to tell which functions did not change. */
export const MIN_CANDIDATES = 3;

export type NormaliseBy = 'unchanged' | 'all';

/** A function matched in both profiles, by its own samples. */
export interface Candidate {
  name: string;
  base: number;
  new: number;
  /** Own samples per time block of each profile (batchMeans.ts), when it has blocks. */
  baseBlocks?: ArrayLike<number>;
  newBlocks?: ArrayLike<number>;
}

/** What the choice needs of each profile's totals. */
export interface SideTotals {
  weight: number;
  counts: boolean;
  batches?: Batches;
  dfFactor: number;
}

export type ReferenceChoice = { members: number[]; logScale: number; logScaleVariance: number } | { why: string };

/** Variance of the log of a share x/n on one side: binomial (1 − p)/x × its design effect. */
function logShareVariance(x: number, blocks: ArrayLike<number> | undefined, t: SideTotals): number {
  if (!(x > 0) || !(t.weight > 0)) return Infinity;
  const deff = blocks && t.batches ? batchDesignEffect(blocks, t.batches.sizes, 'share', t.dfFactor) : 1;
  return (deff * (1 - x / t.weight)) / x;
}

const sumBlocks = (list: Array<ArrayLike<number> | undefined>, size: number): Float64Array | undefined => {
  if (list.some((b) => !b)) return undefined;
  const out = new Float64Array(size);
  for (const b of list) for (let i = 0; i < size; i++) out[i] += b![i];
  return out;
};

/** The functions that did not change (indexes into `candidates`), the log scale and its variance; or why there are none. */
export function chooseReference(candidates: Candidate[], base: SideTotals, next: SideTotals, z: number): ReferenceChoice {
  if (!base.counts || !next.counts) return { why: 'without sample counts, a function that changed cannot be told from noise' };
  const cands = candidates.filter((c) => c.base >= MIN_REFERENCE_SAMPLES && c.new >= MIN_REFERENCE_SAMPLES);
  if (cands.length < MIN_CANDIDATES) {
    return { why: `only ${cands.length} function${cands.length === 1 ? '' : 's'} with ${MIN_REFERENCE_SAMPLES} own samples in both profiles: too few to tell which did not change` };
  }
  const M = cands.map((c) => Math.log(c.new / next.weight) - Math.log(c.base / base.weight));
  const V = cands.map((c) => logShareVariance(c.base, c.baseBlocks, base) + logShareVariance(c.new, c.newBlocks, next));
  const all = cands.map((_, i) => i);
  const B1 = base.batches?.sizes.length ?? 0;
  const B2 = next.batches?.sizes.length ?? 0;
  // Pooled log scale of a set of candidates and its variance (their own samples summed, per block
  // too), as sums so that leaving one member out is a subtraction.
  type Pool = { R1: number; R2: number; b1?: Float64Array; b2?: Float64Array };
  const pool = (set: number[]): Pool => ({
    R1: set.reduce((a, i) => a + cands[i].base, 0),
    R2: set.reduce((a, i) => a + cands[i].new, 0),
    b1: B1 ? sumBlocks(set.map((i) => cands[i].baseBlocks), B1) : undefined,
    b2: B2 ? sumBlocks(set.map((i) => cands[i].newBlocks), B2) : undefined,
  });
  const without = (p: Pool, i: number): Pool => ({
    R1: p.R1 - cands[i].base,
    R2: p.R2 - cands[i].new,
    b1: p.b1 && cands[i].baseBlocks ? p.b1.map((v, k) => v - cands[i].baseBlocks![k]) : undefined,
    b2: p.b2 && cands[i].newBlocks ? p.b2.map((v, k) => v - cands[i].newBlocks![k]) : undefined,
  });
  const scaleOf = (p: Pool) => ({
    centre: Math.log(p.R2 / next.weight) - Math.log(p.R1 / base.weight),
    variance: logShareVariance(p.R1, p.b1, base) + logShareVariance(p.R2, p.b2, next),
  });
  const agrees = (i: number, p: Pool) => {
    const c = scaleOf(p);
    return Math.abs(M[i] - c.centre) <= z * Math.sqrt(V[i] + c.variance);
  };
  // A group settles by shrinking: each member is tested against the pooled scale of the others
  // (leave one out, so a member does not vouch for itself) until all agree. Only removals, so it ends.
  const settle = (group: number[]): number[] => {
    for (;;) {
      if (group.length < 2) return group;
      const whole = pool(group);
      const kept = group.filter((i) => agrees(i, without(whole, i)));
      if (kept.length === group.length) return group;
      group = kept;
    }
  };
  // Seeds: for each candidate, the candidates whose M agrees with its own, settled. The reference is
  // the largest settled group (most functions did not change; on a tie, the one with more samples):
  // a function that changed is in no starting centre however big it is, and a noisy one, which
  // agrees with everything, cannot hold together two groups that disagree.
  let members: number[] = [];
  let weight = -1;
  const tried = new Set<string>();
  for (const seed of all) {
    const start = all.filter((i) => Math.abs(M[i] - M[seed]) <= z * Math.sqrt(V[i] + V[seed]));
    const key = start.join(',');
    if (tried.has(key)) continue;
    tried.add(key);
    const group = settle(start);
    const w = group.reduce((a, i) => a + cands[i].base + cands[i].new, 0);
    if (group.length > members.length || (group.length === members.length && w > weight)) {
      members = group;
      weight = w;
    }
  }
  // Candidates outside that agree with its pooled scale join it (one pass).
  if (members.length >= 2) {
    const whole = pool(members);
    const inSet = new Set(members);
    members = all.filter((i) => inSet.has(i) || agrees(i, whole));
  }
  if (members.length < 2 || 2 * members.length < cands.length) {
    return { why: `no majority of the ${cands.length} functions with ${MIN_REFERENCE_SAMPLES} own samples in both profiles kept the same share relative to each other` };
  }
  const { centre, variance } = scaleOf(pool(members));
  return { members: members.map((i) => candidates.indexOf(cands[i])), logScale: centre, logScaleVariance: variance };
}

/** One profile's side of the normalisation: the reference's samples, per block and as a profile. */
export interface ReferenceSide {
  /** R: samples whose innermost function is in the reference (all samples when normalising by all). */
  weight: number;
  /** R in each time block of the profile, when it has blocks. */
  blocks?: Float64Array;
  /** Per function and line, how many of its samples are reference samples (the overlap o); undefined: all are. */
  stats?: ProfileStats;
  /** The reference's samples as a profile sharing the original's frames (the call tree's overlaps). */
  part?: Profile;
}

/** The reference side of a profile: its samples whose innermost frame is one of `frames`. */
export function referenceSide(profile: Profile, frames: Set<number>, batches: Batches | undefined): ReferenceSide {
  const inReference = (p: Profile) => p.samples.filter((s) => s.node >= 0 && frames.has(p.nodes[s.node].frame));
  const samples = inReference(profile);
  const part: Profile = { ...profile, samples, timeline: [] };
  const weight = samples.reduce((a, s) => a + s.weight, 0);
  const blocks = batches ? Float64Array.from(batches.parts, (p) => inReference(p).reduce((a, s) => a + s.weight, 0)) : undefined;
  return { weight, blocks, stats: computeStats(part), part };
}

/** How a share comparison was normalised, for the reports. */
export interface Normalisation {
  by: NormaliseBy;
  /** The new profile's shares are divided by this: (R2/n2)/(R1/n1); 1 by all samples. */
  scale: number;
  /** Its interval at the comparison's confidence (by the unchanged code only). */
  scaleInterval?: Interval;
  /** The reference functions, biggest first (empty by all samples). */
  functions: string[];
  /** The reference's share of each profile's samples (base, new). */
  share: [number, number];
  /** Why all samples, when the unchanged code was asked for but could not be found. */
  why?: string;
}
