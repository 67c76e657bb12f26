// The sampling loop: reads every followed process at the asked mean rate, filters threads (--gil,
// --idle), and hands snapshots to a consumer (the recorder, `top`, the language server).
//
// Timing: the gap between ticks is drawn uniformly from [0.5, 1.5] periods (mean: one period), on
// an absolute schedule so per-tick jitter never accumulates into drift. A fixed interval can lock
// onto a target that wakes on its own timer (sleep 1 ms, work 1 ms): every sample then lands in
// the same phase of the target's cycle and a whole phase is over- or under-counted. Random gaps
// make each sample's phase independent of the target's, so a line's share of samples estimates
// its share of time. The thread's timer slack is set to the minimum for the same reason (with the
// default 50 µs, the kernel defers our wake-up to coincide with other timers — the target's).
// The sampling thread also runs at real-time priority where allowed (native/samplingPriority.ts):
// on a busy machine a normal-priority sampler gets a core mostly when the target sleeps, so its
// samples miss the target's short bursts of CPU (the bias random gaps cannot remove). If sampling
// ever needs more than half a core, it drops back to normal priority so it cannot starve anyone.
// A real-time thread wakes on its last core even when that is the program's and another is idle,
// so the loop moves itself off a core where it displaced the program (native/coreSteering.ts).
// Waits block on a futex (Atomics.wait, at most 50 ms at a time) and never spin: a futex wake
// costs half of a libuv timer wake here (0.7% vs 1.5% of a core at 100 Hz, measured), so timers
// are not used for pacing; instead the loop yields to the event loop (setImmediate) every
// YIELD_EVERY_MS, which is when SIGINT, stop() and progress timers are handled.
// A short hiccup (< 2 ms: GC, preemption) is caught up; when the loop falls further behind, the
// missed ticks are skipped and counted rather than bursted, so a slow read cannot snowball and
// samples stay spread over time. Durations in profiles come from the measured rate (ticks over
// the time sampled), never from the asked one.

import { setImmediate as yieldToEventLoop } from 'timers/promises';
import { performance } from 'perf_hooks';
import { EngineError } from './types';
import type { AttachFn, SampleOptions, Snapshot, TargetProcess, ThreadStack } from './types';
import { descendants, isAlive, SubprocessTracker } from './subprocesses';
import { minimiseTimerSlack } from './native/timerSlack';
import { raiseSamplingPriority, SamplingPriority } from './native/samplingPriority';
import { CoreSteering } from './native/coreSteering';
import { displacementsFound } from './proc/onCore';
import { samplingThread } from './proc/samplingThread';
import { executableOf } from './proc/executable';
import { tryAttach } from './launch';

/** A followed process called exec: `followed` is its new interpreter, or absent while it is not Python. */
export interface ExecEvent {
  executable: string;
  /** ms since the sampler started */
  atMs: number;
  followed?: TargetProcess;
  /** why the new program could not be sampled (not Python, unsupported version, …) */
  reason?: string;
}

export interface SamplerHooks {
  /** A successful sample of one process, threads already filtered; `unfiltered` has every thread (for counts and states). */
  onSnapshot?(pid: number, snapshot: Snapshot, process: TargetProcess, unfiltered: Snapshot): void;
  /** A failed/torn sample (counted in stats.errors); the loop carries on. */
  onError?(pid: number, error: unknown): void;
  /** A subprocess was attached (with `subprocesses`). */
  onProcessAdded?(process: TargetProcess): void;
  /** A followed process exited; its samples stay recorded. */
  onProcessExited?(pid: number): void;
  /** A followed process exec'd: sampling goes on in its new interpreter, or pauses while it is not Python. */
  onExec?(pid: number, exec: ExecEvent): void;
}

export type StopReason = 'duration' | 'stopped' | 'exited';

