// The agent's outbox: profiles waiting to be sent, oldest first. The newest `memoryItems` wait in
// memory; older ones are spilled to a spool directory (one file each, created exclusively through
// safeFiles, written to a `.part` name and renamed when complete) whose total size is capped. Only
// past that cap is anything dropped, oldest first, and every drop is counted with its reason.
// Files left by an earlier run (the agent was killed, or shut down with a server that was down)
// are picked up and sent first. No vscode import.

import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { createExclusiveFile } from '../files/safeFiles';
import type { WindowProfile } from './ingest';

export type DropReason = 'overflow' | 'rejected' | 'shutdown' | 'unreadable';

export interface DropStats {
  count: number;
  bytes: number;
  byReason: Record<DropReason, number>;
}

export interface OutboxOptions {
  /** Profiles kept in memory before older ones go to disk. */
  memoryItems: number;
  /** Spool directory (created 0700 if missing); undefined = memory only, then drop. */
  spoolDir?: string;
  /** Total bytes of spool files before the oldest are deleted. */
  spoolMaxBytes: number;
  /** Called on every drop (the CLI prints a line). */
  onDrop?: (reason: DropReason, p: { name: string; fromMs: number; bytes: number }, totals: DropStats) => void;
}

interface SpoolEntry {
  file: string;
  bytes: number;
}

const SPOOL_SUFFIX = '.spool';
const PART_SUFFIX = '.part';
/** `<from ms, 15 digits>-<random>.spool`: a lexical sort is the chronological order. */
const SPOOL_NAME = /^\d{15}-[0-9a-f]{12}\.spool$/;

/** On-disk form: one JSON header line (everything but the body), then the pprof bytes. */
function encodeSpool(p: WindowProfile): Buffer {
  const header = JSON.stringify({ v: 1, name: p.name, fromMs: p.fromMs, untilMs: p.untilMs, sampleRate: p.sampleRate, id: p.id });
  return Buffer.concat([Buffer.from(header + '\n', 'utf8'), p.body]);
}

