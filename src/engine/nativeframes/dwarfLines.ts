// `file:line` of a native instruction address, from a module's DWARF line-number programs
// (.debug_line, DWARF 2 to 5; gcc 12 writes DWARF 5 with names in .debug_line_str). Read from the
// module itself or its separate debug file, whichever has the section; SHF_COMPRESSED (zlib) and
// old-style .zdebug_line sections are inflated with node's zlib.
// Cost is kept off the samples: a module's table is built the first time one of its addresses is
// named (Symbolizer caches every address it has named), and built in two steps so that memory
// stays bounded: one pass over the programs keeps only each sequence's address range (a few per
// compilation unit), and a sequence's rows are decoded when an address falls in it, into typed
// arrays held in a least-recently-used cache of at most MAX_CACHED_ROWS rows per module.
// Not done: DW_AT_comp_dir (in .debug_info) for DWARF 2-4 names relative to the compilation
// directory (they stay relative: `Objects/obj.c`); inlined calls (the line may be in an inlined
// callee's source, under the outer function's name); VLIW op_index (x86-64 has none).
import * as zlib from 'zlib';
import { ElfFile } from '../proc/elf';

export interface SourceLine {
  /** source path as the compiler recorded it (absolute when the compilation directory is known) */
  file: string;
  line: number;
}

/** Decoded rows kept per module (each row: 16 bytes), beyond which the oldest sequence is dropped. */
const MAX_CACHED_ROWS = 1 << 18;
/** A .debug_line larger than this (after inflating) is not read: its module keeps no lines. */
const MAX_SECTION_BYTES = 64 << 20;
const SHT_NOBITS = 8;
const SHF_COMPRESSED = 0x800;
const ELFCOMPRESS_ZLIB = 1;
/** sizeof(Elf64_Chdr): ch_type, ch_reserved, ch_size, ch_addralign */
const CHDR_BYTES = 24;

// line-number program opcodes (DWARF 5, section 6.2.5)
const DW_LNS_copy = 1, DW_LNS_advance_pc = 2, DW_LNS_advance_line = 3, DW_LNS_set_file = 4;
const DW_LNS_const_add_pc = 8, DW_LNS_fixed_advance_pc = 9;
const DW_LNE_end_sequence = 1, DW_LNE_set_address = 2;
// entry formats of DWARF 5 directory / file tables
const DW_LNCT_path = 1, DW_LNCT_directory_index = 2;
const DW_FORM_block = 0x09, DW_FORM_block1 = 0x0a, DW_FORM_data1 = 0x0b, DW_FORM_data2 = 0x05, DW_FORM_data4 = 0x06;
const DW_FORM_data8 = 0x07, DW_FORM_data16 = 0x1e, DW_FORM_string = 0x08, DW_FORM_strp = 0x0e, DW_FORM_line_strp = 0x1f;
const DW_FORM_udata = 0x0f, DW_FORM_sdata = 0x0d, DW_FORM_strx = 0x1a, DW_FORM_strx1 = 0x25, DW_FORM_strx2 = 0x26;
const DW_FORM_strx3 = 0x27, DW_FORM_strx4 = 0x28;

/** One line-number program's header: what decoding its opcodes and naming its files needs. */
interface Unit {
  version: number;
  offsetSize: number;
  addressSize: number;
  minInstLength: number;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  standardLengths: number[];
  /** where the directory/file tables start, the program starts, the unit ends (section offsets) */
  tables: number;
  program: number;
  end: number;
  /** file names by the index the program uses, decoded on first use */
  files?: string[];
}

/** A run of rows from one address up to an end_sequence (one per code section of a compilation unit). */
interface Sequence {
  low: number;
  high: number;
  unit: Unit;
  /** section offset of the sequence's first opcode (registers start from their initial values there) */
  start: number;
}

interface Rows {
  addrs: Float64Array;
  lines: Uint32Array;
  files: Uint32Array;
}

