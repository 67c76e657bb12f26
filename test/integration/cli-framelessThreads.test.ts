// Threads without Python frames (issue 21.5): with --idle every thread is in the profile — a thread
// that only runs C code (uwsgi's workers, _thread.start_new_thread(time.sleep)) under a
// `<no Python frames>` leaf — so each thread's wall time adds up; without --idle nothing changes.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, killQuietly, startFixture, tmpDir } from '../helpers';
import { parseCollapsed, runCli, versionCases } from './cli-support';

for (const c of versionCases()) {
  test(`--idle keeps threads with no Python frames as <no Python frames> [${c.label}]`, { skip: c.skip, timeout: 60_000 }, async () => {
    const dir = tmpDir();
    const target = await startFixture(c.interp!.path, fixture('no_python_frames.py'));
    try {
      const out = path.join(dir, 'idle.txt');
      const r = await runCli(['record', '--pid', String(target.pid), '--idle', '--threads', '--rate', '100', '--duration', '1', '-f', 'collapsed', '-o', out]);
      assert.equal(r.code, 0, r.stderr);
      const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
      const perThread = new Map<string, { frameless: number; total: number }>();
      for (const s of stacks) {
        const t = perThread.get(s.frames[0]) ?? { frameless: 0, total: 0 };
        t.total += s.count;
        if (s.frames.length === 2 && s.frames[1].startsWith('<no Python frames>')) t.frameless += s.count;
        perThread.set(s.frames[0], t);
      }
      const frameless = [...perThread.values()].filter((t) => t.frameless === t.total);
      assert.equal(perThread.size, 3, `three threads in the profile: ${[...perThread.keys()].join(', ')}`);
      assert.equal(frameless.length, 2, 'both C-only threads are there, all of their samples <no Python frames>');
      const totals = [...perThread.values()].map((t) => t.total);
      assert.ok(Math.max(...totals) - Math.min(...totals) <= 2, `every thread has the same wall time: ${totals.join(', ')}`);
      // Without --idle these sleeping threads (and the sleeping main thread) are dropped, as before.
      const active = path.join(dir, 'active.txt');
      const a = await runCli(['record', '--pid', String(target.pid), '--rate', '100', '--duration', '0.5', '-f', 'collapsed', '-o', active]);
      assert.equal(a.code, 0, a.stderr);
      assert.ok(!fs.readFileSync(active, 'utf8').includes('<no Python frames>'));
    } finally {
      killQuietly(target);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
