import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ProfileBuilder, functionStats, lineStats } from '../../src/profile/model';
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

// py-spy's speedscope output (shape of its src/speedscope.rs): one frame per executing line, the
// line in frame.line, weights in seconds. The lines must become hot lines, one function each.
function pySpyDoc(exporter: string | undefined) {
  const frames = [
    { name: '<module>', file: '/w/app.py', line: 30, col: null },
    { name: 'work', file: '/w/app.py', line: 12, col: null },
    { name: 'work', file: '/w/app.py', line: 13, col: null },
  ];
  return {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    profiles: [{ type: 'sampled', name: 'Process 41 Thread 41 "MainThread"', unit: 'seconds', startValue: 0, endValue: 0.04, samples: [[0, 1], [0, 1], [0, 1], [0, 2]], weights: [0.01, 0.01, 0.01, 0.01] }],
    shared: { frames },
    activeProfileIndex: null,
    exporter,
    name: 'py-spy profile',
  };
}

test('py-spy speedscope output imports with its per-line frames as hot lines', () => {
  for (const exporter of ['py-spy@0.3.14', undefined]) {
    const p = importProfile(Buffer.from(JSON.stringify(pySpyDoc(exporter))), 'pyspy.json');
    assert.deepEqual(p.frames.map((f) => [f.name, f.line]), [['<module>', 0], ['work', 0]], `exporter ${exporter}: one frame per function`);
    const lines = lineStats(p).get('/w/app.py')!;
    assert.ok(Math.abs(lines.get(12)!.self - 0.03) < 1e-9, `line 12 self ${lines.get(12)?.self}`);
    assert.ok(Math.abs(lines.get(13)!.self - 0.01) < 1e-9);
    assert.ok(Math.abs(lines.get(30)!.total - 0.04) < 1e-9, 'the caller line carries the total');
  }
});

test('a speedscope frame line is the def line for other exporters (one line per function)', () => {
  const doc = pySpyDoc('some-tool@1');
  doc.shared.frames = doc.shared.frames.slice(0, 2);
  doc.profiles[0].samples = [[0, 1], [0]];
  doc.profiles[0].weights = [3, 1];
  const p = importProfile(Buffer.from(JSON.stringify(doc)), 'other.json');
  assert.deepEqual(p.frames.map((f) => [f.name, f.line]), [['<module>', 30], ['work', 12]]);
  assert.equal(lineStats(p).size, 0, 'no executing lines known');
});

test('evented speedscope profiles import with durations as weights', () => {
  const doc = {
    shared: { frames: [{ name: 'main', file: '/w/e.py', line: 1 }, { name: 'child', file: '/w/e.py', line: 5 }] },
    profiles: [{
      type: 'evented', name: 'T', unit: 'milliseconds', startValue: 0, endValue: 50,
      events: [{ type: 'O', frame: 0, at: 0 }, { type: 'O', frame: 1, at: 10 }, { type: 'C', frame: 1, at: 40 }, { type: 'C', frame: 0, at: 50 }],
    }],
  };
  const p = importProfile(Buffer.from(JSON.stringify(doc)), 'ev.json');
  assert.equal(p.meta.unit, 'milliseconds');
  const stats = functionStats(p);
  const byName = new Map(p.frames.map((f, i) => [f.name, stats[i]]));
  assert.deepEqual(byName.get('main'), { self: 20, total: 50 });
  assert.deepEqual(byName.get('child'), { self: 30, total: 30 });
  const unbalanced = { ...doc, profiles: [{ ...doc.profiles[0], events: [{ type: 'C', frame: 0, at: 0 }] }] };
  assert.throws(() => importProfile(Buffer.from(JSON.stringify(unbalanced)), 'ev.json'), (e: unknown) => e instanceof ProfileFormatError && /ev\.json.*events\[0\].*close event/.test((e as Error).message));
});
