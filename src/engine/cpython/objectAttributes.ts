// Reading attributes of ordinary Python objects from outside: a dict's items, dict[str], and
// obj.attr. Instance storage changed across versions: ≤3.10 a __dict__ at tp_dictoffset; 3.11
// values at obj-32 or a dict at obj-24; 3.12 a tagged dict-or-values at obj-24; 3.13 inline values
// after the object header. Offsets come from the generated table (tools/offsets). Used for thread
// names (threading._active) and asyncio (task groups, gathering futures, loops).
import table from './offsets.json';
import { RemoteMemory, readPtr } from '../native/memory';
import type { Layout } from './layout';
import type { ObjectReader } from './objects';
import { dictEntries, dictItems, MAX_DICT_ENTRIES } from './dictEntries';

interface TypeOffsets { basicsize: number; dictoffset: number; flags: number; cachedKeys?: number; managedDict?: number; inlineValues?: number }

export class ObjectAttributes {
  /** undefined when the version's type offsets are unknown (free-threaded builds, 3.14). */
  static create(mem: RemoteMemory, L: Layout, objects: ObjectReader): ObjectAttributes | undefined {
    const t = (table as Record<string, Record<string, number | string>>)[`${L.major}.${L.minor}`];
    if (!t || L.freeThreaded || typeof t['type.tp_flags'] !== 'number') return undefined;
    return new ObjectAttributes(mem, L, objects, {
      basicsize: t['type.tp_basicsize'] as number,
      dictoffset: t['type.tp_dictoffset'] as number,
      flags: t['type.tp_flags'] as number,
      cachedKeys: t['heaptype.ht_cached_keys'] as number | undefined,
      managedDict: t['type.flag_managed_dict'] as number | undefined,
      inlineValues: t['type.flag_inline_values'] as number | undefined,
    });
  }

  private constructor(private readonly mem: RemoteMemory, private readonly L: Layout, private readonly objects: ObjectReader, private readonly types: TypeOffsets) {}

  /** dict[key] for a str key, 0 when absent. */
  get(dict: number, key: string): number {
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
  items(dict: number): Array<[number, number]> {
    if (dict > 0 && this.L.py2) return this.items27(dict);
    return dictItems(this.mem, this.L, dict);
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

  private entries(keys: number, values: number): Array<[number, number]> {
    return dictEntries(this.mem, this.L, keys, values);
  }

  /** An attribute of an ordinary Python object, by name (instance storage varies by version). */
  attr(obj: number, name: string): number {
    const T = this.types;
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
}
