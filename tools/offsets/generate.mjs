// Regenerates src/engine/cpython/offsets.json: compiles probe.c against every installed CPython
// 2.7 and 3.6-3.14's headers (3.13+: only type internals; the rest comes from _Py_DebugOffsets) and records the offsets it prints, keyed by minor version.
// Usage: node tools/offsets/generate.mjs [pythonRoot...]  (default: every /root/.pyenv/versions/*)
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'fs';
import { join, dirname } from 'path';
import { tmpdir } from 'os';
import { fileURLToPath } from 'url';
import { pythonRoots, runProbe } from './probeRuns.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'src', 'engine', 'cpython', 'offsets.json');
const roots = pythonRoots(process.argv.slice(2));
const table = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : {};
const work = mkdtempSync(join(tmpdir(), 'pyprof-offsets-'));
for (const root of roots) {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(root);
  if (!m || !((Number(m[1]) === 3 && Number(m[2]) >= 6 && Number(m[2]) <= 14) || (Number(m[1]) === 2 && Number(m[2]) === 7))) continue;
  const minor = `${m[1]}.${m[2]}`;
  // 3.6/3.7 name their include folder with the ABI flag (python3.7m)
  const inc = [join(root, 'include', `python${minor}`), join(root, 'include', `python${minor}m`)].find((d) => existsSync(d));
  if (!inc) { console.log(`skip ${root}: no headers`); continue; }
  const exe = join(work, `probe-${minor}`);
  const offsets = runProbe(here, 'probe.c', inc, exe);
  table[minor] = { measuredFrom: `${m[0]} headers`, ...offsets };
  console.log(`${minor}: ${Object.keys(offsets).length} values from ${root}`);
}
writeFileSync(out, JSON.stringify(table, null, 2) + '\n');
console.log(`wrote ${out}`);
