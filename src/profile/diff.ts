// Comparing two profiles: per function and per line, each side's weight, share and time, the
// change, and whether it is significant given the sample counts (diffStats.ts). Pure: the CLI
// (`pyprof diff`), the editor's decorations and the differential flame graph all read this.
//
// Normalisation. 'share' (default) compares shares, robust when the two runs differ in length or in
// how loaded the machine was. A plain share of all samples moves when anything else changes (one
// function 2x faster, the run 11% shorter: every unchanged function's share rises 12%), so by
// default shares are normalised by the code that did not change (diffNormalise.ts: a scale factor
// estimated from the functions whose shares kept their ratios, as RNA-seq normalises read counts),
// falling back to all samples, with the reason, when that code cannot be told apart. Deltas are in
// the base's share units: new share / scale − base share. 'time' compares time from the clock
// (samples × the measured ms per sample): absolute, but moved by the machine's load.
// Time deltas in share mode are shares scaled to the new run's total time × the scale (pprof's -normalize).
//
// Matching. Functions match by name and file (so a function moved within its file is itself), with
// the base's def line mapped through the line map to tell same-named functions of one file apart,
// then by unqualified name (`Klass.method` vs `method`, Python < 3.11 or other tools). Lines of a
// file match through lineMap.ts when both profiles carry that file's digest, else by number.

import { Profile, ProfileMeta, msPerWeight, totalWeight } from './model';
import { computeStats } from './summary';
import { IDENTITY_MAP, LineMap, mapLines } from './lineMap';
import { decodeLineHashes, SourceDigest } from './sourceDigest';
import { batchDesignEffect, DEFAULT_CONFIDENCE, Interval, MIN_EFFECT_SAMPLES, ratioLogVariance, timeRatioInterval, tForConfidence, zForConfidence } from './diffStats';
import { Batches, splitIntoBatches } from './batchMeans';
import { Candidate, chooseReference, Normalisation, NormaliseBy, ReferenceSide, referenceSide } from './diffNormalise';

export type DiffMode = 'share' | 'time';
export type ChangeStatus = 'slower' | 'faster' | 'new' | 'gone' | 'unchanged';

export interface DiffOptions {
  mode?: DiffMode;
  /** Two-sided confidence level of the intervals, default 0.999. */
  confidence?: number;
  /** share mode: normalise by the code that did not change (default) or by all samples. */
  normalise?: NormaliseBy;
}

/** One side (base or new) of a compared item. Weights are in the profile's own unit. */
export interface DiffSide {
  self: number;
  total: number;
  /** Of the profile's total weight. */
  selfShare: number;
  totalShare: number;
  /** Milliseconds from the clock, when the profile measured time. */
  selfMs?: number;
  totalMs?: number;
}

export interface Change {
  status: ChangeStatus;
  /** Whether the interval excludes no change; undefined when the profiles have no sample counts (cProfile, austin times). */
  significant: boolean | undefined;
  /** share mode: new share / scale − base share (fractions of the base's samples); time mode: new ms − base ms. */
  delta: number;
  /** new / base − 1 of the compared quantity (normalised share or ms); Infinity for new items, −1 for gone ones. */
  relative: number;
  /** Interval on `delta`, same unit, when sample counts are known. */
  interval?: Interval;
  /** Interval on `relative`, when the base has the item and sample counts are known. */
  relativeInterval?: Interval;
  /** The change in milliseconds (share mode: at the new run's total time); undefined without time. */
  deltaMs?: number;
  /** Variance inflation of each side's count (base, new) measured by batch means; 1 = as independent samples. */
  designEffect?: [number, number];
}

export interface ItemDiff {
  base?: DiffSide;
  new?: DiffSide;
  change: Change;
}

export interface FunctionDiff extends ItemDiff {
  name: string;
  /** Path as the new profile has it (the base's when the function is gone). */
  file: string;
  /** def lines (0 unknown / absent on that side). */
  baseLine: number;
  newLine: number;
}

export interface LineDiff extends ItemDiff {
  /** Line in the new version; for a gone line, the new line standing where it was. */
  line: number;
  /** Line in the base version (0 for a new line). */
  baseLine: number;
  /** The line's text changed; it is compared with the line it replaced. */
  edited: boolean;
}

