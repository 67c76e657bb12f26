// Torn reads (issue 11 point 7): a stack that changes faster than it can be read while the program
// runs (bench/fixtures/torn_churn.py: two threads recursing 0-40 deep in a tight loop). Per mode, one
// 4 s recording at 500 Hz of the same program: samples dropped, samples read paused, mean sampled
// depth (against --blocking, which pauses for every read and so reads exact stacks), and the
// program's own throughput (recursions completed) against an unprofiled run: the cost of pausing.
// Interleaved repetitions, medians; the machine may be shared, so compare ratios within one run.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { median, run, table } from './common.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');
const fixture = path.join(root, 'bench', 'fixtures', 'torn_churn.py');
const quick = process.argv.includes('--quick');
const REPS = quick ? 1 : 3;
const SECONDS = 4;

const versions = ['3.8', '3.10', '3.12'].map((m) => {
  const dir = fs.existsSync('/root/.pyenv/versions') ? fs.readdirSync('/root/.pyenv/versions').find((v) => v.startsWith(`${m}.`)) : undefined;
  return dir ? { label: dir, path: `/root/.pyenv/versions/${dir}/bin/python` } : undefined;
}).filter(Boolean);

const modes = [['unprofiled', null], ['default', []], ['--nonblocking', ['--nonblocking']], ['--blocking', ['--blocking']]];
const rows = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-bench-torn-'));
for (const py of versions) {
  const m = modes.map(() => ({ dives: [], depth: [], dropped: [], paused: [] }));
  for (let rep = 0; rep < REPS; rep++) {
    for (const [i, [, flags]] of modes.entries()) {
      const out = path.join(tmp, 'p.txt');
      const r = flags === null
        ? await run(py.path, [fixture, String(SECONDS)])
        : await run(process.execPath, [cli, 'record', '--rate', '500', ...flags, '-f', 'collapsed', '-o', out, '--', py.path, fixture, String(SECONDS)]);
      m[i].dives.push(Number(/DIVES (\d+)/.exec(r.stdout)?.[1] ?? NaN));
      if (flags === null) continue;
      let samples = 0;
      let depth = 0;
      for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
        const lm = /^(.*) (\d+)$/.exec(line);
        if (!lm) continue;
        const n = Number(lm[2]);
        samples += n;
        depth += n * lm[1].split(';').filter((f) => f.startsWith('dive (')).length;
      }
      m[i].depth.push(depth / samples);
      const d = /(\d+) of (\d+) samples \([\d.]+ %\) were dropped/.exec(r.stderr);
      const p = /(\d+) of (\d+) samples \([\d.]+ %\) were read with the program paused/.exec(r.stderr);
      const all = Number((d ?? p)?.[2] ?? samples);
      m[i].dropped.push(d ? (100 * Number(d[1])) / all : 0);
      m[i].paused.push(p ? (100 * Number(p[1])) / all : flags.includes('--blocking') ? 100 : 0);
    }
  }
  const base = median(m[0].dives);
  const exact = median(m[3].depth);
  for (const [i, [name]] of modes.entries()) {
    const x = m[i];
    rows.push([py.label, name, `${(median(x.dives) / base).toFixed(3)}×`,
      i === 0 ? '–' : `${median(x.depth).toFixed(2)} (${((median(x.depth) / exact - 1) * 100).toFixed(1)} %)`,
      i === 0 ? '–' : `${median(x.dropped).toFixed(1)} %`, i === 0 ? '–' : `${median(x.paused).toFixed(1)} %`]);
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`## Torn reads: a churning recursion at 500 Hz (medians of ${REPS} interleaved ${SECONDS} s runs; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})\n`);
console.log(table(['CPython', 'mode', 'program speed vs unprofiled', 'mean dive depth (vs --blocking)', 'dropped', 'read paused'], rows));
console.log('\nDefault: a sample whose read tore is read once more with the program paused for that read; --nonblocking drops it; --blocking pauses for every read.\n');
