// fork without exec (issue 21.9): without --subprocesses only the parent is sampled, and the notes
// (and so the summary) say that it started children that are not in the profile; with
// --subprocesses no such note.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, interpreterFor, supportedInterpreters, tmpDir } from '../helpers';
import { runCli } from './cli-support';

const py = interpreterFor('3.12') ?? supportedInterpreters().at(-1);

test('a forked child that is not followed is said in the notes and the summary', { skip: py ? undefined : 'no supported CPython installed', timeout: 60_000 }, async () => {
  const dir = tmpDir();
  try {
    const out = path.join(dir, 'f.speedscope.json');
    const r = await runCli(['record', '-o', out, '--', py!.path, fixture('fork_no_exec.py'), '1.0']);
    assert.equal(r.code, 0, r.stderr);
    // the sampler's child count (src/cli/leftOutNotes.ts): the forked worker and the exec'd sleep
    assert.match(r.stderr, /pyprof: note: the program started \d+ child process(es)? \(multiprocessing, subprocess, fork\): .* not in this profile; add --subprocesses/);
    const notes: string[] = JSON.parse(fs.readFileSync(out, 'utf8')).pyprof.meta.notes;
    assert.ok(notes.some((n) => /started \d+ child process/.test(n)), notes.join('; '));
    const followed = await runCli(['record', '--subprocesses', '-o', path.join(dir, 's.speedscope.json'), '--', py!.path, fixture('fork_no_exec.py'), '1.0']);
    assert.equal(followed.code, 0, followed.stderr);
    assert.doesNotMatch(followed.stderr, /child process.* not in this profile/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
