// The one profile model. Every source (our sampler, cProfile, every import format) becomes a
// Profile, and every view (hot lines, CodeLens, flame graph, top, exports) reads only this.
//
// Shape: a call-site trie. A node is (parent node, function, line being executed in that function).
// Keying nodes on the line as well as the function keeps per-line attribution exact, while the
// flame graph merges nodes of the same function (see functionPath) so one function is one box.
// Samples are aggregated per (thread, leaf node): memory is bounded by the number of distinct
// stacks, not by recording length. The timeline is run-length encoded and capped.

import type { SourceDigest } from './sourceDigest';

/** A function: identity is (name, file, firstLine). */
export interface FunctionFrame {
  /** Qualified name where the source knows it (3.11+ co_qualname: `Klass.method`), else the plain name. */
  name: string;
  /** Absolute path as the target saw it (may be `<string>`, `<frozen ...>`, or a remote path). */
  file: string;
  /** Line of the `def` (co_firstlineno); 0 when unknown. */
  line: number;
  /** Exact call count, when the source measures it (cProfile). */
  calls?: number;
}

export interface StackNode {
  /** Parent node index, or -1 for a root (outermost frame of a thread). */
  parent: number;
  /** Index into Profile.frames. */
  frame: number;
  /** Line executing in this frame at sample time; 0 when unknown. */
  line: number;
}

export interface ProfileThread {
  /** Native thread id (kernel TID) where known, else the source's thread id. */
  id: number;
  name: string;
  /** Process id the thread belongs to (subprocess following); optional for single-process sources. */
  pid?: number;
}

/** Aggregated weight of one (thread, leaf node) stack. */
export interface StackSample {
  thread: number;
  node: number;
  weight: number;
  /** Memory mode: bytes attributed to this stack's leaf line (RSS growth / shrink seen at these samples). */
  allocBytes?: number;
  freedBytes?: number;
}

/** One run of consecutive identical samples on a thread: `count` samples starting at `t` (ms from start). */
export interface TimelineRun {
  t: number;
  thread: number;
  node: number;
  count: number;
}

export interface MemoryPoint {
  /** ms from start */
  t: number;
  rssBytes: number;
}

export type WeightUnit = 'samples' | 'nanoseconds' | 'microseconds' | 'milliseconds' | 'seconds' | 'bytes' | 'none';

export interface ProfileMeta {
  /** Where it came from: 'pyprof' (our sampler), 'cprofile', 'speedscope', 'collapsed', 'austin', 'pprof', … */
  source: string;
  mode: 'sampling' | 'trace' | 'memory';
  /** Unit of StackSample.weight. 'samples' means one sample = 1000/rateHz ms. */
  unit: WeightUnit;
  /** Samples per second actually taken (measured: ticks over the time sampled), so that sample counts convert to true time. */
  rateHz?: number;
  /** The rate that was asked for (our recordings), when it differs from what was achieved. */
  requestedRateHz?: number;
  pid?: number;
  command?: string;
  pythonVersion?: string;
  /** Wall-clock start, ms since epoch. */
  startTime?: number;
  durationMs?: number;
  /** Samples taken (successful) and samples dropped (torn reads, errors). */
  sampleCount?: number;
  errorCount?: number;
  /** Free-form notes shown to the user (e.g. "target exited after 1.2 s"). */
  notes?: string[];
  /** True when the timeline was coarsened to stay within its memory cap. */
  timelineTruncated?: boolean;
  /**
   * Per source file (path as in frames): content hash and per-line hashes at recording time, so a
   * comparison with a profile of edited code maps old lines to new ones (sourceDigest.ts, lineMap.ts).
   */
  sources?: Record<string, SourceDigest>;
}

export interface Profile {
  meta: ProfileMeta;
  frames: FunctionFrame[];
  nodes: StackNode[];
  threads: ProfileThread[];
  samples: StackSample[];
  timeline: TimelineRun[];
  memory?: MemoryPoint[];
}

/** One frame of a stack as a source reports it. */
export interface StackEntry {
  name: string;
  file: string;
  /** Definition line of the function (0 if unknown). */
  firstLine: number;
  /** Current line (0 if unknown). */
  line: number;
}

const TIMELINE_CAP = 2_000_000;

/**
 * Builds a Profile incrementally with interning. Use it from the recorder and from every importer,
 * so all sources produce identical structures for identical stacks.
 */
export class ProfileBuilder {
  readonly profile: Profile;
  private frameIds = new Map<string, number>();
  private nodeIds = new Map<string, number>();
  private threadIds = new Map<string, number>();
  private sampleIds = new Map<string, number>();

  constructor(meta: ProfileMeta) {
    this.profile = { meta, frames: [], nodes: [], threads: [], samples: [], timeline: [] };
  }

  internFrame(name: string, file: string, firstLine: number): number {
    const key = `${name}\0${file}\0${firstLine}`;
    let id = this.frameIds.get(key);
    if (id === undefined) {
      id = this.profile.frames.length;
      this.profile.frames.push({ name, file, line: firstLine });
      this.frameIds.set(key, id);
    }
    return id;
  }

  internNode(parent: number, frame: number, line: number): number {
    const key = `${parent},${frame},${line}`;
    let id = this.nodeIds.get(key);
    if (id === undefined) {
      id = this.profile.nodes.length;
      this.profile.nodes.push({ parent, frame, line });
      this.nodeIds.set(key, id);
    }
    return id;
  }

