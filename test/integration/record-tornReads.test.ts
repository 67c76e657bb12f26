// A stack that changes faster than it can be read while the program runs (test/fixtures/torn_recursion.py:
// two threads recursing 0-40 deep in a tight loop; on CPython 3.10 and older frames are heap objects
// recycled under the reader). By default such a sample is read once more with the program paused for
// that read, so none is dropped; --nonblocking never pauses and drops them. Either way the program
// keeps running afterwards. (Mean depth against --blocking is measured in `npm run bench -- --only=torn`.)
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, killQuietly, startFixture, tmpDir } from '../helpers';
import { parseCollapsed, runCli, total, versionCases } from './cli-support';
import { processState } from '../../src/engine/proc/procfs';

const DROPPED = /(\d+) of (\d+) samples \([\d.]+ %\) were dropped/;
const PAUSED = /(\d+) of (\d+) samples \([\d.]+ %\) were read with the program paused/;

for (const c of versionCases()) {
  test(`record keeps every sample of a churning stack, pausing only for torn reads; --nonblocking drops them [${c.label}]`, { skip: c.skip }, async () => {
    const dir = tmpDir();
    const target = await startFixture(c.interp!.path, fixture('torn_recursion.py'));
    try {
      const out = path.join(dir, 'torn.txt');
      const r = await runCli(['record', '--pid', String(target.pid), '--rate', '500', '--duration', '2', '-f', 'collapsed', '-o', out]);
      assert.equal(r.code, 0, r.stderr);
      const dropped = DROPPED.exec(r.stderr);
      const paused = PAUSED.exec(r.stderr);
      console.log(`# default: ${paused ? `${paused[1]} of ${paused[2]} read paused` : 'none read paused'}, ${dropped ? `${dropped[1]} dropped` : 'none dropped'}`);
      assert.equal(dropped, null, `no sample dropped by default: ${r.stderr}`);
      assert.ok(total(parseCollapsed(fs.readFileSync(out, 'utf8'))) > 0, 'stacks recorded');
      assert.notEqual(processState(target.pid!), 't', 'the program runs after the recording');

      const strict = await runCli(['record', '--pid', String(target.pid), '--rate', '500', '--duration', '2', '--nonblocking', '-f', 'collapsed', '-o', path.join(dir, 'strict.txt')]);
      assert.equal(strict.code, 0, strict.stderr);
      console.log(`# --nonblocking: ${DROPPED.exec(strict.stderr)?.[0] ?? 'none dropped'}`);
      assert.equal(PAUSED.exec(strict.stderr), null, `--nonblocking never pauses: ${strict.stderr}`);
      assert.notEqual(processState(target.pid!), 't', 'the program runs after the recording');
    } finally {
      killQuietly(target);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
