import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ProfileBuilder, Profile } from '../../src/profile/model';
import { diffProfiles } from '../../src/profile/diff';
import { gate, GateError, textReport } from '../../src/cli/diffReport';

function run(fast: number, other: number, durationMs?: number): Profile {
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples', rateHz: 100 });
  const th = b.internThread(1, 'MainThread');
  const at = (name: string, def: number) => b.internStack([{ name: 'main', file: '/w/a.py', firstLine: 1, line: 2 }, { name, file: '/w/a.py', firstLine: def, line: def + 1 }]);
  b.addSample(th, at('fast', 5), fast);
  b.addSample(th, at('other', 10), other);
  const p = b.finish();
  p.meta.sampleCount = fast + other;
  if (durationMs !== undefined) p.meta.durationMs = durationMs;
  return p;
}

test('whole-run gate: fails on a significant slowdown beyond PCT, passes within it or within the noise', () => {
  const slower = diffProfiles(run(1000, 1000, 20000), run(1500, 1000, 25000));
  const v = gate(slower, 10);
  assert.equal(v.failed, true);
  assert.match(v.reason, /^the whole run is slower by \+25% > 10% \(\+5\.00 s \(\+25%\), significant at 99\.9%\)$/);
  assert.equal(gate(slower, 30).failed, false);
  const noise = diffProfiles(run(10, 10, 200), run(12, 10, 220));
  const n = gate(noise, 5);
  assert.equal(n.failed, false);
  assert.match(n.reason, /within the noise/);
});

test('function gate uses the comparison mode; no time means no whole-run gate, with the way out', () => {
  const d = diffProfiles(run(1000, 1000), run(2000, 1000));
  const v = gate(d, 20, 'fast');
  assert.equal(v.failed, true);
  assert.match(v.reason, /^fast \(a\.py:5\) is slower by \+33% > 20%/);
  assert.equal(gate(d, 20, 'other').failed, false, 'other fell from 50% to 33%: faster by share');
  assert.throws(() => gate(d, 5), (e: Error) => e instanceof GateError && /has none: name a function with --function/.test(e.message));
  assert.throws(() => gate(d, 5, 'nope'), /function 'nope' is in neither profile/);
});

test('the text report lists regressions, improvements and unchanged functions', () => {
  const d = diffProfiles(run(1000, 1000, 20000), run(500, 1000, 15000), { mode: 'time' });
  const text = textReport(d, { base: 'a.json', new: 'b.json' }, 10);
  assert.match(text, /regressions \(slower\): none significant/);
  assert.match(text, /improvements \(faster\):\n(.*\n)*?\s+−5\.00 s\s+−50%.* fast \(a\.py:5\)/);
  assert.match(text, /unchanged \(within the noise\), largest:\n(.*\n)*.*other \(a\.py:10\)/);
});
