// Walks every thread of every interpreter in the target and rebuilds its Python stack.
//
// Syscalls are the cost that matters (~2-3 µs each through koffi, nearly flat up to a few pages),
// so every struct is read once, with neighbouring fields in the same read:
// - In steady state one syscall per sample: _PyRuntime's interpreters head (+ the GIL on ≤3.11),
//   the main interpreter (threads head, GIL, code generation on 3.13+) and every thread state it
//   had last time with what that thread's stack used (below), all read together; the fresh thread
//   list confirms the guesses, and threads it does not confirm are read one by one.
// - 3.11+: frames live in per-thread data-stack chunks. Each thread's current chunk is read (up to
//   where its frames reached last time) into the arena and decoded there; frames
//   elsewhere (generators, coroutines) come from the thread's page cache (below).
// - ≤3.10: frames are heap objects. Each thread remembers the memory pages its frames were on last
//   time and prefetches them in one batched read; frames on other pages read their whole page (as
//   cheap as 8 bytes), so a 200-deep stack costs ~3 syscalls instead of 200. They are recycled while
//   we read, so each is validated (alive, type, not still being set up, depth, cycles) and the chain
//   is re-checked at the end: a torn walk is reported, never returned half-right.
import { performance } from 'perf_hooks';
import { RemoteMemory, ptrIn, readPtr } from '../native/memory';
import { listTids } from '../proc/procfs';
import type { ThreadStateReader } from '../native/threadStates';
import { samplingThread } from '../proc/samplingThread';
import type { TidTranslator } from '../proc/pidNamespace';
import { EngineError, FramesOf, PyFrame, ThreadStack } from '../types';
import type { Layout } from './layout';
import { CodeCache, CodeInfo, tornRead } from './objects';
import { AddressList, AddressSet, EMPTY, PageTable } from './addressTables';

const MAX_THREADS = 4096;
const MAX_DEPTH = 4096;
const MAX_INTERPRETERS = 64;
const CHUNK_GUESS = 16 * 1024;
const MAX_CHUNK = 4 << 20;
const MAX_CHUNKS_PER_THREAD = 16;
const PAGE = 4096;
/** Chunk prefixes are read in multiples of this (stable lengths from one sample to the next). */
const READ_ROUND = 256;
/** Prefetched spans of a page start and end on multiples of this (a cache line). */
const SPAN_ALIGN = 64;
/** A span [lo, hi) of a page (offsets from its start; hi up to 2·PAGE for a straddling frame) as one number. */
const SPAN_BASE = 4 * PAGE;
const spanOf = (lo: number, hi: number): number => lo * SPAN_BASE + hi;
const spanLo = (span: number): number => Math.floor(span / SPAN_BASE);
const spanHi = (span: number): number => span % SPAN_BASE;
const unionSpan = (span: number, lo: number, hi: number): number => spanOf(Math.min(spanLo(span), lo), Math.max(spanHi(span), hi));
/** Pages of heap frames remembered per thread for the next prefetch. */
const MAX_PREFETCH_PAGES = 128;
/** Pages a thread's prefetch keeps from earlier walks beyond those its last walk used. */
const MAX_EXTRA_PAGES = 8;
/** Walks an unused page stays in a thread's prefetch. */
const EXTRA_WALKS = 4;
/** Short-lived code objects per thread verified inside its batch. */
const MAX_SHORT_CODES = 16;
/** Attempts at one thread's walk before the snapshot counts as torn. */
const THREAD_ATTEMPTS = 2;
/**
 * The default filter's run state is read once more after a thread's stack in processes with up to
 * this many threads (one pread each; beyond, the cost grows with threads that mostly sleep).
 */
const STATE_RECHECK_THREADS = 8;
/** Times a thread whose run state changed while it was read is read again (see checkedThread). */
const STATE_RESAMPLES = 2;
/** A thread state that no longer names its interpreter: freed (the thread ended) or not yet set up. */
const STATE_GONE = 'thread state interp back-pointer';
/** Ended threads stepped over in one walk before it counts as torn. */
const MAX_RELINKS = 16;
/** Longest span of a struct read in one go to get several fields (else separate ranges). */
const MAX_SPAN = 4096;

/** Thread names; `epoch` changes whenever a name it gave may have changed (callers cache until then). */
export interface ThreadNameSource {
  readonly epoch: number;
  name(threadId: number, tid: number): string;
}

export interface WalkContext {
  pid: number;
  runtime: number;
  frameType: number;
  codeType: number;
  /** Set when the target is in another PID namespace: maps its thread ids to ours. */
  tids?: TidTranslator;
}

/** A data-stack chunk: `buf` may hold only its used prefix; `size` is its header's; `reach` the end of the highest frame found in it this walk. */
interface LoadedChunk { start: number; buf: Buffer; size: number; reach: number }
/** Bytes read past the highest frame a chunk had last time, so a stack that grew a little needs no second read. */
const CHUNK_SLACK = 1024;

/**
 * A fixed set of fields of one struct, read with as few ranges as possible (one when they sit
 * within MAX_SPAN bytes). The ranges are appended to a batch shared with other speculative reads
 * (one syscall for several structs); then use() points the plan at the views that came back.
 * Offsets of -1/undefined are absent fields.
 */
class FieldPlan {
  private readonly ranges: Array<{ lo: number; len: number }> = [];
  /** per field: [range index, offset inside the range] or undefined when absent */
  private readonly where: Array<readonly [number, number] | undefined> = [];
  private views: Buffer[] = [];
  private first = 0;

  constructor(fields: ReadonlyArray<readonly [number | undefined, number]>) {
    const present = fields.filter(([o]) => o !== undefined && o >= 0) as Array<readonly [number, number]>;
    const sorted = [...present].sort((a, b) => a[0] - b[0]);
    for (const [off, size] of sorted) {
      const last = this.ranges[this.ranges.length - 1];
      if (last && off + size - last.lo <= MAX_SPAN) last.len = Math.max(last.len, off + size - last.lo);
      else this.ranges.push({ lo: off, len: size });
    }
    for (const [off] of fields) {
      if (off === undefined || off < 0) { this.where.push(undefined); continue; }
      const r = this.ranges.findIndex((g) => off >= g.lo && off < g.lo + g.len);
      this.where.push([r, off - this.ranges[r].lo]);
    }
  }

  get rangeCount(): number {
    return this.ranges.length;
  }

  /** Appends this plan's ranges for the struct at `base` to a batch. */
  addTo(batch: Batch, base: number): void {
    for (const r of this.ranges) batch.add(base + r.lo, r.len);
  }

  /** Uses views[first…] (from a batch read) for the fields; false when they did not all arrive. */
  use(views: Buffer[], first: number): boolean {
    if (views.length < first + this.ranges.length) return false;
    this.views = views;
    this.first = first;
    return true;
  }

  /** Reads the struct at `base` on its own (one syscall). */
  read(mem: RemoteMemory, base: number, batch: Batch): this {
    batch.clear();
    this.addTo(batch, base);
    if (!this.use(batch.read(mem, true), 0)) throw tornRead('struct read');
    return this;
  }

  ptr(field: number): number {
    const w = this.where[field];
    return w ? readPtr(this.views[this.first + w[0]], w[1]) : 0;
  }

  i32(field: number): number {
    const w = this.where[field];
    return w ? this.views[this.first + w[0]].readInt32LE(w[1]) : 0;
  }

  has(field: number): boolean {
    return this.where[field] !== undefined;
  }
}

/**
 * A reusable list of ranges read together into the arena (up to 1024 per syscall). Addresses are
 * kept in a typed array and the views in an array reused by the next read of this batch (no
 * garbage per range): a walk uses separate batches for reads whose views must outlive another's.
 */
class Batch {
  private pairs = new Float64Array(64);
  private n = 0;
  private readonly views: Buffer[] = [];

  get length(): number {
    return this.n;
  }

  clear(): void {
    this.n = 0;
  }

  add(addr: number, len: number): void {
    if (2 * this.n === this.pairs.length) {
      const bigger = new Float64Array(2 * this.pairs.length);
      bigger.set(this.pairs);
      this.pairs = bigger;
    }
    this.pairs[2 * this.n] = addr;
    this.pairs[2 * this.n + 1] = len;
    this.n++;
  }

  /**
   * Views of the ranges read, in order; without `all`, only the prefix that could be read. Valid
   * until this batch reads again (the array is reused) and the arena is reset.
   */
  read(mem: RemoteMemory, all: boolean): Buffer[] {
    return mem.readArenaPairs(this.pairs, this.n, all, this.views);
  }
}

