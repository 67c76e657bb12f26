// "pyprof: Open from Pyroscope…" in a real VS Code (code-server + Chromium): runs the in-host test
// test/e2e/inhost/pyroscope.inhost.ts.
import { fixture, supportedInterpreters } from '../helpers';
import { inhostSuiteTest } from './inhostSuiteTest';

inhostSuiteTest({
  title: 'Open from Pyroscope inside a real VS Code extension host',
  label: 'pyroscope',
  filter: '^pyroscope: ',
  workspaceFrom: fixture('workspace'),
  python: supportedInterpreters().find((i) => i.minor === '3.12') ?? supportedInterpreters()[0],
  settings: { 'pyprof.flameGraph.openAfterProfiling': false },
});
