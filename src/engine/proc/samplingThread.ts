// The sampling thread's own scheduler figures, which the on-core check (proc/onCore.ts) compares a
// program's thread with: the instant the sampler arrived on its core this tick, in the scheduler's
// clock; whether it runs at real-time priority; its share of a core. One thread samples every
// process, so these are read at most once a tick, whatever the number of processes.
//
// The arrival. /proc/thread-self/sched gives the sampler's se.exec_start, which the kernel sets when
// the thread arrives on a core, but moves on at every scheduler tick while it runs (250 Hz here: one
// tick inside a 160 µs sample in ~4 %), and with it se.sum_exec_runtime, by the same amount when the
// thread ran all along (real-time priority: nothing takes its core). The runtime at arrival is the
// runtime at the end of the last tick, unchanged until the kernel next updates it, so schedstat's
// first field (the runtime as last updated, not brought up to date: unlike CLOCK_THREAD_CPUTIME_ID,
// reading it does not move exec_start) read first thing in the tick is that runtime, and
//   arrival = exec_start - (sum_exec_runtime - runtime read first thing)
// exactly, ticks or not. Measured in the accuracy suite's processes case (2 cores, 1 kHz, CPython
// 3.7): 5 % of the threads the sampler displaced had left their core up to 200 µs before its
// exec_start, and were read as waiting, not on a core (their share of samples 2-6 % below their
// CPU time).
//
// The first read costs one pread (~1.2 µs), and is made only in ticks after one that needed the
// arrival (a thread of the program found in state R and off its core: the machine is contended), so
// an uncontended recording reads nothing. Without it (the first tick of a contended spell, or a
// reader that does not mark ticks) the arrival is exec_start, as before.
import * as fs from 'fs';
import { closeQuietly } from './procfs';
import { ON_CORE, SwitchRing } from '../native/switchRing';
import { loadLibc } from '../native/libc';

/** The sampler's own sched is read to its policy line (~line 20). */
const OWN_SCHED_BYTES = 2048;
const POLICY = Buffer.from('\npolicy');
const EXEC_START = Buffer.from('se.exec_start');
const SUM_EXEC_RUNTIME = Buffer.from('se.sum_exec_runtime');
/** The sampler's share of a core is measured over at least this wall time (ms), then smoothed. */
const SHARE_WINDOW_MS = 100;

export class SamplingThread {
  private readonly own = Buffer.alloc(OWN_SCHED_BYTES);
  private readonly stat = Buffer.alloc(64);
  private schedFd = -1;
  private schedstatFd = -1;
  private tick = 0;
  /** the tick whose figures below were read (-1: none yet) */
  private readTick = -1;
  /** the tick that needed the arrival: the next one reads the runtime first thing */
  private wantedTick = -2;
  /** the runtime (ns) read first thing in this tick; -1 when not read */
  private runtimeAtStart = -1;
  /** se.exec_start (ns) of this tick's read */
  execStart = -1;
  /** the core it runs on, read with it (sched_getcpu; -1 when unknown) */
  cpu = -1;
  /** the arrival on its core this tick (ns, the scheduler's clock); exact when `exactArrival` */
  arrival = -1;
  /** `arrival` was derived from the runtime read first thing, not taken from exec_start */
  exactArrival = false;
  /** the sampler runs at real-time priority (SCHED_FIFO / SCHED_RR) */
  realtime = false;
  /** the sampler thread's share of a core: the fraction of an interval it keeps a displaced thread off */
  share = 0;
  private shareRuntime = -1;
  private shareAt = 0;
  /** files read (one syscall each); the on-core check counts its sched reads among its own (proc/onCore.ts) */
  reads = 0;
  /** its own switch records (native/switchRing.ts): undefined until first wanted, null when refused */
  private ring: SwitchRing | null | undefined;
  /** the tick whose share was measured by shareThisTick */
  private shareTick = -1;
  /** from its switch records (arrivalAt): the core it is on and when it arrived there (CLOCK_MONOTONIC ns) */
  ringCpu = -1;
  ringArrival = -1;