/**
 * Brent's cycle detection: remembers one checkpoint, moved at powers of two, so a looping chain
 * (a torn read) is caught within about twice its length, without a set of every address.
 */
class CycleCheck {
  private checkpoint = -1;
  private steps = 0;
  private limit = 2;

  reset(): this {
    this.checkpoint = -1;
    this.steps = 0;
    this.limit = 2;
    return this;
  }

  seen(addr: number): boolean {
    if (addr === this.checkpoint) return true;
    if (++this.steps === this.limit) {
      this.checkpoint = addr;
      this.limit *= 2;
    }
    return false;
  }
}

// Field indices of the plans below.
const RT_HEAD = 0, RT_GIL_HOLDER = 1, RT_GIL_LOCKED = 2;
const IN_NEXT = 0, IN_THREADS = 1, IN_GIL_HOLDER = 2, IN_GIL_LOCKED = 3, IN_CODE_GEN = 4;
const TS_NEXT = 0, TS_INTERP = 1, TS_THREAD_ID = 2, TS_NATIVE_ID = 3, TS_FRAME = 4, TS_CFRAME = 5, TS_CURRENT = 6, TS_CHUNK = 7;


/**
 * The parts of pages holding one thread's heap frames, read during one walk, and the hint for the
 * next walk. A frame missing from the hint is read with its whole page (or page pair, for a frame
 * that straddles a page boundary), which the rest of that walk then reads from; the next walk's hint
 * keeps, per page, only the span its frames' headers took (the union over the last few walks): a
 * frame's header is ~100 bytes of a 4 KiB page, and whole pages, read twice on ≤3.10 for the
 * re-check, came to ~100 KB a sample in 3.7's accuracy processes case, the kernel's copying 13 % of
 * the sampler's CPU (with spans: 3-6 KB at depth 5, bench/cost.mjs part 1).
 */
class PageCache {
  /** page address → view holding (part of) that page, and where the page starts in it (negative: the view starts inside the page) */
  private readonly pages = new PageTable();
  /** the same spans read a second time in the same syscall (≤3.10), for the chain re-check */
  private readonly second = new PageTable();
  /** pages used by this walk → the span used in them (spanOf: offsets from the page's start, the end up to 2·PAGE), in first-use order */
  private readonly used = new PageTable();
  /** ranges used by the last walk: next walk's prefetch, [address, length] pairs flattened */
  private hint = new Float64Array(16);
  private hintLength = 0;
  /** pages used in recent walks → the union of their spans (value) and the walk number that last used them (start) */
  private readonly recent = new PageTable();
  private walks = 0;
  /** Where get() put the bytes: `buf` at offset `off`. */
  buf: Buffer = EMPTY;
  off = 0;

  /** Appends the hint ranges to a batch. */
  addHintTo(batch: Batch): void {
    for (let i = 0; i < this.hintLength; i += 2) batch.add(this.hint[i], this.hint[i + 1]);
  }

  /** Starts a walk with the hint ranges that arrived in the thread's batch (views[first…]). */
  begin(views: Buffer[], first: number): void {
    this.pages.clear();
    this.used.clear();
    this.second.clear();
    const n = this.hintLength / 2;
    for (let i = 0; i < n && first + i < views.length; i++) this.store(this.pages, this.hint[2 * i], views[first + i]);
    // ≤3.10 batches read the hint twice: the second copy, read just after the first, re-checks it
    for (let i = 0; i < n && first + n + i < views.length; i++) this.store(this.second, this.hint[2 * i], views[first + n + i]);
  }

  /**
   * The 8 bytes at `addr` from the second copy of the prefetched spans, or -2 when that copy does
   * not cover them (the caller then re-reads).
   */
  secondPtr(addr: number): number {
    const page = addr - (addr % PAGE);
    const i = this.second.find(page);
    if (i < 0) return -2;
    const v = this.second.views[i], o = this.second.starts[i] + addr - page;
    return o >= 0 && o + 8 <= v.length ? readPtr(v, o) : -2;
  }

  /** A view of the bytes from `addr` on: for its page, and for the next one when it reaches into it (unless that one has its own). */
  private store(pages: PageTable, addr: number, view: Buffer): void {
    const page = addr - (addr % PAGE), lo = addr - page;
    const i = pages.slot(page);
    pages.views[i] = view;
    pages.starts[i] = -lo;
    if (lo + view.length > PAGE && pages.find(page + PAGE) < 0) {
      const j = pages.slot(page + PAGE);
      pages.views[j] = view;
      pages.starts[j] = PAGE - lo;
    }
  }

  /**
   * `len` (< PAGE) bytes at `addr`, left in this.buf at this.off: from a prefetched span or a page
   * already read, else the whole page (or page pair, for a straddling range) is read and kept.
   */
  get(mem: RemoteMemory, addr: number, len: number): void {
    const page = addr - (addr % PAGE);
    const off = addr - page;
    const pages = this.pages;
    let i = pages.find(page);
    if (i < 0 || pages.starts[i] + off < 0 || pages.starts[i] + off + len > pages.views[i].length) {
      this.store(pages, page, mem.readArena(page, off + len > PAGE ? 2 * PAGE : PAGE));
      i = pages.find(page);
    }
    this.buf = pages.views[i];
    this.off = pages.starts[i] + off;
    // the span this walk used in the page, widened to whole cache lines
    const lo = off - (off % SPAN_ALIGN), hi = Math.ceil((off + len) / SPAN_ALIGN) * SPAN_ALIGN;
    const used = this.used, u = used.find(page);
    used.values[u >= 0 ? u : used.slot(page)] = u >= 0 ? unionSpan(used.values[u], lo, hi) : spanOf(lo, hi);
  }

  /**
   * Keeps this walk's spans as the next walk's prefetch (each the union with what the last few walks
   * used in that page), plus a few pages used in the last few walks but not this one: a churning
   * stack moves its frames around a small set of pages, and a frame read outside the prefetch is read
   * later, when it is more likely to have changed. Pages unused for EXTRA_WALKS walks drop out (a
   * finished generator's page is not read forever).
   */
  remember(): void {
    this.walks++;
    const used = this.used, recent = this.recent;
    this.hintLength = 0;
    for (let i = 0; i < used.n; i++) {
      const page = used.keys[i];
      const r = recent.find(page);
      const span = r >= 0 ? unionSpan(recent.values[r], spanLo(used.values[i]), spanHi(used.values[i])) : used.values[i];
      const k = r >= 0 ? r : recent.slot(page);
      recent.values[k] = span;
      recent.starts[k] = this.walks;
      if (this.hintLength < 2 * MAX_PREFETCH_PAGES) this.pushHint(page + spanLo(span), spanHi(span) - spanLo(span));
    }
    let extra = 0;
    for (let i = 0; i < recent.n; ) {
      const walk = recent.starts[i];
      if (this.walks - walk > EXTRA_WALKS) {
        recent.remove(i);
        continue;
      }
      if (walk !== this.walks && extra < MAX_EXTRA_PAGES && this.hintLength < 2 * MAX_PREFETCH_PAGES) {
        const span = recent.values[i];
        this.pushHint(recent.keys[i] + spanLo(span), spanHi(span) - spanLo(span));
        extra++;
      }
      i++;
    }
  }

  private pushHint(addr: number, len: number): void {
    if (this.hintLength + 2 > this.hint.length) {
      const bigger = new Float64Array(2 * this.hint.length);
      bigger.set(this.hint);
      this.hint = bigger;
    }
    this.hint[this.hintLength++] = addr;
    this.hint[this.hintLength++] = len;
  }
}

/**
 * What we saw of a thread last time, to read this time in the same syscall as its thread state:
 * its _PyCFrame (3.11/3.12), its current data-stack chunk (3.11+) and the pages of its heap frames.
 * A guess is used only when the fresh thread state confirms it (same cframe, same chunk address
 * and size), so a wrong guess costs one extra read, never a wrong stack.
 */
class ThreadGuess {
  cframe = 0;
  /** short-lived code objects (module bodies, exec'd code) on the last walk's stack: verified in the batch */
  readonly codes = new AddressList(MAX_SHORT_CODES);
  /** the chunks the last walk used, newest first: [address, header size, bytes to read] flattened */
  readonly chunks = new AddressList(12);
  /** the frames the last walk returned: handed out again while the stack is unchanged */
  frames: PyFrame[] = [];
  /** the thread's name, valid while the name source's epoch and the thread's ids are these */
  name = '';
  nameEpoch = -1;
  nameIdent = 0;
  nameTid = 0;
  readonly pages = new PageCache();
  /**
   * Every-thread walks: the start of the walk that read `frames` (performance.now()), when the
   * thread's switch ring was open before it (0: not); and what its thread state showed then (its
   * ids, its top frame pointer) and its chain's bottom frame. A thread that has not run since keeps
   * that stack (StackWalker.reusable).
   */
  readAt = 0;
  tid = 0;
  ident = 0;
  top = 0;
  bottom = 0;
  /** the default filter's answer from switch records (onCpu), for the walk numbered `decidedIn` and this tid */
  decidedIn = -1;
  decidedTid = 0;
  onCpu = false;
  /** found off its core (blocked) at the start of walk `blockedIn` under this tid (preReadState): onCpuByRecords then asks only for a switch since */
  blockedIn = -1;
  blockedTid = 0;
}

