// A program that execs (issue 21.8): `record -- python exec_into.py` where the program os.execv's
// another Python program keeps sampling in the new interpreter (both programs in the profile, no
// flood of failed samples); exec into a non-Python program (/bin/sleep) stops sampling with a note
// naming it, and no errors. Every installed CPython 3.8+ (pyenv builds are PIE: the old addresses
// vanish at exec; Debian's static python3 keeps them).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, tmpDir } from '../helpers';
import { parseCollapsed, runCli, selfCount, versionCases } from './cli-support';

for (const c of versionCases()) {
  test(`exec into Python: sampling follows the new interpreter [${c.label}]`, { skip: c.skip, timeout: 60_000 }, async () => {
    const dir = tmpDir();
    try {
      const out = path.join(dir, 'exec.txt');
      const r = await runCli(['record', '--rate', '200', '-f', 'collapsed', '-o', out, '--', c.interp!.path, fixture('exec_into.py'), 'python', '1.5']);
      assert.equal(r.code, 0, r.stderr);
      const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
      const before = selfCount(stacks, 'before_exec');
      const after = selfCount(stacks, 'after_exec');
      assert.ok(before >= 5 && after >= 5, `both programs sampled: before_exec ${before}, after_exec ${after}\n${r.stderr}`);
      const errors = Number(/(\d+) errors/.exec(r.stderr)?.[1]);
      // Debian's static, non-PIE python3 keeps its addresses across exec: reads during the new
      // interpreter's start-up fail a few times before it is consistent again
      assert.ok(errors <= (/pyenv/.test(c.label) ? 3 : 10), `at most a few samples lost at the exec itself, got ${errors}\n${r.stderr}`);
      if (/pyenv/.test(c.label)) assert.match(r.stderr, /exec'd \S*python\S* after [\d.]+ s; sampling went on in its new interpreter \(python [\d.]+: .*exec_after\.py\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`exec into a non-Python program: a note names it, no failed samples [${c.label}]`, { skip: c.skip, timeout: 60_000 }, async () => {
    const dir = tmpDir();
    try {
      const out = path.join(dir, 'sleep.txt');
      const r = await runCli(['record', '--rate', '200', '-f', 'collapsed', '-o', out, '--', c.interp!.path, fixture('exec_into.py'), 'sleep', '1.5']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /process \d+ exec'd \/\S*sleep after [\d.]+ s, which cannot be sampled \(.*not a Python process.*\); nothing of it is in the profile/);
      const errors = Number(/(\d+) errors/.exec(r.stderr)?.[1]);
      assert.ok(errors <= 3, `no flood of failed samples while sleep runs, got ${errors}\n${r.stderr}`);
      assert.ok(selfCount(parseCollapsed(fs.readFileSync(out, 'utf8')), 'before_exec') >= 5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
