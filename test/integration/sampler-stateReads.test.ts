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
        const before = proc.stateReads;
        const r = await new Sampler(proc, opts(o), {}).run();
        return { reads: proc.stateReads - before, samples: r.stats.samples };
      };
      const idle = await reads({ idle: true });
      assert.ok(idle.samples > 20, JSON.stringify(idle));
      assert.equal(idle.reads, 0, `--idle read ${idle.reads} thread states in ${idle.samples} samples`);
      const gil = await reads({ gil: true });
      assert.ok(gil.reads <= gil.samples, `--gil read ${gil.reads} thread states in ${gil.samples} samples`);
      // the default filter needs every thread's state: two threads, two reads a sample
      const plain = await reads({});
      assert.ok(plain.reads >= 2 * plain.samples, JSON.stringify(plain));
    } finally {
      proc.close();
      killQuietly(target);
    }
  });
}
