// tracemalloc mode after a killed recorder (issue 21.3): the program's snapshot thread notices that
// nobody reads its statistics (it was reparented), stops tracing and removes the recorder's private
// folder instead of appending for ever; folders that dead recorders left are removed by the next run.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { interpreterFor, supportedInterpreters, tmpDir } from '../helpers';
import { runCli, spawnCli, waitFor } from './cli-support';
import { isAlive } from '../../src/engine/subprocesses';
import { removeStaleSessionDirs } from '../../src/cli/recordTracemalloc';

const py = interpreterFor('3.12') ?? supportedInterpreters().at(-1);
const noPython = py ? undefined : 'no supported CPython (3.8+) installed';

/** The session folder whose owner file names this recorder pid. */
function sessionDirOf(recorderPid: number): string | undefined {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith('pyprof-tracemalloc-')) continue;
    try {
      if (fs.readFileSync(path.join(os.tmpdir(), name, 'recorder'), 'utf8').startsWith(`${recorderPid} `)) return path.join(os.tmpdir(), name);
    } catch { /* another run's, mid-creation */ }
  }
  return undefined;
}

test('kill -9 of a tracemalloc recorder: the program stops tracing and removes the folder; it keeps running', { skip: noPython, timeout: 60_000 }, async () => {
  const dir = tmpDir();
  const script = path.join(dir, 'alloc_forever.py');
  const marker = path.join(dir, 'still-running');
  // the marker is replaced atomically, so a read never sees it half written
  fs.writeFileSync(script, `import os, time\nkeep = []\nwhile True:\n    keep.append([0] * 100)\n    if len(keep) > 2000: keep = []\n    open(${JSON.stringify(marker + '.tmp')}, 'w').write(str(time.time()))\n    os.replace(${JSON.stringify(marker + '.tmp')}, ${JSON.stringify(marker)})\n    time.sleep(0.001)\n`);
  const cli = spawnCli(['record', '--memory=tracemalloc', '-q', '-o', path.join(dir, 'm.json'), '--', py!.path, script]);
  // 'exit', not 'close': the program inherited the recorder's output pipes and outlives it
  const exited = new Promise((r) => cli.once('exit', r));
  let programPid: number | undefined;
  try {
    let session: string | undefined;
    await waitFor(() => (session ??= sessionDirOf(cli.pid!)) !== undefined && fs.existsSync(path.join(session, 'stats.jsonl')) && /"k": ?"snap"/.test(fs.readFileSync(path.join(session, 'stats.jsonl'), 'utf8')), 40_000, 'a tracemalloc snapshot');
    programPid = Number(fs.readFileSync(`/proc/${cli.pid}/task/${cli.pid}/children`, 'utf8').trim().split(' ')[0]);
    cli.kill('SIGKILL');
    await exited;
    await waitFor(() => !fs.existsSync(session!), 5_000, `the program to remove ${session}`);
    assert.ok(isAlive(programPid), 'the program itself keeps running');
    const before = fs.readFileSync(marker, 'utf8');
    await waitFor(() => fs.readFileSync(marker, 'utf8') !== before, 10_000, 'the program to keep making progress');
  } finally {
    if (programPid) try { process.kill(programPid, 'SIGKILL'); } catch { /* gone */ }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('folders of dead recorders are removed; live ones, other names and symlinks are left alone', () => {
  const tmp = tmpDir();
  try {
    const mk = (name: string, owner?: string) => {
      const d = path.join(tmp, name);
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'stats.jsonl'), '{}\n');
      if (owner !== undefined) fs.writeFileSync(path.join(d, 'recorder'), owner);
      return d;
    };
    const selfStart = fs.readFileSync(`/proc/${process.pid}/stat`, 'latin1').split(') ')[1].split(' ')[19];
    const dead = mk('pyprof-tracemalloc-dead', '999999999 1');
    const reused = mk('pyprof-tracemalloc-reused', `${process.pid} 1`); // our pid, another start time: a dead recorder
    const live = mk('pyprof-tracemalloc-live', `${process.pid} ${selfStart}`);
    const unowned = mk('pyprof-tracemalloc-creating');
    const other = mk('something-else', '999999999 1');
    const victim = mk('victim');
    fs.symlinkSync(victim, path.join(tmp, 'pyprof-tracemalloc-link'));
    assert.equal(removeStaleSessionDirs(tmp), 2);
    assert.deepEqual([dead, reused, live, unowned, other, victim].map((d) => fs.existsSync(d)), [false, false, true, true, true, true]);
    assert.ok(fs.existsSync(path.join(victim, 'stats.jsonl')));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('record --memory=tracemalloc sweeps a dead recorder\'s folder before it starts', { skip: noPython, timeout: 60_000 }, async () => {
  const stale = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-tracemalloc-'));
  fs.writeFileSync(path.join(stale, 'recorder'), '999999999 1');
  const dir = tmpDir();
  try {
    const r = await runCli(['record', '--memory=tracemalloc', '-q', '-o', path.join(dir, 'm.json'), '--', py!.path, '-c', 'x = [0] * 1000']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fs.existsSync(stale));
  } finally {
    fs.rmSync(stale, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
