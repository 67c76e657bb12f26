// A Python process we read from outside: attach(pid) locates the interpreter once, then each
// snapshot() walks every thread. Nothing is ever written to the target.
import { RemoteMemory } from './native/memory';
import { isPaused, pausedThreads, pauseProcess, pauseThreads, resumeProcess } from './native/ptrace';
import { NativeStacks } from './nativeframes/nativeStacks';
import { listTids, processUid, readCmdline, userName } from './proc/procfs';
import { ThreadStateReader } from './native/threadStates';
import { readStat } from './subprocesses';
import { locate, Located, moduleBaseNow } from './locate';
import { executableOf } from './proc/executable';
import { innerPid, TidTranslator } from './proc/pidNamespace';
import { CodeCache, ObjectReader } from './cpython/objects';
import { StackWalker } from './cpython/walker';
import { ThreadNames } from './cpython/threadNames';
import { SnapshotInspector } from './inspect';
import { EngineError, FramesOf, ProcessInfo, Snapshot } from './types';

/** How often derived caches (thread ids, unused code objects) are refreshed (ms). */
const REVALIDATE_MS = 1000;
/** Attempts for a consistent non-blocking read before a sample counts as torn (2.7 and 3.6-3.10 mostly). */
const TORN_RETRIES = 3;
/** A torn sample read with its torn threads stopped stops at most this many before it stops every thread. */
const MAX_STOPPED_THREADS = 4;

export interface SnapshotOptions {
  /** Pause the target (ptrace) for this snapshot; it is always resumed afterwards. */
  blocking?: boolean;
  /**
   * Read each thread's run state (`active`, a /proc read) only when it is first asked for. For
   * callers that ask at once or never (the sampler: not at all with --idle); a caller that
   * pauses the target before looking would see every thread stopped.
   */
  lazyThreadStates?: boolean;
  /** Also read each frame's local variables (dump --locals; while paused when blocking). */
  locals?: boolean;
  /** Also read every asyncio task (dump --async). */
  tasks?: boolean;
  /** record --async: loop threads' stacks re-rooted on their running task (cpython/asyncAttribution.ts). */
  async?: boolean;
  /**
   * Native (C/C++) frames merged into each stack, and threads that run no Python: the target is
   * ptrace-stopped for the walk and the unwind (as with `blocking`) and resumed at once.
   */
  native?: boolean;
  /**
   * When every read of a running target tore (its stack changed faster than it could be read),
   * read this one sample with the target paused (ptrace, resumed at once) instead of failing.
   * Without it such a sample is dropped, and code whose stack changes within microseconds is
   * under-weighted (test/fixtures/torn_recursion.py: up to half the samples on 3.8-3.10 when the
   * target has a core to itself). Where pausing is not allowed, the sample is dropped as before.
   */
  pauseWhenTorn?: boolean;
  /** Whose frames to read (types.ts FramesOf); without locals, tasks, async and native only. */
  framesOf?: FramesOf;
}

export class PythonProcess {
  readonly info: ProcessInfo;
  /** Torn reads retried successfully or given up on, since attach. */
  tornReads = 0;
  private readonly mem: RemoteMemory;
  private readonly located: Located;
  private readonly codes: CodeCache;
  private readonly walker: StackWalker;
  private readonly states: ThreadStateReader;
  private readonly names: ThreadNames;
  private readonly inspector: SnapshotInspector;
  private lastRevalidate = Date.now();
  private closed = false;
  private nativeStacks: NativeStacks | undefined;
  /** /proc/PID/stat's start of stack at attach: another value means the process exec'd */
  private readonly startStack: number | undefined;
  /** pausing was refused once (pauseWhenTorn then drops torn samples) */
  private pauseRefused = false;
  /** Torn samples read again with only the torn thread stopped, and with every thread stopped (benchmarks, tests). */
  threadPausedReads = 0;
  processPausedReads = 0;

