// pyprof in a real VS Code: profile the current file, see hot lines + CodeLens + the flame graph,
// attach to a running process by PID, open a saved profile. Screenshots go to test-results/.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, killQuietly, repoRoot, startFixture, supportedInterpreters } from '../helpers';
import { e2eUnavailable, withVscode } from './harness';

const skip = e2eUnavailable();
const python = supportedInterpreters().find((i) => i.minor === '3.12') ?? supportedInterpreters()[0];
const hotSource = fs.readFileSync(fixture('workspace/hot.py'), 'utf8').split('\n');
const lineOf = (marker: string) => hotSource.findIndex((l) => l.includes(marker)) + 1;
const HOT_LINE = lineOf('HOT_LINE');
const LOOP_LINE = HOT_LINE - 1;

test('pyprof in a real VS Code (code-server + Chromium)', { skip, timeout: 20 * 60_000 }, async (t) => {
  // The saved profile for the "open" scenario; recorded by the CLI from the workspace copy below.
  const saved = path.join(repoRoot, 'test-results', 'saved-hot.speedscope.json');
  fs.mkdirSync(path.dirname(saved), { recursive: true });

  await withVscode(
    {
      workspaceFrom: fixture('workspace'),
      python: python.path,
      keybindings: [
        { key: 'ctrl+alt+o', command: 'pyprof.openProfile', args: saved },
        // F5/F6 are browser keys in code-server; VS Code's own debug commands on keys of our own.
        { key: 'ctrl+alt+d', command: 'workbench.action.debug.start' },
        { key: 'ctrl+alt+p', command: 'workbench.action.debug.pause' },
        { key: 'ctrl+alt+c', command: 'workbench.action.debug.continue' },
        { key: 'ctrl+alt+r', command: 'workbench.view.debug' },
      ],
    },
    async (session) => {
      const hotFile = path.join(session.workspace, 'hot.py');

      await t.test('Profile Current File puts hot lines and CodeLens on the hot function, and the flame graph opens', async () => {
        await session.openFile('hot.py');
        const before = session.report()?.updated ?? 0;
        await session.runCommand('pyprof: Profile Current File');
        const r = await session.waitForReport((x) => x.updated > before && !x.recording && !!x.profile && (x.decorations[hotFile]?.length ?? 0) > 0, 'decorations after profiling hot.py', 90_000);
        const decos = r.decorations[hotFile];
        const hottest = decos.reduce((a, b) => (b.heat > a.heat || (b.heat === a.heat && parseFloat(b.text) > parseFloat(a.text)) ? b : a));
        assert.ok([HOT_LINE, LOOP_LINE].includes(hottest.line), `hottest decorated line ${hottest.line} (${hottest.text}); expected ${LOOP_LINE}/${HOT_LINE}`);
        assert.match(hottest.text, /% self/);
        // CodeLens from the language server over `def hot():`
        await session.page.waitForFunction("[...document.querySelectorAll('.codelens-decoration')].some((e) => /pyprof/.test(e.textContent || ''))", undefined, { timeout: 30_000 });
        const lenses = await session.page.$$eval('.codelens-decoration', (els) => els.map((e) => e.textContent ?? ''));
        assert.ok(lenses.some((l) => /pyprof: .*total/.test(l)), `lenses: ${lenses.join(' | ')}`);
        assert.equal(session.report()!.lensSource, 'server');
        // gutter heat and end-of-line text are in the DOM
        assert.ok((await session.page.$$('.margin-view-overlays [class*="pyprof"], .margin-view-overlays .cgmr')).length > 0 || decos.length > 0);
        const editorShot = await session.screenshot('editor-hot-lines');
        assert.ok(fs.statSync(editorShot).size > 10_000);

        await session.runCommand('pyprof: Show Flame Graph');
        const f = await session.waitForReport((x) => x.flamePanel.open && x.flamePanel.loadedMs !== null, 'the flame graph to render', 60_000);
        assert.ok(f.flamePanel.loadedMs! >= 0);
        assert.ok((await session.page.$$('iframe.webview')).length > 0, 'a webview iframe is on the page');
        await session.page.waitForTimeout(1000);
        await session.screenshot('flame-graph');
        console.log(`# e2e: activation ${r.activationMs} ms, profile→decorations ${r.decorationsMs} ms, flame panel ${f.flamePanel.loadedMs} ms`);
      });

      await t.test('Attach to Process by typed PID, then Stop: the profile loads', async () => {
        const target = await startFixture(python.path, fixture('workspace/hot.py'), ['60']);
        try {
          const before = session.report()!.updated;
          await session.runCommand('pyprof: Attach to Process');
          await session.page.waitForTimeout(1500);
          await session.page.keyboard.type(String(target.pid));
          await session.page.waitForTimeout(800);
          await session.page.keyboard.press('Enter');
          await session.page.waitForTimeout(4000);
          await session.screenshot('attach-recording');
          await session.runCommand('pyprof: Stop Profiling');
          const r = await session.waitForReport((x) => x.updated > before && !!x.profile && x.profile.label.includes(`process ${target.pid}`), 'the attached profile', 60_000);
          assert.ok(r.profile!.samples > 20, `samples ${r.profile!.samples}`);
          assert.equal(r.lastError === null || !/error/i.test(r.lastError), true, `lastError: ${r.lastError}`);
          assert.ok(target.exitCode === null, 'the attached program keeps running after Stop');
        } finally {
          killQuietly(target);
        }
      });

      await t.test('Open Profile loads a saved speedscope file with its hot lines', async () => {
        const rec = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'record', '-q', '-o', saved, '--', python.path, hotFile, '1.0'], { encoding: 'utf8' });
        assert.equal(rec.status, 0, rec.stderr);
        await session.runCommand('pyprof: Clear Profile');
        await session.waitForReport((x) => x.profile === null && Object.keys(x.decorations).length === 0, 'the profile and its hot lines to clear', 20_000);
        await session.page.waitForTimeout(500);
        await session.page.keyboard.press('Control+Alt+O');
        await session.waitForReport((x) => x.profile?.label === 'saved-hot.speedscope.json', 'the saved profile to load', 30_000);
        await session.openFile('hot.py'); // decorations are reported for visible editors
        await session.screenshot('saved-profile');
        const r = await session.waitForReport((x) => !!x.profile && (x.decorations[hotFile]?.length ?? 0) > 0, 'decorations from the saved profile', 30_000);
        assert.ok(r.decorations[hotFile].some((d) => d.line === HOT_LINE || d.line === LOOP_LINE));
      });

      await t.test('launch.json (F5): a pyprof configuration runs in the terminal, Pause shows the stacks in Call Stack, the profile opens at the end', async () => {
        fs.mkdirSync(path.join(session.workspace, '.vscode'), { recursive: true });
        fs.writeFileSync(
          path.join(session.workspace, '.vscode', 'launch.json'),
          JSON.stringify({
            // 25 s: the steps below (Pause, Call Stack, Dump Stacks) must happen while it runs; on a loaded
            // machine they took longer than the 8 s this used to run, and Dump Stacks then asked for a process.
            version: '0.2.0',
            configurations: [{ type: 'pyprof', request: 'launch', name: 'Profile hot.py', program: '${workspaceFolder}/hot.py', args: ['25'], console: 'integratedTerminal', rate: 200 }],
          }),
        );
        await session.openFile('hot.py');
        await session.page.waitForTimeout(1000);
        const before = session.report()!.updated;
        await session.page.keyboard.press('Control+Alt+D');
        // The debug toolbar appears once the adapter answered launch (the recorder has started).
        await session.page.waitForSelector('.debug-toolbar', { timeout: 60_000 });
        await session.page.waitForTimeout(1500);
        // The Call Stack view lists the paused threads' frames: hot() on top of main(). A Pause
        // pressed while the workbench is still busy (the flame graph of the previous test below)
        // can be lost: press it again, up to three times, before giving up.
        const hotInCallStack = "[...document.querySelectorAll('.debug-call-stack .monaco-list-row')].some((e) => /\\bhot\\b/.test(e.textContent || ''))";
        for (let attempt = 1; ; attempt++) {
          await session.page.keyboard.press('Control+Alt+P');
          await session.page.keyboard.press('Control+Alt+R'); // the Run and Debug view, with Call Stack
          const shown = await session.page.waitForFunction(hotInCallStack, undefined, { timeout: 15_000 }).then(() => true, () => false);
          if (shown) break;
          if (attempt === 3) throw new Error('Pause (pressed 3 times) never showed hot() in the Call Stack view');
        }
        const rows = await session.page.$$eval('.debug-call-stack .monaco-list-row', (els) => els.map((e) => (e.textContent ?? '').trim()));
        // One thread: VS Code lists its frames directly, each with file and line:column.
        const CALL_LINE = lineOf('        hot()');
        assert.ok(rows.some((r) => new RegExp(`^hot\\s*hot\\.py\\s*(${HOT_LINE}|${LOOP_LINE}):1$`).test(r)), `hot() frame at its hot line: ${rows.join(' | ')}`);
        assert.ok(rows.some((r) => new RegExp(`^main\\s*hot\\.py\\s*${CALL_LINE}:1$`).test(r)), `main() frame at the call of hot(): ${rows.join(' | ')}`);
        await session.screenshot('debug-call-stack');
        // Dump Stacks during the paused session: the same snapshot as a read-only, highlighted
        // document whose file:line locations are links.
        await session.runCommand('pyprof: Dump Stacks of a Python Process');
        await session.page
          .waitForFunction("document.querySelectorAll('.monaco-editor .detected-link').length >= 3", undefined, { timeout: 30_000 })
          .catch(async (e) => {
            await session.screenshot('dump-stacks-failed');
            throw e;
          });
        const links = await session.page.$$eval('.monaco-editor .detected-link', (els) => els.map((e) => e.textContent ?? ''));
        assert.ok(links.some((l) => l.endsWith('hot.py')), `links: ${links.join(' ')}`);
        const dumpText = await session.page.$eval('.editor-group-container.active .monaco-editor .view-lines', (e) => (e.textContent ?? '').replace(/\u00a0/g, ' ')); // the editor renders spaces as NBSP
        // hot() spins, but on a busy machine it may be waiting for a core at that moment: off CPU
        // holding the GIL (types.ts, thread states)
        assert.match(dumpText, /Thread \d+ \((active(\+gil)?|blocked\+gil)\): "MainThread"/);
        assert.match(dumpText, /hot \(.*hot\.py:\d+\)/);
        await session.screenshot('dump-stacks');
        await session.page.keyboard.press('Control+Alt+C');
        // The session ends when hot.py does, and the profile then opens with its flame graph, which
        // takes the focus: opening hot.py during that was typed into the wrong place (CI failed here).
        await session.waitForReport((x) => x.updated > before && !!x.profile && x.profile.label === 'hot.py', 'the F5 profile to load', 90_000);
        await session.page.waitForTimeout(1500);
        // Decorations are reported for visible editors, and the dump has the focus: bring hot.py's
        // own tab forward (Quick Open failed here twice once the profile's flame graph had opened).
        await session.screenshot('debug-before-hot-tab');
        const hotTab = session.page.locator('.tabs-container .tab', { has: session.page.locator('[class*="hot.py-name-file-icon"]') }).first();
        if ((await hotTab.count()) > 0) await hotTab.click();
        else await session.openFile('hot.py');
        const r = await session.waitForReport(
          (x) => x.updated > before && !!x.profile && x.profile.label === 'hot.py' && (x.decorations[hotFile]?.length ?? 0) > 0,
          'the F5 profile to open with hot lines',
          90_000,
        );
        assert.ok(r.profile!.samples > 100, `samples ${r.profile!.samples}`);
        assert.ok(r.log.some((l) => l.includes(`debug session interpreter: ${python.path}`)), `the configured interpreter ran it: ${r.log.join(' | ')}`);
        const hottest = r.decorations[hotFile].reduce((a, b) => (b.heat > a.heat ? b : a));
        assert.ok([HOT_LINE, LOOP_LINE].includes(hottest.line), `hottest line ${hottest.line}`);
        await session.screenshot('debug-profile-opened');
      });

      await t.test('F5 with no launch.json on a Python file profiles it ("Profile Python file")', async () => {
        fs.rmSync(path.join(session.workspace, '.vscode', 'launch.json'));
        await session.openFile('hot.py');
        await session.page.waitForTimeout(1000);
        const before = session.report()!.updated;
        await session.page.keyboard.press('Control+Alt+D');
        // VS Code picks the debugger by the editor's language; should it ask, pyprof is the answer.
        const picker = await session.page.waitForSelector('.quick-input-widget:not([style*="display: none"]) input', { timeout: 5_000 }).catch(() => undefined);
        if (picker) {
          await session.page.keyboard.type('pyprof');
          await session.page.waitForTimeout(300);
          await session.page.keyboard.press('Enter');
        }
        const r = await session.waitForReport(
          (x) => x.updated > before && !!x.profile && x.profile.label === 'hot.py' && (x.decorations[hotFile]?.length ?? 0) > 0,
          'the F5 (no launch.json) profile to open with hot lines',
          90_000,
        );
        assert.ok(r.profile!.samples > 50, `samples ${r.profile!.samples}`);
        const hottest = r.decorations[hotFile].reduce((a, b) => (b.heat > a.heat ? b : a));
        assert.ok([HOT_LINE, LOOP_LINE].includes(hottest.line), `hottest line ${hottest.line}`);
      });
    },
  );
});

