// Runs every test suite with node's built-in test runner, from the tsc output in out/.
// Suites: unit (pure), integration (real CPython processes), e2e (real VS Code via code-server).
// One node --test run over all of them, so the closing "# pass / # fail" lines cover everything.
// Set PYPROF_TEST_SUITES=unit,integration to run a subset.
import { spawn } from 'child_process';
import { existsSync } from 'fs';
import { join, dirname } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const suites = (process.env.PYPROF_TEST_SUITES || 'unit,integration,e2e').split(',');
const dirs = suites.map((s) => join('out', 'test', s)).filter((d) => existsSync(join(root, d)));
if (dirs.length === 0) {
  console.error('no compiled test folders under out/test: run `npm run compile` first');
  process.exit(1);
}
const extra = process.argv.slice(2);
const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...extra, ...dirs], {
  cwd: root,
  stdio: ['inherit', 'pipe', 'inherit'],
});
// The output streams through as it comes; it is also kept, so that the failures can be repeated,
// with their error messages, at the very end: a CI log that shows only its head and tail then
// still says why each test failed, not only which.
const chunks = [];
child.stdout.on('data', (d) => {
  chunks.push(d);
  process.stdout.write(d);
});
child.on('close', (code, signal) => {
  const digest = failureDigest(Buffer.concat(chunks).toString('utf8'));
  if (digest.length > 0) process.stdout.write(`\n# Failures, repeated (${digest.length}):\n${digest.join('\n')}\n`);
  process.exit(code ?? (signal ? 1 : 0));
});

/** Each failed test (TODO ones left out): its name and the first lines of its error, as TAP comments. */
function failureDigest(tap) {
  const out = [];
  const lines = tap.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
    if (!m || /# TODO/.test(m[2])) continue;
    const indent = m[1];
    const detail = [];
    for (let j = i + 1; j < lines.length && detail.length < 24; j++) {
      const l = lines[j];
      if (l.startsWith(`${indent}  ...`)) break;
      if (/^\s*(duration_ms|type|failureType|code|stack|name|operator):/.test(l) || /^\s+at |^\s+\S+ \(.*:\d+:\d+\)$|node:internal/.test(l)) continue;
      if (l.trim() === '---') continue;
      detail.push(`#   ${l.trim().slice(0, 400)}`);
    }
    out.push(`# not ok: ${m[2]}`, ...detail);
  }
  return out;
}