  constructor(readonly pid: number) {
    this.mem = new RemoteMemory(pid);
    this.located = locate(pid, this.mem);
    const L = this.located.layout;
    const objects = new ObjectReader(this.mem, L, this.located.py2Types);
    this.codes = new CodeCache(this.mem, L, objects, this.located.codeType);
    this.startStack = readStat(pid)?.startStack;
    this.states = new ThreadStateReader(pid);
    this.walker = new StackWalker(this.mem, L, this.codes, { pid, runtime: this.located.runtime, codeType: this.located.codeType, frameType: this.located.frameType, tids: TidTranslator.forProcess(pid) }, this.states);
    this.names = new ThreadNames(this.mem, L, objects, this.located.runtime, pid);
    this.inspector = new SnapshotInspector(this.mem, this.located, this.codes, objects, this.located.version);
    this.info = {
      pid,
      version: this.located.version,
      versionTuple: this.located.versionTuple,
      executable: this.located.executable,
      runtimeModule: this.located.module,
      commandLine: readCmdline(pid),
    };
    const nsPid = innerPid(pid);
    if (nsPid !== undefined) this.info.nsPid = nsPid;
    const uid = processUid(pid);
    if (uid !== undefined) Object.assign(this.info, { uid, user: userName(uid) });
  }

  /** process_vm_readv calls so far (benchmarks). */
  get readCalls(): number {
    return this.mem.calls;
  }

  /** Bytes those calls read (benchmarks). */
  get readBytes(): number {
    return this.mem.bytes;
  }

  /** Reads of every thread's name (threading._active) so far (benchmarks, tests). */
  get nameRefreshes(): number {
    return this.names.refreshes;
  }

  /** /proc thread-state reads so far (benchmarks: one pread each). */
  get stateReads(): number {
    return this.states.reads;
  }

  /** Stacks handed out again without a read so far: the thread had not run since (cpython/walker.ts, reusable). */
  get stacksReused(): number {
    return this.walker.reusedStacks;
  }

  /** Thread states known without a read so far: no context switch since the last read (native/threadStates.ts). */
  get statesUnchanged(): number {
    return this.states.unchanged;
  }

  /** On-CPU answers from switch records alone so far, with no state read or asked (native/threadStates.ts; benchmarks, tests). */
  get statesFromSwitchRecords(): number {
    return this.states.fromRecords;
  }

  /** /proc/…/sched and schedstat reads of the on-core check so far (benchmarks: one pread each). */
  get onCoreReads(): number {
    return this.states.onCoreReads;
  }

  /**
   * Every thread's stack. Throws EngineError READ_FAILED when the target changed under us on every
   * retry (a torn sample: callers count and drop it), PROCESS_EXITED when it is gone.
   */
  snapshot(opts: SnapshotOptions = {}): Snapshot {
    if (this.closed) throw new EngineError('PROCESS_EXITED', `process ${this.pid} is no longer attached`);
    this.maintainCaches();
    const time = performance.timeOrigin + performance.now(); // sub-millisecond: samples at 1 kHz+ need it
    this.states.beginSample();
    if (opts.native) return { time, ...this.walkNative(opts) };
    if (opts.blocking && !isPaused(this.pid)) {
      // Run state must be read before pausing: a ptrace-stopped thread always looks idle.
      const active = new Map(listTids(this.pid).map((t) => [t, this.states.isActive(t)] as const));
      pauseProcess(this.pid);
      try {
        return { time, ...this.walk(opts, active, true) };
      } finally {
        resumeProcess(this.pid);
      }
    }
    const paused = isPaused(this.pid); // stopped by pause() (the debug adapter's blocking pause)
    // with pauseWhenTorn the first torn read is read again paused, not retried running (see
    // StackWalker.retryTornThreads: retries until success select moments with shallow stacks)
    const pauseAfterTear = opts.pauseWhenTorn === true && !paused && !this.pauseRefused;
    this.walker.retryTornThreads = !pauseAfterTear;
    for (let attempt = 0; ; attempt++) {
      try {
        if (!opts.locals && !opts.tasks && !opts.async) return { time, threads: this.walker.walk(this.names, undefined, opts.lazyThreadStates, paused, opts.framesOf) }; // the sampler's path: no closure, no spread
        return { time, ...this.walk(opts, undefined, paused) };
      } catch (e) {
        if (!(e instanceof EngineError) || e.code !== 'READ_FAILED') throw this.explainExit(e);
        this.tornReads++;
        if (pauseAfterTear) {
          // the torn thread stopped alone tells a process gone meanwhile too (it cannot be stopped),
          // so the check below (three syscalls) is made only when that read did not happen
          const exact = this.pausedRead(opts);
          if (exact) return exact;
          this.walker.retryTornThreads = true; // pausing refused: retry as without pauseWhenTorn
        }
        if (!this.alive()) throw new EngineError('PROCESS_EXITED', `process ${this.pid} has exited`);
        if (attempt + 1 >= TORN_RETRIES) throw e;
      }
    }
  }

