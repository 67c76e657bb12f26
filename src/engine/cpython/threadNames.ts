// Thread names as the program knows them: threading._active maps each thread's ident to its
// Thread object, whose `_name` (2.7: the mangled `_Thread__name`) we read from outside. That needs
// three object layouts that changed across versions: dicts (2.7 an open-addressed table of
// (hash, key, value); 3.6-3.10 keys with sized indices; 3.11+ log2-sized, unicode or general
// entries), and instance attributes (≤3.10 a __dict__ at tp_dictoffset; 3.11 values at obj-32 or
// a dict at obj-24; 3.12 a tagged dict-or-values at obj-24; 3.13 inline values after the header).
// Offsets come from the same generated table (tools/offsets) and the debug offsets.
//
// Names are looked up when an unknown thread ident appears and refreshed about once a second, so
// the cost is a handful of reads per second. Anything unreadable falls back to the kernel's comm
// for that thread (which CPython 3.14 sets from Thread.name) and MainThread for tid == pid.
import table from './offsets.json';
import { RemoteMemory, readPtr } from '../native/memory';
import { readComm } from '../proc/procfs';
import type { Layout } from './layout';
import type { ObjectReader } from './objects';

const MAX_DICT_ENTRIES = 1 << 16;
const RETRY_AFTER_MS = 200;

interface TypeOffsets { basicsize: number; dictoffset: number; flags: number; cachedKeys?: number; managedDict?: number; inlineValues?: number }

export class ThreadNames {
  private processComm: string;
  private byIdent = new Map<number, string>();
  private commByTid = new Map<number, string>();
  private activeDict = 0;
  private lastRefresh = 0;
  private readonly types?: TypeOffsets;

  constructor(private readonly mem: RemoteMemory, private readonly L: Layout, private readonly objects: ObjectReader, private readonly runtime: number, private readonly pid: number) {
    this.processComm = readComm(pid);
    const t = (table as Record<string, Record<string, number | string>>)[`${L.major}.${L.minor}`];
    if (t && !L.freeThreaded && typeof t['type.tp_flags'] === 'number') {
      this.types = {
        basicsize: t['type.tp_basicsize'] as number,
        dictoffset: t['type.tp_dictoffset'] as number,
        flags: t['type.tp_flags'] as number,
        cachedKeys: t['heaptype.ht_cached_keys'] as number | undefined,
        managedDict: t['type.flag_managed_dict'] as number | undefined,
        inlineValues: t['type.flag_inline_values'] as number | undefined,
      };
    }
  }

  /** Called about once a second: names may change (Thread.name = ...), idents get reused. */
  invalidate(): void {
    this.byIdent.clear();
    this.commByTid.clear();
  }

  name(threadId: number, tid: number): string {
    let n = this.byIdent.get(threadId);
    if (n === undefined && this.types && Date.now() - this.lastRefresh > RETRY_AFTER_MS) {
      this.refresh();
      n = this.byIdent.get(threadId);
    }
    if (n) return n;
    return this.kernelName(tid);
  }

  private kernelName(tid: number): string {
    let n = this.commByTid.get(tid);
    if (n === undefined) {
      const comm = readComm(this.pid, tid);
      n = tid === this.pid ? 'MainThread' : comm && comm !== this.processComm ? comm : '';
      this.commByTid.set(tid, n);
    }
    return n;
  }

  private refresh(): void {
    this.lastRefresh = Date.now();
    try {
      if (!this.activeDict) this.activeDict = this.findActiveDict();
      for (const [key, thread] of this.items(this.activeDict)) {
        const ident = this.intValue(key);
        const name = this.attr(thread, this.L.py2 ? '_Thread__name' : '_name');
        if (ident > 0 && name) this.byIdent.set(ident, this.objects.string(name, false));
      }
    } catch {
      this.activeDict = 0; // not imported yet, or torn: try again later
    }
  }

  /** sys.modules['threading'].__dict__['_active'] */
  private findActiveDict(): number {
    const interp = this.mem.u64(this.runtime + this.L.runtime.interpretersHead);
    const modules = this.mem.u64(interp + this.L.interp.modules);
    const threading = this.get(modules, 'threading');
    if (!threading) throw new Error('threading not imported');
    const dict = this.mem.u64(threading + this.L.moduleDict);
    const active = this.get(dict, '_active');
    if (!active) throw new Error('no threading._active');
    return active;
  }

  private get(dict: number, key: string): number {
    for (const [k, v] of this.items(dict)) {
      try {
        if (this.objects.string(k) === key) return v;
      } catch {
        /* a non-str key */
      }
    }
    return 0;
  }

  /** (key, value) pointer pairs of a dict, combined or split. */
  private items(dict: number): Array<[number, number]> {
    if (dict <= 0) return [];
    if (this.L.py2) return this.items27(dict);
    const d = this.mem.read(dict, this.L.dict.values + 8);
    const keys = readPtr(d, this.L.dict.keys);
    const values = readPtr(d, this.L.dict.values);
    return this.entries(keys, values > 0 ? values : 0);
  }

