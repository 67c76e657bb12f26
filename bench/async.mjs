// `record --async` / `dump --async` cost (issue 15): CPU per snapshot of an asyncio program
// (test/fixtures/async_tasks.py with its busy task: ~20 tasks on two loops, one TCP server) read
// plainly, with `async` (each loop thread's running task re-rooted: what record --async does per
// sample) and with `tasks` (every task and its coroutine chain: dump --async, a debugger Pause).
// Interleaved repetitions, medians; the machine is shared, so compare the ratios within one run.
import { createRequire } from 'module';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { performance } from 'perf_hooks';
import { kill, median, startTarget, table } from './common.mjs';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const engine = require(path.join(root, 'dist', 'bench-engine.js'));
const quick = process.argv.includes('--quick');
const N = quick ? 500 : 2000;
const REPS = quick ? 3 : 5;

const versions = ['3.8', '3.13'].map((m) => {
  const dir = fs.existsSync('/root/.pyenv/versions') ? fs.readdirSync('/root/.pyenv/versions').find((v) => v.startsWith(`${m}.`)) : undefined;
  return dir ? { label: dir, path: `/root/.pyenv/versions/${dir}/bin/python` } : undefined;
}).filter(Boolean);

const modes = [['plain', {}], ['--async (re-rooted)', { async: true }], ['tasks (dump --async)', { tasks: true }]];
const rows = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-bench-async-'));
for (const py of versions) {
  const child = await startTarget(py.path, [path.join(root, 'test/fixtures/async_tasks.py'), path.join(tmp, 'truth.json'), 'busy']);
  let proc;
  try {
    proc = engine.attach(child.pid);
    const taskCount = proc.snapshot({ tasks: true }).tasks?.length ?? 0;
    for (const [, opts] of modes) for (let i = 0; i < 200; i++) try { proc.snapshot(opts); } catch { /* warm-up */ }
    const cpu = modes.map(() => []);
    const errors = modes.map(() => 0);
    for (let rep = 0; rep < REPS; rep++) {
      modes.forEach(([, opts], m) => {
        const c0 = process.cpuUsage();
        for (let i = 0; i < N; i++) try { proc.snapshot(opts); } catch { errors[m]++; }
        const c = process.cpuUsage(c0);
        cpu[m].push((c.user + c.system) / N);
      });
    }
    const base = median(cpu[0]);
    modes.forEach(([name], m) => rows.push([py.label, String(taskCount), name, `${median(cpu[m]).toFixed(1)} µs`, `${(median(cpu[m]) / base).toFixed(2)}×`, `${errors[m]}`]));
  } finally {
    proc?.close();
    kill(child);
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`## asyncio: cost of reading tasks per snapshot (medians of ${REPS} interleaved runs of ${N}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, shared machine)\n`);
console.log(table(['CPython', 'tasks', 'snapshot', 'CPU per snapshot', 'vs plain', 'torn/failed'], rows));
console.log('\nCPU is this process\'s user+system time per snapshot() (process_vm_readv, /proc reads, decoding). 3.14 is not installed here: not measured.\n');
