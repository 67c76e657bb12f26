// asyncio tasks in the debug adapter's Call Stack (issue 15): attach to a real asyncio program
// (async_tasks.py: a parked tree of gather/shield/await/TaskGroup tasks and a second thread's loop),
// pause, and every task is a pseudo-thread named with its state and loop thread, whose frames are
// its coroutine chain, innermost first, opening the fixture at the lines the program itself
// reports (cr_await chains written to a JSON file), followed by who awaits it.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, interpreterFor, killQuietly, repoRoot, startFixture, tmpDir } from '../helpers';

const ADAPTER = path.join(repoRoot, 'dist', 'debugAdapter.js');
const FIXTURE = fixture('async_tasks.py');

// the oldest version whose tasks pyprof reads, the newest read from asyncio's own sets (3.13), and
// 3.14, whose C tasks live in per-thread lists found through the _asyncio module's debug offsets
const VERSIONS = ['3.8', '3.13', '3.14'];
const mainAwait = fs.readFileSync(FIXTURE, 'utf8').split('\n').findIndex((l) => l.includes('MAIN_AWAIT')) + 1;
const fixtureFunctions = new Set([...fs.readFileSync(FIXTURE, 'utf8').matchAll(/^(?:async )?def (\w+)/gm)].map((m) => m[1]));

for (const minor of VERSIONS) {
  const py = interpreterFor(minor);
  test(`pause lists asyncio tasks as pseudo-threads with their coroutine chains (Python ${minor})`, { skip: py ? undefined : `CPython ${minor} is not installed` }, async (t) => {
    if (!fs.existsSync(ADAPTER)) return t.skip('dist/debugAdapter.js missing: run npm run build');
    const dir = tmpDir();
    const truthFile = path.join(dir, 'truth.json');
    const target = await startFixture(py!.path, FIXTURE, [truthFile]);
    const dc = new DebugClient(process.execPath, ADAPTER, 'pyprof', undefined, true);
    dc.defaultTimeout = 20000;
    await dc.start();
    try {
      const truth = JSON.parse(fs.readFileSync(truthFile, 'utf8')).tasks as Record<string, Array<[string, number]>>;
      const configured = dc.configurationSequence();
      await dc.initializeRequest();
      await Promise.all([configured, dc.attachRequest({ processId: target.pid, blocking: true, rate: 50, output: path.join(dir, 'a.speedscope.json') } as never)]);
      const stopped = dc.waitForEvent('stopped');
      await dc.pauseRequest({ threadId: 0 });
      await stopped;
      const threads = (await dc.threadsRequest()).body.threads;
      const tasks = threads.filter((th) => th.name.startsWith('asyncio task '));
      const byName = new Map(tasks.map((th) => [/^asyncio task "([^"]*)"/.exec(th.name)![1], th]));
      for (const name of Object.keys(truth)) assert.ok(byName.has(name), `task ${name} listed: ${tasks.map((th) => th.name).join(' | ')}`);
      assert.ok(threads.some((th) => th.name.startsWith('MainThread')), 'the real threads are still there');
      assert.ok(tasks.every((th) => th.id >= 2 ** 30), 'task ids never collide with thread ids');
      assert.match(byName.get('thread2-task')!.name, /suspended on loop2/);
      assert.match(byName.get('gather-child-1')!.name, /suspended on MainThread, awaiting /);

      for (const [name, chain] of Object.entries(truth)) {
        if (chain.length === 0) continue;
        const frames = (await dc.stackTraceRequest({ threadId: byName.get(name)!.id })).body.stackFrames;
        const coroutine = frames.filter((f) => f.presentationHint !== 'label');
        // the program wrote each chain outermost first; 'main' wrote its own while running, then parked at MAIN_AWAIT
        const expected = name === 'main' ? [['main', mainAwait]] : [...chain].reverse();
        // 3.11+ show qualified names (TaskGroup.__aexit__) where the program's co_name is __aexit__
        const shown = coroutine.map((f, i) => [f.name.endsWith(`.${expected[i]?.[0]}`) ? expected[i][0] : f.name, f.line]);
        assert.deepEqual(shown, expected, `task ${name}: ${frames.map((f) => `${f.name}:${f.line}`).join(' < ')}`);
        for (const f of coroutine) {
          // the fixture's coroutines open the fixture; asyncio's own (Event.wait) open the stdlib file
          if (fixtureFunctions.has(f.name)) assert.equal(f.source?.path, FIXTURE, `${name}: ${f.name} opens the fixture`);
          else assert.ok(f.source?.path && fs.existsSync(f.source.path), `${name}: ${f.name} opens its source (${f.source?.path})`);
        }
        const scopes = (await dc.scopesRequest({ frameId: coroutine[0].id })).body.scopes;
        assert.deepEqual(scopes, [], 'no locals are claimed for a suspended coroutine');
      }
      const child = (await dc.stackTraceRequest({ threadId: byName.get('gather-child-1')!.id })).body.stackFrames;
      assert.equal(child[child.length - 1].name, 'awaited by task "gather-parent" (gather)', child.map((f) => f.name).join(' < '));
      const direct = (await dc.stackTraceRequest({ threadId: byName.get('direct-child')!.id })).body.stackFrames;
      assert.equal(direct[direct.length - 1].name, 'awaited by task "await-parent" (await)');

      await dc.continueRequest({ threadId: tasks[0].id });
      const ready = dc.waitForEvent('pyprofProfileReady', 20000);
      await dc.disconnectRequest({});
      await ready;
      assert.equal(target.exitCode, null, 'attach: the target outlives the session');
    } finally {
      await dc.stop().catch(() => undefined);
      killQuietly(target);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
