// Native frames for a snapshot (record/dump --native): while the target is ptrace-stopped (the
// caller pauses it for exactly the walk and this unwind, then resumes it), every thread's native
// stack is unwound by libunwind, named by the Symbolizer and merged with its Python frames
// (merge.ts). Threads that run no Python at all (BLAS workers, a C library's threads) are added
// with their native stack. One libunwind address space per process caches unwind info across
// samples; per-thread ptrace state lives as long as the thread.
import * as fs from 'fs';
import { nativeFile } from '../../profile/nativeFrames';
import { loadLibUnwind, LibUnwind } from '../native/libunwind';
import { PyFrame, ThreadStack, withFrames } from '../types';
import { mergeStacks } from './merge';
import { NativeSymbol, Symbolizer } from './symbols';
import { ReadTargetMemory, readVdso, vdsoUnwindTable } from './vdso';

/** Deepest native stack unwound (a runaway recursion in C stops here, the rest of the stack is cut). */
const MAX_NATIVE_DEPTH = 512;

export class NativeStacks {
  private readonly lib: LibUnwind;
  private readonly as: unknown;
  private readonly threadInfo = new Map<number, unknown>();
  private readonly symbols: Symbolizer;
  private readonly frames = new Map<NativeSymbol, PyFrame>();
  private readonly ips: number[] = [];
  /** native frames unwound so far (benchmarks: cost per frame) */
  nativeFrames = 0;

  constructor(private readonly pid: number, interpreterModules: ReadonlySet<string>, readMemory: ReadTargetMemory) {
    this.lib = loadLibUnwind();
    const vdso = readVdso(pid, readMemory);
    this.as = this.lib.createAddressSpace(vdso && vdsoUnwindTable(vdso));
    this.symbols = new Symbolizer(pid, interpreterModules, vdso);
  }

  /**
   * The threads with native frames merged in, plus threads without Python. Call only while every
   * thread in `stoppedTids` is ptrace-stopped by us. `entries`: per pthread id, 3.11+ entry marks.
   */
  merge(threads: readonly ThreadStack[], stoppedTids: readonly number[], entries: ReadonlyMap<number, boolean[]> | undefined, active: ReadonlyMap<number, boolean> | undefined): ThreadStack[] {
    const out: ThreadStack[] = [];
    const stopped = new Set(stoppedTids);
    const seen = new Set<number>();
    for (const t of threads) {
      seen.add(t.tid);
      if (!stopped.has(t.tid)) { out.push(t); continue; } // started after the pause: Python frames only
      const native = this.unwind(t.tid);
      const merged = mergeStacks(t.frames, entries?.get(t.threadId), native, this.frameOf);
      const m = withFrames(t, merged);
      out.push(m);
    }
    for (const tid of stoppedTids) {
      if (seen.has(tid)) continue;
      const frames = this.unwind(tid).map(this.frameOf);
      const state = active?.get(tid) ?? false;
      out.push({ pid: this.pid, tid, threadId: 0, name: threadComm(this.pid, tid), holdsGil: false, active: state, frames });
    }
    return out;
  }

  /** Releases the ptrace state of threads that ended (new libraries are found as their addresses turn up). */
  forgetThreads(liveTids: ReadonlySet<number>): void {
    for (const [tid, upt] of this.threadInfo) {
      if (liveTids.has(tid)) continue;
      this.lib.destroyThreadInfo(upt);
      this.threadInfo.delete(tid);
    }
  }

  close(): void {
    for (const upt of this.threadInfo.values()) this.lib.destroyThreadInfo(upt);
    this.threadInfo.clear();
    this.lib.destroyAddressSpace(this.as);
  }

  private unwind(tid: number): NativeSymbol[] {
    let upt = this.threadInfo.get(tid);
    if (!upt) this.threadInfo.set(tid, (upt = this.lib.createThreadInfo(tid)));
    this.lib.unwind(this.as, upt, MAX_NATIVE_DEPTH, this.ips);
    this.nativeFrames += this.ips.length;
    return this.symbols.resolve(this.ips);
  }

  private frameOf = (s: NativeSymbol): PyFrame => {
    let f = this.frames.get(s);
    if (!f) this.frames.set(s, (f = { name: s.name, file: nativeFile(s.module, s.source?.file), line: s.source?.line ?? 0, firstLine: s.firstLine ?? 0 }));
    return f;
  };
}

function threadComm(pid: number, tid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