export interface ProfileTotals {
  /** Sum of all sample weights (the share denominator). */
  weight: number;
  /** Total time from the clock, ms; undefined when the profile does not measure it. */
  ms?: number;
  /** ms per unit of weight, from the clock. */
  msPerWeight?: number;
  /** The weights are sample counts (significance can be computed). */
  counts: boolean;
  /**
   * The run cut into consecutive time blocks, from which each item's variance is measured
   * (batchMeans.ts); undefined when the profile has no sample order or too few samples.
   */
  batches?: Batches;
  /** Why there are no blocks (the intervals then assume independent samples). */
  noBatches?: string;
  /** (t_{blocks−1} / z)²: widens a variance estimated from few blocks as a Student t would. */
  dfFactor: number;
  /** share mode: the samples shares are taken of (the code that did not change); undefined: all samples. */
  reference?: ReferenceSide;
  meta: ProfileMeta;
}

export interface ProfileDiff {
  mode: DiffMode;
  confidence: number;
  /** share mode: what shares were normalised by, and the scale factor. */
  normalisation?: Normalisation;
  base: ProfileTotals;
  new: ProfileTotals;
  /** The whole program's time change (all samples), when both profiles measure time. */
  program?: Change;
  /** Every function seen in either profile, biggest absolute change first. */
  functions: FunctionDiff[];
  /** Per file (the new profile's path; the base's for files only it has): lines sorted by `line`. */
  files: Map<string, LineDiff[]>;
  /** What the comparison could not do, in words (no line mapping for a file, no time, …). */
  notes: string[];
  /** Index into `functions` of each base / new profile frame (-1: never sampled). */
  baseFrameFunction: Int32Array;
  newFrameFunction: Int32Array;
  /** Normal quantile of `confidence`, for comparing further items (the flame graph's nodes). */
  z: number;
}

export class DiffError extends Error {}

/**
 * ms per unit of weight from the clock: a recording's measured duration over its sample count (not
 * the requested rate), or the unit itself for time-weighted formats. Undefined otherwise (collapsed
 * stacks have counts but no time; a recording of several processes has one count per process).
 */
export function clockMsPerWeight(profile: Profile): number | undefined {
  const m = profile.meta;
  if (m.unit === 'samples') {
    const pids = new Set(profile.threads.map((t) => t.pid));
    if (m.durationMs && m.durationMs > 0 && m.sampleCount && m.sampleCount > 0 && pids.size <= 1) return m.durationMs / m.sampleCount;
    return undefined;
  }
  return msPerWeight(m);
}

function totalsOf(profile: Profile, confidence: number): ProfileTotals {
  const weight = totalWeight(profile);
  const k = clockMsPerWeight(profile);
  const counts = (profile.meta.unit === 'samples' || profile.meta.unit === 'none') && profile.samples.every((s) => Number.isInteger(s.weight));
  const split = counts ? splitIntoBatches(profile) : 'no sample counts';
  const batches = typeof split === 'string' ? undefined : split;
  const dfFactor = batches ? (tForConfidence(confidence, batches.df) / zForConfidence(confidence)) ** 2 : 1;
  return { weight, ms: k === undefined ? undefined : weight * k, msPerWeight: k, counts, batches, noBatches: typeof split === 'string' ? split : undefined, dfFactor, meta: profile.meta };
}

/** An item's count in each block of a profile (undefined when the profile has no blocks). */
export type BlockCounts = ArrayLike<number> | undefined;

/** Design effect of one item on one side: from its block counts, else 1 (independent samples). */
function sideDesignEffect(blockCounts: BlockCounts, t: ProfileTotals, mode: DiffMode): number {
  return blockCounts && t.batches ? batchDesignEffect(blockCounts, t.batches.sizes, mode, t.dfFactor) : 1;
}

function side(self: number, total: number, t: ProfileTotals): DiffSide {
  const out: DiffSide = { self, total, selfShare: t.weight > 0 ? self / t.weight : 0, totalShare: t.weight > 0 ? total / t.weight : 0 };
  if (t.msPerWeight !== undefined) {
    out.selfMs = self * t.msPerWeight;
    out.totalMs = total * t.msPerWeight;
  }
  return out;
}

/**
 * The change of one item (its `total` weight on each side; 0 when absent). `blocks` are the item's
 * counts in each time block of the base and new profile, when they have blocks (batchMeans.ts):
 * without them the item's samples are taken as independent.
 */