/**
 * A thread as sampled. Its run state (`active`) costs a /proc read (one pread, a few µs); with
 * lazy states (the sampler) it is read when first asked for, right after the walk: with --idle
 * never (no read for any thread), with --gil only for the GIL holder; 200 threads at 1 kHz would
 * otherwise spend much of a core on /proc. Serialises as a plain object.
 */
class SampledThread implements ThreadStack {
  private state: boolean | undefined;

  constructor(
    readonly pid: number,
    readonly tid: number,
    readonly threadId: number,
    public name: string,
    readonly holdsGil: boolean,
    public frames: PyFrame[],
    private readonly states: ThreadStateReader | undefined,
    known: boolean | undefined,
  ) {
    this.state = known;
  }

  get active(): boolean {
    if (this.state === undefined) this.state = this.states ? this.states.isActive(this.tid) : true;
    return this.state;
  }

  set active(value: boolean) {
    this.state = value;
  }

  /** The run state if it was read (or given) already, else undefined: never reads /proc. */
  get knownActive(): boolean | undefined {
    return this.state;
  }

  toJSON(): ThreadStack {
    const { pid, tid, threadId, name, holdsGil, active, frames } = this;
    return { pid, tid, threadId, name, holdsGil, active, frames };
  }
}

/** The frames of a thread whose stack was not walked (FramesOf): shared, never mutated. */
const NOT_WALKED: PyFrame[] = Object.freeze([]) as unknown as PyFrame[];

/** Where one thread's ranges sit in a batch (indexes into the views read). */
class ThreadRanges {
  ts = 0;
  /** only the thread state was added (its stack is not to be walked, as far as we knew) */
  stateOnly = false;
  /** only the thread state was added: the thread has not run since its stack was last read (reusable) */
  reuse = false;
  /** the thread whose run state was read before the batch (0: none) and that state */
  stateTid = 0;
  stateRunnable = false;
  iState = 0;
  iCframe = -1;
  iChunks = 0;
  iPages = 0;
  iCodes = 0;
}

export class StackWalker {
  private tidByPthread = new Map<number, number>();
  private pthreadTidOffset: number | undefined;
  private gilStatePtr = new Map<number, number>();
  private codeGeneration = new Map<number, number>();
  private guesses = new Map<number, ThreadGuess>();
  private mainInterp = 0;
  /** Thread walks that tore and were retried on their own (diagnostics). */
  tornThreadWalks = 0;
  /** Stacks handed out again without a read: the thread had not run since (reusable; benchmarks, tests). */
  reusedStacks = 0;
  /** when this walk began (performance.now()) */
  private walkStart = 0;
  /** walks begun: a thread's decision from switch records holds for one walk (ThreadGuess.decidedIn) */
  private walkSerial = 0;
  /** when the memory being decoded was read (performance.now(), just before the syscall) */
  private decodeInstant = 0;
  private fusedInstant = 0;
  /** this walk reads run states again after each thread's memory (checkedThread) */
  private recheckStates = false;
  /** decodeThread read a run state other than the one read before the memory: its tid, else 0 */
  private changedTid = 0;
  private changedRunnable = false;
  private readonly resampleRanges = new ThreadRanges();
  /**
   * Walk a torn thread again at once (below). Off when the caller reads a torn sample paused
   * instead (pauseWhenTorn): retrying until a read succeeds keeps the moments when the stack was
   * easy to read (shallow, between calls), which biases the sample; the paused read does not.
   */
  retryTornThreads = true;
  /**
   * When set (dump --locals, dump --async), each walk fills it: thread id → [frame address,
   * code address] pairs flattened, one pair per returned frame, innermost first.
   */
  frameAddresses?: Map<number, number[]>;
  private addrs: number[] | undefined;
  /**
   * When set (native frames, 3.11+), each walk fills it: thread id → per returned frame, whether it
   * is the first frame an eval-loop call ran (3.11 is_entry; 3.12+ the C-stack shim below it), so
   * the native stack's eval frames can be matched to their runs of Python frames.
   */
  evalEntries?: Map<number, boolean[]>;
  private entries: boolean[] | undefined;
  private readonly runtimePlan: FieldPlan;
  private readonly interpPlan: FieldPlan;
  private readonly tstatePlan: FieldPlan;
  /** the every-thread read with the runtime: its views are used while the threads are decoded */
  private readonly batch = new Batch();
  /** a thread or interpreter read on its own, while the fused views are still in use */
  private readonly ownBatch = new Batch();
  /** ≤3.10 f_back re-check, while its thread's views are still in use */
  private readonly recheckBatch = new Batch();
  private readonly shortCodes = new AddressList(MAX_SHORT_CODES);
  private readonly codeSpan: { lo: number; len: number };
  private readonly seenThreads = new AddressSet();
  /** ≤3.10: the outermost frame of each thread walked in this snapshot, and of the last walk */
  private readonly bottomFrames = new AddressSet();
  private chainBottom = 0;
  /** this thread's loaded chunks: chunks[0, chunkCount) (the objects are reused) */
  private readonly chunks: LoadedChunk[] = [];
  private chunkCount = 0;
  private readonly walked = new AddressList(256);
  private readonly backs = new AddressList(256);
  private readonly cycle = new CycleCheck();
  private readonly gilSpan: { lo: number; len: number } | undefined;
  /** the main interpreter's thread states in list order, last walk: read with the runtime next time */
  private lastThreads = new AddressList();
  /** this walk's list, swapped with lastThreads at the end (both keep their storage) */
  private walkedThreads = new AddressList();
  /** the thread state after the one decodeThread just read (its `next`) */
  private nextTs = 0;
  /** whose stacks this walk reads (walk's framesOf) */
  private framesOf: FramesOf = 'all';
  /** the GIL holder's thread state at the last walk (framesOf 'gilHolder' reads its stack with the runtime) */
  private lastHolder = 0;
  /** frames of the thread being walked, innermost first (reused: frames[0, depth) are this walk's) */
  private readonly frameScratch: PyFrame[] = [];
  private depth = 0;
  private readonly fused: ThreadRanges[] = [];
  private readonly ownRanges = new ThreadRanges();

  constructor(
    private readonly mem: RemoteMemory,
    private readonly L: Layout,
    private readonly codes: CodeCache,
    private readonly ctx: WalkContext,
    private readonly states: ThreadStateReader,
  ) {
    const R = L.runtime, I = L.interp, T = L.tstate;
    this.runtimePlan = new FieldPlan([[R.interpretersHead, 8], [R.gilLastHolder, 8], [R.gilLocked, 4]]);
    this.interpPlan = new FieldPlan([[I.next, 8], [I.threadsHead, 8], [I.gilHolder, 8], [I.gilLocked, 4], [I.codeObjectGeneration, 8]]);
    this.tstatePlan = new FieldPlan([
      [T.next, 8], [T.interp, 8], [T.threadId, 8], [T.nativeThreadId, 8],
      [T.frame, 8], [T.cframe, 8], [T.currentFrame, 8], [T.datastackChunk, 8],
    ]);
    this.codeSpan = codes.verifySpan;
    if (I.cevalGilPtr !== undefined && L.gil) {
      const lo = Math.min(L.gil.lastHolder, L.gil.locked);
      this.gilSpan = { lo, len: Math.max(L.gil.lastHolder, L.gil.locked) + 8 - lo };
    }
  }

  /** Forget derived caches that can go stale (thread ids are recycled, threads end). */
  resetThreadCaches(): void {
    this.tidByPthread.clear();
    this.ctx.tids?.invalidate();
    // guesses are only ever used once a fresh read confirms them, so a recycled thread-state
    // address is harmless; keep those of live threads (they make the next read one syscall)
    for (const ts of this.guesses.keys()) if (!this.seenThreads.has(ts)) this.guesses.delete(ts);
  }

