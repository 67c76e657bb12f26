// `pyprof dump --locals`: each frame's local variables, read from outside, on every installed
// CPython: scalars equal the repr() the target itself computes; containers show size and first
// items; cell variables show their contents; unsupported builds fail with a clear error.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, killQuietly, startFixture, tmpDir } from '../helpers';
import { markerLine, runCli, versionCases } from './cli-support';
import type { ThreadStack } from '../../src/engine/types';

/** Versions whose value offsets tools/offsets/generateObjects.mjs generates. */
const VALUE_MINORS = ['3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14'];
const FIXTURE = 'locals_known.py';

for (const c of versionCases()) {
  const skip = c.skip ?? (c.interp && !VALUE_MINORS.includes(c.interp.minor) ? `locals are read on CPython 3.8-3.14 only (value offsets are generated for those)` : undefined);
  test(`dump --locals shows each frame's variables as the target's repr() [${c.label}]`, { skip }, async () => {
    const truth = path.join(tmpDir(), 'reprs.json');
    const target = await startFixture(c.interp!.path, fixture(FIXTURE), [truth]);
    try {
      const expected = JSON.parse(fs.readFileSync(truth, 'utf8')) as Record<string, string> | null;
      const r = await runCli(['dump', '--pid', String(target.pid), '--locals', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const threads = (JSON.parse(r.stdout) as { threads: ThreadStack[] }).threads;
      // the run state survives adding locals (a spread of the sampled thread once dropped its
      // lazily read state, so a busy thread was labelled off CPU in the debugger's dump)
      for (const t of threads) assert.equal(typeof t.active, 'boolean', `thread ${t.name} has no run state: ${JSON.stringify(Object.keys(t))}`);
      const main = threads.find((t) => t.name === 'MainThread')!;
      const holder = main.frames.find((f) => f.name === 'holder');
      assert.ok(holder, JSON.stringify(main.frames));
      const vars = new Map(holder.locals!.map((v) => [v.name, v.value]));
      if (expected) {
        for (const [name, repr] of Object.entries(expected)) assert.equal(vars.get(name), repr, `local ${name}`);
      } else {
        assert.fail('the fixture did not print its reprs');
      }
      assert.equal(vars.get('count'), '42');
      assert.equal(vars.get('blob'), "b'ab\\x00\\xffab\\x00\\xffab\\x00\\xffab\\x00\\xffab\\x00\\xffab\\x00\\xffab\\x00\\xffab\\x00\\xff'… (80 bytes)");
      assert.equal(vars.get('items'), '[0, 1, 2, …] (10 items)');
      assert.equal(vars.get('pair'), "(1, 'a')");
      assert.equal(vars.get('table'), "{'k': 1, 'j': [1]}");
      assert.equal(vars.get('tags'), "frozenset({'x'})");
      assert.equal(vars.get('widget'), '<Widget object>');
      assert.equal(vars.get('long_text'), `'${'y'.repeat(60)}'…`);
      const cell = main.frames.find((f) => f.name === 'with_cell')!;
      assert.equal(new Map(cell.locals!.map((v) => [v.name, v.value])).get('captured'), "'cell value'");
      const worker = threads.find((t) => t.name === 'worker')!;
      assert.equal(worker.frames[0].locals!.find((v) => v.name === 'worker_local')?.value, '99');

      const text = await runCli(['dump', '--pid', String(target.pid), '--locals']);
      assert.equal(text.code, 0, text.stderr);
      const file = fixture(FIXTURE);
      assert.ok(text.stdout.includes(`    holder (${file}:${markerLine(FIXTURE, 'HOLD_LINE')})\n        count = 42\n        label = 'lbl'\n`), text.stdout);
      // without --locals nothing changes
      const plain = await runCli(['dump', '--pid', String(target.pid), '--json']);
      assert.ok(!plain.stdout.includes('"locals"'));
    } finally {
      killQuietly(target);
    }
  });
}

for (const c of versionCases().filter((v) => v.interp && !VALUE_MINORS.includes(v.interp.minor))) {
  test(`dump --locals on ${c.label}: one clear "not supported" error; dump --async still dumps the stacks with a note`, async () => {
    const target = await startFixture(c.interp!.path, fixture('exit_after.py'), ['60']);
    try {
      const r = await runCli(['dump', '--pid', String(target.pid), '--locals']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`reading local variables is not supported on Python ${c.interp!.version.replace(/\./g, '\\.')}; supported: CPython 3\\.8 to 3\\.14`));
      const a = await runCli(['dump', '--pid', String(target.pid), '--async']);
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /work_until_exit \(/);
      assert.match(a.stdout, /asyncio note: reading asyncio tasks is not supported on Python/);
    } finally {
      killQuietly(target);
    }
  });
}