  /** Thread key is (pid, id) so threads of different processes never merge. */
  internThread(id: number, name: string, pid?: number): number {
    const key = `${pid ?? ''}:${id}`;
    let idx = this.threadIds.get(key);
    if (idx === undefined) {
      idx = this.profile.threads.length;
      this.profile.threads.push(pid === undefined ? { id, name } : { id, name, pid });
      this.threadIds.set(key, idx);
    } else if (name && this.profile.threads[idx].name !== name) {
      this.profile.threads[idx].name = name; // names appear late (threading sets them after start)
    }
    return idx;
  }

  /** Interns a stack given outermost-first; returns the leaf node (or -1 for an empty stack). */
  internStack(rootFirst: readonly StackEntry[]): number {
    let node = -1;
    for (const e of rootFirst) node = this.internNode(node, this.internFrame(e.name, e.file, e.firstLine), e.line);
    return node;
  }

  /** Adds weight to a (thread, leaf) stack and, when `t` is given, to the timeline. */
  addSample(thread: number, leaf: number, weight = 1, t?: number): StackSample {
    const key = `${thread},${leaf}`;
    let idx = this.sampleIds.get(key);
    if (idx === undefined) {
      idx = this.profile.samples.length;
      this.profile.samples.push({ thread, node: leaf, weight: 0 });
      this.sampleIds.set(key, idx);
    }
    const s = this.profile.samples[idx];
    s.weight += weight;
    if (t !== undefined) this.addTimeline(thread, leaf, t, weight);
    return s;
  }

  private lastRun = new Map<number, TimelineRun>();

  private addTimeline(thread: number, node: number, t: number, count: number): void {
    const last = this.lastRun.get(thread);
    if (last && last.node === node) {
      last.count += count;
      return;
    }
    const tl = this.profile.timeline;
    if (tl.length >= TIMELINE_CAP) {
      // Keep memory bounded: stop extending the timeline; aggregated samples stay exact.
      this.profile.meta.timelineTruncated = true;
      return;
    }
    const run: TimelineRun = { t, thread, node, count };
    tl.push(run);
    this.lastRun.set(thread, run);
  }

  finish(): Profile {
    return this.profile;
  }
}

/** Frames of a node's stack, outermost first. */
export function nodePath(profile: Profile, node: number): StackNode[] {
  const out: StackNode[] = [];
  for (let n = node; n >= 0; n = profile.nodes[n].parent) out.push(profile.nodes[n]);
  return out.reverse();
}

export function totalWeight(profile: Profile): number {
  let w = 0;
  for (const s of profile.samples) w += s.weight;
  return w;
}

export interface Stat {
  self: number;
  total: number;
}

/** Per-line self/total weight: key `file` → line → stat. A line counts once per sample in total. */
export function lineStats(profile: Profile): Map<string, Map<number, Stat>> {
  const out = new Map<string, Map<number, Stat>>();
  const get = (file: string, line: number): Stat => {
    let m = out.get(file);
    if (!m) out.set(file, (m = new Map()));
    let s = m.get(line);
    if (!s) m.set(line, (s = { self: 0, total: 0 }));
    return s;
  };
  const seen = new Set<string>();
  for (const s of profile.samples) {
    if (s.node < 0 || s.weight === 0) continue;
    seen.clear();
    let leaf = true;
    for (let n = s.node; n >= 0; n = profile.nodes[n].parent) {
      const nd = profile.nodes[n];
      if (nd.line <= 0) { leaf = false; continue; }
      const file = profile.frames[nd.frame].file;
      const st = get(file, nd.line);
      if (leaf) st.self += s.weight;
      const k = `${file}\0${nd.line}`;
      if (!seen.has(k)) { seen.add(k); st.total += s.weight; }
      leaf = false;
    }
  }
  return out;
}

/** Per-function self/total weight, indexed like profile.frames. Recursion counts once in total. */
export function functionStats(profile: Profile): Stat[] {
  const out: Stat[] = profile.frames.map(() => ({ self: 0, total: 0 }));
  const seen = new Set<number>();
  for (const s of profile.samples) {
    if (s.node < 0 || s.weight === 0) continue;
    seen.clear();
    out[profile.nodes[s.node].frame].self += s.weight;
    for (let n = s.node; n >= 0; n = profile.nodes[n].parent) {
      const f = profile.nodes[n].frame;
      if (!seen.has(f)) { seen.add(f); out[f].total += s.weight; }
    }
  }
  return out;
}

/** Weight in milliseconds for one unit of StackSample.weight, or undefined when not a time unit. */
export function msPerWeight(meta: ProfileMeta): number | undefined {
  switch (meta.unit) {
    case 'samples': return meta.rateHz ? 1000 / meta.rateHz : undefined;
    case 'nanoseconds': return 1e-6;
    case 'microseconds': return 1e-3;
    case 'milliseconds': return 1;
    case 'seconds': return 1000;
    default: return undefined;
  }
}

/**
 * Children of every trie node as compact arrays (CSR): the children of node v are
 * `children[childStart[v + 1] .. childStart[v + 2])`, the roots `children[childStart[0] .. childStart[1])`.
 * Typed arrays, no per-node objects: summaries of million-node profiles walk the trie through this.
 */
export function trieChildren(nodes: readonly StackNode[]): { childStart: Int32Array; children: Int32Array } {
  const n = nodes.length;
  const childStart = new Int32Array(n + 2);
  for (let i = 0; i < n; i++) childStart[nodes[i].parent + 2]++;
  for (let i = 0; i <= n; i++) childStart[i + 1] += childStart[i];
  const fill = childStart.slice(0, n + 1);
  const children = new Int32Array(n);
  for (let i = 0; i < n; i++) children[fill[nodes[i].parent + 1]++] = i;
  return { childStart, children };
}