  /**
   * Which threads are stopped (ptrace) for the walk: all (true), none (false), or those with these
   * tids. A stopped thread's top frame not (or no longer) marked running is its real state,
   * entering or leaving that frame, not a torn read.
   */
  private paused: boolean | readonly number[] = false;
  /** whether the thread being decoded is stopped (this.paused, for its tid) */
  private threadPaused = false;
  /** the tid of the thread being decoded (0: not known) */
  private decodingTid = 0;
  /**
   * After a walk that threw a torn read: the tid of the thread whose stack tore, when that was the
   * cause (0 otherwise: the thread list, or two threads' chains, or the tid unknown). Stopping that
   * thread alone is enough to read it exactly: nothing but the thread itself changes its frames.
   */
  tornTid = 0;

  /** Every thread's stack. `active` overrides /proc reads (blocking mode reads them before pausing). */
  walk(names: ThreadNameSource, active?: Map<number, boolean>, lazyStates = false, paused: boolean | readonly number[] = false, framesOf: FramesOf = 'all'): ThreadStack[] {
    this.paused = paused;
    this.tornTid = 0;
    this.framesOf = framesOf;
    this.recheckStates = framesOf === 'active' && !active && this.lastThreads.length <= STATE_RECHECK_THREADS;
    const out: ThreadStack[] = [];
    const mem = this.mem;
    mem.resetArena();
    this.walkStart = performance.now();
    this.walkSerial++;
    this.codes.begin(this.walkStart);
    // One syscall for the runtime's interpreters head (+ the ≤3.11 GIL), and, guessing the main
    // interpreter has not moved, its fields (+ its 3.12 GIL state) and every thread it had last
    // time, each with what we guessed of its stack (see addThreadRanges). The guesses count only
    // as far as the fresh list confirms them (same head, same `next` links); past the first
    // difference (a thread started or ended) threads are read one by one as before.
    const batch = this.batch;
    batch.clear();
    this.runtimePlan.addTo(batch, this.ctx.runtime);
    const guessInterp = this.mainInterp;
    const gil312 = guessInterp ? this.gilStatePtr.get(guessInterp) : undefined;
    let iGil = -1;
    let fusedCount = 0;
    if (guessInterp) {
      this.interpPlan.addTo(batch, guessInterp);
      if (gil312 && this.gilSpan) {
        iGil = batch.length;
        batch.add(gil312 + this.gilSpan.lo, this.gilSpan.len);
      }
      const fused = this.fused;
      for (let i = 0; i < this.lastThreads.length; i++) {
        const ts = this.lastThreads.at(i);
        const g = this.guesses.get(ts);
        if (!g) break; // thread caches were reset: read one by one this time
        if (fusedCount === fused.length) fused.push(new ThreadRanges());
        const r = fused[fusedCount++];
        r.reuse = this.reusable(g);
        if (r.reuse) {
          r.stateOnly = false;
          r.stateTid = 0;
          this.addStateRange(ts, batch, r);
          continue;
        }
        this.preReadState(ts, g, r, active);
        if (r.stateOnly) this.addStateRange(ts, batch, r);
        else this.addThreadRanges(ts, g, batch, r);
      }
      for (let k = 0; k < fusedCount; k++) if (!fused[k].stateOnly && !fused[k].reuse) this.addCodeRanges(this.guesses.get(fused[k].ts)!, batch, fused[k]);
    }
    this.fusedInstant = performance.now();
    const views = batch.read(mem, false);
    const rt = this.runtimePlan;
    if (!rt.use(views, 0)) throw tornRead('_PyRuntime unreadable');
    let interp = rt.ptr(RT_HEAD);
    if (interp <= 0) throw new EngineError('INTERPRETER_NOT_FOUND', 'the Python interpreter is not initialised (yet)');
    // ≤3.11: one GIL in _PyRuntime, read with the interpreters head (2.7/3.6: no `locked` flag,
    // _PyThreadState_Current is null while no thread holds the GIL)
    const runtimeHolder = !rt.has(RT_GIL_HOLDER) ? -1 : !rt.has(RT_GIL_LOCKED) || rt.i32(RT_GIL_LOCKED) !== 0 ? rt.ptr(RT_GIL_HOLDER) : 0;
    let guessed = interp === guessInterp && this.interpPlan.use(views, rt.rangeCount);
    const gilView = guessed && iGil >= 0 && iGil < views.length ? views[iGil] : undefined;
    if (!guessed) fusedCount = 0;
    this.mainInterp = interp;
    this.seenThreads.clear();
    const walkedThreads = this.walkedThreads;
    walkedThreads.clear();
    this.bottomFrames.clear();
    let relinks = 0;
    let restarted = false;
    for (let n = 0; interp > 0 && n < MAX_INTERPRETERS; n++) {
      const ip = guessed ? this.interpPlan : this.interpPlan.read(mem, interp, this.ownBatch);
      const next = ip.ptr(IN_NEXT);
      let ts = ip.ptr(IN_THREADS);
      let holder = runtimeHolder;
      if (ip.has(IN_GIL_HOLDER)) holder = ip.i32(IN_GIL_LOCKED) !== 0 ? ip.ptr(IN_GIL_HOLDER) : 0; // 3.13+
      if (ip.has(IN_CODE_GEN)) this.checkCodeGeneration(interp, ip.ptr(IN_CODE_GEN)); // 3.14+
      if (holder < 0) holder = this.gilHolder312(interp, n === 0 ? gilView : undefined);
      if (n === 0) this.lastHolder = holder;
      guessed = false;
      let prevTs = 0; // the thread state whose `next` led to ts (0: the interpreter's head)
      for (let k = 0; ts > 0; k++) {
        if (this.seenThreads.has(ts) || this.seenThreads.size >= MAX_THREADS) throw tornRead('thread list');
        this.seenThreads.add(ts);
        if (n === 0) walkedThreads.push(ts);
        // the k-th thread read with the runtime, if the list still leads to it and its state arrived
        const r = n === 0 && k < fusedCount && this.fused[k].ts === ts && this.fused[k].iState < views.length ? this.fused[k] : undefined;
        if (!r) fusedCount = 0; // the list changed here: the rest are read one by one
        let thread: ThreadStack;
        try {
          thread = this.checkedThread(interp, ts, holder === ts, names, active, lazyStates, r && views, r);
        } catch (e) {
          // The thread state no longer names this interpreter. Either the thread ended after the
          // link to it was read (its state freed, the memory reused, its `next` meaningless; CPython
          // unlinks an ending thread, so the link to it now points past it), or the state was read
          // before its link (the every-thread read is one syscall, not one instant). So the link is
          // read again: past it, the list goes on from there; still to it, the state is read again
          // on its own. Failed as a torn read, such a sample was lost whole: up to 242 of ~3,600
          // samples a run at 1 kHz with --idle, 12-23 by default, with threads starting and ending
          // thousands of times a second (bench/fixtures/thread_churn.py, CPython 3.8).
          if (!(e instanceof EngineError) || !e.message.includes(STATE_GONE) || ++relinks > MAX_RELINKS) throw e;
          const fresh = this.mem.u64(prevTs > 0 ? prevTs + this.L.tstate.next : interp + this.L.interp.threadsHead);
          fusedCount = 0;
          if (fresh !== ts) {
            if (n === 0) walkedThreads.length--;
            ts = fresh;
            continue;
          }
          try {
            thread = this.checkedThread(interp, ts, holder === ts, names, active, lazyStates);
          } catch (again) {
            // still linked and still not this interpreter's: the list around it changed faster than
            // the two reads (several threads ended together). The main interpreter's list is read
            // again from its head, once per walk at most; then the sample is torn.
            if (!(again instanceof EngineError) || !again.message.includes(STATE_GONE) || n !== 0 || restarted) throw again;
            restarted = true;
            out.length = 0;
            walkedThreads.clear();
            this.seenThreads.clear();
            this.bottomFrames.clear();
            prevTs = 0;
            ts = this.mem.u64(interp + this.L.interp.threadsHead);
            continue;
          }
        }
        prevTs = ts;
        // ≤3.10: a thread's top frame can be freed and reused by another thread while we read it
        // (it returned, the GIL moved, the other thread called): it is then a running frame with a
        // consistent chain, the other thread's. Every chain ends at its own thread's first frame,
        // so two threads ending at the same frame means one of them was read through the other.
        if (this.chainBottom > 0) {
          if (this.bottomFrames.has(this.chainBottom)) throw tornRead('two threads\' stacks end at the same frame');
          this.bottomFrames.add(this.chainBottom);
        }
        out.push(thread);
        ts = this.nextTs;
      }
      interp = next;
    }
    this.walkedThreads = this.lastThreads;
    this.lastThreads = walkedThreads;
    this.codes.verify();
    return out;
  }

