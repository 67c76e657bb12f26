// Function tables for `pyprof top`, the record summary and `top` events: own (self) and total
// share per function, plus the line inside each function with the most own samples.

import type { PyFrame } from '../engine/types';
import type { TopRow } from '../recording/events';
import { Profile } from '../profile/model';

interface Tally {
  name: string;
  file: string;
  line: number;
  self: number;
  total: number;
  /** own samples per line */
  lines: Map<number, number>;
  /** samples per line at any depth (where a caller's time is spent) */
  anyLines: Map<number, number>;
}

export interface TallyRow extends TopRow {
  /** Raw counts behind the fractions. */
  selfCount: number;
  totalCount: number;
  /** Line to show: the hottest own line, else (a caller) the line where most of its total is spent. */
  showLine: number;
}

/** Counts functions over thread stacks as they arrive (used by `top` per window and cumulatively). */
export class FunctionTally {
  private readonly byKey = new Map<string, Tally>();
  /** Thread stacks counted (the denominator of the fractions). */
  stacks = 0;

  /** Adds one thread's stack (innermost first). */
  add(frames: readonly PyFrame[]): void {
    if (frames.length === 0) return;
    this.stacks++;
    const seen = new Set<Tally>();
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const key = `${f.file}\0${f.name}\0${f.firstLine}`;
      let t = this.byKey.get(key);
      if (!t) this.byKey.set(key, (t = { name: f.name, file: f.file, line: f.firstLine, self: 0, total: 0, lines: new Map(), anyLines: new Map() }));
      if (i === 0) {
        t.self++;
        t.lines.set(f.line, (t.lines.get(f.line) ?? 0) + 1);
      }
      if (!seen.has(t)) {
        seen.add(t);
        t.total++;
        t.anyLines.set(f.line, (t.anyLines.get(f.line) ?? 0) + 1);
      }
    }
  }

  /** Counts for one function (by identity), or zeros when it was never seen. */
  counts(row: Pick<TopRow, 'name' | 'file' | 'line'>): { self: number; total: number } {
    const t = this.byKey.get(`${row.file}\0${row.name}\0${row.line}`);
    return t ? { self: t.self, total: t.total } : { self: 0, total: 0 };
  }

  reset(): void {
    this.byKey.clear();
    this.stacks = 0;
  }

  rows(limit: number, sortBy: 'self' | 'total' = 'self'): TallyRow[] {
    const n = Math.max(1, this.stacks);
    return [...this.byKey.values()]
      .sort((a, b) => (sortBy === 'self' ? b.self - a.self || b.total - a.total : b.total - a.total || b.self - a.self))
      .slice(0, limit)
      .map((t) => ({
        name: t.name,
        file: t.file,
        line: t.line,
        self: t.self / n,
        total: t.total / n,
        selfCount: t.self,
        totalCount: t.total,
        hotLine: hottest(t.lines),
        showLine: hottest(t.lines) ?? hottest(t.anyLines) ?? t.line,
      }));
  }
}

function hottest(lines: Map<number, number>): number | undefined {
  let best: number | undefined;
  let bestN = 0;
  for (const [line, n] of lines) if (n > bestN) (best = line), (bestN = n);
  return best;
}

/** Top functions of a recorded profile by own weight (synthetic process/thread root frames skipped). */
export function profileTopRows(profile: Profile, limit: number): TallyRow[] {
  const self = new Float64Array(profile.frames.length);
  const total = new Float64Array(profile.frames.length);
  const lineSelf = new Map<number, Map<number, number>>();
  const lineAny = new Map<number, Map<number, number>>();
  const mark = new Int32Array(profile.frames.length).fill(-1);
  let all = 0;
  profile.samples.forEach((s, idx) => {
    if (s.node < 0 || s.weight <= 0) return;
    all += s.weight;
    const leaf = profile.nodes[s.node];
    self[leaf.frame] += s.weight;
    let m = lineSelf.get(leaf.frame);
    if (!m) lineSelf.set(leaf.frame, (m = new Map()));
    m.set(leaf.line, (m.get(leaf.line) ?? 0) + s.weight);
    for (let n = s.node; n >= 0; n = profile.nodes[n].parent) {
      const f = profile.nodes[n].frame;
      if (mark[f] !== idx) {
        mark[f] = idx;
        total[f] += s.weight;
        let a = lineAny.get(f);
        if (!a) lineAny.set(f, (a = new Map()));
        const line = profile.nodes[n].line;
        a.set(line, (a.get(line) ?? 0) + s.weight);
      }
    }
  });
  const denom = Math.max(1, all);
  const idx = profile.frames.map((_, i) => i).filter((i) => total[i] > 0 && profile.frames[i].file !== '');
  idx.sort((a, b) => self[b] - self[a] || total[b] - total[a]);
  return idx.slice(0, limit).map((i) => ({
    name: profile.frames[i].name,
    file: profile.frames[i].file,
    line: profile.frames[i].line,
    self: self[i] / denom,
    total: total[i] / denom,
    selfCount: self[i],
    totalCount: total[i],
    hotLine: lineSelf.has(i) ? hottest(lineSelf.get(i)!) : undefined,
    showLine: (lineSelf.has(i) ? hottest(lineSelf.get(i)!) : undefined) ?? (lineAny.has(i) ? hottest(lineAny.get(i)!) : undefined) ?? profile.frames[i].line,
  }));
}

/** `name (file:line)` with the file shortened to its last `keep` path segments. */
export function describeFunction(row: Pick<TallyRow, 'name' | 'file' | 'showLine'>, keep = 2): string {
  const parts = row.file.split('/');
  const short = parts.length > keep ? parts.slice(-keep).join('/') : row.file;
  return `${row.name} (${short}:${row.showLine})`;
}

/** Plain-text table (no colours) shared by `top` in non-TTY mode and the record summary. */
export function formatTable(rows: readonly TallyRow[], secondsPerSample: number | undefined, width = 100): string[] {
  if (!(width >= 40)) width = 100; // a pty without a size reports 0 columns
  const lines = [`  %Own  %Total${secondsPerSample ? '  OwnTime  TotalTime' : ''}  Function (file:hottest line)`];
  for (const r of rows) {
    const pct = (x: number) => (x * 100).toFixed(1).padStart(5) + '%';
    const secs = (n: number) => `${(n * secondsPerSample!).toFixed(2)}s`.padStart(8);
    let line = `${pct(r.self)} ${pct(r.total)}${secondsPerSample ? ` ${secs(r.selfCount)}  ${secs(r.totalCount)} ` : ''}  ${describeFunction(r)}`;
    if (line.length > width) line = line.slice(0, width - 1) + '…';
    lines.push(line);
  }
  return lines;
}
