// Whether a runnable thread (kernel state R) is on a core at the moment of the sample, or only
// waiting for one. State R covers both, and under CPU contention the difference biases profiles:
// a thread that waits longer for a core, relative to its CPU time, collects more samples (measured:
// a never-sleeping process 2-4 pp below its CPU share beside a half-duty one; on 2.7's old GIL,
// threads woken for every hand-off and waiting in R). The kernel counts, per thread, the times it
// was put on a core (/proc/PID/task/TID/schedstat, third field: sched_info.pcount, counted when it
// arrives on a CPU) and the times it left one (/proc/PID/task/TID/sched, nr_switches = voluntary +
// involuntary context switches). One more arrival than departures: it is on a core now.
//
// The sampler itself takes a core when it wakes: on a machine whose cores are all busy it puts one
// running thread of the program back in the queue at that instant, and that thread would read as
// waiting in every sample (measured on 2 cores: a never-sleeping process off its core in 2,893 of
// 2,893 samples). The thread it displaced left its core in the same scheduler call that gave the
// core to the sampler, so both carry the same se.exec_start (the run queue's clock, ns, set when the
// one left and the other arrived): such a thread counts as on a core, where it was until we came.
//
// Costs per runnable thread and sample: one read of schedstat (~1.2 µs) and of sched (~5.4 µs: the
// kernel formats ~30 lines), and once a sample, when a runnable thread is off its core, the
// sampler's own sched; threads not in state R read nothing more (measured: a spinning process's
// state read 2.35 -> 15.7 µs CPU). Where either file is missing (a kernel without CONFIG_SCHED_INFO /
// CONFIG_SCHED_DEBUG), state R decides alone.
import * as fs from 'fs';

/** Bytes of /proc/…/sched read: its header, se.exec_start … nr_switches are the first ~7 lines. */
const SCHED_BYTES = 640;
const EXEC_START = Buffer.from('se.exec_start');
const NR_SWITCHES = Buffer.from('\nnr_switches');

interface Files {
  sched: number;
  schedstat: number;
}

export class OnCoreCheck {
  private readonly files = new Map<number, Files>();
  private readonly buf = Buffer.alloc(SCHED_BYTES);
  private readonly mine = Buffer.alloc(SCHED_BYTES);
  private readonly stat = Buffer.alloc(64);
  /** the sampler thread's own se.exec_start (bytes in `mine`), read at most once per sample */
  private mineStart = -1;
  private mineEnd = -1;
  private mineFd = -1;
  /** this kernel does not show the counters: state R alone decides */
  unavailable = false;
  /** files read (benchmarks: one syscall each) */
  reads = 0;

  constructor(private readonly pid: number) {}

  /** A new sample: the sampler's own arrival on its core is read again when first needed. */
  beginSample(): void {
    this.mineStart = -1;
  }

  /** For a thread in state R: true when it is on a core (or was, until the sampler took it). */
  onCore(tid: number): boolean {
    if (this.unavailable) return true;
    let f = this.files.get(tid);
    try {
      if (!f) {
        f = { sched: fs.openSync(`/proc/${this.pid}/task/${tid}/sched`, 'r'), schedstat: -1 };
        this.files.set(tid, f);
        f.schedstat = fs.openSync(`/proc/${this.pid}/task/${tid}/schedstat`, 'r');
      }
      // departures first, then arrivals: a switch between the two reads errs towards "on a core"
      const n = fs.readSync(f.sched, this.buf, 0, SCHED_BYTES, 0);
      const departures = numberAfter(this.buf, n, NR_SWITCHES);
      const arrivals = thirdField(this.stat, fs.readSync(f.schedstat, this.stat, 0, this.stat.length, 0));
      this.reads += 2;
      if (departures < 0 || arrivals < 0 || (arrivals === 0 && departures > 0)) {
        this.unavailable = true; // not this kernel's format, or sched_info off ("0 0 0")
        return true;
      }
      if (arrivals > departures) return true;
      return this.displacedBySampler(n);
    } catch (e) {
      if (f) this.forget(tid);
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && fs.existsSync(`/proc/${this.pid}/task/${tid}`)) this.unavailable = true; // no such file on this kernel
      return true; // gone meanwhile, or unreadable: state R decides
    }
  }

  /** The thread's se.exec_start (in this.buf[0, n)) equals the sampler thread's own. */
  private displacedBySampler(n: number): boolean {
    const [s, e] = valueAfter(this.buf, n, EXEC_START);
    if (s < 0) return false;
    if (this.mineStart < 0) {
      if (this.mineFd < 0) this.mineFd = fs.openSync('/proc/thread-self/sched', 'r');
      const m = fs.readSync(this.mineFd, this.mine, 0, SCHED_BYTES, 0);
      this.reads++;
      [this.mineStart, this.mineEnd] = valueAfter(this.mine, m, EXEC_START);
      if (this.mineStart < 0) return false;
    }
    return e - s === this.mineEnd - this.mineStart && this.buf.compare(this.mine, this.mineStart, this.mineEnd, s, e) === 0;
  }

  /** Closes the files of threads no longer present. */
  retain(tids: ReadonlySet<number>): void {
    for (const tid of this.files.keys()) if (!tids.has(tid)) this.forget(tid);
  }

  close(): void {
    for (const tid of [...this.files.keys()]) this.forget(tid);
    if (this.mineFd >= 0) closeQuietly(this.mineFd);
    this.mineFd = -1;
  }

  private forget(tid: number): void {
    const f = this.files.get(tid);
    if (!f) return;
    this.files.delete(tid);
    closeQuietly(f.sched);
    if (f.schedstat >= 0) closeQuietly(f.schedstat);
  }
}

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

function numberAfter(b: Buffer, n: number, key: Buffer): number {
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

/** The third space-separated number of schedstat's line (b[0, n)). */
function thirdField(b: Buffer, n: number): number {
  let field = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === 0x20) {
      field++;
      continue;
    }
    if (c === 0x0a) break;
    if (field === 2) v = v * 10 + (c - 0x30);
  }
  return field >= 2 ? v : -1;
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed */
  }
}