export function compareCounts(
  x1: number,
  x2: number,
  base: ProfileTotals,
  next: ProfileTotals,
  mode: DiffMode,
  z: number,
  blocks: { base?: BlockCounts; new?: BlockCounts; baseOverlap?: number; newOverlap?: number } = {},
): Change {
  const counts = base.counts && next.counts;
  let delta: number;
  let relative: number;
  let interval: Interval | undefined;
  let relativeInterval: Interval | undefined;
  let deltaMs: number | undefined;
  let designEffect: [number, number] | undefined;
  // The minimum effect: MIN_EFFECT_SAMPLES samples of the side where a sample weighs more.
  let minEffect = 0;
  if (mode === 'share') {
    // Each side's count relative to its reference count R (all samples when not normalised): the
    // new side is put in the base's share units by the scale s = (R2/n2)/(R1/n1).
    const n1 = base.weight;
    const n2 = next.weight;
    const R1 = base.reference?.weight ?? n1;
    const R2 = next.reference?.weight ?? n2;
    const i1 = n1 > 0 ? 1 / n1 : 0;
    const i2 = R2 > 0 && n1 > 0 ? R1 / (R2 * n1) : 0;
    const t1 = x1 * i1;
    const t2 = x2 * i2;
    delta = t2 - t1;
    relative = t1 > 0 ? t2 / t1 - 1 : t2 > 0 ? Infinity : 0;
    if (counts) {
      // Overlap with the reference: all of an item's samples are in it when it is all samples; unknown → none (the wider variance).
      const v1 = ratioLogVariance(x1, blocks.baseOverlap ?? (base.reference ? 0 : x1), R1, refBlocks(blocks.base, base), base.dfFactor);
      const v2 = ratioLogVariance(x2, blocks.newOverlap ?? (next.reference ? 0 : x2), R2, refBlocks(blocks.new, next), next.dfFactor);
      const inflation = (x: number, v: { variance: number; independent: number }) => (x > 0 && v.independent > 0 ? v.variance / v.independent : 1);
      designEffect = [inflation(x1, v1), inflation(x2, v2)];
      // Effective counts 1/variance, so that the Poisson ratio interval has the measured variance.
      const d1 = x1 > 0 ? Math.max(v1.variance * x1, 1e-12) : 1;
      const d2 = x2 > 0 ? Math.max(v2.variance * x2, 1e-12) : 1;
      const r = timeRatioInterval(x1 / d1, i1 * d1, x2 / d2, i2 * d2, z);
      interval = t1 > 0 ? { lo: t1 * (r.lo - 1), hi: t1 * (r.hi - 1) } : { lo: t2 * (1 - 1 / r.lo), hi: t2 * (1 - 1 / r.hi) };
      if (t1 > 0) relativeInterval = { lo: r.lo - 1, hi: r.hi - 1 };
      minEffect = MIN_EFFECT_SAMPLES / Math.max(1, Math.min(n1, n2));
    }
    if (next.ms !== undefined) deltaMs = delta * (n2 > 0 && R1 > 0 ? (R2 / n2) / (R1 / n1) : 1) * next.ms;
  } else {
    if (counts) designEffect = [sideDesignEffect(blocks.base, base, mode), sideDesignEffect(blocks.new, next, mode)];
    const i1 = base.msPerWeight!;
    const i2 = next.msPerWeight!;
    const t1 = x1 * i1;
    const t2 = x2 * i2;
    delta = t2 - t1;
    relative = t1 > 0 ? t2 / t1 - 1 : t2 > 0 ? Infinity : 0;
    deltaMs = delta;
    if (designEffect) {
      const [d1, d2] = designEffect;
      const r = timeRatioInterval(x1 / d1, i1 * d1, x2 / d2, i2 * d2, z);
      // t2 − t1 = t1 (r − 1) = t2 (1 − 1/r): the second form when the base has nothing (a new item).
      interval = t1 > 0 ? { lo: t1 * (r.lo - 1), hi: t1 * (r.hi - 1) } : { lo: t2 * (1 - 1 / r.lo), hi: t2 * (1 - 1 / r.hi) };
      if (t1 > 0) relativeInterval = { lo: r.lo - 1, hi: r.hi - 1 };
      minEffect = MIN_EFFECT_SAMPLES * Math.max(i1, i2);
    }
  }
  const significant = interval ? (interval.lo > 0 || interval.hi < 0) && Math.abs(delta) >= minEffect : counts ? false : undefined;
  let status: ChangeStatus;
  if (x1 <= 0 && x2 > 0) status = 'new';
  else if (x1 > 0 && x2 <= 0) status = 'gone';
  else if (significant === false || delta === 0) status = 'unchanged';
  else status = delta > 0 ? 'slower' : 'faster';
  return { status, significant, delta, relative, interval, relativeInterval, deltaMs, designEffect };
}

