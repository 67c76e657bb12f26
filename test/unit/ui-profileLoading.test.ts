// Loading a profile file the way the extension does (formats importer → summary → path table →
// hot-line tables), for our own recordings and for speedscope files from elsewhere.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/profile/model';
import { exportProfile, importProfile } from '../../src/profile/formats';
import { summarizeProfile } from '../../src/profile/summary';
import { buildPathTable } from '../../src/profile/pathMap';
import { buildHotLineTables } from '../../src/ui/editor/hotLines';
import { profileBaseName } from '../../src/ui/profileIO';
import { EXPORT_FORMATS } from '../../src/profile/formats';

function recorded() {
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples', rateHz: 100, sampleCount: 100 });
  const t = b.internThread(7, 'MainThread', 1);
  const main = { name: 'main', file: '/srv/app/demo.py', firstLine: 46, line: 51 };
  b.addSample(t, b.internStack([main, { name: 'slow_primes', file: '/srv/app/demo.py', firstLine: 12, line: 18 }]), 80, 0);
  b.addSample(t, b.internStack([main, { name: 'fast_primes', file: '/srv/app/demo.py', firstLine: 26, line: 32 }]), 20, 800);
  return b.finish();
}

test('a recorded speedscope file keeps per-line heat and function lenses after loading', () => {
  const bytes = exportProfile(recorded(), 'speedscope');
  const p = importProfile(new Uint8Array(bytes), 'demo.speedscope.json');
  const s = summarizeProfile(p);
  const paths = buildPathTable(['/srv/app/demo.py'], { workspaceFiles: ['/ws/app/demo.py'] });
  const lines = buildHotLineTables(s, paths, p.meta).get('/ws/app/demo.py')!;
  assert.deepEqual(
    lines.map((l) => [l.line + 1, l.heat > 0, l.detail]),
    [
      [18, true, '80.0% self · 80.0% total · 80 samples'],
      [32, true, '20.0% self · 20.0% total · 20 samples'],
      [51, false, '0% self · 100% total · 100 samples'],
    ],
  );
  const fns = s.files.get('/srv/app/demo.py')!.functions;
  assert.deepEqual(fns.map((f) => [f.name, f.line, f.hotLine]), [['slow_primes', 12, 18], ['fast_primes', 26, 32], ['main', 46, 0]]);
  assert.equal(fns[0].title, 'pyprof: 80.0% total · 80.0% self · 80 samples · called from 1 place');
});

test('a plain speedscope file (no pyprof block) still loads with its frame lines', () => {
  const plain = {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    shared: { frames: [{ name: 'main', file: '/x/a.py', line: 3 }, { name: 'work', file: '/x/a.py', line: 9 }] },
    profiles: [{ type: 'sampled', name: 'T', unit: 'none', startValue: 0, endValue: 4, samples: [[0, 1], [0]], weights: [3, 1] }],
  };
  const p = importProfile(new Uint8Array(Buffer.from(JSON.stringify(plain))), 'other.json');
  const s = summarizeProfile(p);
  assert.equal(s.total, 4);
  const fns = s.files.get('/x/a.py')!.functions;
  assert.deepEqual(fns.map((f) => [f.name, f.line, f.self, f.total]), [['main', 3, 1, 4], ['work', 9, 3, 3]]);
});

test('a broken file is a clear error, not a crash', () => {
  assert.throws(() => importProfile(new Uint8Array(Buffer.from('{"shared": ')), 'broken.json'), /broken\.json/);
  assert.throws(() => importProfile(new Uint8Array(0), 'empty.json'), /empty/);
});

test('Save As starts from the profile name without its old extension', () => {
  const exts = EXPORT_FORMATS.map((f) => f.extension);
  assert.equal(profileBaseName('hot.py (recorded)', exts), 'hot');
  assert.equal(profileBaseName('hot.prof', exts), 'hot');
  assert.equal(profileBaseName('run.speedscope.json', exts), 'run');
  assert.equal(profileBaseName('cpu.pb.gz', exts), 'cpu');
  assert.equal(profileBaseName('stacks.collapsed.txt', exts), 'stacks');
  assert.equal(profileBaseName('process 4242 (recorded)', exts), 'process 4242');
  assert.equal(profileBaseName('.json', exts), '.json', 'a name that is only an extension stays');
});
