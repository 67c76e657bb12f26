// Each thread's kernel run state, read every sample (record and top without --idle), so it must
// cost little: the thread's /proc/PID/task/TID/stat stays open and is re-read with one pread at
// offset 0 (procfs regenerates it on every read) into a native buffer through koffi, parsed in
// place. Measured here on 200 threads: ~2.0 µs a read (of which ~1.8 µs is the kernel formatting
// the line) against ~2.4 µs through fs.readSync and ~10 µs for open+read+close.
//
// An open stat file stays bound to the thread it was opened for: once that thread has ended, every
// read fails (ESRCH), even when a new thread got the same TID. So a failed read closes the fd and
// opens the TID once more: a reused TID then reads the new thread's state, never the old one's,
// and a thread that is gone reads as not running (its state is not R), without an error.
//
// On CPU is state R and on a core (types.ts, thread states): a thread in R is asked of
// proc/onCore.ts, which reads more only for those. Where the thread's switch ring can say (onCpuAt),
// on a core means running and no state is read at all.
import * as fs from 'fs';
import { loadLibc, Libc } from './libc';
import { OnCoreCheck } from '../proc/onCore';
import { closeQuietly } from '../proc/procfs';

/** Threads whose stat file is kept open; past this many (4096-thread processes), open+read+close. */
const MAX_KEPT_FDS = 2048;
/**
 * Bytes read: the state letter follows the comm's closing ')', which ends within the first
 * 2 + 10 (tid) + 2 + 64 (the longest comm the kernel prints) bytes; the rest of the line is
 * numbers. Fewer bytes copied, and the ')' found by a short scan.
 */
const READ_BYTES = 128;
const CLOSE_PAREN = 0x29;
const STATE_RUNNING = 0x52; // 'R'
/** stateOfThread: the thread has ended (not running) */
const GONE = -1;
/** stateOfThread: no state could be read (counted as running, so that samples are kept) */
const UNKNOWN = -2;

interface Thread {
  fd: number;
  /** the state letter's byte last read (-1: none), and when it was read (performance.now()) */
  state: number;
  at: number;
  /** when its state was last asked (read, or known unchanged): the instant its on-core check is for */
  askedAt: number;
}

export class ThreadStateReader {
  private readonly threads = new Map<number, Thread>();
  private readonly libc: Libc;
  private readonly native: unknown;
  private readonly buf: Buffer;
  private closed = false;
  private readonly onCore: OnCoreCheck;
  /** stat files read (benchmarks and tests: one syscall each) */
  reads = 0;
  /** states known without a read: the thread's switch ring showed no switch since the last read */
  unchanged = 0;
  /** on-CPU answers from switch records alone, with no state asked at all (onCpuAt) */
  fromRecords = 0;

  constructor(private readonly pid: number) {
    this.onCore = new OnCoreCheck(pid);
    this.libc = loadLibc();
    const k = this.libc.koffi;
    this.native = k.alloc('uint8_t', READ_BYTES);
    this.buf = Buffer.from(k.view(this.native, READ_BYTES) as ArrayBuffer);
  }

  /** A new sample (the on-core check re-reads the sampler's own arrival on its core once). */
  beginSample(): void {
    this.onCore.beginSample();
  }

  /** /proc/…/sched and schedstat reads of the on-core check (benchmarks). */
  get onCoreReads(): number {
    return this.onCore.reads;
  }

  /**
   * For a walk that would read the thread's memory: opens its switch ring if it has none; whether
   * it had one, open since before this call (its memory, read after, can then be told unchanged).
   */
  watched(tid: number): boolean {
    return !this.closed && tid > 0 && this.onCore.watched(tid);
  }

  /** Whether the thread has not run since `ms` (performance.now()): off its core then, and not switched in since (its switch ring says; false without one). */
  notRunSince(tid: number, ms: number): boolean {
    return !this.closed && tid > 0 && this.onCore.offCoreSince(tid, ms);
  }

