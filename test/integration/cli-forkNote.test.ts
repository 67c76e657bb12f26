// fork without exec (issue 21.9): without --subprocesses only the parent is sampled, and the notes
// (and so the summary) say that it forked Python children that were not; a child that exec'd
// another program (subprocess.run(['sleep'])) is not counted; with --subprocesses no such note.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, interpreterFor, supportedInterpreters, tmpDir } from '../helpers';
import { runCli } from './cli-support';

const py = interpreterFor('3.12') ?? supportedInterpreters().at(-1);

test('a forked Python child that is not followed is named in the notes and the summary', { skip: py ? undefined : 'no supported CPython installed', timeout: 60_000 }, async () => {
  const dir = tmpDir();
  try {
    const out = path.join(dir, 'f.speedscope.json');
    const r = await runCli(['record', '-o', out, '--', py!.path, fixture('fork_no_exec.py'), '1.0']);
    assert.equal(r.code, 0, r.stderr);
    const note = /pyprof: note: process (\d+) forked 1 child process running Python \((\d+)\) that was not sampled: only \1 is in this profile; --subprocesses follows children too/.exec(r.stderr);
    assert.ok(note, r.stderr);
    const notes: string[] = JSON.parse(fs.readFileSync(out, 'utf8')).pyprof.meta.notes;
    assert.ok(notes.some((n) => n.includes(`forked 1 child process running Python (${note![2]})`)), notes.join('; '));
    const followed = await runCli(['record', '--subprocesses', '-o', path.join(dir, 's.speedscope.json'), '--', py!.path, fixture('fork_no_exec.py'), '1.0']);
    assert.equal(followed.code, 0, followed.stderr);
    assert.doesNotMatch(followed.stderr, /forked .* not sampled/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
