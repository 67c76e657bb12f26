// dist/samplerWorker.js: sampling in a worker thread, stopped by a message, profile delivered.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { fixture, killQuietly, repoRoot, startFixture } from '../helpers';
import { versionCases } from './cli-support';
import type { SamplerWorkerMessage, SamplerWorkerRequest } from '../../src/engine/samplerWorker';
import { functionStats } from '../../src/profile/model';

const workerJs = path.join(repoRoot, 'dist', 'samplerWorker.js');

for (const c of versionCases()) {
  test(`sampler worker records until told to stop and posts started, progress, done with the profile [${c.label}]`, { skip: c.skip }, async () => {
    const py = c.interp!;
    if (!fs.existsSync(workerJs)) throw new Error(`${workerJs} missing: run npm run build`);
    const target = await startFixture(py.path, fixture('split_cpu.py'), ['60']);
    try {
      const req: SamplerWorkerRequest = { pid: target.pid, options: { rate: 200, gil: false, idle: false, subprocesses: false, blocking: false }, progressMs: 200 };
      const worker = new Worker(workerJs, { workerData: req });
      const messages: SamplerWorkerMessage[] = [];
      await new Promise<void>((resolve, reject) => {
        worker.on('message', (m: SamplerWorkerMessage) => {
          messages.push(m);
          if (m.type === 'progress' && m.samples > 100) worker.postMessage({ type: 'stop' });
          if (m.type === 'done' || m.type === 'error') resolve();
        });
        worker.on('error', reject);
        setTimeout(() => reject(new Error('worker did not finish')), 30000);
      });
      await worker.terminate();
      assert.equal(messages[0].type, 'started');
      const done = messages.at(-1)!;
      assert.equal(done.type, 'done', JSON.stringify(done));
      if (done.type !== 'done') return;
      assert.equal(done.reason, 'stopped');
      const p = done.profile;
      assert.equal(p.meta.pid, target.pid);
      assert.equal(p.meta.pythonVersion, py.version);
      assert.ok(p.meta.sampleCount! > 100);
      const st = functionStats(p);
      const a = p.frames.findIndex((f) => f.name === 'cpu_share_a');
      assert.ok(a >= 0 && st[a].self > 0);
    } finally {
      killQuietly(target);
    }
  });
}

test('sampler worker reports an engine error with its code', async () => {
  const worker = new Worker(workerJs, { workerData: { pid: 0x3fffff, options: { rate: 100, gil: false, idle: false, subprocesses: false, blocking: false } } });
  const m = await new Promise<SamplerWorkerMessage>((resolve) => worker.once('message', resolve));
  await worker.terminate();
  assert.equal(m.type, 'error');
  if (m.type === 'error') assert.equal(m.code, 'NO_SUCH_PROCESS');
});
