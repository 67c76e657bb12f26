// Short, safe descriptions of Python objects read from outside the process (dump --locals, task
// names and results in dump --async). Nothing here runs target code: each object's type is told by
// its type's tp_name (so a subclass of int shows as its class, never as an int we would have to
// trust), and only a few built-in layouts are decoded. Every read is bounded (strings and bytes are
// cut, containers show their size and first items, nesting stops at depth 2), and a torn or freed
// object prints `<unreadable>` instead of failing the dump.
import table from './objectOffsets.json';
import { RemoteMemory, readPtr } from '../native/memory';
import type { Layout } from './layout';
import { dictItems } from './dictEntries';

export type ObjectOffsets = Record<string, number>;

/** The generated value offsets (tools/offsets/generateObjects.mjs) for a version, if known. */
export function objectOffsets(L: Layout): ObjectOffsets | undefined {
  if (L.freeThreaded) return undefined; // object headers are 16 bytes longer: not generated
  const row = (table as Record<string, Record<string, number | string>>)[`${L.major}.${L.minor}`];
  return row as ObjectOffsets | undefined;
}

/**
 * The object a value-stack or fast-locals slot refers to. 3.14 stores _PyStackRefs there: the low
 * bits (stackref.tag_bits) tag a borrowed or immortal reference, NULL is the tag alone, and a slot
 * with every tag bit set holds a tagged int the interpreter keeps for itself (no object): both read 0.
 */
export function stackRefObject(bits: number, O: ObjectOffsets): number {
  const tagBits = O['stackref.tag_bits'];
  if (tagBits === undefined || bits <= 0) return bits;
  if ((bits & tagBits) === tagBits) return 0;
  return bits - (bits % (tagBits + 1));
}

export const UNREADABLE = '<unreadable>';
const MAX_TEXT = 60;
const MAX_BYTES = 32;
const MAX_ITEMS = 3;
const MAX_CONTAINER = 1 << 28;
const MAX_TYPE_NAME = 128;

export class ObjectRepr {
  private typeNames = new Map<number, string>();

  constructor(private readonly mem: RemoteMemory, private readonly L: Layout, private readonly O: ObjectOffsets) {}

  /** Forget type names (a dump is one-off; a recorder calls this now and then). */
  clear(): void {
    this.typeNames.clear();
  }

  /** The object's type address; throws when the header is implausible (freed or torn). */
  typeOf(addr: number): number {
    if (addr <= 0 || addr % 8 !== 0) throw new Error('bad object pointer');
    const h = this.mem.read(addr, 16);
    const refcnt = h.readBigInt64LE(0);
    // immortal objects (3.12+) carry a huge refcount; freed ones 0 or negative
    if (refcnt <= 0n) throw new Error('freed object');
    const type = readPtr(h, this.L.obType);
    if (type <= 0 || type % 8 !== 0) throw new Error('bad type pointer');
    return type;
  }

  /** tp_name of a type object ("int", "_asyncio.Task", "MyClass"), cached by address. */
  typeName(type: number): string {
    let n = this.typeNames.get(type);
    if (n === undefined) {
      const namePtr = this.mem.u64(type + this.O['type.tp_name']);
      if (namePtr <= 0) throw new Error('type without a name');
      n = cString(this.mem, namePtr, MAX_TYPE_NAME);
      if (!/^[\w.<> -]+$/.test(n)) throw new Error('implausible type name');
      if (this.typeNames.size > 10_000) this.typeNames.clear();
      this.typeNames.set(type, n);
    }
    return n;
  }

  /** Type name of the object at addr, or undefined when unreadable. */
  nameOfType(addr: number): string | undefined {
    try {
      return this.typeName(this.typeOf(addr));
    } catch {
      return undefined;
    }
  }

  /** True when the object's type is `name` or derives from a type named `name` (tp_base chain). */
  isInstance(addr: number, name: string): boolean {
    try {
      let t = this.typeOf(addr);
      for (let i = 0; i < 32 && t > 0; i++) {
        if (this.typeName(t) === name) return true;
        t = this.mem.u64(t + this.O['type.tp_base']);
      }
    } catch {
      /* unreadable: not an instance we can use */
    }
    return false;
  }

  /** tp_basicsize of a type. */
  basicSize(type: number): number {
    return Number(this.mem.read(type + this.O['type.tp_basicsize'], 8).readBigInt64LE(0));
  }

