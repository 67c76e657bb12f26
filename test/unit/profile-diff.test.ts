import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Profile, ProfileBuilder } from '../../src/profile/model';
import { diffProfiles, findFunctions, topChanges } from '../../src/profile/diff';
import { digestSource } from '../../src/profile/sourceDigest';

interface Spec {
  /** [function, def line, executing line, samples] under main (def 1, line 2). */
  work: Array<[string, number, number, number]>;
  source?: string;
  durationMs?: number;
}

function profileOf(spec: Spec): Profile {
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples', rateHz: 100 });
  const th = b.internThread(1, 'MainThread');
  let samples = 0;
  for (const [name, def, line, n] of spec.work) {
    const leaf = b.internStack([
      { name: 'main', file: '/w/app.py', firstLine: 1, line: 2 },
      { name, file: '/w/app.py', firstLine: def, line },
    ]);
    b.addSample(th, leaf, n);
    samples += n;
  }
  const p = b.finish();
  p.meta.sampleCount = samples;
  p.meta.durationMs = spec.durationMs ?? samples * 10;
  if (spec.source) p.meta.sources = { '/w/app.py': digestSource(spec.source) };
  return p;
}

const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i + 1));
const before = lines(40, (i) => `line ${i}`).join('\n') + '\n';
// after: 10 new lines inserted after line 15 (so `steady` at 20..24 moves to 30..34); line 6 edited.
const afterLines = lines(40, (i) => `line ${i}`);
afterLines[5] = 'line 6 edited';
afterLines.splice(15, 0, ...lines(10, (i) => `inserted ${i}`));
const after = afterLines.join('\n') + '\n';

test('share mode: the 2x faster function is significant, the moved one unchanged and matched across the move', () => {
  // steady is small, so the rise of its share when fast halves (2.4% → 2.8%) is within the noise
  const base = profileOf({ source: before, work: [['fast', 5, 6, 2000], ['steady', 20, 22, 200], ['other', 10, 11, 6000]] });
  const next = profileOf({ source: after, work: [['fast', 5, 6, 1000], ['steady', 30, 32, 200], ['other', 10, 11, 6000]] });
  const d = diffProfiles(base, next);
  const fast = findFunctions(d, 'fast')[0];
  assert.equal(fast.change.status, 'faster');
  assert.equal(fast.change.significant, true);
  const steady = findFunctions(d, 'steady');
  assert.equal(steady.length, 1, 'moved function matched with itself');
  assert.equal(steady[0].baseLine, 20);
  assert.equal(steady[0].newLine, 30);
  assert.equal(steady[0].change.status, 'unchanged');
  const rows = d.files.get('/w/app.py')!;
  const steadyLine = rows.find((r) => r.line === 32)!;
  assert.equal(steadyLine.baseLine, 22);
  assert.equal(steadyLine.change.status, 'unchanged');
  const edited = rows.find((r) => r.line === 6)!;
  assert.equal(edited.edited, true);
  assert.equal(edited.change.status, 'faster');
  // main's inclusive time fell with fast's: measured against the unchanged code it is faster too
  assert.deepEqual(topChanges(d, 'faster').map((f) => f.name).sort(), ['fast', 'main']);
  // 'other' rose from 73% to 83% of the samples because the whole shrank: normalised by the code
  // that did not change (other and steady), it is unchanged; by plain shares it is 'slower'
  assert.equal(findFunctions(d, 'other')[0].change.status, 'unchanged');
  assert.deepEqual(d.normalisation?.functions, ['other', 'steady']);
  assert.equal(findFunctions(diffProfiles(base, next, { normalise: 'all' }), 'other')[0].change.status, 'slower');
  assert.equal(d.program?.status, 'faster');
});

test('time mode: only the faster function changed; time comes from duration / samples', () => {
  const base = profileOf({ source: before, work: [['fast', 5, 6, 2000], ['steady', 20, 22, 400], ['other', 10, 11, 2000]], durationMs: 44000 });
  const next = profileOf({ source: after, work: [['fast', 5, 6, 1000], ['steady', 30, 32, 400], ['other', 10, 11, 2000]], durationMs: 34000 });
  const d = diffProfiles(base, next, { mode: 'time' });
  assert.equal(findFunctions(d, 'fast')[0].change.status, 'faster');
  assert.ok(Math.abs(findFunctions(d, 'fast')[0].change.deltaMs! + 10000) < 1e-6);
  assert.equal(findFunctions(d, 'other')[0].change.status, 'unchanged');
  assert.equal(findFunctions(d, 'steady')[0].change.status, 'unchanged');
});

test('small counts are noise; new and gone functions; no digests → lines by number with a note', () => {
  const base = profileOf({ work: [['a', 5, 6, 3], ['gone', 8, 9, 50], ['big', 10, 11, 1000]] });
  const next = profileOf({ source: after, work: [['a', 5, 6, 5], ['added', 12, 13, 60], ['big', 10, 11, 1000]] });
  const d = diffProfiles(base, next);
  assert.equal(findFunctions(d, 'a')[0].change.status, 'unchanged');
  assert.equal(findFunctions(d, 'gone')[0].change.status, 'gone');
  assert.equal(findFunctions(d, 'gone')[0].change.significant, true);
  assert.equal(findFunctions(d, 'added')[0].change.status, 'new');
  assert.match(d.notes.join('\n'), /compared by line number/);
});

test('time mode refuses profiles without measured time, with the reason', () => {
  const base = profileOf({ work: [['a', 5, 6, 3]] });
  base.meta.durationMs = undefined;
  assert.throws(() => diffProfiles(base, profileOf({ work: [['a', 5, 6, 3]] }), { mode: 'time' }), /base profile \(pyprof\) has no measured time/);
});
