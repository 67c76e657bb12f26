// Each thread's run state, read every sample through a kept-open /proc stat file
// (src/engine/native/threadStates.ts), and the walks that use it (framesOf: only the stacks the
// caller keeps). On real CPython threads whose state is known: one spinning (R), one sleeping
// (S), one that ends, and a new thread given the ended one's TID (in a PID namespace of its own,
// the only place a TID can be chosen).
//
// "The spinner is running" holds only once it is alone in wanting the GIL: right after READY the
// fixture's main thread still takes the GIL back after writing that line (and, on a quiet machine
// whose idle vCPU takes a while to wake, the spinner may not even have taken it yet), so the
// spinner sleeps (state S, waiting for the GIL) 1-3 times in the next 50 ms and then never again.
// Each test waits for that (spinnerAlone) and checks each "not running" answer against the
// spinner's own count of sleeps: a reading is wrong only if the spinner did not sleep meanwhile.
// In a snapshot (PythonProcess.snapshot) on CPU also means on a core (types.ts, thread states;
// proc/onCore.ts): a spinner waiting for a core (the other programs on a shared machine) is rightly
// "not running" there, so the framesOf test holds the snapshot to "running" only when the kernel's
// own counters show the spinner on a core before and after it, with no switch in between.
// Every test has a time limit, so a stuck child fails with a message instead of blocking the run.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { attach, PythonProcess } from '../../src/engine';
import { ThreadStateReader } from '../../src/engine/native/threadStates';
import { processState } from '../../src/engine/proc/procfs';
import { Sampler } from '../../src/engine/sampler';
import { SampleOptions, ThreadStack } from '../../src/engine/types';
import { fixture, interpreterFor, killQuietly } from '../helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Per test: a loaded machine (load 20 on 2 cores) starts the fixture in up to ~10 s. */
const TEST_TIMEOUT_MS = 120_000;
const READY_MS = 60_000;

