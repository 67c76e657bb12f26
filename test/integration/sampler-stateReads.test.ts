// A thread's run state costs a /proc read (one pread, ~2 µs): the sampler asks for it only where
// the output depends on it, the default filter (drop idle threads). With --idle no state is read at
// all (with 200 threads at 1 kHz those reads alone were more than a core), with --gil only the
// GIL holder's.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { attach } from '../../src/engine';
import { Sampler } from '../../src/engine/sampler';
import { SampleOptions } from '../../src/engine/types';
import { fixture, interpreterFor, killQuietly, startFixture } from '../helpers';

const opts = (o: Partial<SampleOptions>): SampleOptions => ({ rate: 200, duration: 0.5, gil: false, idle: false, subprocesses: false, blocking: false, ...o });

for (const minor of ['3.8', '3.12']) {
  const py = interpreterFor(minor);
  test(`thread states are read by the default filter only, none with --idle, the holder's with --gil (${py?.label ?? minor})`, { skip: py ? false : `Python ${minor} is not installed here` }, async () => {
    const target = await startFixture(py!.path, fixture('idle_gil.py'), ['60']);
    const proc = attach(target.pid!);
    try {
      const reads = async (o: Partial<SampleOptions>) => {
        const before = proc.stateReads, unchangedBefore = proc.statesUnchanged;
        const r = await new Sampler(proc, opts(o), {}).run();
        return { reads: proc.stateReads - before, unchanged: proc.statesUnchanged - unchangedBefore, samples: r.stats.samples };
      };
      const idle = await reads({ idle: true });
      assert.ok(idle.samples > 20, JSON.stringify(idle));
      assert.equal(idle.reads + idle.unchanged, 0, `--idle asked ${idle.reads + idle.unchanged} thread states in ${idle.samples} samples`);
      const gil = await reads({ gil: true });
      assert.ok(gil.reads + gil.unchanged <= gil.samples, `--gil asked ${gil.reads + gil.unchanged} thread states in ${gil.samples} samples`);
      // the default filter needs every thread's state: two threads, two a sample, each read or known
      // unchanged from the thread's switch records (then not read: native/threadStates.ts)
      const plain = await reads({});
      console.log(`# default filter: ${plain.samples} samples, ${plain.reads} states read, ${plain.unchanged} known unchanged without a read`);
      assert.ok(plain.reads + plain.unchanged >= 2 * plain.samples, JSON.stringify(plain));
    } finally {
      proc.close();
      killQuietly(target);
    }
  });
}
