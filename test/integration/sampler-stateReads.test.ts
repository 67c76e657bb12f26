// A thread's run state costs a /proc read (one pread, ~2 µs) unless its switch ring answers
// (native/switchRing.ts): the sampler asks for it only where the output depends on it, the default
// filter (drop idle threads). With --idle no state is asked at all (with 200 threads at 1 kHz those
// reads alone were more than a core), with --gil only the GIL holder's.
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
        const before = proc.stateReads, unchangedBefore = proc.statesUnchanged, recordsBefore = proc.statesFromSwitchRecords;
        const r = await new Sampler(proc, opts(o), {}).run();
        const records = proc.statesFromSwitchRecords - recordsBefore;
        return { reads: proc.stateReads - before, unchanged: proc.statesUnchanged - unchangedBefore, records, asked: proc.stateReads - before + proc.statesUnchanged - unchangedBefore + records, samples: r.stats.samples };
      };
      const idle = await reads({ idle: true });
      assert.ok(idle.samples > 20, JSON.stringify(idle));
      assert.equal(idle.asked, 0, `--idle asked ${idle.asked} thread states in ${idle.samples} samples`);
      const gil = await reads({ gil: true });
      assert.ok(gil.asked <= gil.samples, `--gil asked ${gil.asked} thread states in ${gil.samples} samples`);
      // the default filter needs every thread's state: two threads, two a sample, each read, or
      // known unchanged or answered from the thread's switch records (then not read)
      const plain = await reads({});
      console.log(`# default filter: ${plain.samples} samples, ${plain.reads} states read, ${plain.unchanged} known unchanged, ${plain.records} answered from switch records`);
      assert.ok(plain.asked >= 2 * plain.samples, JSON.stringify(plain));
    } finally {
      proc.close();
      killQuietly(target);
    }
  });
}