  /** One sample read with the target paused (pauseWhenTorn); undefined when it may not be paused. */
  private pausedRead(opts: SnapshotOptions): Snapshot | undefined {
    if (this.pauseRefused) return undefined;
    const tornTid = this.walker.tornTid;
    if (tornTid > 0) {
      const exact = this.threadPausedRead(opts, tornTid);
      if (exact) return exact;
    }
    if (!this.alive()) throw new EngineError('PROCESS_EXITED', `process ${this.pid} has exited`);
    const time = performance.timeOrigin + performance.now();
    // run states first: a ptrace-stopped thread always looks idle
    const active = new Map(listTids(this.pid).map((t) => [t, this.states.isActive(t)] as const));
    try {
      pauseProcess(this.pid);
    } catch (e) {
      if (e instanceof EngineError && e.code === 'PROCESS_EXITED') throw e;
      this.pauseRefused = true; // not allowed here (another tracer, a seccomp policy): drop torn samples
      return undefined;
    }
    try {
      const snap: Snapshot = { time, ...this.walk(opts, active, true), pausedAfterTorn: true };
      this.processPausedReads++;
      return snap;
    } finally {
      resumeProcess(this.pid);
    }
  }

  /**
   * The sample read again with only the thread whose stack tore stopped (walker.tornTid): nothing
   * but the thread itself changes its frames, so its read is then exact while the others run on.
   * When another thread's read tears meanwhile (the GIL passed on: 2.7 hands it over every 100
   * bytecodes), that one is stopped too, up to MAX_STOPPED_THREADS. With 8 threads churning on 3.8
   * a fifth to a third of the samples tear; a paused read cost 185-275 µs of CPU with all 8 threads
   * stopped, 90-210 with the one (same target, alternating). Undefined when the thread has ended,
   * when it may not be stopped, or when more threads tore: the caller then stops every thread.
   */
  private threadPausedRead(opts: SnapshotOptions, tid: number): Snapshot | undefined {
    const time = performance.timeOrigin + performance.now();
    const active = new Map<number, boolean>();
    const stopped: number[] = [];
    try {
      for (;;) {
        active.set(tid, this.states.isActive(tid)); // before stopping it: a stopped thread looks idle
        try {
          if (pauseThreads(this.pid, [tid]) === 0) return undefined;
        } catch (e) {
          if (e instanceof EngineError && e.code === 'PROCESS_EXITED') throw e;
          return undefined; // refused: the whole-process pause finds out why, and remembers it
        }
        stopped.push(tid);
        try {
          const snap: Snapshot = { time, ...this.walk(opts, active, stopped), pausedAfterTorn: true };
          this.threadPausedReads++;
          return snap;
        } catch (e) {
          if (!(e instanceof EngineError) || e.code !== 'READ_FAILED') throw e;
          tid = this.walker.tornTid;
          if (tid <= 0 || stopped.includes(tid) || stopped.length >= MAX_STOPPED_THREADS) return undefined;
        }
      }
    } finally {
      resumeProcess(this.pid);
    }
  }

