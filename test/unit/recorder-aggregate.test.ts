// Recorder: snapshots → aggregated trie, timeline and meta (pure: snapshots built by hand).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Recorder } from '../../src/engine/recorder';
import { selectThreads } from '../../src/engine/sampler';
import { functionStats, lineStats, nodePath, totalWeight } from '../../src/profile/model';
import type { PyFrame, Snapshot, ThreadStack } from '../../src/engine/types';

const f = (name: string, line: number, firstLine = 1, file = '/app/a.py'): PyFrame => ({ name, file, line, firstLine });

function thread(tid: number, frames: PyFrame[], extra: Partial<ThreadStack> = {}): ThreadStack {
  return { pid: 100, tid, threadId: tid * 16, name: `t${tid}`, holdsGil: false, active: true, frames, ...extra };
}

const snap = (time: number, ...threads: ThreadStack[]): Snapshot => ({ time, threads });

test('identical stacks aggregate into one weighted sample; frames are innermost-first in, root-first in the trie', () => {
  const r = new Recorder({ pid: 100 }, { rateHz: 100, startTime: 1000 });
  const stack = [f('leaf', 12, 10), f('main', 5, 1), f('<module>', 20, 1)];
  for (let i = 0; i < 5; i++) r.addSnapshot(100, snap(1000 + i * 10, thread(1, stack)));
  const p = r.finish(50);
  assert.equal(p.samples.length, 1);
  assert.equal(p.samples[0].weight, 5);
  assert.deepEqual(nodePath(p, p.samples[0].node).map((n) => p.frames[n.frame].name), ['<module>', 'main', 'leaf']);
  assert.deepEqual(nodePath(p, p.samples[0].node).map((n) => n.line), [20, 5, 12]);
  assert.deepEqual(p.timeline, [{ t: 0, thread: 0, node: p.samples[0].node, count: 5 }]);
  assert.equal(p.meta.sampleCount, 5);
  assert.equal(p.meta.durationMs, 50);
  assert.equal(p.meta.rateHz, 100);
  assert.equal(p.meta.source, 'pyprof');
  assert.equal(p.meta.unit, 'samples');
  assert.equal(p.meta.startTime, 1000);
});

test('a different line in the same function is a different node but the same frame', () => {
  const r = new Recorder({}, { rateHz: 100 });
  r.addSnapshot(1, snap(0, thread(1, [f('g', 3, 2), f('main', 9)])));
  r.addSnapshot(1, snap(10, thread(1, [f('g', 4, 2), f('main', 9)])));
  r.addSnapshot(1, snap(20, thread(1, [f('g', 3, 2), f('main', 9)])));
  const p = r.finish(30);
  assert.equal(p.frames.length, 2);
  assert.equal(p.nodes.length, 3); // main:9, g:3, g:4
  const lines = lineStats(p).get('/app/a.py')!;
  assert.equal(lines.get(3)!.self, 2);
  assert.equal(lines.get(4)!.self, 1);
  assert.equal(lines.get(9)!.total, 3);
  // three runs: g:3, g:4, g:3
  assert.deepEqual(p.timeline.map((x) => [x.t, x.count]), [[0, 1], [10, 1], [20, 1]]);
});

test('threads stay separate and names that appear late are kept', () => {
  const r = new Recorder({}, { rateHz: 100 });
  r.addSnapshot(7, snap(0, thread(1, [f('a', 1)], { name: '' }), thread(2, [f('b', 1)])));
  r.addSnapshot(7, snap(10, thread(1, [f('a', 1)], { name: 'MainThread' })));
  const p = r.finish(20);
  assert.deepEqual(p.threads, [{ id: 1, name: 'MainThread', pid: 7 }, { id: 2, name: 't2', pid: 7 }]);
  assert.equal(totalWeight(p), 3);
  assert.equal(p.meta.sampleCount, 2);
});

test('--threads and --subprocesses add thread and process root frames', () => {
  const r = new Recorder({}, { rateHz: 100, threadRoots: true, processRoots: true });
  r.addProcess(42, 'python3 worker.py');
  r.addSnapshot(42, snap(0, thread(5, [f('work', 3)], { name: 'MainThread' })));
  const p = r.finish(10);
  const names = nodePath(p, p.samples[0].node).map((n) => p.frames[n.frame].name);
  assert.deepEqual(names, ['process 42: python3 worker.py', 'thread 5 "MainThread"', 'work']);
});