  /**
   * A thread read as one instant (default filter, few threads): its run state is read before its
   * memory (whether its stack is wanted) and again right after it, before anything else. A sample
   * takes time: 5-20 µs from the state to the memory read, 30-60 µs after a 10 ms sleep (measured at
   * 1 kHz / 100 Hz: cold caches), and the on-core check took 70-140 µs more. When the thread starts
   * or ends a burst of CPU in between, state and stack belong to different moments; counted as read,
   * every burst lost that window: a 1 ms / 0.5 ms burst program's samples were 11-17 % short of its
   * CPU time at 100 Hz and the shorter burst's share 2-3 pp low; 0.3 ms / 0.15 ms bursts (accuracy
   * suite, flicker) 32 / 55 % short and 8.5 pp. So when the state changed (R and not R), the thread
   * is read again at once, as one more instant: a sample taken just before a burst ends moves after
   * its end, one taken just before a burst starts moves into it, and the two cancel whatever the
   * sample's duration (after: 0.96-1.08 samples per interval of CPU time, mean 1.01, in CI). The same
   * ranges are read whether the thread was in R or not, so that the window is the same for both.
   * With more threads, the state is read before the memory only (a second read of every thread's
   * state would cost more than the rest of the sample), and a thread that left its core by blocking
   * meanwhile still counts (native/threadStates.ts, wasOnCore): a burst then loses only the window
   * from its state to its memory. All of this is for threads whose switch ring cannot say: where it
   * can, the ring answers for the instant of the memory read itself (onCpuByRecords), and nothing is
   * read before or after.
   */
  private checkedThread(interp: number, ts: number, holdsGil: boolean, names: ThreadNameSource, active: Map<number, boolean> | undefined, lazyStates: boolean, fusedViews?: Buffer[], fusedRanges?: ThreadRanges): ThreadStack {
    this.changedTid = 0;
    let thread = this.walkThreadRetrying(interp, ts, holdsGil, names, active, lazyStates, fusedViews, fusedRanges);
    for (let i = 0; this.changedTid > 0; i++) {
      const pre = this.resampleRanges; // the state read after the memory is the next read's "before"
      pre.stateTid = this.changedTid;
      pre.stateRunnable = this.changedRunnable;
      this.changedTid = 0;
      const recheck = this.recheckStates;
      this.recheckStates = recheck && i + 1 < STATE_RESAMPLES; // the last read stands as it is
      try {
        thread = this.walkThreadRetrying(interp, ts, holdsGil, names, active, lazyStates, undefined, undefined, pre);
      } finally {
        this.recheckStates = recheck;
      }
    }
    return thread;
  }

  /**
   * A thread whose walk tore is walked again at once, on its own (a fresh thread state and
   * frames, one or two syscalls), before the whole snapshot is given up: on ≤3.10 the top of a
   * churning stack is often freed within the microsecond between reading the thread state and
   * its frame, and a whole-snapshot retry would re-read every other thread as well.
   */
  private walkThreadRetrying(interp: number, ts: number, holdsGil: boolean, names: ThreadNameSource, active: Map<number, boolean> | undefined, lazyStates: boolean, fusedViews?: Buffer[], fusedRanges?: ThreadRanges, stateFrom?: ThreadRanges): ThreadStack {
    for (let attempt = 1; ; attempt++) {
      try {
        // the first attempt uses the thread's ranges read with the runtime, when there are any
        if (attempt === 1 && fusedViews && fusedRanges) {
          this.decodeInstant = this.fusedInstant;
          const t = this.decodeThread(interp, this.guess(ts), fusedViews, fusedRanges, holdsGil, names, active, lazyStates);
          if (t) return t;
          // its stack is wanted after all but only its state was read with the runtime: read it alone
          return this.walkThread(interp, ts, holdsGil, names, active, lazyStates, fusedRanges);
        }
        return this.walkThread(interp, ts, holdsGil, names, active, lazyStates, stateFrom);
      } catch (e) {
        const torn = e instanceof EngineError && e.code === 'READ_FAILED' && !e.message.includes(STATE_GONE);
        if (!torn || attempt >= (this.retryTornThreads ? THREAD_ATTEMPTS : 1)) {
          if (torn) this.tornTid = this.decodingTid;
          throw e;
        }
        this.tornThreadWalks++;
      }
    }
  }

  /**
   * Every-thread walks: whether the thread's last stack still stands, so that only its thread state
   * is read. It does when the thread has not run since that walk began (off its core then, never
   * switched in since: its switch ring, native/switchRing.ts): nothing but the thread itself
   * changes its frames (a generator in its chain cannot run in another thread meanwhile), and its
   * thread state, read as usual, must still show the same ids and top frame (decodeThread). An
   * idle thread then costs one range of the every-thread read instead of its frames, twice on
   * ≤3.10 (bench/cost.mjs part 3, 200 threads --idle).
   */
  private reusable(g: ThreadGuess): boolean {
    return this.framesOf === 'all' && g.readAt > 0 && this.paused === false && !this.frameAddresses && !this.evalEntries && g.frames.length > 0 && this.states.notRunSince(g.tid, g.readAt);
  }

  private guess(tstate: number): ThreadGuess {
    let g = this.guesses.get(tstate);
    if (!g) this.guesses.set(tstate, (g = new ThreadGuess()));
    return g;
  }

  /**
   * Appends one thread's ranges to the batch: its state, plus last time's cframe, chunks and
   * heap-frame pages, so they all arrive in the same syscall; `r` records where. Code objects to
   * re-check go last of all (addCodeRanges): a freed one may be unmapped and end the batch there.
   */
  private addThreadRanges(ts: number, g: ThreadGuess, batch: Batch, r: ThreadRanges): void {
    const T = this.L.tstate;
    r.ts = ts;
    r.iState = batch.length;
    this.tstatePlan.addTo(batch, ts);
    r.iCframe = T.cframe !== undefined && g.cframe > 0 ? batch.length : -1;
    if (r.iCframe >= 0) batch.add(g.cframe + T.cframeCurrentFrame!, 8);
    r.iChunks = batch.length;
    for (let i = 0; i < g.chunks.length; i += 3) batch.add(g.chunks.at(i), g.chunks.at(i + 2));
    r.iPages = batch.length;
    g.pages.addHintTo(batch);
    if (this.L.frame) g.pages.addHintTo(batch); // ≤3.10: twice, the second copy re-checks the first
    r.iCodes = batch.length;
  }

  /**
   * framesOf 'active'/'gilHolder': whether the thread's stack goes into the every-thread read. For
   * 'active' its run state is read now, before the batch, through the tid it had last time; its
   * decode checks that the thread state still names that tid (else it reads the state again).
   */
  private preReadState(ts: number, g: ThreadGuess, r: ThreadRanges, active: Map<number, boolean> | undefined): void {
    r.stateOnly = false;
    r.stateTid = 0;
    if (this.framesOf === 'gilHolder') {
      r.stateOnly = ts !== this.lastHolder; // (r.ts is still the previous walk's k-th thread here)
    } else if (this.framesOf === 'active' && g.nameTid > 0) {
      r.stateTid = g.nameTid;
      // where its switch ring can say, only a thread that may be on its core has its stack read
      // (decodeThread decides for the instant of the read, with no run state read at all)
      // (a paused read's `active` gives the stopped threads' states, read before they stopped)
      const known = active?.get(g.nameTid);
      const may = known === undefined ? this.states.mayBeOnCpu(g.nameTid, this.walkStart) : undefined;
      if (may !== undefined) {
        r.stateRunnable = may;
        r.stateOnly = !may;
        if (!may) {
          g.blockedIn = this.walkSerial;
          g.blockedTid = g.nameTid;
        }
        return;
      }
      r.stateRunnable = known ?? this.states.isRunnable(g.nameTid);
      r.stateOnly = !r.stateRunnable && !this.recheckStates; // rechecked: the same ranges either way (checkedThread)
    }
  }

  /** A thread's state only (its stack is not walked): the ranges of its frames stay empty. */
  private addStateRange(ts: number, batch: Batch, r: ThreadRanges): void {
    r.ts = ts;
    r.iState = batch.length;
    this.tstatePlan.addTo(batch, ts);
    r.iCframe = -1;
    r.iChunks = r.iPages = r.iCodes = batch.length;
  }

  private addCodeRanges(g: ThreadGuess, batch: Batch, r: ThreadRanges): void {
    r.iCodes = batch.length;
    const span = this.codeSpan;
    for (let i = 0; i < g.codes.length; i++) batch.add(g.codes.at(i) + span.lo, span.len);
  }

