import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mapLines, matchLines } from '../../src/profile/lineMap';
import { digestSource, decodeLineHashes, lineHashes } from '../../src/profile/sourceDigest';

const src = (lines: string[]) => lines.join('\n') + '\n';

test('a function moved down 10 lines maps line for line; lines above stay', () => {
  const before = ['import time', '', 'def steady():', '    x = 0', '    for i in range(10):', '        x += i', '    return x', '', 'steady()'];
  const inserted = Array.from({ length: 10 }, (_, i) => `# note ${i}`);
  const after = [...before.slice(0, 2), ...inserted, ...before.slice(2)];
  const m = mapLines(lineHashes(src(before)), lineHashes(src(after)));
  assert.equal(m.identity, false);
  assert.equal(m.newLine(1), 1);
  assert.equal(m.newLine(3), 13); // def steady
  assert.equal(m.newLine(6), 16);
  assert.equal(m.newLine(9), 19);
  for (let l = 1; l <= before.length; l++) assert.equal(m.edited(l), false);
});

test('an edited line of a same-size hunk is paired with the line it replaced; uneven hunks are gone/new', () => {
  const before = ['def fast(n):', '    t = 0', '    for i in range(2 * n):', '        t += i', '    return t', 'a', 'b', 'c'];
  const after = ['def fast(n):', '    t = 0', '    for i in range(n):', '        t += i', '    return t', 'a', 'X', 'Y', 'Z', 'c'];
  const m = mapLines(lineHashes(src(before)), lineHashes(src(after)));
  assert.equal(m.newLine(3), 3);
  assert.equal(m.edited(3), true);
  assert.equal(m.newLine(4), 4);
  assert.equal(m.edited(4), false);
  assert.equal(m.newLine(7), 0, 'b was replaced by three lines: gone');
  assert.equal(m.anchor(7), 7, 'shown where it stood');
  assert.equal(m.newLine(8), 10);
});

test('indentation changes still match (lines are trimmed); identical files are the identity', () => {
  const a = ['x = 1', 'y = 2'];
  const b = ['if True:', '    x = 1', '    y = 2'];
  const m = mapLines(lineHashes(src(a)), lineHashes(src(b)));
  assert.equal(m.newLine(1), 2);
  assert.equal(m.newLine(2), 3);
  assert.equal(mapLines(lineHashes(src(a)), lineHashes(src(a))).identity, true);
});

test('repeated lines (no unique anchors) fall back to LCS in order', () => {
  const a = [1, 2, 1, 2, 1, 2];
  const b = [9, 1, 2, 1, 2, 1, 2];
  const aToB = matchLines(a, b);
  assert.deepEqual([...aToB], [1, 2, 3, 4, 5, 6]);
});

test('a digest round-trips its line hashes and hashes the bytes', () => {
  const d = digestSource('a\r\nb\n  c  \n');
  assert.match(d.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual([...decodeLineHashes(d)], [...lineHashes('a\nb\nc\n')]);
  assert.notEqual(digestSource('a\nb\nc\n').sha256, d.sha256);
});

test('matching is fast enough for large files with many edits (no quadratic blow-up beyond the LCS cap)', () => {
  const a = Array.from({ length: 20000 }, (_, i) => (i % 7 === 0 ? 5 : i));
  const b = a.map((v, i) => (i % 13 === 0 ? -i : v));
  const aToB = matchLines(a, b);
  let matched = 0;
  for (const j of aToB) if (j >= 0) matched++;
  assert.ok(matched > 18000, `matched ${matched}`);
});
