// Accuracy against ground truth the target measures itself (test/fixtures/accuracy.py: time.thread_time
// around every call of its two phase functions). Every supported interpreter, at 1 kHz; the newest
// also at 100 Hz. `npm run bench -- --only=accuracy` prints the same comparison as a table.
//
// Allowed error: 3 percentage points, or 3 binomial standard deviations when fewer samples than
// that resolves were taken (a loaded machine delivers fewer: the test then checks what the
// samples can show, and prints how many there were). An error beyond that is recorded again, and
// the mean error of the two recordings is held to the same bound (see check).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fixture } from '../helpers';
import { CLI, versionCases } from './cli-support';
import { AccuracyMode, AccuracyResult, measureAccuracy } from '../accuracy';

const SECONDS = 3;

/** The split's allowed error for one recording, in pp (see check). */
function allowedSplitPp(r: AccuracyResult): number {
  return Math.max(3, (r.pausedPct > PAUSED_PCT_CHECKED ? 4 : 3) * r.sigmaPp);
}

/**
 * `again`: a second recording of the same case, made when the first one's split was outside its
 * bound. A bias in the profiler shows in every recording; a 3 sigma draw of the sampling noise
 * does not. About half of the ~60 cases are held to 3 sigma rather than the 3 pp floor, and their
 * noise is a little wider than the binomial, so every few to a dozen CI runs one of them lands
 * outside by chance (flicker on 3.8 at +4.34 pp against 4.2 in a run by hand, on 3.6 at +4.88 in
 * CI). So the bound applies to the mean error of the two recordings: for noise alone that fails
 * only when the second also lands near 3 sigma on the same side (~0.2 %); an error the profiler
 * makes in every run fails as before.
 */
function check(r: AccuracyResult, again?: AccuracyResult): void {
  // Paused reads (see below) add to the spread of the error beyond the binomial: 20 runs of flicker
  // at 1 kHz on 3.6 (7-10 % of the samples read paused) had errors with a standard deviation of
  // 1.68 pp against 1.32 pp binomial (mean +0.39 pp; one CI run +4.88 pp, 3.5 binomial sigma). Where
  // they are many, the bound is 3 of those wider sigmas (4 binomial ones).
  const allowed = allowedSplitPp(r);
  const cpu = (r.cpu.acc_a ?? 0) + (r.cpu.acc_b ?? 0);
  // samples per interval of CPU time: with short bursts, a sample whose state and stack are not one
  // instant loses samples at every burst's edge (src/engine/cpython/walker.ts, checkedThread)
  const perCpu = r.samples / (cpu * r.achievedHz);
  // 10 % or 3.5 binomial sigma: bursty and flicker read 0.96-1.08 on 3.7+ (mean 1.01 over 18 cases)
  // after the fix, 0.85-0.90 before it; at 100 Hz ~0.6 before
  const allowedPerCpu = Math.max(0.1, 3.5 / Math.sqrt(Math.max(1, r.samples)));
  const what = `${r.mode} at ${r.rateHz} Hz (achieved ${r.achievedHz} Hz): acc_a ${(r.truth * 100).toFixed(1)}% of CPU time, ` +
    `${(r.measured * 100).toFixed(1)}% of ${r.samples} samples, error ${r.errorPp.toFixed(2)} pp (allowed ±${allowed.toFixed(1)}); ` +
    `${perCpu.toFixed(3)} samples per interval of CPU time (allowed 1 ± ${allowedPerCpu.toFixed(3)} in the bursty modes)`;
  console.log(`# ${what}`);
  assert.ok(r.samples > 0, `no samples in the phase functions: ${what}`);
  if (again) {
    const why = contended(again);
    const mean = (r.errorPp + again.errorPp) / 2;
    const twice = `${what}; recorded again: error ${again.errorPp.toFixed(2)} pp of ${again.samples} samples${why ? ` (${why})` : ''}, mean of the two ${mean.toFixed(2)} pp`;
    console.log(`# outside the bound, so recorded again: ${twice}`);
    assert.ok(!why && Math.abs(mean) <= allowed, twice);
  } else assert.ok(Math.abs(r.errorPp) <= allowed, what);
  if (r.mode !== 'bursty' && r.mode !== 'flicker') return;
  // A paused read (the torn-read fallback of CPython 3.10 and older: a stack that changes faster
  // than it can be read running) reads the run states before stopping the threads, and a burst that
  // ends or starts during the stop (~100s of µs) is lost as before: on 3.6, flicker at 1 kHz had 12 %
  // of its samples read paused and 0.88 samples per interval of CPU time. Not fixed: a stopped
  // thread has no run state of its own to read again. The count is checked where such reads are few.
  if (r.pausedPct > PAUSED_PCT_CHECKED) {
    console.log(`# samples per interval of CPU time not checked: ${r.pausedPct} % of the samples were read paused (over ${PAUSED_PCT_CHECKED} %)`);
    return;
  }
  if (Math.abs(perCpu - 1) > allowedPerCpu && r.lateReadShare !== undefined) {
    // The machine ran the sampler late while the program ran (two virtual CPUs the hypervisor
    // ran on one physical CPU: a tick due inside a burst woke when the burst ended; 1 bursty or
    // flicker run in 40-300 here, twice in CI run 22). Nothing in the sampler's process can undo
    // that; the profile must say so, with the share it missed: the note's figure must match.
    console.log(`# samples came late and record said so: ${(r.lateReadShare * 100).toFixed(0)} % of the on-core samples due were found, against ${perCpu.toFixed(3)} per interval of CPU time`);
    assert.ok(Math.abs(perCpu - r.lateReadShare) <= allowedPerCpu, `${what}; record said it found ${(r.lateReadShare * 100).toFixed(0)} % of the samples due on a core`);
    return;
  }
  assert.ok(Math.abs(perCpu - 1) <= allowedPerCpu, what);
}

