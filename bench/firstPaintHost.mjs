#!/usr/bin/env node
// `npm run bench -- --only=firstpaint-host` (also `node bench/firstPaintHost.mjs [--quick]` after
// `npm run build`): how soon the flame graph is on screen in a real VS Code (code-server + Debian
// Chromium, the e2e harness's 1400×900 window), light and dark theme, for the demo profile.
// The panel is opened RUNS times per theme with pyprof.showFlameGraph after closing it (the first
// panel of a browser profile is left out: it waits seconds for VS Code's webview service worker);
// each opening is watched as test/e2e/flameOpening.ts does: the workbench's clock marks when the
// panel's tab and its webview iframe are attached, a screencast keeps every presented frame with
// its swap time, and "drawn" is the first presented frame whose chart rows have ink. Printed:
// medians (min–max) of the panel's appearance (the earlier of tab and iframe) → drawn, iframe →
// the inner frame's start (VS Code's webview host: its index.html, service worker, inner frame), the
// inner frame's start → drawn (VS Code loads a placeholder into that frame through its service
// worker, then writes our page into it: from the start of that write, and from its end, the part
// that is the page's own), and the extension's own part (command →
// page set, panel created → page set, from its log).
// ≈ 1 min per theme on a quiet machine.
import * as esbuild from 'esbuild';
import { spawnSync } from 'child_process';
import { createRequire } from 'module';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { median } from './common.mjs';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = process.argv.includes('--quick') ? 3 : 6;
const THEMES = [
  ['light', 'Default Light Modern'],
  ['dark', 'Default Dark Modern'],
];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-bench-host-'));

try {
  console.log('## Flame graph first paint in a real VS Code (code-server + Chromium, demo profile)\n');
  if (!fs.existsSync(path.join(root, 'dist', 'extension.js'))) throw new Error('skipped: run npm run build first');
  // the harness, bundled where its repoRoot resolves (out/<dir>/ → the checkout)
  const outFile = path.join(root, 'out', 'bench', 'host.js');
  await esbuild.build({ entryPoints: [path.join(root, 'bench', 'host-entry.ts')], outfile: outFile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['playwright-core'], logLevel: 'error' });
  const h = require(outFile);
  const why = h.e2eUnavailable();
  if (why) throw new Error(`skipped: ${why}`);
  const python = h.supportedInterpreters().find((i) => i.minor === '3.12') ?? h.supportedInterpreters()[0];
  if (!python) throw new Error('skipped: no CPython installed');
  const demo = path.join(tmp, 'demo.speedscope.json');
  const rec = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'record', '-q', '--rate', '200', '-o', demo, '--', python.path, path.join(root, 'test', 'fixtures', 'demo.py')], { encoding: 'utf8' });
  if (rec.status !== 0) throw new Error(`recording the demo failed: ${rec.stderr.trim()}`);

  const f = (xs) => (xs.length ? `${Math.round(median(xs))} ms (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})` : 'n/a');
  for (const [theme, colorTheme] of THEMES) {
    const rows = [];
    await h.withVscode(
      {
        workspaceFrom: h.fixture('workspace'),
        python: python.path,
        settings: { 'workbench.colorTheme': colorTheme, 'pyprof.flameGraph.openAfterProfiling': true },
        keybindings: h.flameOpeningKeybindings(demo),
      },
      async (session) => {
        const page = session.page;
        const loaded = (what) => session.waitForReport((x) => x.flamePanel.open && x.flamePanel.loadedMs !== null, what, 120_000);
        await session.openFile('hot.py');
        await page.keyboard.press('Control+Alt+1'); // the profile, and the browser profile's first panel (service worker install)
        await loaded('the first panel');
        for (let i = 0; i < RUNS; i++) {
          await page.locator('.monaco-editor .view-lines').first().click(); // the code's editor (the panel took the focus)
          await page.keyboard.press('Control+Alt+2'); // close the flame panel (the editors of the other groups)
          await page.waitForFunction(`document.querySelectorAll('iframe.webview').length === 0`, undefined, { timeout: 30_000 });
          await page.waitForTimeout(800);
          const logBefore = (session.report()?.log ?? []).length;
          const opening = await h.watchOpening(page, () => page.keyboard.press('Control+Alt+3'));
          await loaded('the panel to draw');
          const { times, summary } = await opening.finish();
          const pageSet = (session.report()?.log ?? []).slice(logBefore).map((l) => /page set (\d+) ms after opening(?: \((\d+) ms after the panel was created\))?/.exec(l)).find(Boolean);
          if (times.drawn === null || times.pageStart === null) throw new Error(`the panel was not seen drawn: ${summary}`);
          const appeared = Math.min(0, times.tab ?? 0); // the earlier of tab and iframe, from the iframe
          rows.push({ fromPanel: times.drawn - appeared, fromIframe: times.drawn, tab: times.tab, vscode: times.pageStart, fromPage: times.drawn - times.pageStart, fromWriteStart: times.writeStart === null ? null : times.drawn - times.writeStart, fromWritten: times.written === null ? null : times.drawn - times.written, pageSet: pageSet ? Number(pageSet[1]) : null, setAfterCreate: pageSet?.[2] ? Number(pageSet[2]) : null });
          if (process.env.PYPROF_BENCH_VERBOSE) console.log(`  ${theme} run ${i + 1}: ${summary}`);
        }
      },
    );
    const col = (k) => rows.map((r) => r[k]).filter((v) => v !== null);
    console.log(`${theme} (${colorTheme}), ${rows.length} openings: panel appeared → chart drawn ${f(col('fromPanel'))}`);
    console.log(`  iframe → drawn ${f(col('fromIframe'))}; tab attached at ${f(col('tab'))} from the iframe; iframe → inner frame started (VS Code) ${f(col('vscode'))}; inner frame started → drawn ${f(col('fromPage'))}, of which VS Code starts writing our page (its placeholder loaded) → drawn ${f(col('fromWriteStart'))} and page written (VS Code's document.write, our scripts run inside it) → drawn ${f(col('fromWritten'))}; extension: command → page set ${f(col('pageSet'))}, panel created → page set ${f(col('setAfterCreate'))}`);
  }
  console.log('');
} catch (e) {
  if (/^skipped/.test(e.message)) console.log(`first paint in VS Code: ${e.message}\n`);
  else throw e;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