  /** On-core checks answered by switch records alone (native/switchRing.ts), and why none can be ('' when they can). */
  get switchRecords(): { answers: number; refused: string } {
    return { answers: this.onCore.ringAnswers, refused: this.onCore.ringsRefused };
  }

  /**
   * True when the thread is on CPU (types.ts, thread states): in state R and on a core, not waiting
   * for one (proc/onCore.ts). A thread that is gone is not (false); one whose state cannot be read
   * for another reason (no such tid known, permissions, no fd left) counts as active, so its
   * samples are kept rather than lost.
   */
  isActive(tid: number): boolean {
    const now = this.onCpuAt(tid, performance.now()); // where the switch ring can say: no read
    if (now !== undefined) return now;
    const state = this.stateOfThread(tid);
    if (state === UNKNOWN) return true;
    return state === STATE_RUNNING && this.onCore.onCore(tid, undefined, this.threads.get(tid)?.askedAt);
  }

  /**
   * The first half of isActive, for a sample that reads the stack in between (the walker's default
   * filter): whether the thread is in state R now (or its state is unknown, as for isActive). Its
   * memory is read next, and wasOnCore decides after it: the on-core check's two files cost 7 µs
   * warm and up to 140 µs after a 10 ms sleep, too long a gap between a state and a stack
   * (cpython/walker.ts, checkedThread).
   */
  isRunnable(tid: number): boolean {
    const state = this.stateOfThread(tid);
    return state === STATE_RUNNING || state === UNKNOWN;
  }

  /**
   * After isRunnable said R and the stack was read: whether the thread was on a core then. Either it
   * is on one now, or it left its core since: a thread no longer in R ran after the state was read (a
   * waiting thread cannot block or exit without running), so it was on a core then, barring a wait,
   * a run and a block all within that window; one still in R but off its core is waiting, or was
   * displaced by the sampler (proc/onCore.ts).
   */
  wasOnCore(tid: number): boolean {
    if (this.closed || tid <= 0) return true;
    // switch records answer for the instant its state was asked: state and place at one moment
    return this.onCore.onCore(tid, this.stillRunnable, this.threads.get(tid)?.askedAt);
  }

  private readonly stillRunnable = (tid: number): boolean => this.isRunnable(tid);

  /**
   * Where the thread's switch ring can say (proc/onCore.ts): whether it was on CPU at `ms`
   * (performance.now()), with no read at all: on a core means running. Undefined where it cannot:
   * then isRunnable and wasOnCore decide.
   */
  onCpuAt(tid: number, ms: number): boolean | undefined {
    if (this.closed || tid <= 0) return undefined;
    const onCpu = this.onCore.onCoreByRecords(tid, ms) ?? (this.blockedSince(tid, ms) ? false : undefined);
    if (onCpu !== undefined) this.fromRecords++;
    return onCpu;
  }

  /**
   * After mayBeOnCpu(tid, ms) said no: whether it is still off CPU, its ring showing no switch since
   * `ms` (one record looked at, where onCpuAt would look again at what mayBeOnCpu saw). Counted as
   * an answer from records.
   */
  stillOffCpu(tid: number, ms: number): boolean {
    if (this.closed || !this.onCore.unchangedSince(tid, ms)) return false;
    this.fromRecords++;
    return true;
  }

  /**
   * Where the thread's switch ring can say: whether it was on a core at `ms` (performance.now()),
   * given whether it is on one now (`onCoreNow`: the answer when it has not switched since).
   * Nothing is counted (cpython/walker.ts, the late-sample tally).
   */
  wasOnCoreAt(tid: number, ms: number, onCoreNow: boolean): boolean | undefined {
    if (this.closed || tid <= 0) return undefined;
    return this.onCore.wasOnCoreAt(tid, ms, onCoreNow);
  }

  /** The last onCpuAt answered false only to pay back the sampler's own time on the thread's core (proc/onCore.ts, paidBack). */
  get paidBack(): boolean {
    return this.onCore.paidBack;
  }

