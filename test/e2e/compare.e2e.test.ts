// Runs the in-host comparison test (test/e2e/inhost/compare.inhost.ts) in a real VS Code.
import { fixture } from '../helpers';
import { COMPARE_ROUNDS, COMPARE_TRUTH_FILE, comparePython } from '../integration/compare-runs';
import { inhostSuiteTest } from './inhostSuiteTest';

inhostSuiteTest({
  title: 'Compare with… in a real VS Code extension host',
  label: 'compare',
  filter: '^compare: ',
  workspaceFrom: fixture('compare'),
  python: comparePython(),
  settings: { 'pyprof.flameGraph.openAfterProfiling': false, 'pyprof.rate': 1000, 'pyprof.console': 'outputChannel', 'pyprof.args': [COMPARE_ROUNDS, COMPARE_TRUTH_FILE] },
});
