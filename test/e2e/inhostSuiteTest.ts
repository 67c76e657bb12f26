// One node:test test per in-host suite (test/e2e/inhost/*.inhost.ts): starts code-server with this
// checkout as the extension under development, runs the tests whose "file: name" matches `filter`
// inside the extension host, and reports each of them as a subtest so `npm test` counts them.
// The e2e wrapper files (inhost, assist, pyroscope, compare) differ only in these options.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Interpreter } from '../helpers';
import { ServerOptions, e2eUnavailable, runInhostSuite } from './harness';

export interface InhostSuiteTest {
  /** The node:test title. */
  title: string;
  /** Short name for the summary line (`# e2e NAME: 3 passed, …`). */
  label: string;
  /** Regexp source selecting in-host tests by "file: name". */
  filter: string;
  workspaceFrom: string;
  /** undefined: the test skips, saying no supported interpreter is installed. */
  python: Interpreter | undefined;
  settings?: ServerOptions['settings'];
}

export function inhostSuiteTest(o: InhostSuiteTest): void {
  const skip = e2eUnavailable() ?? (o.python ? undefined : 'no supported Python interpreter (3.8+) installed');
  test(o.title, { skip, timeout: 10 * 60_000 }, async (t) => {
    const run = await runInhostSuite({ workspaceFrom: o.workspaceFrom, python: o.python!.path, filter: o.filter, settings: o.settings });
    const shots = run.screenshots.map((s) => s.replace(/^.*\/test-results\//, 'test-results/'));
    console.log(`# e2e ${o.label}: ${run.report.passed} passed, ${run.report.failed} failed, ${run.report.skipped} skipped in ${run.seconds.toFixed(1)} s (VS Code ${run.report.vscodeVersion})${shots.length ? `; screenshots: ${shots.join(', ')}` : ''}`);
    assert.equal(run.report.runnerError, undefined, run.report.runnerError);
    assert.ok(run.report.tests.length > 0, `the in-host suite ran no tests matching ${o.filter}`);
    for (const r of run.report.tests) {
      await t.test(r.name, { skip: r.skipped }, () => {
        for (const m of r.messages) t.diagnostic(`${r.name}: ${m}`);
        assert.ok(r.ok, `${r.error}\n${r.messages.join('\n')}`);
      });
    }
    assert.equal(run.exitCode, run.report.failed > 0 ? 1 : 0, `codeAutomationExit(${run.exitCode}) disagrees with the report`);
    assert.ok(run.report.finished, 'the in-host suite did not finish');
  });
}
