// Whether a runnable thread (kernel state R) is on a core at the moment of the sample, or only
// waiting for one.
//
// Where perf_event_open is allowed, the kernel's own record of the thread's context switches
// answers (native/switchRing.ts): on a core at the instant the sample began if its last switch
// before then was in; displaced by the sampler if it was switched out preempted, on the sampler's
// core, at most DISPLACED_GAP_NS before the sampler's own switch in (measured on one shared core:
// 1.05 µs median, 1.3-2.3 µs at the 99th percentile of 3,000). A thread without a switch since its
// ring opened is as the /proc reads below found it then. This costs a read of shared memory, not
// the 6.6 µs of the two files, and is exact where the counters below are inferences. The rest of
// this comment is the /proc way, used where perf_event_open is refused (perf_event_paranoid > 2
// without CAP_PERFMON, container seccomp profiles) or with PYPROF_SWITCH_RECORDS=0.
//
// State R covers running and waiting alike, and under CPU contention the difference biases
// profiles: a thread that waits longer for a core, relative to its CPU time, collects more samples
// (measured: a never-sleeping process 2-4 pp below its CPU share beside a half-duty one; on 2.7's old GIL,
// threads woken for every hand-off and waiting in R). The kernel counts, per thread, the times it
// was put on a core (/proc/PID/task/TID/schedstat, third field: sched_info.pcount, counted when it
// arrives on a CPU) and the times it left one (/proc/PID/task/TID/sched, nr_switches = voluntary +
// involuntary context switches). One more arrival than departures: it is on a core now.
//
// The sampler itself takes a core when it wakes: on a machine whose cores are all busy it puts one
// running thread of the program back in the queue at that instant, and that thread would read as
// waiting in every sample (measured on 2 cores: a never-sleeping process off its core in 2,893 of
// 2,893 samples). The thread it displaced left its core in the same scheduler call that gave the
// core to the sampler: its se.exec_start (the run queue's clock, ns, set when it left) is the
// sampler's arrival. The sampler's own se.exec_start is its arrival or later (the kernel moves it on
// at ticks and when tasks wake on that core, often for a sampler at normal priority), never more
// than the time it has run since; so a runnable thread that left its core at most that long before
// the sampler's se.exec_start (the time since the sample began, plus 0.5 ms for the wake-up's latency
// and the other processes' snapshots in the same sample) counts as on a core, where it was until we
// came, provided it waits on the sampler's own core (its stat's `processor`: on Linux 6.6+ busy
// threads on the other cores are switched every few ms, inside that window). Exact equality missed
// most displaced threads with the sampler at normal priority; at real-time priority (policy 1 or 2
// in its own sched) nothing moves its exec_start but a tick, and the window let in threads that
// had only just left their core for another reason (2.7's GIL hand-offs: the never-sleeping thread
// +4.6 pp), so there the two must be equal. The tick that moves the sampler's exec_start on is
// then undone: proc/samplingThread.ts derives its exact arrival from its runtime read first thing
// in the tick (the displacements a tick hid: 3-7 % of the samples of a spinner sharing the
// sampler's core, test/integration/engine-onCore.test.ts).
//
// Counting such a displaced thread in every sample over-counts it by the time the sampler itself
// keeps it off its core: over one sampling interval T it ran T - d, d being the sampler's own run
// on that core, yet it is counted as for all of T. Measured (2 cores, 1 kHz, sampler at real-time
// priority, which wakes on its last core even with another idle): when the sampler settled on the
// core of a never-sleeping process, the process got 94-96 % of the core it got alone and 1.04-1.10
// samples per ms of its CPU time; beside a half-duty process on the other core (the accuracy
// suite's processes case) the half-duty one, whose core the sampler shared, 1.07-1.18, the other
// 0.99-1.05: acc_a's share of the samples 2-3 pp below its share of CPU time. So each count of a
// displaced thread adds d / T, the sampler thread's own share of a core (se.sum_exec_runtime in
// its sched over wall time), to that thread's debt, and once the debt reaches one sample that
// sample is not counted: the thread's count follows the CPU time it got, deterministically (error
// diffusion, no added noise).
//
// A reader's first sample has no such reference: a one-shot `dump` runs for tens of ms (start-up,
// a cold first walk) before it reads, and the thread it displaced waits all that time. There, as
// before this check existed, state R decides.
//
// Costs per runnable thread and sample: one read of schedstat (~1.2 µs) and of sched (~5.4 µs: the
// kernel formats ~30 lines), and once a sample, when a runnable thread is off its core, the
// sampler's own sched; threads not in state R read nothing more (measured: a spinning process's
// state read 2.35 -> 15.7 µs CPU). Where either file is missing (a kernel without CONFIG_SCHED_INFO /
// CONFIG_SCHED_DEBUG), state R decides alone.
import * as fs from 'fs';
import { closeQuietly, processState } from './procfs';
import { nanosAfter, numberAfter, processorInStat, samplingThread, schedstatField } from './samplingThread';
import { monotonicNs, OFF_CORE, ON_CORE, SwitchRing, switchRecordsWanted, UNCHANGED } from '../native/switchRing';

