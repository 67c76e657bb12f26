// Blocking mode never leaves a target stopped: not after a snapshot, not after close(), and not
// when the profiler is interrupted or terminated while it holds the target paused.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { attach } from '../../src/engine';
import { fixture, killQuietly, repoRoot, startFixture } from '../helpers';
import { versionCases } from './cli-support';

/** Kernel state letter of every thread of a process ('t' = ptrace-stopped). */
function threadStates(pid: number): string[] {
  return fs.readdirSync(`/proc/${pid}/task`).map((t) => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8').split(') ')[1][0];
    } catch {
      return '?';
    }
  });
}

const waitFor = async (cond: () => boolean, ms = 20000) => { // generous: a loaded machine starts node slowly
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

/**
 * A profiler process (node) that pauses the target and then waits. `keepAlive` installs its own
 * SIGINT listener (like the CLI's), so the process survives SIGINT: the target must still be
 * resumed by then, which only the engine's signal hook does (the kernel resumes tracees only
 * when the tracer exits).
 */
function startPausingProfiler(pid: number, keepAlive: boolean) {
  const script = `
    const { attach } = require(${JSON.stringify(path.join(repoRoot, 'out/src/engine'))});
    const proc = attach(${pid});
    ${keepAlive ? "process.on('SIGINT', () => setImmediate(() => console.log('SIGINT handled, paused=' + proc.paused)));" : ''}
    proc.pause();
    console.log('PAUSED');
    setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
}

for (const c of versionCases()) {
  test(`a blocking snapshot stops every thread and resumes them [${c.label}]`, { skip: c.skip }, async () => {
    const target = await startFixture(c.interp!.path, fixture('torn_recursion.py'));
    try {
      const proc = attach(target.pid!);
      for (let i = 0; i < 50; i++) {
        const snap = proc.snapshot({ blocking: true });
        assert.equal(snap.threads.length, 2);
        // the exact stack of a paused churning thread always ends at its entry point
        for (const t of snap.threads) assert.ok(t.frames.length > 0);
      }
      assert.equal(proc.paused, false);
      assert.ok(threadStates(target.pid!).every((s) => s !== 't'), 'running after blocking snapshots');
      proc.close();
    } finally {
      killQuietly(target);
    }
  });

  for (const [signal, keepAlive] of [['SIGINT', true], ['SIGTERM', false]] as const) {
    test(`${signal} to a profiler holding the target paused resumes the target${keepAlive ? ' (profiler keeps running)' : ''} [${c.label}]`, { skip: c.skip }, async () => {
      const target = await startFixture(c.interp!.path, fixture('torn_recursion.py'));
      const profiler = startPausingProfiler(target.pid!, keepAlive);
      try {
        let out = '';
        profiler.stdout.on('data', (d) => (out += d));
        assert.ok(await waitFor(() => out.includes('PAUSED')), `profiler did not pause: ${out}`);
        assert.ok(threadStates(target.pid!).every((s) => s === 't'), `all threads stopped: ${threadStates(target.pid!).join('')}`);
        profiler.kill(signal);
        assert.ok(await waitFor(() => threadStates(target.pid!).every((s) => s !== 't')), `target resumed: ${threadStates(target.pid!).join('')}`);
        if (keepAlive) {
          assert.ok(await waitFor(() => out.includes('SIGINT handled, paused=false')), out);
          assert.equal(profiler.exitCode, null, 'the profiler chose to keep running');
        } else {
          assert.ok(await waitFor(() => profiler.exitCode !== null || profiler.signalCode !== null), 'profiler ended by SIGTERM');
          assert.equal(profiler.signalCode, 'SIGTERM', 'the default action still happens');
        }
      } finally {
        killQuietly(profiler);
        killQuietly(target);
      }
    });
  }
}