/** An item's block counts with its profile's reference counts per block (all samples: the block sizes). */
function refBlocks(counts: BlockCounts, t: ProfileTotals): { counts: ArrayLike<number>; reference: ArrayLike<number> } | undefined {
  if (!counts || !t.batches) return undefined;
  const reference = t.reference ? t.reference.blocks : t.batches.sizes;
  return reference ? { counts, reference } : undefined;
}

interface FunctionAgg {
  name: string;
  file: string;
  line: number;
  self: number;
  total: number;
  /** Indexes into profile.frames merged into this function. */
  frames: number[];
}

/** Per-function stats with frames of the same (name, file, def line) merged (imports can split them). */
function functionTable(profile: Profile, stats: ReturnType<typeof computeStats>): FunctionAgg[] {
  const byKey = new Map<string, FunctionAgg>();
  profile.frames.forEach((f, i) => {
    const st = stats.functions[i];
    if (st.total === 0) return;
    const key = `${f.name}\0${f.file}\0${f.line}`;
    const agg = byKey.get(key);
    if (agg) {
      agg.self += st.self;
      agg.total += st.total;
      agg.frames.push(i);
    } else byKey.set(key, { name: f.name, file: f.file, line: f.line, self: st.self, total: st.total, frames: [i] });
  });
  return [...byKey.values()];
}

const shortName = (name: string) => name.slice(name.lastIndexOf('.') + 1);

/** Pairs base and new functions: exact (name, file, mapped def line), then (name, file), then (unqualified name, file), each when unique. */
function matchFunctions(base: FunctionAgg[], next: FunctionAgg[], mapOf: (file: string) => LineMap): Array<[FunctionAgg | undefined, FunctionAgg | undefined]> {
  const pairs: Array<[FunctionAgg | undefined, FunctionAgg | undefined]> = [];
  const freeBase = new Set(base);
  const freeNew = new Set(next);
  const stage = (keyOf: (f: FunctionAgg, isBase: boolean) => string | undefined) => {
    const groups = new Map<string, { b: FunctionAgg[]; n: FunctionAgg[] }>();
    const add = (f: FunctionAgg, isBase: boolean) => {
      const k = keyOf(f, isBase);
      if (k === undefined) return;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { b: [], n: [] }));
      (isBase ? g.b : g.n).push(f);
    };
    for (const f of freeBase) add(f, true);
    for (const f of freeNew) add(f, false);
    for (const g of groups.values()) {
      if (g.b.length === 1 && g.n.length === 1) {
        pairs.push([g.b[0], g.n[0]]);
        freeBase.delete(g.b[0]);
        freeNew.delete(g.n[0]);
      }
    }
  };
  stage((f, isBase) => (f.line > 0 ? `${f.name}\0${f.file}\0${isBase ? mapOf(f.file).newLine(f.line) : f.line}` : undefined));
  stage((f) => `${f.name}\0${f.file}`);
  stage((f) => `${shortName(f.name)}\0${f.file}`);
  for (const f of freeBase) pairs.push([f, undefined]);
  for (const f of freeNew) pairs.push([undefined, f]);
  return pairs;
}

function lineMapFor(file: string, base?: SourceDigest, next?: SourceDigest): LineMap | undefined {
  if (!base || !next) return undefined;
  if (base.sha256 === next.sha256) return IDENTITY_MAP;
  return mapLines(decodeLineHashes(base), decodeLineHashes(next));
}

/** A function's count in each block of its profile: the sum over the frames merged into it. */
function functionBlocks(t: ProfileTotals, f: FunctionAgg | undefined): BlockCounts {
  if (!t.batches || !f) return undefined;
  return t.batches.stats.map((st) => f.frames.reduce((sum, i) => sum + st.functions[i].total, 0));
}

/** A line's count in each block of its profile (file as that profile has it). */
function lineBlocks(t: ProfileTotals, file: string, line: number): BlockCounts {
  if (!t.batches) return undefined;
  return t.batches.stats.map((st) => st.lines.get(file)?.get(line)?.total ?? 0);
}