  /** when this tick was due (performance.now() ms; 0: not known): see dueOnCore */
  deadline = 0;
  /**
   * Threads sampled (default filter, decided by switch records) that were on a core when their tick
   * was due, and (readOnCore) those the sample found on a core when it read them, over the same
   * samples. A sampler woken a few tens of µs late finds bursts started and ended in that time
   * alike, so the two agree. A sampler the machine does not run while the program runs (two virtual
   * CPUs that the hypervisor runs on one physical CPU: measured here, a tick due inside a burst
   * woke only when the burst ended, 40-100 µs after it) reads the program off its core in most
   * samples due in its bursts: readOnCore falls short of dueOnCore by the share of its CPU time the
   * profile misses (cli/rateNotes.ts, lateSamplesNote).
   */
  dueOnCore = 0;
  readOnCore = 0;

  /**
   * A tick begins (call before any process is read), due at `deadline` (performance.now() ms): the
   * runtime is read now when the last tick needed the arrival.
   */
  beginTick(deadline = 0): void {
    this.tick++;
    this.deadline = deadline;
    this.runtimeAtStart = -1;
    if (this.wantedTick !== this.tick - 1) return;
    this.runtimeAtStart = this.ownRuntime();
  }

  /** Its runtime (ns) as the kernel last updated it: schedstat's first field, one pread; -1 if unreadable. */
  private ownRuntime(): number {
    try {
      if (this.schedstatFd < 0) this.schedstatFd = fs.openSync('/proc/thread-self/schedstat', 'r');
      const n = fs.readSync(this.schedstatFd, this.stat, 0, this.stat.length, 0);
      this.reads++;
      return schedstatField(this.stat, n, 0);
    } catch {
      return -1;
    }
  }

  /** Reads this tick's figures if not yet read; false when they cannot be read. */
  read(): boolean {
    if (this.readTick === this.tick && this.tick > 0) return this.execStart >= 0;
    this.readTick = this.tick;
    this.wantedTick = this.tick;
    try {
      if (this.schedFd < 0) this.schedFd = fs.openSync('/proc/thread-self/sched', 'r');
      const m = fs.readSync(this.schedFd, this.own, 0, OWN_SCHED_BYTES, 0);
      this.reads++;
      this.execStart = nanosAfter(this.own, m, EXEC_START);
      this.cpu = currentCpu();
      const runtime = nanosAfter(this.own, m, SUM_EXEC_RUNTIME);
      this.measureShare(runtime);
      const policy = numberAfter(this.own, m, POLICY);
      this.realtime = policy === 1 || policy === 2;
      // at real-time priority the thread ran from its arrival to exec_start without a break
      this.exactArrival = this.realtime && this.runtimeAtStart >= 0 && runtime >= this.runtimeAtStart && this.execStart >= 0;
      this.arrival = this.exactArrival ? this.execStart - (runtime - this.runtimeAtStart) : this.execStart;
    } catch {
      this.execStart = -1;
    }
    return this.execStart >= 0;
  }

  /**
   * From its own switch records: the core it was on at `t` (CLOCK_MONOTONIC ns) and its arrival
   * there, in ringCpu / ringArrival; false when they cannot say (refused, or no arrival since the
   * ring opened).
   */
  arrivalAt(t: number): boolean {
    if (this.ring === undefined) {
      let tid = 0;
      try {
        tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
      } catch {
        /* no /proc/thread-self (Linux < 3.17): no ring */
      }
      const ring = tid > 0 ? SwitchRing.open(tid) : 'no tid';
      this.ring = typeof ring === 'string' ? null : ring;
    }
    if (!this.ring || this.ring.at(t) !== ON_CORE || this.ring.time < 0) return false;
    this.ringCpu = this.ring.cpu;
    this.ringArrival = this.ring.time;
    return true;
  }

  /** Its share of a core (`share`), measured from its runtime in schedstat once a tick (one pread): what arrivalAt's users need of read(). */
  shareThisTick(): number {
    if (this.shareTick === this.tick && this.tick > 0) return this.share;
    this.shareTick = this.tick;
    this.measureShare(this.ownRuntime()); // unreadable (-1): the share stays as it was
    return this.share;
  }

