// Share comparisons normalised by the code that did not change (src/profile/diffNormalise.ts), on
// synthetic recordings whose answer is known: five functions A–E sampled at 1 kHz, each sample's
// function drawn in proportion to the time the program spends in it. When A gets 2x faster the run
// is 10% shorter and every other function's plain share rises by 11%: with enough samples a plain
// share comparison calls B–E slower; the normalised one flags only A, over many seeded runs. When
// everything takes twice as long, shares are equal: nothing is flagged by share, everything by time.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Profile, ProfileBuilder } from '../../src/profile/model';
import { diffProfiles, findFunctions, ProfileDiff } from '../../src/profile/diff';
import { buildDiffTree, nodeChange } from '../../src/profile/diffTree';
import { chooseReference, MIN_REFERENCE_SAMPLES } from '../../src/profile/diffNormalise';
import { zForConfidence } from '../../src/profile/diffStats';
import { seeded } from '../seeded';

const NAMES = ['A', 'B', 'C', 'D', 'E'] as const;
type Times = Record<(typeof NAMES)[number], number>;
const EQUAL: Times = { A: 1, B: 1, C: 1, D: 1, E: 1 };

/** `seconds` of a program spending time in A–E in proportion to `times`, sampled every ms; msPerSample stretches the clock. */
function record(times: Times, seconds: number, seed: number, msPerSample = 1): Profile {
  const rnd = seeded(seed);
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples', rateHz: 1000 });
  const th = b.internThread(1, 'MainThread');
  const leaves = NAMES.map((name, i) => b.internStack([{ name, file: '/w/app.py', firstLine: 10 * i + 1, line: 10 * i + 2 }]));
  const total = NAMES.reduce((a, n) => a + times[n], 0);
  const n = Math.round(seconds * 1000);
  for (let s = 0; s < n; s++) {
    let u = rnd() * total;
    let k = 0;
    while (k < NAMES.length - 1 && u >= times[NAMES[k]]) u -= times[NAMES[k++]];
    b.addSample(th, leaves[k], 1, s * msPerSample);
  }
  const p = b.finish();
  p.meta.sampleCount = n;
  p.meta.durationMs = n * msPerSample;
  return p;
}

const flagged = (d: ProfileDiff) => d.functions.filter((f) => f.change.significant && f.change.status !== 'unchanged').map((f) => `${f.name} ${f.change.status}`);

test('one function of five 2x faster: only it is flagged, its change measured against the other four; plain shares flag the other four', () => {
  let plainFlagsOthers = 0;
  const seeds = 40;
  for (let i = 0; i < seeds; i++) {
    // 50 s of equal time in A–E, then A halves: 45 s. A has ~10,000 samples, then ~5,000.
    const base = record(EQUAL, 50, 100 + 2 * i);
    const next = record({ ...EQUAL, A: 0.5 }, 45, 101 + 2 * i);
    for (const [b, n, want] of [[base, next, 'faster'], [next, base, 'slower']] as const) {
      const d = diffProfiles(b, n);
      assert.deepEqual(flagged(d), [`A ${want}`], `seed ${i}: ${JSON.stringify(d.normalisation)}`);
      assert.equal(d.normalisation?.by, 'unchanged');
      assert.deepEqual([...d.normalisation!.functions].sort(), ['B', 'C', 'D', 'E']);
      // The scale: the four unchanged functions held 80% of the base and 88.9% of the new run.
      const scale = want === 'faster' ? 0.8 / 0.9 / 0.8 : 0.8 / (0.8 / 0.9);
      assert.ok(Math.abs(d.normalisation!.scale / scale - 1) < 0.03, `scale ${d.normalisation!.scale} vs ${scale}`);
      assert.ok(d.normalisation!.scaleInterval!.lo <= scale && scale <= d.normalisation!.scaleInterval!.hi, JSON.stringify(d.normalisation));
      // A's relative change is the truth (−50% / +100%), inside its interval
      const a = findFunctions(d, 'A')[0].change;
      const truth = want === 'faster' ? -0.5 : 1;
      assert.ok(a.relativeInterval!.lo <= truth && truth <= a.relativeInterval!.hi, `A: ${JSON.stringify(a)}`);
      // the flame graph's nodes use the same normalisation
      const tree = buildDiffTree(b, n, d);
      for (const node of tree.roots) {
        const name = d.functions[node.fn].name;
        assert.equal(nodeChange(d, node).status, name === 'A' ? want : 'unchanged', `flame node ${name}`);
      }
    }
    // Plain shares of all samples: B–E went from 20% to 22.2% of the samples, which ~10,000
    // samples each resolve: they come out "slower" though their time did not change.
    const plain = diffProfiles(base, next, { normalise: 'all' });
    if (flagged(plain).filter((f) => f !== 'A faster').length === 4) plainFlagsOthers++;
  }
  assert.ok(plainFlagsOthers >= seeds * 0.75, `plain shares flagged B–E as slower in only ${plainFlagsOthers} of ${seeds} runs: the test does not show the compositional shift`);
});

test('everything 2x slower in time, shares equal: nothing flagged by share, everything by time', () => {
  for (let i = 0; i < 20; i++) {
    const base = record(EQUAL, 20, 300 + 2 * i);
    // the same program on a machine half as fast: every sample's ms doubles, the shares do not move
    const next = record(EQUAL, 20, 301 + 2 * i, 2);
    const d = diffProfiles(base, next);
    assert.deepEqual(flagged(d), [], `seed ${i}`);
    assert.ok(Math.abs(d.normalisation!.scale - 1) < 0.05, `scale ${d.normalisation!.scale}`);
    const timed = diffProfiles(base, next, { mode: 'time' });
    assert.deepEqual(flagged(timed).sort(), NAMES.map((n) => `${n} slower`));
    assert.equal(timed.normalisation, undefined, 'time mode is not normalised');
  }
});

test('falls back to all samples, with the reason, when the unchanged code cannot be told apart', () => {
  const z = zForConfidence(0.999);
  const side = (weight: number) => ({ weight, counts: true, dfFactor: 1 });
  // two functions: which of them changed cannot be told from shares
  const two = chooseReference([{ name: 'a', base: 500, new: 250 }, { name: 'b', base: 500, new: 500 }], side(1000), side(750), z);
  assert.match('why' in two ? two.why : '', /only 2 functions with 20 own samples in both profiles: too few/);
  // too few samples to be a candidate
  const small = chooseReference(['a', 'b', 'c'].map((name) => ({ name, base: MIN_REFERENCE_SAMPLES - 1, new: 50 })), side(100), side(150), z);
  assert.ok('why' in small);
  // no majority: four functions, each changed differently
  const scattered = chooseReference([100, 200, 400, 800].map((k, i) => ({ name: `f${i}`, base: 1000, new: k * 5 })), side(4000), side(7500), z);
  assert.match('why' in scattered ? scattered.why : '', /no majority/);
  // no sample counts (pstats, austin times)
  assert.match(String((chooseReference([], { ...side(1), counts: false }, side(1), z) as { why: string }).why), /without sample counts/);
  // the diff says so in its notes and compares plain shares
  const base = record({ A: 1, B: 1, C: 0, D: 0, E: 0 }, 5, 1);
  const next = record({ A: 0.5, B: 1, C: 0, D: 0, E: 0 }, 5, 2);
  const d = diffProfiles(base, next);
  assert.equal(d.normalisation?.by, 'all');
  assert.match(d.notes.join('\n'), /shares are of all samples: only 2 functions/);
});