  /** Python and native frames together, read while every thread is stopped (resumed before returning). */
  private walkNative(opts: SnapshotOptions): Omit<Snapshot, 'time'> {
    if (!this.nativeStacks) {
      this.nativeStacks = new NativeStacks(this.pid, new Set([this.located.module, this.located.executable]), (addr, len) => this.mem.copy(addr, len));
      this.walker.evalEntries = new Map();
    }
    const lingering = isPaused(this.pid); // a debugger's pause: leave it paused
    const active = lingering ? undefined : new Map(listTids(this.pid).map((t) => [t, this.states.isActive(t)] as const));
    if (!lingering) pauseProcess(this.pid);
    let snap: Omit<Snapshot, 'time'>;
    let unwound: Map<number, number[]>;
    try {
      this.walker.evalEntries!.clear();
      snap = this.walk(opts, active, true);
      unwound = this.nativeStacks.unwindAll(pausedThreads(this.pid));
    } finally {
      if (!lingering) resumeProcess(this.pid);
    }
    // named after resuming: the first samples load symbol and line tables, which must not stop the target
    return { ...snap, threads: this.nativeStacks.merge(snap.threads, unwound, this.walker.evalEntries, active) };
  }

  /** Native frames unwound so far (benchmarks). */
  get nativeFrameCount(): number {
    return this.nativeStacks?.nativeFrames ?? 0;
  }

  /** `paused`: every thread stopped (true), none (false), or those with these tids. */
  private walk(opts: SnapshotOptions, active?: Map<number, boolean>, paused: boolean | readonly number[] = false): Omit<Snapshot, 'time'> {
    if (!opts.locals && !opts.tasks && !opts.async) return { threads: this.walker.walk(this.names, active, opts.lazyThreadStates, paused, opts.native ? 'all' : opts.framesOf) };
    const walk = () => this.walker.walk(this.names, active, opts.lazyThreadStates, paused);
    return this.inspector.inspect(this.walker, walk, opts);
  }

  /** record --async: samples attributed to a running task, and to an idle loop, so far. */
  get asyncCounts(): { attributed: number; idle: number } {
    const a = this.inspector.attribution();
    return { attributed: a.attributed, idle: a.idle };
  }

  /**
   * True when the process is no longer the program we attached to: it called exec (os.execv, a
   * launcher handing over), so its interpreter is gone or mapped elsewhere and every read fails.
   * Costs a read of /proc/PID/maps: callers ask after a failed sample, not on every one.
   */
  addressSpaceChanged(): boolean {
    try {
      return this.execedSameBinary() || moduleBaseNow(this.pid, this.located.module) !== this.located.moduleBase || executableOf(this.pid) !== this.located.executable;
    } catch {
      return false; // gone: the exit path reports it
    }
  }

  /**
   * An exec of the same non-PIE interpreter (Debian's 3.14 python3 here) maps it at the same
   * addresses, so reads go on succeeding in a new program with other objects: seen only through
   * the stack's new random start.
   */
  private execedSameBinary(): boolean {
    const now = readStat(this.pid)?.startStack;
    return this.startStack !== undefined && now !== undefined && now !== this.startStack;
  }

  /** Stops every thread (ptrace) until resume(); snapshots taken meanwhile are exact. */
  pause(): void {
    pauseProcess(this.pid, true);
  }

  resume(): void {
    resumeProcess(this.pid);
  }

  get paused(): boolean {
    return isPaused(this.pid);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    resumeProcess(this.pid);
    this.nativeStacks?.close();
    this.states.close();
  }

  private maintainCaches(): void {
    const now = Date.now();
    if (now - this.lastRevalidate < REVALIDATE_MS) return;
    this.lastRevalidate = now;
    // a failed read is what makes a sampler ask addressSpaceChanged() and follow the exec
    if (this.execedSameBinary()) throw new EngineError('READ_FAILED', `process ${this.pid} exec'd a new program`);
    this.codes.sweep(now);
    this.walker.resetThreadCaches();
    this.states.retain(new Set(listTids(this.pid))); // close stat fds of threads that ended
    this.names.revalidate(now);
    this.nativeStacks?.forgetThreads(new Set(listTids(this.pid)));
  }

  private alive(): boolean {
    try {
      process.kill(this.pid, 0);
      return require('fs').existsSync(`/proc/${this.pid}/maps`);
    } catch {
      return false;
    }
  }

  private explainExit(e: unknown): unknown {
    if (e instanceof EngineError && e.code !== 'PROCESS_EXITED' && !this.alive()) {
      return new EngineError('PROCESS_EXITED', `process ${this.pid} has exited`);
    }
    return e;
  }
}

export function attach(pid: number): PythonProcess {
  return new PythonProcess(pid);
}