/** A line's reference samples (share mode, normalised by the unchanged code). */
function lineOverlap(t: ProfileTotals, file: string, line: number): number | undefined {
  return t.reference?.stats ? (t.reference.stats.lines.get(file)?.get(line)?.total ?? 0) : undefined;
}

/**
 * Chooses what shares are normalised by (diffNormalise.ts) and sets each side's reference: the
 * functions that did not change, or all samples (no reference) with the reason.
 */
function normaliseShares(
  pairs: Array<[FunctionAgg | undefined, FunctionAgg | undefined]>,
  base: Profile,
  next: Profile,
  bt: ProfileTotals,
  nt: ProfileTotals,
  z: number,
  by: NormaliseBy,
): Normalisation {
  const all: Normalisation = { by: 'all', scale: 1, functions: [], share: [1, 1] };
  if (by === 'all') return all;
  const matched = pairs.filter((p): p is [FunctionAgg, FunctionAgg] => !!p[0] && !!p[1]);
  const selfBlocks = (t: ProfileTotals, f: FunctionAgg) => t.batches?.stats.map((st) => f.frames.reduce((sum, i) => sum + st.functions[i].self, 0));
  const candidates: Candidate[] = matched.map(([b, n]) => ({ name: n.name, base: b.self, new: n.self, baseBlocks: selfBlocks(bt, b), newBlocks: selfBlocks(nt, n) }));
  const choice = chooseReference(candidates, bt, nt, z);
  if ('why' in choice) return { ...all, why: choice.why };
  const members = choice.members.map((i) => matched[i]);
  bt.reference = referenceSide(base, new Set(members.flatMap(([b]) => b.frames)), bt.batches);
  nt.reference = referenceSide(next, new Set(members.flatMap(([, n]) => n.frames)), nt.batches);
  const half = z * Math.sqrt(choice.logScaleVariance);
  return {
    by: 'unchanged',
    scale: nt.reference.weight / nt.weight / (bt.reference.weight / bt.weight),
    scaleInterval: { lo: Math.exp(choice.logScale - half), hi: Math.exp(choice.logScale + half) },
    functions: members.sort((a, b) => b[0].self - a[0].self).map(([, n]) => n.name),
    share: [bt.reference.weight / bt.weight, nt.reference.weight / nt.weight],
  };
}

/** The normalisation in words, for the notes. */
export function normalisationNote(n: Normalisation): string {
  if (n.by === 'all') return n.why ? `shares are of all samples: ${n.why}` : 'shares are of all samples (not normalised by the code that did not change)';
  const names = n.functions.slice(0, 4).join(', ') + (n.functions.length > 4 ? `, … (${n.functions.length})` : '');
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const rest = 1 / n.scale - 1;
  return (
    `shares are normalised by the code that did not change: ${names}, ${pct(n.share[0])} of the base's samples and ${pct(n.share[1])} of the new's; ` +
    `the new shares are divided by ${n.scale.toFixed(3)}${n.scaleInterval ? ` (${n.scaleInterval.lo.toFixed(3)} … ${n.scaleInterval.hi.toFixed(3)})` : ''}, ` +
    `so the whole run took ${Math.abs(rest * 100).toFixed(1)}% ${rest < 0 ? 'less' : 'more'} time, measured against that code`
  );
}

/** Functions whose share varies between blocks well beyond independent samples widen their intervals: say so, for the largest. */
function spreadNote(t: ProfileTotals, which: 'base' | 'new', functions: FunctionDiff[], sideIndex: 0 | 1): string | undefined {
  if (!t.batches) return undefined;
  let worst: FunctionDiff | undefined;
  for (const f of functions) {
    const s = sideIndex === 0 ? f.base : f.new;
    const deff = f.change.designEffect?.[sideIndex] ?? 1;
    if (!s || s.totalShare < 0.05 || s.totalShare > 0.95) continue;
    if (!worst || deff > worst.change.designEffect![sideIndex]) worst = f;
  }
  const deff = worst?.change.designEffect?.[sideIndex] ?? 1;
  if (!worst || deff < 3) return undefined;
  const behind = (t.meta.notes ?? []).some((n) => /sampler fell behind/.test(n));
  return (
    `the ${which} profile's shares vary between stretches of the run up to ${deff.toFixed(1)}× as much as independent samples would (${worst.name}): intervals are widened to match, so smaller changes are not significant` +
    (behind ? '; the sampler fell behind (a busy machine: the program was descheduled with its stack frozen)' : '')
  );
}