  /** Updates `share` from the sampler thread's CPU time (ns) read now. */
  private measureShare(runtime: number): void {
    if (runtime < 0) return;
    const now = performance.now();
    if (this.shareRuntime < 0 || runtime < this.shareRuntime) {
      this.shareRuntime = runtime;
      this.shareAt = now;
      return;
    }
    const wall = now - this.shareAt;
    if (wall < SHARE_WINDOW_MS) return;
    const share = Math.min(1, (runtime - this.shareRuntime) / (wall * 1e6));
    this.share = this.share === 0 ? share : (this.share + share) / 2;
    this.shareRuntime = runtime;
    this.shareAt = now;
  }

  /** Closes its files and forgets its figures: the next recording starts afresh. */
  close(): void {
    if (this.schedFd >= 0) closeQuietly(this.schedFd);
    if (this.schedstatFd >= 0) closeQuietly(this.schedstatFd);
    this.schedFd = this.schedstatFd = -1;
    this.ring?.close();
    this.ring = undefined;
    this.ringCpu = this.ringArrival = -1;
    this.shareTick = -1;
    this.readTick = -1;
    this.wantedTick = -2;
    this.runtimeAtStart = this.execStart = this.arrival = -1;
    this.deadline = 0;
    this.exactArrival = false;
    this.cpu = -1;
    this.share = 0;
    this.shareRuntime = -1;
  }
}

/** The thread that samples (a process has one: every reader of thread states shares it). */
export const samplingThread = new SamplingThread();

/** [start, end) of the value after `key`'s ':' on its line (spaces trimmed); [-1, -1] if absent. */
function valueAfter(b: Buffer, n: number, key: Buffer): [number, number] {
  const k = b.indexOf(key);
  if (k < 0 || k >= n) return [-1, -1];
  let i = b.indexOf(0x3a, k + key.length); // ':'
  if (i < 0 || i >= n) return [-1, -1];
  i++;
  while (i < n && b[i] === 0x20) i++;
  let e = i;
  while (e < n && b[e] !== 0x0a) e++;
  return e < n && e > i ? [i, e] : [-1, -1];
}

/** A value printed in ms with 6 decimals (sched's clocks: "15102974.076202"), in ns; -1 if absent. */
export function nanosAfter(b: Buffer, n: number, key: Buffer): number {
  const [s, e] = valueAfter(b, n, key);
  if (s < 0) return -1;
  let v = 0;
  let decimals = -1;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === 0x2e) {
      decimals = 0;
      continue;
    }
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
    if (decimals >= 0) decimals++;
  }
  return decimals === 6 ? v : decimals < 0 ? v * 1e6 : v * 10 ** (6 - decimals);
}

/** A whole number after `key`'s ':'; -1 if absent. */
export function numberAfter(b: Buffer, n: number, key: Buffer): number {
  const [s, e] = valueAfter(b, n, key);
  if (s < 0) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = b[i] - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** The core the calling thread runs on (vDSO, no syscall on x86-64); -1 when it cannot be asked. */
function currentCpu(): number {
  try {
    return loadLibc().sched_getcpu();
  } catch {
    return -1;
  }
}

/**
 * The core a thread last ran on, or whose run queue it waits in: /proc/…/stat's field 39
 * (`processor`), from its line b[0, n); -1 if absent. Fields are counted from after the comm's
 * closing parenthesis, the comm being free text.
 */
export function processorInStat(b: Buffer, n: number): number {
  let i = b.lastIndexOf(0x29, n - 1); // ')'
  if (i < 0) return -1;
  let field = 2; // the comm's field; the state, field 3, follows ") "
  let v = -1;
  for (i += 1; i < n; i++) {
    const c = b[i];
    if (c === 0x20 || c === 0x0a) {
      if (field === 39 && v >= 0) return v;
      if (c === 0x0a) break;
      field++;
      v = -1;
      continue;
    }
    if (field === 39) v = (v < 0 ? 0 : v * 10) + (c - 0x30);
  }
  return -1;
}

/** The `index`th (0-based) space-separated number of schedstat's line (b[0, n)); -1 if absent. */
export function schedstatField(b: Buffer, n: number, index: number): number {
  let field = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === 0x20) {
      if (field === index) return v;
      field++;
      continue;
    }
    if (c === 0x0a) break;
    if (field === index) v = v * 10 + (c - 0x30);
  }
  return field === index && n > 0 ? v : -1;
}