  /** A short repr, never longer than about 200 characters, `<unreadable>` on any bad read. */
  repr(addr: number, depth = 0): string {
    try {
      return this.describe(addr, depth);
    } catch {
      return UNREADABLE;
    }
  }

  /** The text of a str object, cut to `max` characters (undefined when it is not a readable str). */
  text(addr: number, max = MAX_TEXT): string | undefined {
    try {
      if (this.typeName(this.typeOf(addr)) !== 'str') return undefined;
      return this.strText(addr, max).text;
    } catch {
      return undefined;
    }
  }

  private describe(addr: number, depth: number): string {
    const type = this.typeOf(addr);
    const name = this.typeName(type);
    const O = this.O;
    switch (name) {
      case 'NoneType': return 'None';
      case 'bool': return this.intValue(addr) === 0n ? 'False' : 'True';
      case 'int': {
        const v = this.intValue(addr);
        return v === undefined ? '<int: big>' : v.toString();
      }
      case 'float': return floatRepr(this.mem.read(addr + O['float.ob_fval'], 8).readDoubleLE(0));
      case 'str': {
        const { text, cut } = this.strText(addr, MAX_TEXT);
        return pyQuote(text) + (cut ? '…' : '');
      }
      case 'bytes': {
        const size = this.size(addr);
        const b = this.mem.read(addr + this.L.bytes.sval, Math.min(size, MAX_BYTES));
        return bytesRepr(b) + (size > MAX_BYTES ? `… (${size} bytes)` : '');
      }
      case 'tuple':
      case 'list': {
        const size = this.size(addr);
        const items = name === 'tuple' ? addr + O['tuple.ob_item'] : this.mem.u64(addr + O['list.ob_item']);
        const shown = Math.min(size, MAX_ITEMS);
        const ptrs = shown > 0 ? this.mem.copy(items, shown * 8) : Buffer.alloc(0);
        const parts: string[] = [];
        for (let i = 0; i < shown; i++) parts.push(depth >= 1 ? this.brief(readPtr(ptrs, i * 8)) : this.repr(readPtr(ptrs, i * 8), depth + 1));
        const [open, close] = name === 'tuple' ? ['(', size === 1 ? ',)' : ')'] : ['[', ']'];
        return open + parts.join(', ') + (size > shown ? ', …' : '') + close + (size > shown ? ` (${size} items)` : '');
      }
      case 'set':
      case 'frozenset': {
        const keys = this.setKeys(addr, MAX_ITEMS);
        const used = this.setUsed(addr);
        const parts = keys.map((k) => (depth >= 1 ? this.brief(k) : this.repr(k, depth + 1)));
        const body = used === 0 ? `${name}()` : `${name === 'set' ? '' : 'frozenset('}{${parts.join(', ')}${used > keys.length ? ', …' : ''}}${name === 'set' ? '' : ')'}`;
        return body + (used > keys.length ? ` (${used} items)` : '');
      }
      case 'dict': {
        const used = Number(this.mem.read(addr + (this.L.dict.used ?? 16), 8).readBigInt64LE(0));
        if (used < 0 || used > MAX_CONTAINER) throw new Error('implausible dict');
        if (used === 0) return '{}';
        const items = dictItems(this.mem, this.L, addr, 16).slice(0, MAX_ITEMS);
        const one = (a: number) => (depth >= 1 ? this.brief(a) : this.repr(a, depth + 1));
        const body = items.map(([k, v]) => `${one(k)}: ${one(v)}`).join(', ');
        return `{${body}${used > items.length ? ', …' : ''}}` + (used > items.length ? ` (${used} items)` : '');
      }
      default:
        return `<${name} object>`;
    }
  }

  /** One-word description for nested items: scalars in full, containers by type. */
  private brief(addr: number): string {
    const t = this.nameOfType(addr);
    if (t === undefined) return UNREADABLE;
    if (['NoneType', 'bool', 'int', 'float', 'str', 'bytes'].includes(t)) return this.repr(addr, 2);
    return `<${t}>`;
  }

  private size(addr: number): number {
    const n = Number(this.mem.read(addr + this.O['var.ob_size'], 8).readBigInt64LE(0));
    if (n < 0 || n > MAX_CONTAINER) throw new Error('implausible size');
    return n;
  }

