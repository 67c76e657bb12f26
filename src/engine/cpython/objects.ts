// Decoding Python objects we need from the target: str (PEP 393 layouts), bytes, and code objects.
// Code objects are immutable, so what we decode from one (names, file, line table) is cached by
// address. But a freed code object's address is soon reused by a new one (module bodies are freed
// right after import, at exactly the time a launched program compiles its own code), so a cache
// hit is trusted only if the entry was checked in the last CHECK_WINDOW_MS; otherwise the walker
// re-checks it at the end of the snapshot (firstlineno + filename + name, batched 64 per syscall)
// and a mismatch turns the snapshot into a retried torn read. No stale name ever reaches a sample.
import { RemoteMemory, readPtr } from '../native/memory';
import { EngineError, PyFrame } from '../types';
import type { Layout } from './layout';
import { lineFrom310, lineFrom311, lineFromLnotab } from './lineTable';
import { AddressMemo } from './addressTables';

const MAX_STRING_CHARS = 4096;
const MAX_LINETABLE_BYTES = 1 << 20;
const STRING_PROBE = 192;
const MAX_CACHED_STRINGS = 100_000;

/**
 * The error of a read that tore: an expected outcome (caught, and retried or read paused), so made
 * without a stack trace (EngineError.expected; 7-8 % of the sampler's CPU with 8 threads churning
 * on 3.8, where a third of the samples tear); the message says what tore.
 */
export function tornRead(what: string): EngineError {
  return EngineError.expected('READ_FAILED', `inconsistent read (${what}): the target changed while being read`);
}

/** 2.7's two string types (symbols PyString_Type, PyUnicode_Type); 0 when unknown. */
export interface Py2StringTypes { str: number; unicode: number }

export class ObjectReader {
  private strings = new Map<number, string>();

  constructor(private readonly mem: RemoteMemory, private readonly L: Layout, private readonly py2Types?: Py2StringTypes) {}

  clearStrings(): void {
    this.strings.clear();
  }

  /**
   * A str object's text. `cached`: look up and remember it by address, for long-lived strings
   * (dict keys such as module and attribute names). A freed string's address is soon reused by
   * another, so strings whose owner may have changed (a newly seen code object's names, a thread's
   * name) are read fresh.
   */
  string(addr: number, cached = true): string {
    if (addr <= 0) throw tornRead('null string');
    const hit = cached ? this.strings.get(addr) : undefined;
    if (hit !== undefined) return hit;
    const text = this.L.py2 ? this.string27(addr) : this.string3(addr);
    if (cached) {
      if (this.strings.size >= MAX_CACHED_STRINGS) this.strings.clear(); // bounded
      this.strings.set(addr, text);
    }
    return text;
  }

  /**
   * 2.7: code object names and file names are byte strings (`str`, UTF-8 by convention); thread
   * names and other text may be `unicode`, whose characters (2 or 4 bytes, Py_UNICODE_SIZE of the
   * build) sit behind a pointer. Anything else is not a string (torn or reused memory).
   */
  private string27(addr: number): string {
    const P = this.L.py2!, B = this.L.bytes;
    const head = this.mem.read(addr, Math.max(B.sval, P.unicodeStr + 8));
    const type = readPtr(head, this.L.obType);
    const types = this.py2Types;
    if (!types || type === types.str) {
      const size = Number(head.readBigInt64LE(B.size));
      if (size < 0 || size > MAX_STRING_CHARS) throw tornRead(`string header at 0x${addr.toString(16)}`);
      return this.mem.read(addr + B.sval, size).toString('utf8');
    }
    if (type !== types.unicode) throw tornRead(`not a string at 0x${addr.toString(16)}`);
    const length = Number(head.readBigInt64LE(P.unicodeLength));
    const data = readPtr(head, P.unicodeStr);
    if (length < 0 || length > MAX_STRING_CHARS || data <= 0) throw tornRead(`unicode header at 0x${addr.toString(16)}`);
    return decode(this.mem.read(data, length * P.unicodeCharSize), P.unicodeCharSize, false);
  }

  private string3(addr: number): string {
    const u = this.L.unicode;
    let buf: Buffer;
    try {
      buf = this.mem.read(addr, STRING_PROBE); // header and (usually) the text in one read
    } catch (e) {
      // a short string near the end of a mapping: the probe crosses into unmapped memory
      if (!(e instanceof EngineError) || e.code !== 'READ_FAILED') throw e;
      buf = this.mem.read(addr, u.compactSize);
    }
    const length = Number(buf.readBigInt64LE(u.length));
    const state = buf.readUInt32LE(u.state);
    const kind = (state >>> u.kindShift) & 7;
    const compact = (state >>> u.compactBit) & 1;
    const ascii = (state >>> u.asciiBit) & 1;
    if (length < 0 || length > MAX_STRING_CHARS || (kind !== 1 && kind !== 2 && kind !== 4)) throw tornRead(`string header at 0x${addr.toString(16)}`);
    const nbytes = length * kind;
    let text: string;
    if (compact) {
      const start = ascii ? u.asciiSize : u.compactSize;
      if (start + nbytes > buf.length) buf = this.mem.read(addr, start + nbytes);
      text = decode(buf.subarray(start, start + nbytes), kind, ascii === 1);
    } else {
      // Non-compact strings (str subclasses) keep their data behind a pointer.
      const data = readPtr(buf, u.compactSize);
      if (data <= 0) throw tornRead('string data pointer');
      text = decode(this.mem.read(data, nbytes), kind, ascii === 1);
    }
    return text;
  }

