// A launched command that ends before it can be sampled (issue 21.6): every time the same answer —
// the command's own exit status, one line saying it ended before it could be sampled, no profile
// and no journal left — rather than sometimes an error and sometimes an empty profile.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { interpreterFor, supportedInterpreters, tmpDir } from '../helpers';
import { runCli } from './cli-support';

const py = interpreterFor('3.12') ?? supportedInterpreters().at(-1);

test('a command that is never Python and exits at once: its exit status and one line, every time', { timeout: 120_000 }, async () => {
  const dir = tmpDir();
  try {
    for (let i = 0; i < 8; i++) {
      const out = path.join(dir, `sh${i}.json`);
      const r = await runCli(['record', '-o', out, '--', 'sh', '-c', 'exit 3']);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stderr, "pyprof: 'sh -c exit 3' exited with code 3 before it could be sampled; no profile written\n");
    }
    const killed = await runCli(['record', '-o', path.join(dir, 'k.json'), '--', 'sh', '-c', 'kill -TERM $$']);
    assert.equal(killed.code, 128 + 15, killed.stderr);
    assert.match(killed.stderr, /was killed by SIGTERM before it could be sampled/);
    assert.deepEqual(fs.readdirSync(dir), [], 'no profile, no journal, no temporary file');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a Python program that ends in its first milliseconds: the exit status is its own whenever no profile is written', { skip: py ? undefined : 'no supported CPython installed', timeout: 120_000 }, async () => {
  const dir = tmpDir();
  const outcomes = { endedFirst: 0, sampled: 0 };
  try {
    for (let i = 0; i < 8; i++) {
      const out = path.join(dir, `py${i}.json`);
      const r = await runCli(['record', '-q', '-o', out, '--', py!.path, '-S', '-c', 'import os; os._exit(5)']);
      if (fs.existsSync(out)) {
        outcomes.sampled++; // it lived long enough for a sample: a normal profile
        assert.ok(JSON.parse(fs.readFileSync(out, 'utf8')).pyprof.meta.sampleCount >= 1);
      } else {
        outcomes.endedFirst++;
        assert.equal(r.code, 5, r.stderr);
        assert.match(r.stderr, /^pyprof: '.*os\._exit\(5\)' exited with code 5 before it could be sampled; no profile written\n$/);
      }
    }
    console.log(`python -c os._exit(5) x8: ${outcomes.endedFirst} ended before the first sample, ${outcomes.sampled} sampled`);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => !/^py\d\.json$/.test(f)), [], 'no journal or temporary file left');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
