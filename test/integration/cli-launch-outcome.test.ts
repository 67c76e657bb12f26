// record -- CMD ends with the command's own exit status (as `time` does) and still writes the
// profile; a command that fails before any of its code runs (mistyped script) says so and prints
// no table of interpreter start-up.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { supportedInterpreters, tmpDir } from '../helpers';
import { runCli } from './cli-support';

const all = supportedInterpreters();
const pythons = [...new Set([all[0], all.at(-1)])].filter((p) => p !== undefined);

for (const py of pythons) {
  test(`a program exiting 3 makes record exit 3, profile written, table shown [${py.label}]`, async () => {
    const dir = tmpDir();
    try {
      const script = path.join(dir, 'fails.py');
      fs.writeFileSync(script, 'import sys, time\nend = time.time() + 2\nwhile time.time() < end:\n    pass\nsys.exit(3)\n');
      const out = path.join(dir, 'p.speedscope.json');
      const r = await runCli(['record', '-o', out, '--', py.path, script]);
      assert.equal(r.code, 3, r.stderr);
      assert.ok(fs.existsSync(out), 'profile still written');
      assert.match(r.stderr, /the command finished after [\d.]+ s \(exit code 3\)/);
      assert.match(r.stderr, /top functions by own time:/);
      assert.doesNotMatch(r.stderr, /failed before running/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`a mistyped script: exit status 2, "failed before running any of its code", no table [${py.label}]`, async () => {
    const dir = tmpDir();
    try {
      const out = path.join(dir, 'p.speedscope.json');
      const r = await runCli(['record', '-o', out, '--', py.path, path.join(dir, 'no_such_script.py')]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /can't open file/);
      assert.doesNotMatch(r.stderr, /top functions/);
      // Sampled during start-up (a profile with the note) or ended before the first attach (one
      // error line): either way the user is told, with the command's status.
      if (fs.existsSync(out)) {
        assert.match(r.stderr, /note: the command failed before running any of its code \(exit status 2\)/);
        const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
        assert.ok(doc.pyprof.meta.notes.some((n: string) => n.includes('failed before running any of its code')));
      } else {
        assert.match(r.stderr, /exited with code 2 before it could be sampled/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a program killed by a signal: status 128 + signal', { skip: pythons.length ? undefined : 'no CPython 3.8+' }, async () => {
  const dir = tmpDir();
  try {
    const script = path.join(dir, 'killed.py');
    fs.writeFileSync(script, 'import os, signal, time\nend = time.time() + 0.3\nwhile time.time() < end:\n    pass\nos.kill(os.getpid(), signal.SIGTERM)\n');
    const r = await runCli(['record', '-q', '-o', path.join(dir, 'p.json'), '--', pythons[0].path, script]);
    assert.equal(r.code, 128 + 15, r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