  bytes(addr: number, max = MAX_LINETABLE_BYTES): Buffer {
    const b = this.L.bytes;
    const head = this.mem.read(addr, b.sval);
    const size = Number(head.readBigInt64LE(b.size));
    if (size < 0 || size > max) throw tornRead(`bytes size ${size}`);
    return this.mem.copy(addr + b.sval, size);
  }
}

function decode(b: Buffer, kind: number, ascii: boolean): string {
  if (kind === 1) return b.toString(ascii ? 'ascii' : 'latin1');
  if (kind === 2) return b.toString('utf16le');
  let s = '';
  for (let i = 0; i + 3 < b.length; i += 4) s += String.fromCodePoint(Math.min(b.readUInt32LE(i), 0x10ffff));
  return s;
}

export interface CodeInfo {
  name: string;
  file: string;
  firstLine: number;
  /** address of the first code unit (3.11+) */
  codeStart: number;
  /** what verify() re-checks against the target (with firstlineno) */
  filenamePtr: number;
  namePtr: number;
  lineTable: Buffer;
  /** memo: instruction position → the (shared, never mutated) frame record for that position */
  frames: Map<number, PyFrame>;
  /** ms timestamps: last verified against the target, last used */
  checkedAt: number;
  usedAt: number;
  /**
   * Module bodies (`<module>`: freed as soon as an import finishes) and exec'd code (`<string>`,
   * e.g. dataclass and namedtuple methods) die young, and their addresses are reused at once:
   * with a 20 ms trust window a launched script's main() showed a freed module's code as its
   * callee. Hits on these are verified on every snapshot (about one iovec in steady state).
   */
  shortLived: boolean;
}

const CHECK_WINDOW_MS = 20;
const FORGET_UNUSED_MS = 30_000;

export class CodeCache {
  private entries = new Map<number, CodeInfo>();
  /** the entries looked up lately, without boxing their addresses: every frame of every sample asks (the 3.11+ walk reads it inline) */
  readonly recent = new AddressMemo<CodeInfo>();
  private firstLines = new Map<number, number>();
  private pending: number[] = [];
  /** the current snapshot's time (begin()) */
  now = 0;

