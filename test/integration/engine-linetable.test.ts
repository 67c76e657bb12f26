// The three line-table decoders agree with CPython itself at every instruction position of real
// stdlib code, on every installed version. Positions are what the engine computes from a frame:
// 2.7 byte offset of the instruction (1 or 3 bytes long), 3.6-3.9 byte offset of the instruction, 3.10 f_lasti (code units), 3.11+ code-unit index.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { lineFrom310, lineFrom311, lineFromLnotab } from '../../src/engine/cpython/lineTable';
import { fixture, REQUIRED_MINORS, supportedInterpreters } from '../helpers';

for (const minor of REQUIRED_MINORS) {
  const py = supportedInterpreters().find((i) => i.minor === minor);
  if (!py) {
    test(`line tables of Python ${minor}`, (t) => t.skip(`Python ${minor} is not installed here`));
    continue;
  }
  test(`line-table decoding matches CPython at every instruction on ${py.label}`, () => {
    const r = spawnSync(py.path, [fixture('linetable_dump.py')], { encoding: 'utf8', maxBuffer: 256 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const codes = JSON.parse(r.stdout) as Array<{ first: number; table: string; lines: number[]; offsets?: number[] }>;
    const m = Number(minor.split('.')[1]);
    const py2 = minor.startsWith('2.');
    let checked = 0;
    const mismatches: string[] = [];
    for (const c of codes) {
      const table = Buffer.from(c.table, 'base64');
      c.lines.forEach((want, unit) => {
        const got = py2 ? lineFromLnotab(table, c.first, c.offsets![unit], false) : m <= 9 ? lineFromLnotab(table, c.first, unit * 2) : m === 10 ? lineFrom310(table, c.first, unit * 2) : lineFrom311(table, c.first, unit);
        // ≤3.9 have no "no line" marker: every instruction belongs to the last line started.
        if (got !== want && mismatches.length < 5) mismatches.push(`code@${c.first} unit ${unit}: got ${got}, want ${want}`);
        checked++;
      });
    }
    assert.ok(checked > 10000, `only ${checked} positions checked`);
    assert.deepEqual(mismatches, []);
  });
}
