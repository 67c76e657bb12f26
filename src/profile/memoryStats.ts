// Memory views of a profile: bytes allocated / freed per line and per function, from the per-stack
// StackSample.allocBytes/freedBytes that `record --memory` (RSS deltas), `--memory=tracemalloc`
// (exact Python-allocator deltas) and austin's memory mode put there, plus the wording the editor
// shows for them ("+12.3 MB alloc · −4.0 MB freed"). Pure (no vscode): the extension's hot lines,
// its fallback CodeLens and the language server share it.
//
// Attribution: a sample's bytes are the leaf line's own ("self"); every line and function on its
// stack gets them in "total", once per stack even under recursion (the same rule as lineStats).

import type { Profile } from './model';
import { formatPercent } from './summary';

export interface MemStat {
  selfAlloc: number;
  selfFreed: number;
  totalAlloc: number;
  totalFreed: number;
}

export interface MemoryStats {
  /** Profile path → 1-based line → bytes. Only lines on a stack that allocated or freed. */
  lines: Map<string, Map<number, MemStat>>;
  /** Indexed like profile.frames (zeros for functions never on such a stack). */
  functions: MemStat[];
  /** Sum of all samples' allocBytes / freedBytes. */
  allocated: number;
  freed: number;
  /** Own allocated bytes of the line allocating most (heat is relative to it). */
  hottestLineAlloc: number;
}

/** True when some stack carries allocated or freed bytes (the memory view has something to show). */
export function hasLineMemory(profile: Profile): boolean {
  return profile.samples.some((s) => (s.allocBytes ?? 0) > 0 || (s.freedBytes ?? 0) > 0);
}

const zero = (): MemStat => ({ selfAlloc: 0, selfFreed: 0, totalAlloc: 0, totalFreed: 0 });

export function memoryStats(profile: Profile): MemoryStats {
  const lines = new Map<string, Map<number, MemStat>>();
  const functions = profile.frames.map(zero);
  let allocated = 0;
  let freed = 0;
  const seenLines = new Set<string>();
  const seenFrames = new Set<number>();
  // Only the few stacks with memory are walked: O(memory samples × depth).
  for (const s of profile.samples) {
    const a = s.allocBytes ?? 0;
    const f = s.freedBytes ?? 0;
    if (s.node < 0 || (a <= 0 && f <= 0)) continue;
    allocated += a;
    freed += f;
    seenLines.clear();
    seenFrames.clear();
    let leaf = true;
    for (let n = s.node; n >= 0; n = profile.nodes[n].parent) {
      const nd = profile.nodes[n];
      const fs = functions[nd.frame];
      if (leaf) {
        fs.selfAlloc += a;
        fs.selfFreed += f;
      }
      if (!seenFrames.has(nd.frame)) {
        seenFrames.add(nd.frame);
        fs.totalAlloc += a;
        fs.totalFreed += f;
      }
      if (nd.line > 0) {
        const file = profile.frames[nd.frame].file;
        let m = lines.get(file);
        if (!m) lines.set(file, (m = new Map()));
        let st = m.get(nd.line);
        if (!st) m.set(nd.line, (st = zero()));
        if (leaf) {
          st.selfAlloc += a;
          st.selfFreed += f;
        }
        const k = `${file}\0${nd.line}`;
        if (!seenLines.has(k)) {
          seenLines.add(k);
          st.totalAlloc += a;
          st.totalFreed += f;
        }
      }
      leaf = false;
    }
  }
  let hottestLineAlloc = 0;
  for (const m of lines.values()) for (const st of m.values()) if (st.selfAlloc > hottestLineAlloc) hottestLineAlloc = st.selfAlloc;
  return { lines, functions, allocated, freed, hottestLineAlloc };
}

/** `0 B`, `512 B`, `12.5 KB`, `12.3 MB`, `1.25 GB` (binary multiples, as RSS and tracemalloc count). */
export function formatMemory(bytes: number): string {
  const b = Math.abs(bytes);
  if (b < 1024) return `${Math.round(b)} B`;
  if (b < 1024 ** 2) return `${(b / 1024).toFixed(1)} KB`;
  if (b < 1024 ** 3) return `${(b / 1024 ** 2).toFixed(1)} MB`;
  return `${(b / 1024 ** 3).toFixed(2)} GB`;
}

/** `+12.3 MB alloc · −4.0 MB freed`; a zero side is left out; `no memory change` when both are. */
export function memoryText(alloc: number, freed: number): string {
  const parts: string[] = [];
  if (alloc > 0) parts.push(`+${formatMemory(alloc)} alloc`);
  if (freed > 0) parts.push(`\u2212${formatMemory(freed)} freed`);
  return parts.length > 0 ? parts.join(' · ') : 'no memory change';
}

/** End-of-line text of a line in the memory view: its own bytes, plus its share of all allocation. */
export function memoryLineText(st: MemStat, allocated: number): string {
  const text = memoryText(st.selfAlloc, st.selfFreed);
  return allocated > 0 && st.selfAlloc > 0 ? `${text} (${formatPercent(st.selfAlloc / allocated)} of alloc)` : text;
}

/** CodeLens title in the memory view: `pyprof: +12.3 MB alloc · −4.0 MB freed (self +1.0 MB)`. */
export function memoryLensTitle(st: MemStat): string {
  let t = `pyprof: ${memoryText(st.totalAlloc, st.totalFreed)}`;
  if (st.selfAlloc > 0 && st.selfAlloc !== st.totalAlloc) t += ` (self +${formatMemory(st.selfAlloc)})`;
  return t;
}

