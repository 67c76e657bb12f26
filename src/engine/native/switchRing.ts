// One thread's context switches as the kernel records them, read without a syscall: a perf event
// that counts nothing (software "dummy") but asks for context-switch records (PERF_RECORD_SWITCH,
// Linux 4.3+) of that thread, each with its time (CLOCK_MONOTONIC, ns) and core. The ring is mapped
// read-only and written backwards, so the kernel overwrites the oldest records and the newest is
// always at the head: whether the thread was on a core at any instant of the last few hundred
// switches is a read of a few words of shared memory.
//
// Why: the on-core check (proc/onCore.ts) otherwise reads two /proc files per runnable thread and
// sample (~6.6 µs, the kernel formatting ~30 lines of sched), and infers from counters; here it
// costs ~0.1 µs and is exact to the nanosecond, including a thread that the sampler itself took the
// core from (its switch out, preempted, on the sampler's core just before the sampler's switch in).
//
// perf_event_open is refused where perf_event_paranoid > 2 (Debian's and Ubuntu's default for
// users without CAP_PERFMON) and by container seccomp profiles; locked ring memory is limited per
// user (perf_event_mlock_kb, 516 KiB: ~60 rings of 8 KiB). Then, or with PYPROF_SWITCH_RECORDS=0,
// the on-core check reads /proc as before.
import * as fs from 'fs';
import { performance } from 'perf_hooks';
import { loadLibc } from './libc';

const PAGE = 4096;
/** The ring's data: 128 records of 32 bytes (a page: the user's locked-memory allowance goes far). */
const DATA = PAGE;
const MASK = DATA - 1;
/** perf_event_mmap_page.data_head (u64, decreasing from 0 in a backward ring) */
const DATA_HEAD = 1024;
const ATTR_SIZE = 128; // PERF_ATTR_SIZE_VER7
const PERF_TYPE_SOFTWARE = 1;
const PERF_COUNT_SW_DUMMY = 9;
const SAMPLE_TID = 1n << 1n, SAMPLE_TIME = 1n << 2n, SAMPLE_CPU = 1n << 7n;
const EXCLUDE_KERNEL = 1n << 5n, EXCLUDE_HV = 1n << 6n, TASK = 1n << 13n, SAMPLE_ID_ALL = 1n << 18n, USE_CLOCKID = 1n << 25n, CONTEXT_SWITCH = 1n << 26n, WRITE_BACKWARD = 1n << 27n;
const CLOCK_MONOTONIC = 1;
const PERF_FLAG_FD_CLOEXEC = 8;
const PROT_READ = 1, MAP_SHARED = 1;
const RECORD_EXIT = 4;
const RECORD_SWITCH = 14;
/** header (8) + sample_id: pid/tid (8), time (8), cpu/res (8) */
const SWITCH_BYTES = 32;
const MISC_SWITCH_OUT = 0x2000;
/** Linux 4.17+: it left its core still runnable (preempted), not to wait for something */
const MISC_SWITCH_OUT_PREEMPT = 0x4000;

/** ring.at(): the thread was on a core */
export const ON_CORE = 1;
/** ring.at(): it was off its core (waiting for one, or blocked) */
export const OFF_CORE = 2;
/** ring.at(): no switch since the ring opened: as it was then */
export const UNCHANGED = 0;

const ERRNO_TEXT: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 12: 'ENOMEM', 13: 'EACCES', 22: 'EINVAL', 24: 'EMFILE', 38: 'ENOSYS', 95: 'EOPNOTSUPP' };

/** Whether switch records are wanted at all (PYPROF_SWITCH_RECORDS=0: the /proc reads only; libc.ts knows the syscall's number on these two). */
export function switchRecordsWanted(): boolean {
  return process.env.PYPROF_SWITCH_RECORDS !== '0' && (process.arch === 'x64' || process.arch === 'arm64');
}

let msToMonotonic = NaN;
/** CLOCK_MONOTONIC in ns at performance.now() `ms` (both count from the same clock, from different origins). */
export function monotonicNs(ms: number): number {
  if (Number.isNaN(msToMonotonic)) msToMonotonic = monotonicOffsetMs();
  return (ms + msToMonotonic) * 1e6;
}

/**
 * The origin of performance.now() on CLOCK_MONOTONIC (ms), from the tightest of a few bracketed
 * readings: the first calls of either clock take tens of µs, and an offset taken from them put
 * the sampler's own switch-in records up to 40 µs in its future.
 */
function monotonicOffsetMs(): number {
  let best = Infinity, offset = 0;
  for (let i = 0; i < 20; i++) {
    const before = performance.now();
    const mono = Number(process.hrtime.bigint()) / 1e6;
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      offset = mono - (before + after) / 2;
    }
  }
  return offset;
}

export class SwitchRing {
  /** of the record at() decided by: its time (CLOCK_MONOTONIC ns; -1 when inferred) and core */
  time = -1;
  cpu = -1;
  /** it left its core preempted (still runnable), per that record */
  preempted = false;
  private readonly view: Buffer;
  private closed = false;

  private constructor(private readonly fd: number, private readonly map: unknown) {
    this.view = Buffer.from(loadLibc().koffi.view(map, PAGE + DATA) as ArrayBuffer);
  }

