// Reading what the tracemalloc start-up module (tracemallocBootstrap.ts) wrote, and mapping it into the
// profile model: per traceback, the live size of each snapshot is compared with the previous one;
// growth counts as allocated, shrinkage as freed, on that traceback's stack (StackSample.allocBytes
// / freedBytes, weight 0 so time views are unchanged). Note that tracemalloc charges a release to
// the line that ALLOCATED the block (it tracks blocks by their allocation traceback), whereas RSS
// mode charges it to whatever line ran when RSS shrank.
//
// tracemalloc frames carry file and line only. Function names come from the sampled profile: the
// function a sample saw executing that (file, line), else the innermost sampled function of the
// file whose `def` precedes the line and whose sampled lines reach past it, else the file's
// `<module>`, else a `file:line` placeholder.

import * as path from 'path';
import type { Profile, ProfileBuilder, StackEntry } from '../profile/model';

export interface TracemallocTraceback {
  /** Outermost frame first: [file, line]. */
  frames: Array<[string, number]>;
  allocated: number;
  freed: number;
  /** Live size in the last snapshot. */
  live: number;
}

export interface TracemallocRun {
  /** Epoch ms of the bootstrap's start line (0 when missing). */
  startTime: number;
  python: string;
  tracebacks: Map<number, TracemallocTraceback>;
  /** [epoch ms, traced bytes] per snapshot. */
  traced: Array<[number, number]>;
  peak: number;
  snapshots: number;
  /** Malformed lines skipped (a program killed mid-write leaves at most one). */
  badLines: number;
}

/** Parses the bootstrap's JSON lines and accumulates per-traceback allocated / freed bytes. */
export function readTracemallocStats(text: string): TracemallocRun {
  const run: TracemallocRun = { startTime: 0, python: '', tracebacks: new Map(), traced: [], peak: 0, snapshots: 0, badLines: 0 };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let o: { k?: string; [key: string]: unknown };
    try {
      o = JSON.parse(line);
    } catch {
      run.badLines++;
      continue;
    }
    if (o.k === 'start') {
      run.startTime = Number(o.t) || 0;
      run.python = String(o.python ?? '');
    } else if (o.k === 'tb' && Array.isArray(o.f)) {
      const frames = (o.f as unknown[]).filter((f): f is [string, number] => Array.isArray(f) && typeof f[0] === 'string' && typeof f[1] === 'number');
      run.tracebacks.set(Number(o.id), { frames, allocated: 0, freed: 0, live: 0 });
    } else if (o.k === 'snap' && Array.isArray(o.s)) {
      run.snapshots++;
      run.traced.push([Number(o.t) || 0, Number(o.traced) || 0]);
      run.peak = Math.max(run.peak, Number(o.peak) || 0);
      for (const e of o.s as unknown[]) {
        if (!Array.isArray(e)) continue;
        const tb = run.tracebacks.get(Number(e[0]));
        const size = Number(e[1]);
        if (!tb || !Number.isFinite(size)) continue;
        const delta = size - tb.live;
        if (delta > 0) tb.allocated += delta;
        else tb.freed -= delta;
        tb.live = size;
      }
    } else run.badLines++;
  }
  return run;
}

/** Resolves (file, line) → the function a frame at that line belongs to, from the sampled profile. */
export class FunctionResolver {
  private readonly byLine = new Map<string, { name: string; firstLine: number; weight: number }>();
  private readonly byFile = new Map<string, Array<{ name: string; firstLine: number; maxLine: number }>>();

  constructor(profile: Profile) {
    const leafWeight = new Map<number, number>();
    for (const s of profile.samples) leafWeight.set(s.node, (leafWeight.get(s.node) ?? 0) + s.weight);
    const extent = new Map<number, number>(); // frame → highest sampled line
    profile.nodes.forEach((n, i) => {
      const fr = profile.frames[n.frame];
      if (n.line > 0) {
        const k = `${fr.file}\0${n.line}`;
        const w = (leafWeight.get(i) ?? 0) + 1; // +1: a line seen only as a call site still counts
        const cur = this.byLine.get(k);
        if (!cur || w > cur.weight) this.byLine.set(k, { name: fr.name, firstLine: fr.line, weight: w });
        extent.set(n.frame, Math.max(extent.get(n.frame) ?? 0, n.line));
      }
    });
    profile.frames.forEach((fr, i) => {
      let l = this.byFile.get(fr.file);
      if (!l) this.byFile.set(fr.file, (l = []));
      l.push({ name: fr.name, firstLine: fr.line, maxLine: extent.get(i) ?? fr.line });
    });
  }

  resolve(file: string, line: number): { name: string; firstLine: number } {
    const exact = this.byLine.get(`${file}\0${line}`);
    if (exact) return exact;
    const fns = this.byFile.get(file) ?? [];
    let best: { name: string; firstLine: number } | undefined;
    for (const f of fns) {
      if (f.name === '<module>' || f.firstLine > line || f.maxLine < line) continue;
      if (!best || f.firstLine > best.firstLine) best = f;
    }
    if (best) return best;
    const mod = fns.find((f) => f.name === '<module>');
    if (mod) return mod;
    return { name: `${path.basename(file)}:${line}`, firstLine: 0 };
  }
}

export interface ApplyResult {
  allocated: number;
  freed: number;
  stacks: number;
}

/**
 * Adds each traceback's allocated/freed bytes to the profile as a weight-0 sample on `thread`.
 * `builder` must be the one that built `profile` (its interning tables are reused).
 */
export function applyTracemalloc(builder: ProfileBuilder, run: TracemallocRun, thread: number): ApplyResult {
  const resolver = new FunctionResolver(builder.profile);
  let allocated = 0;
  let freed = 0;
  let stacks = 0;
  for (const tb of run.tracebacks.values()) {
    if (tb.allocated <= 0 && tb.freed <= 0) continue;
    const entries: StackEntry[] = tb.frames.map(([file, line]) => {
      const fn = resolver.resolve(file, line);
      return { name: fn.name, file, firstLine: fn.firstLine, line };
    });
    const leaf = builder.internStack(entries);
    if (leaf < 0) continue;
    const s = builder.addSample(thread, leaf, 0);
    if (tb.allocated > 0) s.allocBytes = (s.allocBytes ?? 0) + tb.allocated;
    if (tb.freed > 0) s.freedBytes = (s.freedBytes ?? 0) + tb.freed;
    allocated += tb.allocated;
    freed += tb.freed;
    stacks++;
  }
  return { allocated, freed, stacks };
}
