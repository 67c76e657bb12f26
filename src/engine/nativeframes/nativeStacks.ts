// Native frames for a snapshot (record/dump --native): while the target is ptrace-stopped (the
// caller pauses it for exactly the walk and this unwind, then resumes it), every thread's native
// stack is unwound by libunwind; once it runs again they are named by the Symbolizer and merged
// with its Python frames (merge.ts). Threads that run no Python at all (BLAS workers, a C library's threads) are added
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
   * Every thread's native stack as raw instruction pointers, innermost first. Call only while every
   * thread in `stoppedTids` is ptrace-stopped by us, and resume before naming them (merge): naming
   * reads symbol and line tables the first time a module turns up (a second or more for a large
   * libpython), which must not hold the target still.
   */
  unwindAll(stoppedTids: readonly number[]): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (const tid of stoppedTids) {
      let upt = this.threadInfo.get(tid);
      if (!upt) this.threadInfo.set(tid, (upt = this.lib.createThreadInfo(tid)));
      this.lib.unwind(this.as, upt, MAX_NATIVE_DEPTH, this.ips);
      this.nativeFrames += this.ips.length;
      out.set(tid, this.ips.slice());
    }
    return out;
  }

  /**
   * The threads with their unwound native frames named and merged in, plus threads without Python.
   * `entries`: per pthread id, 3.11+ entry marks. Threads not unwound (started after the pause)
   * keep their Python frames only.
   */
  merge(threads: readonly ThreadStack[], unwound: ReadonlyMap<number, readonly number[]>, entries: ReadonlyMap<number, boolean[]> | undefined, active: ReadonlyMap<number, boolean> | undefined): ThreadStack[] {
    const out: ThreadStack[] = [];
    const seen = new Set<number>();
    for (const t of threads) {
      seen.add(t.tid);
      const ips = unwound.get(t.tid);
      if (!ips) { out.push(t); continue; }
      const merged = mergeStacks(t.frames, entries?.get(t.threadId), this.symbols.resolve(ips), this.frameOf);
      out.push(withFrames(t, merged));
    }
    for (const [tid, ips] of unwound) {
      if (seen.has(tid)) continue;
      const frames = this.symbols.resolve(ips).map(this.frameOf);
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
