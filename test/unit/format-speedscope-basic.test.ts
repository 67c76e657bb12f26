import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ProfileBuilder, lineStats } from '../../src/profile/model';
import { exportProfile, importProfile, ProfileFormatError } from '../../src/profile/formats';

function sample() {
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples', rateHz: 100, pid: 7 });
  const t = b.internThread(7, 'MainThread', 7);
  const main = { name: '<module>', file: '/w/a.py', firstLine: 1, line: 9 };
  b.addSample(t, b.internStack([main, { name: 'hot', file: '/w/a.py', firstLine: 3, line: 4 }]), 7, 0);
  b.addSample(t, b.internStack([main, { name: 'hot', file: '/w/a.py', firstLine: 3, line: 5 }]), 3, 70);
  return b.finish();
}

test('speedscope export is readable speedscope and round-trips line data', () => {
  const p = sample();
  const doc = JSON.parse(exportProfile(p, 'speedscope').toString());
  assert.equal(doc.profiles.length, 1);
  assert.equal(doc.profiles[0].unit, 'milliseconds');
  assert.deepEqual(doc.profiles[0].weights, [70, 30]);
  assert.deepEqual(doc.shared.frames.map((f: { name: string }) => f.name), ['<module>', 'hot']);
  const back = importProfile(exportProfile(p, 'speedscope'), 'x.speedscope.json');
  assert.deepEqual(back, JSON.parse(JSON.stringify(p)));
  assert.deepEqual(lineStats(back).get('/w/a.py')!.get(4), { self: 7, total: 7 });
});

test('speedscope without our block imports sampled profiles by function', () => {
  const doc = JSON.parse(exportProfile(sample(), 'speedscope').toString());
  delete doc.pyprof;
  const p = importProfile(Buffer.from(JSON.stringify(doc)), 'plain.json');
  assert.equal(p.frames.length, 2);
  assert.equal(p.samples.reduce((a, s) => a + s.weight, 0), 100);
});

test('collapsed export writes py-spy style frames, root first', () => {
  const text = exportProfile(sample(), 'collapsed', { threadsAsRoot: true }).toString();
  assert.equal(text, 'thread (MainThread 7);<module> (/w/a.py:9);hot (/w/a.py:4) 7\nthread (MainThread 7);<module> (/w/a.py:9);hot (/w/a.py:5) 3\n');
});

test('corrupt speedscope gives a ProfileFormatError with a position', () => {
  assert.throws(() => importProfile(Buffer.from('{"shared": {"frames": [}'), 'bad.json'), (e: unknown) => e instanceof ProfileFormatError && /bad\.json: line 1/.test((e as Error).message));
  assert.throws(() => importProfile(Buffer.from('{"pyprof": {"version": 1, "meta": {}, "frames": [], "threads": [], "nodes": [0, 5, 1], "samples": [], "timeline": []}}'), 'b.json'), ProfileFormatError);
});
