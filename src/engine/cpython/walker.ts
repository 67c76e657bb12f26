// Walks every thread of every interpreter in the target and rebuilds its Python stack.
//
// 3.11+: frames live in per-thread data-stack chunks. Each thread's current chunk is read whole in
// one syscall and frames inside it are decoded from that local copy, so a deep stack costs ~2
// syscalls instead of one per frame; frames elsewhere (generators, older chunks) are read directly.
// ≤3.10: frames are heap objects, one read each; they are recycled while we read, so each is
// validated (type, depth, cycles) and a torn walk is reported, never returned half-right.
import { performance } from 'perf_hooks';
import { RemoteMemory, readPtr } from '../native/memory';
import { ThreadStateReader } from '../proc/procfs';
import { EngineError, PyFrame, ThreadStack } from '../types';
import type { Layout } from './layout';
import { CodeCache, tornRead } from './objects';

const MAX_THREADS = 4096;
const MAX_DEPTH = 4096;
const CHUNK_GUESS = 16 * 1024;
const MAX_CHUNK = 4 << 20;

export interface WalkContext {
  pid: number;
  runtime: number;
  frameType: number;
  codeType: number;
}

interface LoadedChunk { start: number; buf: Buffer }

export class StackWalker {
  private tidByPthread = new Map<number, number>();
  private pthreadTidOffset: number | undefined;
  private gilStatePtr = new Map<number, number>();

  constructor(
    private readonly mem: RemoteMemory,
    private readonly L: Layout,
    private readonly codes: CodeCache,
    private readonly ctx: WalkContext,
    private readonly states: ThreadStateReader,
  ) {}

  /** Forget derived caches that can go stale (thread ids are recycled). */
  resetThreadCaches(): void {
    this.tidByPthread.clear();
  }

  interpreters(): number[] {
    const out: number[] = [];
    let interp = this.mem.u64(this.ctx.runtime + this.L.runtime.interpretersHead);
    if (interp <= 0) throw new EngineError('INTERPRETER_NOT_FOUND', 'the Python interpreter is not initialised (yet)');
    while (interp > 0 && out.length < 64) {
      out.push(interp);
      interp = this.mem.u64(interp + this.L.interp.next);
    }
    return out;
  }

  /** Every thread's stack. `active` overrides /proc reads (blocking mode reads them before pausing). */
  walk(names: (threadId: number, tid: number) => string, active?: Map<number, boolean>): ThreadStack[] {
    const out: ThreadStack[] = [];
    this.codes.begin(performance.now());
    for (const interp of this.interpreters()) {
      const holder = this.gilHolder(interp);
      let ts = this.mem.u64(interp + this.L.interp.threadsHead);
      const seen = new Set<number>();
      while (ts > 0) {
        if (seen.has(ts) || seen.size >= MAX_THREADS) throw tornRead('thread list');
        seen.add(ts);
        const T = this.L.tstate;
        const raw = this.mem.copy(ts, T.size);
        if (readPtr(raw, T.interp) !== interp) throw tornRead('thread state interp back-pointer');
        const threadId = readPtr(raw, T.threadId);
        const tid = T.nativeThreadId !== undefined ? readPtr(raw, T.nativeThreadId) : this.tidFromPthread(threadId);
        const frames = this.L.frame ? this.walkHeapFrames(readPtr(raw, T.frame!)) : this.walkInterpreterFrames(raw);
        out.push({
          pid: this.ctx.pid,
          tid,
          threadId,
          name: names(threadId, tid),
          holdsGil: holder === ts,
          active: active?.get(tid) ?? this.states.isActive(tid),
          frames,
        });
        ts = readPtr(raw, T.next);
      }
    }
    this.codes.verify();
    return out;
  }

