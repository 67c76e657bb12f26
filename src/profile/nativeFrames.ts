// How a native (C/C++) frame is told apart from a Python frame everywhere a profile goes: its
// `file` is the module's path followed by NATIVE_TAG (`/usr/lib/x86_64-linux-gnu/libblas.so.3
// [native]`). A plain string survives every format (speedscope, collapsed, pprof, the journal)
// without a field of its own, and no Python source path ends that way.
import type { Profile } from './model';

export const NATIVE_TAG = ' [native]';

export function nativeFile(modulePath: string): string {
  return modulePath + NATIVE_TAG;
}

export function isNativeFile(file: string): boolean {
  return file.endsWith(NATIVE_TAG);
}

/** `libblas.so.3` from `/usr/lib/x86_64-linux-gnu/libblas.so.3 [native]`. */
export function nativeModuleName(file: string): string {
  const p = isNativeFile(file) ? file.slice(0, -NATIVE_TAG.length) : file;
  return p.slice(p.lastIndexOf('/') + 1);
}

export interface NativeShare {
  /** the native function (innermost frame) */
  name: string;
  /** its module's file name (`libblas.so.3`) */
  module: string;
  weight: number;
  /** share of the line's own time */
  fraction: number;
}

/**
 * The native functions a Python line was running: over the samples whose nearest Python frame is
 * `line` of one of `files`, the innermost native function and its share of them (`63 % in
 * cblas_dgemm (libblas.so.3)`), largest first. Empty without native frames.
 */
export function nativeLeavesUnderLine(profile: Profile, files: ReadonlySet<string>, line: number): NativeShare[] {
  const { nodes, frames } = profile;
  const byFrame = new Map<number, number>();
  let total = 0;
  for (const s of profile.samples) {
    if (s.node < 0 || s.weight === 0) continue;
    let u = s.node;
    while (u >= 0 && isNativeFile(frames[nodes[u].frame].file)) u = nodes[u].parent;
    if (u < 0 || nodes[u].line !== line || !files.has(frames[nodes[u].frame].file)) continue;
    total += s.weight;
    if (u !== s.node) byFrame.set(nodes[s.node].frame, (byFrame.get(nodes[s.node].frame) ?? 0) + s.weight);
  }
  return [...byFrame]
    .map(([f, weight]) => ({ name: frames[f].name, module: nativeModuleName(frames[f].file), weight, fraction: total > 0 ? weight / total : 0 }))
    .sort((a, b) => b.weight - a.weight || a.name.localeCompare(b.name));
}