  /**
   * One thread, read on its own: its state plus (same syscall) what we guessed of it; then its
   * frames. Returns the thread (and leaves the next thread state's address in this.nextTs).
   */
  private walkThread(interp: number, ts: number, holdsGil: boolean, names: ThreadNameSource, active: Map<number, boolean> | undefined, lazyStates: boolean, stateFrom?: ThreadRanges): ThreadStack {
    const g = this.guess(ts);
    const batch = this.ownBatch;
    batch.clear();
    const r = this.ownRanges;
    this.addThreadRanges(ts, g, batch, r);
    this.addCodeRanges(g, batch, r);
    r.stateOnly = false;
    r.stateTid = stateFrom ? stateFrom.stateTid : 0; // a state read before the batch is not read twice
    r.stateRunnable = stateFrom ? stateFrom.stateRunnable : false;
    const at = performance.now();
    if (!stateFrom && this.framesOf === 'active' && !active && g.nameTid > 0 && this.states.mayBeOnCpu(g.nameTid, at) === undefined) {
      // the state before the memory, through the tid it had last time (decodeThread checks it):
      // read after it, the state would be a later moment than the stack, and a rechecked thread
      // would be read twice (checkedThread)
      r.stateTid = g.nameTid;
      r.stateRunnable = this.states.isRunnable(g.nameTid);
    }
    const views = batch.read(this.mem, false);
    this.decodeInstant = at;
    return this.decodeThread(interp, g, views, r, holdsGil, names, active, lazyStates)!;
  }

  /**
   * A thread's stack from the views of its ranges (read alone, or with every thread at once).
   * Undefined when its stack is wanted but only its state was read (r.stateOnly): walkThread then.
   */
  private decodeThread(interp: number, g: ThreadGuess, views: Buffer[], r: ThreadRanges, holdsGil: boolean, names: ThreadNameSource, active: Map<number, boolean> | undefined, lazyStates: boolean): ThreadStack | undefined {
    const T = this.L.tstate;
    const t = this.tstatePlan;
    this.chainBottom = 0;
    // each decode records its own frames' addresses: set here, not in walkThread, so the fused
    // every-thread read (which decodes without walkThread) never appends to another thread's list
    this.addrs = this.frameAddresses ? [] : undefined;
    this.entries = this.evalEntries && !this.L.frame ? [] : undefined;
    const { iCframe, iChunks, iPages, iCodes } = r;
    this.decodingTid = 0;
    if (!t.use(views, r.iState)) throw tornRead('thread state unreadable');
    if (t.ptr(TS_INTERP) !== interp) throw tornRead(STATE_GONE);
    const threadId = t.ptr(TS_THREAD_ID);
    const theirTid = t.has(TS_NATIVE_ID) ? t.ptr(TS_NATIVE_ID) : this.tidFromPthread(threadId);
    const tid = this.ctx.tids ? this.ctx.tids.toOurs(theirTid) : theirTid;
    this.decodingTid = tid;
    this.threadPaused = this.paused === true || (tid > 0 && this.paused !== false && this.paused.includes(tid));
    this.nextTs = t.ptr(TS_NEXT);
    const top = t.has(TS_FRAME) ? t.ptr(TS_FRAME) : t.has(TS_CURRENT) ? t.ptr(TS_CURRENT) : t.has(TS_CFRAME) ? t.ptr(TS_CFRAME) : 0;
    if (r.reuse) {
      // not run since its last read (reusable): the same thread, at the same top frame, keeps its stack
      if (tid !== g.tid || threadId !== g.ident || top !== g.top) return undefined; // read it alone after all
      this.reusedStacks++;
      this.chainBottom = g.bottom;
      this.nameThread(g, tid, threadId, names);
      return new SampledThread(this.ctx.pid, tid, threadId, g.name, holdsGil, g.frames, this.states, active?.get(tid) ?? (lazyStates ? undefined : this.states.isActive(tid)));
    }
    let known = active?.get(tid);
    /** in state R before its stack was read: whether it was on a core is asked after the read */
    let onCoreAfterRead = false;
    if (this.framesOf !== 'all') {
      let walkIt = holdsGil;
      const byRecords = this.framesOf === 'active' && known === undefined ? this.onCpuByRecords(g, tid) : undefined;
      if (byRecords !== undefined) {
        walkIt = known = byRecords;
      } else if (this.framesOf === 'active') {
        // the state read before the batch counts only for the tid it was read for (a thread
        // state reused by a new thread names another tid); else it is read now, before the stack
        const before = r.stateTid === tid && tid > 0 ? r.stateRunnable : undefined;
        if (known === undefined && this.recheckStates && tid > 0) {
          // the state after the memory (checkedThread); a thread whose state was not read before
          // (new, or its thread state reused) is read again as well, state first
          const after = this.states.isRunnable(tid);
          if (after !== before) {
            this.changedTid = tid;
            this.changedRunnable = after;
            return this.notWalked(g, tid, threadId, holdsGil, names, false); // replaced by the next read
          }
        }
        walkIt = known ?? before ?? this.states.isRunnable(tid);
        if (known === undefined) {
          if (walkIt) onCoreAfterRead = true;
          else known = false;
        }
      }
      if (!walkIt) return this.notWalked(g, tid, threadId, holdsGil, names, known);
      if (r.stateOnly) return undefined;
    }
    for (let i = 0; i < g.codes.length && iCodes + i < views.length; i++) this.codes.checkWith(g.codes.at(i), views[iCodes + i]);
    const shortCodes = this.shortCodes;
    shortCodes.clear();
    g.pages.begin(views, iPages);
    if (this.L.frame) {
      this.walkHeapFrames(g.pages, t.ptr(TS_FRAME));
    } else {
      let current: number;
      if (t.has(TS_CURRENT)) {
        current = t.ptr(TS_CURRENT); // 3.13+
      } else {
        const cframe = t.ptr(TS_CFRAME); // 3.11/3.12: through the thread's _PyCFrame
        if (cframe === g.cframe && iCframe >= 0 && iCframe < views.length) current = readPtr(views[iCframe], 0);
        else current = cframe > 0 ? this.mem.u64(cframe + T.cframeCurrentFrame!) : 0;
        g.cframe = cframe;
      }
      const chunkAddr = t.ptr(TS_CHUNK);
      this.chunkCount = 0;
      if (chunkAddr > 0 && current > 0) {
        // Guessed chunks count only as far as the chain confirms them: the newest is the thread
        // state's, each next one its predecessor's `previous`, with the size its header says.
        let want = chunkAddr;
        for (let i = 0; 3 * i < g.chunks.length && iChunks + i < views.length && want > 0; i++) {
          const v = views[iChunks + i];
          const size = readPtr(v, this.L.chunk!.size);
          if (g.chunks.at(3 * i) !== want || size !== g.chunks.at(3 * i + 1)) break;
          this.addChunk(want, v, size);
          want = readPtr(v, this.L.chunk!.previous);
        }
        if (this.chunkCount === 0) this.loadChunk(chunkAddr, current);
      }
      this.depth = 0;
      if (current > 0) this.walkInterpreterFrames(g.pages, current);
      g.chunks.clear();
      // next time read each chunk only as far as its frames reached now (a few hundred bytes for
      // a shallow stack instead of the whole 16 KiB chunk: 200 threads copy 100 KiB, not 3 MiB)
      for (let i = 0; i < this.chunkCount && g.chunks.length < 12; i++) {
        const c = this.chunks[i];
        g.chunks.push(c.start);
        g.chunks.push(c.size);
        g.chunks.push(c.reach > 0 ? Math.min(c.size, roundUp(c.reach + CHUNK_SLACK)) : c.buf.length);
      }
    }
    g.codes.clear();
    for (let i = 0; i < shortCodes.length; i++) if (!g.codes.includes(shortCodes.at(i))) g.codes.push(shortCodes.at(i));
    const frames = this.takeFrames(g);
    g.tid = tid;
    g.ident = threadId;
    g.top = top;
    g.bottom = this.chainBottom;
    // reusable from the next walk on if its ring was open before this one began
    g.readAt = this.framesOf === 'all' && this.states.watched(tid) ? this.walkStart : 0;
    if (this.addrs) this.frameAddresses!.set(threadId, this.addrs);
    if (this.entries) this.evalEntries!.set(threadId, this.entries);
    if (onCoreAfterRead) known = this.states.wasOnCore(tid); // after the read: see checkedThread
    known ??= lazyStates ? undefined : this.states.isActive(tid);
    this.nameThread(g, tid, threadId, names);
    return new SampledThread(this.ctx.pid, tid, threadId, g.name, holdsGil, frames, this.states, known);
  }

