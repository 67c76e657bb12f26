// --subprocesses: a multiprocessing pool's workers and a grandchild behind a child process.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, tmpDir } from '../helpers';
import { collect, parseCollapsed, spawnCli, versionCases } from './cli-support';
import type { RecordEvent } from '../../src/recording/events';

for (const c of versionCases()) {
  test(`record --subprocesses follows pool workers and a grandchild [${c.label}]`, { skip: c.skip }, async () => {
    const dir = tmpDir();
    try {
      const out = path.join(dir, 'pool.txt');
      const cli = spawnCli(['record', '--subprocesses', '--rate', '200', '-f', 'collapsed', '-o', out, '--events-fd', '3', '--', c.interp!.path, fixture('pool_workers.py'), '2.5'], 1);
      let ev = '';
      (cli.stdio[3] as NodeJS.ReadableStream).on('data', (d) => (ev += d));
      const r = await collect(cli, 90000);
      assert.equal(r.code, 0, r.stderr);
      const events: RecordEvent[] = ev.trim().split('\n').map((l) => JSON.parse(l));
      const started = events.find((e) => e.type === 'started') as Extract<RecordEvent, { type: 'started' }>;
      const children = events.filter((e) => e.type === 'subprocess').map((e) => (e as Extract<RecordEvent, { type: 'subprocess' }>).pid);
      assert.ok(children.length >= 3, `expected pool workers, the child and the grandchild as subprocess events, got ${children.join(',')}`);
      const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
      const rootPid = (s: { frames: string[] }) => Number(/^process (\d+)/.exec(s.frames[0])?.[1]);
      for (const s of stacks) assert.ok(Number.isInteger(rootPid(s)), `process root frame expected: ${s.frames[0]}`);
      const workerPids = new Set(stacks.filter((s) => s.frames.some((f) => f.startsWith('pool_worker_spin ('))).map(rootPid));
      assert.ok(workerPids.size >= 2, `pool_worker_spin seen in ${workerPids.size} processes`);
      assert.ok(!workerPids.has(started.pid), 'workers are other processes than the launched one');
      const grand = stacks.filter((s) => s.frames.some((f) => f.startsWith('grandchild_spin (')));
      assert.ok(grand.length > 0, 'grandchild sampled');
      assert.ok(children.includes(rootPid(grand[0])), 'grandchild announced as a subprocess');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
