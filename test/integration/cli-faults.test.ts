// Faults and bad input: the target exiting mid-record, Ctrl-C (SIGINT) during record, blocking mode
// leaving the target running, no such pid, a pid that is not Python, unsupported versions, usage errors.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawn } from 'child_process';
import { fixture, interpreterFor, killQuietly, startFixture, supportedInterpreters, tmpDir } from '../helpers';
import { CLI, collect, parseCollapsed, runCli, selfCount, spawnCli, unsupportedInterpreters, waitFor } from './cli-support';
import { readStat } from '../../src/engine/subprocesses';
import type { RecordEvent } from '../../src/recording/events';

// One interpreter is enough for these (the per-version reading is covered elsewhere); prefer 3.12.
const py = interpreterFor('3.12') ?? supportedInterpreters().at(-1);
const noPython = py ? undefined : 'no supported CPython (3.8+) installed';

function readEvents(text: string): RecordEvent[] {
  return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

test('target exits mid-record: every sample kept, file written, note printed, exit 0', { skip: noPython }, async () => {
  const dir = tmpDir();
  const target = await startFixture(py!.path, fixture('exit_after.py'), ['5']);
  try {
    const out = path.join(dir, 'exit.txt');
    const r = await runCli(['record', '--pid', String(target.pid), '--duration', '60', '--rate', '200', '-f', 'collapsed', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`target process ${target.pid} exited after [\\d.]+ s; all \\d+ samples taken were kept`));
    const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
    assert.ok(selfCount(stacks, 'work_until_exit') > 20, 'samples from before the exit are kept');
  } finally {
    killQuietly(target);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGINT during a launched record writes the file, emits done, stops the command, exits 0', { skip: noPython }, async () => {
  const dir = tmpDir();
  const out = path.join(dir, 'int.speedscope.json');
  const cli = spawnCli(['record', '--rate', '200', '-o', out, '--events-fd', '3', '--', py!.path, fixture('idle_gil.py'), '60'], 1);
  let ev = '';
  (cli.stdio[3] as NodeJS.ReadableStream).on('data', (d) => (ev += d));
  const done = collect(cli, 60000);
  let childPid: number | undefined;
  try {
    await waitFor(() => ev.includes('"type":"progress"'), 20000, 'a progress event');
    childPid = (readEvents(ev).find((e) => e.type === 'started') as Extract<RecordEvent, { type: 'started' }>).pid;
    cli.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(out), 'profile written');
    JSON.parse(fs.readFileSync(out, 'utf8'));
    const events = readEvents(ev);
    assert.deepEqual([events[0].type, events.at(-1)!.type], ['started', 'done']);
    const fin = events.at(-1) as Extract<RecordEvent, { type: 'done' }>;
    assert.equal(fin.output, out);
    assert.ok(fin.samples > 0);
    assert.ok(fin.notes.some((n) => /stopped by SIGINT/.test(n)), fin.notes.join('; '));
    await waitFor(() => { const st = readStat(childPid!); return !st || st.state === 'Z'; }, 10000, 'the launched command to stop');
  } finally {
    killQuietly(cli);
    if (childPid) try { process.kill(childPid, 'SIGKILL'); } catch { /* gone */ }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGINT during an attached record writes the file and leaves the target running', { skip: noPython }, async () => {
  const dir = tmpDir();
  const target = await startFixture(py!.path, fixture('idle_gil.py'), ['60']);
  try {
    const out = path.join(dir, 'int.txt');
    const cli = spawnCli(['record', '--pid', String(target.pid), '-f', 'collapsed', '-o', out, '--events-fd', '3'], 1);
    let ev = '';
    (cli.stdio[3] as NodeJS.ReadableStream).on('data', (d) => (ev += d));
    const done = collect(cli, 60000);
    await waitFor(() => ev.includes('"type":"progress"'), 20000, 'a progress event');
    cli.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(selfCount(parseCollapsed(fs.readFileSync(out, 'utf8')), 'busy_main') > 0);
    assert.equal(target.exitCode, null, 'target still running');
    assert.notEqual(readStat(target.pid!)?.state, 'Z');
  } finally {
    killQuietly(target);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--blocking pauses only while reading: the target keeps running afterwards', { skip: noPython }, async () => {
  const dir = tmpDir();
  const target = await startFixture(py!.path, fixture('idle_gil.py'), ['60']);
  let out = '';
  target.stdout!.on('data', (d) => (out += d));
  try {
    const file = path.join(dir, 'blocking.txt');
    const r = await runCli(['record', '--pid', String(target.pid), '--blocking', '--rate', '200', '--duration', '1', '--idle', '-f', 'collapsed', '-o', file]);
    assert.equal(r.code, 0, r.stderr);
    const stacks = parseCollapsed(fs.readFileSync(file, 'utf8'));
    assert.ok(selfCount(stacks, 'busy_main') > 0 && selfCount(stacks, 'sleeping_worker') > 0);
    const st = readStat(target.pid!);
    assert.ok(st && !['T', 't'].includes(st.state), `target must not stay stopped (state ${st?.state})`);
    const ticks = () => (out.match(/TICK/g) ?? []).length;
    const before = ticks();
    await waitFor(() => ticks() >= before + 2, 10000, 'the target to keep printing TICK lines');
    assert.equal(target.exitCode, null);
  } finally {
    killQuietly(target);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no such pid: one clear line, non-zero exit', async () => {
  const gone = spawn('true');
  await new Promise((r) => gone.on('exit', r));
  for (const cmd of ['record', 'dump', 'top']) {
    const r = await runCli([cmd, '--pid', String(gone.pid), ...(cmd === 'dump' ? [] : ['--duration', '1'])]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^pyprof: error: .*(no (such )?process|does not exist|not found).*\n$/i);
  }
});

test('a pid that is not Python: one clear line, non-zero exit', async () => {
  const sleeper = spawn('sleep', ['30']);
  try {
    await waitFor(() => readStat(sleeper.pid!)?.state === 'S', 5000, 'sleep to start');
    const r = await runCli(['record', '--pid', String(sleeper.pid), '--duration', '1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^pyprof: error: .*python.*\n$/i);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  } finally {
    killQuietly(sleeper);
  }
});

test('usage errors exit 2 with a hint; a command that is not found is a clear launch error', async () => {
  let r = await runCli(['record']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nothing to profile/);
  r = await runCli(['record', '--pid', '1', '--', 'python3', 'x.py']);
  assert.equal(r.code, 2);
  r = await runCli(['record', '--rate', 'fast', '--pid', '1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--rate/);
  r = await runCli(['frobnicate']);
  assert.equal(r.code, 2);
  r = await runCli(['record', '--pid', String(process.pid), '-o', '/nonexistent-dir/x.json']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /output folder does not exist: \/nonexistent-dir/);
  r = await runCli(['record', '--pid', String(process.pid), '-f', 'svg']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown format 'svg'; choose one of: speedscope, collapsed/);
  r = await runCli(['record', '-o', '/dev/null', '--', '/nonexistent/python3', 'x.py']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^pyprof: error: cannot start '\/nonexistent\/python3': command not found\n$/);
});

test('--version and --help work', async () => {
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^pyprof \d+\.\d+\.\d+\n$/);
  const h = await runCli(['--help']);
  assert.equal(h.code, 0);
  for (const c of ['record', 'top', 'dump']) assert.match(h.stdout, new RegExp(`^  ${c} `, 'm'));
  const rh = await runCli(['record', '--help']);
  assert.equal(rh.code, 0);
  for (const o of ['--pid', '--rate', '--duration', '--gil', '--idle', '--threads', '--subprocesses', '--blocking', '--nonblocking', '--format', '--events-fd']) assert.ok(rh.stdout.includes(o), o);
});

test('permission denied (another user): one line naming the failed call, the owner and the advice that fits', async (t) => {
  if (process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/setpriv')) return t.skip('needs root and setpriv to run pyprof as another user');
  if (!py) return t.skip(noPython!);
  const target = await startFixture(py.path, fixture('idle_gil.py'), ['60']);
  try {
    const asNobody = spawn('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'dump', '--pid', String(target.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(asNobody, 30000);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^pyprof: error: permission denied: .* failed with E(ACCES|PERM)\. You are nobody .*belongs to root .*Run pyprof as root or with sudo.*\n$/);
    assert.equal(target.exitCode, null, 'target untouched');
  } finally {
    killQuietly(target);
  }
});
