// Runs the in-extension-host suite (test/e2e/inhost/*.inhost.ts) in a real VS Code (code-server +
// Chromium) and reports each of its tests as a node:test subtest, so `npm test` counts them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fixture, supportedInterpreters } from '../helpers';
import { e2eUnavailable, runInhostSuite } from './harness';

const python = supportedInterpreters().find((i) => i.minor === '3.12') ?? supportedInterpreters()[0];
const skip = e2eUnavailable() ?? (python ? undefined : 'no supported Python interpreter (3.8+) installed');

test('pyprof inside a real VS Code extension host', { skip, timeout: 10 * 60_000 }, async (t) => {
  const run = await runInhostSuite({
    workspaceFrom: fixture('workspace'),
    python: python!.path,
    filter: '^pyprof: ',
    // The editor screenshot shows hot.py alone; the flame panel is opened by its command.
    settings: { 'pyprof.flameGraph.openAfterProfiling': false },
  });
  console.log(`# e2e in-host: ${run.report.passed} passed, ${run.report.failed} failed, ${run.report.skipped} skipped in ${run.seconds.toFixed(1)} s (VS Code ${run.report.vscodeVersion}); screenshots: ${run.screenshots.map((s) => s.replace(/^.*\/test-results\//, 'test-results/')).join(', ')}`);
  assert.equal(run.report.runnerError, undefined, run.report.runnerError);
  assert.ok(run.report.tests.length > 0, 'the in-host suite ran no tests');
  for (const r of run.report.tests) {
    await t.test(r.name, { skip: r.skipped }, () => {
      for (const m of r.messages) t.diagnostic(`${r.name}: ${m}`);
      assert.ok(r.ok, `${r.error}\n${r.messages.join('\n')}`);
    });
  }
  assert.equal(run.exitCode, run.report.failed > 0 ? 1 : 0, `codeAutomationExit(${run.exitCode}) disagrees with the report`);
  assert.ok(run.report.finished, 'the in-host suite did not finish');
});
