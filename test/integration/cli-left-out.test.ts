// The summary and the profile's notes say what a recording left out or added up: samples with no
// GIL holder under --gil (C code releasing the GIL), samples with nothing running without --idle,
// child processes that were not followed (suggesting --subprocesses), and how many processes and
// threads were added together with --subprocesses.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { atLeast, fixture, supportedInterpreters, tmpDir } from '../helpers';
import { runCli } from './cli-support';

const python = supportedInterpreters().at(-1);
const skip = python ? undefined : 'no CPython 3.8+ installed';
// accuracy.py's two multiprocessing workers; from 3.14 the default start method is forkserver, so
// the program also starts the fork server and the resource tracker (the workers fork from the server)
const children = python && atLeast(python, 3, 14) ? 4 : 2;

async function notesOf(args: string[]): Promise<{ notes: string[]; stderr: string }> {
  const dir = tmpDir();
  try {
    const out = path.join(dir, 'p.speedscope.json');
    const r = await runCli(['record', '-o', out, ...args]);
    assert.equal(r.code, 0, r.stderr);
    return { notes: JSON.parse(fs.readFileSync(out, 'utf8')).pyprof.meta.notes, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('--gil with the GIL released in C (hashlib on 64 MB): the note gives the share left out and why', { skip }, async () => {
  const dir = tmpDir();
  try {
    const script = path.join(dir, 'released.py');
    fs.writeFileSync(script, "import hashlib, time\ndata = b'x' * (64 << 20)\nend = time.perf_counter() + 1.5\nwhile time.perf_counter() < end:\n    hashlib.sha256(data).digest()\n");
    const { notes, stderr } = await notesOf(['--gil', '--', python!.path, script]);
    const note = notes.find((n) => n.startsWith('--gil: no thread held the GIL in'));
    assert.ok(note, notes.join('\n'));
    assert.match(note, /C code that releases the GIL .* the profile covers [\d.]+ s of [\d.]+ s recorded/);
    assert.ok(stderr.includes('note: --gil: no thread held the GIL'), 'in the summary too');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('child processes without --subprocesses: the note says they exist and suggests the flag; idle share noted', { skip }, async () => {
  const { notes } = await notesOf(['--', python!.path, fixture('accuracy.py'), 'processes', '1.5']);
  assert.ok(notes.some((n) => new RegExp(`^the program started ${children} child processes .* add --subprocesses to follow them$`).test(n)), notes.join('\n'));
  assert.ok(notes.some((n) => /^no thread was running in \d+ of \d+ samples .* Add --idle to see where it waits$/.test(n)), notes.join('\n'));
});

test('--subprocesses: processes and threads counted, times said to add up', { skip }, async () => {
  const { notes } = await notesOf(['--subprocesses', '--idle', '--', python!.path, fixture('accuracy.py'), 'processes', '1.5']);
  assert.ok(notes.some((n) => new RegExp(`^sampled ${children + 1} processes and \\d+ threads; their times add up: [\\d.]+ s of thread time in [\\d.]+ s recorded`).test(n)), notes.join('\n'));
  assert.ok(!notes.some((n) => n.includes('add --subprocesses')), 'no suggestion when already following');
});
