// Minimal ELF64 reader: program headers (for the load bias), section headers, and symbol lookup in
// .dynsym then .symtab. Reads only the parts it needs from disk, never the whole file; an image
// already in memory (the vdso, which has no file: copied from the target) is read the same way.
import { createHash } from 'crypto';
import * as fs from 'fs';

export interface ElfSection { name: string; type: number; flags: number; addr: number; offset: number; size: number; link: number; entsize: number }
export interface FunctionSymbol { addr: number; size: number; name: string }
export interface ElfSegment { type: number; offset: number; vaddr: number; filesz: number; memsz: number; flags: number }

/** Symbol lookups per file identity (see ElfFile.symbol); a few files: interpreters and libpythons. */
const lookups = new Map<string, Map<string, number | undefined>>();
const MAX_FILES = 32;

/** Where an ElfFile's bytes come from: an open file, or an image in memory. */
interface ElfBytes {
  /** what makes two sources the same file, for the symbol lookup cache */
  readonly identity: string;
  readAt(offset: number, len: number): Buffer;
  close(): void;
}

function fileBytes(fd: number): ElfBytes {
  const st = fs.fstatSync(fd);
  return {
    identity: `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`,
    readAt(offset, len) {
      const b = Buffer.alloc(len);
      const n = fs.readSync(fd, b, 0, len, offset);
      return n === len ? b : b.subarray(0, n);
    },
    close() {
      try { fs.closeSync(fd); } catch { /* already closed */ }
    },
  };
}

function imageBytes(image: Buffer): ElfBytes {
  return {
    identity: `image:${createHash('sha1').update(image).digest('hex')}`,
    readAt: (offset, len) => image.subarray(Math.min(offset, image.length), Math.min(offset + len, image.length)),
    close() { /* nothing held */ },
  };
}

export class ElfFile {
  readonly type: number; // 2 = ET_EXEC, 3 = ET_DYN
  readonly segments: ElfSegment[] = [];
  readonly sections: ElfSection[] = [];
  /** symbol table and its string table, read once per open file (null: absent) */
  private readonly tables = new Map<string, { syms: Buffer; strs: Buffer } | null>();
  private readonly identity: string;

