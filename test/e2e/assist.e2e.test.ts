// Runs the in-host language-model tool tests (test/e2e/inhost/assist.inhost.ts) in a real VS Code.
import { fixture, supportedInterpreters } from '../helpers';
import { inhostSuiteTest } from './inhostSuiteTest';

inhostSuiteTest({
  title: 'pyprof language-model tools through vscode.lm.invokeTool in a real VS Code',
  label: 'assist',
  filter: '^assist: ',
  workspaceFrom: fixture('workspace'),
  python: supportedInterpreters().find((i) => i.minor === '3.11') ?? supportedInterpreters()[0],
  settings: { 'pyprof.flameGraph.openAfterProfiling': false },
});