  /**
   * The default filter from switch records alone (native/threadStates.ts, onCpuAt): whether the
   * thread was on CPU at the instant its memory was read, decided once a walk (a thread read alone
   * after all keeps the answer), or undefined where its ring cannot say. One instant decides, so
   * nothing is read before and after the stack (checkedThread) and no stack of a thread off its
   * core is read: 8 threads on 3.8 read 185 KB a sample before, every thread's frames twice.
   */
  private onCpuByRecords(g: ThreadGuess, tid: number): boolean | undefined {
    if (g.decidedIn === this.walkSerial && g.decidedTid === tid) return g.onCpu;
    // off its core and not preempted at the walk's start (preReadState): still off at the read
    // unless it has switched since, one look at its ring's newest record; 200 idle threads asked
    // their ring twice a sample otherwise (+15-25 % a tick)
    const blocked = g.blockedIn === this.walkSerial && g.blockedTid === tid && this.states.stillOffCpu(tid, this.walkStart);
    const onCpu = blocked ? false : this.states.onCpuAt(tid, this.decodeInstant);
    if (onCpu !== undefined) {
      g.decidedIn = this.walkSerial;
      g.decidedTid = tid;
      g.onCpu = onCpu;
      // a count held back to pay for the sampler's own time was found on a core all the same
      if (this.lastThreads.length <= STATE_RECHECK_THREADS) this.tallyDue(tid, onCpu || (!blocked && this.states.paidBack));
    }
    return onCpu;
  }

  /**
   * Whether the thread was on a core when this tick was due, beside whether the read found it on
   * one (proc/samplingThread.ts, dueOnCore: what a late sampler missed). One look at the ring's
   * newest record when it has not switched since; with few threads only (a look per thread a tick).
   */
  private tallyDue(tid: number, found: boolean): void {
    const st = samplingThread;
    const due = st.deadline;
    if (!(due > 0) || due >= this.walkStart) return;
    const then = this.states.wasOnCoreAt(tid, due, found);
    if (then === undefined) return;
    if (then) st.dueOnCore++;
    if (found) st.readOnCore++;
  }

  /** A thread whose stack the walk's framesOf leaves out: its ids, name and state, no frames. */
  private notWalked(g: ThreadGuess, tid: number, threadId: number, holdsGil: boolean, names: ThreadNameSource, known: boolean | undefined): ThreadStack {
    this.chainBottom = 0;
    this.nameThread(g, tid, threadId, names);
    return new SampledThread(this.ctx.pid, tid, threadId, g.name, holdsGil, NOT_WALKED, this.states, known);
  }

  /** The name asked for again only when the source's names changed or this thread's ids did. */
  private nameThread(g: ThreadGuess, tid: number, threadId: number, names: ThreadNameSource): void {
    if (g.nameEpoch !== names.epoch || g.nameIdent !== threadId || g.nameTid !== tid) {
      g.name = names.name(threadId, tid);
      g.nameEpoch = names.epoch;
      g.nameIdent = threadId;
      g.nameTid = tid;
    }
  }

  /** 3.12: the interpreter points at its GIL state (stable for its lifetime); 0 when unknown. */
  private gilHolder312(interp: number, view?: Buffer): number {
    const L = this.L;
    if (!this.gilSpan || L.interp.cevalGilPtr === undefined || !L.gil) return 0;
    let gil = this.gilStatePtr.get(interp);
    if (gil === undefined) {
      gil = this.mem.u64(interp + L.interp.cevalGilPtr);
      // 0 while the interpreter is still starting up: not cached, read again next time
      if (gil <= 0) return 0;
      this.gilStatePtr.set(interp, gil);
    }
    const { lo, len } = this.gilSpan;
    const b = view ?? this.mem.read(gil + lo, len);
    return b.readInt32LE(L.gil.locked - lo) !== 0 ? readPtr(b, L.gil.lastHolder - lo) : 0;
  }

  /**
   * 3.14 bumps interp->_code_object_generation whenever a code object is freed, so any cached
   * code object may have been replaced at the same address: flush the cache when it moves.
   */
  private checkCodeGeneration(interp: number, generation: number): void {
    const last = this.codeGeneration.get(interp);
    if (last !== undefined && last !== generation) this.codes.clear();
    this.codeGeneration.set(interp, generation);
  }

  /** ≤3.10: pthread_t is glibc's struct pthread*, whose `tid` field we find once and then read. */
  private tidFromPthread(threadId: number): number {
    const hit = this.tidByPthread.get(threadId);
    if (hit !== undefined) return hit;
    // (re)calibrated until it works: a failed attempt (-1) is retried when the thread caches reset
    if (this.pthreadTidOffset === undefined || this.pthreadTidOffset < 0) this.pthreadTidOffset = this.calibratePthreadTid(threadId);
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
    // glibc 2.x on x86-64 keeps tid at 720; confirm against the process's real tids when we can.
    const KNOWN = 720;
    try {
      const b = this.mem.read(anyThreadId, 2048);
      // the pthread holds the id of the target's own PID namespace
      const tids = this.ctx.tids ? this.ctx.tids.theirTids() : new Set(listTids(this.ctx.pid));
      if (tids.has(b.readInt32LE(KNOWN))) return KNOWN;
      for (let off = 0; off + 4 <= b.length; off += 4) if (tids.has(b.readInt32LE(off)) && b.readInt32LE(off) > 1) return off;
    } catch {
      /* fall through */
    }
    return -1;
  }

  /**
   * ≤3.10 frames are heap objects that are freed and recycled while we read (about 60% of
   * unpaused reads of a churning stack tear, BRIEF §8.2). Three checks make a returned stack one
   * the thread really had: every frame is alive (ob_refcnt > 0: freed frames sit on the free
   * list with refcnt 0 and f_back as the list link); no frame is one being set up (below); and
   * after the walk one batched read confirms every f_back is unchanged. A live frame's f_back
   * never changes, so an unchanged chain is the stack the thread had when its top frame was read,
   * even if it has pushed or popped since; requiring the top frame itself to be unchanged was
   * tried and dropped up to 96% of samples of a churning stack, biasing the profile against
   * exactly the code that changes fastest.
   *
   * A frame being set up is the one shape the first and last checks pass: a call takes a recycled
   * frame object (from its code's zombie slot or the free list, whose last entry's link is NULL)
   * and makes it alive (refcount 1) before it writes f_back, so for those instructions it is a
   * live frame of the right code whose f_back is stale, often NULL: the thread's top frame read
   * just after it returned and called again gave a one-frame stack [dive] that passed as
   * consistent (issue 10), and the re-check, microseconds later, saw the same stale f_back. Such a
   * frame is on no thread's chain yet, which shows two ways: at the top it is not marked running
   * (f_executing / f_state, set when the interpreter starts running it, after tstate->frame); below
   * the top it has refcount 1, where a real caller frame has ≥ 2 (its creator's and its callee's
   * f_back: a callee always holds its f_back).
   */
  private walkHeapFrames(pages: PageCache, first: number): void {
    const F = this.L.frame!;
    const readLen = Math.max(F.lasti + 4, F.running ? F.running.offset + 1 : 0);
    this.walked.clear();
    this.backs.clear();
    this.depth = 0;
    try {
      this.walkHeapChain(pages, first, readLen);
    } finally {
      pages.remember(); // also after a torn walk: the pages it reached are the next attempt's prefetch
    }
    if (this.walked.length > 0) this.recheckBacks(pages, F.back);
    this.chainBottom = this.walked.length > 0 ? this.walked.at(this.walked.length - 1) : 0;
  }

  private walkHeapChain(pages: PageCache, first: number, readLen: number): void {
    const F = this.L.frame!;
    const walked = this.walked, backs = this.backs;
    const frameType = this.ctx.frameType, obType = this.L.obType, running = F.running;
    const cycle = this.cycle.reset();
    const frames = this.frameScratch;
    let f = first;
    while (f > 0) {
      if (this.depth >= MAX_DEPTH || cycle.seen(f)) throw tornRead('frame chain');
      pages.get(this.mem, f, readLen);
      const b = pages.buf, o = pages.off;
      const refHigh = b.readInt32LE(o + 4), refLow = b.readUInt32LE(o);
      if (refHigh < 0 || (refHigh === 0 && refLow === 0)) throw tornRead('freed frame');
      if (frameType && ptrIn(b, o + obType) !== frameType) throw tornRead('not a frame object');
      if (this.depth === 0) {
        // A frame is on the chain (tstate->frame) from just before it is marked running until just
        // after it is unmarked: read without pausing, an unmarked top frame may be one being set up
        // that is on no chain yet; paused, it is the frame the thread is entering or leaving.
        if (running && !this.threadPaused && !running.values.includes(b.readInt8(o + running.offset))) throw tornRead('top frame not running (being set up or returning)');
      } else if (refHigh === 0 && refLow < 2) {
        throw tornRead('caller frame without its callee\'s reference (being set up)');
      }
      const code = ptrIn(b, o + F.code);
      const lasti = b.readInt32LE(o + F.lasti);
      const back = ptrIn(b, o + F.back);
      if (code <= 0) throw tornRead('frame without code');
      walked.push(f);
      backs.push(back);
      const info = this.codes.get(code);
      if (info.shortLived && this.shortCodes.length < MAX_SHORT_CODES) this.shortCodes.push(code);
      frames[this.depth++] = this.codes.frame(info, lasti);
      this.addrs?.push(f, code);
      f = back;
    }
  }

