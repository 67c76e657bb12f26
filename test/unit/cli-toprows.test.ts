// Function tables behind `pyprof top`, the record summary and `top` events (pure).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { FunctionTally, profileTopRows, formatTable, describeFunction } from '../../src/cli/topRows';
import { Recorder } from '../../src/engine/recorder';
import type { PyFrame } from '../../src/engine/types';

const f = (name: string, line: number, firstLine = 1): PyFrame => ({ name, file: '/srv/app/pkg/mod.py', line, firstLine });

test('tally: own share at the leaf, total once per stack (recursion), hottest own line', () => {
  const t = new FunctionTally();
  t.add([f('leaf', 12, 10), f('mid', 5, 4), f('main', 2)]);
  t.add([f('leaf', 13, 10), f('mid', 5, 4), f('main', 2)]);
  t.add([f('leaf', 13, 10), f('leaf', 11, 10), f('main', 3)]);
  t.add([]);
  assert.equal(t.stacks, 3);
  const rows = t.rows(10);
  assert.deepEqual(rows.map((r) => [r.name, r.selfCount, r.totalCount]), [['leaf', 3, 3], ['main', 0, 3], ['mid', 0, 2]]);
  const leaf = rows.find((r) => r.name === 'leaf')!;
  assert.equal(leaf.hotLine, 13);
  assert.equal(leaf.self, 1);
  const main = rows.find((r) => r.name === 'main')!;
  assert.equal(main.hotLine, undefined, 'no own samples');
  assert.equal(main.showLine, 2, 'shows where its time goes');
  assert.deepEqual(t.counts(leaf), { self: 3, total: 3 });
  t.reset();
  assert.equal(t.rows(10).length, 0);
});

test('profileTopRows agrees with the tally and skips synthetic process frames', () => {
  const r = new Recorder({}, { rateHz: 100, processRoots: true });
  r.addProcess(9, 'python3 x.py');
  const stacks = [[f('leaf', 12, 10), f('main', 2)], [f('leaf', 12, 10), f('main', 2)], [f('other', 7, 6), f('main', 3)]];
  stacks.forEach((frames, i) => r.addSnapshot(9, { time: i, threads: [{ pid: 9, tid: 9, threadId: 1, name: 'MainThread', holdsGil: true, active: true, frames }] }));
  const rows = profileTopRows(r.finish(30), 5);
  assert.deepEqual(rows.map((x) => [x.name, x.selfCount, x.totalCount, x.showLine]), [['leaf', 2, 2, 12], ['other', 1, 1, 7], ['main', 0, 3, 2]]);
  assert.ok(rows.every((x) => !x.name.startsWith('process ')));
});

test('formatTable: percentages, times, shortened file:line, width cap', () => {
  const t = new FunctionTally();
  for (let i = 0; i < 4; i++) t.add([f('a_function_with_a_long_name', 12, 10)]);
  const lines = formatTable(t.rows(5), 0.01, 60);
  assert.match(lines[0], /%Own\s+%Total\s+OwnTime\s+TotalTime\s+Function/);
  assert.ok(lines[1].startsWith('100.0% 100.0%    0.04s     0.04s'), lines[1]);
  assert.ok(lines[1].length <= 60 && lines[1].endsWith('…'));
  assert.equal(describeFunction({ name: 'g', file: '/a/b/c/d.py', showLine: 4 }), 'g (c/d.py:4)');
  assert.equal(formatTable(t.rows(5), 0.01, 0)[1].includes('(pkg/mod.py:12)'), true, 'a size-less pty does not truncate everything');
});