export interface SamplerStats {
  /** Wall-clock start, ms since epoch. */
  startTime: number;
  elapsedMs: number;
  /** Ticks run (one tick samples every followed process once). */
  ticks: number;
  /** Successful process snapshots. */
  samples: number;
  /** Failed or torn snapshots, dropped. */
  errors: number;
  /** Ticks skipped because the previous one overran its period. */
  missedTicks: number;
  /** How late ticks started versus their deadline (ms). */
  meanLagMs: number;
  maxLagMs: number;
  /**
   * Thread samples decided by switch records whose thread was on a core when the tick was due, and
   * those found on a core when read (proc/samplingThread.ts, dueOnCore): a sampler the machine ran
   * late while the program ran reads fewer (cli/rateNotes.ts, lateSamplesNote).
   */
  onCoreDue: number;
  onCoreRead: number;
  /** Mean time spent reading per tick (µs): the per-sample cost. */
  meanTickCostUs: number;
  /** Achieved ticks per second. */
  achievedRateHz: number;
  /** Time spent suspended (a debugger held the target paused): not sampled, not counted as missed. */
  suspendedMs: number;
  /** Samples in which no thread was left after the --gil/--idle filter (what the profile leaves out). */
  emptySamples: number;
  /** Samples in which no thread held the GIL (C code with the GIL released, I/O, waiting). */
  samplesWithoutGilHolder: number;
  /** Samples in which no thread was running (all sleeping or waiting); counted by the default filter only (not with --idle or --gil: it costs a /proc read per thread). */
  samplesWithoutActiveThread: number;
  /** Without `subprocesses`: distinct child/grandchild processes seen (not sampled). */
  unfollowedChildren: number;
  /** Scheduling priority the sampling thread ended with (see native/samplingPriority.ts). */
  priority: SamplingPriority;
  /** Why it was not real-time: no right to raise it, or dropped because sampling needed most of a core. */
  priorityReason?: string;
}

export interface SamplerResult {
  reason: StopReason;
  stats: SamplerStats;
  /** Processes that exited while being sampled (the root among them when reason is 'exited'). */
  exitedPids: number[];
}

export interface SamplerDeps {
  /** Attach function for subprocess following (defaults to the engine's attach, injected by callers). */
  attach?: AttachFn;
  /** Liveness check (defaults to /proc state). */
  isAlive?: (pid: number) => boolean;
  /**
   * With `subprocesses`: the process whose descendants are followed, when that is not the root
   * because it is not Python itself (a shell, `sh -c`, a launcher): the root is its first Python
   * descendant, and the run ends only when this process and every followed one have exited.
   */
  treeRoot?: number;
}

/** Keeps the threads a sample should contain: only the GIL holder with `gil`, idle ones only with `idle`. */
export function selectThreads(threads: readonly ThreadStack[], opts: Pick<SampleOptions, 'gil' | 'idle'>): readonly ThreadStack[] {
  // the common case keeps every thread: the same array back, no new one per sample
  let kept = 0;
  while (kept < threads.length && keepThread(threads[kept], opts)) kept++;
  if (kept === threads.length) return threads;
  const out = threads.slice(0, kept);
  for (let i = kept + 1; i < threads.length; i++) if (keepThread(threads[i], opts)) out.push(threads[i]);
  return out;
}

function keepThread(t: ThreadStack, opts: Pick<SampleOptions, 'gil' | 'idle'>): boolean {
  return (!opts.gil || t.holdsGil) && (opts.idle || t.active);
}

function anyHoldsGil(threads: readonly ThreadStack[]): boolean {
  for (let i = 0; i < threads.length; i++) if (threads[i].holdsGil) return true;
  return false;
}

function anyActive(threads: readonly ThreadStack[]): boolean {
  for (let i = 0; i < threads.length; i++) if (threads[i].active) return true;
  return false;
}

/**
 * How often the loop lets the event loop run (signals, stop(), timers). A visit costs far more than
 * its few µs of warm code: after a sleep every path it takes is cold (a yield is a promise, an
 * Immediate, an epoll_wait and the async function's resumption). Every 8 → 20 ms took the pacing
 * floor at 100 Hz from 2.2 to 1.5 % of a core; 20 → 50 ms took it 1.68 → 1.41 % at 100 Hz and
 * 1.93 → 1.54 % at 1 kHz (no snapshot, in-process Sampler, medians of 4 interleaved runs, every
 * thread of the process, after 8 s of warm-up). A signal such as the debug adapter's SIGUSR1 is
 * still seen within about 65 ms (50 ms plus one gap of ≤ 1.5 periods at 100 Hz).
 */
