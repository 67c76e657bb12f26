// The pyprof debug adapter (dist/debugAdapter.js) driven over DAP by @vscode/debugadapter-testsupport,
// against real CPython processes: launch to completion with a profile written, configuration
// errors naming their field, attach + pause → threads and frames with the expected functions and
// lines, continue, and the guarantee that matters most: a target stopped by a blocking pause runs
// again after Continue, after disconnect, and after the adapter is killed outright.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { importProfile } from '../../src/profile/formats';
import { fixture, killQuietly, repoRoot, startFixture, tmpDir } from '../helpers';
import { versionCases } from './cli-support';

const ADAPTER = path.join(repoRoot, 'dist', 'debugAdapter.js');
const TARGET = fixture('debug_target.py');

function lineOf(file: string, marker: string): number {
  return fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;
}

async function startAdapter(): Promise<DebugClient> {
  const dc = new DebugClient(process.execPath, ADAPTER, 'pyprof', undefined, true);
  dc.defaultTimeout = 20000;
  await dc.start();
  return dc;
}

/** The kernel's state letters of every thread ('t' = stopped by a tracer). */
function threadStates(pid: number): string[] {
  return fs.readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  });
}

/** user+system CPU ticks of the whole process. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/**
 * The target is running: its threads leave the tracer stop and it keeps using CPU (its worker
 * spins). "Eventually": a blocking recorder stops the threads for a moment at every sample.
 */
