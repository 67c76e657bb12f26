// The recording journal: `pyprof record` streams every sample to `OUTPUT.RANDOM.journal` beside
// the output while it records, so a recorder killed at any moment (kill -9, the OOM killer, an
// editor that died with it) leaves everything up to its last second on disk. When the profile is
// written the journal is removed; otherwise `pyprof convert` or Open Profile turns it into one
// (journalReplay.ts).
//
// Format (JSON lines, append-only, independent of the recorder's in-memory representation):
//   {"pyprofJournal":1, ...JournalHeader}                      first line
//   {"p":[pid,"command"]}                                      a process is named
//   {"f":[id,"name","file",firstLine]}                         a function, interned on first use
//   {"n":[id,parent,function,line]}                            a stack node (parent -1 = outermost)
//   {"t":[id,pid,tid,"name"]}                                  a thread (again when its name changes)
//   {"s":[ms,pid,rss,thread,node,flags,thread,node,flags,…]}   one sample of one process; node -1 =
//                                                              no Python frames; flags 1 GIL, 2 active
//                                                              (as far as the sampler read it: never
//                                                              read for the journal alone, so 0 with --idle);
//                                                              rss null unless --memory=rss
//   {"e":errors}  {"note":"…"}                                 cumulative dropped samples, notes
// Only whole lines are ever written, in batches; a kill can tear at most the last line, which the
// reader ignores. Writes happen at most every FLUSH_MS (or 256 KB) and fsync every FSYNC_MS in
// the background, so the cost per sample is building one short string.

import * as fs from 'fs';
import * as path from 'path';
import { createExclusiveFile } from '../files/safeFiles';
import type { PyFrame, Snapshot, ThreadStack } from './types';
import { FLAG_ACTIVE, FLAG_GIL, JOURNAL_SUFFIX, JOURNAL_VERSION, JournalHeader } from '../profile/formats/journalFormat';

interface JournalThread {
  id: number;
  name: string;
  frames: readonly PyFrame[] | undefined;
  node: number;
}

const FLUSH_MS = 200;
const FSYNC_MS = 1000;
const FLUSH_BYTES = 256 * 1024;

export class JournalWriter {
  readonly file: string;
  private fd: number | undefined;
  /**
   * Lines not yet written, encoded into one reused buffer as they come. Sample records are written
   * there digit by digit, never as strings: V8 keeps the string of every number it converts in its
   * number-string cache, which lives in the old generation, so a per-sample string of a fresh time
   * was promoted and left as old-generation garbage (about 70 bytes a sample at 1 kHz, RSS growing
   * until the next full collection; measured with the sampling heap profiler, bench cost part 4).
   */
  private readonly pending = Buffer.allocUnsafe(FLUSH_BYTES + 64 * 1024);
  private pendingBytes = 0;
  /** per thread of the sample being written: journal id, node, flags */
  private sampleFields = new Float64Array(3 * 64);
  private lastFlush = Date.now();
  private lastSync = Date.now();
  private syncing = false;
  private errors = 0;
  private writtenErrors = 0;
  private readonly functions = new Map<string, number>();
  /** frame record → [function id, line]: PyFrame objects are shared between snapshots */
  private readonly frameKeys = new WeakMap<PyFrame, number>();
  /** per parent node: (function, line) → node */
  private readonly nodes = new Map<number, Map<number, number>>();
  private nodeCount = 0;
  /** pid → tid → the thread's journal id, name, and its last stack (frames array and node) */
  private readonly threads = new Map<number, Map<number, JournalThread>>();
  private threadCount = 0;
  private readonly timer: NodeJS.Timeout;
  private failed: Error | undefined;

  private constructor(output: string, private readonly header: JournalHeader) {
    const created = createExclusiveFile(path.dirname(output), `${path.basename(output)}.`, JOURNAL_SUFFIX);
    this.fd = created.fd;
    this.file = created.file;
    this.line(JSON.stringify({ pyprofJournal: JOURNAL_VERSION, ...header }));
    this.flush();
    fs.fsyncSync(this.fd);
    syncDirectory(path.dirname(this.file)); // the journal's name survives a machine crash too
    // Samples stop arriving when the target idles at a low rate: still put them on disk in time.
    this.timer = setInterval(() => this.maybeFlush(), FLUSH_MS);
    this.timer.unref();
  }

