// `pyprof dump --async` on every installed CPython: a real asyncio program (test/fixtures/
// async_tasks.py: a stdlib TCP echo server loaded by clients from this test, a parked tree of tasks
// built with gather, nested gather, shield, a direct await and (3.11+) a TaskGroup, and a second
// thread running its own loop). Every task the target itself lists (asyncio.all_tasks) must be
// found with its coroutine chain (function and line of each frame, from cr_await), and every
// awaits/awaited-by link the program built must be there with how it was built.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { fixture, killQuietly, startFixture, tmpDir } from '../helpers';
import { markerLine, runCli, versionCases } from './cli-support';
import type { AsyncTask, ThreadStack } from '../../src/engine/types';

/** Versions whose value offsets tools/offsets/generateObjects.mjs generates. */
const VALUE_MINORS = ['3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14'];
const FIXTURE = 'async_tasks.py';

/** child task name → [parent task name, how] as the fixture builds them */
function expectedLinks(minor: number): Record<string, [string, string]> {
  const links: Record<string, [string, string]> = {
    'tree-root': ['main', 'await'],
    'gather-parent': ['tree-root', 'gather'],
    'shield-parent': ['tree-root', 'gather'],
    'await-parent': ['tree-root', 'gather'],
    'gather-child-1': ['gather-parent', 'gather'],
    'gather-child-2': ['gather-parent', 'gather'],
    'shielded-child': ['shield-parent', 'shield'],
    'direct-child': ['await-parent', 'await'],
    'thread2-task': ['thread2-main', 'await'],
  };
  if (minor >= 11) {
    links['group-parent'] = ['tree-root', 'gather'];
    links['tg-child-1'] = ['group-parent', 'TaskGroup'];
    links['tg-child-2'] = ['group-parent', 'TaskGroup'];
  }
  return links;
}

/** Clients that keep the echo server busy: each sends a line and waits for its echo, in a loop. */
function loadServer(port: number, clients: number): () => void {
  const sockets: net.Socket[] = [];
  let stopped = false;
  for (let i = 0; i < clients; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    const send = () => { if (!stopped) s.write(`ping ${i}\n`); };
    s.on('connect', send);
    s.on('data', () => setTimeout(send, 1));
    sockets.push(s);
  }
  return () => { stopped = true; for (const s of sockets) s.destroy(); };
}

interface Doc { threads: ThreadStack[]; tasks: AsyncTask[]; taskNotes: string[] }

for (const c of versionCases()) {
  const skip = c.skip ?? (c.interp && !VALUE_MINORS.includes(c.interp.minor) ? `asyncio tasks are read on CPython 3.8-3.14 only (value offsets are generated for those)` : undefined);
  test(`dump --async lists every task with its chain and the gather/shield/TaskGroup/await tree [${c.label}]`, { skip }, async () => {
    const minor = Number(c.interp!.minor.split('.')[1]);
    const truthFile = path.join(tmpDir(), 'tasks.json');
    const target = await startFixture(c.interp!.path, fixture(FIXTURE), [truthFile]);
    let stopLoad = () => undefined as void;
    try {
      const truth = JSON.parse(fs.readFileSync(truthFile, 'utf8')) as { port: number; tasks: Record<string, Array<[string, number]>> };
      stopLoad = loadServer(truth.port, 5);
      // Under load the handler tasks change state all the time: --blocking (ptrace) reads one
      // consistent moment (a non-blocking read can catch a task between its loop's bookkeeping
      // and its frame). A dump that saw all five is kept.
      let doc: Doc | undefined;
      const handlers = (d: Doc) => d.tasks.filter((t) => t.coroutine.at(-1)?.name === 'handle');
      for (let i = 0; i < 15; i++) {
        const r = await runCli(['dump', '--pid', String(target.pid), '--async', '--json', '--blocking']);
        assert.equal(r.code, 0, r.stderr);
        doc = JSON.parse(r.stdout) as Doc;
        if (handlers(doc).length === 5) break;
      }
      assert.ok(doc);
      assert.equal(handlers(doc).length, 5, `five connection handlers: ${JSON.stringify(doc.tasks.map((t) => [t.name, t.coroutine.map((f) => f.name)]))}`);
      for (const h of handlers(doc)) {
        // suspended: in reader.readline() or writer.drain(); running (its frames are its thread's): any line of handle()
        const line = h.coroutine.at(-1)!.line;
        if (h.running) assert.ok(line >= markerLine(FIXTURE, 'async def handle') && line <= markerLine(FIXTURE, 'writer.close()'), JSON.stringify(h));
        else assert.ok([markerLine(FIXTURE, 'SERVER_READ'), markerLine(FIXTURE, 'writer.drain()')].includes(line), JSON.stringify(h));
      }
      const byName = new Map(doc.tasks.map((t) => [t.name, t]));
      // every parked task the target listed, with its chain exactly (outermost first in the truth)
      for (const [name, chain] of Object.entries(truth.tasks)) {
        const t = byName.get(name);
        assert.ok(t, `task ${name} found (have: ${[...byName.keys()].join(', ')})`);
        if (name === 'main' || name === 'thread2-main' || name === 'tree-root') {
          assert.equal(t.coroutine.at(-1)?.name.split('.').pop(), chain[0][0], `${name}'s coroutine`);
          continue; // their lines moved on after the truth was taken (main wrote it)
        }
        const got = [...t.coroutine].reverse().map((f) => [f.name.split('.').pop(), f.line]);
        assert.deepEqual(got, chain, `chain of ${name}`);
        assert.equal(t.state, 'pending');
      }
      for (const [child, [parent, via]] of Object.entries(expectedLinks(minor))) {
        const ct = byName.get(child)!, pt = byName.get(parent)!;
        assert.ok(ct && pt, `${child} and ${parent} present`);
        assert.ok(ct.awaitedBy.some((l) => l.id === pt.id && l.via === via), `${child} awaited by ${parent} via ${via}: ${JSON.stringify(ct.awaitedBy)}`);
        assert.ok(pt.awaits.some((l) => l.id === ct.id && l.via === via), `${parent} awaits ${child}`);
      }
      assert.equal(byName.get('gather-child-1')!.awaiting, 'Future');
      assert.equal(byName.get('await-parent')!.awaiting, 'Task direct-child');
      // loops belong to their threads
      const loop2 = doc.threads.find((t) => t.name === 'loop2')!;
      const mainThread = doc.threads.find((t) => t.name === 'MainThread')!;
      assert.equal(byName.get('thread2-task')!.threadId, loop2.threadId);
      assert.equal(byName.get('tree-root')!.threadId, mainThread.threadId);
      assert.notEqual(byName.get('thread2-task')!.loop, byName.get('tree-root')!.loop);

      const text = await runCli(['dump', '--pid', String(target.pid), '--async']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^asyncio loop 0x[0-9a-f]+ in thread \d+ "loop2": 2 tasks$/m);
      const file = fixture(FIXTURE);
      assert.ok(text.stdout.includes(`await → Task "direct-child" (pending, id 0x${byName.get('direct-child')!.id.toString(16)})`), text.stdout);
      assert.ok(text.stdout.includes(`leaf (${file}:${markerLine(FIXTURE, 'LEAF_WAIT')})`), text.stdout);
    } finally {
      stopLoad();
      killQuietly(target);
    }
  });
}