  /** Before a read, where the thread's switch ring can say: whether it may be on CPU at `ms` (onCpuAt decides). */
  mayBeOnCpu(tid: number, ms: number): boolean | undefined {
    if (this.closed || tid <= 0) return undefined;
    return this.onCore.mayBeOnCore(tid, ms) ?? (this.blockedSince(tid, ms) ? false : undefined);
  }

  /**
   * A thread with no switch since its ring opened (a long sleeper: the ring alone cannot say) whose
   * last stat read, after the ring opened, found it not running, and no switch since: off its core
   * from that read until now (a wake-up leaves it waiting for a core, reached only by a recorded
   * switch), so at `ms` too when that is later than the read.
   */
  private blockedSince(tid: number, ms: number): boolean {
    const t = this.threads.get(tid);
    return t !== undefined && t.state >= 0 && t.state !== STATE_RUNNING && t.at <= ms && this.onCore.unchangedSince(tid, t.at);
  }

  /**
   * The thread's state letter's byte, GONE when it has ended, UNKNOWN when it cannot be read. A
   * thread switched neither in nor out since its last read (its switch ring says, proc/onCore.ts)
   * is as it was then, and is not read again: a run state changes only at a switch, but for a
   * wake-up, which leaves a sleeping thread in R off its core, not on CPU either way (its next
   * switch in is recorded). A running thread's state then costs no syscall at all.
   */
  private stateOfThread(tid: number): number {
    if (this.closed || tid <= 0) return UNKNOWN; // asked after detaching (a snapshot kept for later), or no tid
    const t = this.threads.get(tid);
    if (t !== undefined) {
      const asked = performance.now();
      if (t.state >= 0 && this.onCore.unchangedSince(tid, t.at)) {
        this.unchanged++;
        t.askedAt = asked;
        return t.state;
      }
      const state = this.stateOf(t.fd);
      if (state >= 0) {
        t.state = state;
        t.at = t.askedAt = asked;
        return state;
      }
      // that thread ended: forget its fd and ring; the TID may already name a new thread (read below)
      this.forget(tid, t);
    }
    return this.openAndRead(tid);
  }

  /** Closes fds of threads no longer present. */
  retain(tids: ReadonlySet<number>): void {
    this.onCore.retain(tids);
    for (const [tid, t] of this.threads) if (!tids.has(tid)) this.forget(tid, t);
  }

  /** Stat files kept open (tests). */
  get openFiles(): number {
    return this.threads.size;
  }

  close(): void {
    this.closed = true;
    this.onCore.close();
    for (const [tid, t] of this.threads) this.forget(tid, t);
  }

  private openAndRead(tid: number): number {
    let fd: number;
    try {
      fd = fs.openSync(`/proc/${this.pid}/task/${tid}/stat`, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ESRCH' ? GONE : UNKNOWN;
    }
    const keep = this.threads.size < MAX_KEPT_FDS;
    if (keep) this.onCore.watch(tid); // its ring before its state: a switch after the read is recorded
    const at = performance.now();
    const state = this.stateOf(fd);
    if (state >= 0 && keep) this.threads.set(tid, { fd, state, at, askedAt: at });
    else {
      closeQuietly(fd);
      if (keep) this.onCore.ended(tid);
    }
    return state < 0 ? GONE : state; // a failed first read: it ended meanwhile
  }

  /** The state letter's byte, or -1 when the read failed (the thread ended). */
  private stateOf(fd: number): number {
    const n = this.libc.pread(fd, this.native, READ_BYTES, 0);
    if (n <= 0) return -1;
    this.reads++;
    const b = this.buf;
    for (let i = n - 1; i > 0; i--) if (b[i] === CLOSE_PAREN) return i + 2 < n ? b[i + 2] : -1;
    return -1;
  }

  private forget(tid: number, t: Thread): void {
    this.threads.delete(tid);
    closeQuietly(t.fd);
    this.onCore.ended(tid);
  }
}