  /** Creates the journal beside `output` (exclusive, random name). */
  static create(output: string, header: JournalHeader): JournalWriter {
    return new JournalWriter(output, header);
  }

  /** The first write error, if writing stopped (disk full): the recording goes on in memory. */
  get error(): Error | undefined {
    return this.failed;
  }

  process(pid: number, command: string): void {
    this.line(JSON.stringify({ p: [pid, command] }));
  }

  note(text: string): void {
    this.line(JSON.stringify({ note: text }));
  }

  /** A dropped sample (torn or failed read). */
  addError(): void {
    this.errors++;
  }

  snapshot(pid: number, snap: Snapshot, rss?: number): void {
    // threads, functions and nodes first: their lines go before the sample that uses them
    const n = snap.threads.length;
    if (this.sampleFields.length < 3 * n) this.sampleFields = new Float64Array(3 * n);
    const fields = this.sampleFields;
    for (let k = 0; k < n; k++) {
      const th = snap.threads[k];
      const t = this.thread(pid, th.tid, th.name);
      if (th.frames !== t.frames) {
        // a new stack (an unchanged one comes as the same immutable array: no walk)
        let node = -1;
        for (let i = th.frames.length - 1; i >= 0; i--) node = this.node(node, th.frames[i]);
        t.frames = th.frames;
        t.node = node;
      }
      fields[3 * k] = t.id;
      fields[3 * k + 1] = t.node;
      fields[3 * k + 2] = (th.holdsGil ? FLAG_GIL : 0) | (activeAsKnown(th) ? FLAG_ACTIVE : 0);
    }
    // {"s":[ms,pid,rss,thread,node,flags,…]}: at most 20 bytes a number
    const most = 64 + 3 * n * 21;
    if (this.pendingBytes + most > this.pending.length) this.flush();
    if (most > this.pending.length) {
      let rec = `{"s":[${formatMs(snap.time - this.header.startTime)},${pid},${rss ?? 'null'}`;
      for (let k = 0; k < 3 * n; k++) rec += `,${fields[k]}`;
      this.line(rec + ']}');
    } else {
      const b = this.pending;
      let at = this.pendingBytes;
      at += b.write('{"s":[', at, 'latin1');
      at = writeMs(b, at, snap.time - this.header.startTime);
      b[at++] = COMMA;
      at = writeInt(b, at, pid);
      b[at++] = COMMA;
      if (rss === undefined) at += b.write('null', at, 'latin1');
      else at = writeInt(b, at, Math.round(rss));
      for (let k = 0; k < 3 * n; k++) {
        b[at++] = COMMA;
        at = writeInt(b, at, fields[k]);
      }
      at += b.write(']}\n', at, 'latin1');
      this.pendingBytes = at;
    }
    this.maybeFlush();
  }

  /** Writes what is buffered and syncs it to disk; the journal stays open. */
  sync(): void {
    this.flush();
    if (this.fd !== undefined && !this.failed) fs.fsyncSync(this.fd);
  }

