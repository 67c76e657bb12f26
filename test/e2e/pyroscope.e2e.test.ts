// "pyprof: Open from Pyroscope…" in a real VS Code (code-server + Chromium): runs the in-host test
// test/e2e/inhost/pyroscope.inhost.ts and reports it as a node:test subtest.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fixture, supportedInterpreters } from '../helpers';
import { e2eUnavailable, runInhostSuite } from './harness';

const python = supportedInterpreters().find((i) => i.minor === '3.12') ?? supportedInterpreters()[0];
const skip = e2eUnavailable() ?? (python ? undefined : 'no supported Python interpreter (3.8+) installed');

test('Open from Pyroscope inside a real VS Code extension host', { skip, timeout: 10 * 60_000 }, async (t) => {
  const run = await runInhostSuite({
    workspaceFrom: fixture('workspace'),
    python: python!.path,
    filter: '^pyroscope: ',
    settings: { 'pyprof.flameGraph.openAfterProfiling': false },
  });
  assert.equal(run.report.runnerError, undefined, run.report.runnerError);
  assert.ok(run.report.tests.length > 0, 'the in-host suite ran no tests');
  for (const r of run.report.tests) {
    await t.test(r.name, { skip: r.skipped }, () => {
      for (const m of r.messages) t.diagnostic(`${r.name}: ${m}`);
      assert.ok(r.ok, `${r.error}\n${r.messages.join('\n')}`);
    });
  }
  assert.ok(run.report.finished, 'the in-host suite did not finish');
});