/** Bytes of /proc/…/sched read: its header, se.exec_start … nr_switches are the first ~7 lines. */
const SCHED_BYTES = 640;
/** Bytes of /proc/…/stat read for its `processor` field (the 39th of 52). */
const STAT_LINE_BYTES = 512;
/** Latency allowed between the sampler's arrival on its core and the start of a sample (ns). */
const ARRIVAL_SLACK_NS = 500_000;
const EXEC_START = Buffer.from('se.exec_start');
const NR_SWITCHES = Buffer.from('\nnr_switches');
/**
 * Switch records: a thread the sampler displaced left its core (preempted) on the sampler's core at
 * most this long (ns) before the sampler arrived there. Both records are written in the same
 * scheduler call, a few µs apart (measured: see the top).
 */
const DISPLACED_GAP_NS = 50_000;
/** Switch rings kept open at once, across readers (one fd and 8 KiB of locked memory each). */
const MAX_RINGS = 256;
let ringsOpen = 0;

/** Threads found displaced by the sampling thread, in this process (native/coreSteering.ts moves it away). */
let displacements = 0;
export function displacementsFound(): number {
  return displacements;
}

interface Files {
  /** /proc files, opened when first needed (-1: not yet; stat: only for displacedBySampler's window) */
  sched: number;
  schedstat: number;
  stat: number;
  /** the thread's switch records (native/switchRing.ts): undefined until tried, null when not to be had */
  ring: SwitchRing | null | undefined;
  /** with a ring: the /proc reads after it opened found the thread on a core (no switch since: still so) */
  procOnCore: boolean;
  /** when the ring opened (performance.now()): it says nothing of the time before */
  ringSince: number;
  /** watched(): the thread was blocked (not in state R) just after its ring opened */
  blockedAtOpen: boolean;
  /** samples counted while the sampler kept the thread off its core, not yet paid back (see the top) */
  debt: number;
}

export class OnCoreCheck {
  private readonly files = new Map<number, Files>();
  private readonly buf = Buffer.alloc(SCHED_BYTES);
  private readonly stat = Buffer.alloc(64);
  /** a thread's /proc/…/stat line, to its `processor` field (39th; ~250 bytes for long comms and counters) */
  private readonly statLine = Buffer.alloc(STAT_LINE_BYTES);
  /** when the sample began (performance.now(), ms) */
  private sampleStart = 0;
  /** samples begun: the first one keeps state R (see the top) */
  private samples = 0;
  /** this kernel does not show the counters: state R alone decides */
  unavailable = false;
  /** files read (benchmarks: one syscall each) */
  reads = 0;
  /** why switch records are not used for this process (the errno the kernel gave), or '' */
  ringsRefused = switchRecordsWanted() ? '' : 'PYPROF_SWITCH_RECORDS=0';
  /** checks answered from switch records alone, without /proc (benchmarks, tests) */
  ringAnswers = 0;
  /**
   * The last onCoreByRecords answer was false only to pay back the sampler's own time (see the top):
   * the thread was on a core but for the sampler, which the late-sample tally counts as found.
   */
  paidBack = false;

