// The significance model of `pyprof diff` on synthetic samples whose answer is known: a program of
// hot loops (fast, other, steady) sampled at 1 kHz, with the autocorrelation real recordings have
// (a loop seen on one of its lines again and again, stretches where the program is descheduled and
// its stack frozen). A 2x change is found, 3 vs 5 samples is not, and two runs of the same program
// are flagged no more often than the confidence level says, over many seeded simulations; the
// independent-samples (binomial) model, given the same data without its order, is shown to fail that.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Profile, ProfileBuilder } from '../../src/profile/model';
import { compareCounts, diffProfiles, findFunctions, ProfileDiff } from '../../src/profile/diff';
import { batchDesignEffect, MIN_EFFECT_SAMPLES, studentUpperTail, tForConfidence, zForConfidence } from '../../src/profile/diffStats';
import { splitIntoBatches } from '../../src/profile/batchMeans';
import { seeded } from '../seeded';

interface Program {
  /** Mean ms per round spent in each function (the round's time is jittered ±30% per function). */
  fast: number;
  other: number;
  steady: number;
  rounds: number;
  /** Per ms, the chance the program is descheduled; it then stays frozen for ~freezeMs on average. */
  freezeChance: number;
  freezeMs: number;
  /** Chance a sample in a loop sees its body line rather than its `for` line (0.9: long runs of one stack). */
  bodyShare: number;
}

/** A busy machine: the program is frozen about a quarter of the time, in stretches of ~12 ms. */
const PROGRAM: Program = { fast: 4, other: 12, steady: 1, rounds: 180, freezeChance: 0.03, freezeMs: 12, bodyShare: 0.5 };
/** A quiet machine, tight loops: samples come in runs of one stack because the body is one line. */
const QUIET: Program = { ...PROGRAM, freezeChance: 0.002, bodyShare: 0.9 };

/** Samples one run of the program at 1 kHz into a profile with a timeline (as the recorder does). */
function simulate(program: Program, seed: number): Profile {
  const rnd = seeded(seed);
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples', rateHz: 1000 });
  const th = b.internThread(1, 'MainThread');
  const defs = { fast: 6, other: 13, steady: 20 } as const;
  const leaf = (fn: keyof typeof defs, line: number) =>
    b.internStack([
      { name: 'main', file: '/w/app.py', firstLine: 30, line: 33 },
      { name: fn, file: '/w/app.py', firstLine: defs[fn], line },
    ]);
  // Each function's loop: its `for` line and its body line, seen in whatever proportion the sample hits.
  const lines = { fast: [leaf('fast', 8), leaf('fast', 9)], other: [leaf('other', 15), leaf('other', 16)], steady: [leaf('steady', 22), leaf('steady', 23)] };
  let t = 0;
  let frozen = 0;
  let current = lines.fast[0];
  for (let r = 0; r < program.rounds; r++) {
    for (const fn of ['fast', 'other', 'steady'] as const) {
      let work = program[fn] * (0.7 + 0.6 * rnd()); // ms of CPU this call needs
      while (work > 0) {
        if (frozen > 0) frozen--; // descheduled: the stack stays as it was
        else if (rnd() < program.freezeChance) frozen = Math.round(-Math.log(1 - rnd()) * program.freezeMs);
        else {
          current = lines[fn][rnd() < program.bodyShare ? 1 : 0];
          work -= 1;
        }
        b.addSample(th, current, 1, t++);
      }
    }
  }
  const p = b.finish();
  p.meta.sampleCount = t;
  p.meta.durationMs = t;
  return p;
}

/** The same samples without their order: what an aggregated format (collapsed stacks) keeps. */
const withoutOrder = (p: Profile): Profile => ({ ...p, timeline: [] });

const fastOf = (d: ProfileDiff) => findFunctions(d, 'fast')[0].change;

test('Student t quantiles and tails (published table values)', () => {
  assert.ok(Math.abs(tForConfidence(0.95, 10) - 2.228139) < 1e-5); // values as scipy.stats.t gives them
  assert.ok(Math.abs(tForConfidence(0.999, 29) - 3.659405) < 1e-5);
  assert.ok(Math.abs(tForConfidence(0.99, 1) - 63.656741) < 1e-4);
  assert.ok(Math.abs(studentUpperTail(2.0, 5) - 0.050970) < 1e-6);
  assert.equal(tForConfidence(0.999, Infinity), zForConfidence(0.999));
});

test('batch design effect: 1 for independent-looking blocks, the variance ratio for clustered ones', () => {
  const sizes = new Float64Array(20).fill(100);
  // Every block holds exactly 25%: less spread than independent samples would show, floored at 1.
  assert.equal(batchDesignEffect(new Float64Array(20).fill(25), sizes, 'share', 1), 1);
  // All of the item's samples in 5 of the 20 blocks: Σ(x_b − p n_b)² = 5·75² + 15·25² = 37,500 (×20/19),
  // against x(1 − p) = 500 · 0.75 = 375 for independent samples.
  const clustered = new Float64Array(20);
  for (let b = 0; b < 5; b++) clustered[b] = 100;
  assert.ok(Math.abs(batchDesignEffect(clustered, sizes, 'share', 1) - (37500 * 20) / 19 / 375) < 1e-9);
  // time mode compares with Poisson (x), and the degrees-of-freedom factor multiplies
  assert.ok(Math.abs(batchDesignEffect(clustered, sizes, 'time', 1.5) - ((37500 * 20) / 19 / 500) * 1.5) < 1e-9);
  assert.equal(batchDesignEffect(new Float64Array(20), sizes, 'share', 1), 1, 'an item never sampled has nothing to spread');
});

