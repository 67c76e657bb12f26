// Language server precomputation: caller/callee tables from the call-site trie, and per-local-file
// function/line tables (merging profile paths), checked by hand on a small profile and against a
// brute-force per-sample walk on random recursive profiles.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Profile, ProfileBuilder } from '../../src/profile/model';
import { buildPathTable } from '../../src/profile/pathMap';
import { buildProfileIndex, CallEdge } from '../../src/server/profileIndex';
import { buildFileTables } from '../../src/server/fileTables';
import { appProfile } from './server-scenario';

const FILE = '/srv/app/app.py';

function frameId(p: Profile, name: string): number {
  const i = p.frames.findIndex((f) => f.name === name);
  assert.ok(i >= 0, `frame ${name}`);
  return i;
}

/** Heaviest first (the index leaves lists unordered). */
function named(p: Profile, edges: readonly CallEdge[]): Array<[string, number, number]> {
  return [...edges].sort((a, b) => b.weight - a.weight || a.frame - b.frame).map((e) => [p.frames[e.frame].name, e.line, e.weight]);
}

test('callers, callees and line callees of a hand-checked profile', () => {
  const p = appProfile(FILE);
  const ix = buildProfileIndex(p);
  assert.equal(ix.total, 100);
  assert.deepEqual(named(p, ix.callersOf(frameId(p, 'helper'))), [
    ['Worker.run', 10, 70],
    ['main', 19, 20],
  ]);
  assert.deepEqual(named(p, ix.callersOf(frameId(p, 'main'))), [['<module>', 21, 100]]);
  assert.deepEqual(named(p, ix.calleesOf(frameId(p, 'main'))), [
    ['decorated', 0, 70],
    ['helper', 0, 20],
  ]);
  assert.deepEqual(named(p, ix.calleesOf(frameId(p, 'helper'))), []);
  assert.deepEqual(named(p, ix.lineCalleesOf(FILE, 18)), [['decorated', 0, 70]]);
  assert.deepEqual(named(p, ix.lineCalleesOf(FILE, 19)), [['helper', 0, 20]]);
  assert.deepEqual(named(p, ix.lineCalleesOf(FILE, 10)), [['helper', 0, 70]]);
  assert.deepEqual(ix.lineCalleesOf(FILE, 6), [], 'a leaf line calls nothing');
  assert.deepEqual(ix.lineCalleesOf('/elsewhere.py', 10), []);
  assert.equal(ix.lineOwner.get(FILE)!.get(6), frameId(p, 'helper'));
  assert.equal(ix.lineOwner.get(FILE)!.get(18), frameId(p, 'main'));
});

test('file tables: lens titles, line texts, owners; profile paths merge into one local file', () => {
  const p = appProfile(FILE);
  const ix = buildProfileIndex(p);
  const tables = buildFileTables(ix, buildPathTable([FILE], { exists: () => true }));
  const t = tables.get(FILE)!;
  assert.deepEqual(
    t.functions.map((f) => [f.name, f.line, f.title]),
    [
      ['<module>', 1, 'pyprof: 100% total · 0% self · 100 samples'],
      ['helper', 3, 'pyprof: 90.0% total · 90.0% self · 90 samples · called from 2 places'],
      ['Worker.run', 9, 'pyprof: 70.0% total · 0% self · 70 samples · called from 1 place'],
      ['decorated', 12, 'pyprof: 70.0% total · 0% self · 70 samples · called from 1 place'],
      ['main', 16, 'pyprof: 100% total · 10.0% self · 100 samples · called from 1 place'],
    ],
  );
  const line6 = t.lines.find((l) => l.line === 6)!;
  assert.equal(line6.text, '80.0% self · 80.0% total · 80 samples');
  assert.equal(line6.selfFraction, 0.8);
  assert.equal(line6.owner, frameId(p, 'helper'));
  assert.deepEqual(
    t.lines.map((l) => l.line),
    [5, 6, 10, 14, 17, 18, 19, 21],
  );

  // The same code recorded in two containers: both paths map to one local file and add up.
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'trace', unit: 'samples' });
  const th = b.internThread(1, 'main');
  for (const [file, w] of [['/a/app.py', 3], ['/b/app.py', 1]] as const) {
    const id = b.internStack([{ name: 'f', file, firstLine: 2, line: 3 }]);
    b.addSample(th, id, w);
    b.profile.frames[b.internFrame('f', file, 2)].calls = 5;
  }
  const ix2 = buildProfileIndex(b.finish());
  const t2 = buildFileTables(ix2, buildPathTable(['/a/app.py', '/b/app.py'], { mappings: [{ from: '/a', to: '/w' }, { from: '/b', to: '/w' }], exists: (f) => f.startsWith('/w/') })).get('/w/app.py')!;
  assert.equal(t2.profileFiles.length, 2);
  assert.equal(t2.functions.length, 1);
  assert.equal(t2.functions[0].title, 'pyprof: 100% total · 100% self · 4 samples · 10 calls');
  assert.deepEqual(t2.lines.map((l) => [l.line, l.self, l.total]), [[3, 4, 4]]);
});

