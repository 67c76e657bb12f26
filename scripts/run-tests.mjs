// Runs every test suite with node's built-in test runner, from the tsc output in out/.
// Suites: unit (pure), integration (real CPython processes), e2e (real VS Code via code-server).
// One node --test run over all of them, so the closing "# pass / # fail" lines cover everything.
// Set PYPROF_TEST_SUITES=unit,integration to run a subset.
import { spawnSync } from 'child_process';
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
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...extra, ...dirs], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
