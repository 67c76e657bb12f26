// How a native (C/C++) frame is told apart from a Python frame everywhere a profile goes: its
// `file` is the module's path followed by NATIVE_TAG (`/usr/lib/x86_64-linux-gnu/libblas.so.3
// [native]`), or, when DWARF line info names its source, the source file with the module inside
// the tag (`/src/spinmod.c [native /tmp/spinmod.so]`, the frame's line being the source line).
// A plain string survives every format (speedscope, collapsed, pprof, the journal) without a field
// of its own, and no Python source path ends that way.
import type { Profile } from './model';

export const NATIVE_TAG = ' [native]';
/** opens the tag of a frame with a source file: ` [native MODULE]` */
const SOURCE_TAG = ' [native ';

export function nativeFile(modulePath: string, sourceFile?: string): string {
  return sourceFile ? `${sourceFile}${SOURCE_TAG}${modulePath}]` : modulePath + NATIVE_TAG;
}

export function isNativeFile(file: string): boolean {
  return file.endsWith(NATIVE_TAG) || (file.endsWith(']') && file.lastIndexOf(SOURCE_TAG) > 0);
}

/** The module and, when known, the source file of a native frame's `file`; undefined for a Python frame. */
export function parseNativeFile(file: string): { module: string; source?: string } | undefined {
  if (file.endsWith(NATIVE_TAG)) return { module: file.slice(0, -NATIVE_TAG.length) };
  const at = file.endsWith(']') ? file.lastIndexOf(SOURCE_TAG) : -1;
  return at > 0 ? { module: file.slice(at + SOURCE_TAG.length, -1), source: file.slice(0, at) } : undefined;
}

/** `libblas.so.3` from `/usr/lib/x86_64-linux-gnu/libblas.so.3 [native]`. */
export function nativeModuleName(file: string): string {
  const p = parseNativeFile(file)?.module ?? file;
  return p.slice(p.lastIndexOf('/') + 1);
}

export interface NativeShare {
  /** the native function (innermost frame) */
  name: string;
  /** its module's file name (`libblas.so.3`) */
  module: string;
  /** its hottest source line under this Python line (`spinmod.c:9`), when DWARF line info named one */
  source?: string;
  weight: number;
  /** share of the line's own time */
  fraction: number;
}

/**
 * The native functions a Python line was running: over the samples whose nearest Python frame is
 * `line` of one of `files`, the innermost native function and its share of them (`63 % in
 * cblas_dgemm (libblas.so.3)`), largest first. Empty without native frames. One function is one
 * row even when its lines span several source files (code inlined from a header).
 */
export function nativeLeavesUnderLine(profile: Profile, files: ReadonlySet<string>, line: number): NativeShare[] {
  const { nodes, frames } = profile;
  const byFunction = new Map<string, { name: string; module: string; weight: number; lines: Map<string, number> }>();
  let total = 0;
  for (const s of profile.samples) {
    if (s.node < 0 || s.weight === 0) continue;
    let u = s.node;
    while (u >= 0 && isNativeFile(frames[nodes[u].frame].file)) u = nodes[u].parent;
    if (u < 0 || nodes[u].line !== line || !files.has(frames[nodes[u].frame].file)) continue;
    total += s.weight;
    if (u === s.node) continue;
    const leaf = nodes[s.node];
    const f = frames[leaf.frame];
    const native = parseNativeFile(f.file)!;
    const key = `${f.name}\0${native.module}`;
    let row = byFunction.get(key);
    if (!row) byFunction.set(key, (row = { name: f.name, module: nativeModuleName(f.file), weight: 0, lines: new Map() }));
    row.weight += s.weight;
    if (native.source && leaf.line > 0) {
      const at = `${native.source.slice(native.source.lastIndexOf('/') + 1)}:${leaf.line}`;
      row.lines.set(at, (row.lines.get(at) ?? 0) + s.weight);
    }
  }
  return [...byFunction.values()]
    .map((r) => ({ name: r.name, module: r.module, source: hottest(r.lines), weight: r.weight, fraction: total > 0 ? r.weight / total : 0 }))
    .sort((a, b) => b.weight - a.weight || a.name.localeCompare(b.name));
}

function hottest(lines: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined, weight = 0;
  for (const [at, w] of lines) if (w > weight) { best = at; weight = w; }
  return best;
}
