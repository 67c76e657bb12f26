// The sampling thread's real-time priority (src/engine/native/samplingPriority.ts): raised while
// sampling, given back afterwards, never passed on to threads or processes started meanwhile, and
// the note record prints when it could not be raised and ticks came late.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { spawnSync } from 'child_process';
import { raiseSamplingPriority } from '../../src/engine/native/samplingPriority';
import { lateSamplesNote, priorityNote } from '../../src/cli/rateNotes';
import type { SamplerStats } from '../../src/engine/sampler';

/** Scheduling policy of a task from its /proc stat (field 41: 0 normal, 1 SCHED_FIFO). */
function policyOf(statPath: string): number {
  const text = fs.readFileSync(statPath, 'latin1');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[41 - 3]);
}

test('raises the calling thread to SCHED_FIFO where allowed, not its children, and restores it', (t) => {
  const self = `/proc/self/task/${process.pid}/stat`; // the main thread runs this test
  assert.equal(policyOf(self), 0, 'the test starts at normal priority');
  const raised = raiseSamplingPriority();
  try {
    if (raised.priority !== 'realtime') {
      console.log(`# priority ${raised.priority}: ${raised.reason}`);
      assert.match(raised.reason ?? '', /CAP_SYS_NICE|errno/);
      t.skip(`no right to real-time priority here: ${raised.reason}`);
      return;
    }
    assert.equal(policyOf(self), 1, 'the sampling thread runs SCHED_FIFO');
    // SCHED_RESET_ON_FORK: a process started while sampling (a launched command) is normal again
    const child = spawnSync('/bin/cat', ['/proc/self/stat'], { encoding: 'latin1' });
    const text = child.stdout;
    assert.equal(Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[41 - 3]), 0, 'a child does not inherit the real-time policy');
  } finally {
    raised.restore();
    raised.restore(); // twice is harmless
  }
  assert.equal(policyOf(self), 0, 'restored to normal priority');
});

const stats = (over: Partial<SamplerStats>): SamplerStats => ({
  startTime: 0, elapsedMs: 5000, ticks: 5000, samples: 5000, errors: 0, missedTicks: 0, meanLagMs: 0.1, maxLagMs: 1,
  meanTickCostUs: 20, achievedRateHz: 1000, suspendedMs: 0, emptySamples: 0, samplesWithoutGilHolder: 0,
  samplesWithoutActiveThread: 0, unfollowedChildren: 0, priority: 'normal', onCoreDue: 0, onCoreRead: 0, ...over,
});

test('record notes late ticks at normal priority, with the reason and the remedy', () => {
  assert.equal(priorityNote(stats({ priority: 'realtime', meanLagMs: 3 })), undefined, 'real-time: nothing to say');
  assert.equal(priorityNote(stats({ meanLagMs: 0.1 })), undefined, 'on time: nothing to say');
  const note = priorityNote(stats({ meanLagMs: 0.8, priorityReason: 'raising it needs CAP_SYS_NICE' }))!;
  assert.match(note, /normal priority \(raising it needs CAP_SYS_NICE\)/);
  assert.match(note, /0\.80 ms late/);
  assert.match(note, /short bursts of CPU .* under-counted/);
});

test('record notes samples that came late while the program ran, with the share of its CPU missed', () => {
  assert.equal(lateSamplesNote(stats({ onCoreDue: 150, onCoreRead: 50 })), undefined, 'too few to say');
  assert.equal(lateSamplesNote(stats({ onCoreDue: 1300, onCoreRead: 1240 })), undefined, 'within the noise of a few tens of µs of wake-up');
  assert.equal(lateSamplesNote(stats({ onCoreDue: 250, onCoreRead: 225 })), undefined, '10 % short of 250: within 4 standard deviations');
  assert.match(lateSamplesNote(stats({ onCoreDue: 1300, onCoreRead: 1218 }))!, /\(94 % of that\)/, '6 % short of 1,300: said');
  assert.equal(lateSamplesNote(stats({ onCoreDue: 1200, onCoreRead: 1250 })), undefined, 'more found than due: not late');
  const note = lateSamplesNote(stats({ priority: 'realtime', onCoreDue: 1300, onCoreRead: 910 }))!;
  assert.match(note, /on a core 1,300 times/);
  assert.match(note, /on one 910 times \(70 % of that\)/);
  assert.match(note, /about 30 % short/);
});