const YIELD_EVERY_MS = 50;
/** A raised priority is kept only while reading takes at most this share of the time (checked each PRIORITY_WINDOW_MS). */
const PRIORITY_MAX_BUSY = 0.5;
const PRIORITY_WINDOW_MS = 250;
/** Longest single futex wait: the event loop (SIGINT, stop(), progress timers) runs between slices. */
const MAX_BLOCK_MS = YIELD_EVERY_MS;
const SUBPROCESS_POLL_MS = 100;
/** Without --subprocesses, how often to look for child processes (only to say that they exist). */
const CHILD_CHECK_MS = 1000;
/** Behind schedule by less than this, the loop catches up (short hiccups: GC, a yield, preemption); beyond, ticks are skipped. */
const CATCH_UP_MS = 2;
const waitCell = new Int32Array(new SharedArrayBuffer(4));
/** After an exec, retry attaching this often: the new interpreter needs a few ms to initialise. */
const EXEC_RETRY_FAST_MS = 5;
const EXEC_RETRY_SLOW_MS = 100;
/** A new program still not attachable after this long is reported (it may exec Python later). */
const EXEC_REPORT_MS = 2000;
/** Right after exec /proc can still show the new image half set up: "not Python" must last this long. */
const EXEC_NOT_PYTHON_MS = 100;

/** Blocks the calling thread for `ms` without burning CPU (Atomics.wait is allowed on Node's main thread). */
export function blockFor(ms: number): void {
  if (ms > 0) Atomics.wait(waitCell, 0, 0, ms);
}

/** Time to the next tick: uniform in [0.5, 1.5] periods, so the mean rate is the asked one but no sample's phase is tied to the last. */
export function nextGap(period: number, random: () => number = Math.random): number {
  return period * (0.5 + random());
}

export class Sampler {
  /** Every process sampled, by pid; change it only through setProcess/deleteProcess (they keep `sampled` in step). */
  private readonly processes = new Map<number, TargetProcess>();
  /** The processes as an array, rebuilt when the map changes: a tick walks it with no iterator or entry arrays. */
  private sampled: TargetProcess[] = [];
  private sampledChanged = true;
  /** The same options object every tick (thread states lazily: selectThreads asks only for those it needs, none with --idle). */
  private readonly snapshotOptions: Parameters<TargetProcess['snapshot']>[0];
  private readonly rootPid: number;
  private readonly treeRoot?: number;
  private stopRequested = false;
  private readonly exited: number[] = [];
  private readonly tracker?: SubprocessTracker;
  private readonly attachFn?: AttachFn;
  /** Processes that exec'd and are not (yet) attached again: pid → since (performance.now), last try, reported */
  private readonly execed = new Map<number, { since: number; lastTry: number; reported: boolean }>();
  private readonly alive: (pid: number) => boolean;
  private st: SamplerStats = {
    startTime: 0,
    elapsedMs: 0,
    ticks: 0,
    samples: 0,
    errors: 0,
    missedTicks: 0,
    meanLagMs: 0,
    maxLagMs: 0,
    onCoreDue: 0,
    onCoreRead: 0,
    meanTickCostUs: 0,
    achievedRateHz: 0,
    suspendedMs: 0,
    emptySamples: 0,
    samplesWithoutGilHolder: 0,
    samplesWithoutActiveThread: 0,
    unfollowedChildren: 0,
    priority: 'normal',
  };
  private readonly childrenSeen = new Set<number>();
  private suspendedSince = 0;
  private t0 = 0;
  private lagSum = 0;
  /** samplingThread's due/read tallies when this loop began (they count for the whole process) */
  private dueBase = 0;
  private readBase = 0;
  private costSum = 0;

