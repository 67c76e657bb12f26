// Small /proc readers: command lines, thread lists, and per-thread run state. Thread state is read
// every sample, so each thread's stat file stays open and is re-read with pread at offset 0
// (procfs regenerates it on every read): ~4 µs instead of ~10 µs for open+read+close.
import * as fs from 'fs';
import { OnCoreCheck } from './onCore';

export function readCmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').split('\0').join(' ');
  } catch {
    return '';
  }
}

export function readComm(pid: number, tid?: number): string {
  try {
    return fs.readFileSync(tid === undefined ? `/proc/${pid}/comm` : `/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export function listTids(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number).filter((n) => n > 0);
  } catch {
    return [];
  }
}

export function processUid(pid: number): number | undefined {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const userNames = new Map<number, string>();

/** Name of a uid from /etc/passwd (cached), else the number as text. */
export function userName(uid: number): string {
  let name = userNames.get(uid);
  if (name === undefined) {
    name = String(uid);
    try {
      for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length > 2 && Number(f[2]) === uid && f[2] !== '') { name = f[0]; break; }
      }
    } catch { /* no passwd file: keep the number */ }
    userNames.set(uid, name);
  }
  return name;
}

/** Kernel run state letter of a process or thread ('R' running, 'S' sleeping, 't' traced-stopped…). */
export function processState(pid: number, tid = pid): string | undefined {
  try {
    return statState(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

function statState(text: string): string | undefined {
  const i = text.lastIndexOf(')');
  return i < 0 ? undefined : text[i + 2];
}

/** Keeps one fd per thread's stat file open for cheap repeated reads. */
export class ThreadStateReader {
  private fds = new Map<number, number>();
  private buf = Buffer.alloc(512);
  /** stat files read (for benchmarks: one syscall each) */
  reads = 0;
  private closed = false;

  private readonly onCore: OnCoreCheck;

  constructor(private readonly pid: number) {
    this.onCore = new OnCoreCheck(pid);
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
   * True when the thread is on CPU (types.ts, thread states): in state R and on a core, not waiting
   * for one (proc/onCore.ts). Unknown threads count as active.
   */
  isActive(tid: number): boolean {
    if (this.closed) return true; // asked after detaching (a snapshot kept for later): unknown
    let fd = this.fds.get(tid);
    if (fd === undefined) {
      try {
        fd = fs.openSync(`/proc/${this.pid}/task/${tid}/stat`, 'r');
      } catch {
        return true;
      }
      this.fds.set(tid, fd);
    }
    try {
      const n = fs.readSync(fd, this.buf, 0, this.buf.length, 0);
      this.reads++;
      // the state letter follows the last ')' (the name may contain one): no string per read
      const close = this.buf.lastIndexOf(0x29, n - 1);
      return close >= 0 && this.buf[close + 2] === 0x52 && this.onCore.onCore(tid); // 'R', then on a core

    } catch {
      // the thread ended: forget its fd; a new thread may reuse the tid later
      try { fs.closeSync(fd); } catch { /* ignore */ }
      this.fds.delete(tid);
      return false;
    }
  }

  /** Closes fds of threads no longer present. */
  retain(tids: ReadonlySet<number>): void {
    this.onCore.retain(tids);
    for (const [tid, fd] of this.fds) {
      if (!tids.has(tid)) {
        try { fs.closeSync(fd); } catch { /* ignore */ }
        this.fds.delete(tid);
      }
    }
  }

  close(): void {
    this.closed = true;
    this.onCore.close();
    for (const fd of this.fds.values()) {
      try { fs.closeSync(fd); } catch { /* ignore */ }
    }
    this.fds.clear();
  }
}

/** The pid of the process ptrace-attached to any of `pid`'s threads (TracerPid), or undefined when none is. */
export function tracerOf(pid: number): number | undefined {
  for (const tid of listTids(pid)) {
    try {
      const m = /^TracerPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1'));
      if (m && m[1] !== '0') return Number(m[1]);
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return undefined;
}
