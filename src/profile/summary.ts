// What the editor shows about a profile, computed once per profile and kept as plain data: heat
// levels, formatted numbers, end-of-line text, CodeLens titles, and per-file line / function tables.
// Pure (no vscode import) so the extension, the language server and tests share one wording, and
// so the expensive part (walking the stacks) runs once per profile, not once per editor refresh.

import { isNativeFile } from './nativeFrames';
import { Profile, ProfileMeta, Stat, msPerWeight, totalWeight, trieChildren } from './model';

/**
 * Heat steps. A line's heat is its own (self) weight relative to the hottest line of the profile,
 * not an absolute share: with absolute thresholds every line above ~30% got the deepest colour
 * (33% and 67% looked the same), and a flat profile showed no hottest line at all. Step k covers
 * (k-1)/N .. k/N of the hottest line's self weight, so the top lines stay apart.
 */
export const HEAT_LEVELS = 6;

/** Heat level 0..HEAT_LEVELS for a line's self fraction, relative to the hottest line's. */
export function heatLevel(selfFraction: number, hottestSelfFraction: number): number {
  if (!(selfFraction > 0) || !(hottestSelfFraction > 0)) return 0;
  return Math.min(HEAT_LEVELS, Math.max(1, Math.ceil((HEAT_LEVELS * selfFraction) / hottestSelfFraction - 1e-9)));
}

/** `heat 4 of 6 · 50–67% of the hottest line (67.1% self)`: the legend shown in hovers. */
export function heatLegend(level: number, hottestSelfFraction: number, unitWord = 'self'): string {
  if (level <= 0) return `no heat: no ${unitWord} weight of its own`;
  const lo = Math.round(((level - 1) / HEAT_LEVELS) * 100);
  const hi = Math.round((level / HEAT_LEVELS) * 100);
  return `heat ${level} of ${HEAT_LEVELS} · ${lo}–${hi}% of the hottest line (${formatPercent(hottestSelfFraction)} ${unitWord})`;
}

/** `42.1%`, `<0.1%` for tiny non-zero values, `0%` for zero, `100%` without a decimal. */
export function formatPercent(fraction: number): string {
  if (!(fraction > 0)) return '0%';
  const pct = fraction * 100;
  if (pct < 0.05) return '<0.1%';
  if (pct >= 99.95) return '100%';
  return `${pct.toFixed(1)}%`;
}

/** `1,234,567` independent of the machine's locale (tests and screenshots stay stable). */
export function formatCount(n: number): string {
  const neg = n < 0;
  const s = Math.round(Math.abs(n)).toString();
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return neg ? `-${out}` : out;
}

