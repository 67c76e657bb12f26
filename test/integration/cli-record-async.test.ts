// `pyprof record --async` on every installed CPython: samples of the event loop thread running a
// task are rooted at `Task <name>` (its coroutines above it) instead of the loop's frames, the
// idle loop is one pseudo-frame, and the share of samples given to the busy task matches the share
// of time the task measured itself burning (perf_counter, in the target).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, killQuietly, startFixture, tmpDir } from '../helpers';
import { parseCollapsed, runCli, total, versionCases } from './cli-support';

/** Versions whose value offsets tools/offsets/generateObjects.mjs generates. */
const VALUE_MINORS = ['3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14'];
const FIXTURE = 'async_tasks.py';
const IDLE = '<asyncio: loop idle, waiting for I/O or timers> (<asyncio>)';

for (const c of versionCases()) {
  const skip = c.skip ?? (c.interp && !VALUE_MINORS.includes(c.interp.minor) ? `asyncio tasks are read on CPython 3.8-3.14 only (value offsets are generated for those)` : undefined);
  test(`record --async attributes loop samples to the running task, idle loop time to its own frame [${c.label}]`, { skip }, async (t) => {
    const dir = tmpDir();
    const truthFile = path.join(dir, 'tasks.json');
    const target = await startFixture(c.interp!.path, fixture(FIXTURE), [truthFile, 'busy']);
    try {
      const out = path.join(dir, 'async.txt');
      const before = JSON.parse(fs.readFileSync(truthFile + '.busy', 'utf8')) as { burned: number; wall: number };
      const r = await runCli(['record', '--pid', String(target.pid), '--async', '--idle', '--threads', '-d', '3', '-f', 'collapsed', '-o', out, '-q']);
      await new Promise((res) => setTimeout(res, 300)); // the next report covers the whole recording
      const after = JSON.parse(fs.readFileSync(truthFile + '.busy', 'utf8')) as { burned: number; wall: number };
      assert.equal(r.code, 0, r.stderr);
      const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
      const main = stacks.filter((s) => /^thread \(MainThread \d+\)$/.test(s.frames[0]));
      const loop2 = stacks.filter((s) => /^thread \(loop2 \d+\)$/.test(s.frames[0]));
      const busy = main.filter((s) => s.frames[1] === 'Task busy (<asyncio>)');
      assert.ok(total(busy) > 20, `samples rooted at Task busy: ${JSON.stringify(main.slice(0, 5))}`);
      for (const s of busy) {
        assert.ok(s.frames[2].startsWith('busy_task ('), `the task's coroutine is its first frame: ${s.frames.join(';')}`);
        assert.ok(!s.frames.some((f) => f.includes('_run_once')), 'no event-loop frames under a task');
      }
      // the loop's own frames under burn (a sample that missed the task) stay rare
      const missed = main.filter((s) => s.frames.some((f) => f.includes('_run_once')) && s.frames.at(-1)!.startsWith('burn ('));
      assert.ok(total(missed) <= Math.max(2, 0.05 * total(busy)), `burn samples left under the loop: ${total(missed)} of ${total(busy)}`);
      // idle loops are one pseudo-frame: the main loop between bursts, the second loop nearly always
      assert.ok(main.some((s) => s.frames.includes(IDLE)), 'main loop idle frame');
      const loop2Idle = total(loop2.filter((s) => s.frames.includes(IDLE)));
      assert.ok(loop2Idle >= 0.9 * total(loop2) && total(loop2) > 20, `loop2: ${loop2Idle} idle of ${total(loop2)}`);
      // the share of the main thread's samples given to the task ≈ the share of time it burned
      const measured = (after.burned - before.burned) / (after.wall - before.wall);
      const sampled = total(busy) / total(main);
      t.diagnostic(`Task busy: ${(100 * sampled).toFixed(1)}% of the loop thread's samples; the task measured ${(100 * measured).toFixed(1)}% of its wall time burning`);
      assert.ok(Math.abs(sampled - measured) < 0.15, `Task busy ${(100 * sampled).toFixed(1)}% of samples, the task measured ${(100 * measured).toFixed(1)}% of its time burning`);
    } finally {
      killQuietly(target);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