  private constructor(private readonly bytes: ElfBytes, readonly path: string) {
    this.identity = bytes.identity;
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
          nameOff: sh.readUInt32LE(o), type: sh.readUInt32LE(o + 4), flags: Number(sh.readBigUInt64LE(o + 8)), addr: Number(sh.readBigUInt64LE(o + 16)),
          offset: Number(sh.readBigUInt64LE(o + 24)), size: Number(sh.readBigUInt64LE(o + 32)),
          link: sh.readUInt32LE(o + 40), entsize: Number(sh.readBigUInt64LE(o + 56)),
        });
      }
      const strtab = raw[shstrndx] ? this.readAt(raw[shstrndx].offset, raw[shstrndx].size) : Buffer.alloc(0);
      for (const s of raw) this.sections.push({ name: cstr(strtab, s.nameOff), type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size, link: s.link, entsize: s.entsize });
    }
  }

  static open(path: string): ElfFile {
    const fd = fs.openSync(path, 'r');
    try {
      return new ElfFile(fileBytes(fd), path);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** An ELF image held in memory (`name` only labels it): the vdso, copied from the target's mapping. */
  static fromImage(image: Buffer, name: string): ElfFile {
    return new ElfFile(imageBytes(image), name);
  }

  close(): void {
    this.bytes.close();
  }

  readAt(offset: number, len: number): Buffer {
    return this.bytes.readAt(offset, len);
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /**
   * Link-time address of a symbol from .dynsym, else .symtab (undefined if stripped from both).
   * Found by comparing bytes in place, without decoding every name of a static interpreter's
   * ~20,000-symbol table, and remembered per file (device, inode, size, mtime) for the life of
   * the process: launching retries attach every millisecond until the interpreter is up, and
   * each retry looks the same symbols up in the same file.
   */
  symbol(name: string): number | undefined {
    let known = lookups.get(this.identity);
    if (!known) {
      if (lookups.size >= MAX_FILES) lookups.delete(lookups.keys().next().value!);
      lookups.set(this.identity, (known = new Map()));
    }
    if (known.has(name)) return known.get(name);
    let value: number | undefined;
    for (const table of ['.dynsym', '.symtab']) {
      value = this.findSymbol(table, name);
      if (value) break;
    }
    known.set(name, value || undefined);
    return value || undefined;
  }

  /** The first entry named `name` with a non-zero value in a symbol table. */
  private findSymbol(table: string, name: string): number | undefined {
    let t = this.tables.get(table);
    if (t === undefined) {
      const sec = this.section(table);
      const strsec = sec && sec.entsize === 24 ? this.sections[sec.link] : undefined;
      t = sec && strsec ? { syms: this.readAt(sec.offset, sec.size), strs: this.readAt(strsec.offset, strsec.size) } : null;
      this.tables.set(table, t);
    }
    if (!t) return undefined;
    const { syms, strs } = t;
    const want = Buffer.from(`${name}\0`, 'latin1');
    const n = want.length; // with the terminating NUL: a prefix of a longer name never matches
    for (let o = 0; o + 24 <= syms.length; o += 24) {
      const at = (syms[o] | (syms[o + 1] << 8) | (syms[o + 2] << 16) | (syms[o + 3] << 24)) >>> 0;
      let k = 0;
      while (k < n && strs[at + k] === want[k]) k++; // bytes past the end are undefined: no match
      if (k < n) continue;
      const value = Number(syms.readBigUInt64LE(o + 8));
      if (value) return value;
    }
    return undefined;
  }

  /**
   * Every function symbol (STT_FUNC, STT_GNU_IFUNC) with an address, of .symtab and .dynsym, sorted
   * by address: what native frames are named from. Names are decoded once here (once per module).
   */
  functionSymbols(): FunctionSymbol[] {
    const out: FunctionSymbol[] = [];
    for (const table of ['.symtab', '.dynsym']) {
      const sec = this.section(table);
      const strsec = sec && sec.entsize === 24 ? this.sections[sec.link] : undefined;
      if (!sec || !strsec || sec.type === 8 /* SHT_NOBITS in a debug file */) continue;
      const syms = this.readAt(sec.offset, sec.size), strs = this.readAt(strsec.offset, strsec.size);
      for (let o = 0; o + 24 <= syms.length; o += 24) {
        const type = syms[o + 4] & 0xf;
        if (type !== 2 && type !== 10) continue;
        if (syms.readUInt16LE(o + 6) === 0) continue; // SHN_UNDEF: imported, defined elsewhere
        const addr = Number(syms.readBigUInt64LE(o + 8));
        if (!addr) continue;
        out.push({ addr, size: Number(syms.readBigUInt64LE(o + 16)), name: cstr(strs, syms.readUInt32LE(o)) });
      }
    }
    out.sort((a, b) => a.addr - b.addr || b.size - a.size);
    return out;
  }

  /** The GNU build-id (hex) from .note.gnu.build-id, which names its debug file under /usr/lib/debug/.build-id/. */
  buildId(): string | undefined {
    const sec = this.section('.note.gnu.build-id');
    if (!sec || sec.size < 16) return undefined;
    const note = this.readAt(sec.offset, sec.size);
    const nameSize = note.readUInt32LE(0), descSize = note.readUInt32LE(4), type = note.readUInt32LE(8);
    if (type !== 3) return undefined; // NT_GNU_BUILD_ID
    const desc = 12 + Math.ceil(nameSize / 4) * 4;
    return desc + descSize <= note.length ? note.toString('hex', desc, desc + descSize) : undefined;
  }

  /** The file name in .gnu_debuglink (a separate debug file next to it or under /usr/lib/debug). */
  debugLink(): string | undefined {
    const sec = this.section('.gnu_debuglink');
    if (!sec || sec.size < 2) return undefined;
    const name = cstr(this.readAt(sec.offset, sec.size), 0);
    return name || undefined;
  }

  /** The link-time address of a file offset (inside a PT_LOAD segment), or undefined. */
  fileOffsetToAddress(offset: number): number | undefined {
    for (const seg of this.segments) {
      if (seg.type === 1 && offset >= seg.offset && offset < seg.offset + seg.filesz) return offset - seg.offset + seg.vaddr;
    }
    return undefined;
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
