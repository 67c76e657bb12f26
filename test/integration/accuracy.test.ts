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
    // processes: acc_a (never sleeps) comes out below its CPU share: -1.5..-4.5 pp on a quiet CI
    // machine (acc_a > 80 % of a core), -2.4 pp median on 3.12 here (3 runs, shared machine). Measured
    // cause: a sample counts a process that is runnable (state R) whether it is on a core or waiting
    // for one, and the half-duty process waits for a core longer, relative to its CPU time, than the
    // one that never sleeps. Each child's share of R samples matches its kernel R time
    // (/proc/PID/schedstat run_time + run_delay) within 1-2 pp, so the reads are not at fault:
    // reading the processes in reverse order gave the same error (-2.1 pp median), at normal
    // priority instead of SCHED_FIFO -4.5 pp (noisier), at 100 Hz -1.6 pp. On 2 cores the program
    // wants 1.5 of them and pyprof about half of one more at 1 kHz (its sampling thread ~35-44 %,
    // V8's GC threads ~20 %): the machine is contended by the profiler itself. Telling "on a core"
    // from "waiting for one" needs the kernel's run queue: a perf task-clock counter read twice per
    // runnable thread was tried (here, shared machine): the sampler's own wake-up had taken the core
    // of the thread it checked in 2,837 of 6,262 checks (97 seen running), so displaced could not be
    // told from waiting and the error did not improve (-6.3/+1.5/+6.0 pp vs +0.6/+2.3/-0.4); not shipped.
    //
    // threads on 2.7: the never-sleeping thread comes out 4-5 pp below its CPU share: 2.7's old GIL
    // is released and re-taken every 100 bytecodes and wakes the waiting thread each time; a thread
    // woken for the GIL is runnable (state R) while it waits, which counts as on CPU. (3.6 had the
    // same symptom only because the fixture's clock released the GIL; see test/fixtures/accuracy.py.)
    // Keeping each runnable sample with the thread's schedstat on-CPU share (run_time / (run_time +
    // run_delay)) was tried: it fixed this but moved 3.10/3.12 threads from within 3 pp to +3..+7 pp,
    // because wake-up delays fall outside the phases they would discount; not shipped. Counting only
    // the GIL holder (what --gil keeps) over-corrects: +1.8/+6.4/+8.6 pp on 2.7 (3.12: -1.2..-0.2),
    // because on 2.7 the thread that loses the GIL race really burns CPU (woken, fails to take it,
    // sleeps again) and time.thread_time counts that: neither "runnable" nor "holds the GIL" is its
    // CPU time there.
    const todo = mode === 'processes' ? 'runnable-but-waiting time counts as on CPU: the half-duty process waits longer for a core, acc_a 2-4 pp low (issue 11)'
      : mode === 'threads' && c.interp?.minor === '2.7' ? "GIL hand-off wake-ups count as on-CPU time: 2.7's old GIL, never-sleeping thread 4-5 pp low (issue 11)"
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