  /** Address of the thread state holding the GIL, or 0 when nobody holds it. */
  private gilHolder(interp: number): number {
    const L = this.L;
    let base: number, holderOff: number, lockedOff: number;
    if (L.runtime.gilLastHolder !== undefined && L.runtime.gilLocked !== undefined) {
      base = this.ctx.runtime; holderOff = L.runtime.gilLastHolder; lockedOff = L.runtime.gilLocked; // ≤3.11: one GIL in _PyRuntime
    } else if (L.interp.cevalGilPtr !== undefined && L.gil) {
      let gil = this.gilStatePtr.get(interp); // 3.12: per-interpreter pointer, stable for its lifetime
      if (gil === undefined) this.gilStatePtr.set(interp, (gil = this.mem.u64(interp + L.interp.cevalGilPtr)));
      base = gil; holderOff = L.gil.lastHolder; lockedOff = L.gil.locked;
    } else if (L.interp.gilHolder !== undefined && L.interp.gilLocked !== undefined && L.interp.gilHolder >= 0) {
      base = interp; holderOff = L.interp.gilHolder; lockedOff = L.interp.gilLocked; // 3.13+: from the debug offsets
    } else {
      return 0;
    }
    const lo = Math.min(holderOff, lockedOff);
    const b = this.mem.read(base + lo, Math.max(holderOff, lockedOff) + 8 - lo);
    return b.readInt32LE(lockedOff - lo) !== 0 ? readPtr(b, holderOff - lo) : 0;
  }

  /** ≤3.10: pthread_t is glibc's struct pthread*, whose `tid` field we find once and then read. */
  private tidFromPthread(threadId: number): number {
    const hit = this.tidByPthread.get(threadId);
    if (hit !== undefined) return hit;
    if (this.pthreadTidOffset === undefined) this.pthreadTidOffset = this.calibratePthreadTid(threadId);
    let tid = 0;
    if (this.pthreadTidOffset >= 0) {
      try {
        tid = this.mem.read(threadId + this.pthreadTidOffset, 4).readInt32LE(0);
      } catch {
        tid = 0;
      }
    }
    this.tidByPthread.set(threadId, tid);
    return tid;
  }

  private calibratePthreadTid(anyThreadId: number): number {
    // glibc 2.x on x86-64 keeps tid at 720; confirm against the main thread (tid == pid) when we can.
    const KNOWN = 720;
    try {
      const b = this.mem.read(anyThreadId, 2048);
      const tids = new Set(require('../proc/procfs').listTids(this.ctx.pid) as number[]);
      if (tids.has(b.readInt32LE(KNOWN))) return KNOWN;
      for (let off = 0; off + 4 <= b.length; off += 4) if (tids.has(b.readInt32LE(off)) && b.readInt32LE(off) > 1) return off;
    } catch {
      /* fall through */
    }
    return -1;
  }

  /**
   * ≤3.10 frames are heap objects that are freed and recycled while we read (about 60% of
   * unpaused reads of a churning stack tear, BRIEF §8.2). Two checks make a returned stack one
   * the thread really had: every frame is alive (ob_refcnt > 0: freed frames sit on the free
   * list with refcnt 0 and f_back as the list link), and after the walk one batched read confirms
   * every f_back is unchanged. A live frame's f_back never changes, so an unchanged chain is the
   * stack the thread had when its top frame was read, even if it has pushed or popped since;
   * requiring the top frame itself to be unchanged was tried and dropped up to 96% of samples of
   * a churning stack, biasing the profile against exactly the code that changes fastest.
   */
  private walkHeapFrames(first: number): PyFrame[] {
    const F = this.L.frame!;
    const frames: PyFrame[] = [];
    const readLen = F.lasti + 4;
    const walked: number[] = [];
    const backs: number[] = [];
    let f = first;
    const seen = new Set<number>();
    while (f > 0) {
      if (frames.length >= MAX_DEPTH || seen.has(f)) throw tornRead('frame chain');
      seen.add(f);
      const b = this.mem.read(f, readLen);
      if (b.readBigInt64LE(0) <= 0n) throw tornRead('freed frame');
      if (this.ctx.frameType && readPtr(b, this.L.obType) !== this.ctx.frameType) throw tornRead('not a frame object');
      const code = readPtr(b, F.code);
      const lasti = b.readInt32LE(F.lasti);
      const back = readPtr(b, F.back);
      if (code <= 0) throw tornRead('frame without code');
      walked.push(f);
      backs.push(back);
      const info = this.codes.get(code);
      frames.push({ name: info.name, file: info.file, line: this.codes.line(info, lasti), firstLine: info.firstLine });
      f = back;
    }
    if (walked.length > 0) {
      const again = this.mem.readMany(walked.map((a) => [a + F.back, 8] as const));
      for (let i = 0; i < walked.length; i++) if (readPtr(again[i], 0) !== backs[i]) throw tornRead('frame reused during the walk');
    }
    return frames;
  }

