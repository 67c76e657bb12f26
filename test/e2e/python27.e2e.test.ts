// pyprof in a real VS Code on Python 2.7: the workspace's interpreter is pyenv's 2.7.18, Profile
// Current File samples hot.py under it (pyprof.pythonPath), and the editor shows its hot lines (2.7 names are byte
// strings, its line table has unsigned deltas, and it has no _PyRuntime: all of that end to end).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, supportedInterpreters } from '../helpers';
import { e2eUnavailable, withVscode } from './harness';

const python = supportedInterpreters().find((i) => i.minor === '2.7');
const skip = e2eUnavailable() || (python ? false : 'CPython 2.7 is not installed here');
const hotSource = fs.readFileSync(fixture('workspace/hot.py'), 'utf8').split('\n');
const HOT_LINE = hotSource.findIndex((l) => l.includes('HOT_LINE')) + 1;
const LOOP_LINE = HOT_LINE - 1;

test('Profile Current File with Python 2.7 shows hot.py\'s hot lines', { skip, timeout: 10 * 60_000 }, async () => {
  await withVscode({ workspaceFrom: fixture('workspace'), python: python!.path }, async (session) => {
    const hotFile = path.join(session.workspace, 'hot.py');
    await session.openFile('hot.py');
    const before = session.report()?.updated ?? 0;
    await session.runCommand('pyprof: Profile Current File');
    const r = await session.waitForReport((x) => x.updated > before && !x.recording && !!x.profile && (x.decorations[hotFile]?.length ?? 0) > 0, 'decorations after profiling hot.py on 2.7', 90_000);
    const decos = r.decorations[hotFile];
    const hottest = decos.reduce((a, b) => (b.heat > a.heat || (b.heat === a.heat && parseFloat(b.text) > parseFloat(a.text)) ? b : a));
    assert.ok([HOT_LINE, LOOP_LINE].includes(hottest.line), `hottest decorated line ${hottest.line} (${hottest.text}); expected ${LOOP_LINE}/${HOT_LINE}`);
    assert.match(hottest.text, /% self/);
    await session.screenshot('python27-hot-lines');
  });
});
