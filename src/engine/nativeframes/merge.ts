// One stack from a thread's native frames and its Python frames (both innermost first), as py-spy
// does it: each CPython eval-loop frame in the native stack is replaced by the Python frames it
// runs. On ≤3.10 that is one Python frame per eval call; on 3.11+ one eval call runs a run of
// Python frames (Python-to-Python calls stay inside it), which ends at an "entry" frame (3.11's
// is_entry, 3.12+'s C-stack shim below it): `entries[i]` marks those.
// What is kept: every native frame above the innermost Python frame (what the Python line is
// doing: numpy, BLAS, zlib, the regex engine, a syscall); between Python frames only frames of
// other modules than the interpreter (an extension calling back into Python), not the
// interpreter's own call machinery; nothing below the outermost Python frame (thread start-up,
// main). A thread without Python frames keeps its whole native stack.
import type { PyFrame } from '../types';
import type { NativeSymbol } from './symbols';

export function mergeStacks(
  python: readonly PyFrame[],
  entries: readonly boolean[] | undefined,
  native: readonly NativeSymbol[],
  frameOf: (s: NativeSymbol) => PyFrame,
): PyFrame[] {
  if (python.length === 0) return native.map(frameOf);
  const groups: PyFrame[][] = [];
  let group: PyFrame[] = [];
  for (let i = 0; i < python.length; i++) {
    group.push(python[i]);
    if (!entries || entries[i]) { groups.push(group); group = []; }
  }
  if (group.length > 0) {
    if (groups.length > 0) groups[groups.length - 1].push(...group); // no entry mark at the bottom: the last call ran them
    else groups.push(group);
  }
  const out: PyFrame[] = [];
  let g = 0;
  let lastPython = -1;
  for (const s of native) {
    if (s.evalLoop) {
      if (g < groups.length) {
        for (const f of groups[g++]) out.push(f);
        lastPython = out.length - 1;
      }
      continue; // an eval frame with no Python frame left to stand for is interpreter machinery
    }
    if (g === 0 || !s.interpreter) out.push(frameOf(s));
  }
  if (g < groups.length) {
    // the native unwind stopped early (a frame without unwind info): the rest of the Python stack
    while (g < groups.length) for (const f of groups[g++]) out.push(f);
    return out;
  }
  out.length = lastPython + 1;
  return out;
}