  private walkInterpreterFrames(tstate: Buffer): PyFrame[] {
    const L = this.L;
    const I = L.iframe!;
    const T = L.tstate;
    let current: number;
    if (T.currentFrame !== undefined) {
      current = readPtr(tstate, T.currentFrame);
    } else {
      const cframe = readPtr(tstate, T.cframe!);
      if (cframe <= 0) return [];
      current = this.mem.u64(cframe + T.cframeCurrentFrame!);
    }
    if (current <= 0) return [];
    const chunks: LoadedChunk[] = [];
    const chunkAddr = T.datastackChunk !== undefined ? readPtr(tstate, T.datastackChunk) : 0;
    if (chunkAddr > 0) this.loadChunk(chunks, chunkAddr);
    const frames: PyFrame[] = [];
    let f = current;
    while (f > 0) {
      if (frames.length >= MAX_DEPTH) throw tornRead('frame chain too deep');
      const b = this.frameBytes(chunks, f, I.size);
      let code = readPtr(b, I.executable);
      const previous = readPtr(b, I.previous);
      const ip = readPtr(b, I.instrPtr);
      const owner = b[I.owner];
      if (previous === f) throw tornRead('frame points to itself');
      if (I.taggedExecutable && code > 0) code -= code % 4; // _PyStackRef: clear the tag bits
      if (owner < I.skipOwnerAtLeast && code > 0) {
        const info = this.codeOrSkip(code);
        if (info) {
          const position = ip > 0 ? Math.floor((ip - info.codeStart) / 2) : -1;
          frames.push({ name: info.name, file: info.file, line: this.codes.line(info, position), firstLine: info.firstLine });
        }
      }
      f = previous;
    }
    return frames;
  }

  /** On 3.13+ an entry frame's f_executable may be None or another object: skip it, not fail. */
  private codeOrSkip(code: number) {
    if (this.L.minor < 13) return this.codes.get(code);
    try {
      return this.codes.get(code);
    } catch (e) {
      if (e instanceof EngineError && e.code === 'READ_FAILED' && /not a code object/.test(e.message)) return undefined;
      throw e;
    }
  }

  private loadChunk(chunks: LoadedChunk[], addr: number): LoadedChunk | undefined {
    if (chunks.some((c) => c.start === addr) || chunks.length >= 16) return undefined;
    let buf: Buffer;
    try {
      buf = this.mem.copy(addr, CHUNK_GUESS);
    } catch {
      return undefined; // a chunk smaller than our guess at the end of a mapping: read frames directly
    }
    const size = readPtr(buf, this.L.chunk!.size);
    if (size > CHUNK_GUESS && size <= MAX_CHUNK) {
      try { buf = this.mem.copy(addr, size); } catch { /* keep the prefix */ }
    } else if (size > 0 && size < CHUNK_GUESS) {
      buf = buf.subarray(0, size);
    }
    const c = { start: addr, buf };
    chunks.push(c);
    return c;
  }

  private frameBytes(chunks: LoadedChunk[], addr: number, size: number): Buffer {
    for (let pass = 0; pass < 2; pass++) {
      for (const c of chunks) {
        if (addr >= c.start && addr + size <= c.start + c.buf.length) return c.buf.subarray(addr - c.start, addr - c.start + size);
      }
      if (pass === 0) {
        // Maybe in an older chunk of this thread's stack: load the previous chunks once.
        const last = chunks[chunks.length - 1];
        const prev = last ? readPtr(last.buf, this.L.chunk!.previous) : 0;
        if (!(prev > 0 && this.loadChunk(chunks, prev))) break;
        pass = -1; // retry with the newly loaded chunk (loop increments back to 0)
      }
    }
    return this.mem.read(addr, size); // a generator/coroutine frame on the heap
  }
}