  constructor(
    root: TargetProcess,
    private readonly opts: SampleOptions,
    private readonly hooks: SamplerHooks = {},
    deps: SamplerDeps = {},
  ) {
    if (!(opts.rate > 0)) throw new RangeError(`sampling rate must be > 0 (got ${opts.rate})`);
    this.rootPid = root.info.pid;
    this.setProcess(this.rootPid, root);
    this.snapshotOptions = {
      blocking: opts.blocking, async: opts.async, native: opts.native, lazyThreadStates: !opts.native,
      pauseWhenTorn: !opts.nonblocking,
      // frames only of the threads selectThreads keeps: without --idle an idle thread's stack is not walked
      framesOf: opts.async || opts.native ? 'all' : opts.gil ? 'gilHolder' : opts.idle ? 'all' : 'active',
    };
    this.alive = deps.isAlive ?? isAlive;
    this.attachFn = deps.attach;
    if (opts.subprocesses) {
      if (!deps.attach) throw new Error('subprocess following needs an attach function');
      this.treeRoot = deps.treeRoot;
      this.tracker = new SubprocessTracker(deps.treeRoot ?? this.rootPid, deps.attach);
    }
  }

  /** Live statistics (also valid while running, e.g. for progress lines). */
  get stats(): SamplerStats {
    const elapsed = this.t0 ? performance.now() - this.t0 : 0;
    const s = this.st;
    s.elapsedMs = elapsed;
    s.meanLagMs = s.ticks ? this.lagSum / s.ticks : 0;
    if (this.t0) {
      s.onCoreDue = samplingThread.dueOnCore - this.dueBase;
      s.onCoreRead = samplingThread.readOnCore - this.readBase;
    }
    s.meanTickCostUs = s.ticks ? (this.costSum / s.ticks) * 1000 : 0;
    const suspended = s.suspendedMs + (this.suspendedSince ? performance.now() - this.suspendedSince : 0);
    const sampling = elapsed - suspended;
    s.achievedRateHz = sampling > 0 ? (s.ticks * 1000) / sampling : 0;
    return { ...s, suspendedMs: suspended };
  }

  /** Pids currently sampled. */
  get pids(): number[] {
    return [...this.processes.keys()];
  }

