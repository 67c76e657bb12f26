// A sample whose read tore (the stack changed under the reader: CPython 3.10 and older, frames
// recycled while read) is read again with only the torn thread stopped (attach.ts,
// threadPausedRead): nothing but the thread itself changes its frames, so its read is then exact,
// while the program's other threads run on. These tests check both halves: every stack such a
// read returns is one the program really had, and the pause stops that one thread alone and
// always lets it go again.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { attach } from '../../src/engine';
import { isPaused, pauseThreads, resumeProcess } from '../../src/engine/native/ptrace';
import { blockFor } from '../../src/engine/sampler';
import { fixture, interpreterFor, killQuietly, startFixture } from '../helpers';
import type { PyFrame } from '../../src/engine/types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** test/fixtures/torn_recursion.py's lines: dive's recursive call, and churn's call of dive */
const DIVE_CALL_LINE = 8;
const CHURN_CALL_LINE = 14;
/** dive(i % 40): at most 40 dive frames */
const MAX_DIVES = 40;

/** Why a churning thread's stack is not one torn_recursion.py can have, or '' when it can. */
function impossible(frames: PyFrame[]): string {
  let dives = 0;
  while (dives < frames.length && frames[dives].name === 'dive') dives++;
  if (dives === 0) return '';
  if (dives > MAX_DIVES) return `${dives} dive frames`;
  for (let i = 1; i < dives; i++) if (frames[i].line !== DIVE_CALL_LINE) return `dive's caller dive at line ${frames[i].line}`;
  const caller = frames[dives];
  if (!caller || caller.name !== 'churn' || caller.line !== CHURN_CALL_LINE) return `dive called from ${caller ? `${caller.name}:${caller.line}` : 'nothing'}`;
  return '';
}

function state(pid: number, tid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0];
}

function cpuNs(pid: number, tid: number): number {
  return Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
}

for (const minor of ['2.7', '3.6', '3.7', '3.8', '3.9', '3.10']) {
  const py = interpreterFor(minor);
  test(`torn samples are read again with only the torn thread stopped, and every stack returned is one the program had (${py?.label ?? minor})`, { skip: py ? false : `Python ${minor} is not installed here` }, async () => {
    const target = await startFixture(py!.path, fixture('torn_recursion.py'));
    try {
      const proc = attach(target.pid!);
      try {
        const opts = { pauseWhenTorn: true, framesOf: 'active' as const, lazyThreadStates: true };
        let stacks = 0, paused = 0, errors = 0;
        const wrong: string[] = [];
        for (let i = 0; i < 1500; i++) {
          // 1 ms apart, as the sampler at 1 kHz: back to back, the reader takes a core from the
          // program (2 busy threads on 2 cores), whose threads then wait for one, off CPU: no stack
          blockFor(1);
          let snap;
          try {
            snap = proc.snapshot(opts);
          } catch {
            errors++;
            continue;
          }
          if (snap.pausedAfterTorn) paused++;
          for (const th of snap.threads) {
            if (th.frames.length === 0) continue;
            stacks++;
            const why = impossible(th.frames);
            if (why) wrong.push(`${why}: ${th.frames.map((f) => `${f.name}:${f.line}`).join(' < ')}`);
          }
        }
        console.log(`# ${stacks} stacks in 1500 samples; ${paused} read paused (${proc.threadPausedReads} with the torn thread stopped, ${proc.processPausedReads} with every thread); ${errors} failed`);
        assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} stacks the program never had`);
        assert.ok(stacks > 750, `stacks were read (${stacks})`);
        assert.ok(proc.threadPausedReads > 0, 'some torn samples were read with the torn thread stopped');
        assert.ok(proc.threadPausedReads >= proc.processPausedReads, `stopping one thread is the rule (${proc.threadPausedReads} vs ${proc.processPausedReads} whole-process pauses)`);
        assert.ok(errors <= 15, `at most 1 % of samples failed (${errors})`);
      } finally {
        proc.close();
      }
      for (const tid of fs.readdirSync(`/proc/${target.pid}/task`)) assert.notEqual(state(target.pid!, Number(tid)), 't', `thread ${tid} runs after the samples`);
    } finally {
      killQuietly(target);
    }
  });
}

const anyPy = interpreterFor('3.12') ?? interpreterFor('3.8');
test('pauseThreads stops the one thread asked for, leaves the others running, and resumes it', { skip: anyPy ? false : 'no CPython 3.8 or 3.12 here' }, async () => {
  const target = await startFixture(anyPy!.path, fixture('torn_recursion.py'));
  const pid = target.pid!;
  try {
    const worker = fs.readdirSync(`/proc/${pid}/task`).map(Number).find((t) => t !== pid)!;
    assert.ok(worker > 0, 'the fixture runs a second thread');
    assert.equal(pauseThreads(pid, [worker]), 1);
    try {
      assert.ok(isPaused(pid));
      assert.equal(state(pid, worker), 't', 'the thread asked for is stopped');
      assert.notEqual(state(pid, pid), 't', 'the main thread is not');
      const before = cpuNs(pid, worker);
      await sleep(50);
      assert.equal(cpuNs(pid, worker), before, 'a stopped thread gets no CPU');
    } finally {
      resumeProcess(pid);
    }
    assert.ok(!isPaused(pid));
    const before = cpuNs(pid, worker);
    await sleep(50);
    assert.notEqual(state(pid, worker), 't', 'resumed');
    assert.ok(cpuNs(pid, worker) > before, 'and running again');
    assert.equal(pauseThreads(pid, [2 ** 22 + 12345]), 0, 'a thread that does not exist is not stopped');
    assert.ok(!isPaused(pid), 'and nothing is left registered as paused');
  } finally {
    killQuietly(target);
  }
});
