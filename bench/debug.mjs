// `npm run bench -- --only=debug`: what Pause costs in a pyprof debug session (dist/debugAdapter.js
// over DAP, against the real debug fixture): pause request → `stopped` event, then stackTrace of the
// busy thread, and Continue, non-blocking and blocking (ptrace-stopped until Continue), medians of
// repeated pauses per CPython. Numbers only: timings belong here, not in tests.
import { createRequire } from 'module';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { performance } from 'perf_hooks';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { DebugClient } = require('@vscode/debugadapter-testsupport');
const adapter = path.join(root, 'dist', 'debugAdapter.js');
const target = path.join(root, 'test', 'fixtures', 'debug_target.py');
const quick = process.argv.includes('--quick');
const pauses = quick ? 5 : 15;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function startTarget(python) {
  const child = spawn(python, [target], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('READY')) resolve(child);
    });
    child.on('exit', (c) => reject(new Error(`fixture exited ${c}`)));
  });
}

async function measure(python, blocking) {
  const child = await startTarget(python);
  const dc = new DebugClient(process.execPath, adapter, 'pyprof');
  dc.defaultTimeout = 20000;
  await dc.start();
  const stop = [];
  const stacks = [];
  const resume = [];
  try {
    const configured = dc.configurationSequence();
    await dc.initializeRequest();
    await Promise.all([configured, dc.attachRequest({ processId: child.pid, blocking, output: path.join(fs.mkdtempSync('/tmp/pyprof-bench-dbg-'), 'p.json') })]);
    for (let i = 0; i < pauses; i++) {
      await new Promise((r) => setTimeout(r, 100));
      let t = performance.now();
      const stopped = dc.waitForEvent('stopped');
      await dc.pauseRequest({ threadId: 0 });
      await stopped;
      stop.push(performance.now() - t);
      t = performance.now();
      const threads = (await dc.threadsRequest()).body.threads;
      for (const th of threads) await dc.stackTraceRequest({ threadId: th.id });
      stacks.push(performance.now() - t);
      t = performance.now();
      await dc.continueRequest({ threadId: threads[0].id });
      resume.push(performance.now() - t);
    }
    await dc.disconnectRequest({});
  } finally {
    await dc.stop().catch(() => undefined);
    child.kill('SIGKILL');
  }
  return { stop: median(stop), stacks: median(stacks), resume: median(resume) };
}

const pythons = ['3.8', '3.13']
  .map((m) => fs.readdirSync('/root/.pyenv/versions').find((v) => v.startsWith(`${m}.`)))
  .filter(Boolean)
  .map((v) => ({ label: v, path: `/root/.pyenv/versions/${v}/bin/python3` }));
if (!fs.existsSync(adapter)) {
  console.log('## 6. Debug adapter Pause: skipped (dist/debugAdapter.js missing: npm run build)\n');
} else {
  const rows = [];
  for (const py of pythons) {
    for (const blocking of [false, true]) {
      const m = await measure(py.path, blocking);
      rows.push(`| ${py.label} | ${blocking ? 'blocking (ptrace-stopped)' : 'non-blocking snapshot'} | ${m.stop.toFixed(1)} ms | ${m.stacks.toFixed(1)} ms | ${m.resume.toFixed(1)} ms |`);
    }
  }
  console.log(`## 6. Debug adapter Pause (attach to debug_target.py, 2 threads; medians of ${pauses} pauses)\n`);
  console.log('| CPython | pause | pause → stopped event | threads + all stack traces | continue |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log();
}
