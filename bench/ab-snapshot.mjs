#!/usr/bin/env node
// Before/after of one snapshot's cost, interleaved in one process (issue 18):
//   node bench/ab-snapshot.mjs OTHER_DIST [--quick]
// OTHER_DIST is another build's dist/ (e.g. `git archive <commit> | tar -x -C /tmp/old`, npm run
// build there). Both builds attach to the same target; for each CPython (3.8, 3.11, 3.12, 3.13 when
// installed) and depth (5, 200) they take turns: 5 rounds of N back-to-back snapshots each, CPU µs
// per snapshot from process.cpuUsage (median of the rounds), then JS heap allocated per snapshot
// (V8 sampling heap profiler, garbage included). Load on a shared machine hits both alike.
import { createRequire } from 'module';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { allocatedPerCall, kill, median, startTarget, table } from './common.mjs';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const other = process.argv[2];
if (!other || !fs.existsSync(path.join(other, 'bench-engine.js'))) {
  console.error('usage: node bench/ab-snapshot.mjs OTHER_DIST [--quick]  (OTHER_DIST/bench-engine.js from `npm run build`)');
  process.exit(2);
}
const quick = process.argv.includes('--quick');
const builds = [['before', require(path.resolve(other, 'bench-engine.js'))], ['after', require(path.join(root, 'dist', 'bench-engine.js'))]];
const N = quick ? 500 : 2000;
const ROUNDS = 5;
const opts = { lazyThreadStates: true }; // what the sampler asks for

const base = '/root/.pyenv/versions';
const pythons = ['3.8', '3.11', '3.12', '3.13']
  .map((m) => fs.existsSync(base) && fs.readdirSync(base).find((d) => d.startsWith(m + '.')))
  .filter(Boolean)
  .map((v) => ({ version: v, path: path.join(base, v, 'bin', 'python3') }));
const rows = [];
for (const py of pythons) {
  for (const depth of [5, 200]) {
    const child = await startTarget(py.path, [path.join(root, 'bench/fixtures/deep.py'), String(depth)]);
    const procs = builds.map(([, engine]) => engine.attach(child.pid));
    try {
      const snap = (p) => { try { p.snapshot(opts); } catch { /* torn: retried next time */ } };
      for (const p of procs) for (let i = 0; i < 300; i++) snap(p);
      const cpu = procs.map(() => []);
      for (let r = 0; r < ROUNDS; r++) {
        procs.forEach((p, k) => {
          const c0 = process.cpuUsage();
          for (let i = 0; i < N; i++) snap(p);
          const c = process.cpuUsage(c0);
          cpu[k].push((c.user + c.system) / N);
        });
      }
      const bytes = [];
      for (const p of procs) bytes.push(await allocatedPerCall(() => snap(p), N));
      const [cb, ca] = cpu.map(median);
      rows.push([py.version, depth, `${cb.toFixed(1)} → ${ca.toFixed(1)} µs (${(ca / cb).toFixed(2)}×)`, `${(bytes[0] / 1024).toFixed(1)} → ${(bytes[1] / 1024).toFixed(1)} KB`]);
    } finally {
      procs.forEach((p) => p.close());
      kill(child);
    }
  }
}
console.log(`## One snapshot, before → after (${other} → this build), interleaved: median of ${ROUNDS} rounds × ${N}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (shared 2-core machine)\n`);
console.log(table(['CPython', 'depth', 'CPU per snapshot', 'JS heap allocated per snapshot'], rows));
