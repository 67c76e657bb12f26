// Runs the in-host comparison test (test/e2e/inhost/compare.inhost.ts) in a real VS Code.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fixture } from '../helpers';
import { COMPARE_ROUNDS, COMPARE_TRUTH_FILE, comparePython } from '../integration/compare-runs';
import { e2eUnavailable, runInhostSuite } from './harness';

const python = comparePython();
const skip = e2eUnavailable() ?? (python ? undefined : 'no supported Python interpreter (3.8+) installed');

test('Compare with… in a real VS Code extension host', { skip, timeout: 10 * 60_000 }, async (t) => {
  const run = await runInhostSuite({
    workspaceFrom: fixture('compare'),
    python: python!.path,
    filter: '^compare: ',
    settings: { 'pyprof.flameGraph.openAfterProfiling': false, 'pyprof.rate': 1000, 'pyprof.console': 'outputChannel', 'pyprof.args': [COMPARE_ROUNDS, COMPARE_TRUTH_FILE] },
  });
  console.log(`# e2e compare: ${run.report.passed} passed, ${run.report.failed} failed in ${run.seconds.toFixed(1)} s`);
  assert.equal(run.report.runnerError, undefined, run.report.runnerError);
  assert.ok(run.report.tests.length > 0, 'the in-host suite ran no compare tests');
  for (const r of run.report.tests) {
    await t.test(r.name, { skip: r.skipped }, () => {
      for (const m of r.messages) t.diagnostic(`${r.name}: ${m}`);
      assert.ok(r.ok, `${r.error}\n${r.messages.join('\n')}`);
    });
  }
  assert.ok(run.report.finished, 'the in-host suite did not finish');
});
