// engine/native/mallocArenas.ts: after shareOneMallocArena, threads that start allocating share
// glibc's main arena (a long recording's malloc memory stays in one place, issue 18). Counted with
// malloc_info(3), whose XML lists one <heap> per arena, in a child process so this runner's own
// arenas do not count; the same child without the call is the control that makes the test able to fail.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { repoRoot } from '../helpers';

const mallocArenas = path.join(repoRoot, 'out/src/engine/native/mallocArenas.js');

/** Arenas added in a child while its 4 new worker threads each allocate and keep 64 × 64 KiB Buffers at once (they meet on the lock). */
function arenasAfterWorkers(share: boolean): number {
  const script = `
    const { Worker } = require('worker_threads');
    const koffi = require('koffi');
    if (${share}) require(${JSON.stringify(mallocArenas)}).shareOneMallocArena();
    const libc = koffi.load('libc.so.6');
    const fopen = libc.func('void *fopen(const char *path, const char *mode)');
    const fclose = libc.func('int fclose(void *f)');
    const mallocInfo = libc.func('int malloc_info(int options, void *f)');
    const count = () => {
      const file = require('path').join(require('os').tmpdir(), 'pyprof-malloc-info-' + process.pid + '.xml');
      const f = fopen(file, 'w');
      mallocInfo(0, f);
      fclose(f);
      const xml = require('fs').readFileSync(file, 'utf8');
      require('fs').rmSync(file);
      return (xml.match(/<heap nr=/g) || []).length;
    };
    const before = count();
    const work = 'const keep = []; for (let i = 0; i < 2000; i++) { keep.push(Buffer.alloc(65536 + i)); if (keep.length > 64) keep.shift(); } require("worker_threads").parentPort.postMessage(0);';
    let left = 4;
    const workers = [];
    for (let i = 0; i < 4; i++) {
      const w = new Worker(work, { eval: true });
      workers.push(w);
      w.once('message', () => {
        if (--left) return;
        console.log(count() - before);
        process.exit(0);
      });
    }`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: path.join(repoRoot, 'dist'), encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

test('shareOneMallocArena: threads started after it take no arena of their own (control: without it they do)', (t) => {
  if (process.platform !== 'linux') return t.skip('glibc malloc arenas: Linux only');
  // node's own threads (V8's platform workers) may hold arenas from before any JS ran: only new ones count
  const control = arenasAfterWorkers(false);
  if (control < 1) return t.skip(`without the call this child's workers added ${control} arenas: nothing to tell apart here`);
  const shared = arenasAfterWorkers(true);
  console.log(`arenas added by 4 workers: ${control} without the call, ${shared} with it`);
  assert.equal(shared, 0, `with the call the workers still added arenas (without it: ${control})`);
});
