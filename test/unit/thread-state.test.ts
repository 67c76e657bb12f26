// The four thread states, defined once (src/engine/types.ts) and printed by dump.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { threadStateLabel, threadStateWords } from '../../src/engine/types';
import { formatDump } from '../../src/cli/dumpFormat';

test('labels: on CPU x GIL', () => {
  assert.equal(threadStateLabel({ active: true, holdsGil: true }), 'active+gil');
  assert.equal(threadStateLabel({ active: true, holdsGil: false }), 'active');
  assert.equal(threadStateLabel({ active: false, holdsGil: true }), 'blocked+gil', 'a GIL holder is never called idle');
  assert.equal(threadStateLabel({ active: false, holdsGil: false }), 'idle');
  assert.equal(threadStateWords({ active: false, holdsGil: true }), 'blocked holding the GIL');
});

test('dump prints the label', () => {
  const info = { pid: 1, version: '3.12.1', versionTuple: [3, 12] as [number, number], executable: '/x', runtimeModule: '/x', commandLine: 'python a.py' };
  const t = { pid: 1, tid: 5, threadId: 9, name: 'MainThread', holdsGil: true, active: false, frames: [] };
  assert.match(formatDump({ info, snapshot: { time: 0, threads: [t] } }), /^Thread 5 \(blocked\+gil\): "MainThread"$/m);
});
