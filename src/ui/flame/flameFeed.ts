// The speedscope JSON the flame panel loads: built from the Profile for display only (saving a
// profile uses src/profile/formats). Pure, no vscode import.
//
// Why not the saved file: speedscope builds one WebGL rectangle per call-tree node up front, so its
// load time grows with the number of distinct stack prefixes, not with samples. A million-sample
// recording of a wide program has ~500k of them, most far narrower than a pixel. Here a stack is
// cut at the first frame whose subtree holds less than `minFraction` of all samples: that frame
// keeps the whole weight (every box that can be seen keeps its exact width), only invisible
// descendants disappear. Frames are keyed by function (name + file + def line): one box per
// function; or, with `frames: 'line'`, by function and the line it was executing (py-spy's
// line-level flame graphs): `hot:12` and `hot:14` are two boxes, each opening its own line.

import { Profile, msPerWeight, trieChildren } from '../../profile/model';
import { nativeModuleName, parseNativeFile } from '../../profile/nativeFrames';

export interface FlameFeedOptions {
  /** Subtrees below this share of all samples are folded into their root frame. */
  minFraction: number;
  /**
   * At most about this many stack prefixes are sent: when the profile has more, the fold threshold
   * rises until it fits (speedscope's load time is proportional to them).
   */
  maxNodes: number;
  /**
   * Use the timeline (chronological samples, for speedscope's time-ordered view) when it has at most
   * this many runs; otherwise one entry per aggregated stack.
   */
  maxTimelineRuns: number;
  /** One box per function (default) or per function and executing line. */
  frames?: FlameFrames;
}

export type FlameFrames = 'function' | 'line';

export const DEFAULT_FLAME_FEED: FlameFeedOptions = { minFraction: 0.00005, maxNodes: 40000, maxTimelineRuns: 50000 };

export interface FlameFeed {
  json: string;
  /** Distinct stack prefixes kept / in the profile, for the log. */
  keptNodes: number;
  totalNodes: number;
  /** Subtrees below this weight were folded. */
  threshold: number;
}

interface SpeedscopeFrame {
  name: string;
  file?: string;
  line?: number;
}

export function buildFlameFeed(profile: Profile, name: string, opts: FlameFeedOptions = DEFAULT_FLAME_FEED): FlameFeed {
  const { nodes } = profile;
  const n = nodes.length;
  // Subtree weight per trie node: leaf weights pushed up; parents may have higher indices than
  // children in imported profiles, so accumulate along a pre-order of the forest, backwards.
  const subtree = new Float64Array(n);
  let total = 0;
  for (const s of profile.samples) {
    if (s.node < 0 || s.weight <= 0) continue;
    subtree[s.node] += s.weight;
    total += s.weight;
  }
  const order = preOrder(profile);
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i];
    const p = nodes[v].parent;
    if (p >= 0) subtree[p] += subtree[v];
  }
  const threshold = Math.max(total * opts.minFraction, budgetThreshold(profile, subtree, opts.maxNodes));

  // cut[v]: the node a stack ending at v is displayed as (v itself, or the shallowest ancestor
  // whose subtree is below the threshold). Computed root-first, so parents are known first.
  const cut = new Int32Array(n);
  const foldsBelow = new Uint8Array(n);
  let keptNodes = 0;
  for (const v of order) {
    const p = nodes[v].parent;
    if (p >= 0 && (foldsBelow[p] || cut[p] !== p)) cut[v] = cut[p]; // inside a folded subtree
    else {
      cut[v] = v;
      keptNodes++;
      if (subtree[v] < threshold) foldsBelow[v] = 1;
    }
  }

  // Speedscope frames: one per function.
  // Native frames (--native) read `[native] name (module)`, with their C source file and line when
  // DWARF named them: speedscope colours frames by their sorted names, so the shared prefix also
  // gives them one band of colours.
  const frames: SpeedscopeFrame[] = profile.frames.map((f) => {
    const native = parseNativeFile(f.file);
    if (native) return { name: `[native] ${f.name} (${nativeModuleName(f.file)})`, ...(native.source ? { file: native.source, line: f.line || undefined } : {}) };
    return f.file ? { name: f.name, file: f.file, line: f.line || undefined } : { name: f.name };
  });
  const frameOf = opts.frames === 'line' ? lineFrames(profile, frames) : (node: number) => nodes[node].frame;
  const paths = new Map<number, number[]>();
  const framePath = (node: number): number[] => {
    let p = paths.get(node);
    if (!p) {
      p = [];
      for (let m = node; m >= 0; m = nodes[m].parent) p.push(frameOf(m));
      p.reverse();
      paths.set(node, p);
    }
    return p;
  };

  // Time units show as time in speedscope; bytes as bytes; bare counts otherwise.
  const perWeight = msPerWeight(profile.meta);
  const unit = perWeight !== undefined ? 'milliseconds' : profile.meta.unit === 'bytes' ? 'bytes' : 'none';
  const scale = perWeight ?? 1;
  const useTimeline = profile.timeline.length > 0 && profile.timeline.length <= opts.maxTimelineRuns && !profile.meta.timelineTruncated;
  const profiles = profile.threads.map((th, ti) => {
    const samples: number[][] = [];
    const weights: number[] = [];
    if (useTimeline) {
      for (const r of profile.timeline) {
        if (r.thread !== ti || r.node < 0) continue;
        const last = samples.length - 1;
        const path = framePath(cut[r.node]);
        if (last >= 0 && samples[last] === path) weights[last] += r.count; // runs merged by folding
        else {
          samples.push(path);
          weights.push(r.count);
        }
      }
    } else {
      const byCut = new Map<number, number>();
      for (const s of profile.samples) {
        if (s.thread !== ti || s.node < 0 || s.weight <= 0) continue;
        const c = cut[s.node];
        byCut.set(c, (byCut.get(c) ?? 0) + s.weight);
      }
      for (const [node, w] of byCut) {
        samples.push(framePath(node));
        weights.push(w);
      }
    }
    if (scale !== 1) for (let i = 0; i < weights.length; i++) weights[i] *= scale;
    const sum = weights.reduce((a, b) => a + b, 0);
    const label = th.pid !== undefined && profile.meta.pid !== undefined && th.pid !== profile.meta.pid ? `${th.name || 'thread'} (pid ${th.pid})` : th.name || `thread ${th.id}`;
    return { type: 'sampled', name: label, unit, startValue: 0, endValue: sum, samples, weights };
  });
  const nonEmpty = profiles.filter((p) => p.samples.length > 0);
  const json = JSON.stringify({
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    name,
    exporter: 'pyprof',
    activeProfileIndex: 0,
    shared: { frames },
    profiles: nonEmpty.length > 0 ? nonEmpty : profiles.slice(0, 1),
  });
  return { json, keptNodes, totalNodes: n, threshold };
}