export function diffProfiles(base: Profile, next: Profile, opts: DiffOptions = {}): ProfileDiff {
  const mode = opts.mode ?? 'share';
  const confidence = opts.confidence ?? DEFAULT_CONFIDENCE;
  const z = zForConfidence(confidence);
  const bt = totalsOf(base, confidence);
  const nt = totalsOf(next, confidence);
  const notes: string[] = [];
  if (mode === 'time') {
    const why = (t: ProfileTotals, which: string) =>
      t.msPerWeight === undefined
        ? `the ${which} profile (${t.meta.source}) has no measured time${t.meta.unit === 'samples' ? ' (no duration, or samples of several processes)' : ''}`
        : undefined;
    const reason = why(bt, 'base') ?? why(nt, 'new');
    if (reason) throw new DiffError(`cannot compare by time: ${reason}; compare by share of samples (the default) instead`);
  }
  if (!(bt.counts && nt.counts)) {
    notes.push(`no sample counts in the ${bt.counts ? 'new' : 'base'} profile (${(bt.counts ? nt : bt).meta.source}, weights in ${(bt.counts ? nt : bt).meta.unit}): changes are shown without significance`);
  }
  for (const [t, which] of [[bt, 'base'], [nt, 'new']] as const) {
    if (t.counts && t.noBatches) notes.push(`the ${which} profile has ${t.noBatches}: its intervals take the samples as independent (binomial)`);
  }
  if (bt.weight === 0 || nt.weight === 0) notes.push(`the ${bt.weight === 0 ? 'base' : 'new'} profile has no samples`);

  // Line maps per file, keyed by the new profile's path (paths are compared as recorded).
  const maps = new Map<string, LineMap>();
  const unmapped: string[] = [];
  const mapOf = (file: string): LineMap => {
    let m = maps.get(file);
    if (!m) {
      m = lineMapFor(file, base.meta.sources?.[file], next.meta.sources?.[file]);
      if (!m) {
        m = IDENTITY_MAP;
        if (base.meta.sources?.[file] || next.meta.sources?.[file]) unmapped.push(file);
      }
      maps.set(file, m);
    }
    return m;
  };

  const bs = computeStats(base);
  const ns = computeStats(next);

  const pairs = matchFunctions(functionTable(base, bs), functionTable(next, ns), mapOf);
  let normalisation: Normalisation | undefined;
  if (mode === 'share') {
    normalisation = normaliseShares(pairs, base, next, bt, nt, z, opts.normalise ?? 'unchanged');
    notes.push(normalisationNote(normalisation));
  }
  const overlap = (t: ProfileTotals, f: FunctionAgg | undefined) => (f && t.reference?.stats ? f.frames.reduce((sum, i) => sum + t.reference!.stats!.functions[i].total, 0) : undefined);
  const functions: FunctionDiff[] = pairs.map(([b, n]) => ({
    name: (n ?? b)!.name,
    file: (n ?? b)!.file,
    baseLine: b?.line ?? 0,
    newLine: n?.line ?? 0,
    base: b ? side(b.self, b.total, bt) : undefined,
    new: n ? side(n.self, n.total, nt) : undefined,
    change: compareCounts(b?.total ?? 0, n?.total ?? 0, bt, nt, mode, z, {
      base: functionBlocks(bt, b),
      new: functionBlocks(nt, n),
      baseOverlap: overlap(bt, b),
      newOverlap: overlap(nt, n),
    }),
  }));
  for (const [t, which] of [[bt, 'base'], [nt, 'new']] as const) {
    const note = spreadNote(t, which, functions, which === 'base' ? 0 : 1);
    if (note) notes.push(note);
  }
  const order = functions.map((_, i) => i);
  order.sort((i, j) => Math.abs(functions[j].change.delta) - Math.abs(functions[i].change.delta) || (functions[j].new?.total ?? 0) - (functions[i].new?.total ?? 0));
  const baseFrameFunction = new Int32Array(base.frames.length).fill(-1);
  const newFrameFunction = new Int32Array(next.frames.length).fill(-1);
  order.forEach((from, to) => {
    const [b, n] = pairs[from];
    for (const f of b?.frames ?? []) baseFrameFunction[f] = to;
    for (const f of n?.frames ?? []) newFrameFunction[f] = to;
  });
  const sortedFunctions = order.map((i) => functions[i]);

  const files = new Map<string, LineDiff[]>();
  for (const file of new Set([...bs.lines.keys(), ...ns.lines.keys()])) {
    const newLines = ns.lines.get(file) ?? new Map();
    const baseLines = bs.lines.get(file) ?? new Map();
    const map = mapOf(file);
    const rows = new Map<number, LineDiff>();
    const goneRows: LineDiff[] = [];
    const matched = new Set<number>();
    for (const [bl, st] of baseLines) {
      const nl = map.newLine(bl);
      const ns2 = nl > 0 ? newLines.get(nl) : undefined;
      if (nl > 0 && !rows.has(nl)) {
        rows.set(nl, {
          line: nl,
          baseLine: bl,
          edited: map.edited(bl),
          base: side(st.self, st.total, bt),
          new: ns2 ? side(ns2.self, ns2.total, nt) : undefined,
          change: compareCounts(st.total, ns2?.total ?? 0, bt, nt, mode, z, {
            base: lineBlocks(bt, file, bl),
            new: ns2 ? lineBlocks(nt, file, nl) : undefined,
            baseOverlap: lineOverlap(bt, file, bl),
            newOverlap: ns2 ? lineOverlap(nt, file, nl) : undefined,
          }),
        });
        matched.add(nl);
      } else {
        goneRows.push({ line: map.anchor(bl), baseLine: bl, edited: false, base: side(st.self, st.total, bt), change: compareCounts(st.total, 0, bt, nt, mode, z, { base: lineBlocks(bt, file, bl), baseOverlap: lineOverlap(bt, file, bl) }) });
      }
    }
    for (const [nl, st] of newLines) {
      if (matched.has(nl)) continue;
      rows.set(nl, { line: nl, baseLine: 0, edited: false, new: side(st.self, st.total, nt), change: compareCounts(0, st.total, bt, nt, mode, z, { new: lineBlocks(nt, file, nl), newOverlap: lineOverlap(nt, file, nl) }) });
    }
    const list = [...rows.values(), ...goneRows].sort((a, b) => a.line - b.line || a.baseLine - b.baseLine);
    if (list.length > 0) files.set(file, list);
  }
  // Say which sampled files could not be mapped (a digest on one side only).
  for (const file of files.keys()) mapOf(file);
  if (unmapped.length > 0) {
    notes.push(`${unmapped.length} file${unmapped.length === 1 ? '' : 's'} compared by line number (only one profile records ${unmapped.length === 1 ? 'its' : 'their'} source): ${unmapped.slice(0, 3).join(', ')}${unmapped.length > 3 ? ', …' : ''}`);
  }

  let program: Change | undefined;
  if (bt.msPerWeight !== undefined && nt.msPerWeight !== undefined) program = compareCounts(bt.weight, nt.weight, bt, nt, 'time', z);
  if (normalisation?.by === 'all' && program?.significant && Math.abs(program.relative) >= 0.05) {
    notes.push(
      `the whole run took ${Math.round(Math.abs(program.relative) * 100)}% ${program.relative < 0 ? 'less' : 'more'} time: by share, code that did not change ${program.relative < 0 ? 'rises' : 'falls'} with it; compare by time for absolute changes`,
    );
  }
  return { mode, confidence, normalisation, base: bt, new: nt, program, functions: sortedFunctions, files, notes, baseFrameFunction, newFrameFunction, z };
}

/** Significant slower (or faster) functions, biggest change first. */
export function topChanges(d: ProfileDiff, direction: 'slower' | 'faster', limit = 10): FunctionDiff[] {
  const want = (f: FunctionDiff) =>
    f.change.significant !== false && (direction === 'slower' ? f.change.delta > 0 : f.change.delta < 0);
  return d.functions.filter(want).sort((a, b) => (direction === 'slower' ? b.change.delta - a.change.delta : a.change.delta - b.change.delta)).slice(0, limit);
}

/** Functions named `name` (qualified or not), for --function. */
export function findFunctions(d: ProfileDiff, name: string): FunctionDiff[] {
  const exact = d.functions.filter((f) => f.name === name);
  return exact.length > 0 ? exact : d.functions.filter((f) => shortName(f.name) === name);
}