  /** Asks the loop to finish after the current tick (safe from signal handlers). */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Stops taking samples until resumeSampling(), without ending the run: a debugger that holds the
   * target ptrace-stopped owns it meanwhile (a blocking read could not seize it, and a paused
   * program's frozen stack would be counted as if it were running). Safe from signal handlers.
   */
  suspendSampling(): void {
    if (!this.suspendedSince) this.suspendedSince = performance.now();
  }

  resumeSampling(): void {
    if (!this.suspendedSince) return;
    this.st.suspendedMs += performance.now() - this.suspendedSince;
    this.suspendedSince = 0;
  }

  get suspended(): boolean {
    return this.suspendedSince !== 0;
  }

  async run(): Promise<SamplerResult> {
    const restoreSlack = minimiseTimerSlack();
    const raised = raiseSamplingPriority();
    this.st.priority = raised.priority;
    this.st.priorityReason = raised.reason;
    this.restorePriority = () => raised.restore();
    this.steering = CoreSteering.start(displacementsFound);
    try {
      return await this.loop();
    } finally {
      this.steering?.restore();
      raised.restore();
      restoreSlack();
      samplingThread.close(); // its files are the thread's own: a worker thread's would outlive it
    }
  }

  private restorePriority = (): void => undefined;
  /** moves the sampling thread off the program's cores (native/coreSteering.ts) */
  private steering: CoreSteering | undefined;
  private busyWindowStart = 0;
  private busyWindowCost = 0;

  /** Drops a raised priority when reading took more than PRIORITY_MAX_BUSY of the last window. */
  private checkPriority(now: number): void {
    if (now - this.busyWindowStart < PRIORITY_WINDOW_MS) return;
    const busy = (this.costSum - this.busyWindowCost) / (now - this.busyWindowStart);
    this.busyWindowStart = now;
    this.busyWindowCost = this.costSum;
    if (busy > PRIORITY_MAX_BUSY && this.st.priority !== 'normal') {
      this.restorePriority();
      minimiseTimerSlack(); // leaving real time gives the thread the default slack again; run() restores the original
      this.st.priority = 'normal';
      this.st.priorityReason = `dropped back after ${Math.round((now - this.t0) / 100) / 10} s: sampling took ${Math.round(busy * 100)} % of the time`;
    }
  }

  private async loop(): Promise<SamplerResult> {
    const period = 1000 / this.opts.rate;
    this.t0 = performance.now();
    this.dueBase = samplingThread.dueOnCore;
    this.readBase = samplingThread.readOnCore;
    this.busyWindowStart = this.t0;
    this.st.startTime = Date.now();
    const end = this.opts.duration !== undefined ? this.t0 + this.opts.duration * 1000 : Infinity;
    let next = this.t0;
    let lastYield = this.t0;
    let lastPoll = -Infinity;
    let reason: StopReason = 'stopped';
    for (;;) {
      if (this.stopRequested) break;
      let now = performance.now();
      if (now >= end) {
        reason = 'duration';
        break;
      }
      if (this.finished()) {
        reason = 'exited';
        break;
      }
      if (this.suspendedSince) {
        // Still notice the target exiting while suspended (a debugger may let it run to its end).
        const root = this.processes.get(this.rootPid);
        if (root && !this.alive(this.rootPid)) this.processExited(this.rootPid, root);
        blockFor(MAX_BLOCK_MS);
        await yieldToEventLoop(); // the resume signal is delivered through the event loop
        lastYield = performance.now();
        next = lastYield; // resume on a fresh schedule: the pause is not a backlog of missed ticks
        continue;
      }
      const deadline = Math.min(next, end);
      const wait = deadline - now;
      if (wait > 0) {
        if (now - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
          continue;
        }
        if (wait > MAX_BLOCK_MS) {
          blockFor(MAX_BLOCK_MS); // long waits in slices, so signals and stop() are seen between them
          continue;
        }
        blockFor(wait);
        if (deadline >= end) continue; // loop top reports 'duration'
      }

      const tickStart = performance.now();
      const lag = tickStart - next;
      this.lagSum += lag;
      if (lag > this.st.maxLagMs) this.st.maxLagMs = lag;
      samplingThread.beginTick(next);
      this.sampleAll();
      if (this.execed.size > 0) this.followExecs();
      now = performance.now();
      this.costSum += now - tickStart;
      this.st.ticks++;
      this.checkPriority(now);
      this.steering?.afterTick(now);

      if (this.tracker && now - lastPoll >= SUBPROCESS_POLL_MS) {
        lastPoll = now;
        this.pollSubprocesses();
        now = performance.now();
      } else if (!this.tracker && now - lastPoll >= CHILD_CHECK_MS) {
        lastPoll = now;
        this.noteChildren();
        now = performance.now();
      }

      next += nextGap(period);
      if (now - next > Math.max(period, CATCH_UP_MS)) {
        const missed = Math.floor((now - next) / period);
        this.st.missedTicks += missed;
        next += missed * period;
      }
      if (now - lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    return { reason, stats: this.stats, exitedPids: [...this.exited] };
  }

  /** The root exited; under a non-Python tree root: it and every process followed have. */
  private finished(): boolean {
    if (this.treeRoot === undefined) return !this.processes.has(this.rootPid) && !this.execed.has(this.rootPid);
    return this.processes.size === 0 && this.execed.size === 0 && !this.alive(this.treeRoot);
  }

  /** Closes every attached process handle (the root too). Call once after run(). */
  close(): void {
    for (const p of this.processes.values()) {
      try {
        p.close();
      } catch {
        /* already closed */
      }
    }
    this.processes.clear();
    this.sampledChanged = true;
  }

  private setProcess(pid: number, proc: TargetProcess): void {
    this.processes.set(pid, proc);
    this.sampledChanged = true;
  }

  private deleteProcess(pid: number): void {
    this.processes.delete(pid);
    this.sampledChanged = true;
  }

  private sampleAll(): void {
    if (this.sampledChanged) {
      this.sampled = [...this.processes.values()];
      this.sampledChanged = false;
    }
    const sampled = this.sampled;
    for (let i = 0; i < sampled.length; i++) {
      const proc = sampled[i];
      const pid = proc.info.pid;
      if (this.processes.get(pid) !== proc) continue; // left the map during this tick
      let snap: Snapshot;
      try {
        snap = proc.snapshot(this.snapshotOptions);
      } catch (e) {
        const gone = e instanceof EngineError && (e.code === 'PROCESS_EXITED' || e.code === 'NO_SUCH_PROCESS');
        if (gone || !this.alive(pid)) {
          this.processExited(pid, proc);
        } else if (this.attachFn && proc.addressSpaceChanged?.()) {
          // exec: the reads failed because the program we attached to is gone from this pid
          this.deleteProcess(pid);
          try { proc.close(); } catch { /* nothing to release */ }
          this.execed.set(pid, { since: performance.now(), lastTry: 0, reported: false });
        } else {
          this.st.errors++;
          this.hooks.onError?.(pid, e);
        }
        continue;
      }
      this.st.samples++;
      const threads = selectThreads(snap.threads, this.opts);
      if (threads.length === 0) this.st.emptySamples++;
      if (!anyHoldsGil(snap.threads)) this.st.samplesWithoutGilHolder++;
      // only the default filter's note uses it; with --idle or --gil asking `active` would read
      // /proc for every thread until a running one (200 mostly idle threads: ~200 reads a sample)
      if (!this.opts.idle && !this.opts.gil && !anyActive(snap.threads)) this.st.samplesWithoutActiveThread++;
      this.hooks.onSnapshot?.(pid, threads === snap.threads ? snap : { time: snap.time, threads: threads as ThreadStack[], pausedAfterTorn: snap.pausedAfterTorn }, proc, snap);
    }
  }

  private processExited(pid: number, proc: TargetProcess): void {
    this.deleteProcess(pid);
    this.exited.push(pid);
    try {
      proc.close();
    } catch {
      /* nothing to release */
    }
    this.hooks.onProcessExited?.(pid);
  }

  /** Attaches to the new interpreter of processes that exec'd; notes those that stay non-Python. */
  private followExecs(): void {
    const now = performance.now();
    for (const [pid, st] of this.execed) {
      if (now - st.lastTry < (now - st.since < 1000 ? EXEC_RETRY_FAST_MS : EXEC_RETRY_SLOW_MS)) continue;
      st.lastTry = now;
      if (!this.alive(pid)) {
        this.execed.delete(pid);
        this.exited.push(pid);
        this.hooks.onProcessExited?.(pid);
        continue;
      }
      const atMs = Math.round(st.since - this.t0);
      let executable = '';
      try { executable = executableOf(pid); } catch { /* exited meanwhile: seen next try */ }
      try {
        const proc = tryAttach(pid, this.attachFn!, () => undefined);
        if (!proc) continue; // the new interpreter is still initialising
        this.execed.delete(pid);
        this.setProcess(pid, proc);
        this.hooks.onExec?.(pid, { executable, atMs, followed: proc });
      } catch (e) {
        const notPython = e instanceof EngineError && (e.code === 'NOT_PYTHON' || e.code === 'UNSUPPORTED_VERSION');
        if (!st.reported && ((notPython && now - st.since > EXEC_NOT_PYTHON_MS) || now - st.since > EXEC_REPORT_MS)) {
          st.reported = true;
          this.hooks.onExec?.(pid, { executable, atMs, reason: e instanceof Error ? e.message : String(e) });
        }
      }
    }
  }

  /** Counts the root's descendants we are not following, so the profile can say they exist. */
  private noteChildren(): void {
    try {
      for (const pid of descendants(this.rootPid)) this.childrenSeen.add(pid);
    } catch {
      return; // the tree changed under the scan: next time
    }
    this.st.unfollowedChildren = this.childrenSeen.size;
  }

  private pollSubprocesses(): void {
    if (!this.tracker) return;
    let found: TargetProcess[];
    try {
      found = this.tracker.poll(new Set([...this.processes.keys(), ...this.execed.keys()]));
    } catch {
      return; // /proc scan raced with exiting processes: try again next poll
    }
    for (const p of found) {
      this.setProcess(p.info.pid, p);
      this.hooks.onProcessAdded?.(p);
    }
  }

}