  constructor(private readonly pid: number) {}

  /** A new sample of this process (proc/samplingThread.ts reads the sampler's own figures once a tick). */
  beginSample(): void {
    this.sampleStart = performance.now();
    this.samples++;
  }

  /**
   * For a thread in state R: true when it is on a core (or was, until the sampler took it). With
   * `stillRunnable` (its state read again), asked after its stack was read: a thread off its core
   * and no longer in R then counts, as it left its core since (native/threadStates.ts, wasOnCore).
   */
  onCore(tid: number, stillRunnable?: (tid: number) => boolean, askedAt?: number): boolean {
    if (this.samples < 2) return true;
    const f = this.filesOf(tid);
    if (f.ring) {
      // Switch records answer for the instant the thread's state was asked (`askedAt`), else the
      // sample's start: state R and a place on a core at one moment. Asked at the sample's start
      // while the state was read later, a burst starting or ending between the two counted as
      // neither (the accuracy suite's flicker case, 0.15-0.3 ms bursts: 0.86-0.98 samples per
      // interval of CPU time on 3.6-3.13 against 0.93-1.05 through /proc, CI runs 11-13 and 16).
      const state = f.ring.at(monotonicNs(askedAt ?? this.sampleStart));
      if (state === ON_CORE || (state !== OFF_CORE && f.procOnCore)) {
        this.ringAnswers++;
        return true;
      }
      if (state === OFF_CORE) {
        this.ringAnswers++;
        return this.displacedPerRecords(f.ring) ? this.countDisplaced(f) : false;
      }
    }
    if (this.unavailable) return true;
    try {
      if (f.sched < 0) f.sched = fs.openSync(`/proc/${this.pid}/task/${tid}/sched`, 'r');
      if (f.schedstat < 0) f.schedstat = fs.openSync(`/proc/${this.pid}/task/${tid}/schedstat`, 'r');
      // departures first, then arrivals: a switch between the two reads errs towards "on a core"
      const n = fs.readSync(f.sched, this.buf, 0, SCHED_BYTES, 0);
      const departures = numberAfter(this.buf, n, NR_SWITCHES);
      const arrivals = schedstatField(this.stat, fs.readSync(f.schedstat, this.stat, 0, this.stat.length, 0), 2);
      this.reads += 2;
      if (departures < 0 || arrivals < 0 || (arrivals === 0 && departures > 0)) {
        this.unavailable = true; // not this kernel's format, or sched_info off ("0 0 0")
        return true;
      }
      f.procOnCore = arrivals > departures;
      if (arrivals > departures) return true;
      if (stillRunnable && !stillRunnable(tid)) return true;
      if (!this.displacedBySampler(n, f, tid)) return false;
      return this.countDisplaced(f);
    } catch (e) {
      this.forget(tid);
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && fs.existsSync(`/proc/${this.pid}/task/${tid}`)) this.unavailable = true; // no such file on this kernel
      return true; // gone meanwhile, or unreadable: state R decides
    }
  }

  /**
   * Switch records alone: whether the thread was on a core at `ms` (performance.now()), a thread the
   * sampler displaced counting as onCore() counts it; undefined when its ring cannot say (none, or
   * opened after `ms`, no switch since it opened, the thread has ended, or this is the first
   * sample). For the walker's default filter, which then reads no run state at all (cpython/walker.ts).
   */
  onCoreByRecords(tid: number, ms: number): boolean | undefined {
    this.paidBack = false;
    const ring = this.answeringRing(tid, ms);
    if (!ring) return undefined;
    const state = ring.at(monotonicNs(ms));
    if (state === UNCHANGED) return undefined;
    this.ringAnswers++;
    if (state === ON_CORE) return true;
    if (!this.displacedPerRecords(ring)) return false;
    const counted = this.countDisplaced(this.files.get(tid)!);
    this.paidBack = !counted;
    return counted;
  }

  /**
   * Switch records alone, before a read: whether the thread may be on a core at `ms` (on one, or
   * switched out preempted: perhaps by the sampler); undefined when its ring cannot say. Nothing is
   * counted: onCoreByRecords decides.
   */
  mayBeOnCore(tid: number, ms: number): boolean | undefined {
    const ring = this.answeringRing(tid, ms);
    if (!ring) return undefined;
    const state = ring.at(monotonicNs(ms));
    return state === UNCHANGED ? undefined : state === ON_CORE || ring.preempted;
  }

  /**
   * Switch records alone: whether the thread was on a core at `ms` (performance.now()), nothing
   * counted and no displacement asked (the walker's late-sample tally); undefined when its ring
   * cannot say. One look at the newest record when it has not switched since.
   */
  wasOnCoreAt(tid: number, ms: number, onCoreSince: boolean): boolean | undefined {
    const ring = this.answeringRing(tid, ms);
    if (!ring) return undefined;
    const t = monotonicNs(ms);
    if (ring.unchangedSince(t)) return onCoreSince;
    const state = ring.at(t);
    return state === UNCHANGED ? undefined : state === ON_CORE;
  }

  private answeringRing(tid: number, ms: number): SwitchRing | undefined {
    if (this.samples < 2 || this.ringsRefused) return undefined;
    const f = this.filesOf(tid);
    return f.ring && f.ringSince < ms && !f.ring.ended() ? f.ring : undefined;
  }

  /** The thread's entry, its switch ring opened (when it can be) on first use. */
  private filesOf(tid: number): Files {
    let f = this.files.get(tid);
    if (!f) {
      f = { sched: -1, schedstat: -1, stat: -1, ring: undefined, procOnCore: false, ringSince: 0, blockedAtOpen: false, debt: 0 };
      this.files.set(tid, f);
    }
    if (f.ring === undefined) {
      f.ringSince = performance.now();
      f.ring = this.openRing(tid);
    }
    return f;
  }

  /**
   * Opens the thread's switch ring now if it can be had: call before reading its run state, which
   * then holds while unchangedSince says so.
   */
  watch(tid: number): void {
    if (!this.ringsRefused) this.filesOf(tid);
  }

  /**
   * Whether thread `tid` has had no context switch since `ms` (performance.now()), per its switch
   * ring (watch opened it before then); false when it has none.
   */
  unchangedSince(tid: number, ms: number): boolean {
    const f = this.files.get(tid);
    return f?.ring ? f.ringSince < ms && f.ring.unchangedSince(monotonicNs(ms)) : false;
  }

  /**
   * Opens the thread's switch ring if it has none (when it can be had); whether it had one
   * already, open since before this call.
   */
  watched(tid: number): boolean {
    const had = this.files.get(tid)?.ring;
    if (!had && !this.ringsRefused) {
      const f = this.filesOf(tid);
      // a thread blocked since before its ring opened never shows a record: one read says so
      if (f.ring) f.blockedAtOpen = processState(this.pid, tid) !== 'R';
    }
    return !!had;
  }

  /**
   * Whether thread `tid` was off its core at `ms` (performance.now()) and has not been switched in
   * since, per its switch ring (opened before then): it has not run since. False without a ring.
   */
  offCoreSince(tid: number, ms: number): boolean {
    const f = this.files.get(tid);
    if (!f?.ring || f.ringSince >= ms) return false;
    const t = monotonicNs(ms);
    if (!f.ring.unchangedSince(t)) return false;
    const state = f.ring.at(t);
    return state === OFF_CORE || (state !== ON_CORE && f.blockedAtOpen); // no record at all: blocked since before it opened
  }

  /** The thread has ended (its stat read failed): its ring, bound to it, would never record the next thread given its TID. */
  ended(tid: number): void {
    this.forget(tid);
  }

  /** A displaced thread counts as on a core, until its debt (see the top) reaches a sample. */
  private countDisplaced(f: Files): boolean {
    displacements++;
    f.debt += f.ring ? samplingThread.shareThisTick() : samplingThread.share;
    if (f.debt < 1) return true;
    f.debt -= 1; // the sampler's own runs on this thread's core add up to one interval: not counted
    return false;
  }

  /** The thread's ring or null: refused once for a process (permissions, kernel), never asked again. */
  private openRing(tid: number): SwitchRing | null {
    if (this.ringsRefused || ringsOpen >= MAX_RINGS) return null;
    const ring = SwitchRing.open(tid);
    if (typeof ring !== 'string') {
      ringsOpen++;
      return ring;
    }
    // a thread that ended, or no fds / locked memory left for this one: /proc for it alone; else
    // (EACCES: perf_event_paranoid, EPERM: a seccomp profile, ENOSYS, EINVAL: an older kernel) for all
    if (ring !== 'ESRCH' && ring !== 'EMFILE' && ring !== 'ENOMEM' && !ring.startsWith('mmap')) this.ringsRefused = ring;
    return null;
  }

  /**
   * Per the switch records: the thread left its core preempted, on the core the sampler is on,
   * just before the sampler arrived there (the `ring.at` record, see the top).
   */
  private displacedPerRecords(ring: SwitchRing): boolean {
    if (!ring.preempted || ring.time < 0) return false;
    const me = samplingThread;
    if (!me.arrivalAt(monotonicNs(this.sampleStart))) return false;
    const gap = me.ringArrival - ring.time;
    return ring.cpu === me.ringCpu && gap >= 0 && gap <= DISPLACED_GAP_NS;
  }

  /**
   * The thread (its sched in this.buf[0, n)) left its core when the sampler took it: in the same
   * scheduler call, so at the sampler's arrival to the nanosecond (see the top).
   */
  private displacedBySampler(n: number, f: Files, tid: number): boolean {
    const left = nanosAfter(this.buf, n, EXEC_START);
    const me = samplingThread;
    if (left < 0) return false;
    const reads = me.reads;
    const known = me.read();
    this.reads += me.reads - reads; // the sampler's own files, once a tick: counted by the process that needed them
    if (!known) return false;
    if (me.exactArrival) return left === me.arrival;
    const before = me.execStart - left;
    if (me.realtime) return before === 0;
    if (before < 0 || before > (performance.now() - this.sampleStart) * 1e6 + ARRIVAL_SLACK_NS) return false;
    // The window also lets in threads that left another core meanwhile, preempted by one of their
    // own: the scheduler of Linux 6.6+ (EEVDF) switches busy threads every few ms, and 3 spinners
    // on 2 cores read "more on a core than cores" in 41-64 of 600 samples (kernel 6.18). The
    // thread the sampler displaced waits on the sampler's core: 3.1-3.4 % of samples over, not
    // 11-12 (a probe of this rule, 1,000 samples, two runs). Unknown cores keep the window alone.
    if (me.cpu < 0) return true;
    const cpu = this.processorOf(f, tid);
    return cpu < 0 || cpu === me.cpu;
  }

  /** The core thread `tid` last ran on or waits for (its stat's `processor`); -1 when unreadable. */
  private processorOf(f: Files, tid: number): number {
    try {
      if (f.stat < 0) f.stat = fs.openSync(`/proc/${this.pid}/task/${tid}/stat`, 'r');
      const n = fs.readSync(f.stat, this.statLine, 0, this.statLine.length, 0);
      this.reads++;
      return processorInStat(this.statLine, n);
    } catch {
      return -1;
    }
  }

  /** Closes the files of threads no longer present. */
  retain(tids: ReadonlySet<number>): void {
    for (const tid of this.files.keys()) if (!tids.has(tid)) this.forget(tid);
  }

  close(): void {
    for (const tid of [...this.files.keys()]) this.forget(tid);
  }

  private forget(tid: number): void {
    const f = this.files.get(tid);
    if (!f) return;
    this.files.delete(tid);
    if (f.sched >= 0) closeQuietly(f.sched);
    if (f.schedstat >= 0) closeQuietly(f.schedstat);
    if (f.stat >= 0) closeQuietly(f.stat);
    if (f.ring) {
      f.ring.close();
      ringsOpen--;
    }
  }
}