/** Rows being decoded: plain arrays, copied into typed arrays when the sequence ends. */
interface RowBuilder {
  addrs: number[];
  lines: number[];
  files: number[];
}

export class LineTable {
  private readonly cache = new Map<Sequence, Rows>();
  private cachedRows = 0;

  private constructor(
    private readonly lineSection: Buffer,
    private readonly strings: { line?: Buffer; str?: Buffer },
    private readonly sequences: Sequence[],
  ) {}

  /** The line table of the first of `files` (the module, then its debug file) that has one; null when none does. */
  static load(files: readonly string[]): LineTable | null {
    for (const file of files) {
      let elf: ElfFile | undefined;
      try {
        elf = ElfFile.open(file);
        const line = readDebugSection(elf, 'line');
        if (!line) continue;
        const strings = { line: readDebugSection(elf, 'line_str'), str: readDebugSection(elf, 'str') };
        return LineTable.fromSections(line, strings);
      } catch {
        /* unreadable or malformed: the next file, or no lines */
      } finally {
        elf?.close();
      }
    }
    return null;
  }

  /** A table from section contents (`strings`: .debug_line_str and .debug_str, for DWARF 5 names). */
  static fromSections(line: Buffer, strings: { line?: Buffer; str?: Buffer }): LineTable {
    const sequences: Sequence[] = [];
    for (let at = 0; at < line.length;) {
      const unit = readUnitHeader(line, at);
      if (!unit) break; // a broken header: the units after it cannot be found either
      runProgram(line, unit, unit.program, undefined, sequences);
      at = unit.end;
    }
    sequences.sort((a, b) => a.low - b.low);
    return new LineTable(line, strings, sequences);
  }

  /** Source line of a link-time address, or undefined (no sequence covers it, or its row has line 0). */
  lookup(addr: number): SourceLine | undefined {
    const seq = this.sequenceOf(addr);
    if (!seq) return undefined;
    const rows = this.rowsOf(seq);
    // the last row at or below addr (rows at one address: the last of them, as addr2line does)
    let lo = 0, hi = rows.addrs.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (rows.addrs[mid] <= addr) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (best < 0 || rows.lines[best] === 0) return undefined;
    const file = this.fileName(seq.unit, rows.files[best]);
    return file ? { file, line: rows.lines[best] } : undefined;
  }

  private sequenceOf(addr: number): Sequence | undefined {
    const seqs = this.sequences;
    let lo = 0, hi = seqs.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (seqs[mid].low <= addr) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    // overlapping sequences are rare (duplicated COMDAT code): look back a little
    for (let i = best; i >= 0 && i > best - 4; i--) if (addr < seqs[i].high) return seqs[i];
    return undefined;
  }

  private rowsOf(seq: Sequence): Rows {
    const hit = this.cache.get(seq);
    if (hit) {
      this.cache.delete(seq); // most recently used last
      this.cache.set(seq, hit);
      return hit;
    }
    const addrs: number[] = [], lines: number[] = [], files: number[] = [];
    runProgram(this.lineSection, seq.unit, seq.start, { addrs, lines, files });
    const rows = { addrs: Float64Array.from(addrs), lines: Uint32Array.from(lines), files: Uint32Array.from(files) };
    this.cache.set(seq, rows);
    this.cachedRows += addrs.length;
    for (const [old, r] of this.cache) {
      if (this.cachedRows <= MAX_CACHED_ROWS || old === seq) break;
      this.cache.delete(old);
      this.cachedRows -= r.addrs.length;
    }
    return rows;
  }

  private fileName(unit: Unit, index: number): string | undefined {
    unit.files ??= readFileTable(this.lineSection, unit, this.strings);
    return unit.files[index] || undefined;
  }
}

