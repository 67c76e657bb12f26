// The (key, value) pointer pairs of a dict's entries, from its keys object and (split tables) its
// values array. The layout changed in 3.11 (log2-sized indices, unicode-only entries without a
// hash); a deleted entry has a NULL key or value and is skipped. Used for thread names (threading._active)
// and for object attributes (asyncio tasks' and task groups' fields).
import { RemoteMemory, readPtr } from '../native/memory';
import type { Layout } from './layout';

export const MAX_DICT_ENTRIES = 1 << 16;

/** `maxEntries`: read at most this many entry slots (the first ones, in insertion order). */
export function dictEntries(mem: RemoteMemory, L: Layout, keys: number, values: number, maxEntries = MAX_DICT_ENTRIES): Array<[number, number]> {
  const modern = L.minor >= 11;
  let indicesStart: number, indicesBytes: number, n: number, entrySize: number, keyOff: number;
  if (modern) {
    const h = mem.read(keys, 32);
    const log2IndexBytes = h[9];
    const kind = h[10];
    n = Number(h.readBigInt64LE(24));
    indicesStart = 32;
    indicesBytes = 2 ** log2IndexBytes;
    entrySize = kind === 0 ? 24 : 16; // DICT_KEYS_GENERAL has a hash field, unicode kinds do not
    keyOff = kind === 0 ? 8 : 0;
  } else {
    const h = mem.read(keys, 40);
    const size = Number(h.readBigInt64LE(8));
    n = Number(h.readBigInt64LE(32));
    const width = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffff ? 4 : 8;
    indicesStart = 40;
    indicesBytes = size * width;
    entrySize = 24;
    keyOff = 8;
  }
  if (n < 0 || n > MAX_DICT_ENTRIES || indicesBytes > 1 << 24) throw new Error('implausible dict');
  n = Math.min(n, maxEntries);
  const raw = mem.copy(keys + indicesStart + indicesBytes, n * entrySize);
  // 3.13 split values carry a 4-byte header (capacity, size, embedded, valid) padded to 8.
  const valuesBase = values ? values + (L.minor >= 13 ? 8 : 0) : 0;
  const vals = valuesBase ? mem.copy(valuesBase, n * 8) : undefined;
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const k = readPtr(raw, i * entrySize + keyOff);
    const v = vals ? readPtr(vals, i * 8) : readPtr(raw, i * entrySize + keyOff + 8);
    if (k > 0 && v > 0) out.push([k, v]);
  }
  return out;
}

/** (key, value) pairs of the dict object at `dict`, combined or split; at most `maxEntries` slots read. */
export function dictItems(mem: RemoteMemory, L: Layout, dict: number, maxEntries = MAX_DICT_ENTRIES): Array<[number, number]> {
  if (dict <= 0) return [];
  const d = mem.read(dict, L.dict.values + 8);
  const keys = readPtr(d, L.dict.keys);
  const values = readPtr(d, L.dict.values);
  return dictEntries(mem, L, keys, values > 0 ? values : 0, maxEntries);
}
