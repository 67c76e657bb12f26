// `pyprof dump` text and --json on every installed CPython.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fixture, killQuietly, startFixture } from '../helpers';
import { markerLine, runCli, versionCases } from './cli-support';
import type { ThreadStack } from '../../src/engine/types';

for (const c of versionCases()) {
  test(`dump prints every thread with file:line, name, idle/GIL state; --json [${c.label}]`, { skip: c.skip }, async () => {
    const target = await startFixture(c.interp!.path, fixture('idle_gil.py'), ['60']);
    try {
      const file = fixture('idle_gil.py');
      // The sleeper wakes every 0.2 s to print; on a busy machine a dump can catch it awake and
      // runnable, and the busy main thread waiting for a core (then off CPU: types.ts). Take a few
      // dumps and check the one that caught the sleeper asleep and main on a core (the usual case).
      const asleep = (out: string) => /^Thread \d+ \(idle\): "sleeper"$/m.test(out) && out.includes(`sleeping_worker (${file}:${markerLine('idle_gil.py', 'SLEEP_LINE')})`) &&
        /^Thread \d+ \(active(\+gil)?\): "MainThread"$/m.test(out);
      let r = await runCli(['dump', '--pid', String(target.pid)]);
      for (let i = 0; i < 10 && r.code === 0 && !asleep(r.stdout); i++) r = await runCli(['dump', '--pid', String(target.pid)]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Process ${target.pid}: `, 'm'));
      assert.match(r.stdout, new RegExp(`^Python v${c.interp!.version.replace(/\./g, '\\.')} `, 'm'));
      assert.match(r.stdout, /^Thread \d+ \(idle\): "sleeper"$/m);
      assert.match(r.stdout, /^Thread \d+ \(active(\+gil)?\): "MainThread"$/m);
      assert.ok(r.stdout.includes(`    sleeping_worker (${file}:${markerLine('idle_gil.py', 'SLEEP_LINE')})`), r.stdout);
      assert.ok(r.stdout.includes(`    busy_main (${file}:`), r.stdout);
      assert.ok(r.stdout.includes(`    <module> (${file}:`), r.stdout);

      let j = await runCli(['dump', '--pid', String(target.pid), '--json']);
      const sleeping = (out: string) => {
        const t = (JSON.parse(out) as { threads: ThreadStack[] }).threads.find((x) => x.name === 'sleeper');
        return t && !t.active && t.frames[0]?.name === 'sleeping_worker' && t.frames[0].line === markerLine('idle_gil.py', 'SLEEP_LINE');
      };
      for (let i = 0; i < 10 && j.code === 0 && !sleeping(j.stdout); i++) j = await runCli(['dump', '--pid', String(target.pid), '--json']);
      assert.equal(j.code, 0, j.stderr);
      const doc = JSON.parse(j.stdout) as { pid: number; version: string; threads: ThreadStack[] };
      assert.equal(doc.pid, target.pid);
      assert.equal(doc.version, c.interp!.version);
      const sleeper = doc.threads.find((t) => t.name === 'sleeper');
      assert.ok(sleeper, 'sleeper thread in JSON');
      assert.equal(sleeper.active, false);
      assert.equal(sleeper.frames[0].name, 'sleeping_worker');
      assert.equal(sleeper.frames[0].line, markerLine('idle_gil.py', 'SLEEP_LINE'));
      assert.ok(sleeper.frames.at(-1)!.name.endsWith('_bootstrap'), 'a thread starts in threading._bootstrap');
      const main = doc.threads.find((t) => t.name === 'MainThread');
      assert.ok(main && main.frames.some((f) => f.name === 'busy_main'));
    } finally {
      killQuietly(target);
    }
  });
}
