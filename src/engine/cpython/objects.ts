// Decoding Python objects we need from the target: str (PEP 393 layouts), bytes, and code objects.
// Code objects are immutable, so what we decode from one (names, file, line table) is cached by
// address; CodeCache.revalidate() re-checks the cached entries in batched reads so that an
// address reused by a new code object is noticed (see the sampler's cadence).
import { RemoteMemory, readPtr } from '../native/memory';
import { EngineError } from '../types';
import type { Layout } from './layout';
import { lineFrom310, lineFrom311, lineFromLnotab } from './lineTable';

const MAX_STRING_CHARS = 4096;
const MAX_LINETABLE_BYTES = 1 << 20;
const STRING_PROBE = 192;

export function tornRead(what: string): EngineError {
  return new EngineError('READ_FAILED', `inconsistent read (${what}): the target changed while being read`);
}

export class ObjectReader {
  private strings = new Map<number, string>();

  constructor(private readonly mem: RemoteMemory, private readonly L: Layout) {}

  clearStrings(): void {
    this.strings.clear();
  }

  /** A str object's text. Cached by address: callers only pass strings owned by live code objects. */
  string(addr: number): string {
    if (addr <= 0) throw tornRead('null string');
    const hit = this.strings.get(addr);
    if (hit !== undefined) return hit;
    const u = this.L.unicode;
    let buf = this.mem.read(addr, STRING_PROBE);
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
    this.strings.set(addr, text);
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
  /** the two pointers re-checked by revalidate() */
  filenamePtr: number;
  namePtr: number;
  lineTable: Buffer;
  /** memo: instruction position → line */
  lines: Map<number, number>;
}

export class CodeCache {
  private entries = new Map<number, CodeInfo>();

  constructor(private readonly mem: RemoteMemory, private readonly L: Layout, private readonly objects: ObjectReader, private readonly codeType: number) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.objects.clearStrings();
  }

  /** Decoded code object at `addr`; throws a torn-read error when it is not a code object. */
  get(addr: number): CodeInfo {
    const hit = this.entries.get(addr);
    if (hit) return hit;
    const C = this.L.code;
    const raw = this.mem.copy(addr, C.size);
    if (this.codeType && readPtr(raw, this.L.obType) !== this.codeType) throw tornRead(`not a code object at 0x${addr.toString(16)}`);
    const filenamePtr = readPtr(raw, C.filename);
    const namePtr = readPtr(raw, C.name);
    const qualPtr = C.qualname !== undefined ? readPtr(raw, C.qualname) : 0;
    const info: CodeInfo = {
      file: this.objects.string(filenamePtr),
      name: this.objects.string(qualPtr > 0 ? qualPtr : namePtr),
      firstLine: raw.readInt32LE(C.firstlineno),
      codeStart: C.codeAdaptive !== undefined ? addr + C.codeAdaptive : 0,
      filenamePtr,
      namePtr,
      lineTable: this.objects.bytes(readPtr(raw, C.linetable)),
      lines: new Map(),
    };
    this.entries.set(addr, info);
    return info;
  }

  /**
   * Line for an instruction position: ≤3.9 byte offset of the last instruction, 3.10 code-unit
   * index (f_lasti), 3.11+ code-unit index from the instruction pointer. Negative → def line.
   */
  line(info: CodeInfo, position: number): number {
    if (position < 0) return info.firstLine;
    let line = info.lines.get(position);
    if (line !== undefined) return line;
    switch (this.L.lineFormat) {
      case 'lnotab': line = lineFromLnotab(info.lineTable, info.firstLine, position); break;
      case 'linetable310': line = lineFrom310(info.lineTable, info.firstLine, position * 2); break;
      default: line = lineFrom311(info.lineTable, info.firstLine, position); break;
    }
    if (info.lines.size < 4096) info.lines.set(position, line);
    return line;
  }

  /**
   * Re-reads the filename/name pointers of every cached code object (64 per syscall) and drops
   * entries whose object changed: a freed code object's address can be reused by a new one.
   * Returns how many entries were dropped.
   */
  revalidate(): number {
    const addrs = [...this.entries.keys()];
    const C = this.L.code;
    const lo = Math.min(C.filename, C.name);
    const len = Math.max(C.filename, C.name) + 8 - lo;
    let dropped = 0;
    for (let i = 0; i < addrs.length; i += 64) {
      const batch = addrs.slice(i, i + 64);
      let views: Buffer[];
      try {
        views = this.mem.readMany(batch.map((a) => [a + lo, len] as const));
      } catch {
        for (const a of batch) this.entries.delete(a);
        dropped += batch.length;
        continue;
      }
      batch.forEach((a, j) => {
        const e = this.entries.get(a)!;
        if (readPtr(views[j], C.filename - lo) !== e.filenamePtr || readPtr(views[j], C.name - lo) !== e.namePtr) {
          this.entries.delete(a);
          dropped++;
        }
      });
    }
    if (dropped) this.objects.clearStrings();
    return dropped;
  }
}
