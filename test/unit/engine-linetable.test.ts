// The three line-table decoders on small hand-encoded tables whose answers are worked out by hand
// from the format notes (Objects/lnotab_notes.txt, Objects/locations.md): every entry kind, signed
// deltas, multi-byte varints, "no line" markers, and the half-open [start, end) boundaries that a
// closed test gets wrong. (test/integration/engine-linetable.test.ts checks real tables against
// real interpreters at every instruction.)
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { lineFrom310, lineFrom311, lineFromLnotab } from '../../src/engine/cpython/lineTable';

function check(decode: (position: number) => number, want: Record<number, number>): void {
  const got: Record<number, number> = {};
  for (const p of Object.keys(want).map(Number)) got[p] = decode(p);
  assert.deepEqual(got, want);
}

test('3.8/3.9 co_lnotab: byte offsets, signed line deltas, split address increments', () => {
  // firstlineno 5: (0,+1) line 6 from byte 0; (6,+2) line 8 from 6; (4,-3) line 5 from 10;
  // (255,0)+(45,+1): a 300-byte gap split in two, line 6 from 310.
  const table = Buffer.from([0, 1, 6, 2, 4, 0xfd, 255, 0, 45, 1]);
  check((lasti) => lineFromLnotab(table, 5, lasti), { 0: 6, 4: 6, 6: 8, 8: 8, 10: 5, 264: 5, 265: 5, 308: 5, 310: 6, 400: 6 });
  assert.equal(lineFromLnotab(Buffer.alloc(0), 42, 10), 42, 'an empty table means the def line');
});

test('3.10 co_linetable: half-open byte ranges, -128 = no line, long ranges split', () => {
  // firstlineno 20: [0,6) line 21; [6,10) no line; [10,12) line 24 (the no-line entry does not
  // move the line); [12,266) line 20 and [266,276) line 20 (a 264-byte range split as 254 + 10).
  const table = Buffer.from([6, 1, 4, 0x80, 2, 3, 254, 0xfc, 10, 0]);
  check((offset) => lineFrom310(table, 20, offset), { 0: 21, 5: 21, 6: 0, 9: 0, 10: 24, 11: 24, 12: 20, 265: 20, 266: 20, 275: 20, 276: 0 });
});

/** 3.11+ entry header: 1 | code (4 bits) | length - 1 (3 bits). */
const head = (code: number, units: number) => 0x80 | (code << 3) | (units - 1);

test('3.11+ location table: every entry kind, varints, half-open code-unit ranges', () => {
  const table = Buffer.from([
    head(13, 2), 0x02, //                    no-column form, line +1 → units 0-1: 11
    head(0, 1), 0x05, //                     short form (line unchanged) → unit 2: 11
    head(12, 3), 0x01, 0x04, //              one-line form, line +2 → units 3-5: 13
    head(15, 1), //                          no location → unit 6: none
    head(14, 8), 0x0b, 0x00, 0x64, 0x01, 0x03, // long form, line −5 (svarint 11), col+1 = 100 (2-byte varint) → units 7-14: 8
    head(13, 1), 0x58, 0x09, //              line +300 (svarint 600, 2 bytes) → unit 15: 308
  ]);
  check((unit) => lineFrom311(table, 10, unit), { 0: 11, 1: 11, 2: 11, 3: 13, 4: 13, 5: 13, 6: 0, 7: 8, 14: 8, 15: 308, 16: 0 });
});

test('3.11+ decoding stops at a byte that cannot start an entry (a torn table gives "no line", not garbage)', () => {
  const table = Buffer.from([head(13, 1), 0x02, 0x05, head(13, 1), 0x02]);
  assert.equal(lineFrom311(table, 1, 0), 2);
  assert.equal(lineFrom311(table, 1, 1), 0);
});