async function assertRunning(pid: number, what: string): Promise<void> {
  for (let i = 0; i < 40 && threadStates(pid).includes('t'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!threadStates(pid).includes('t'), `${what}: a thread is still stopped (${threadStates(pid).join(',')})`);
  const before = cpuTicks(pid);
  for (let i = 0; i < 40 && cpuTicks(pid) === before; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(cpuTicks(pid) > before, `${what}: the target made no progress in 2 s`);
}


for (const c of versionCases()) {
  test(`launch runs the program to its end, forwards its output and writes a profile [${c.label}]`, { skip: c.skip }, async (t) => {
    const py = c.interp!;
    if (!fs.existsSync(ADAPTER)) return t.skip('dist/debugAdapter.js missing: run npm run build');
    const dir = tmpDir();
    const output = path.join(dir, 'run.speedscope.json');
    const dc = await startAdapter();
    try {
      const outputs: string[] = [];
      dc.on('output', (e: DebugProtocol.OutputEvent) => outputs.push(e.body.output));
      const ready = dc.waitForEvent('pyprofProfileReady', 30000);
      const terminated = dc.waitForEvent('terminated', 30000);
      await Promise.all([
        dc.configurationSequence(),
        dc.launch({ program: TARGET, args: ['1.2'], python: py.path, console: 'internalConsole', rate: 200, output, cwd: dir }),
      ]);
      const ev = (await ready) as DebugProtocol.Event;
      await terminated;
      assert.equal(ev.body.output, output);
      assert.equal(ev.body.label, 'debug_target.py');
      assert.ok(ev.body.samples > 10, `samples: ${ev.body.samples}`); // 240 asked; a loaded machine delivers far fewer (36 seen at load 24)
      const text = outputs.join('');
      assert.match(text, /READY/, 'program stdout reaches the Debug Console');
      assert.match(text, /DONE/, 'the program ran to its end');
      const profile = importProfile(fs.readFileSync(output), output);
      const names = new Set(profile.frames.map((f) => f.name));
      assert.ok(names.has('busy'), `busy() sampled: ${[...names].slice(0, 20).join(', ')}`);
    } finally {
      await dc.stop();
    }
  });
}

for (const c of versionCases()) {
  test(`terminate (Stop, and the first half of Restart) ends a launched program and keeps what was sampled [${c.label}]`, { skip: c.skip }, async (t) => {
    const py = c.interp!;
    if (!fs.existsSync(ADAPTER)) return t.skip('dist/debugAdapter.js missing: run npm run build');
    const dir = tmpDir();
    for (const run of [1, 2]) {
      const output = path.join(dir, `run${run}.speedscope.json`);
      const dc = await startAdapter();
      try {
        let programPid = 0;
        dc.on('output', (e: DebugProtocol.OutputEvent) => {
          const m = /recording process (\d+)/.exec(e.body.output);
          if (m) programPid = Number(m[1]);
        });
        await Promise.all([dc.configurationSequence(), dc.launch({ program: TARGET, python: py.path, console: 'internalConsole', output })]);
        await new Promise((r) => setTimeout(r, 800));
        assert.ok(programPid > 0, 'the adapter reported the program pid');
        const ready = dc.waitForEvent('pyprofProfileReady', 20000);
        const terminated = dc.waitForEvent('terminated', 20000);
        await dc.terminateRequest({});
        const body = ((await ready) as DebugProtocol.Event).body;
        await terminated;
        assert.ok(body.samples > 0 && fs.existsSync(output), `run ${run}: profile kept`);
        assert.ok(body.notes.some((n: string) => /stopped/.test(n)), `notes: ${body.notes.join(' | ')}`);
        for (let i = 0; i < 40 && fs.existsSync(`/proc/${programPid}`); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(!fs.existsSync(`/proc/${programPid}`) || /^Z|zombie/.test(fs.readFileSync(`/proc/${programPid}/status`, 'utf8').match(/State:\s*(.*)/)?.[1] ?? ''), `run ${run}: the program was stopped`);
      } finally {
        await dc.stop().catch(() => undefined);
      }
    }
  });
}

test('configuration errors name the bad field', async (t) => {
  if (!fs.existsSync(ADAPTER)) return t.skip('dist/debugAdapter.js missing: run npm run build');
  const dc = await startAdapter();
  try {
    await dc.initializeRequest();
    await assert.rejects(dc.launchRequest({ program: TARGET, rate: 'fast' } as never), /'rate' must be a number/);
    await assert.rejects(dc.launchRequest({ program: path.join(tmpDir(), 'missing.py') } as never), /'program' does not exist/);
    await assert.rejects(dc.launchRequest({} as never), /'program' is missing/);
    await assert.rejects(dc.attachRequest({ processId: 'abc' } as never), /'processId' must be a process id/);
    await assert.rejects(dc.launchRequest({ program: TARGET, console: 'externalTerminal' } as never), /'console' must be/);
    await assert.rejects(dc.attachRequest({ processId: 2 ** 22 + 12345 } as never), /no (such )?process|does not exist|not running/i);
  } finally {
    await dc.stop();
  }
});

async function attachAndPause(dc: DebugClient, pid: number, blocking: boolean, output: string) {
  const configured = dc.configurationSequence();
  await dc.initializeRequest();
  await Promise.all([configured, dc.attachRequest({ processId: pid, blocking, rate: 100, output } as never)]);
  const stopped = dc.waitForEvent('stopped');
  await dc.pauseRequest({ threadId: 0 });
  const ev = (await stopped) as DebugProtocol.StoppedEvent;
  assert.equal(ev.body.reason, 'pause');
  // a short label for the Call Stack header, the full sentence for its hover
  assert.ok(ev.body.description && ev.body.description.length <= 20, `short description: ${ev.body.description}`);
  assert.match(ev.body.text ?? '', /^(Paused: the program is stopped|Snapshot: the program keeps running)/);
  const threads = (await dc.threadsRequest()).body.threads;
  const worker = threads.find((th) => th.name.startsWith('worker'));
  const main = threads.find((th) => th.name.startsWith('MainThread'));
  assert.ok(worker && main, `threads named: ${threads.map((th) => th.name).join(' | ')}`);
  return { worker: worker!, main: main! };
}

for (const c of versionCases()) {
  const py = c.interp!;
  test(`attach + pause shows every thread's frames with source and line [${c.label}]`, { skip: c.skip }, async (t) => {
    if (!fs.existsSync(ADAPTER)) return t.skip('dist/debugAdapter.js missing: run npm run build');
    const target = await startFixture(py.path, TARGET);
    const dc = await startAdapter();
    const output = path.join(tmpDir(), 'attach.speedscope.json');
    try {
      const { worker, main } = await attachAndPause(dc, target.pid!, false, output);
      const wf = (await dc.stackTraceRequest({ threadId: worker.id })).body.stackFrames;
      assert.deepEqual(wf.slice(0, 2).map((f) => f.name), ['busy', 'spin_worker'], `worker frames: ${wf.map((f) => f.name).join(' < ')}`);
      assert.equal(wf[0].source?.path, TARGET);
      assert.ok(wf[0].line >= lineOf(TARGET, 'def busy') && wf[0].line <= lineOf(TARGET, 'BUSY_LINE') + 1, `busy line ${wf[0].line}`);
      assert.equal(wf[1].line, lineOf(TARGET, '        busy()'));
      const mf = (await dc.stackTraceRequest({ threadId: main.id })).body.stackFrames;
      assert.equal(mf[0].name, 'main');
      assert.equal(mf[0].line, lineOf(TARGET, 'MAIN_WAIT'));
      assert.equal(mf[mf.length - 1].name, '<module>');
      // Variables: each frame's locals as read from outside at the pause (3.8-3.14), else why not
      const scopes = (await dc.scopesRequest({ frameId: mf[0].id })).body.scopes;
      assert.equal(scopes.length, 1);
      const vars = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
      if (['3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14'].includes(py.minor)) {
        assert.match(scopes[0].name, /^Locals/);
        const byName = new Map(vars.map((v) => [v.name, v.value]));
        assert.equal(byName.get('seconds'), '1000000000.0', JSON.stringify(vars));
        assert.equal(byName.get('stop'), '<Event object>');
        assert.equal(byName.get('worker'), '<Thread object>');
        const workerScopes = (await dc.scopesRequest({ frameId: wf[1].id })).body.scopes;
        const workerVars = (await dc.variablesRequest({ variablesReference: workerScopes[0].variablesReference })).body.variables;
        assert.deepEqual(workerVars.map((v) => [v.name, v.value]), [['stop', '<Event object>']]);
      } else {
        assert.equal(scopes[0].name, 'Not read by pyprof');
        assert.match(vars[0].value, new RegExp(`not supported on Python ${py.minor.replace('.', '\\.')}`));
      }
      // Non-blocking: the program kept running while "paused".
      await assertRunning(target.pid!, 'non-blocking pause');
      await dc.continueRequest({ threadId: worker.id });
      const ready = dc.waitForEvent('pyprofProfileReady', 20000);
      await dc.disconnectRequest({});
      const body = ((await ready) as DebugProtocol.Event).body;
      assert.ok(body.samples > 0 && fs.existsSync(output), 'disconnect keeps the data');
      assert.equal(target.exitCode, null, 'attach: the target outlives the session');
    } finally {
      await dc.stop().catch(() => undefined);
      killQuietly(target);
    }
  });
}

for (const c of versionCases()) {
  test(`blocking pause stops the target until Continue, and disconnect while paused resumes it [${c.label}]`, { skip: c.skip }, async (t) => {
    const py = c.interp!;
    if (!fs.existsSync(ADAPTER)) return t.skip('dist/debugAdapter.js missing: run npm run build');
    const target = await startFixture(py.path, TARGET);
    const dc = await startAdapter();
    try {
      const { worker } = await attachAndPause(dc, target.pid!, true, path.join(tmpDir(), 'b.json'));
      assert.ok(threadStates(target.pid!).every((s) => s === 't'), `all threads stopped: ${threadStates(target.pid!)}`);
      const ticks = cpuTicks(target.pid!);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(cpuTicks(target.pid!), ticks, 'a stopped target uses no CPU');
      const wf = (await dc.stackTraceRequest({ threadId: worker.id })).body.stackFrames;
      assert.equal(wf[0].name, 'busy');
      await dc.continueRequest({ threadId: worker.id });
      await assertRunning(target.pid!, 'after Continue');
      // Pause again and leave without Continue.
      const stopped = dc.waitForEvent('stopped');
      await dc.pauseRequest({ threadId: 0 });
      await stopped;
      assert.ok(threadStates(target.pid!).includes('t'), 'paused again');
      await dc.disconnectRequest({});
      await assertRunning(target.pid!, 'after disconnect while paused');
    } finally {
      await dc.stop().catch(() => undefined);
      killQuietly(target);
    }
  });
}

for (const c of versionCases()) {
  test(`blocking pause: the target runs again when the adapter is killed (SIGKILL) [${c.label}]`, { skip: c.skip }, async (t) => {
    const py = c.interp!;
    if (!fs.existsSync(ADAPTER)) return t.skip('dist/debugAdapter.js missing: run npm run build');
    const target = await startFixture(py.path, TARGET);
    const dc = await startAdapter();
    try {
      await attachAndPause(dc, target.pid!, true, path.join(tmpDir(), 'k.json'));
      assert.ok(threadStates(target.pid!).includes('t'), 'paused');
      const adapterProcess = (dc as unknown as { _adapterProcess?: { pid: number } })._adapterProcess;
      assert.ok(adapterProcess?.pid, 'the adapter runs as its own process');
      process.kill(adapterProcess!.pid, 'SIGKILL');
      for (let i = 0; i < 40 && threadStates(target.pid!).includes('t'); i++) await new Promise((r) => setTimeout(r, 50));
      await assertRunning(target.pid!, 'after the adapter was killed');
    } finally {
      (dc as unknown as { stopAdapter(): void }).stopAdapter(); // no disconnect: nobody would answer
      killQuietly(target);
    }
  });
}