test('recursion counts a sample once per edge', () => {
  const b = new ProfileBuilder({ source: 't', mode: 'sampling', unit: 'samples' });
  const th = b.internThread(1, 'main');
  const fib = (line: number) => ({ name: 'fib', file: '/f.py', firstLine: 4, line });
  b.addSample(th, b.internStack([{ name: 'main', file: '/f.py', firstLine: 1, line: 2 }, fib(5), fib(5), fib(5), fib(6)]), 10);
  const p = b.finish();
  const ix = buildProfileIndex(p);
  assert.deepEqual(named(p, ix.lineCalleesOf('/f.py', 5)), [['fib', 0, 10]]);
  assert.deepEqual(named(p, ix.callersOf(frameId(p, 'fib'))), [['main', 2, 10]], 'self-recursion is not a caller');
  assert.deepEqual(named(p, ix.calleesOf(frameId(p, 'fib'))), []);
});

/** The definition, straight from the model's rule: per sample, each distinct key counts once. */
function bruteForce(p: Profile) {
  const site = new Map<string, number>(); // callerFrame,line,callee → weight
  const fn = new Map<string, number>(); // callerFrame,callee
  for (const s of p.samples) {
    if (s.node < 0 || s.weight === 0) continue;
    const seenSite = new Set<string>();
    const seenFn = new Set<string>();
    for (let n = s.node; n >= 0; n = p.nodes[n].parent) {
      const nd = p.nodes[n];
      if (nd.parent < 0) continue;
      const par = p.nodes[nd.parent];
      const k = `${par.frame},${par.line},${nd.frame}`;
      if (!seenSite.has(k)) {
        seenSite.add(k);
        site.set(k, (site.get(k) ?? 0) + s.weight);
      }
      const kf = `${par.frame},${nd.frame}`;
      if (!seenFn.has(kf)) {
        seenFn.add(kf);
        fn.set(kf, (fn.get(kf) ?? 0) + s.weight);
      }
    }
  }
  return { site, fn };
}

test('caller/callee weights equal a brute-force per-sample walk on random recursive profiles', () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 20; round++) {
    const b = new ProfileBuilder({ source: 't', mode: 'sampling', unit: 'samples' });
    const th = b.internThread(1, 'main');
    for (let s = 0; s < 60; s++) {
      const depth = 1 + rnd(9);
      const stack = Array.from({ length: depth }, () => {
        const f = rnd(4);
        return { name: `f${f}`, file: `/m${f % 2}.py`, firstLine: 10 * f + 1, line: 10 * f + 2 + rnd(3) };
      });
      b.addSample(th, b.internStack(stack), 1 + rnd(5));
    }
    const p = b.finish();
    const ix = buildProfileIndex(p);
    const want = bruteForce(p);
    const gotSite = new Map<string, number>();
    p.frames.forEach((_, callee) => ix.callersOf(callee).forEach((e) => gotSite.set(`${e.frame},${e.line},${callee}`, e.weight)));
    const wantNonSelf = new Map([...want.site].filter(([k]) => {
      const [a, , c] = k.split(',');
      return a !== c;
    }));
    assert.deepEqual(new Map([...gotSite].sort()), new Map([...wantNonSelf].sort()), `callers, round ${round}`);
    const gotFn = new Map<string, number>();
    p.frames.forEach((_, caller) => ix.calleesOf(caller).forEach((e) => gotFn.set(`${caller},${e.frame}`, e.weight)));
    const wantFn = new Map([...want.fn].filter(([k]) => k.split(',')[0] !== k.split(',')[1]));
    assert.deepEqual(new Map([...gotFn].sort()), new Map([...wantFn].sort()), `callees, round ${round}`);
    // Line callees sum the site edges of every caller frame of that file and line.
    const wantLine = new Map<string, number>();
    for (const [k, w] of want.site) {
      const [a, line, c] = k.split(',').map(Number);
      if (line <= 0) continue;
      const key = `${p.frames[a].file}:${line}:${c}`;
      wantLine.set(key, (wantLine.get(key) ?? 0) + w);
    }
    const gotLine = new Map<string, number>();
    const lineKeys = new Set([...p.nodes].filter((nd) => nd.line > 0).map((nd) => `${p.frames[nd.frame].file}:${nd.line}`));
    for (const key of lineKeys) {
      const [file, line] = key.split(':');
      for (const e of ix.lineCalleesOf(file, Number(line))) gotLine.set(`${key}:${e.frame}`, e.weight);
    }
    assert.deepEqual(new Map([...gotLine].sort()), new Map([...wantLine].sort()), `line callees, round ${round}`);
  }
});
