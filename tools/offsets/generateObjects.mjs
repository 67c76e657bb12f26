// Regenerates src/engine/cpython/objectOffsets.json (values, locals, coroutines, asyncio tasks):
// compiles objectsProbe.c against every installed CPython 3.8-3.14's headers, and refuses a
// version whose hand-written _asyncio Future/Task layout does not have the size that version's
// own interpreter reports (_asyncio.Task.__basicsize__), or whose coroutine size differs.
// Usage: node tools/offsets/generateObjects.mjs [pythonRoot...]  (default: /root/.pyenv/versions/3.*)
import { execFileSync } from 'child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'fs';
import { join, dirname } from 'path';
import { tmpdir } from 'os';
import { fileURLToPath } from 'url';
import { pythonRoots, runProbe } from './probeRuns.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'src', 'engine', 'cpython', 'objectOffsets.json');
const roots = pythonRoots(process.argv.slice(2));
const table = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : {};
const work = mkdtempSync(join(tmpdir(), 'pyprof-object-offsets-'));
for (const root of roots) {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(root);
  if (!m || Number(m[1]) !== 3 || Number(m[2]) < 8 || Number(m[2]) > 14) continue;
  const minor = `${m[1]}.${m[2]}`;
  const inc = join(root, 'include', `python${minor}`);
  if (!existsSync(inc)) { console.log(`skip ${root}: no headers`); continue; }
  const exe = join(work, `probe-${minor}`);
  const offsets = runProbe(here, 'objectsProbe.c', inc, exe);
  const sizes = JSON.parse(execFileSync(join(root, 'bin', 'python3'), ['-c',
    'import _asyncio, json; print(json.dumps([_asyncio.Task.__basicsize__, _asyncio.Future.__basicsize__]))'], { encoding: 'utf8' }));
  if (sizes[0] !== offsets['task.size'] || sizes[1] !== offsets['future.size']) {
    throw new Error(`${minor}: probe's TaskObj/FutureObj sizes ${offsets['task.size']}/${offsets['future.size']} differ from the interpreter's ${sizes.join('/')}: fix objectsProbe.c`);
  }
  table[minor] = { measuredFrom: `${m[0]} headers`, ...offsets };
  console.log(`${minor}: ${Object.keys(offsets).length} values from ${root}`);
}
writeFileSync(out, JSON.stringify(table, null, 2) + '\n');
console.log(`wrote ${out}`);