  private entries(keys: number, values: number): Array<[number, number]> {
    const modern = this.L.minor >= 11;
    let indicesStart: number, indicesBytes: number, n: number, entrySize: number, keyOff: number;
    if (modern) {
      const h = this.mem.read(keys, 32);
      const log2IndexBytes = h[9];
      const kind = h[10];
      n = Number(h.readBigInt64LE(24));
      indicesStart = 32;
      indicesBytes = 2 ** log2IndexBytes;
      entrySize = kind === 0 ? 24 : 16; // DICT_KEYS_GENERAL has a hash field, unicode kinds do not
      keyOff = kind === 0 ? 8 : 0;
    } else {
      const h = this.mem.read(keys, 40);
      const size = Number(h.readBigInt64LE(8));
      n = Number(h.readBigInt64LE(32));
      const width = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffff ? 4 : 8;
      indicesStart = 40;
      indicesBytes = size * width;
      entrySize = 24;
      keyOff = 8;
    }
    if (n < 0 || n > MAX_DICT_ENTRIES || indicesBytes > 1 << 24) throw new Error('implausible dict');
    const raw = this.mem.copy(keys + indicesStart + indicesBytes, n * entrySize);
    // 3.13 split values carry a 4-byte header (capacity, size, embedded, valid) padded to 8.
    const valuesBase = values ? values + (this.L.minor >= 13 ? 8 : 0) : 0;
    const vals = valuesBase ? this.mem.copy(valuesBase, n * 8) : undefined;
    const out: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) {
      const k = readPtr(raw, i * entrySize + keyOff);
      const v = vals ? readPtr(vals, i * 8) : readPtr(raw, i * entrySize + keyOff + 8);
      if (k > 0 && v > 0) out.push([k, v]);
    }
    return out;
  }

  /** 2.7: every used slot of the dict's table (ma_mask + 1 entries; deleted slots have no value). */
  private items27(dict: number): Array<[number, number]> {
    const P = this.L.py2!;
    const d = this.mem.read(dict, P.dictTable + 8);
    const slots = Number(d.readBigInt64LE(P.dictMask)) + 1;
    const table = readPtr(d, P.dictTable);
    if (slots <= 0 || slots > MAX_DICT_ENTRIES || table <= 0) throw new Error('implausible dict');
    const raw = this.mem.copy(table, slots * P.dictEntrySize);
    const out: Array<[number, number]> = [];
    for (let i = 0; i < slots; i++) {
      const k = readPtr(raw, i * P.dictEntrySize + P.dictKey);
      const v = readPtr(raw, i * P.dictEntrySize + P.dictValue);
      if (k > 0 && v > 0) out.push([k, v]);
    }
    return out;
  }

  /** An attribute of an ordinary Python object, by name (instance storage varies by version). */
  private attr(obj: number, name: string): number {
    const T = this.types!;
    const type = this.mem.u64(obj + this.L.obType);
    const tb = this.mem.copy(type, T.dictoffset + 8);
    const flags = Number(tb.readBigUInt64LE(T.flags) & 0xffffffffn);
    const minor = this.L.minor;
    if (minor <= 10 || !T.managedDict || !(flags & T.managedDict)) {
      const off = Number(tb.readBigInt64LE(T.dictoffset));
      return off > 0 ? this.get(this.mem.u64(obj + off), name) : 0;
    }
    const cachedKeys = () => this.mem.u64(type + T.cachedKeys!);
    const fromValues = (values: number) => {
      const keys = this.entries(cachedKeys(), values);
      for (const [k, v] of keys) if (this.objects.string(k) === name) return v;
      return 0;
    };
    if (minor === 11) {
      const values = this.mem.u64(obj - 32);
      return values > 0 ? fromValues(values) : this.get(this.mem.u64(obj - 24), name);
    }
    if (minor === 12) {
      const dorv = this.mem.u64(obj - 24);
      return dorv % 2 === 1 ? fromValues(dorv + 1) : this.get(dorv, name); // values are stored as pointer - 1
    }
    // 3.13+: inline values right after the object header while valid, else the managed dict.
    if (T.inlineValues && flags & T.inlineValues) {
      const base = obj + Number(tb.readBigInt64LE(T.basicsize));
      const valid = this.mem.read(base, 4)[3];
      if (valid) return fromValues(base);
    }
    return this.get(this.mem.u64(obj - 24), name);
  }

  /** A small non-negative int (thread idents are < 2^63): CPython 3's 30-bit digits. */
  private intValue(addr: number): number {
    if (this.L.py2) return Number(this.mem.read(addr + this.L.py2.intValue, 8).readBigInt64LE(0)); // 2.7 int: a C long
    const b = this.mem.read(addr, 40);
    // ≤3.11: ob_size = signed digit count; 3.12+: lv_tag = digits << 3 | sign bits
    const size = this.L.minor >= 12 ? Number(b.readBigUInt64LE(16) >> 3n) : Number(b.readBigInt64LE(16));
    if (size < 0 || size > 3) return -1;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 2 ** 30 + b.readUInt32LE(24 + 4 * i);
    return v;
  }
}