function decodeSpool(data: Buffer): WindowProfile {
  const nl = data.indexOf(0x0a);
  if (nl < 0) throw new Error('no header line');
  const h = JSON.parse(data.subarray(0, nl).toString('utf8')) as Partial<WindowProfile> & { v?: number };
  if (h.v !== 1 || typeof h.name !== 'string' || typeof h.fromMs !== 'number' || typeof h.untilMs !== 'number' || typeof h.sampleRate !== 'number') {
    throw new Error('bad header');
  }
  const id = typeof h.id === 'string' && UUID.test(h.id) ? h.id : uuidFromBytes(data);
  return { name: h.name, fromMs: h.fromMs, untilMs: h.untilMs, sampleRate: h.sampleRate, body: data.subarray(nl + 1), id };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A file spooled before profiles carried an ID: one derived from its bytes (a name-based UUID,
 * version 5 layout over SHA-256), so every later attempt at it still sends the same one.
 */
function uuidFromBytes(data: Buffer): string {
  const h = createHash('sha256').update(data).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * Makes `dir` if missing (0700) and checks it is a real directory of ours that nobody else can
 * write into: a spool in a shared place must not be steerable by another user.
 */
export function prepareSpoolDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`spool path ${dir} is not a directory`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw new Error(`spool directory ${dir} belongs to another user (uid ${st.uid})`);
  if (st.mode & 0o022) throw new Error(`spool directory ${dir} is writable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 700 it`);
}

export class Outbox {
  private readonly memory: WindowProfile[] = [];
  private spool: SpoolEntry[] = [];
  private spoolBytes = 0;
  private spoolUsable: boolean;
  private spoolError: string | undefined;
  private waiters: Array<() => void> = [];
  /** Profiles peek() read from disk → their file. */
  private readonly spoolOrigin = new WeakMap<WindowProfile, string>();
  /** Profiles spilled from memory to disk → their file (a send in flight may finish after the spill). */
  private readonly spilledFrom = new WeakMap<WindowProfile, string>();
  /** The spool file being sent: the cap removes the next oldest instead (else a sent profile would count as dropped). */
  private inFlight: string | undefined;
  readonly dropped: DropStats = { count: 0, bytes: 0, byReason: { overflow: 0, rejected: 0, shutdown: 0, unreadable: 0 } };
  /** Profiles found in the spool at start (left by an earlier run). */
  readonly recovered: number;
  /** Profiles written to the spool since start. */
  spooled = 0;

  constructor(private readonly opts: OutboxOptions) {
    this.spoolUsable = opts.spoolDir !== undefined;
    if (opts.spoolDir) {
      try {
        prepareSpoolDir(opts.spoolDir);
        this.scanSpool(opts.spoolDir);
      } catch (e) {
        this.spoolUsable = false;
        this.spoolError = (e as Error).message;
      }
    }
    this.recovered = this.spool.length;
  }

  /** Why the spool directory cannot be used (profiles then wait in memory only). */
  get spoolProblem(): string | undefined {
    return this.spoolError;
  }

  get size(): number {
    return this.memory.length + this.spool.length;
  }

  get diskBytes(): number {
    return this.spoolBytes;
  }

  get memoryCount(): number {
    return this.memory.length;
  }

  /** Queues a new profile (the newest). */
  push(p: WindowProfile): void {
    this.memory.push(p);
    while (this.memory.length > this.opts.memoryItems) {
      const oldest = this.memory.shift()!;
      if (!this.writeSpool(oldest)) this.drop('overflow', oldest);
    }
    this.wake();
  }

  /** The oldest waiting profile, without removing it. */
  peek(): WindowProfile | undefined {
    while (this.spool.length > 0) {
      const e = this.spool[0];
      try {
        const p = decodeSpool(fs.readFileSync(e.file));
        this.spoolOrigin.set(p, e.file);
        this.inFlight = e.file;
        return p;
      } catch {
        this.removeSpoolEntry(e.file);
        this.countDrop('unreadable', { name: path.basename(e.file), fromMs: 0, bytes: e.bytes });
      }
    }
    return this.memory[0];
  }

  /**
   * Removes a profile peek() returned (sent, or dropped as `reason`). By identity: while it was
   * being sent, newer profiles may have been spilled or the cap may have removed it already.
   */
  remove(p: WindowProfile, reason?: DropReason): void {
    const file = this.spoolOrigin.get(p);
    let present: boolean;
    if (file !== undefined) {
      this.spoolOrigin.delete(p);
      if (this.inFlight === file) this.inFlight = undefined;
      present = this.removeSpoolEntry(file);
    } else {
      const i = this.memory.indexOf(p);
      present = i >= 0;
      if (present) this.memory.splice(i, 1);
      // spilled to disk while it was being sent: that copy is the same profile
      else if (this.spilledFrom.has(p)) present = this.removeSpoolEntry(this.spilledFrom.get(p)!);
    }
    this.spilledFrom.delete(p);
    if (reason && present) this.countDrop(reason, { name: p.name, fromMs: p.fromMs, bytes: p.body.length });
  }

  /** Resolves when something is queued (or at once if something already is). */
  whenNotEmpty(): Promise<void> {
    // resolves early on wakeWaiters(): the caller re-checks
    if (this.size > 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** Shutdown: whatever is still in memory goes to the spool (sent by the next run); counted as dropped only if it cannot. */
  persistRemaining(): void {
    while (this.memory.length > 0) {
      const p = this.memory.shift()!;
      if (!this.writeSpool(p)) this.drop('shutdown', p);
    }
    this.wake();
  }

  /** Wakes whoever waits in whenNotEmpty() even though nothing was queued (shutdown). */
  wakeWaiters(): void {
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private drop(reason: DropReason, p: WindowProfile): void {
    this.countDrop(reason, { name: p.name, fromMs: p.fromMs, bytes: p.body.length });
  }

  private countDrop(reason: DropReason, p: { name: string; fromMs: number; bytes: number }): void {
    this.dropped.count++;
    this.dropped.bytes += p.bytes;
    this.dropped.byReason[reason]++;
    this.opts.onDrop?.(reason, p, this.dropped);
  }

  private scanSpool(dir: string): void {
    for (const name of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (name.endsWith(PART_SUFFIX)) {
        // A write that never completed (killed mid-write): incomplete, never sent.
        try { fs.unlinkSync(file); } catch { /* gone already */ }
        continue;
      }
      if (!SPOOL_NAME.test(name)) continue;
      const st = fs.lstatSync(file);
      if (!st.isFile()) continue; // a symlink or anything else planted here is ignored
      this.spool.push({ file, bytes: st.size });
      this.spoolBytes += st.size;
    }
    this.trimSpool();
  }

  private writeSpool(p: WindowProfile): boolean {
    if (!this.spoolUsable || !this.opts.spoolDir) return false;
    const data = encodeSpool(p);
    if (data.length > this.opts.spoolMaxBytes) return false;
    const prefix = `${String(Math.max(0, Math.floor(p.fromMs))).padStart(15, '0')}-`;
    let part: string | undefined;
    try {
      const { fd, file } = createExclusiveFile(this.opts.spoolDir, prefix, `${SPOOL_SUFFIX}${PART_SUFFIX}`);
      part = file;
      try {
        let off = 0;
        while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      const final = file.slice(0, -PART_SUFFIX.length);
      fs.renameSync(file, final);
      // Spilled profiles are older than every one in memory but may be newer than a recovered
      // file: keep the list sorted by name (= by time).
      const entry = { file: final, bytes: data.length };
      this.spilledFrom.set(p, final);
      let i = this.spool.length;
      while (i > 0 && this.spool[i - 1].file > final) i--;
      this.spool.splice(i, 0, entry);
      this.spoolBytes += data.length;
      this.spooled++;
      this.trimSpool();
      return true;
    } catch (e) {
      if (part) try { fs.unlinkSync(part); } catch { /* never created */ }
      this.spoolError = `cannot write to the spool directory ${this.opts.spoolDir}: ${(e as Error).message}`;
      return false;
    }
  }

  /** Past the size cap, the oldest spool files go first. */
  private trimSpool(): void {
    while (this.spoolBytes > this.opts.spoolMaxBytes) {
      const e = this.spool.find((x) => x.file !== this.inFlight);
      if (!e) break;
      let name = path.basename(e.file);
      let fromMs = Number(name.slice(0, 15));
      try {
        const head = decodeSpool(fs.readFileSync(e.file));
        name = head.name;
        fromMs = head.fromMs;
      } catch { /* counted all the same */ }
      this.removeSpoolEntry(e.file);
      this.countDrop('overflow', { name, fromMs, bytes: e.bytes });
    }
  }

  /** Deletes one spool file and forgets it; false when it was no longer there. */
  private removeSpoolEntry(file: string): boolean {
    const i = this.spool.findIndex((e) => e.file === file);
    if (i < 0) return false;
    const [e] = this.spool.splice(i, 1);
    this.spoolBytes -= e.bytes;
    try { fs.unlinkSync(e.file); } catch { /* already gone */ }
    return true;
  }
}