/** Above this % of samples read paused, the count of samples per CPU time is not checked (see check). */
const PAUSED_PCT_CHECKED = 2;

/**
 * A sample counts a thread only while it is on a core (types.ts, thread states; proc/onCore.ts), so
 * under contention (more runnable threads than cores) samples still stand for CPU time: measured at
 * load 15-17 with the program given 15-50 % of its idle-machine share, the samples in acc_a and acc_b
 * matched their CPU time x the achieved rate within 0.87-1.15x (up to 1.6x when the rate fell below
 * half), against 1.4-11x when every runnable thread counted. The split between acc_a and acc_b was
 * then within 3 pp in most runs but off by 4-7 pp in a few (cause not measured: fewer samples, and
 * the sampler itself then waits for a core), so the comparison is checked only when the program got
 * at least 80 % of the core share it gets on an idle machine (the reason is printed otherwise):
 *   steady    acc_a + acc_b never sleep: 100 % of a core
 *   bursty    1.5 ms of CPU every ~3.5 ms: 43 % of a core
 *   flicker   0.45 ms of CPU every ~1 ms: 46 % of a core
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
    : r.mode === 'flicker' ? [(a + b) / r.wall, 0.46, 'the bursts']
    : r.mode === 'threads' ? [(a + b) / r.wall, 1, 'the two threads, which share the GIL,']
    : [a / r.wall, 1, 'acc_a, which never sleeps,'];
  return busy < 0.8 * idle ? `machine contended: ${what} got ${(busy * 100).toFixed(0)}% of a core (${idle * 100}% on an idle machine)` : undefined;
}

const cases = versionCases();
const newest = cases.filter((c) => !c.skip).at(-1);
for (const c of cases) {
  const runs: Array<[AccuracyMode, number]> = [['steady', 1000], ['bursty', 1000], ['flicker', 1000], ['threads', 1000], ['processes', 1000]];
  if (c === newest) runs.push(['steady', 100], ['bursty', 100], ['flicker', 100]);
  for (const [mode, rate] of runs) {
    // threads on 2.7 was 4-5 pp low while a runnable thread waiting for a core counted as on CPU
    // (2.7's old GIL wakes the waiting thread at every hand-off): fixed by counting threads on a
    // core only (proc/onCore.ts); quiet machine: +1.33 pp.
    // processes was 0-3.4 pp low on a quiet machine (acc_a's sample share stuck near 66.8 % while
    // its CPU share moved 65-70 %): the sampler took the half-duty process's core, and that process,
    // counted as on a core in every sample it was displaced in, collected ~1.1 samples per interval
    // of its CPU time. Fixed by paying back the sampler's own time on a displaced thread's core
    // (proc/onCore.ts). It then leaned +0.7-1.2 pp (3.7, 3.12; 4 runs each): a scheduler tick that
    // moved the sampler's exec_start hid a displaced thread (proc/samplingThread.ts fixed that:
    // +0.2-0.9 pp); what remains comes from the sampler's own run on the half-duty process's core
    // (that process waits for it, and its bursts then start just after a sample).
    // bursty at 100 Hz was +2.3 pp on average (one CI run +10.2 pp, 3.2 sigma) and 11-17 % short of
    // its CPU time in samples, flicker (0.3 / 0.15 ms bursts) +8.5 pp and 32-55 % short: a sample's
    // run state and stack were up to 200 µs apart. Fixed by reading the state again after the
    // memory, and the thread again when it changed (src/engine/cpython/walker.ts, checkedThread).
    test(`accuracy: ${mode} at ${rate} Hz within 3 pp of the program's own CPU time [${c.label}]`, { skip: c.skip }, async (t) => {
      const record = () => measureAccuracy(CLI, c.interp!.path, fixture('accuracy.py'), mode, rate, rate === 100 ? 6 : SECONDS);
      const r = await record();
      const why = contended(r);
      if (why) {
        console.log(`# not checked (${why}): measured error ${r.errorPp.toFixed(2)} pp`);
        t.skip(why);
        return;
      }
      check(r, Math.abs(r.errorPp) > allowedSplitPp(r) ? await record() : undefined);
    });
  }
}