  /**
   * Confirms every walked frame's f_back is unchanged, from the second copy of the prefetched
   * spans when it covers them all (no syscall, microseconds after the first copy), else by
   * re-reading each f_back (one batched syscall).
   */
  private recheckBacks(pages: PageCache, backOff: number): void {
    const walked = this.walked, backs = this.backs;
    let covered = true;
    for (let i = 0; i < walked.length; i++) {
      const v = pages.secondPtr(walked.at(i) + backOff);
      if (v === -2) { covered = false; break; }
      if (v !== backs.at(i)) throw tornRead('frame reused during the walk');
    }
    if (covered) return;
    const batch = this.recheckBatch;
    batch.clear();
    for (let i = 0; i < walked.length; i++) batch.add(walked.at(i) + backOff, 8);
    const views = batch.read(this.mem, true);
    for (let i = 0; i < walked.length; i++) if (readPtr(views[i], 0) !== backs.at(i)) throw tornRead('frame reused during the walk');
  }

  /** 3.11+: frames from the loaded chunks (this.chunks), older chunks, or the heap (pages). */
  private walkInterpreterFrames(pages: PageCache, current: number): void {
    const I = this.L.iframe!;
    const chunks = this.chunks;
    const frames = this.frameScratch;
    const recent = this.codes.recent;
    // Everything per frame stays inline: an address handed to a call that is not inlined (this
    // function is inlined deep into walk(), past V8's inlining budget) becomes a heap number, two
    // or three per frame. Hence Brent's cycle check (CycleCheck) and the code cache's hit written out here.
    let checkpoint = -1, steps = 0, limit = 2;
    let f = current;
    while (f > 0) {
      if (this.depth >= MAX_DEPTH) throw tornRead('frame chain too deep');
      if (f === checkpoint) throw tornRead('frame chain loops');
      if (++steps === limit) {
        checkpoint = f;
        limit *= 2;
      }
      let b: Buffer | undefined, o = 0;
      for (let pass = 0; pass < 2 && !b; pass++) {
        for (let i = 0; i < this.chunkCount; i++) {
          const c = chunks[i];
          if (f < c.start || f + I.size > c.start + c.size) continue;
          if (f + I.size > c.start + c.buf.length) this.readWholeChunk(c); // the stack grew past what was read
          if (f + I.size <= c.start + c.buf.length) {
            b = c.buf;
            o = f - c.start;
            if (o + I.size > c.reach) c.reach = o + I.size;
          }
          break;
        }
        // Maybe in an older chunk of this thread's stack: load the previous chunks once.
        if (!b && pass === 0 && !this.loadPreviousChunk()) break;
      }
      if (!b) {
        pages.get(this.mem, f, I.size); // a generator/coroutine frame on the heap, or a C-stack shim
        b = pages.buf;
        o = pages.off;
      }
      let code = ptrIn(b, o + I.executable); // in range: the frame was found inside b
      const previous = ptrIn(b, o + I.previous);
      const ip = ptrIn(b, o + I.instrPtr);
      const owner = b[o + I.owner];
      if (I.taggedExecutable && code > 0) code -= code % 4; // _PyStackRef: clear the tag bits
      if (owner < I.skipOwnerAtLeast && code > 0) {
        const slot = (code / 8) & recent.mask; // recent.slotOf(code)
        let info: CodeInfo | undefined;
        if (recent.keys[slot] === code) {
          info = recent.values[slot]!;
          if (info.usedAt !== this.codes.now || info.shortLived) this.codes.usedSlot(slot); // first use this snapshot: bookkeeping, maybe verification
        } else {
          info = this.codeOrSkip(code);
        }
        if (info?.shortLived && this.shortCodes.length < MAX_SHORT_CODES) this.shortCodes.push(code);
        if (info) {
          frames[this.depth++] = this.codes.frame(info, ip > 0 ? Math.floor((ip - info.codeStart) / 2) : -1);
          this.addrs?.push(f, code);
          this.entries?.push(I.isEntry !== undefined && b[o + I.isEntry] !== 0);
        }
      } else if (this.entries && this.entries.length > 0 && owner >= I.skipOwnerAtLeast) {
        this.entries[this.entries.length - 1] = true; // a C-stack shim: the frame above it started an eval call
      }
      f = previous;
    }
    pages.remember();
  }

  /** On 3.13+ an entry frame's f_executable may be None or another object: skip it, not fail. */
  private codeOrSkip(code: number): CodeInfo | undefined {
    if (this.L.minor < 13) return this.codes.get(code);
    try {
      return this.codes.get(code);
    } catch (e) {
      if (e instanceof EngineError && e.code === 'READ_FAILED' && /not a code object/.test(e.message)) return undefined;
      throw e;
    }
  }

  /**
   * Reads a data-stack chunk into the arena: up to just past `current` when the current frame is
   * in it (frames below it are older, so nothing above matters), else whole (its size is in its
   * header). Frames found beyond what was read later get the rest (readWholeChunk).
   */
  private loadChunk(addr: number, current = 0): LoadedChunk | undefined {
    for (let i = 0; i < this.chunkCount; i++) if (this.chunks[i].start === addr) return undefined;
    if (this.chunkCount >= MAX_CHUNKS_PER_THREAD) return undefined;
    const C = this.L.chunk!;
    const prefix = current >= addr && current - addr < MAX_CHUNK ? roundUp(current - addr + this.L.iframe!.size + CHUNK_SLACK) : CHUNK_GUESS;
    let buf: Buffer;
    try {
      buf = this.mem.readArena(addr, prefix);
    } catch {
      // the chunk ends (with its mapping) before our guess: read its header, then exactly it
      try {
        buf = this.mem.readArena(addr, C.data);
        const size = readPtr(buf, C.size);
        if (size <= C.data || size > MAX_CHUNK) return undefined;
        buf = this.mem.readArena(addr, Math.min(size, prefix));
      } catch {
        return undefined; // read frames directly
      }
    }
    let size = readPtr(buf, C.size);
    if (size <= C.data || size > MAX_CHUNK) size = buf.length; // torn header: use what we have
    if (size < buf.length) buf = buf.subarray(0, size);
    const c = this.addChunk(addr, buf, size);
    if (prefix === CHUNK_GUESS && size > buf.length) this.readWholeChunk(c);
    return c;
  }

  private addChunk(start: number, buf: Buffer, size: number): LoadedChunk {
    if (this.chunkCount === this.chunks.length) this.chunks.push({ start: 0, buf: EMPTY, size: 0, reach: 0 });
    const c = this.chunks[this.chunkCount++];
    c.start = start;
    c.buf = buf;
    c.size = size;
    c.reach = 0;
    return c;
  }

  /**
   * The walked frames (frameScratch[0, depth)) as the thread's stack: the array returned last time
   * when the stack is the same frame records (frames are interned, so identity is equality),
   * else a copy that becomes the one compared next time. Returned arrays are never mutated.
   */
  private takeFrames(g: ThreadGuess): PyFrame[] {
    const n = this.depth, scratch = this.frameScratch, last = g.frames;
    if (last.length === n) {
      let i = 0;
      while (i < n && last[i] === scratch[i]) i++;
      if (i === n) return last;
    }
    return (g.frames = scratch.slice(0, n));
  }

  private readWholeChunk(c: LoadedChunk): void {
    try {
      c.buf = this.mem.readArena(c.start, c.size);
    } catch {
      /* keep the prefix: frames past it are read from their pages */
    }
  }

  private loadPreviousChunk(): boolean {
    const last = this.chunkCount > 0 ? this.chunks[this.chunkCount - 1] : undefined;
    const prev = last ? readPtr(last.buf, this.L.chunk!.previous) : 0;
    return prev > 0 && this.loadChunk(prev) !== undefined;
  }
}

function roundUp(n: number): number {
  return Math.ceil(n / READ_ROUND) * READ_ROUND;
}
