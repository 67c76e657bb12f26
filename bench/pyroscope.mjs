// `npm run bench -- --only=pyroscope [--hour]`: the continuous-profiling agent's own cost over a
// run: `pyprof record --pyroscope` at 100 Hz attached to a busy Python program, sending every 10 s
// to a local HTTP server in this process that accepts /ingest and counts what arrives. Reports the
// agent's RSS over time (first window, then every minute, max, and the growth from the second
// minute on), its CPU share of one core (from /proc/PID/stat), and bytes sent per minute.
// Default run: 2 minutes (--hour: 60 minutes; PYPROF_BENCH_PYROSCOPE_S=N for any length).
// --pyroscope-api=connect: the agent pushes through push.v1.PusherService/Push instead of /ingest.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { kill, startTarget, table } from './common.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const seconds = Number(process.env.PYPROF_BENCH_PYROSCOPE_S) || (process.argv.includes('--hour') ? 3600 : 120);
const api = process.argv.find((a) => a.startsWith('--pyroscope-api='))?.split('=')[1] ?? 'ingest';
const acceptedPath = api === 'connect' ? '/push.v1.PusherService/Push' : '/ingest?';
const python = ['/root/.pyenv/versions/3.12.1/bin/python', '/usr/bin/python3'].find((p) => fs.existsSync(p));
const clkTck = 100; // USER_HZ on Linux x86-64

function procStat(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / clkTck;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return { cpuS, rssMb: rssKb / 1024 };
}

console.log(`\n## Pyroscope agent: ${seconds} s at 100 Hz, one profile every 10 s through ${api} (${python})\n`);
let received = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  let n = 0;
  req.on('data', (c) => (n += c.length));
  req.on('end', () => {
    if (req.method === 'POST' && req.url.startsWith(acceptedPath)) {
      received++;
      bytes += n;
      res.writeHead(200);
    } else res.writeHead(404);
    res.end();
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}`;
const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-bench-spool-'));
const target = await startTarget(python, [path.join(root, 'test', 'fixtures', 'split_cpu.py'), String(seconds + 60)]);
const agent = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'record', '--pyroscope', url, '--pyroscope-api', api, '--app', 'bench', '--rate', '100', '--upload-interval', '10', '--spool-dir', spool, '--pid', String(target.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
agent.stderr.on('data', (d) => (stderr += d));
const t0 = Date.now();
const points = [];
const every = Math.min(60, Math.max(10, seconds / 12));
await new Promise((r) => setTimeout(r, 11_000));
const first = { t: (Date.now() - t0) / 1000, ...procStat(agent.pid), received, bytes };
points.push(first);
while ((Date.now() - t0) / 1000 < seconds) {
  await new Promise((r) => setTimeout(r, Math.min(every * 1000, seconds * 1000 - (Date.now() - t0))));
  points.push({ t: (Date.now() - t0) / 1000, ...procStat(agent.pid), received, bytes });
}
const last = points[points.length - 1];
agent.kill('SIGTERM');
await new Promise((r) => agent.on('close', r));
kill(target);
server.close();
fs.rmSync(spool, { recursive: true, force: true });

console.log(table(['t (s)', 'agent RSS (MB)', 'agent CPU (s)', 'profiles received', 'bytes received'], points.map((p) => [p.t.toFixed(0), p.rssMb.toFixed(1), p.cpuS.toFixed(2), String(p.received), String(p.bytes)])));
const span = last.t - first.t;
const second = points.find((p) => p.t >= 60) ?? first;
console.log(`\nagent CPU over the run: ${((100 * (last.cpuS - first.cpuS)) / span).toFixed(2)}% of one core (after the first window)`);
console.log(`RSS: first window ${first.rssMb.toFixed(1)} MB, max ${Math.max(...points.map((p) => p.rssMb)).toFixed(1)} MB, end ${last.rssMb.toFixed(1)} MB; growth from t=${second.t.toFixed(0)} s to the end: ${(last.rssMb - second.rssMb).toFixed(1)} MB`);
console.log(`sent: ${received} profiles, ${(bytes / 1024).toFixed(1)} KiB, ${((bytes / 1024) / (last.t / 60)).toFixed(1)} KiB per minute (${(bytes / Math.max(1, received) / 1024).toFixed(1)} KiB per profile)`);
const summary = stderr.split('\n').find((l) => l.includes('sent '));
if (summary) console.log(`agent's own summary: ${summary}`);
