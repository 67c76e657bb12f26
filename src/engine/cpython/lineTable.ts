// Line numbers from an instruction position, for the three line-table formats CPython has used.
// All lookups are half-open [start, end): a closed test (as py-spy's 3.11+ decoder does) returns
// the previous entry's line whenever the position falls exactly on an entry start, which
// misattributes ~20% of 3.11+ instruction offsets (measured in shared/cpython/BRIEF.md §3.4).

/**
 * 2.7 and 3.6-3.9 co_lnotab; `lasti` is a byte offset. Line deltas are signed bytes from 3.6 and
 * unsigned in 2.7 (which splits a backwards jump into no entry at all: lines only grow).
 */
export function lineFromLnotab(table: Buffer, firstLine: number, lasti: number, signedDeltas = true): number {
  let line = firstLine;
  let addr = 0;
  for (let i = 0; i + 1 < table.length; i += 2) {
    addr += table[i];
    if (addr > lasti) break;
    line += signedDeltas ? (table[i + 1] << 24) >> 24 : table[i + 1];
  }
  return line;
}

/** 3.10 co_linetable; `offset` is a byte offset (2 × f_lasti). Returns 0 for "no line". */
export function lineFrom310(table: Buffer, firstLine: number, offset: number): number {
  let line = firstLine;
  let addr = 0;
  for (let i = 0; i + 1 < table.length; i += 2) {
    const end = addr + table[i];
    const delta = (table[i + 1] << 24) >> 24;
    const hasLine = delta !== -128;
    if (hasLine) line += delta;
    if (addr <= offset && offset < end) return hasLine ? line : 0;
    addr = end;
  }
  return 0;
}

/** 3.11+ location table (Objects/locations.md); `index` counts 2-byte code units. 0 = no line. */
export function lineFrom311(table: Buffer, firstLine: number, index: number): number {
  let line = firstLine;
  let addr = 0;
  let i = 0;
  const n = table.length;
  const varint = (): number => {
    let shift = 0;
    let v = 0;
    while (i < n) {
      const b = table[i++];
      v += (b & 63) * 2 ** shift;
      shift += 6;
      if (!(b & 64)) break;
    }
    return v;
  };
  const svarint = (): number => {
    const v = varint();
    return v & 1 ? -(v >>> 1) : v >>> 1;
  };
  while (i < n) {
    const first = table[i++];
    if (!(first & 0x80)) return 0; // not an entry start: corrupt or torn table
    const code = (first >> 3) & 15;
    const end = addr + (first & 7) + 1;
    let hasLine = true;
    if (code === 15) {
      hasLine = false;
    } else if (code === 14) {
      line += svarint();
      varint(); varint(); varint();
    } else if (code === 13) {
      line += svarint();
    } else if (code >= 10) {
      line += code - 10;
      i += 2;
    } else {
      i += 1;
    }
    if (addr <= index && index < end) return hasLine ? line : 0;
    addr = end;
  }
  return 0;
}
