// record --mode trace: the program runs under cProfile and the profile has exact call counts.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { importProfile } from '../../src/profile/formats';
import { fixture, oldAndNewestInterpreters, repoRoot, supportedInterpreters, tmpDir } from '../helpers';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const py = supportedInterpreters()[0];

// cProfile's output differs by version (2.7 writes marshal version 2, 3.x version 4)
for (const version of oldAndNewestInterpreters()) test(`record --mode trace writes exact call counts in the chosen format (${version.label})`, () => {
  const py = version;
  const dir = tmpDir();
  try {
    const out = path.join(dir, 'trace.speedscope.json');
    const r = spawnSync(process.execPath, [cli, 'record', '--mode', 'trace', '-o', out, '--', py.path, fixture('formats_workload.py')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const p = importProfile(fs.readFileSync(out), out);
    assert.equal(p.meta.mode, 'trace');
    assert.equal(p.frames.find((f) => f.name === 'leaf')!.calls, 150);
    assert.match(r.stderr, /150\s+leaf \(formats_workload\.py:2\)/);
    const collapsed = path.join(dir, 'trace.txt');
    assert.equal(spawnSync(process.execPath, [cli, 'record', '--mode', 'trace', '-f', 'collapsed', '-o', collapsed, '-q', '--', py.path, fixture('formats_workload.py')]).status, 0);
    assert.match(fs.readFileSync(collapsed, 'utf8'), /main \(.*formats_workload\.py:8\);helper/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C during a traced recording still writes the profile', async () => {
  const dir = tmpDir();
  try {
    const out = path.join(dir, 'trace.json');
    const child = spawn(process.execPath, [cli, 'record', '--mode', 'trace', '-o', out, '--', py.path, fixture('trace_long.py')], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise((r) => child.stdout.once('data', r));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 0);
    const p = importProfile(fs.readFileSync(out), out);
    assert.ok(p.frames.find((f) => f.name === 'tick')!.calls! >= 5);
    assert.ok(p.meta.notes!.some((n) => /SIGINT/.test(n)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tracing refuses --pid with a clear message', () => {
  const r = spawnSync(process.execPath, [cli, 'record', '--mode', 'trace', '--pid', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /tracing mode starts the program itself/);
});
