// When the sampler wakes: gaps drawn uniformly from [0.5, 1.5] periods (mean = the asked period),
// so samples cannot lock onto a target's own timer cycle.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { nextGap } from '../../src/engine/sampler';
import { seeded } from '../seeded';

test('gaps average one period and spread over [0.5, 1.5] periods', () => {
  const rnd = seeded(7);
  const period = 10;
  const gaps = Array.from({ length: 20000 }, () => nextGap(period, rnd));
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  assert.ok(Math.abs(mean - period) < 0.05, `mean gap ${mean} ms, asked ${period}`);
  assert.ok(Math.min(...gaps) >= 5 && Math.max(...gaps) <= 15, 'gaps stay within half a period of the mean');
  // Every tenth of the range is used about equally: the phase of a sample is not tied to the last.
  const bins = new Array(10).fill(0);
  for (const g of gaps) bins[Math.min(9, Math.floor(g - 5))]++;
  for (const b of bins) assert.ok(b > 1700 && b < 2300, `bins ${bins}`);
});

test('the phase of samples against a periodic 2 ms cycle is uniform (no lock-in)', () => {
  // A target that works 1 ms then sleeps 1 ms: a fixed 10 ms interval samples the same phase every
  // time; random gaps must see both halves equally.
  const rnd = seeded(11);
  let t = 0;
  let inWork = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    t += nextGap(10, rnd);
    if (t % 2 < 1) inWork++;
  }
  assert.ok(Math.abs(inWork / n - 0.5) < 0.02, `share of samples in the work half: ${inWork / n}`);
});