/** A .debug_* section's bytes, inflated when compressed; undefined when absent, empty in this file or too large. */
function readDebugSection(elf: ElfFile, name: string): Buffer | undefined {
  const plain = elf.section(`.debug_${name}`);
  if (plain && plain.type !== SHT_NOBITS && plain.size > 0) {
    if (!(plain.flags & SHF_COMPRESSED)) return plain.size <= MAX_SECTION_BYTES ? elf.readAt(plain.offset, plain.size) : undefined;
    const raw = elf.readAt(plain.offset, plain.size);
    if (raw.length < CHDR_BYTES || raw.readUInt32LE(0) !== ELFCOMPRESS_ZLIB) return undefined; // zstd: node 20 has no decoder
    const size = Number(raw.readBigUInt64LE(8));
    return size <= MAX_SECTION_BYTES ? zlib.inflateSync(raw.subarray(CHDR_BYTES), { maxOutputLength: MAX_SECTION_BYTES }) : undefined;
  }
  // the GNU form before SHF_COMPRESSED: "ZLIB", the size (8 bytes, big-endian), the zlib stream
  const old = elf.section(`.zdebug_${name}`);
  if (!old || old.type === SHT_NOBITS || old.size < 12) return undefined;
  const raw = elf.readAt(old.offset, old.size);
  if (raw.toString('latin1', 0, 4) !== 'ZLIB' || Number(raw.readBigUInt64BE(4)) > MAX_SECTION_BYTES) return undefined;
  return zlib.inflateSync(raw.subarray(12), { maxOutputLength: MAX_SECTION_BYTES });
}