test('blocks are consecutive stretches of the run and hold every sample', () => {
  const p = simulate(PROGRAM, 1);
  const batches = splitIntoBatches(p);
  assert.ok(typeof batches !== 'string', String(batches));
  const total = p.samples.reduce((a, s) => a + s.weight, 0);
  assert.ok(Math.abs(batches.sizes.reduce((a, b) => a + b, 0) - total) < 1e-6);
  assert.equal(batches.sizes.length, 30);
  for (const size of batches.sizes) assert.ok(Math.abs(size - total / 30) <= 1.001, `equal stretches of a steadily sampled run: ${size} vs ${total / 30}`);
  assert.match(String(splitIntoBatches(withoutOrder(p))), /no sample order/);
  assert.match(String(splitIntoBatches(simulate({ ...PROGRAM, rounds: 5 }, 1))), /too few samples/);
});

test('a 2x faster function with about 200 samples is significant, by share and by time', () => {
  // fast: ~4 ms of ~17 per round, 45 rounds → ~200 samples; then 2 ms.
  const base = simulate({ ...QUIET, rounds: 45 }, 11);
  const next = simulate({ ...QUIET, rounds: 45, fast: 2 }, 12);
  // The case issue 16 was about: the hot loops' samples come in runs of one stack (the old model
  // counted each run once, Σm²/Σm over runs, and found this 2x change within the noise).
  const runs = base.timeline.map((r) => r.count);
  const weightedRun = runs.reduce((a, m) => a + m * m, 0) / runs.reduce((a, m) => a + m, 0);
  assert.ok(weightedRun >= 5, `runs of one stack average ${weightedRun.toFixed(1)} samples (weighted)`);
  const before = findFunctions(diffProfiles(base, base), 'fast')[0].base!.total;
  assert.ok(before >= 150 && before <= 300, `fast has ${before} samples in the base`);
  for (const mode of ['share', 'time'] as const) {
    const c = fastOf(diffProfiles(base, next, { mode }));
    assert.equal(c.status, 'faster', `${mode}: ${JSON.stringify(c)}`);
    assert.equal(c.significant, true, `${mode}: ${JSON.stringify(c)}`);
  }
});

test('3 vs 5 samples is noise: at any profile size, and even where a loose interval would exclude no change', () => {
  const b = new ProfileBuilder({ source: 'collapsed', mode: 'sampling', unit: 'samples' });
  for (const n of [100, 1000, 1_000_000]) {
    for (const mode of ['share', 'time'] as const) {
      const t = { weight: n, counts: true, dfFactor: 1, msPerWeight: 1, ms: n, meta: b.profile.meta };
      const c = compareCounts(3, 5, t, t, mode, zForConfidence(0.999));
      assert.equal(c.significant, false, `${n} samples, ${mode}`);
      assert.equal(c.status, 'unchanged');
    }
  }
  // At 60% confidence the interval of 3 vs 8 of 1000 excludes no change, but 5 samples is the least
  // change reported; 3 vs 9 (6 samples) is.
  const t = { weight: 1000, counts: true, dfFactor: 1, meta: b.profile.meta };
  const loose = zForConfidence(0.6);
  assert.ok(compareCounts(3, 7, t, t, 'share', loose).interval!.lo > 0);
  assert.equal(compareCounts(3, 7, t, t, 'share', loose).significant, false);
  assert.equal(MIN_EFFECT_SAMPLES, 5);
  assert.equal(compareCounts(3, 9, t, t, 'share', loose).significant, true);
});

test('two runs of the same autocorrelated program: flagged no more often than the confidence level says (200 seeded pairs)', () => {
  const runs = 200;
  let fastAt95 = 0;
  let anyAt999 = 0;
  let binomialFastAt95 = 0;
  for (let i = 0; i < runs; i++) {
    const a = simulate(PROGRAM, 1000 + 2 * i);
    const b = simulate(PROGRAM, 1001 + 2 * i);
    if (fastOf(diffProfiles(a, b, { confidence: 0.95 })).significant) fastAt95++;
    const d = diffProfiles(a, b);
    const flagged = [...d.functions.map((f) => f.change), ...[...d.files.values()].flat().map((l) => l.change)].some((c) => c.significant);
    if (flagged) anyAt999++;
    if (fastOf(diffProfiles(withoutOrder(a), withoutOrder(b), { confidence: 0.95 })).significant) binomialFastAt95++;
  }
  const pct = (k: number) => `${((100 * k) / runs).toFixed(1)}%`;
  console.log(`# same program twice, ${runs} pairs: fast flagged at 95% ${pct(fastAt95)}; any function or line at 99.9% ${pct(anyAt999)}; binomial model, fast at 95%: ${pct(binomialFastAt95)}`);
  // 95% nominal: at most ~5% (+2.5 standard errors of a 200-run proportion for the simulation's own noise)
  assert.ok(fastAt95 / runs <= 0.05 + 2.5 * Math.sqrt((0.05 * 0.95) / runs), `fast flagged in ${pct(fastAt95)} of identical pairs at 95%`);
  assert.ok(anyAt999 / runs <= 0.05, `some function or line flagged in ${pct(anyAt999)} of identical pairs at 99.9%`);
  // The data are autocorrelated enough that counting samples as independent would be wrong:
  assert.ok(binomialFastAt95 / runs >= 0.15, `the binomial model flagged only ${pct(binomialFastAt95)}: the simulation is not autocorrelated enough to test anything`);
});
