// The call tree of two profiles merged by function (as diff.ts matched them): each node carries the
// base's and the new profile's inclusive weight, for the differential flame graph and for
// two-column folded stacks (flamegraph.pl / difffolded.pl input). Pure.

import type { Profile } from './model';
import { Change, ProfileDiff, compareCounts } from './diff';
import type { Batches } from './batchMeans';

export interface DiffTreeNode {
  /** Index into diff.functions. */
  fn: number;
  /** Inclusive weight under this call path in each profile. */
  base: number;
  new: number;
  /** Inclusive weight in each time block of each profile, when it has blocks (for its significance). */
  baseBlocks?: Float64Array;
  newBlocks?: Float64Array;
  /** Of the inclusive weight, the samples of the share comparison's reference (diffNormalise.ts), when it has one. */
  baseRef?: number;
  newRef?: number;
  children: DiffTreeNode[];
}

export interface DiffTree {
  roots: DiffTreeNode[];
}

type Level = Map<number, { node: DiffTreeNode; kids: Map<number, unknown> }>;

/** Adds the profile's weights to the merged tree: to `which`, and per block to `which`Blocks. */
function addProfile(tree: Level, profile: Profile, frameFn: Int32Array, which: 'base' | 'new', batches: Batches | undefined): void {
  addWeights(tree, profile, frameFn, (node, w) => (node[which] += w));
  const key = which === 'base' ? 'baseBlocks' : 'newBlocks';
  batches?.parts.forEach((part, b) =>
    addWeights(tree, part, frameFn, (node, w) => {
      (node[key] ??= new Float64Array(batches.parts.length))[b] += w;
    }),
  );
}

function addWeights(tree: Level, profile: Profile, frameFn: Int32Array, add: (node: DiffTreeNode, weight: number) => void): void {
  // Function path per trie node, walked once per distinct leaf.
  for (const s of profile.samples) {
    if (s.node < 0 || s.weight <= 0) continue;
    const path: number[] = [];
    for (let n = s.node; n >= 0; n = profile.nodes[n].parent) path.push(frameFn[profile.nodes[n].frame]);
    let level = tree;
    for (let i = path.length - 1; i >= 0; i--) {
      const fn = path[i];
      if (fn < 0) break;
      let entry = level.get(fn);
      if (!entry) level.set(fn, (entry = { node: { fn, base: 0, new: 0, children: [] }, kids: new Map() }));
      add(entry.node, s.weight);
      level = entry.kids as typeof tree;
    }
  }
}

export function buildDiffTree(base: Profile, next: Profile, diff: ProfileDiff): DiffTree {
  const top: Level = new Map();
  addProfile(top, base, diff.baseFrameFunction, 'base', diff.base.batches);
  addProfile(top, next, diff.newFrameFunction, 'new', diff.new.batches);
  const basePart = diff.base.reference?.part;
  const newPart = diff.new.reference?.part;
  if (basePart) addWeights(top, basePart, diff.baseFrameFunction, (node, w) => (node.baseRef = (node.baseRef ?? 0) + w));
  if (newPart) addWeights(top, newPart, diff.newFrameFunction, (node, w) => (node.newRef = (node.newRef ?? 0) + w));
  const finish = (level: Level): DiffTreeNode[] => {
    const out: DiffTreeNode[] = [];
    for (const { node, kids } of level.values()) {
      node.children = finish(kids as Level);
      out.push(node);
    }
    return out.sort((a, b) => b.new - a.new || b.base - a.base);
  };
  return { roots: finish(top) };
}

/** The change of one tree node under the diff's normalisation. */
export function nodeChange(diff: ProfileDiff, node: DiffTreeNode): Change {
  // A node absent from one profile has no blocks there (and nothing to spread: design effect 1).
  // Its reference overlap is 0 when no reference sample passes through it.
  const overlap = (t: ProfileDiff['base'], o: number | undefined) => (t.reference?.part ? (o ?? 0) : undefined);
  return compareCounts(node.base, node.new, diff.base, diff.new, diff.mode, diff.z, {
    base: node.baseBlocks,
    new: node.newBlocks,
    baseOverlap: overlap(diff.base, node.baseRef),
    newOverlap: overlap(diff.new, node.newRef),
  });
}

/**
 * Two-column folded stacks: `frame;frame BASE NEW` per call path's own (exclusive) weight, frames as
 * `name (file)` so a moved function keeps its name. flamegraph.pl draws them as a differential graph.
 */
export function exportDiffFolded(diff: ProfileDiff, tree: DiffTree): string {
  const out: string[] = [];
  const label = (fn: number) => {
    const f = diff.functions[fn];
    return `${f.name}${f.file ? ` (${f.file})` : ''}`.replace(/;/g, ':'); // ';' separates frames
  };
  const walk = (node: DiffTreeNode, prefix: string) => {
    const path = prefix ? `${prefix};${label(node.fn)}` : label(node.fn);
    let b = node.base;
    let n = node.new;
    for (const c of node.children) {
      b -= c.base;
      n -= c.new;
      walk(c, path);
    }
    if (b > 0 || n > 0) out.push(`${path} ${round(b)} ${round(n)}`);
  };
  for (const r of tree.roots) walk(r, '');
  return out.join('\n') + (out.length ? '\n' : '');
}

const round = (w: number) => (Number.isInteger(w) ? String(w) : w.toFixed(6).replace(/\.?0+$/, ''));
