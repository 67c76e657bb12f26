// Export → import keeps stacks, weights and (where the format has them) lines; every importer
// rejects garbage with a ProfileFormatError, never another exception or a hang.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { gzipSync } from 'zlib';
import { Profile, ProfileBuilder, functionStats, lineStats, totalWeight } from '../../src/profile/model';
import { exportProfile, importProfile, ProfileFormatError, formatForFile } from '../../src/profile/formats';
import { fixture } from '../helpers';

function sample(): Profile {
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples', rateHz: 100, pid: 42, startTime: 1_700_000_000_000, durationMs: 150 });
  const main = b.internThread(42, 'MainThread', 42);
  const worker = b.internThread(43, 'worker', 42);
  const mod = { name: '<module>', file: '/app/run.py', firstLine: 1, line: 30 };
  const work = { name: 'Worker.work', file: '/app/run.py', firstLine: 10, line: 12 };
  b.addSample(main, b.internStack([mod, work]), 6, 0);
  b.addSample(main, b.internStack([mod, { ...work, line: 14 }]), 3, 60);
  b.addSample(worker, b.internStack([{ name: 'loop', file: '/app/w.py', firstLine: 3, line: 5 }]), 6, 0);
  return b.finish();
}

/** Stacks as text (function names + current lines), with weights, independent of ids. */
function stacks(p: Profile, withLines = true): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of p.samples) {
    const names: string[] = [];
    for (let n = s.node; n >= 0; n = p.nodes[n].parent) names.unshift(p.frames[p.nodes[n].frame].name + (withLines ? `:${p.nodes[n].line}` : ''));
    const k = names.join(';');
    out.set(k, (out.get(k) ?? 0) + s.weight);
  }
  return out;
}

test('speedscope round trip is lossless', () => {
  const p = sample();
  assert.deepEqual(importProfile(exportProfile(p, 'speedscope'), 'a.speedscope.json'), JSON.parse(JSON.stringify(p)));
});

test('collapsed round trip keeps stacks, counts, lines and threads', () => {
  const p = sample();
  const back = importProfile(exportProfile(p, 'collapsed', { threadsAsRoot: true }), 'a.collapsed');
  assert.deepEqual(stacks(back), stacks(p));
  assert.deepEqual(back.threads.map((t) => t.name).sort(), ['MainThread', 'worker']);
  assert.deepEqual(lineStats(back).get('/app/run.py')!.get(12), { self: 6, total: 6 });
});

test('collapsed import reads py-spy, PyFlame and plain frames', () => {
  const text = 'main (/a.py:3);f (/a.py:9) 5\n/b.py:g:7;/b.py:h:8 2\nx;y 1\n';
  const p = importProfile(Buffer.from(text), 'x.txt');
  assert.deepEqual(stacks(p), new Map([['main:3;f:9', 5], ['g:7;h:8', 2], ['x:0;y:0', 1]]));
  assert.equal(p.frames.find((f) => f.name === 'h')!.file, '/b.py');
});

test('pprof round trip keeps stacks, lines and time', () => {
  const p = sample();
  const back = importProfile(exportProfile(p, 'pprof'), 'a.pb.gz');
  assert.equal(back.meta.unit, 'nanoseconds');
  const ns = stacks(back);
  for (const [k, w] of stacks(p)) assert.equal(ns.get(k), w * 10_000_000, k);
  const f = back.frames.find((x) => x.name === 'Worker.work')!;
  assert.equal(f.file, '/app/run.py');
  assert.equal(f.line, 10);
});

test('chrome trace has balanced begin/end events per thread, in µs', () => {
  const doc = JSON.parse(exportProfile(sample(), 'chrome').toString());
  const events = doc.traceEvents.filter((e: { ph: string }) => e.ph !== 'M');
  const depth = new Map<number, number>();
  for (const e of events) {
    depth.set(e.tid, (depth.get(e.tid) ?? 0) + (e.ph === 'B' ? 1 : -1));
    assert.ok(depth.get(e.tid)! >= 0);
  }
  assert.ok([...depth.values()].every((d) => d === 0));
  const work = events.filter((e: { name: string; ph: string }) => e.name === 'Worker.work' && e.ph === 'B');
  assert.equal(work.length, 1, 'one activation: consecutive samples in the same function merge');
  const end = events.find((e: { name: string; ph: string }) => e.name === 'Worker.work' && e.ph === 'E');
  assert.equal(end.ts - work[0].ts, 90_000, '9 samples at 100 Hz = 90 ms');
});

