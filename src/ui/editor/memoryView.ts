// The editor's memory view (`pyprof.hotLines.metric` = "memory"): per local file, hot lines whose
// heat is the line's share of all allocated bytes and whose text is "+12.3 MB alloc · −4.0 MB
// freed", and per-function CodeLens titles from the same numbers. Pure (no vscode), built once per
// loaded profile like the time tables in hotLines.ts, so switching views is a lookup.

import type { PathTable } from '../../profile/pathMap';
import type { Profile } from '../../profile/model';
import { MemStat, MemoryStats, formatMemory, hasLineMemory, memoryLensTitle, memoryLineText, memoryStats } from '../../profile/memoryStats';
import type { HotLine } from './hotLines';
import { heatLevel } from '../../profile/summary';

export type HotLineMetric = 'time' | 'memory';

/** Setting value → metric; anything unknown is the default, time. */
export function parseMetric(v: unknown): HotLineMetric {
  return v === 'memory' ? 'memory' : 'time';
}

/**
 * `pyprof.memory` setting → the record request's memory mode: "rss" / true (the old boolean) /
 * "tracemalloc" / "off" / false. tracemalloc starts the program, so an attach uses rss instead.
 */
export function recordMemoryMode(v: unknown, attaching: boolean): 'off' | 'rss' | 'tracemalloc' {
  if (v === 'tracemalloc') return attaching ? 'rss' : 'tracemalloc';
  if (v === true || v === 'rss') return 'rss';
  return 'off';
}

export interface MemoryLens {
  /** Function name (a module's `<module>` gets no lens). */
  name: string;
  /** 1-based `def` line as the profile has it. */
  line: number;
  /** Profile path. */
  file: string;
  title: string;
}

export interface MemoryView {
  stats: MemoryStats;
  /** Local path → lines to decorate (0-based lines, like HotLine everywhere). */
  hotLines: Map<string, HotLine[]>;
  /** Profile path → lenses of functions that allocated or freed (sorted by line). */
  lenses: Map<string, MemoryLens[]>;
}

/**
 * The memory view's short end-of-line text: the bytes a line allocated, and what it freed when that
 * is a real share too (`+200.0 MB · −199.8 MB`); '' when neither reaches `minFraction` of all
 * allocated bytes (`+40 B · −40 B` on a trivial line is noise). The full wording is in the hover.
 */
export function memoryInlineText(st: MemStat, allocated: number, minFraction: number): string {
  if (!(allocated > 0)) return '';
  const parts: string[] = [];
  if (st.selfAlloc > 0 && st.selfAlloc / allocated >= minFraction) parts.push(`+${formatMemory(st.selfAlloc)}`);
  if (st.selfFreed > 0 && st.selfFreed / allocated >= minFraction) parts.push(`\u2212${formatMemory(st.selfFreed)}`);
  return parts.join(' · ');
}

/**
 * Lines with any own allocation or release are shown; a line's "self"/"total" in the HotLine are
 * its own and inclusive allocated bytes, and the fractions are shares of all allocated bytes.
 * `minFraction` hides lines whose allocation and release are negligible shares; `textMinFraction`
 * keeps the end-of-line text to lines that matter. Heat is relative to the line allocating most.
 */
export function memoryHotLinesFor(stats: MemoryStats, profileFiles: readonly string[], minFraction = 0, textMinFraction = 0): HotLine[] {
  const merged = new Map<number, MemStat>();
  for (const f of profileFiles) {
    for (const [line, st] of stats.lines.get(f) ?? []) {
      const m = merged.get(line);
      if (m) {
        m.selfAlloc += st.selfAlloc;
        m.selfFreed += st.selfFreed;
        m.totalAlloc += st.totalAlloc;
        m.totalFreed += st.totalFreed;
      } else merged.set(line, { ...st });
    }
  }
  const all = stats.allocated;
  const hottest = all > 0 ? stats.hottestLineAlloc / all : 0;
  const out: HotLine[] = [];
  for (const [line, st] of merged) {
    if (line <= 0 || (st.selfAlloc <= 0 && st.selfFreed <= 0)) continue;
    const selfFraction = all > 0 ? st.selfAlloc / all : 0;
    const freedFraction = all > 0 ? st.selfFreed / all : 0;
    if (selfFraction < minFraction && freedFraction < minFraction) continue;
    out.push({
      line: line - 1,
      heat: heatLevel(selfFraction, hottest), // same steps as time heat, relative to the line allocating most
      self: st.selfAlloc,
      total: st.totalAlloc,
      selfFraction,
      totalFraction: all > 0 ? st.totalAlloc / all : 0,
      text: memoryInlineText(st, all, textMinFraction),
      detail: memoryLineText(st, all),
    });
  }
  return out.sort((a, b) => a.line - b.line);
}

/** Lenses per profile file: every function whose stacks allocated or freed. */
export function memoryLenses(profile: Profile, stats: MemoryStats): Map<string, MemoryLens[]> {
  const out = new Map<string, MemoryLens[]>();
  profile.frames.forEach((fr, i) => {
    const st = stats.functions[i];
    if (fr.line <= 0 || (st.totalAlloc <= 0 && st.totalFreed <= 0)) return;
    let l = out.get(fr.file);
    if (!l) out.set(fr.file, (l = []));
    l.push({ name: fr.name, line: fr.line, file: fr.file, title: memoryLensTitle(st) });
  });
  for (const l of out.values()) l.sort((a, b) => a.line - b.line);
  return out;
}

/** The whole memory view of a profile, or undefined when it has no per-line memory data. */
export function buildMemoryView(profile: Profile, paths: PathTable, minFraction = 0, textMinFraction = 0): MemoryView | undefined {
  if (!hasLineMemory(profile)) return undefined;
  const stats = memoryStats(profile);
  const hotLines = new Map<string, HotLine[]>();
  for (const [local, profilePaths] of paths.toProfile) {
    const lines = memoryHotLinesFor(stats, profilePaths, minFraction, textMinFraction);
    if (lines.length > 0) hotLines.set(local, lines);
  }
  return { stats, hotLines, lenses: memoryLenses(profile, stats) };
}