  /** A small int's value (BigInt), or undefined for ints over 4 digits (120 bits). */
  intValue(addr: number): bigint | undefined {
    const O = this.O;
    const b = this.mem.read(addr + O['var.ob_size'], 8 + 4 * 4 + (O['long.ob_digit'] - O['var.ob_size'] - 8));
    const raw = b.readBigInt64LE(0);
    let digits: number, negative: boolean;
    if (O['long.tagged_size']) {
      // 3.12+: lv_tag = digit count << 3 | sign (0 positive, 1 zero, 2 negative)
      digits = Number(BigInt.asUintN(64, raw) >> 3n);
      negative = (Number(raw & 3n)) === 2;
    } else {
      digits = Math.abs(Number(raw));
      negative = raw < 0n;
    }
    if (digits > 4) return undefined;
    let v = 0n;
    const base = O['long.ob_digit'] - O['var.ob_size'];
    for (let i = digits - 1; i >= 0; i--) v = (v << 30n) + BigInt(b.readUInt32LE(base + 4 * i));
    return negative ? -v : v;
  }

  /** Text of a compact str, at most `max` characters read. */
  private strText(addr: number, max: number): { text: string; cut: boolean } {
    const u = this.L.unicode;
    const h = this.mem.read(addr, u.compactSize);
    const length = Number(h.readBigInt64LE(u.length));
    const state = h.readUInt32LE(u.state);
    const kind = (state >>> u.kindShift) & 7;
    const compact = (state >>> u.compactBit) & 1;
    const ascii = (state >>> u.asciiBit) & 1;
    if (length < 0 || length > MAX_CONTAINER || (kind !== 1 && kind !== 2 && kind !== 4)) throw new Error('implausible str');
    if (!compact) throw new Error('non-compact str');
    const n = Math.min(length, max);
    const b = this.mem.read(addr + (ascii ? u.asciiSize : u.compactSize), n * kind);
    let text: string;
    if (kind === 1) text = b.toString(ascii ? 'ascii' : 'latin1');
    else if (kind === 2) text = b.toString('utf16le');
    else {
      text = '';
      for (let i = 0; i + 3 < b.length; i += 4) text += String.fromCodePoint(Math.min(b.readUInt32LE(i), 0x10ffff));
    }
    return { text, cut: length > max };
  }

  private setUsed(addr: number): number {
    const n = Number(this.mem.read(addr + this.O['set.used'], 8).readBigInt64LE(0));
    if (n < 0 || n > MAX_CONTAINER) throw new Error('implausible set');
    return n;
  }

  /**
   * Up to `max` keys of a set or frozenset (its hash table: mask+1 entries of key, hash; empty
   * slots are NULL, deleted ones the set module's dummy object, which we skip by its type).
   */
  setKeys(addr: number, max: number, limitSlots = 1 << 16): number[] {
    const O = this.O;
    const head = this.mem.read(addr + O['set.mask'], 16);
    const mask = Number(head.readBigInt64LE(0));
    const tbl = readPtr(head, O['set.table'] - O['set.mask']);
    if (mask < 0 || mask > MAX_CONTAINER || tbl <= 0) throw new Error('implausible set');
    const slots = Math.min(mask + 1, limitSlots);
    const entry = O['set.entry_size'];
    const raw = this.mem.copy(tbl, slots * entry);
    const out: number[] = [];
    let dummyType = -1;
    for (let i = 0; i < slots && out.length < max; i++) {
      const k = readPtr(raw, i * entry);
      if (k <= 0) continue;
      let t: number;
      try {
        t = this.typeOf(k);
        if (t === dummyType) continue;
        if (this.typeName(t).startsWith('<dummy key>')) { dummyType = t; continue; } // a deleted slot
      } catch {
        continue;
      }
      out.push(k);
    }
    return out;
  }
}

/** A NUL-terminated C string of at most `max` bytes (read in one go; stops at a mapping end). */
export function cString(mem: RemoteMemory, addr: number, max: number): string {
  let b: Buffer;
  try {
    b = mem.read(addr, max);
  } catch {
    b = mem.read(addr, 16);
  }
  const end = b.indexOf(0);
  if (end < 0) throw new Error('unterminated C string');
  return b.toString('utf8', 0, end);
}

function floatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function pyQuote(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + q;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return q + out + q;
}

function bytesRepr(b: Buffer): string {
  let s = "b'";
  for (const c of b) {
    if (c === 0x5c) s += '\\\\';
    else if (c === 0x27) s += "\\'";
    else if (c === 10) s += '\\n';
    else if (c === 13) s += '\\r';
    else if (c === 9) s += '\\t';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  return s + "'";
}