test('austin text import (wall and memory modes)', () => {
  const wall = '# austin: 3.6.0\n# interval: 100\n# mode: wall\n\nP9;T0:7;/a.py:main:3;/a.py:f:9 300\nP9;T0:7;/a.py:main:3;/a.py:f:9 100\nP9;T0:8;/b.py:g:1 50\n';
  const p = importProfile(Buffer.from(wall), 'run.austin');
  assert.equal(p.meta.unit, 'microseconds');
  assert.deepEqual(stacks(p), new Map([['main:3;f:9', 400], ['g:1', 50]]));
  assert.equal(p.threads.length, 2);
  const mem = '# mode: memory\nP9;T0:7;/a.py:alloc:5 1024\nP9;T0:7;/a.py:free:8 -512\n';
  const m = importProfile(Buffer.from(mem), 'mem.austin');
  assert.equal(m.meta.mode, 'memory');
  assert.equal(m.samples.find((s) => m.frames[m.nodes[s.node].frame].name === 'alloc')!.allocBytes, 1024);
  assert.equal(m.samples.find((s) => m.frames[m.nodes[s.node].frame].name === 'free')!.freedBytes, 512);
});

test('output file names pick a format', () => {
  assert.equal(formatForFile('x.pb.gz'), 'pprof');
  assert.equal(formatForFile('x.trace.json'), 'chrome');
  assert.equal(formatForFile('x.speedscope.json'), 'speedscope');
  assert.equal(formatForFile('x.folded'), 'collapsed');
});

// Seeded PRNG so failures reproduce.
function prng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

test('fuzz: random and mutated inputs to every importer fail only with ProfileFormatError', () => {
  const rnd = prng(1234);
  const p = sample();
  const seeds: Array<[string, Buffer]> = [
    ['f.speedscope.json', exportProfile(p, 'speedscope')],
    ['f.collapsed', exportProfile(p, 'collapsed', { threadsAsRoot: true })],
    ['f.pb.gz', exportProfile(p, 'pprof')],
    ['f.pb', require('zlib').gunzipSync(exportProfile(p, 'pprof'))],
    ['f.austin', Buffer.from('# mode: wall\nP9;T0:7;/a.py:main:3;/a.py:f:9 300\n')],
    ['f.prof', require('fs').readFileSync(fixture('formats/workload-3.12.prof'))], // written by CPython 3.12's cProfile
  ];
  // the pstats seed must itself be valid
  assert.ok(importProfile(seeds[5][1], 'f.prof').frames.some((f) => f.name === 'leaf' && f.calls === 150));
  const deadline = Date.now() + 8000;
  let runs = 0;
  for (let round = 0; round < 400 && Date.now() < deadline; round++) {
    for (const [name, seed] of seeds) {
      let input: Buffer;
      const r = rnd();
      if (r < 0.2) {
        input = Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
      } else if (r < 0.4) {
        input = seed.subarray(0, Math.floor(rnd() * seed.length)); // truncation
      } else {
        input = Buffer.from(seed);
        const flips = 1 + Math.floor(rnd() * 8);
        for (let i = 0; i < flips; i++) input[Math.floor(rnd() * input.length)] = Math.floor(rnd() * 256);
      }
      if (name.endsWith('.gz') && rnd() < 0.5) input = gzipSync(input);
      try {
        const out = importProfile(input, name);
        assert.ok(totalWeight(out) >= 0 || Number.isNaN(totalWeight(out)));
        functionStats(out);
      } catch (e) {
        assert.ok(e instanceof ProfileFormatError, `${name}: ${(e as Error)?.stack}`);
        assert.ok((e as Error).message.startsWith(name), (e as Error).message);
      }
      runs++;
    }
  }
  assert.ok(runs > 500, `${runs} fuzz runs`);
});