test('empty stacks, idle snapshots and errors are counted but add no weight', () => {
  const r = new Recorder({}, { rateHz: 50 });
  r.addSnapshot(1, snap(0));
  r.addSnapshot(1, snap(20, thread(1, [])));
  r.addError();
  r.addError();
  r.addNote('target exited after 0.1 s');
  r.addNote('target exited after 0.1 s');
  const p = r.finish(40, { command: 'python3 x.py', pythonVersion: '3.12.1' });
  assert.equal(totalWeight(p), 0);
  assert.equal(p.meta.sampleCount, 2);
  assert.equal(p.meta.errorCount, 2);
  assert.deepEqual(p.meta.notes, ['target exited after 0.1 s']);
  assert.equal(p.meta.command, 'python3 x.py');
  assert.equal(p.meta.pythonVersion, '3.12.1');
});

test('recursion: deep stacks build one chain, function total counts recursion once', () => {
  const r = new Recorder({}, { rateHz: 100 });
  const deep: PyFrame[] = [];
  for (let i = 0; i < 200; i++) deep.push(f('rec', 4, 3));
  deep.push(f('<module>', 10));
  r.addSnapshot(1, snap(0, thread(1, deep)));
  r.addSnapshot(1, snap(10, thread(1, deep)));
  const p = r.finish(20);
  assert.equal(p.nodes.length, 201);
  const st = functionStats(p);
  const rec = p.frames.findIndex((x) => x.name === 'rec');
  assert.deepEqual(st[rec], { self: 2, total: 2 });
});

test('hooks see every thread sample and can extend the profile', () => {
  const seen: number[] = [];
  const r = new Recorder({}, { rateHz: 100 }, [
    {
      onThreadSample: (ctx) => {
        seen.push(ctx.stack.tid);
        ctx.sample.allocBytes = (ctx.sample.allocBytes ?? 0) + 10;
      },
      onFinish: (p) => {
        p.memory = [{ t: 0, rssBytes: 1 }];
      },
    },
  ]);
  r.addSnapshot(1, snap(0, thread(1, [f('a', 1)]), thread(2, [f('a', 1)])));
  r.addSnapshot(1, snap(10, thread(1, [f('a', 1)])));
  const p = r.finish(20);
  assert.deepEqual(seen, [1, 2, 1]);
  assert.equal(p.samples[0].allocBytes, 20);
  assert.deepEqual(p.memory, [{ t: 0, rssBytes: 1 }]);
});

test('selectThreads: default drops idle threads, --idle keeps them, --gil keeps only the holder', () => {
  const busy = thread(1, [f('busy', 1)], { active: true, holdsGil: true });
  const waiting = thread(2, [f('wait', 1)], { active: false, holdsGil: false });
  const runnable = thread(3, [f('run', 1)], { active: true, holdsGil: false });
  const all = [busy, waiting, runnable];
  assert.deepEqual(selectThreads(all, { gil: false, idle: false }).map((t) => t.tid), [1, 3]);
  assert.deepEqual(selectThreads(all, { gil: false, idle: true }).map((t) => t.tid), [1, 2, 3]);
  assert.deepEqual(selectThreads(all, { gil: true, idle: false }).map((t) => t.tid), [1]);
  assert.deepEqual(selectThreads(all, { gil: true, idle: true }).map((t) => t.tid), [1]);
});

test('dropped samples are noted as a share of all attempts, with what they do to the profile', () => {
  const r = new Recorder({}, { rateHz: 100 });
  assert.equal(r.droppedNote(), undefined, 'nothing dropped: no note');
  for (let i = 0; i < 3; i++) r.addSnapshot(1, { time: i, threads: [] });
  r.addError();
  const note = r.droppedNote()!;
  assert.match(note, /^1 of 4 samples \(25\.0 %\) were dropped \(torn or failed reads\)/);
  assert.match(note, /under-weighted/);
  assert.match(note, /--blocking/);
});