  /**
   * Opens the ring of thread `tid` (any process's, as far as perf_event_paranoid and ptrace
   * permissions allow); the errno's name when the kernel refuses (`mmap …` when it refused the map).
   */
  static open(tid: number): SwitchRing | string {
    const libc = loadLibc();
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(PERF_TYPE_SOFTWARE, 0);
    attr.writeUInt32LE(ATTR_SIZE, 4);
    attr.writeBigUInt64LE(BigInt(PERF_COUNT_SW_DUMMY), 8);
    attr.writeBigUInt64LE(SAMPLE_TID | SAMPLE_TIME | SAMPLE_CPU, 24);
    // TASK: the thread's exit is recorded too (PERF_RECORD_EXIT), so that a ring whose thread has
    // ended never reads as a thread that has not run since (native/threadStates.ts, the walker)
    attr.writeBigUInt64LE(EXCLUDE_KERNEL | EXCLUDE_HV | TASK | SAMPLE_ID_ALL | USE_CLOCKID | CONTEXT_SWITCH | WRITE_BACKWARD, 40);
    attr.writeInt32LE(CLOCK_MONOTONIC, 92);
    const fd = libc.perf_event_open(attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) return errnoName(libc.errno());
    const map = libc.mmap(PAGE + DATA, PROT_READ, MAP_SHARED, fd);
    if (!map) {
      const e = `mmap ${errnoName(libc.errno())}`; // EPERM: the user's locked-memory allowance is spent
      fs.closeSync(fd);
      return e;
    }
    return new SwitchRing(fd, map);
  }

  /**
   * Whether the thread was on a core at `t` (CLOCK_MONOTONIC ns): the newest record at or before
   * `t` says (this.time/cpu/preempted: that record's); when every record held is later, the one
   * before the oldest of them (time -1), if the ring still holds every record since it opened;
   * UNCHANGED when there is none since then.
   */
  at(t: number): number {
    if (this.closed) return UNCHANGED;
    const v = this.view;
    const lo = v.readUInt32LE(DATA_HEAD), hi = v.readUInt32LE(DATA_HEAD + 4);
    if (lo === 0 && hi === 0) return UNCHANGED;
    // bytes written since the ring opened (the head counts down from 0)
    const written = hi === 0xffffffff ? 2 ** 32 - lo : Infinity;
    const held = Math.min(written, DATA);
    let pos = lo & MASK;
    let oldest = UNCHANGED;
    for (let scanned = 0; scanned + 8 <= held; ) {
      const size = v.readUInt16LE(PAGE + ((pos + 6) & MASK));
      if (size < 8 || (size & 7) !== 0 || scanned + size > held) break; // being overwritten, or not a record
      if (v.readUInt32LE(PAGE + pos) === RECORD_SWITCH && size >= SWITCH_BYTES) {
        const misc = v.readUInt16LE(PAGE + ((pos + 4) & MASK));
        const time = v.readUInt32LE(PAGE + ((pos + 16) & MASK)) + v.readUInt32LE(PAGE + ((pos + 20) & MASK)) * 2 ** 32;
        const state = misc & MISC_SWITCH_OUT ? OFF_CORE : ON_CORE;
        if (time <= t) {
          this.time = time;
          this.cpu = v.readUInt32LE(PAGE + ((pos + 24) & MASK));
          this.preempted = (misc & MISC_SWITCH_OUT_PREEMPT) !== 0;
          return state;
        }
        oldest = state;
      }
      pos = (pos + size) & MASK;
      scanned += size;
    }
    this.time = this.cpu = -1;
    this.preempted = false;
    if (oldest === UNCHANGED || written > DATA) return UNCHANGED;
    return oldest === ON_CORE ? OFF_CORE : ON_CORE; // before switching in it was off its core, and the reverse
  }

  /**
   * Whether the thread has not been switched in or out since `t` (CLOCK_MONOTONIC ns), this ring
   * open since before then: its run state cannot have changed since, but for a wake-up (a thread
   * woken waits in state R, off its core, until it is switched in). False once it has ended (its
   * exit is the newest record).
   */
  unchangedSince(t: number): boolean {
    if (this.closed) return false;
    const v = this.view;
    const lo = v.readUInt32LE(DATA_HEAD), hi = v.readUInt32LE(DATA_HEAD + 4);
    if (lo === 0 && hi === 0) return true;
    const pos = lo & MASK;
    if (v.readUInt16LE(PAGE + ((pos + 6) & MASK)) < SWITCH_BYTES || v.readUInt32LE(PAGE + pos) !== RECORD_SWITCH) return false;
    return v.readUInt32LE(PAGE + ((pos + 16) & MASK)) + v.readUInt32LE(PAGE + ((pos + 20) & MASK)) * 2 ** 32 <= t;
  }

  /** Whether the thread has ended: its exit is the newest record (its TID may name another thread by now, which this ring never records). */
  ended(): boolean {
    if (this.closed) return true;
    const v = this.view;
    const lo = v.readUInt32LE(DATA_HEAD), hi = v.readUInt32LE(DATA_HEAD + 4);
    if (lo === 0 && hi === 0) return false;
    return v.readUInt32LE(PAGE + (lo & MASK)) === RECORD_EXIT;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const libc = loadLibc();
    libc.munmap(this.map, PAGE + DATA);
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}

function errnoName(errno: number): string {
  return ERRNO_TEXT[errno] ?? `errno ${errno}`;
}