/**
 * Frames per (function, executing line) for line-level flame graphs: appended to `frames` (whose
 * per-function entries stay, unused), named `name:line` and pointing at that line. Nodes without a
 * line, and native frames without a source line, keep their function's frame.
 */
function lineFrames(profile: Profile, frames: SpeedscopeFrame[]): (node: number) => number {
  const byKey = new Map<string, number>();
  const ofNode = new Int32Array(profile.nodes.length);
  profile.nodes.forEach((nd, i) => {
    const f = profile.frames[nd.frame];
    const native = parseNativeFile(f.file);
    if (!nd.line || !f.file || (native && !native.source)) {
      ofNode[i] = nd.frame;
      return;
    }
    const key = `${nd.frame}:${nd.line}`;
    let k = byKey.get(key);
    if (k === undefined) {
      k = frames.length;
      frames.push(native ? { name: `[native] ${f.name}:${nd.line} (${nativeModuleName(f.file)})`, file: native.source, line: nd.line } : { name: `${f.name}:${nd.line}`, file: f.file, line: nd.line });
      byKey.set(key, k);
    }
    ofNode[i] = k;
  });
  return (node) => ofNode[node];
}

/**
 * The smallest fold threshold that keeps at most ~maxNodes nodes. A node is kept exactly when its
 * parent is kept and not folded, and subtree weights only shrink going down, so a node is kept iff
 * it is a root or its parent's subtree reaches the threshold: take the maxNodes-th largest parent
 * subtree weight.
 */
function budgetThreshold(profile: Profile, subtree: Float64Array, maxNodes: number): number {
  const { nodes } = profile;
  if (nodes.length <= maxNodes) return 0;
  const parentWeights = new Float64Array(nodes.length);
  let k = 0;
  for (const nd of nodes) if (nd.parent >= 0) parentWeights[k++] = subtree[nd.parent];
  const sorted = parentWeights.subarray(0, k).sort(); // ascending
  const idx = k - maxNodes;
  // Strictly above the value at the cut so ties do not overshoot the budget.
  return idx >= 0 ? sorted[idx] + Number.EPSILON * Math.max(1, sorted[idx]) * 4 : 0;
}

/** Pre-order of the trie forest (parents before children), iterative. */
function preOrder(profile: Profile): Int32Array {
  const { nodes } = profile;
  const n = nodes.length;
  const { childStart: start, children } = trieChildren(nodes);
  const order = new Int32Array(n);
  let k = 0;
  const stack: number[] = [];
  for (let c = start[0]; c < start[1]; c++) stack.push(children[c]);
  while (stack.length > 0) {
    const v = stack.pop()!;
    order[k++] = v;
    for (let c = start[v + 1]; c < start[v + 2]; c++) stack.push(children[c]);
  }
  return k === n ? order : order.subarray(0, k);
}
