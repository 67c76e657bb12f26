// Runs the in-extension-host suite (test/e2e/inhost/pyprof.inhost.ts) in a real VS Code (code-server + Chromium).
import { fixture, supportedInterpreters } from '../helpers';
import { inhostSuiteTest } from './inhostSuiteTest';

inhostSuiteTest({
  title: 'pyprof inside a real VS Code extension host',
  label: 'in-host',
  filter: '^pyprof: ',
  workspaceFrom: fixture('workspace'),
  python: supportedInterpreters().find((i) => i.minor === '3.12') ?? supportedInterpreters()[0],
  // The editor screenshot shows hot.py alone; the flame panel is opened by its command.
  settings: { 'pyprof.flameGraph.openAfterProfiling': false },
});
