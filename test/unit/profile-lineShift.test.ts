import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { LineShifter, LineChange } from '../../src/profile/lineShift';

const ch = (startLine: number, startCharacter: number, endLine: number, endCharacter: number, text: string): LineChange => ({
  startLine,
  startCharacter,
  endLine,
  endCharacter,
  text,
});

test('insertions above move lines down, edits below leave them', () => {
  const s = new LineShifter([5, 10], 100);
  assert.equal(s.apply([ch(2, 4, 2, 4, 'x\ny\n')]), true);
  assert.deepEqual([...s.current()], [7, 12]);
  assert.equal(s.apply([ch(50, 0, 50, 0, 'z\n')]), false);
  assert.deepEqual([...s.current()], [7, 12]);
});

test('typing on a hot line keeps it; a newline at column 0 pushes it', () => {
  const s = new LineShifter([5], 100);
  s.apply([ch(5, 3, 5, 3, 'abc')]);
  assert.deepEqual([...s.current()], [5]);
  s.apply([ch(5, 0, 5, 0, '\n')]);
  assert.deepEqual([...s.current()], [6]);
  // Enter in the middle of the line: the line stays, the following lines move
  const t = new LineShifter([5, 6], 100);
  t.apply([ch(5, 4, 5, 4, '\n')]);
  assert.deepEqual([...t.current()], [5, 7]);
});

test('deleting whole lines drops them and moves the rest up', () => {
  const s = new LineShifter([4, 5, 6, 9], 100);
  // delete lines 5..6 entirely: range (5,0)-(7,0)
  s.apply([ch(5, 0, 7, 0, '')]);
  assert.deepEqual([...s.current()], [4, -1, -1, 7]);
});

test('joining a line into the previous drops the joined line', () => {
  const s = new LineShifter([3, 4, 8], 100);
  // backspace at the start of line 4: range (3,end)-(4,0)
  s.apply([ch(3, 10, 4, 0, '')]);
  assert.deepEqual([...s.current()], [3, 3, 7]);
});

test('multi-cursor edits given top-down are applied bottom-up', () => {
  const s = new LineShifter([10, 20, 30], 100);
  s.apply([ch(5, 0, 5, 0, 'a\n'), ch(15, 0, 15, 0, 'b\nc\n')]);
  assert.deepEqual([...s.current()], [11, 23, 33]);
});

test('a big rewrite drops everything', () => {
  const s = new LineShifter([10, 20], 120);
  assert.equal(s.apply([ch(0, 0, 120, 0, 'new text\n')]), true);
  assert.equal(s.allDropped, true);
  assert.deepEqual([...s.current()], [-1, -1]);
  assert.equal(s.apply([ch(0, 0, 0, 0, 'x\n')]), false);
});
