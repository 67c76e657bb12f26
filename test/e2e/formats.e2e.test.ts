// Profiles in other formats, in a real VS Code: Open Profile… on a cProfile file written by
// `python -m cProfile -o` shows call counts in the CodeLens over the profiled functions, and
// Save Profile As… writes the loaded profile as pprof through the format picker and the save dialog;
// the file written reads back with the same functions and total. Screenshots go to test-results/.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { importProfile } from '../../src/profile/formats';
import { msPerWeight, totalWeight } from '../../src/profile/model';
import { fixture, repoRoot, supportedInterpreters } from '../helpers';
import { e2eUnavailable, withVscode } from './harness';
import { waitFor } from '../integration/cli-support';

const skip = e2eUnavailable();
const python = supportedInterpreters().find((i) => i.minor === '3.12') ?? supportedInterpreters()[0];

test('cProfile files open with call counts and Save Profile As writes pprof (code-server + Chromium)', { skip, timeout: 10 * 60_000 }, async () => {
  const results = path.join(repoRoot, 'test-results');
  fs.mkdirSync(results, { recursive: true });
  const pstats = path.join(results, 'hot.prof');
  const pprofOut = path.join(results, 'saved-from-editor.pb.gz');
  fs.rmSync(pprofOut, { force: true });
  await withVscode(
    {
      workspaceFrom: fixture('workspace'),
      python: python.path,
      keybindings: [{ key: 'ctrl+alt+o', command: 'pyprof.openProfile', args: pstats }],
    },
    async (session) => {
      const hotFile = path.join(session.workspace, 'hot.py');
      // cProfile of the workspace's own hot.py, so its paths are the files open in the editor
      const r = spawnSync(python.path, ['-m', 'cProfile', '-o', pstats, hotFile, '3.0'], { encoding: 'utf8', cwd: session.workspace });
      assert.equal(r.status, 0, r.stderr);

      await session.page.waitForTimeout(1000);
      await session.page.keyboard.press('Control+Alt+O');
      await session.waitForReport((x) => x.profile?.label === 'hot.prof', 'the cProfile file to load', 30_000);
      await session.openFile('hot.py');
      // the lens over `def hot():` shows its exact call count from the file (≥ 2: a call takes
      // 0.3-0.7 s on 3.12 here, the program runs 3 s; with 1 s, CI run 19 had a single call, its
      // code-server and Chromium starting beside it on the 2 cores)
      const original = importProfile(fs.readFileSync(pstats), 'hot.prof');
      const calls = original.frames.find((f) => f.name === 'hot' && f.file === hotFile)?.calls ?? 0;
      assert.ok(calls >= 2, `hot() called ${calls} times under cProfile`);
      const hotLens = `/pyprof: .* ${calls} calls · called from 1 place/`;
      await session.page.waitForFunction(
        `[...document.querySelectorAll('.codelens-decoration')].some((e) => ${hotLens}.test(e.textContent || ''))`,
        undefined,
        { timeout: 30_000 },
      );
      await session.screenshot('pstats-call-counts');

      // Save Profile As… → pick pprof → the save dialog (VS Code's simple dialog: a path to type)
      await session.runCommand('pyprof: Save Profile As…');
      await session.pickFromQuickInput('pprof', 'pprof (gzip protobuf)');
      await session.page
        .waitForFunction("(() => { const i = document.querySelector('.quick-input-widget input'); return !!i && /\\/hot\\.pb\\.gz$/.test(i.value); })()", undefined, { timeout: 15_000 })
        .catch(async (e) => {
          await session.screenshot('save-as-dialog-missing');
          const value = await session.page.$eval('.quick-input-widget input', (i) => (i as unknown as { value: string }).value).catch(() => 'no input');
          throw new Error(`the save dialog did not offer hot.pb.gz (input: ${value}): ${(e as Error).message}`);
        });
      await session.page.keyboard.press('Control+A');
      await session.page.keyboard.type(pprofOut);
      await session.page.waitForTimeout(300);
      await session.page.keyboard.press('Enter');
      await waitFor(() => fs.existsSync(pprofOut) && fs.statSync(pprofOut).size > 0, 30_000, 'the pprof file to be written');
      await session.page.waitForTimeout(300); // written in one call; let it finish before reading

      const saved = importProfile(fs.readFileSync(pprofOut), 'saved-from-editor.pb.gz');
      assert.ok(saved.frames.some((f) => f.name === 'hot' && f.file === hotFile), `hot() in the pprof: ${saved.frames.map((f) => f.name).join(', ')}`);
      const ms = (p: typeof saved) => totalWeight(p) * (msPerWeight(p.meta) ?? NaN);
      assert.ok(Math.abs(ms(saved) / ms(original) - 1) < 0.01, `pprof keeps the total time (${ms(saved)} ms vs ${ms(original)} ms)`);
    },
  );
});
