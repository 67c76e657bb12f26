// CompactTimeline: the recorder's packed runs give back exactly the runs the object timeline had.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { CompactTimeline } from '../../src/engine/timeline';
import type { TimelineRun } from '../../src/profile/model';

/** The reference: one object per run, extended while a thread's stack stays the same. */
function objectTimeline(events: Array<[number, number, number, number]>, cap: number): { runs: TimelineRun[]; truncated: boolean } {
  const runs: TimelineRun[] = [];
  const last = new Map<number, TimelineRun>();
  let truncated = false;
  for (const [thread, node, t, count] of events) {
    const l = last.get(thread);
    if (l && l.node === node) { l.count += count; continue; }
    if (runs.length >= cap) { truncated = true; continue; }
    const r = { t, thread, node, count };
    runs.push(r);
    last.set(thread, r);
  }
  return { runs, truncated };
}

test('runs match an object timeline across chunks, threads interleaved, times fractional', () => {
  const tl = new CompactTimeline(1_000_000);
  const events: Array<[number, number, number, number]> = [];
  let x = 7;
  for (let i = 0; i < 60_000; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    events.push([(x >> 16) % 3, (x >> 20) % 4, i * 0.25, 1]);
  }
  for (const e of events) tl.add(...e);
  const ref = objectTimeline(events, 1_000_000);
  assert.ok(ref.runs.length > 16_384 * 2, 'spans several chunks');
  assert.deepEqual(tl.runs(), ref.runs);
  assert.equal(tl.length, ref.runs.length);
  assert.equal(tl.truncated, false);
  // varints (thread, node, count, µs since the thread's last run): 5 bytes a run here (a gap of
  // 0.25-1 ms), where fixed-width columns took 16; the stream grows in 64 KiB chunks
  assert.ok(tl.streamBytes <= 5 * tl.length, `${tl.streamBytes} bytes for ${tl.length} runs`);
  assert.ok(tl.bytes <= tl.streamBytes + 64 * 1024 + 4096, `${tl.bytes} bytes held`);
});

test('the cap drops later runs but keeps extending open ones, and says it truncated', () => {
  const tl = new CompactTimeline(2);
  const events: Array<[number, number, number, number]> = [[0, 1, 0, 1], [1, 5, 0, 1], [0, 2, 10, 1], [1, 5, 10, 1], [1, 5, 20, 1]];
  for (const e of events) tl.add(...e);
  const ref = objectTimeline(events, 2);
  assert.deepEqual(tl.runs(), ref.runs);
  assert.deepEqual(tl.runs(), [{ t: 0, thread: 0, node: 1, count: 1 }, { t: 0, thread: 1, node: 5, count: 3 }]);
  assert.equal(tl.truncated, true);
});

test('runs longer than 16 bits, thread indexes above 16 bits, no-Python-frames node -1, hours of µs', () => {
  const tl = new CompactTimeline(100);
  for (let i = 0; i < 70_000; i++) tl.add(0, 3, i);
  tl.add(70_000, 9, 5); // a thread index past 65535
  tl.add(2, 4, 6);
  tl.add(2, -1, 7);
  tl.add(2, 4, 3_600_000.5); // an hour later, to the µs
  const runs = tl.runs();
  assert.deepEqual(runs.map((r) => [r.thread, r.node, r.count, r.t]), [[0, 3, 70_000, 0], [70_000, 9, 1, 5], [2, 4, 1, 6], [2, -1, 1, 7], [2, 4, 1, 3_600_000.5]]);
  tl.add(0, 3, 1, 200_000); // one call with a huge weight
  assert.equal(tl.runs().filter((r) => r.thread === 0).reduce((a, r) => a + r.count, 0), 270_000);
  tl.add(0, 5, 2); // a time before the thread's last run (a clock step): kept as given
  assert.deepEqual(tl.runs().filter((r) => r.thread === 0).map((r) => [r.node, r.t]), [[3, 0], [5, 2]]);
});
