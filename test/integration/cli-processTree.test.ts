// --subprocesses under a parent that is not Python (a shell, `unshare`, a container's launcher), and
// targets in another PID namespace, where the target's own thread ids differ from ours: real
// shells, real `unshare -p` namespaces, real interpreters (issue 21, point 4).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn, spawnSync, ChildProcess } from 'child_process';
import { fixture, killQuietly, oldAndNewestInterpreters, tmpDir } from '../helpers';
import { parseCollapsed, runCli, totalCount, waitFor } from './cli-support';

const FIXTURE = fixture('idle_gil.py');

function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter((s) => s.trim()).map(Number);
  } catch {
    return [];
  }
}

function nsPidLine(pid: number): number[] {
  const m = /^NSpid:\s*([\d\s]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? m[1].trim().split(/\s+/).map(Number) : [];
}

/** `unshare -p -f -r --mount-proc` works here (root, or unprivileged user namespaces allowed). */
function namespaceSkip(): string | undefined {
  const r = spawnSync('unshare', ['-p', '-f', '-r', '--mount-proc', 'true'], { encoding: 'utf8' });
  if (r.error) return `unshare is not available: ${r.error.message}`;
  if (r.status !== 0) return `cannot create a PID namespace here: ${r.stderr.trim()}`;
  return undefined;
}

function killTree(root: ChildProcess | undefined): void {
  if (!root?.pid) return;
  // the namespace's pid 1 ignores SIGTERM without a handler: SIGKILL the known pids, children first
  for (const c of childrenOf(root.pid)) try { process.kill(c, 'SIGKILL'); } catch { /* gone */ }
  killQuietly(root);
}

const interps = oldAndNewestInterpreters();

for (const py of interps) {
  test(`record/dump --pid <sh> --subprocesses follow the shell's Python children [${py.label}]`, async () => {
    const dir = tmpDir();
    // sh -c: a non-Python parent with two Python children, one in the background, one waited for;
    // they run until the test kills them, so a slow (shared) machine changes nothing
    const sh = spawn('sh', ['-c', `"${py.path}" "${FIXTURE}" 120 > /dev/null & "${py.path}" "${FIXTURE}" 120 > /dev/null; wait`], { stdio: 'ignore' });
    try {
      await waitFor(() => childrenOf(sh.pid!).length >= 2, 20000, 'two python children of sh');
      await new Promise((r) => setTimeout(r, 500)); // their interpreters start
      const d = await runCli(['dump', '--pid', String(sh.pid), '--subprocesses', '--json']);
      assert.equal(d.code, 0, d.stderr);
      const doc = JSON.parse(d.stdout);
      assert.match(doc.notPython, /not a Python process/);
      assert.equal(doc.subprocesses.length, 2, `both children dumped: ${d.stdout.slice(0, 400)}`);
      for (const p of doc.subprocesses) assert.ok(p.threads.some((t: { frames: { name: string }[] }) => t.frames.some((f) => f.name === 'busy_main')), 'busy_main in each child');

      // record until the shell and both children are gone: the children are killed 2 s in, the
      // shell's `wait` returns, and the recording ends on its own
      const out = path.join(dir, 'tree.txt');
      const recording = runCli(['record', '--pid', String(sh.pid), '--subprocesses', '--rate', '200', '-f', 'collapsed', '-o', out], 60000);
      await new Promise((r) => setTimeout(r, 2500));
      for (const c of childrenOf(sh.pid!)) try { process.kill(c, 'SIGKILL'); } catch { /* gone */ }
      const r = await recording;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`pid ${sh.pid} \\(sh -c .*\\) is not Python itself; following the Python processes it starts`));
      assert.match(r.stderr, new RegExp(`target process ${sh.pid} and every Python process followed under it exited`));
      const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
      const roots = new Set(stacks.filter((s) => s.frames.some((f) => f.startsWith('busy_main ('))).map((s) => s.frames[0]));
      assert.equal(roots.size, 2, `busy_main under both processes' roots: ${[...roots].join(' | ')}`);
      for (const root of roots) assert.match(root, /^process \d+: \S*python/);
    } finally {
      killTree(sh);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`a target in another PID namespace: threads' states and names, process named with its inner pid [${py.label}]`, { skip: namespaceSkip() }, async (t) => {
    const dir = tmpDir();
    const ns = spawn('unshare', ['-p', '-f', '-r', '--mount-proc', py.path, FIXTURE, '30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let out = '';
      ns.stdout!.on('data', (d) => (out += d));
      await waitFor(() => out.includes('TICK'), 15000, 'the namespaced fixture to run');
      const [pyPid] = childrenOf(ns.pid!);
      assert.deepEqual(nsPidLine(pyPid), [pyPid, 1], 'the fixture is pid 1 of its own namespace');

      // --pid of the namespaced process itself
      const d = await runCli(['dump', '--pid', String(pyPid), '--json']);
      assert.equal(d.code, 0, d.stderr);
      const doc = JSON.parse(d.stdout);
      assert.equal(doc.nsPid, 1);
      const ourTids = fs.readdirSync(`/proc/${pyPid}/task`).map(Number);
      for (const t of doc.threads) assert.ok(ourTids.includes(t.tid), `thread id ${t.tid} is ours (${ourTids.join(',')}), not the namespace's`);
      const main = doc.threads.find((t: { name: string }) => t.name === 'MainThread');
      assert.ok(main, 'MainThread named');
      assert.equal(main.tid, pyPid);

      // the sleeper sleeps: without --idle it is mostly absent (it wakes 5 times a second and, on
      // old GILs, spins runnable waiting for the GIL: up to ~50% on 2.7 on a loaded machine); with the namespace's
      // tids looked up as ours, every thread read as running and it had as many samples as busy_main
      const profile = path.join(dir, 'ns.txt');
      const r = await runCli(['record', '--pid', String(ns.pid), '--subprocesses', '--rate', '200', '--duration', '2', '-f', 'collapsed', '-o', profile], 30000);
      assert.equal(r.code, 0, r.stderr);
      const stacks = parseCollapsed(fs.readFileSync(profile, 'utf8'));
      const busy = totalCount(stacks, 'busy_main');
      const sleeping = totalCount(stacks, 'sleeping_worker');
      t.diagnostic(`sleeping_worker ${sleeping} vs busy_main ${busy} samples without --idle (load average ${os.loadavg()[0].toFixed(1)})`);
      assert.ok(busy > 100, `busy_main sampled (${busy})`);
      // 2.7: its sleeper, woken 5 times a second, can stay runnable behind the old GIL for most of a
      // recording (here 4-146 of ~400 samples in 4 quiet runs, 351 of 412 in one CI run); the bug
      // guarded puts it in every sample (ratio 1.0), so 2.7 is held to that.
      const sleepingMax = py.minor === '2.7' ? 0.95 : 0.75;
      assert.ok(sleeping < busy * sleepingMax, `the sleeping thread is idle, left out without --idle: ${sleeping} vs busy_main ${busy}`);
      assert.ok(stacks.every((s) => s.frames[0].startsWith(`process ${pyPid}: `) && s.frames[0].startsWith(`process ${pyPid}: [pid 1 in its PID namespace] `)), `process root names the inner pid: ${stacks[0]?.frames[0]}`);
    } finally {
      killTree(ns);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
