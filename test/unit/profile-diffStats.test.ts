import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { shareDifferenceInterval, timeRatioInterval, wilson, zForConfidence } from '../../src/profile/diffStats';

test('normal quantiles', () => {
  assert.ok(Math.abs(zForConfidence(0.95) - 1.959964) < 1e-5);
  assert.ok(Math.abs(zForConfidence(0.999) - 3.290527) < 1e-5);
  assert.throws(() => zForConfidence(1));
});

test('Wilson interval: published values (Newcombe 1998, table I: 81/263 → 0.2553–0.3662 at 95%)', () => {
  const w = wilson(81, 263, zForConfidence(0.95));
  assert.ok(Math.abs(w.lo - 0.2553) < 5e-4 && Math.abs(w.hi - 0.3662) < 5e-4, JSON.stringify(w));
  assert.deepEqual(wilson(0, 0, 2), { lo: 0, hi: 1 });
});

test('Newcombe difference interval: published example (56/70 − 48/80 → 0.0524–0.3339 at 95%)', () => {
  // Newcombe 1998, table II example (a): p1 = 56/70, p2 = 48/80; difference p1 − p2 = 0.2000.
  const d = shareDifferenceInterval(48, 80, 56, 70, zForConfidence(0.95));
  assert.ok(Math.abs(d.lo - 0.0524) < 5e-4 && Math.abs(d.hi - 0.3339) < 5e-4, JSON.stringify(d));
});

test('3 samples vs 5 is noise; 300 vs 500 of 10,000 is not', () => {
  const z = zForConfidence(0.999);
  const small = shareDifferenceInterval(3, 1000, 5, 1000, z);
  assert.ok(small.lo < 0 && small.hi > 0);
  const big = shareDifferenceInterval(300, 10000, 500, 10000, z);
  assert.ok(big.lo > 0);
});

test('time ratio interval covers the true ratio and accounts for the sampling interval', () => {
  const z = zForConfidence(0.999);
  // 1000 samples at 10 ms vs 1000 at 5 ms: new took half the time.
  const r = timeRatioInterval(1000, 10, 1000, 5, z);
  assert.ok(r.lo < 0.5 && r.hi > 0.5 && r.hi < 1, JSON.stringify(r));
  const same = timeRatioInterval(500, 10, 510, 10, z);
  assert.ok(same.lo < 1 && same.hi > 1);
});