/** How often the thread has slept (blocked) so far: /proc/PID/task/TID/status voluntary_ctxt_switches. */
function sleeps(pid: number, tid: number): number {
  const m = /voluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/**
 * Until the spinner has not slept for 200 ms (it no longer waits for the GIL: the main thread is
 * blocked reading stdin), at most 30 s. Returns how long that took.
 */
async function spinnerAlone(pid: number, spinner: number): Promise<number> {
  const start = Date.now();
  let last = sleeps(pid, spinner), since = Date.now();
  while (Date.now() - since < 200) {
    if (Date.now() - start > 30_000) throw new Error(`the spinner kept sleeping (waiting for the GIL) for 30 s: ${last} sleeps`);
    await sleep(20);
    const now = sleeps(pid, spinner);
    if (now !== last) { last = now; since = Date.now(); }
  }
  return Date.now() - start;
}

/**
 * The thread's departures from a core (sched nr_switches) and arrivals on one (schedstat's third
 * field, sched_info.pcount), read by the test itself: one more arrival than departures is on a core.
 */
function coreCounts(pid: number, tid: number): { departures: number; arrivals: number } {
  const sched = fs.readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8');
  const schedstat = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
  return { departures: Number(/^nr_switches\s*:\s*(\d+)/m.exec(sched)?.[1]), arrivals: Number(schedstat.trim().split(' ')[2]) };
}

/** nice -19 for one thread (root only; elsewhere it stays at its nice): a description for the log. */
function raisePriority(tid: number): string {
  try {
    os.setPriority(tid, -19);
    return 'at nice -19';
  } catch (e) {
    return `at its own nice (${(e as Error).message})`;
  }
}

/** The fixture's "READY spinner=TID sleeper=TID ender=TID" line as numbers. */
function readyTids(line: string): { spinner: number; sleeper: number; ender: number } {
  const get = (k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(line)?.[1]);
  return { spinner: get('spinner'), sleeper: get('sleeper'), ender: get('ender') };
}

/** Spawns the fixture with a stdin we write commands to; resolves lines as they come. */
function startWithStdin(python: string) {
  const child = spawn(python, [fixture('thread_states.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const waiters: Array<[RegExp, (m: RegExpExecArray) => void]> = [];
  child.stdout.on('data', (d) => {
    out += d;
    for (let i = 0; i < waiters.length; i++) {
      const m = waiters[i][0].exec(out);
      if (m) { waiters[i][1](m); waiters.splice(i--, 1); }
    }
  });
  const line = (re: RegExp, ms = READY_MS) => new Promise<RegExpExecArray>((resolve, reject) => {
    const m = re.exec(out);
    if (m) return resolve(m);
    const timer = setTimeout(() => reject(new Error(`no ${re} in ${JSON.stringify(out)}`)), ms);
    waiters.push([re, (x) => { clearTimeout(timer); resolve(x); }]);
  });
  return { child, line, send: (cmd: string) => child.stdin.write(cmd + '\n') };
}

for (const minor of ['3.8', '3.12', '3.13']) {
  const py = interpreterFor(minor);
  const skip = py ? false : `Python ${minor} is not installed here`;

  test(`a spinning thread reads as running, a sleeping one as not, as /proc says (${py?.label ?? minor})`, { skip, timeout: TEST_TIMEOUT_MS }, async () => {
    const t = startWithStdin(py!.path);
    const reader = new ThreadStateReader(t.child.pid!);
    try {
      const { spinner, sleeper } = readyTids((await t.line(/READY.*\n/))[0]);
      await spinnerAlone(t.child.pid!, spinner);
      let spinning = 0, sleeping = 0;
      const slept = sleeps(t.child.pid!, spinner);
      for (let i = 0; i < 50; i++) {
        if (reader.isActive(spinner)) spinning++;
        if (reader.isActive(sleeper)) sleeping++;
      }
      const sleptMeanwhile = sleeps(t.child.pid!, spinner) - slept;
      assert.equal(spinning, 50, `the spinner read as running ${spinning} of 50 times (it slept ${sleptMeanwhile} times meanwhile)`);
      assert.equal(sleeping, 0, `the sleeper read as running ${sleeping} of 50 times`);
      // the same answer as a fresh read of the whole file (procfs.processState)
      assert.equal(processState(t.child.pid!, spinner), 'R');
      assert.equal(processState(t.child.pid!, sleeper), 'S');
      // one read a call, but where the thread's switch records show no switch since the last read
      // or answer alone (native/threadStates.ts): the sleeper sleeps throughout, the spinner is
      // alone on its core
      console.log(`# ${reader.reads} states read, ${reader.unchanged} known unchanged from switch records, ${reader.fromRecords} answered by them alone`);
      assert.equal(reader.reads + reader.unchanged + reader.fromRecords, 100, 'one state a call');
      if (!reader.switchRecords.refused) assert.ok(reader.reads <= 10, `${reader.reads} of 100 states were read`);
      else assert.equal(reader.unchanged, 0);
      assert.equal(reader.openFiles, 2, 'each thread\'s stat file opened once and kept');
    } finally {
      reader.close();
      killQuietly(t.child);
    }
  });

  test(`a thread that ended reads as not running, without an error, and its file is closed (${py?.label ?? minor})`, { skip, timeout: TEST_TIMEOUT_MS }, async () => {
    const t = startWithStdin(py!.path);
    const reader = new ThreadStateReader(t.child.pid!);
    try {
      const { ender } = readyTids((await t.line(/READY.*\n/))[0]);
      assert.equal(reader.isActive(ender), false, 'waiting on an event');
      assert.equal(reader.openFiles, 1);
      t.send('end');
      await t.line(/ENDED \d+/);
      assert.equal(reader.isActive(ender), false, 'an ended thread is not running');
      assert.equal(reader.openFiles, 0, 'its stat file was closed');
      assert.equal(reader.isActive(ender), false, 'asked again: still no error');
    } finally {
      reader.close();
      killQuietly(t.child);
    }
  });

  test(`framesOf: without --idle only running threads' stacks are walked, with --gil only the holder's; states agree with a full walk (${py?.label ?? minor})`, { skip, timeout: TEST_TIMEOUT_MS }, async (ctx) => {
    const t = startWithStdin(py!.path);
    let attached: PythonProcess | undefined;
    try {
      // attached once the interpreter is up (attaching while it starts finds no _PyRuntime yet)
      const { spinner, sleeper } = readyTids((await t.line(/READY.*\n/))[0]);
      const pid = t.child.pid!;
      // on a shared machine the spinner would mostly wait for a core (and read, rightly, as not on
      // CPU): nice -19 (a thread's own, by its TID) gives it one while this test reads from the other
      const niced = raisePriority(spinner);
      const proc = (attached = attach(pid));
      await spinnerAlone(pid, spinner);
      const byTid = (threads: ThreadStack[], tid: number) => threads.find((x) => x.tid === tid)!;
      // snapshots until 15 were taken with the spinner on a core throughout (on a shared machine it
      // often waits for one), at most 400
      let checked = 0, slept = 0, waited = 0, snapshots = 0;
      for (; checked < 15 && snapshots < 400; snapshots++) {
        const all = proc.snapshot({ lazyThreadStates: true }).threads;
        const sleeps0 = sleeps(pid, spinner);
        const before = coreCounts(pid, spinner);
        const active = proc.snapshot({ lazyThreadStates: true, framesOf: 'active' }).threads;
        const after = coreCounts(pid, spinner);
        const sleptMeanwhile = sleeps(pid, spinner) - sleeps0;
        assert.deepEqual(active.map((x) => x.tid).sort(), all.map((x) => x.tid).sort(), 'every thread is listed');
        assert.ok(byTid(all, sleeper).frames.some((f) => f.name === 'sleep'), 'a full walk reads the sleeper\'s stack');
        assert.equal(byTid(active, sleeper).active, false);
        assert.deepEqual(byTid(active, sleeper).frames, [], 'the sleeper (dropped without --idle) is not walked');
        const spin = byTid(active, spinner);
        // read as on CPU only when walked: its stack is read when its state (read before the
        // memory) was R; whether it was on a core is decided after the read (cpython/walker.ts,
        // checkedThread), so a runnable thread waiting for a core is walked and read as not running
        if (spin.active) assert.ok(spin.frames.length > 0, `snapshot ${snapshots}: the spinner read as running but its stack was not walked`);
        if (spin.active) assert.equal(spin.frames[0]?.name, 'spin', 'the spinner is walked');
        if (sleptMeanwhile > 0) {
          slept++; // it did wait for the GIL during the snapshot: "not running" may be true
        } else if (!(before.arrivals > before.departures && after.departures === before.departures)) {
          waited++; // off its core before, or left it during the snapshot: either answer may be true
        } else {
          assert.equal(spin.active, true, `snapshot ${snapshots}: the spinner read as not running, though on a core before and after it with no switch (${JSON.stringify({ before, after })})`);
          checked++;
        }
        const gil = proc.snapshot({ lazyThreadStates: true, framesOf: 'gilHolder' }).threads;
        for (const x of gil) if (!x.holdsGil) assert.deepEqual(x.frames, [], `thread ${x.tid} does not hold the GIL: not walked`);
        const holder = gil.find((x) => x.holdsGil);
        if (holder) assert.ok(holder.frames.length > 0, 'the holder is walked');
      }
      ctx.diagnostic(`spinner ${niced}; ${snapshots} snapshots: spinner on a core throughout ${checked}, slept for the GIL ${slept}, off its core or switched ${waited}`);
      assert.ok(checked >= 15, `the spinner was on a core throughout only ${checked} of ${snapshots} snapshots (slept for the GIL in ${slept}, off its core or switched in ${waited})`);
      // the sampler's default filter keeps exactly what it kept before: the running thread's samples
      const opts: SampleOptions = { rate: 200, duration: 0.5, gil: false, idle: false, subprocesses: false, blocking: false };
      const kept = new Set<number>();
      const r = await new Sampler(proc, opts, { onSnapshot: (_pid, snap) => snap.threads.forEach((x) => kept.add(x.tid)) }).run();
      assert.equal(r.stats.errors, 0);
      assert.ok(kept.has(spinner) && !kept.has(sleeper), `kept ${[...kept]}`);
    } finally {
      attached?.close();
      killQuietly(t.child);
    }
  });
}

test('a TID reused by a new thread reads the new thread\'s state, not an error and not the old thread\'s (PID namespace of its own)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const py = interpreterFor('3.12') ?? interpreterFor('3.13') ?? interpreterFor('3.8');
  if (!py) return t.skip('no CPython 3.8+ installed');
  const probe = spawnSync('unshare', ['-p', '-f', '-r', '--mount-proc', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return t.skip(`cannot make a PID namespace here: ${(probe.stderr || probe.error?.message || '').trim()}`);
  // inside the namespace TIDs are small and ns_last_pid chooses the next one; the reader runs
  // there too, so that it sees the TIDs the fixture sees
  const reader = path.join(__dirname, '../../src/engine/native/threadStates.js');
  const script = `
    const { spawn } = require('child_process');
    const { ThreadStateReader } = require(${JSON.stringify(reader)});
    const child = spawn(${JSON.stringify(py.path)}, [${JSON.stringify(fixture('thread_states.py'))}], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, PYPROF_OWN_PID_NAMESPACE: '1' } });
    let out = '';
    // the node here is the namespace's init: it ignores SIGTERM, so it ends itself (and its child) after a while
    const deadline = setTimeout(() => { console.log(JSON.stringify({ error: 'no answer from the fixture in 60 s: ' + JSON.stringify(out) })); child.kill('SIGKILL'); process.exit(0); }, 60000);
    const wait = (re) => new Promise((res) => { const f = () => { const m = re.exec(out); if (m) res(m); else setTimeout(f, 5); }; f(); });
    child.stdout.on('data', (d) => (out += d));
    (async () => {
      const ender = Number((await wait(/ender=(\\d+)/))[1]);
      const r = new ThreadStateReader(child.pid);
      const result = { ender, before: r.isActive(ender), keptBefore: r.openFiles };
      child.stdin.write('end\\n'); await wait(/ENDED/);
      child.stdin.write('reuse\\n');
      const m = await wait(/(REUSED|NOREUSE)( .*)?\\n/);
      result.reuse = m[0].trim();
      if (m[1] === 'REUSED') {
        // until the new spinner has not slept (waited for the GIL) for 200 ms: see spinnerAlone
        const sleeps = () => Number(/voluntary_ctxt_switches:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/' + child.pid + '/task/' + ender + '/status', 'utf8'))[1]);
        for (let last = sleeps(), since = Date.now(); Date.now() - since < 200; ) {
          await new Promise((res) => setTimeout(res, 20));
          const now = sleeps();
          if (now !== last) { last = now; since = Date.now(); }
        }
        const slept = sleeps();
        result.after = [];
        for (let i = 0; i < 20; i++) result.after.push(r.isActive(ender));
        result.keptAfter = r.openFiles;
        result.sleptMeanwhile = sleeps() - slept;
      }
      r.close();
      child.kill('SIGKILL');
      clearTimeout(deadline);
      console.log(JSON.stringify(result));
    })().catch((e) => { console.log(JSON.stringify({ error: String(e) })); child.kill('SIGKILL'); });
  `;
  // --kill-child: if unshare is killed (the timeout), its child, the namespace's init, goes too
  const run = spawnSync('unshare', ['-p', '-f', '-r', '--mount-proc', '--kill-child', process.execPath, '-e', script], { encoding: 'utf8', timeout: 90000, killSignal: 'SIGKILL' });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  const res = JSON.parse(line || '{}');
  assert.equal(res.error, undefined, `${res.error} ${run.stderr}`);
  if (!String(res.reuse).startsWith('REUSED')) return t.skip(`the TID could not be reused here: ${res.reuse}`);
  assert.equal(res.before, false, 'the first thread waits on an event');
  assert.equal(res.keptBefore, 1);
  assert.deepEqual(res.after, Array(20).fill(true), `the new thread with the same TID spins: running (it slept ${res.sleptMeanwhile} times during the reads)`);
  assert.equal(res.keptAfter, 1, 'the old file was closed, the new thread\'s kept');
});
