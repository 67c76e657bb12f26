// Per local file, what the server places in a document: the profiled functions (CodeLens) and the
// profiled lines (hover, inlay hints, diagnostics), in the profile's own line numbers. Built once
// per (profile, path mapping); a document request then only looks its file up and places entries.
// Several profile paths can map to one local file (two containers running the same code): their
// entries merge. Pure (no LSP, no file system).

import type { PathTable } from '../profile/pathMap';
import { LensInfo, lensTitle, lineText } from '../profile/summary';
import type { ProfileIndex } from './profileIndex';

export interface FunctionEntry {
  /** profile.frames indices merged into this entry (one per profile path, usually one). */
  frames: number[];
  /** Name as the profile has it (qualified on 3.11+: `Klass.method`, `outer.<locals>.inner`). */
  name: string;
  /** 1-based recorded `def` line (co_firstlineno: the first decorator for decorated functions), 0 = unknown. */
  line: number;
  self: number;
  total: number;
  calls?: number;
  callers: number;
  /** 1-based hottest own line (0 = none). */
  hotLine: number;
  /** `pyprof: 42.1% total · 12.0% self · 1,234 samples` (+ calls / callers). */
  title: string;
}

export interface LineEntry {
  /** 1-based recorded line. */
  line: number;
  self: number;
  total: number;
  selfFraction: number;
  totalFraction: number;
  /** Frame that executed this line with the most weight (its function's move carries the line). */
  owner: number;
  /** `12.0% self · 42.1% total · 1,234 samples`. */
  text: string;
}

export interface LocalFileTable {
  localPath: string;
  /** The profile's paths for this file. */
  profileFiles: string[];
  /** Sorted by recorded line. Only functions with weight (or a measured call count). */
  functions: FunctionEntry[];
  /** Sorted by recorded line. Every line with weight. */
  lines: LineEntry[];
}

/** Tables of every local file the path table maps to, keyed by local path. */
export function buildFileTables(index: ProfileIndex, paths: PathTable): Map<string, LocalFileTable> {
  const out = new Map<string, LocalFileTable>();
  for (const [local, profileFiles] of paths.toProfile) {
    const t = buildFileTable(index, local, profileFiles);
    if (t.functions.length > 0 || t.lines.length > 0) out.set(local, t);
  }
  return out;
}

export function buildFileTable(index: ProfileIndex, localPath: string, profileFiles: readonly string[]): LocalFileTable {
  const { summary, total, profile } = index;
  const frac = (w: number) => (total > 0 ? w / total : 0);

  const lines = new Map<number, LineEntry>();
  const fns = new Map<string, FunctionEntry>();
  for (const pf of profileFiles) {
    const fs = summary.files.get(pf);
    if (!fs) continue;
    const owners = index.lineOwner.get(pf);
    for (const l of fs.lines) {
      if (l.line <= 0) continue;
      const prev = lines.get(l.line);
      if (prev) {
        prev.self += l.self;
        prev.total += l.total;
      } else {
        lines.set(l.line, {
          line: l.line,
          self: l.self,
          total: l.total,
          selfFraction: 0,
          totalFraction: 0,
          owner: owners?.get(l.line) ?? -1,
          text: '',
        });
      }
    }
    for (const f of fs.functions) {
      const key = `${f.name}\0${f.line}`;
      const prev = fns.get(key);
      if (prev) {
        prev.frames.push(f.frame);
        prev.self += f.self;
        prev.total += f.total;
        prev.callers += f.callers;
        if (f.calls !== undefined) prev.calls = (prev.calls ?? 0) + f.calls;
      } else {
        const e: FunctionEntry = {
          frames: [f.frame],
          name: f.name,
          line: f.line,
          self: f.self,
          total: f.total,
          callers: f.callers,
          hotLine: f.hotLine,
          title: f.title,
        };
        if (f.calls !== undefined) e.calls = f.calls;
        fns.set(key, e);
      }
    }
  }
  for (const l of lines.values()) {
    l.selfFraction = frac(l.self);
    l.totalFraction = frac(l.total);
    l.text = lineText(l, total, profile.meta);
  }
  for (const f of fns.values()) {
    if (f.frames.length === 1) continue; // the summary's title is already exact
    const info: LensInfo = { callers: f.callers, calls: f.calls };
    f.title = lensTitle(f, total, profile.meta, info);
  }
  return {
    localPath,
    profileFiles: [...profileFiles],
    functions: [...fns.values()].sort((a, b) => a.line - b.line || b.total - a.total),
    lines: [...lines.values()].sort((a, b) => a.line - b.line),
  };
}