/** `0 ms`, `850 ms`, `1.25 s`, `12.3 s`, `2 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  if (!(ms > 0)) return '0 ms';
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const totalS = Math.round(s);
  if (totalS < 3600) return `${Math.floor(totalS / 60)} min ${String(totalS % 60).padStart(2, '0')} s`;
  const totalMin = Math.round(totalS / 60);
  return `${Math.floor(totalMin / 60)} h ${String(totalMin % 60).padStart(2, '0')} min`;
}

/** `512 B`, `1.5 KiB`, `12.0 MiB`, `1.20 GiB`. */
export function formatBytes(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1024) return `${Math.round(n)} B`;
  if (abs < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (abs < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** `1 sample` / `1,234 samples`. */
export function formatSamples(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'sample' : 'samples'}`;
}

/**
 * A weight in the profile's own unit: sample counts for sampled profiles, a duration for time units
 * (cProfile, imported traces), bytes for memory profiles.
 */
export function formatWeight(weight: number, meta: Pick<ProfileMeta, 'unit' | 'rateHz'>): string {
  switch (meta.unit) {
    case 'samples':
      return formatSamples(weight);
    case 'bytes':
      return formatBytes(weight);
    case 'none':
      return formatCount(weight);
    default: {
      const k = msPerWeight(meta as ProfileMeta);
      return k === undefined ? formatCount(weight) : formatDuration(weight * k);
    }
  }
}

/** Sample counts with their time when the rate is known: `1,234 samples (12.3 s)`. */
export function formatWeightLong(weight: number, meta: Pick<ProfileMeta, 'unit' | 'rateHz'>): string {
  const base = formatWeight(weight, meta);
  if (meta.unit === 'samples' && meta.rateHz) return `${base} (${formatDuration((weight * 1000) / meta.rateHz)})`;
  return base;
}

/** End-of-line text for a hot line: `12.0% self · 42.1% total · 1,234 samples`. */
export function lineText(stat: Stat, total: number, meta: Pick<ProfileMeta, 'unit' | 'rateHz'>): string {
  const f = (w: number) => (total > 0 ? w / total : 0);
  return `${formatPercent(f(stat.self))} self · ${formatPercent(f(stat.total))} total · ${formatWeight(stat.total, meta)}`;
}

/**
 * The short end-of-line text: the one number that matters, so it fits beside the code in a half-width
 * editor. A line with own weight at or above `minFraction` shows its self share (`67.1% self`); a call
 * site (little own weight, a lot below it) its total share (`45.0% total`); anything smaller shows
 * nothing (the gutter heat and the hover still do). The full `lineText` goes in the hover.
 */
export function inlineText(stat: Stat, total: number, minFraction: number): string {
  if (!(total > 0)) return '';
  const self = stat.self / total;
  const tot = stat.total / total;
  if (self > 0 && self >= minFraction) return `${formatPercent(self)} self`;
  if (tot > 0 && tot >= minFraction) return `${formatPercent(tot)} total`;
  return '';
}

/**
 * Whether a function earns a CodeLens. A module's code object (`<module>`, first line 1) would put
 * a lens over the docstring saying what the whole run took ("100% total", or for cProfile "1 call ·
 * called from 1 place"): nothing a reader learns there. Its lines keep their heat and hovers.
 */
export function deservesLens(fn: { name: string }): boolean {
  return fn.name !== '<module>';
}

export interface LensInfo {
  /** Distinct calling functions seen in the samples ("called from N places"). */
  callers?: number;
  /** Exact call count when the source measured it (cProfile). */
  calls?: number;
}

/** CodeLens title: `pyprof: 42.1% total · 12.0% self · 1,234 samples` (+ calls / callers when known). */
export function lensTitle(stat: Stat, total: number, meta: Pick<ProfileMeta, 'unit' | 'rateHz'>, info: LensInfo = {}): string {
  const f = (w: number) => (total > 0 ? w / total : 0);
  let t = `pyprof: ${formatPercent(f(stat.total))} total · ${formatPercent(f(stat.self))} self · ${formatWeight(stat.total, meta)}`;
  if (info.calls !== undefined) t += ` · ${formatCount(info.calls)} ${info.calls === 1 ? 'call' : 'calls'}`;
  if (info.callers !== undefined && info.callers > 0) t += ` · called from ${formatCount(info.callers)} ${info.callers === 1 ? 'place' : 'places'}`;
  return t;
}

export interface LineSummary {
  /** 1-based line number as in the profile. */
  line: number;
  self: number;
  total: number;
  selfFraction: number;
  totalFraction: number;
  heat: number;
  text: string;
}

export interface FunctionSummary {
  /** Index into profile.frames. */
  frame: number;
  name: string;
  /** Path as the profile has it. */
  file: string;
  /** 1-based `def` line (0 when unknown). */
  line: number;
  self: number;
  total: number;
  selfFraction: number;
  totalFraction: number;
  callers: number;
  calls?: number;
  /** The line inside the function with the most own weight (0 when it has none). */
  hotLine: number;
  title: string;
}

export interface FileSummary {
  /** Path as the profile has it. */
  file: string;
  /** Sorted by line; only lines with samples. */
  lines: LineSummary[];
  /** Sorted by def line. */
  functions: FunctionSummary[];
  /** Sum of self weight in this file. */
  self: number;
}

export interface ProfileSummary {
  total: number;
  /** Self fraction of the hottest line (any file): heat levels are relative to it. */
  hottestLineSelf: number;
  /** Keyed by the profile's path. */
  files: Map<string, FileSummary>;
  /** All functions with samples, by total weight descending. */
  functions: FunctionSummary[];
}

export interface ProfileStats {
  /** Same result as model.ts lineStats: file → line → stat. */
  lines: Map<string, Map<number, Stat>>;
  /** Same result as model.ts functionStats, indexed like profile.frames. */
  functions: Stat[];
  /** Per frame: the line with the most own weight inside that function (0 when none). */
  hotLines: Int32Array;
}

/**
 * lineStats + functionStats in O(nodes + samples) instead of O(samples × depth): leaf weights are
 * summed per node, pushed up the trie once, and a node adds its subtree weight to a line's (or
 * function's) total only when no ancestor has the same line (function) — exactly the "counts once
 * per sample" rule of model.ts, which walks every sample's whole stack. Matters for the
 * "profile ready → decorations" budget on million-sample profiles with deep stacks.
 */
/** Leaf weights with every native leaf's weight moved to its nearest non-native ancestor (unchanged without native frames). */
function nativeLeavesToPythonLines(profile: Profile, leafWeight: Float64Array): Float64Array {
  const { nodes, frames } = profile;
  if (!frames.some((f) => isNativeFile(f.file))) return leafWeight;
  const out = new Float64Array(leafWeight.length);
  for (let v = 0; v < leafWeight.length; v++) {
    if (leafWeight[v] === 0) continue;
    let u = v;
    while (u >= 0 && isNativeFile(frames[nodes[u].frame].file)) u = nodes[u].parent;
    out[u >= 0 ? u : v] += leafWeight[v];
  }
  return out;
}

export function computeStats(profile: Profile): ProfileStats {
  const { nodes, frames } = profile;
  const n = nodes.length;
  const leafWeight = new Float64Array(n);
  const functions: Stat[] = frames.map(() => ({ self: 0, total: 0 }));
  for (const s of profile.samples) {
    if (s.node < 0 || s.weight === 0) continue;
    leafWeight[s.node] += s.weight;
  }

  // Line keys: one small integer per distinct (file, line); lines <= 0 are not attributed (key -1).
  const fileIds = new Map<string, number>();
  const fileOfFrame = new Int32Array(frames.length);
  const fileNames: string[] = [];
  frames.forEach((f, i) => {
    let id = fileIds.get(f.file);
    if (id === undefined) {
      id = fileNames.length;
      fileNames.push(f.file);
      fileIds.set(f.file, id);
    }
    fileOfFrame[i] = id;
  });
  const lineKeyIds = new Map<number, number>();
  const keyFile: number[] = [];
  const keyLine: number[] = [];
  const lineKey = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const nd = nodes[i];
    if (nd.line <= 0) {
      lineKey[i] = -1;
      continue;
    }
    const file = fileOfFrame[nd.frame];
    const composite = file * 2 ** 24 + Math.min(nd.line, 2 ** 24 - 1);
    let k = lineKeyIds.get(composite);
    if (k === undefined) {
      k = keyFile.length;
      keyFile.push(file);
      keyLine.push(nd.line);
      lineKeyIds.set(composite, k);
    }
    lineKey[i] = k;
  }

  // Pre-order DFS over the forest; children lists in CSR form.
  const { childStart, children } = trieChildren(nodes);

  const order = new Int32Array(n);
  const dupLine = new Uint8Array(n);
  const dupFrame = new Uint8Array(n);
  const lineDepth = new Int32Array(keyFile.length);
  const frameDepth = new Int32Array(frames.length);
  // Iterative DFS with explicit enter/exit so the "ancestor has the same key" counters stay exact.
  const stack: number[] = [];
  let ordered = 0;
  for (let r = childStart[0]; r < childStart[1]; r++) stack.push(children[r]);
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v < 0) {
      const u = ~v;
      if (lineKey[u] >= 0) lineDepth[lineKey[u]]--;
      frameDepth[nodes[u].frame]--;
      continue;
    }
    order[ordered++] = v;
    if (lineKey[v] >= 0) {
      if (lineDepth[lineKey[v]] > 0) dupLine[v] = 1;
      lineDepth[lineKey[v]]++;
    }
    if (frameDepth[nodes[v].frame] > 0) dupFrame[v] = 1;
    frameDepth[nodes[v].frame]++;
    stack.push(~v);
    for (let c = childStart[v + 1]; c < childStart[v + 2]; c++) stack.push(children[c]);
  }

  // Subtree weights: children come after their parent in pre-order, so walk it backwards.
  const subtree = Float64Array.from(leafWeight);
  for (let i = ordered - 1; i >= 0; i--) {
    const v = order[i];
    const p = nodes[v].parent;
    if (p >= 0) subtree[p] += subtree[v];
  }

  // Lines keep the time of the native code they call (--native): a native leaf's weight counts as
  // own time of the nearest Python line below it, so hot lines stay on Python code; functions
  // (the native ones too) keep their own self time.
  const lineLeafWeight = nativeLeavesToPythonLines(profile, leafWeight);

  // Hottest own line per function: (frame, line) self weights from the leaves.
  const frameLineSelf = new Map<number, number>();
  for (let v = 0; v < n; v++) {
    if (lineLeafWeight[v] === 0 || nodes[v].line <= 0) continue;
    const key = nodes[v].frame * 2 ** 24 + Math.min(nodes[v].line, 2 ** 24 - 1);
    frameLineSelf.set(key, (frameLineSelf.get(key) ?? 0) + lineLeafWeight[v]);
  }
  const hotLines = new Int32Array(frames.length);
  const hotWeight = new Float64Array(frames.length);
  for (const [key, w] of frameLineSelf) {
    const fr = Math.floor(key / 2 ** 24);
    const line = key - fr * 2 ** 24;
    if (w > hotWeight[fr] || (w === hotWeight[fr] && line < hotLines[fr])) {
      hotWeight[fr] = w;
      hotLines[fr] = line;
    }
  }

  const lineSelf = new Float64Array(keyFile.length);
  const lineTotal = new Float64Array(keyFile.length);
  const lineSeen = new Uint8Array(keyFile.length);
  for (let i = 0; i < ordered; i++) {
    const v = order[i];
    const fr = nodes[v].frame;
    const k = lineKey[v];
    if (leafWeight[v] !== 0) functions[fr].self += leafWeight[v];
    if (k >= 0 && lineLeafWeight[v] !== 0) lineSelf[k] += lineLeafWeight[v];
    if (!dupFrame[v]) functions[fr].total += subtree[v];
    if (k >= 0 && !dupLine[v]) lineTotal[k] += subtree[v];
    if (k >= 0 && subtree[v] !== 0) lineSeen[k] = 1;
  }

  const lines = new Map<string, Map<number, Stat>>();
  for (let k = 0; k < keyFile.length; k++) {
    if (!lineSeen[k]) continue;
    const file = fileNames[keyFile[k]];
    let m = lines.get(file);
    if (!m) lines.set(file, (m = new Map()));
    m.set(keyLine[k], { self: lineSelf[k], total: lineTotal[k] });
  }
  return { lines, functions, hotLines };
}

/** Distinct caller frames per frame, from the trie's parent links. */
export function callerCounts(profile: Profile): number[] {
  // Distinct (frame, caller) pairs as sorted numeric keys: no Set per frame on 500k-node tries.
  const nFrames = profile.frames.length;
  // Uint32 keys sort an order of magnitude faster than Float64 ones; large frame tables need doubles.
  const keys = nFrames * nFrames < 2 ** 32 ? new Uint32Array(profile.nodes.length) : new Float64Array(profile.nodes.length);
  let k = 0;
  for (const n of profile.nodes) {
    if (n.parent < 0) continue;
    const caller = profile.nodes[n.parent].frame;
    if (caller === n.frame) continue; // recursion is not a different caller
    keys[k++] = n.frame * nFrames + caller;
  }
  const sorted = keys.subarray(0, k).sort();
  const out = new Array<number>(nFrames).fill(0);
  for (let i = 0; i < k; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out[Math.floor(sorted[i] / nFrames)]++;
  return out;
}

/** Meta fields the wording depends on. */
type UnitMeta = Pick<ProfileMeta, 'unit' | 'rateHz'>;

/**
 * Line rows with their end-of-line text formatted on first use: a million-sample profile has tens
 * of thousands of sampled lines, and only the few above the display threshold are ever shown.
 */
class LineRow implements LineSummary {
  private textCache: string | undefined;
  constructor(
    readonly line: number,
    readonly self: number,
    readonly total: number,
    readonly selfFraction: number,
    readonly totalFraction: number,
    readonly heat: number,
    private readonly sum: number,
    private readonly meta: UnitMeta,
  ) {}
  get text(): string {
    return (this.textCache ??= lineText(this, this.sum, this.meta));
  }
  set text(v: string) {
    this.textCache = v;
  }
  toJSON(): object {
    const { line, self, total, selfFraction, totalFraction, heat, text } = this;
    return { line, self, total, selfFraction, totalFraction, heat, text };
  }
}

/** Function rows with the lens title formatted on first use (same reason as LineRow). */
class FunctionRow implements FunctionSummary {
  private titleCache: string | undefined;
  calls?: number;
  constructor(
    readonly frame: number,
    readonly name: string,
    readonly file: string,
    readonly line: number,
    readonly self: number,
    readonly total: number,
    readonly selfFraction: number,
    readonly totalFraction: number,
    private readonly callerTable: () => number[],
    readonly hotLine: number,
    private readonly sum: number,
    private readonly meta: UnitMeta,
  ) {}
  /** Distinct callers: the trie is scanned for them on first use (hot-line views never ask). */
  get callers(): number {
    return this.callerTable()[this.frame];
  }
  get title(): string {
    return (this.titleCache ??= lensTitle(this, this.sum, this.meta, { callers: this.callers, calls: this.calls }));
  }
  set title(v: string) {
    this.titleCache = v;
  }
  toJSON(): object {
    const { frame, name, file, line, self, total, selfFraction, totalFraction, callers, calls, hotLine, title } = this;
    return { frame, name, file, line, self, total, selfFraction, totalFraction, callers, calls, hotLine, title };
  }
}

/**
 * Everything the editor views need, computed in one pass over the profile. For a profile of 1 M
 * samples this is bounded by the number of distinct stacks (samples are aggregated), not samples.
 */
export function summarizeProfile(profile: Profile, stats: ProfileStats = computeStats(profile)): ProfileSummary {
  const total = totalWeight(profile);
  const frac = (w: number) => (total > 0 ? w / total : 0);
  const files = new Map<string, FileSummary>();
  const fileOf = (file: string): FileSummary => {
    let fs = files.get(file);
    if (!fs) files.set(file, (fs = { file, lines: [], functions: [], self: 0 }));
    return fs;
  };

  let hottest = 0;
  for (const lines of stats.lines.values()) for (const [line, st] of lines) if (line > 0 && st.self > hottest) hottest = st.self;
  const hottestLineSelf = frac(hottest);
  for (const [file, lines] of stats.lines) {
    const fs = fileOf(file);
    for (const [line, st] of lines) {
      fs.lines.push(new LineRow(line, st.self, st.total, frac(st.self), frac(st.total), heatLevel(frac(st.self), hottestLineSelf), total, profile.meta));
      fs.self += st.self;
    }
    fs.lines.sort((a, b) => a.line - b.line);
  }

  const fstats = stats.functions;
  let callerTable: number[] | undefined;
  const callers = () => (callerTable ??= callerCounts(profile));
  const functions: FunctionSummary[] = [];
  fstats.forEach((st, i) => {
    if (st.total === 0 && profile.frames[i].calls === undefined) return;
    const fr = profile.frames[i];
    const fsum = new FunctionRow(i, fr.name, fr.file, fr.line, st.self, st.total, frac(st.self), frac(st.total), callers, stats.hotLines[i], total, profile.meta);
    if (fr.calls !== undefined) fsum.calls = fr.calls;
    functions.push(fsum);
    fileOf(fr.file).functions.push(fsum);
  });
  for (const fs of files.values()) fs.functions.sort((a, b) => a.line - b.line || b.total - a.total);
  functions.sort((a, b) => b.total - a.total || b.self - a.self);
  return { total, hottestLineSelf, files, functions };
}

/** Functions by own time (the top view's order), limited to `limit` rows. */
export function topBySelf(summary: ProfileSummary, limit = 200): FunctionSummary[] {
  return [...summary.functions].sort((a, b) => b.self - a.self || b.total - a.total).slice(0, limit);
}
