// Runs the in-host language-model tool tests (test/e2e/inhost/assist.inhost.ts) in a real VS Code.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fixture, supportedInterpreters } from '../helpers';
import { e2eUnavailable, runInhostSuite } from './harness';

const python = supportedInterpreters().find((i) => i.minor === '3.11') ?? supportedInterpreters()[0];
const skip = e2eUnavailable() ?? (python ? undefined : 'no supported Python interpreter (3.8+) installed');

test('pyprof language-model tools through vscode.lm.invokeTool in a real VS Code', { skip, timeout: 10 * 60_000 }, async (t) => {
  const run = await runInhostSuite({
    workspaceFrom: fixture('workspace'),
    python: python!.path,
    filter: '^assist: ',
    settings: { 'pyprof.flameGraph.openAfterProfiling': false },
  });
  console.log(`# e2e assist: ${run.report.passed} passed, ${run.report.failed} failed, ${run.report.skipped} skipped in ${run.seconds.toFixed(1)} s (VS Code ${run.report.vscodeVersion})`);
  assert.equal(run.report.runnerError, undefined, run.report.runnerError);
  assert.ok(run.report.tests.length > 0, 'the in-host suite ran no assist tests');
  for (const r of run.report.tests) {
    await t.test(r.name, { skip: r.skipped }, () => {
      for (const m of r.messages) t.diagnostic(`${r.name}: ${m}`);
      assert.ok(r.ok, `${r.error}\n${r.messages.join('\n')}`);
    });
  }
  assert.ok(run.report.finished, 'the in-host suite did not finish');
});
