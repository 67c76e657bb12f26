// Minimal ELF64 reader: program headers (for the load bias), section headers, and symbol lookup in
// .dynsym then .symtab. Reads only the parts it needs from disk, never the whole file.
import * as fs from 'fs';

export interface ElfSection { name: string; type: number; addr: number; offset: number; size: number; link: number; entsize: number }
export interface ElfSegment { type: number; offset: number; vaddr: number; filesz: number; memsz: number; flags: number }

export class ElfFile {
  readonly type: number; // 2 = ET_EXEC, 3 = ET_DYN
  readonly segments: ElfSegment[] = [];
  readonly sections: ElfSection[] = [];
  private symbolCache = new Map<string, Map<string, number>>();

  constructor(private readonly fd: number, readonly path: string) {
    const h = this.readAt(0, 64);
    if (h.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF file`);
    if (h[4] !== 2 || h[5] !== 1) throw new Error(`${path} is not a 64-bit little-endian ELF file`);
    this.type = h.readUInt16LE(16);
    const phoff = Number(h.readBigUInt64LE(32));
    const shoff = Number(h.readBigUInt64LE(40));
    const phentsize = h.readUInt16LE(54), phnum = h.readUInt16LE(56);
    const shentsize = h.readUInt16LE(58), shnum = h.readUInt16LE(60), shstrndx = h.readUInt16LE(62);
    const ph = this.readAt(phoff, phentsize * phnum);
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      this.segments.push({
        type: ph.readUInt32LE(o), flags: ph.readUInt32LE(o + 4), offset: Number(ph.readBigUInt64LE(o + 8)),
        vaddr: Number(ph.readBigUInt64LE(o + 16)), filesz: Number(ph.readBigUInt64LE(o + 32)), memsz: Number(ph.readBigUInt64LE(o + 40)),
      });
    }
    if (shoff && shnum) {
      const sh = this.readAt(shoff, shentsize * shnum);
      const raw = [];
      for (let i = 0; i < shnum; i++) {
        const o = i * shentsize;
        raw.push({
          nameOff: sh.readUInt32LE(o), type: sh.readUInt32LE(o + 4), addr: Number(sh.readBigUInt64LE(o + 16)),
          offset: Number(sh.readBigUInt64LE(o + 24)), size: Number(sh.readBigUInt64LE(o + 32)),
          link: sh.readUInt32LE(o + 40), entsize: Number(sh.readBigUInt64LE(o + 56)),
        });
      }
      const strtab = raw[shstrndx] ? this.readAt(raw[shstrndx].offset, raw[shstrndx].size) : Buffer.alloc(0);
      for (const s of raw) this.sections.push({ name: cstr(strtab, s.nameOff), type: s.type, addr: s.addr, offset: s.offset, size: s.size, link: s.link, entsize: s.entsize });
    }
  }

  static open(path: string): ElfFile {
    return new ElfFile(fs.openSync(path, 'r'), path);
  }

  close(): void {
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
  }

  readAt(offset: number, len: number): Buffer {
    const b = Buffer.alloc(len);
    const n = fs.readSync(this.fd, b, 0, len, offset);
    return n === len ? b : b.subarray(0, n);
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** Link-time address of a symbol from .dynsym, else .symtab (undefined if stripped from both). */
  symbol(name: string): number | undefined {
    for (const table of ['.dynsym', '.symtab']) {
      const v = this.symbols(table).get(name);
      if (v) return v;
    }
    return undefined;
  }

  private symbols(table: string): Map<string, number> {
    let m = this.symbolCache.get(table);
    if (m) return m;
    m = new Map();
    this.symbolCache.set(table, m);
    const sec = this.section(table);
    if (!sec || sec.entsize !== 24) return m;
    const strsec = this.sections[sec.link];
    if (!strsec) return m;
    const syms = this.readAt(sec.offset, sec.size);
    const strs = this.readAt(strsec.offset, strsec.size);
    for (let o = 0; o + 24 <= syms.length; o += 24) {
      const value = Number(syms.readBigUInt64LE(o + 8));
      if (!value) continue;
      const name = cstr(strs, syms.readUInt32LE(o));
      if (name && !m.has(name)) m.set(name, value);
    }
    return m;
  }

  /** Load bias: where the file was mapped minus where it was linked (0 for ET_EXEC). */
  loadBias(mappings: ReadonlyArray<{ start: number; offset: number }>): number {
    if (this.type === 2) return 0;
    const PAGE = 0xfff;
    for (const seg of this.segments) {
      if (seg.type !== 1) continue; // PT_LOAD
      const m = mappings.find((mp) => mp.offset === (seg.offset & ~PAGE));
      if (m) return m.start - (seg.vaddr & ~PAGE);
    }
    throw new Error(`cannot compute the load bias of ${this.path}`);
  }
}

function cstr(buf: Buffer, off: number): string {
  if (off >= buf.length) return '';
  const end = buf.indexOf(0, off);
  return buf.toString('latin1', off, end < 0 ? buf.length : end);
}
