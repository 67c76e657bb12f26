import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/profile/model';
import { buildFlameFeed } from '../../src/ui/flame/flameFeed';

function profile(withTimeline: boolean) {
  const b = new ProfileBuilder({ source: 'test', mode: 'sampling', unit: 'samples', rateHz: 100 });
  const t = b.internThread(1, 'MainThread');
  const main = { name: 'main', file: '/a.py', firstLine: 1, line: 5 };
  const hot = { name: 'hot', file: '/a.py', firstLine: 10, line: 11 };
  const tiny = { name: 'tiny', file: '/b.py', firstLine: 3, line: 4 };
  const tinier = { name: 'tinier', file: '/b.py', firstLine: 8, line: 9 };
  b.addSample(t, b.internStack([main, hot]), 9990, withTimeline ? 0 : undefined);
  b.addSample(t, b.internStack([main, tiny, tinier]), 6, withTimeline ? 1 : undefined);
  b.addSample(t, b.internStack([main, tiny]), 4, withTimeline ? 2 : undefined);
  return b.finish();
}

const stacks = (json: string) => {
  const j = JSON.parse(json);
  const names = (s: number[]) => s.map((f) => j.shared.frames[f].name).join(';');
  return j.profiles[0].samples.map((s: number[], i: number) => `${names(s)} ${j.profiles[0].weights[i] / 10}`); // 10 ms per sample at 100 Hz
};

test('flame feed folds subtrees below the threshold into their first small frame, keeping widths', () => {
  const p = profile(false);
  // tiny's subtree is 10/10000 = 0.1%: folded at 1%, kept at 0.01%
  const folded = buildFlameFeed(p, 'x', { minFraction: 0.01, maxNodes: 1000, maxTimelineRuns: 0 });
  assert.deepEqual(stacks(folded.json).sort(), ['main;hot 9990', 'main;tiny 10']);
  assert.ok(folded.keptNodes < folded.totalNodes);
  const full = buildFlameFeed(p, 'x', { minFraction: 0.0001, maxNodes: 1000, maxTimelineRuns: 0 });
  assert.deepEqual(stacks(full.json).sort(), ['main;hot 9990', 'main;tiny 4', 'main;tiny;tinier 6']);
  assert.equal(full.keptNodes, full.totalNodes);
  const j = JSON.parse(full.json);
  assert.deepEqual(j.shared.frames.find((f: { name: string }) => f.name === 'hot'), { name: 'hot', file: '/a.py', line: 10 });
});

test('flame feed uses the timeline in order when it is small, merging runs the fold made equal', () => {
  const p = profile(true);
  assert.deepEqual(stacks(buildFlameFeed(p, 'x', { minFraction: 0.01, maxNodes: 1000, maxTimelineRuns: 100 }).json), ['main;hot 9990', 'main;tiny 10']);
  assert.deepEqual(stacks(buildFlameFeed(p, 'x', { minFraction: 0, maxNodes: 1000, maxTimelineRuns: 100 }).json), ['main;hot 9990', 'main;tiny;tinier 6', 'main;tiny 4']);
});

test('a node budget raises the threshold until the feed fits', () => {
  const p = profile(false);
  // 4 nodes: main, hot, tiny, tinier. A budget of 3 must fold tiny's child.
  const f = buildFlameFeed(p, 'x', { minFraction: 0, maxNodes: 3, maxTimelineRuns: 0 });
  assert.ok(f.keptNodes <= 3, `kept ${f.keptNodes}`);
  assert.deepEqual(stacks(f.json).sort(), ['main;hot 9990', 'main;tiny 10']);
});

test('sampled profiles show time in speedscope (ms per sample from the rate)', () => {
  const j = JSON.parse(buildFlameFeed(profile(false), 'x', { minFraction: 0, maxNodes: 1000, maxTimelineRuns: 0 }).json);
  assert.equal(j.profiles[0].unit, 'milliseconds');
  assert.equal(j.profiles[0].endValue, 100000); // 10,000 samples at 100 Hz
});

test('frames by line: one box per function and executing line (py-spy line-level), each opening its line; by function they merge', () => {
  const b = new ProfileBuilder({ source: 'test', mode: 'sampling', unit: 'samples', rateHz: 100 });
  const t = b.internThread(1, 'MainThread');
  const main = { name: 'main', file: '/a.py', firstLine: 1, line: 5 };
  b.addSample(t, b.internStack([main, { name: 'hot', file: '/a.py', firstLine: 10, line: 12 }]), 30);
  b.addSample(t, b.internStack([main, { name: 'hot', file: '/a.py', firstLine: 10, line: 14 }]), 10);
  b.addSample(t, b.internStack([{ ...main, line: 6 }, { name: 'hot', file: '/a.py', firstLine: 10, line: 12 }]), 5);
  const p = b.finish();
  const opts = { minFraction: 0, maxNodes: 1000, maxTimelineRuns: 0 };
  const byFunction = (s: string[]) => s.sort();
  assert.deepEqual(byFunction(stacks(buildFlameFeed(p, 'x', opts).json)), ['main;hot 30', 'main;hot 10', 'main;hot 5'].sort(), 'by function: the same names (speedscope merges equal stacks)');
  const fn = JSON.parse(buildFlameFeed(p, 'x', opts).json);
  assert.equal(new Set(fn.profiles[0].samples.map((s: number[]) => s.join(','))).size, 1, 'by function: every sample has the same frames');
  const line = buildFlameFeed(p, 'x', { ...opts, frames: 'line' });
  assert.deepEqual(stacks(line.json).sort(), ['main:5;hot:12 30', 'main:5;hot:14 10', 'main:6;hot:12 5'].sort());
  const j = JSON.parse(line.json);
  const hot14 = j.shared.frames.find((f: { name: string }) => f.name === 'hot:14');
  assert.deepEqual(hot14, { name: 'hot:14', file: '/a.py', line: 14 }, 'a click opens the executing line');
  // one speedscope frame per (function, line): hot:12 under main:5 and under main:6 is one frame
  const hot12 = j.shared.frames.flatMap((f: { name: string }, i: number) => (f.name === 'hot:12' ? [i] : []));
  assert.equal(hot12.length, 1);
});
