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
  private pending: string[] = [];
  private pendingBytes = 0;
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
    let rec = `{"s":[${snap.time - this.header.startTime},${pid},${rss ?? 'null'}`;
    for (const th of snap.threads) {
      const t = this.thread(pid, th.tid, th.name);
      if (th.frames !== t.frames) {
        // a new stack (an unchanged one comes as the same immutable array: no walk)
        let node = -1;
        for (let i = th.frames.length - 1; i >= 0; i--) node = this.node(node, th.frames[i]);
        t.frames = th.frames;
        t.node = node;
      }
      rec += `,${t.id},${t.node},${(th.holdsGil ? FLAG_GIL : 0) | (activeAsKnown(th) ? FLAG_ACTIVE : 0)}`;
    }
    this.line(rec + ']}');
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
    this.pending.push(text);
    this.pendingBytes += text.length + 1;
  }

  private maybeFlush(): void {
    const now = Date.now();
    if (this.pendingBytes >= FLUSH_BYTES || now - this.lastFlush >= FLUSH_MS) this.flush();
    if (now - this.lastSync >= FSYNC_MS) this.backgroundSync();
  }

  private flush(): void {
    this.lastFlush = Date.now();
    if (this.errors !== this.writtenErrors) {
      this.line(`{"e":${this.errors}}`);
      this.writtenErrors = this.errors;
    }
    if (this.pending.length === 0 || this.fd === undefined || this.failed) {
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    const buf = Buffer.from(this.pending.join('\n') + '\n', 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
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
