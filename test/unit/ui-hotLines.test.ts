import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/profile/model';
import { summarizeProfile, HEAT_LEVELS } from '../../src/profile/summary';
import { buildPathTable } from '../../src/profile/pathMap';
import { buildHotLineTables, hotLinesFor } from '../../src/ui/editor/hotLines';

function profile() {
  const b = new ProfileBuilder({ source: 'test', mode: 'sampling', unit: 'samples', rateHz: 100 });
  const t = b.internThread(1, 'MainThread');
  const main = { name: 'main', file: '/srv/app/a.py', firstLine: 1, line: 3 };
  b.addSample(t, b.internStack([main, { name: 'hot', file: '/srv/app/a.py', firstLine: 10, line: 11 }]), 996);
  b.addSample(t, b.internStack([main, { name: 'cold', file: '/srv/app/a.py', firstLine: 20, line: 21 }]), 4);
  // same code run from a second container path: merged onto the same local file
  b.addSample(t, b.internStack([{ ...main, file: '/box/app/a.py' }, { name: 'hot', file: '/box/app/a.py', firstLine: 10, line: 11 }]), 1000);
  return b.finish();
}

test('hot lines map to local files, merge containers, use 0-based lines and skip cold lines', () => {
  const p = profile();
  const summary = summarizeProfile(p);
  const paths = buildPathTable(['/srv/app/a.py', '/box/app/a.py'], { workspaceFiles: ['/home/me/app/a.py'] });
  const tables = buildHotLineTables(summary, paths, p.meta, { minFraction: 0.005 });
  assert.deepEqual([...tables.keys()], ['/home/me/app/a.py']);
  const lines = tables.get('/home/me/app/a.py')!;
  // line 21 (cold: 4/2000 = 0.2%) is below 0.5%
  assert.deepEqual(lines.map((l) => l.line), [2, 10]);
  const hot = lines[1];
  assert.equal(hot.self, 1996);
  assert.equal(hot.heat, HEAT_LEVELS);
  assert.equal(hot.text, '99.8% self · 99.8% total · 1,996 samples');
  assert.equal(lines[0].heat, 0, 'a caller line has total but no self heat');
  assert.equal(lines[0].text, '0% self · 100% total · 2,000 samples');
});

test('threshold 0 keeps every sampled line', () => {
  const p = profile();
  const s = summarizeProfile(p);
  const lines = hotLinesFor([s.files.get('/srv/app/a.py')!], s.total, p.meta, { minFraction: 0 });
  assert.deepEqual(lines.map((l) => l.line + 1), [3, 11, 21]);
});
