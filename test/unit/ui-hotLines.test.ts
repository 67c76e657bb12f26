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
  const tables = buildHotLineTables(summary, paths, p.meta, { minFraction: 0.005, textMinFraction: 0.01 });
  assert.deepEqual([...tables.keys()], ['/home/me/app/a.py']);
  const lines = tables.get('/home/me/app/a.py')!;
  // line 21 (cold: 4/2000 = 0.2%) is below 0.5%
  assert.deepEqual(lines.map((l) => l.line), [2, 10]);
  const hot = lines[1];
  assert.equal(hot.self, 1996);
  assert.equal(hot.heat, HEAT_LEVELS);
  assert.equal(hot.text, '99.8% self', 'the end-of-line text is the one number that matters');
  assert.equal(hot.detail, '99.8% self · 99.8% total · 1,996 samples', 'the rest is in the hover');
  assert.equal(lines[0].heat, 0, 'a caller line has total but no self heat');
  assert.equal(lines[0].text, '100% total', 'a call site leads with its total, not "0% self"');
  assert.equal(lines[0].detail, '0% self · 100% total · 2,000 samples');
});

test('heat is relative to the hottest line: 33% and 67% get different steps, the hottest the top one', () => {
  const b = new ProfileBuilder({ source: 'test', mode: 'sampling', unit: 'samples', rateHz: 100 });
  const t = b.internThread(1, 'MainThread');
  const f = (line: number) => ({ name: 'f', file: '/w/h.py', firstLine: 1, line });
  b.addSample(t, b.internStack([f(2)]), 671);
  b.addSample(t, b.internStack([f(3)]), 329);
  b.addSample(t, b.internStack([f(4)]), 8); // 0.8%: heat, but below the 1% text threshold
  const p = b.finish();
  const s = summarizeProfile(p);
  const lines = hotLinesFor([s.files.get('/w/h.py')!], s.total, p.meta, s.hottestLineSelf, { minFraction: 0.005, textMinFraction: 0.01 });
  const [l2, l3, l4] = lines;
  assert.equal(l2.heat, HEAT_LEVELS);
  assert.equal(l3.heat, 3, '32.6% is half of 66.6%: step 3 of 6');
  assert.equal(l4.heat, 1);
  assert.deepEqual([l2.text, l3.text, l4.text], ['66.6% self', '32.6% self', '']);
});

test('text threshold 0 puts a number on every decorated line', () => {
  const p = profile();
  const s = summarizeProfile(p);
  const lines = hotLinesFor([s.files.get('/srv/app/a.py')!], s.total, p.meta, s.hottestLineSelf, { minFraction: 0, textMinFraction: 0 });
  assert.ok(lines.every((l) => l.text !== ''), JSON.stringify(lines));
});

test('threshold 0 keeps every sampled line', () => {
  const p = profile();
  const s = summarizeProfile(p);
  const lines = hotLinesFor([s.files.get('/srv/app/a.py')!], s.total, p.meta, s.hottestLineSelf, { minFraction: 0, textMinFraction: 0.01 });
  assert.deepEqual(lines.map((l) => l.line + 1), [3, 11, 21]);
});
