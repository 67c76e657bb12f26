import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ProfileBuilder, lineStats, functionStats, totalWeight, nodePath } from '../../src/profile/model';

function build() {
  const b = new ProfileBuilder({ source: 'test', mode: 'sampling', unit: 'samples', rateHz: 100 });
  const t = b.internThread(11, 'MainThread', 1);
  const main = { name: 'main', file: '/a.py', firstLine: 1, line: 5 };
  const leafA = b.internStack([main, { name: 'f', file: '/a.py', firstLine: 10, line: 12 }]);
  const leafB = b.internStack([main, { name: 'f', file: '/a.py', firstLine: 10, line: 13 }]);
  // recursion: f calls f at line 14
  const leafC = b.internStack([main, { name: 'f', file: '/a.py', firstLine: 10, line: 14 }, { name: 'f', file: '/a.py', firstLine: 10, line: 12 }]);
  b.addSample(t, leafA, 3, 0);
  b.addSample(t, leafA, 1, 10);
  b.addSample(t, leafB, 2, 20);
  b.addSample(t, leafC, 4, 30);
  return b.finish();
}

test('builder interns frames, nodes and samples', () => {
  const p = build();
  assert.equal(p.frames.length, 2);
  assert.equal(p.samples.length, 3);
  assert.equal(totalWeight(p), 10);
  // two runs for leafA merged into one timeline run
  assert.deepEqual(p.timeline.map((r) => r.count), [4, 2, 4]);
  assert.deepEqual(nodePath(p, p.samples[2].node).map((n) => n.line), [5, 14, 12]);
});

test('line stats count self at the leaf and total once per sample', () => {
  const s = lineStats(build()).get('/a.py')!;
  assert.deepEqual(s.get(12), { self: 8, total: 8 });
  assert.deepEqual(s.get(13), { self: 2, total: 2 });
  assert.deepEqual(s.get(14), { self: 0, total: 4 });
  assert.deepEqual(s.get(5), { self: 0, total: 10 });
});

test('function stats count recursion once in total', () => {
  const p = build();
  const st = functionStats(p);
  const f = p.frames.findIndex((x) => x.name === 'f');
  assert.deepEqual(st[f], { self: 10, total: 10 });
  assert.deepEqual(st[p.frames.findIndex((x) => x.name === 'main')], { self: 0, total: 10 });
});