  close(): void {
    clearInterval(this.timer);
    if (this.fd === undefined) return;
    try {
      this.sync();
    } catch {
      /* the journal is best effort: the profile itself is what counts now */
    }
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** The profile was written: the journal is no longer needed. */
  remove(): void {
    this.close();
    try {
      fs.unlinkSync(this.file);
    } catch {
      /* already gone */
    }
  }

  private thread(pid: number, tid: number, name: string): JournalThread {
    let byTid = this.threads.get(pid);
    if (!byTid) this.threads.set(pid, (byTid = new Map()));
    let t = byTid.get(tid);
    if (!t) byTid.set(tid, (t = { id: this.threadCount++, name, frames: undefined, node: -1 }));
    else if (t.name === name) return t;
    t.name = name;
    this.line(JSON.stringify({ t: [t.id, pid, tid, name] }));
    return t;
  }

  private node(parent: number, frame: PyFrame): number {
    let fn = this.frameKeys.get(frame);
    if (fn === undefined) {
      const key = `${frame.firstLine}\0${frame.name}\0${frame.file}`;
      fn = this.functions.get(key);
      if (fn === undefined) {
        fn = this.functions.size;
        this.functions.set(key, fn);
        this.line(JSON.stringify({ f: [fn, frame.name, frame.file, frame.firstLine] }));
      }
      this.frameKeys.set(frame, fn);
    }
    let kids = this.nodes.get(parent);
    if (!kids) this.nodes.set(parent, (kids = new Map()));
    const key = fn * 2 ** 21 + Math.min(Math.max(frame.line, 0), 2 ** 21 - 1);
    let node = kids.get(key);
    if (node === undefined) {
      node = this.nodeCount++;
      kids.set(key, node);
      this.line(`{"n":[${node},${parent},${fn},${frame.line}]}`);
    }
    return node;
  }

  private line(text: string): void {
    // at most 3 bytes of UTF-8 per UTF-16 unit, plus the newline
    if (this.pendingBytes + text.length * 3 + 1 > this.pending.length) {
      this.flush();
      if (text.length * 3 + 1 > this.pending.length) {
        this.writeOut(Buffer.from(text + '\n', 'utf8'));
        return;
      }
    }
    this.pendingBytes += this.pending.write(text, this.pendingBytes, 'utf8');
    this.pending[this.pendingBytes++] = 0x0a;
  }

  private maybeFlush(): void {
    const now = Date.now();
    if (this.pendingBytes >= FLUSH_BYTES || now - this.lastFlush >= FLUSH_MS) this.flush();
    if (now - this.lastSync >= FSYNC_MS) this.backgroundSync();
  }

  private flush(): void {
    this.lastFlush = Date.now();
    if (this.errors !== this.writtenErrors) {
      this.writtenErrors = this.errors; // first: line() flushes when the buffer is full
      this.line(`{"e":${this.errors}}`);
    }
    const used = this.pendingBytes;
    this.pendingBytes = 0;
    if (used > 0) this.writeOut(this.pending.subarray(0, used));
  }

  private writeOut(buf: Buffer): void {
    if (this.fd === undefined || this.failed) return;
    try {
      let off = 0;
      while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    } catch (e) {
      this.failed = e as Error;
    }
  }

  /** fsync on libuv's thread pool: the sampling loop never waits for the disk. */
  private backgroundSync(): void {
    if (this.syncing || this.fd === undefined || this.failed) return;
    this.syncing = true;
    this.lastSync = Date.now();
    fs.fsync(this.fd, () => {
      this.syncing = false;
    });
  }
}

const COMMA = 0x2c;
const ZERO = 0x30;

/** Writes an integer (|n| < 2^53) as ASCII digits at `at`; returns the position after it. */
function writeInt(b: Buffer, at: number, n: number): number {
  if (n < 0) {
    b[at++] = 0x2d;
    n = -n;
  }
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let i = at + digits - 1; i >= at; i--) {
    b[i] = ZERO + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + digits;
}

/** Milliseconds to the microsecond, as JSON (`12.345`, `7`), without making a string. */
function writeMs(b: Buffer, at: number, ms: number): number {
  let us = Math.round(ms * 1000);
  if (us < 0) {
    b[at++] = 0x2d;
    us = -us;
  }
  at = writeInt(b, at, Math.floor(us / 1000));
  let frac = us % 1000;
  if (frac === 0) return at;
  b[at++] = 0x2e;
  let width = 3;
  while (frac % 10 === 0) {
    frac /= 10;
    width--;
  }
  for (let i = at + width - 1; i >= at; i--) {
    b[i] = ZERO + (frac % 10);
    frac = Math.floor(frac / 10);
  }
  return at + width;
}

/** The same as writeMs, as a string (the rare record too big for the buffer). */
function formatMs(ms: number): string {
  return String(Math.round(ms * 1000) / 1000);
}

function syncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  } catch {
    /* some file systems refuse fsync on a directory: the data itself is still synced */
  }
}

/**
 * A sampled thread's run state without reading it: the walker's threads read /proc on first
 * `active` (~10 µs each), which the sampler does only for the default filter; asking here would
 * read every thread's state every sample with --idle (200 threads: a quarter of the sampler's time).
 */
function activeAsKnown(th: ThreadStack): boolean {
  const known = (th as { knownActive?: boolean | undefined }).knownActive;
  return 'knownActive' in th ? known === true : th.active;
}