/** A little-endian cursor over a section with LEB128 and DWARF offsets. */
class Reader {
  constructor(readonly buf: Buffer, public at: number) {}
  u8(): number { return this.buf[this.at++]; }
  u16(): number { const v = this.buf.readUInt16LE(this.at); this.at += 2; return v; }
  u32(): number { const v = this.buf.readUInt32LE(this.at); this.at += 4; return v; }
  u64(): number { const v = Number(this.buf.readBigUInt64LE(this.at)); this.at += 8; return v; }
  offset(size: number): number { return size === 8 ? this.u64() : this.u32(); }
  uleb(): number { return this.leb128(false); }
  sleb(): number { return this.leb128(true); }
  /** Multiplies instead of shifting: JS shifts are 32-bit, DWARF values can be wider. */
  private leb128(signed: boolean): number {
    let result = 0, mul = 1, b: number;
    do {
      b = this.buf[this.at++];
      result += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    return signed && b & 0x40 ? result - mul : result;
  }
  cstr(): string {
    const end = this.buf.indexOf(0, this.at);
    const s = this.buf.toString('utf8', this.at, end < 0 ? this.buf.length : end);
    this.at = end < 0 ? this.buf.length : end + 1;
    return s;
  }
}

function readUnitHeader(buf: Buffer, at: number): Unit | undefined {
  if (at + 4 > buf.length) return undefined;
  const r = new Reader(buf, at);
  let length = r.u32(), offsetSize = 4;
  if (length === 0xffffffff) { length = r.u64(); offsetSize = 8; }
  const end = r.at + length;
  if (end > buf.length || length < 2) return undefined;
  const version = r.u16();
  if (version < 2 || version > 5) return { version, offsetSize, addressSize: 8, minInstLength: 1, lineBase: 0, lineRange: 1, opcodeBase: 1, standardLengths: [], tables: end, program: end, end };
  let addressSize = 8;
  if (version >= 5) {
    addressSize = r.u8();
    r.u8(); // segment selector size
  }
  const headerLength = r.offset(offsetSize);
  const program = r.at + headerLength;
  const minInstLength = r.u8();
  if (version >= 4) r.u8(); // maximum operations per instruction: 1 outside VLIW
  r.u8(); // default_is_stmt: every row counts for a lookup
  const lineBase = buf.readInt8(r.at++);
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  const standardLengths = [0];
  for (let i = 1; i < opcodeBase; i++) standardLengths.push(r.u8());
  if (lineRange === 0 || program > end) return { version, offsetSize, addressSize, minInstLength, lineBase, lineRange: 1, opcodeBase, standardLengths, tables: end, program: end, end };
  return { version, offsetSize, addressSize, minInstLength, lineBase, lineRange, opcodeBase, standardLengths, tables: r.at, program, end };
}

/**
 * Runs a unit's line-number program from `from` with fresh registers. With `rows`: decodes the one
 * sequence starting there into it, then stops (a row repeating the previous line adds nothing to a
 * lookup and is left out; of rows at one address the last counts, as addr2line has it). With
 * `sequences`: runs the whole unit and adds each sequence's address range. One tight loop over the
 * bytes (a large libpython has ~750,000 rows): LEB128 read in place, no call per row.
 */
function runProgram(buf: Buffer, u: Unit, from: number, rows: RowBuilder | undefined, sequences?: Sequence[]): void {
  let at = from, addr = 0, file = 1, line = 1;
  let start = from, low = -1;
  const { opcodeBase, lineBase, lineRange, minInstLength, end } = u;
  const constAddPc = minInstLength * Math.floor((255 - opcodeBase) / lineRange);
  const uleb = (): number => {
    let result = 0, mul = 1, b: number;
    do { b = buf[at++]; result += (b & 0x7f) * mul; mul *= 128; } while (b & 0x80 && at < end);
    return result;
  };
  const row = (isEnd: boolean): void => {
    if (!rows) {
      if (!isEnd) { if (low < 0) low = addr; return; }
      // address 0 (or below the first row): code the linker dropped, whose rows were not relocated
      if (low > 0 && addr > low) sequences!.push({ low, high: addr, unit: u, start });
      low = -1;
      return;
    }
    const { addrs, lines, files } = rows;
    const n = addrs.length;
    const ln = isEnd ? 0 : line;
    if (n > 0 && addrs[n - 1] === addr) { lines[n - 1] = ln; files[n - 1] = file; return; }
    if (n > 0 && !isEnd && lines[n - 1] === ln && files[n - 1] === file) return;
    addrs.push(addr); lines.push(ln); files.push(file);
  };
  while (at < end) {
    const op = buf[at++];
    if (op >= opcodeBase) {
      const adjusted = op - opcodeBase;
      addr += minInstLength * Math.floor(adjusted / lineRange);
      line += lineBase + (adjusted % lineRange);
      if (rows || low < 0) row(false);
      continue;
    }
    switch (op) {
      case 0: { // extended
        const len = uleb();
        const next = at + len;
        const sub = len > 0 ? buf[at] : 0;
        if (sub === DW_LNE_end_sequence) {
          row(true);
          if (rows) return;
          addr = 0; file = 1; line = 1;
          start = next;
        } else if (sub === DW_LNE_set_address && len === 9) addr = Number(buf.readBigUInt64LE(at + 1));
        else if (sub === DW_LNE_set_address && len >= 2 && len <= 7) addr = buf.readUIntLE(at + 1, len - 1);
        at = next; // define_file, set_discriminator and vendor opcodes: skipped by their length
        break;
      }
      case DW_LNS_copy: if (rows || low < 0) row(false); break;
      case DW_LNS_advance_pc: addr += minInstLength * uleb(); break;
      case DW_LNS_advance_line: {
        let result = 0, mul = 1, b: number;
        do { b = buf[at++]; result += (b & 0x7f) * mul; mul *= 128; } while (b & 0x80 && at < end);
        line += b & 0x40 ? result - mul : result;
        break;
      }
      case DW_LNS_set_file: file = uleb(); break;
      case DW_LNS_const_add_pc: addr += constAddPc; break;
      case DW_LNS_fixed_advance_pc: addr += buf.readUInt16LE(at); at += 2; break;
      default: // set_column, negate_stmt, basic_block, prologue/epilogue marks, set_isa, vendor ones: skipped by their argument count
        for (let i = u.standardLengths[op] ?? 0; i > 0; i--) uleb();
    }
  }
}

/** A unit's file names by program index (DWARF 5: from 0, directory 0 the compilation directory; before: from 1). */
function readFileTable(buf: Buffer, u: Unit, strings: { line?: Buffer; str?: Buffer }): string[] {
  const r = new Reader(buf, u.tables);
  try {
    if (u.version >= 5) {
      const dirs = readEntries(r, u, strings).map((e) => e.path);
      const files = readEntries(r, u, strings);
      return files.map((f) => joinPath(f.dir === 0 ? dirs[0] : joinPath(dirs[0], dirs[f.dir]), f.path));
    }
    const dirs = ['']; // directory 0: the compilation directory, only named in .debug_info
    for (let d = r.cstr(); d && r.at < u.program; d = r.cstr()) dirs.push(d);
    const files = [''];
    for (let f = r.cstr(); f && r.at < u.program; f = r.cstr()) {
      const dir = r.uleb();
      r.uleb(); // modification time
      r.uleb(); // length
      files.push(joinPath(dirs[dir], f));
    }
    return files;
  } catch {
    return []; // a malformed table: its rows name no file (they are not shown rather than shown wrong)
  }
}

/** One DWARF 5 directory or file table: its entry format, then its entries. */
function readEntries(r: Reader, u: Unit, strings: { line?: Buffer; str?: Buffer }): Array<{ path: string; dir: number }> {
  const formatCount = r.u8();
  const format: Array<[number, number]> = [];
  for (let i = 0; i < formatCount; i++) format.push([r.uleb(), r.uleb()]);
  const count = r.uleb();
  const out: Array<{ path: string; dir: number }> = [];
  for (let i = 0; i < count; i++) {
    const e = { path: '', dir: 0 };
    for (const [content, form] of format) {
      const v = readForm(r, form, u, strings);
      if (content === DW_LNCT_path && typeof v === 'string') e.path = v;
      else if (content === DW_LNCT_directory_index && typeof v === 'number') e.dir = v;
    }
    out.push(e);
  }
  return out;
}

/** A header attribute value: a string for the string forms, a number for constants, undefined for the rest (skipped). */
function readForm(r: Reader, form: number, u: Unit, strings: { line?: Buffer; str?: Buffer }): string | number | undefined {
  switch (form) {
    case DW_FORM_string: return r.cstr();
    case DW_FORM_line_strp: return stringAt(strings.line, r.offset(u.offsetSize));
    case DW_FORM_strp: return stringAt(strings.str, r.offset(u.offsetSize));
    case DW_FORM_udata: return r.uleb();
    case DW_FORM_sdata: return r.sleb();
    case DW_FORM_data1: return r.u8();
    case DW_FORM_data2: return r.u16();
    case DW_FORM_data4: return r.u32();
    case DW_FORM_data8: return r.u64();
    case DW_FORM_data16: r.at += 16; return undefined;
    case DW_FORM_block: r.at += r.uleb(); return undefined;
    case DW_FORM_block1: r.at += r.u8(); return undefined;
    // names through .debug_str_offsets need the unit's base from .debug_info: left unnamed
    case DW_FORM_strx: r.uleb(); return undefined;
    case DW_FORM_strx1: r.at += 1; return undefined;
    case DW_FORM_strx2: r.at += 2; return undefined;
    case DW_FORM_strx3: r.at += 3; return undefined;
    case DW_FORM_strx4: r.at += 4; return undefined;
    default: throw new Error(`unknown DWARF form 0x${form.toString(16)} in a line table header`);
  }
}

function stringAt(section: Buffer | undefined, offset: number): string | undefined {
  if (!section || offset >= section.length) return undefined;
  const end = section.indexOf(0, offset);
  return section.toString('utf8', offset, end < 0 ? section.length : end);
}

function joinPath(dir: string | undefined, name: string): string {
  if (!name || name.startsWith('/') || !dir) return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}