  constructor(private readonly mem: RemoteMemory, private readonly L: Layout, private readonly objects: ObjectReader, private readonly codeType: number) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.recent.clear();
    this.objects.clearStrings();
  }

  /** Starts a snapshot: hits older than the check window are queued for verify(). */
  begin(now: number): void {
    this.now = now;
    this.pending.length = 0;
  }

  /** Decoded code object at `addr`; throws a torn-read error when it is not a code object. */
  get(addr: number): CodeInfo {
    let hit = this.recent.get(addr);
    if (hit === undefined) {
      hit = this.entries.get(addr);
      if (hit) this.recent.set(addr, hit);
    }
    if (hit) {
      this.used(hit, addr);
      return hit;
    }
    const C = this.L.code;
    const raw = this.mem.copy(addr, C.size);
    if (this.codeType && readPtr(raw, this.L.obType) !== this.codeType) throw tornRead(`not a code object at 0x${addr.toString(16)}`);
    const filenamePtr = readPtr(raw, C.filename);
    const namePtr = readPtr(raw, C.name);
    const qualPtr = C.qualname !== undefined ? readPtr(raw, C.qualname) : 0;
    const info: CodeInfo = {
      // read fresh: a code object decoded now may reuse the address of a freed one's strings
      file: this.objects.string(filenamePtr, false),
      name: this.objects.string(qualPtr > 0 ? qualPtr : namePtr, false),
      firstLine: raw.readInt32LE(C.firstlineno),
      codeStart: C.codeAdaptive !== undefined ? addr + C.codeAdaptive : 0,
      filenamePtr,
      namePtr,
      lineTable: this.objects.bytes(readPtr(raw, C.linetable)),
      frames: new Map(),
      checkedAt: this.now,
      usedAt: this.now,
      shortLived: false,
    };
    info.shortLived = info.name === '<module>' || info.file.startsWith('<');
    this.firstLines.set(addr, info.firstLine);
    this.entries.set(addr, info);
    this.recent.set(addr, info);
    return info;
  }

  /**
   * A cache hit, found by get() or by a caller reading `recent` inline (usedSlot), counted as used in this
   * snapshot; hits older than the check window (short-lived kinds: every snapshot, unless
   * checkWith() already did it) are queued for verify(). Only the first use in a snapshot needs it.
   */
  private used(hit: CodeInfo, addr: number): void {
    const due = hit.shortLived ? hit.checkedAt !== this.now : this.now - hit.checkedAt > CHECK_WINDOW_MS;
    if (due && hit.usedAt !== this.now) this.pending.push(addr);
    hit.usedAt = this.now;
  }

  /** used() for the entry in `recent`'s slot (the caller found it there inline; a slot is a small integer, an address would be boxed). */
  usedSlot(slot: number): void {
    this.used(this.recent.values[slot]!, this.recent.keys[slot]);
  }

  /**
   * Line for an instruction position: 2.7 and ≤3.9 byte offset of the last instruction, 3.10 code-unit
   * index (f_lasti), 3.11+ code-unit index from the instruction pointer. Negative → def line.
   */
  line(info: CodeInfo, position: number): number {
    if (position < 0) return info.firstLine;
    const hit = info.frames.get(position);
    if (hit !== undefined) return hit.line;
    switch (this.L.lineFormat) {
      case 'lnotab': return lineFromLnotab(info.lineTable, info.firstLine, position);
      case 'lnotab27': return lineFromLnotab(info.lineTable, info.firstLine, position, false);
      case 'linetable310': return lineFrom310(info.lineTable, info.firstLine, position * 2);
      default: return lineFrom311(info.lineTable, info.firstLine, position);
    }
  }

  /**
   * The frame record for a code object at an instruction position. Records are shared between
   * snapshots (the same code at the same position is the same frame): no garbage per sample, and
   * consumers can key on identity. They must be treated as immutable.
   */
  frame(info: CodeInfo, position: number): PyFrame {
    let f = info.frames.get(position);
    if (f === undefined) {
      f = { name: info.name, file: info.file, line: this.line(info, position), firstLine: info.firstLine };
      if (info.frames.size < 4096) info.frames.set(position, f);
    }
    return f;
  }

  /** The bytes verify() compares, relative to a code object's address. */
  get verifySpan(): { lo: number; len: number } {
    const C = this.L.code;
    const lo = Math.min(C.firstlineno, C.filename, C.name);
    return { lo, len: Math.max(C.firstlineno + 4, C.filename + 8, C.name + 8) - lo };
  }

  /**
   * Verifies a cached entry with bytes (at addr + verifySpan.lo) read in the same syscall as the
   * frames about to use it, so a short-lived code object seen last time costs no extra syscall
   * now. A match counts as verified for this snapshot; a mismatch drops the entry, so the coming
   * get() decodes the new object instead of returning the old one.
   */
  checkWith(addr: number, view: Buffer): void {
    const e = this.entries.get(addr);
    if (!e) return;
    const C = this.L.code;
    const lo = this.verifySpan.lo;
    if (readPtr(view, C.filename - lo) !== e.filenamePtr || readPtr(view, C.name - lo) !== e.namePtr || view.readInt32LE(C.firstlineno - lo) !== this.firstLines.get(addr)) {
      this.forget(addr);
    } else {
      e.checkedAt = this.now;
    }
  }

  /**
   * Verifies the queued cache hits of this snapshot against the target. A code object that is no
   * longer the one we decoded is dropped and the snapshot fails as torn (the caller retries).
   */
  verify(): void {
    if (this.pending.length === 0) return;
    const C = this.L.code;
    const lo = Math.min(C.firstlineno, C.filename, C.name);
    const len = Math.max(C.firstlineno + 4, C.filename + 8, C.name + 8) - lo;
    const addrs = this.pending.splice(0);
    let changed = false;
    for (let i = 0; i < addrs.length; i += 64) {
      const batch = addrs.slice(i, i + 64);
      const views = this.mem.readMany(batch.map((a) => [a + lo, len] as const));
      batch.forEach((a, j) => {
        const e = this.entries.get(a);
        if (!e) return;
        const v = views[j];
        if (readPtr(v, C.filename - lo) !== e.filenamePtr || readPtr(v, C.name - lo) !== e.namePtr || v.readInt32LE(C.firstlineno - lo) !== this.firstLines.get(a)) {
          this.forget(a);
          changed = true;
        } else {
          e.checkedAt = this.now;
        }
      });
    }
    if (changed) {
      this.objects.clearStrings();
      throw tornRead('a cached code object was replaced');
    }
  }

  /** Forgets entries unused for a while (their code objects are probably gone). */
  sweep(now: number): void {
    for (const [a, e] of this.entries) {
      if (now - e.usedAt > FORGET_UNUSED_MS) this.forget(a);
    }
  }

  private forget(addr: number): void {
    this.entries.delete(addr);
    this.firstLines.delete(addr);
    this.recent.drop(addr);
  }
}
