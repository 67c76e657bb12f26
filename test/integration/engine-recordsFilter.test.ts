// The default filter (on CPU only) decides from each thread's switch ring alone where the kernel
// allows them (cpython/walker.ts, onCpuByRecords): only a thread that may be on a core has its
// stack read, and its ring says whether it was on a core at the instant of the read. Here 6 threads
// nap deep in their stacks (20 ms asleep, 0.2 ms awake) and one spins: the spinner must be found as
// before, and the nappers' stacks not read while they sleep, where the /proc way
// (PYPROF_SWITCH_RECORDS=0) reads every thread's stack in processes of up to 8 threads (its
// before/after state windows).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import { attach } from '../../src/engine';
import { blockFor } from '../../src/engine/sampler';
import { interpreterFor, killQuietly } from '../helpers';

const FIXTURE = `
import threading, sys, time
def nap_deep(n):
    if n:
        return nap_deep(n - 1)
    while True:
        time.sleep(0.02)
        t = time.perf_counter() + 0.0002
        while time.perf_counter() < t:
            pass
def spin():
    x = 0
    while True:
        x += 1
for _ in range(6):
    threading.Thread(target=nap_deep, args=(40,), daemon=True).start()
threading.Thread(target=spin, daemon=True).start()
sys.stdout.write("READY\\n"); sys.stdout.flush()
threading.Event().wait()
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run { samples: number; spinnerFound: number; nappersCounted: number; bytesPerSample: number; recordAnswers: number }

function sampleDefaultFilter(pid: number, switchRecords: boolean): Run {
  const before = process.env.PYPROF_SWITCH_RECORDS;
  if (switchRecords) delete process.env.PYPROF_SWITCH_RECORDS;
  else process.env.PYPROF_SWITCH_RECORDS = '0';
  try {
    const proc = attach(pid);
    try {
      const opts = { framesOf: 'active' as const, lazyThreadStates: true };
      for (let i = 0; i < 20; i++) proc.snapshot(opts); // rings open, guesses settle
      const bytes0 = proc.readBytes, answers0 = proc.statesFromSwitchRecords;
      const run: Run = { samples: 300, spinnerFound: 0, nappersCounted: 0, bytesPerSample: 0, recordAnswers: 0 };
      for (let i = 0; i < run.samples; i++) {
        blockFor(1);
        const snap = proc.snapshot(opts);
        for (const th of snap.threads) {
          const names = th.frames.map((f) => f.name);
          if (names[0] === 'spin' && th.active) run.spinnerFound++;
          if (names.includes('nap_deep') && th.active) run.nappersCounted++;
        }
      }
      run.bytesPerSample = (proc.readBytes - bytes0) / run.samples;
      run.recordAnswers = proc.statesFromSwitchRecords - answers0;
      return run;
    } finally {
      proc.close();
    }
  } finally {
    if (before === undefined) delete process.env.PYPROF_SWITCH_RECORDS;
    else process.env.PYPROF_SWITCH_RECORDS = before;
  }
}

for (const minor of ['3.8', '3.12']) {
  const py = interpreterFor(minor);
  test(`the default filter reads no sleeping thread's stack where switch records say it is off its core (${py?.label ?? minor})`, { skip: py ? false : `Python ${minor} is not installed here` }, async () => {
    const child = spawn(py!.path, ['-c', FIXTURE], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    try {
      for (let i = 0; i < 500 && !out.includes('READY'); i++) await sleep(10);
      assert.ok(out.includes('READY'), 'fixture started');
      const records = sampleDefaultFilter(child.pid!, true);
      const proc = sampleDefaultFilter(child.pid!, false);
      console.log(`# switch records: spinner in ${records.spinnerFound} of ${records.samples} samples, nappers on CPU ${records.nappersCounted} times, ${records.bytesPerSample.toFixed(0)} bytes read a sample, ${records.recordAnswers} states from records; /proc: spinner in ${proc.spinnerFound}, nappers ${proc.nappersCounted}, ${proc.bytesPerSample.toFixed(0)} bytes a sample`);
      if (records.recordAnswers === 0) {
        console.log('# perf_event_open is refused here: the /proc way decides, nothing to compare');
        return;
      }
      // the nappers run 1 % of the time each: 6 threads, 300 samples, ~18 expected either way
      assert.ok(records.nappersCounted < 60, `sleeping threads are not counted on CPU (${records.nappersCounted})`);
      // the spinner shares 2 cores with the reader: on one in most samples either way
      assert.ok(records.spinnerFound >= 0.8 * proc.spinnerFound, `the spinner is found as often (${records.spinnerFound} vs ${proc.spinnerFound})`);
      assert.ok(records.spinnerFound >= records.samples / 2, `the spinner is found in most samples (${records.spinnerFound})`);
      // 6 stacks 40 frames deep are not read while asleep: a fraction of the bytes
      assert.ok(records.bytesPerSample < proc.bytesPerSample / 3, `sleeping threads' stacks are not read (${records.bytesPerSample.toFixed(0)} vs ${proc.bytesPerSample.toFixed(0)} bytes a sample)`);
    } finally {
      killQuietly(child);
    }
  });
}
