// Each thread's run state, read every sample through a kept-open /proc stat file
// (src/engine/native/threadStates.ts), and the walks that use it (framesOf: only the stacks the
// caller keeps). On real CPython threads whose state is known: one spinning (R), one sleeping
// (S), one that ends, and a new thread given the ended one's TID (in a PID namespace of its own,
// the only place a TID can be chosen).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { attach } from '../../src/engine';
import { ThreadStateReader } from '../../src/engine/native/threadStates';
import { processState } from '../../src/engine/proc/procfs';
import { Sampler } from '../../src/engine/sampler';
import { SampleOptions, ThreadStack } from '../../src/engine/types';
import { fixture, interpreterFor, killQuietly } from '../helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const line = (re: RegExp, ms = 10000) => new Promise<RegExpExecArray>((resolve, reject) => {
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

  test(`a spinning thread reads as running, a sleeping one as not, as /proc says (${py?.label ?? minor})`, { skip }, async () => {
    const t = startWithStdin(py!.path);
    const reader = new ThreadStateReader(t.child.pid!);
    try {
      const { spinner, sleeper } = readyTids((await t.line(/READY.*\n/))[0]);
      let spinning = 0, sleeping = 0;
      for (let i = 0; i < 50; i++) {
        if (reader.isActive(spinner)) spinning++;
        if (reader.isActive(sleeper)) sleeping++;
      }
      assert.equal(spinning, 50, `the spinner read as running ${spinning} of 50 times`);
      assert.equal(sleeping, 0, `the sleeper read as running ${sleeping} of 50 times`);
      // the same answer as a fresh read of the whole file (procfs.processState)
      assert.equal(processState(t.child.pid!, spinner), 'R');
      assert.equal(processState(t.child.pid!, sleeper), 'S');
      assert.equal(reader.reads, 100, 'one read a call');
      assert.equal(reader.openFiles, 2, 'each thread\'s stat file opened once and kept');
    } finally {
      reader.close();
      killQuietly(t.child);
    }
  });

  test(`a thread that ended reads as not running, without an error, and its file is closed (${py?.label ?? minor})`, { skip }, async () => {
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

  test(`framesOf: without --idle only running threads' stacks are walked, with --gil only the holder's; states agree with a full walk (${py?.label ?? minor})`, { skip }, async () => {
    const t = startWithStdin(py!.path);
    const proc = attach(t.child.pid!);
    try {
      const { spinner, sleeper } = readyTids((await t.line(/READY.*\n/))[0]);
      const byTid = (threads: ThreadStack[], tid: number) => threads.find((x) => x.tid === tid)!;
      for (let i = 0; i < 20; i++) {
        const all = proc.snapshot({ lazyThreadStates: true }).threads;
        const active = proc.snapshot({ lazyThreadStates: true, framesOf: 'active' }).threads;
        assert.deepEqual(active.map((x) => x.tid).sort(), all.map((x) => x.tid).sort(), 'every thread is listed');
        assert.ok(byTid(all, sleeper).frames.some((f) => f.name === 'sleep'), 'a full walk reads the sleeper\'s stack');
        assert.equal(byTid(active, sleeper).active, false);
        assert.deepEqual(byTid(active, sleeper).frames, [], 'the sleeper (dropped without --idle) is not walked');
        assert.equal(byTid(active, spinner).active, true);
        assert.equal(byTid(active, spinner).frames[0]?.name, 'spin', 'the spinner is walked');
        const gil = proc.snapshot({ lazyThreadStates: true, framesOf: 'gilHolder' }).threads;
        for (const x of gil) if (!x.holdsGil) assert.deepEqual(x.frames, [], `thread ${x.tid} does not hold the GIL: not walked`);
        const holder = gil.find((x) => x.holdsGil);
        if (holder) assert.ok(holder.frames.length > 0, 'the holder is walked');
      }
      // the sampler's default filter keeps exactly what it kept before: the running thread's samples
      const opts: SampleOptions = { rate: 200, duration: 0.5, gil: false, idle: false, subprocesses: false, blocking: false };
      const kept = new Set<number>();
      const r = await new Sampler(proc, opts, { onSnapshot: (_pid, snap) => snap.threads.forEach((x) => kept.add(x.tid)) }).run();
      assert.equal(r.stats.errors, 0);
      assert.ok(kept.has(spinner) && !kept.has(sleeper), `kept ${[...kept]}`);
    } finally {
      proc.close();
      killQuietly(t.child);
    }
  });
}

test('a TID reused by a new thread reads the new thread\'s state, not an error and not the old thread\'s (PID namespace of its own)', async (t) => {
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
        result.after = [];
        for (let i = 0; i < 20; i++) result.after.push(r.isActive(ender));
        result.keptAfter = r.openFiles;
      }
      r.close();
      child.kill('SIGKILL');
      console.log(JSON.stringify(result));
    })().catch((e) => { console.log(JSON.stringify({ error: String(e) })); child.kill('SIGKILL'); });
  `;
  const run = spawnSync('unshare', ['-p', '-f', '-r', '--mount-proc', process.execPath, '-e', script], { encoding: 'utf8', timeout: 30000 });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  const res = JSON.parse(line || '{}');
  assert.equal(res.error, undefined, `${res.error} ${run.stderr}`);
  if (!String(res.reuse).startsWith('REUSED')) return t.skip(`the TID could not be reused here: ${res.reuse}`);
  assert.equal(res.before, false, 'the first thread waits on an event');
  assert.equal(res.keptBefore, 1);
  assert.deepEqual(res.after, Array(20).fill(true), 'the new thread with the same TID spins: running');
  assert.equal(res.keptAfter, 1, 'the old file was closed, the new thread\'s kept');
});
