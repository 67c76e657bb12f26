// The memory view in a real VS Code: a profile recorded with `--memory=tracemalloc` opens with
// time hot lines; "Toggle Time/Memory View" switches decorations and CodeLens to bytes
// allocated / freed (the allocating line hottest), the flame panel shows the RSS chart, and
// toggling again restores the time view. Screenshots go to test-results/.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, repoRoot, supportedInterpreters } from '../helpers';
import { e2eUnavailable, withVscode } from './harness';

const skip = e2eUnavailable();
const python = supportedInterpreters().find((i) => i.minor === '3.12') ?? supportedInterpreters()[0];
const source = fs.readFileSync(fixture('memory_known.py'), 'utf8');
const GROW_LINE = source.split('\n').findIndex((l) => l.includes('GROW_LINE')) + 1;

test('memory view in a real VS Code (code-server + Chromium)', { skip, timeout: 10 * 60_000 }, async () => {
  const saved = path.join(repoRoot, 'test-results', 'saved-memory.speedscope.json');
  fs.mkdirSync(path.dirname(saved), { recursive: true });
  await withVscode(
    {
      workspaceFrom: fixture('workspace'),
      python: python.path,
      keybindings: [{ key: 'ctrl+alt+m', command: 'pyprof.openProfile', args: saved }],
    },
    async (session) => {
      const file = path.join(session.workspace, 'memory_known.py');
      fs.writeFileSync(file, source);
      const rec = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'record', '--memory=tracemalloc', '-q', '-o', saved, '--', python.path, file], { encoding: 'utf8' });
      assert.equal(rec.status, 0, rec.stderr);

      await session.page.waitForTimeout(1000);
      await session.page.keyboard.press('Control+Alt+M');
      await session.waitForReport((x) => x.profile?.label === 'saved-memory.speedscope.json', 'the memory profile to load', 30_000);
      await session.openFile('memory_known.py');
      const timeView = await session.waitForReport((x) => (x.decorations[file]?.length ?? 0) > 0, 'time decorations', 30_000);
      assert.ok(timeView.decorations[file].every((d) => /% self/.test(d.detail)), 'time view by default');

      await session.runCommand('pyprof: Toggle Time/Memory View');
      const mem = await session.waitForReport((x) => (x.decorations[file] ?? []).some((d) => /MB alloc/.test(d.detail)), 'memory decorations', 30_000);
      const grow = mem.decorations[file].find((d) => d.line === GROW_LINE);
      assert.ok(grow, `GROW_LINE decorated: ${JSON.stringify(mem.decorations[file])}`);
      assert.match(grow.text, /^\+(19\d|20\d)\.\d MB · \u2212(19\d|20\d)\.\d MB$/, 'short end-of-line text');
      assert.match(grow.detail, /^\+(19\d|20\d)\.\d MB alloc · \u2212(19\d|20\d)\.\d MB freed/);
      assert.equal(grow.heat, Math.max(...mem.decorations[file].map((d) => d.heat)), 'the allocating line is the hottest');
      await session.page.waitForFunction("[...document.querySelectorAll('.codelens-decoration')].some((e) => /MB alloc/.test(e.textContent || ''))", undefined, { timeout: 30_000 });
      await session.screenshot('memory-view');

      await session.runCommand('pyprof: Show Flame Graph');
      await session.waitForReport((x) => x.flamePanel.open && x.flamePanel.loadedMs !== null, 'the flame graph to render', 60_000);
      await session.page.waitForTimeout(1000);
      await session.screenshot('flame-graph-rss-chart');

      await session.runCommand('pyprof: Toggle Time/Memory View');
      await session.openFile('memory_known.py'); // decorations are reported for visible editors; the panel has the focus
      await session.waitForReport((x) => (x.decorations[file] ?? []).length > 0 && x.decorations[file].every((d) => /% self/.test(d.detail)), 'time decorations again', 30_000);
    },
  );
});
