// The editor views as a user sees them in a real VS Code (code-server + Chromium, the default 1400×900
// window), in the light and the dark theme (issue 12): heat relative to the hottest line (a 2:1 pair
// of lines gets two different gutter steps), short end-of-line numbers that stay visible with the
// flame graph open (it opens below the code), the heat legend in the hover, lenses only where they
// inform, and every surface showing the same profile after a second one is loaded.
// Screenshots: test-results/editor-views-{light,dark}.png, editor-hover-legend.png.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Frame, Page } from 'playwright-core';
import { fixture, repoRoot, supportedInterpreters } from '../helpers';
import { VscodeSession, clickFlameFrame, e2eUnavailable, withVscode } from './harness';
import { importProfile } from '../../src/profile/formats/index';
import { HEAT_LEVELS, heatLevel, summarizeProfile } from '../../src/profile/summary';

const skip = e2eUnavailable();
const python = supportedInterpreters().find((i) => i.minor === '3.12') ?? supportedInterpreters()[0];
const source = fs.readFileSync(fixture('workspace/heat.py'), 'utf8').split('\n');
const lineOf = (marker: string) => source.findIndex((l) => l.includes(marker)) + 1;
const BIG = lineOf('BIG_LINE');
const SMALL = lineOf('SMALL_LINE');

/** The lens titles VS Code should show for heat.py, computed from the profile file itself. */
function expectedLenses(file: string): Map<string, string> {
  const p = importProfile(fs.readFileSync(file), file);
  const s = summarizeProfile(p);
  const out = new Map<string, string>();
  for (const f of s.functions) if (path.basename(f.file) === 'heat.py' && f.name !== '<module>') out.set(f.name, f.title);
  return out;
}

/**
 * The heat classes the editor should give BIG_LINE and SMALL_LINE, from the profile file's own
 * measured line shares and the extension's heat function: the fixture's 2:1 split is CPU time
 * measured by the target under load, so the small line's step follows what was recorded.
 */
function expectedHeat(file: string): { big: number; small: number; ratio: number } {
  const s = summarizeProfile(importProfile(fs.readFileSync(file), file));
  const heatPy = [...s.files.values()].find((f) => path.basename(f.file) === 'heat.py');
  assert.ok(heatPy, `heat.py is in ${file}`);
  const share = (line: number) => heatPy.lines.find((l) => l.line === line)?.selfFraction ?? 0;
  const [big, small] = [share(BIG), share(SMALL)];
  assert.ok(big > 0 && small > 0, `both lines were sampled in ${file} (${big}, ${small})`);
  return { big: heatLevel(big, s.hottestLineSelf), small: heatLevel(small, s.hottestLineSelf), ratio: small / s.hottestLineSelf };
}

/** End-of-line texts the editor draws (CSS ::after content of injected spans) and whether each is fully in view. */
async function inlineTexts(page: Page): Promise<Array<{ text: string; right: number; visibleRight: number; line: string }>> {
  return page.evaluate(`(() => {
    const out = [];
    for (const ed of document.querySelectorAll('.monaco-editor')) {
      const guard = ed.querySelector('.overflow-guard');
      if (!guard) continue;
      const g = guard.getBoundingClientRect();
      const minimap = ed.querySelector('.minimap');
      const mm = minimap ? minimap.getBoundingClientRect() : null;
      // the text area ends where the minimap (or the vertical scrollbar) begins
      const sb = ed.querySelector('.scrollbar.vertical');
      let visibleRight = g.right;
      if (mm && mm.width > 0) visibleRight = Math.min(visibleRight, mm.left);
      if (sb) visibleRight = Math.min(visibleRight, sb.getBoundingClientRect().left);
      for (const span of ed.querySelectorAll('.view-lines .view-line span span')) {
        const c = getComputedStyle(span, '::after').content;
        if (!c || c === 'none' || c === 'normal' || !/%|MB|KB/.test(c)) continue;
        const r = span.getBoundingClientRect();
        out.push({ text: c.replace(/^"|"$/g, ''), right: r.right, visibleRight, line: (span.closest('.view-line')?.textContent || '').trim() });
      }
    }
    return out;
  })()`);
}

/** The gutter icon (background image file) drawn on the editor line whose text contains `marker`. */
async function gutterIconOf(page: Page, marker: string): Promise<string> {
  // the gutter icon whose vertical middle falls inside the view line (glyph-margin widgets and
  // margin rows are positioned differently across VS Code versions)
  return page.evaluate(`(() => {
    for (const ed of document.querySelectorAll('.monaco-editor')) {
      const line = [...ed.querySelectorAll('.view-lines .view-line')].find((l) => (l.textContent || '').includes(${JSON.stringify(marker)}));
      if (!line) continue;
      const r = line.getBoundingClientRect();
      const icons = [...ed.querySelectorAll('.cgmr')].filter((g) => {
        const b = g.getBoundingClientRect();
        const mid = b.top + b.height / 2;
        return b.height > 0 && mid >= r.top && mid <= r.bottom;
      });
      return icons.map((g) => getComputedStyle(g).backgroundImage).join(' ') || 'no gutter icon on that line (' + [...ed.querySelectorAll('.cgmr')].map((g) => Math.round(g.getBoundingClientRect().top)).join(',') + ' vs ' + Math.round(r.top) + ')';
    }
    return 'line not shown';
  })()`);
}

async function renderedLenses(page: Page): Promise<string[]> {
  return page.$$eval('.monaco-editor .codelens-decoration', (els) => els.map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim()));
}

/**
 * Puts the cursor on the line with `marker` and opens its hover from the keyboard (as a user would
 * with Ctrl+K Ctrl+I); resolves with the text of the visible hover once it contains `expect`.
 */
async function hoverLine(session: VscodeSession, marker: string, expect: string): Promise<string> {
  const page = session.page;
  const token = await page.$(`.monaco-editor .view-lines .view-line span span:has-text("${marker}")`);
  assert.ok(token, `${marker} is on screen`);
  await token.click();
  await session.runCommand('Show or Focus Hover');
  // only a hover on screen counts: the editor keeps earlier hovers in the DOM, hidden
  const visible = `[...document.querySelectorAll('.monaco-hover')].filter((h) => h.getBoundingClientRect().height > 0 && getComputedStyle(h).visibility !== 'hidden').map((h) => h.textContent || '')`;
  let last: string[] = [];
  const end = Date.now() + 20_000;
  for (;;) {
    last = (await page.evaluate(visible)) as string[];
    const hit = last.find((t) => t.includes(expect));
    if (hit) return hit;
    if (Date.now() > end) assert.fail(`no hover with "${expect}"; visible hovers: ${JSON.stringify(last)}`);
    await page.waitForTimeout(250);
  }
}

/** The webview frame that runs speedscope with a profile laid out. */
async function flameFrame(page: Page): Promise<Frame> {
  const end = Date.now() + 30_000;
  for (;;) {
    for (const f of page.frames()) if (await f.evaluate('!!window.speedscope && !!window.__pyprofShortPath && document.title !== "pyprof: loading"').catch(() => false)) return f;
    if (Date.now() > end) throw new Error('no webview runs speedscope');
    await page.waitForTimeout(250);
  }
}

type Box = { left: number; right: number; top: number; bottom: number; width: number };

/** Boxes of speedscope's toolbar tabs, by label, in the webview's own coordinates. */
async function toolbarTabs(frame: Frame): Promise<Record<string, Box>> {
  return frame.evaluate(`(() => {
    const out = {};
    for (const d of document.querySelectorAll('div')) {
      const label = (d.textContent || '').trim();
      if (!['Time Order', 'Left Heavy', 'Sandwich', 'Export', 'Import', 'Help'].includes(label) || d.children.length > 2) continue;
      const r = d.getBoundingClientRect();
      out[label] = { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width };
    }
    out.__page = { left: 0, right: document.documentElement.clientWidth, top: 0, bottom: 0, width: document.documentElement.clientWidth };
    return out;
  })()`) as Promise<Record<string, Box>>;
}

/**
 * How much of a band of the flame panel is drawn: the share of its pixels, in a real screenshot of
 * the page, that differ from the band's most common colour (its background). `top` counts from the
 * bottom of speedscope's toolbar, in the webview's coordinates. A blank band is ~0.
 */
async function bandInk(page: Page, frame: Frame, top: number, height: number): Promise<number> {
  const iframe = (await (await frame.frameElement()).boundingBox())!;
  const band = (await frame.evaluate(`(() => {
    const tb = [...document.querySelectorAll('div')].find((d) => d.textContent === 'Left Heavy' || d.textContent === 'Time Order');
    const toolbar = tb && tb.parentElement && tb.parentElement.parentElement;
    return { toolbar: toolbar ? toolbar.getBoundingClientRect().bottom : 20, width: document.documentElement.clientWidth };
  })()`)) as { toolbar: number; width: number };
  const png = await page.screenshot({ clip: { x: iframe.x, y: iframe.y + band.toolbar + top, width: Math.min(band.width, iframe.width), height } });
  return (await page.evaluate(`(async () => {
    // decoded from bytes (the workbench's CSP forbids fetching a data: URL)
    const bytes = Uint8Array.from(atob('${png.toString('base64')}'), (c) => c.charCodeAt(0));
    const img = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const c = new OffscreenCanvas(img.width, img.height);
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, img.width, img.height).data;
    const counts = new Map();
    for (let i = 0; i < d.length; i += 4) { const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2]; counts.set(k, (counts.get(k) || 0) + 1); }
    const bg = Math.max(...counts.values());
    return 1 - bg / (d.length / 4);
  })()`)) as number;
}

/** speedscope's minimap: the 100 px band under its toolbar. */
const minimapInk = (page: Page, frame: Frame) => bandInk(page, frame, 2, 90);
/** The flame chart's first rows, under the minimap's band and the chart's time axis (the root frames span the width). */
const chartInk = (page: Page, frame: Frame) => bandInk(page, frame, 122, 40);

/** Resolves once the flame panel's iframe has kept the same box (whole pixels) for 300 ms: the workbench finished laying it out. */
async function flamePanelSettled(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  let element = await (await flameFrame(page)).frameElement();
  let last = '';
  let stableSince = Date.now();
  const seen: string[] = [];
  const end = Date.now() + 30_000;
  for (;;) {
    let box = await element.boundingBox();
    if (!box) {
      // the workbench replaced the panel's iframe: follow the new one
      element = await (await flameFrame(page)).frameElement();
      box = await element.boundingBox();
    }
    const r = box && { x: Math.round(box.x), y: Math.round(box.y), width: Math.round(box.width), height: Math.round(box.height) };
    const key = JSON.stringify(r);
    if (key !== last) (last = key), (stableSince = Date.now()), seen.push(key);
    else if (r && Date.now() - stableSince >= 300) return r;
    if (Date.now() > end) throw new Error(`the flame panel did not settle in 30 s; its boxes: ${seen.slice(-6).join(' ')}`);
    await page.waitForTimeout(50);
  }
}

/**
 * The flame graph at half the window's width (editor groups side by side): the view tabs clear of
 * "Export", the minimap drawn again after the resize, and the detail pane's file names relative to
 * the workspace folder (absolute in the tooltip). Leaves test-results/flame-half-width-THEME.png.
 */
async function assertHalfWidthFlame(session: VscodeSession, t: { diagnostic(m: string): void }, theme: 'light' | 'dark', recordedHeat: string): Promise<void> {
  const page = session.page;
  let frame = await flameFrame(page);
  const inkBefore = await minimapInk(page, frame);
  // the editor groups side by side: the flame graph gets half the window's width
  await session.runCommand('View: Toggle Vertical/Horizontal Editor Layout');
  await page.waitForTimeout(1500);
  frame = await flameFrame(page);
  const tabs = await toolbarTabs(frame);
  t.diagnostic(`toolbar at ${tabs.__page.width}px: ${JSON.stringify(tabs)}`);
  assert.ok(tabs.__page.width < 760, `the flame graph is at half width (${tabs.__page.width}px)`);
  for (const label of ['Time Order', 'Left Heavy', 'Sandwich', 'Export']) assert.ok(tabs[label] && tabs[label].width > 0, `"${label}" is on the toolbar`);
  assert.ok(tabs.Sandwich.right <= tabs.Export.left, `"Sandwich" ends at x=${tabs.Sandwich.right.toFixed(0)}, over "Export" (from x=${tabs.Export.left.toFixed(0)})`);
  assert.ok(tabs.Sandwich.right <= tabs.__page.width, '"Sandwich" is inside the page');
  // the minimap after the resize is drawn as it was before (a blank band has no ink)
  const inkAfter = await minimapInk(page, frame);
  t.diagnostic(`minimap ink: ${(inkBefore * 100).toFixed(1)}% before, ${(inkAfter * 100).toFixed(1)}% after the resize`);
  assert.ok(inkBefore > 0.05, `the minimap is drawn before the resize (${(inkBefore * 100).toFixed(1)}% ink)`);
  assert.ok(inkAfter > 0.05 && inkAfter > inkBefore / 3, `the minimap is drawn after the resize (${(inkAfter * 100).toFixed(1)}% ink, ${(inkBefore * 100).toFixed(1)}% before)`);
  // a click on big() selects it: the detail pane lists its stack, file names relative to the
  // workspace folder (absolute outside it), the absolute path in the tooltip (title)
  await clickFlameFrame(page, 'big');
  const abs = recordedHeat;
  const inside = abs.startsWith(session.workspace + path.sep);
  const shown = inside ? path.relative(session.workspace, abs) : abs;
  let spans: Array<{ text: string; title: string }> = [];
  const end = Date.now() + 20_000;
  while (!spans.some((x) => x.title.startsWith(abs)) && Date.now() < end) {
    spans = (await frame.evaluate(`[...document.querySelectorAll('span[title]')].map((e) => ({ text: e.textContent || '', title: e.getAttribute('title') || '' }))`)) as typeof spans;
    await page.waitForTimeout(250);
  }
  t.diagnostic(`detail pane: ${JSON.stringify(spans)}`);
  const bigDef = lineOf('def big');
  const own = spans.find((x) => x.title === `${abs}:${bigDef}`);
  assert.ok(own, `the detail pane names big() with the tooltip ${abs}:${bigDef}`);
  assert.equal(own.text.trim(), `(${shown}:${bigDef})`, inside ? 'relative to the workspace folder' : 'outside the workspace: absolute');
  if (inside) for (const x of spans) if (x.text.trim().startsWith('(')) assert.ok(!x.text.includes(session.workspace), `absolute path in the detail pane: ${x.text}`);
  await session.screenshot(`flame-half-width-${theme}`);
  await session.runCommand('View: Toggle Vertical/Horizontal Editor Layout');
  await page.waitForTimeout(1000);
}

/** clickFlameFrame, retried for up to 30 s while speedscope lays out a profile that was just sent. */
async function clickFlameFrameWithin(page: Page, name: string): Promise<string[]> {
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      return await clickFlameFrame(page, name);
    } catch (e) {
      if (Date.now() > end) throw e;
      await page.waitForTimeout(500);
    }
  }
}

/** `#rrggbb` → `rgb(r, g, b)` as getComputedStyle writes it. */
const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

/**
 * The flame graph wears the workbench's theme: speedscope's toolbar has the editor tab strip's
 * background (not speedscope's black), its tabs the UI font and no emoji icons.
 */
async function assertFlameThemed(session: VscodeSession, t: { diagnostic(m: string): void }): Promise<void> {
  const page = session.page;
  type Seen = { toolbarBg: string; tabsBg: string; emojiShown: number; icons: number; font: string; editorBg: string };
  let found: Seen | undefined;
  const end = Date.now() + 60_000;
  while (!found && Date.now() < end) {
    for (const f of page.frames()) {
      found = await f
        .evaluate(`(() => {
          // speedscope's class names are hashes: find the toolbar through its "Left Heavy" tab
          const tab = [...document.querySelectorAll('div')].find((d) => d.textContent === 'Left Heavy');
          const tb = tab && tab.parentElement && tab.parentElement.parentElement;
          if (!tb || !window.__pyprofThemeApplied) return undefined;
          const emoji = [...tb.querySelectorAll('span')].filter((e) => /[\\u{1F300}-\\u{1FAFF}\\u2B05\\u2934\\u2935\\u2753]/u.test(e.textContent || '')).length;
          return { toolbarBg: getComputedStyle(tb).backgroundColor, tabsBg: getComputedStyle(document.documentElement).getPropertyValue('--vscode-editorGroupHeader-tabsBackground').trim(), emojiShown: emoji, icons: tb.querySelectorAll('svg').length, font: getComputedStyle(tb).fontFamily, editorBg: window.__pyprofThemeApplied.editorBg };
        })()`)
        .then((v) => v as Seen | undefined, () => undefined);
      if (found) break;
    }
    if (!found) await page.waitForTimeout(250);
  }
  assert.ok(found, 'the flame graph webview shows speedscope with the pyprof theme');
  t.diagnostic(`flame theme: ${JSON.stringify(found)}`);
  assert.match(found.tabsBg, /^#[0-9a-f]{6}$/i, 'the theme defines the tab strip colour');
  assert.equal(found.toolbarBg, rgb(found.tabsBg), 'the toolbar has the tab strip background');
  assert.equal(found.emojiShown, 0, 'no emoji icons (empty boxes without an emoji font)');
  assert.ok(found.icons >= 7, `SVG icons on the toolbar tabs (${found.icons})`);
  assert.doesNotMatch(found.font, /Source Code Pro/, 'the toolbar uses the UI font');
}

test('editor views in a real VS Code: heat scale, visible inline text, legend, fresh lenses, light and dark', { skip, timeout: 15 * 60_000 }, async (t) => {
  const out = path.join(repoRoot, 'test-results');
  fs.mkdirSync(out, { recursive: true });
  const first = path.join(out, 'heat-first.speedscope.json');
  const second = path.join(out, 'heat-second.speedscope.json');
  await withVscode(
    {
      workspaceFrom: fixture('workspace'),
      python: python.path,
      settings: { 'workbench.colorTheme': 'Default Light Modern', 'pyprof.flameGraph.openAfterProfiling': true },
      keybindings: [
        { key: 'ctrl+alt+1', command: 'pyprof.openProfile', args: first },
        { key: 'ctrl+alt+2', command: 'pyprof.openProfile', args: second },
      ],
    },
    async (session) => {
      const heatFile = path.join(session.workspace, 'heat.py');
      // Two real recordings of the same program, of different lengths: their lenses differ.
      for (const [file, seconds] of [[first, '3'], [second, '1.5']]) {
        const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'record', '-q', '-o', file, '--', python.path, heatFile, seconds], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
      }
      const page = session.page;

      await t.test('heat relative to the hottest line; short numbers fully visible with the flame graph open', async () => {
        await session.openFile('heat.py');
        await page.keyboard.press('Control+Alt+1');
        const r = await session.waitForReport(
          (x) => x.profile?.label === 'heat-first.speedscope.json' && (x.decorations[heatFile] ?? []).some((d) => d.line === BIG),
          'the first profile with hot lines',
          120_000,
        );
        const decos = r.decorations[heatFile];
        const big = decos.find((d) => d.line === BIG)!;
        const small = decos.find((d) => d.line === SMALL);
        t.diagnostic(`decorations: ${decos.map((d) => `${d.line}: heat ${d.heat} "${d.text}" (${d.detail})`).join(' | ')}`);
        assert.ok(small, `SMALL_LINE ${SMALL} decorated`);
        assert.equal(big.heat, 6, 'the hottest line has the top step');
        // the step follows the split this recording measured (about 1:2, not exactly): it lies in
        // the step's range of the hottest line's share, and stays apart from the top step
        const want = expectedHeat(first);
        t.diagnostic(`SMALL_LINE measured at ${(want.ratio * 100).toFixed(1)}% of the hottest line: expected heat ${want.small}`);
        assert.equal(want.big, HEAT_LEVELS, 'BIG_LINE is the hottest line of the recording');
        assert.ok(want.ratio > (small.heat - 1) / HEAT_LEVELS && want.ratio <= small.heat / HEAT_LEVELS + 1e-9, `heat ${small.heat} covers ${(((small.heat - 1) / HEAT_LEVELS) * 100).toFixed(0)}–${((small.heat / HEAT_LEVELS) * 100).toFixed(0)}% of the hottest line, but SMALL_LINE measured ${(want.ratio * 100).toFixed(1)}%`);
        assert.equal(small.heat, want.small, `SMALL_LINE's heat matches its measured share`);
        if (want.ratio <= (HEAT_LEVELS - 1) / HEAT_LEVELS) assert.ok(small.heat < big.heat, 'a clearly smaller line gets a lower step than the hottest');
        assert.match(big.text, /^\d+\.\d% self$/);
        assert.match(small.text, /^\d+\.\d% self$/);
        // distinct gutter icons in the DOM, from the light set
        await page.waitForTimeout(500);
        const [iconBig, iconSmall] = [await gutterIconOf(page, 'BIG_LINE'), await gutterIconOf(page, 'SMALL_LINE')];
        assert.match(iconBig, /heat-light-6\.svg/);
        assert.match(iconSmall, new RegExp(`heat-light-${small.heat}\\.svg`));
        // the flame graph opened below the code: the editor keeps its width and every number shows whole
        await session.waitForReport((x) => x.flamePanel.open && x.flamePanel.loadedMs !== null, 'the flame graph to render', 120_000);
        await page.waitForTimeout(500);
        const texts = await inlineTexts(page);
        t.diagnostic(`inline texts: ${JSON.stringify(texts)}`);
        // the two hot lines are in view (lines further down may be scrolled out of the smaller group)
        for (const d of [big, small]) assert.ok(texts.some((x) => x.text === d.text), `"${d.text}" (line ${d.line}) is drawn`);
        for (const x of texts) assert.ok(x.right <= x.visibleRight + 0.5, `"${x.text}" ends at x=${x.right.toFixed(0)}, past the visible text area (${x.visibleRight.toFixed(0)})`);
        const webview = (await page.$('iframe.webview'))!;
        const wb = (await webview.boundingBox())!;
        const editorBox = (await page.$eval('.editor-group-container.active .monaco-editor, .monaco-editor', (e) => {
          const r = e.getBoundingClientRect();
          return { x: r.x, y: r.y, width: r.width, height: r.height };
        }))!;
        assert.ok(wb.y >= editorBox.y + editorBox.height - 2, `the flame graph (y=${wb.y}) is below the code (ends at ${editorBox.y + editorBox.height})`);
        await assertFlameThemed(session, t);
        await session.screenshot('editor-views-light');
      });

      await t.test('the flame graph at half width: view tabs clear of Export, minimap redrawn after the resize, detail pane paths relative to the workspace', async () => {
        await assertHalfWidthFlame(session, t, 'light', heatFile);
      });

      await t.test('frames by line: the toggle redraws the flame graph with one box per executing line, back by function', async () => {
        await session.runCommand('pyprof: Flame Graph: Frames by Function / by Line');
        await page.waitForFunction(`[...document.querySelectorAll('.tabs-container .tab')].some((e) => (e.textContent || '').includes('heat-first.speedscope.json (by line)'))`, undefined, { timeout: 60_000 });
        await session.waitForReport((x) => x.flamePanel.loadedMs !== null, 'the flame graph by line to render', 60_000);
        // big()'s box is now its hot line: named big:LINE, its hover tip and click go to that line
        const tip = await clickFlameFrameWithin(page, `big:${BIG}`);
        t.diagnostic(`by line, hover tip: ${JSON.stringify(tip)}`);
        assert.match(tip[tip.length - 1].trim(), new RegExp(`heat\\.py:${BIG}$`));
        await session.screenshot('flame-by-line-light');
        await session.runCommand('pyprof: Flame Graph: Frames by Function / by Line');
        await page.waitForFunction(`[...document.querySelectorAll('.tabs-container .tab')].some((e) => (e.textContent || '').includes('heat-first.speedscope.json') && !(e.textContent || '').includes('(by line)'))`, undefined, { timeout: 60_000 });
        await session.waitForReport((x) => x.flamePanel.loadedMs !== null, 'the flame graph by function to render', 60_000);
        const back = await clickFlameFrameWithin(page, 'big');
        assert.match(back[back.length - 1].trim(), new RegExp(`heat\\.py:${lineOf('def big')}$`), 'by function, big() opens at its def line');
      });

      await t.test('Dump Stacks: the document\'s first line is short and whole in view, the command below it', async () => {
        // a running heat.py, its long absolute paths on the command line; picked by its PID
        const target = spawn(python.path, [heatFile, '60'], { cwd: session.workspace, stdio: 'ignore' });
        try {
          await page.waitForTimeout(1000);
          await session.openFile('heat.py');
          await session.runCommand('pyprof: Dump Stacks of a Python Process');
          await session.pickFromQuickInput(String(target.pid), String(target.pid));
          await page.waitForFunction("document.querySelectorAll('.editor-group-container.active .monaco-editor .detected-link').length >= 1", undefined, { timeout: 60_000 });
          await page.waitForTimeout(500);
          const first = (await page.$eval('.editor-group-container.active .monaco-editor', (ed) => {
            const lines = [...ed.querySelectorAll('.view-lines .view-line')].sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
            const spans = lines.length ? [...lines[0].querySelectorAll('span span')] : [];
            const right = Math.max(0, ...spans.map((e) => e.getBoundingClientRect().right));
            let visibleRight = ed.querySelector('.overflow-guard')!.getBoundingClientRect().right;
            const mm = ed.querySelector('.minimap');
            if (mm && mm.getBoundingClientRect().width > 0) visibleRight = Math.min(visibleRight, mm.getBoundingClientRect().left);
            const sb = ed.querySelector('.scrollbar.vertical');
            if (sb) visibleRight = Math.min(visibleRight, sb.getBoundingClientRect().left);
            const text = (l: { textContent: string | null } | undefined) => (l?.textContent ?? '').replace(/\u00a0/g, ' ');
            return { text: text(lines[0]), second: text(lines[1]), right, visibleRight };
          }))!;
          t.diagnostic(`dump first line: ${JSON.stringify(first)}`);
          assert.equal(first.text, `Process ${target.pid}: ${path.basename(python.path)} heat.py 60`);
          assert.equal(first.second, `Command: ${python.path} ${heatFile} 60`);
          assert.ok(first.right <= first.visibleRight + 0.5, `the dump's first line ends at x=${first.right.toFixed(0)}, past the visible text (${first.visibleRight.toFixed(0)})`);
          await session.screenshot('dump-stacks-header');
        } finally {
          target.kill();
        }
      });

      await t.test('the hover shows the heat legend', async () => {
        const hover = await hoverLine(session, 'BIG_LINE', 'heat 6 of 6');
        assert.match(hover, /heat 6 of 6 · 83–100% of the hottest line \([\d.]+% self\)/, hover);
        assert.match(hover, /% self · [\d.]+% total · [\d,]+ samples/);
        await session.screenshot('editor-hover-legend');
        await page.keyboard.press('Escape');
      });

      await t.test('lenses inform: none over the module docstring, each matches the loaded profile', async () => {
        const want = expectedLenses(first);
        const r = await session.waitForReport(
          (x) => x.server?.label === 'heat-first.speedscope.json' && (x.lenses[heatFile] ?? []).length > 0,
          'the language server to load the first profile and serve its lenses',
          120_000,
        );
        const lenses = r.lenses[heatFile];
        t.diagnostic(`lenses: ${JSON.stringify(lenses)}`);
        assert.ok(!lenses.some((l) => l.line === 1), 'no lens over the docstring on line 1');
        assert.equal(lenses.length, want.size, `one lens per function: ${[...want.keys()].join(', ')}`);
        for (const title of want.values()) assert.ok(lenses.some((l) => l.title === title), `lens "${title}" served`);
        await page.waitForFunction(`(() => { const t = [...document.querySelectorAll('.monaco-editor .codelens-decoration')].map((e) => (e.textContent || '').replace(/\\s+/g, ' ')); return ${JSON.stringify([...want.values()])}.every((w) => t.some((x) => x.includes(w))); })()`, undefined, { timeout: 20_000 });
      });

      await t.test('a second profile: decorations, lenses, hover, language server and flame graph all show it', async () => {
        const before = expectedLenses(first);
        const want = expectedLenses(second);
        assert.notDeepEqual([...want.values()], [...before.values()], 'the two recordings differ');
        await session.openFile('heat.py');
        await page.keyboard.press('Control+Alt+2');
        const r = await session.waitForReport(
          (x) =>
            x.profile?.label === 'heat-second.speedscope.json' &&
            x.server?.label === 'heat-second.speedscope.json' &&
            (x.decorations[heatFile] ?? []).some((d) => d.line === BIG) &&
            (x.lenses[heatFile] ?? []).length === want.size &&
            [...want.values()].every((w) => x.lenses[heatFile].some((l) => l.title === w)) &&
            x.flamePanel.loadedMs !== null,
          'every surface to show the second profile',
          120_000,
        );
        assert.equal(r.server!.total, r.profile!.total, 'the language server has the same profile as the editor');
        for (const title of want.values()) assert.ok(r.lenses[heatFile].some((l) => l.title === title), `lens "${title}" served after the reload: ${JSON.stringify(r.lenses[heatFile])}`);
        // what the editor draws: the second profile's lenses, none of the first's
        let drawn: string[] = [];
        const end = Date.now() + 20_000;
        for (;;) {
          drawn = await renderedLenses(page);
          if ([...want.values()].every((w) => drawn.some((x) => x.includes(w)))) break;
          if (Date.now() > end) assert.fail(`drawn lenses ${JSON.stringify(drawn)}; expected ${JSON.stringify([...want.values()])}`);
          await page.waitForTimeout(250);
        }
        for (const old of before.values()) assert.ok(!drawn.includes(old), `a lens of the first profile is still drawn: ${old}`);
        // the flame panel's tab names the second profile
        const tabs = await page.$$eval('.tabs-container .tab', (els) => els.map((e) => e.textContent ?? ''));
        assert.ok(tabs.some((x) => x.includes('pyprof: heat-second.speedscope.json')), `tabs: ${tabs.join(' | ')}`);
        // and the hover of the hottest line reads the second profile's figures
        const big = r.decorations[heatFile].find((d) => d.line === BIG)!;
        const hover = await hoverLine(session, 'BIG_LINE', big.detail); // the second profile's figures
        assert.ok(hover.includes(big.detail), hover);
        await page.keyboard.press('Escape');
      });

      await t.test('a layout change leaves no blank flame area: the panel moved from below the code to beside it, drawn 500 ms later', async () => {
        // A screenshot once showed the flame area blank after the panel was moved. Once the
        // workbench has laid the panel out in its new place and size, 500 ms later the minimap and
        // the chart's root rows must be drawn. (Moving the panel into another group by command was
        // tried too; on the loaded test machine the quick input did not take focus after a click on
        // the panel's tab, so only the layout toggle is asserted.)
        const steps: Array<[string, () => Promise<void>]> = [['beside the code (layout toggled)', () => session.runCommand('View: Toggle Vertical/Horizontal Editor Layout')]];
        for (const [step, act] of steps) {
          const before = await flamePanelSettled(page);
          await act();
          const box = await flamePanelSettled(page);
          await page.waitForTimeout(500);
          const frame = await flameFrame(page);
          const [minimap, chart] = [await minimapInk(page, frame), await chartInk(page, frame)];
          t.diagnostic(`${step}: panel ${JSON.stringify(before)} → ${JSON.stringify(box)}; ink 500 ms later: minimap ${(minimap * 100).toFixed(1)}%, chart rows ${(chart * 100).toFixed(1)}%`);
          await session.screenshot(`flame-layout-${steps.findIndex((x) => x[0] === step) + 1}`);
          assert.notDeepEqual(box, before, `${step}: the panel moved`);
          assert.ok(minimap > 0.05, `${step}: the minimap is blank 500 ms after the layout change (${(minimap * 100).toFixed(1)}% ink)`);
          assert.ok(chart > 0.3, `${step}: the flame chart's rows are blank 500 ms after the layout change (${(chart * 100).toFixed(1)}% ink)`);
        }
      });

    },
  );
});

test('editor views in the dark theme: dark gutter set, numbers in view, flame graph themed', { skip, timeout: 10 * 60_000 }, async (t) => {
  const first = path.join(repoRoot, 'test-results', 'heat-first.speedscope.json');
  if (!fs.existsSync(first)) {
    t.skip('the light-theme test did not record its profile');
    return;
  }
  await withVscode(
    {
      workspaceFrom: fixture('workspace'),
      python: python.path,
      settings: { 'workbench.colorTheme': 'Default Dark Modern', 'pyprof.flameGraph.openAfterProfiling': true },
      keybindings: [{ key: 'ctrl+alt+1', command: 'pyprof.openProfile', args: first }],
    },
    async (session) => {
      const heatFile = path.join(session.workspace, 'heat.py');
      const page = session.page;
      await session.openFile('heat.py');
      await page.keyboard.press('Control+Alt+1');
      const r = await session.waitForReport((x) => (x.decorations[heatFile] ?? []).some((d) => d.line === BIG), 'hot lines of the profile', 120_000);
      await session.waitForReport((x) => x.flamePanel.open && x.flamePanel.loadedMs !== null, 'the flame graph to render', 120_000);
      await page.waitForTimeout(500);
      assert.ok(await page.$('.monaco-workbench.vs-dark'), 'the workbench is dark');
      const big = r.decorations[heatFile].find((d) => d.line === BIG)!;
      assert.match(await gutterIconOf(page, 'BIG_LINE'), new RegExp(`heat-dark-${big.heat}\\.svg`));
      const texts = await inlineTexts(page);
      assert.ok(texts.length > 0, 'end-of-line numbers are drawn');
      for (const x of texts) assert.ok(x.right <= x.visibleRight + 0.5, `"${x.text}" cut off in the dark theme`);
      await assertFlameThemed(session, t);
      await session.screenshot('editor-views-dark');
      // the profile was recorded in the light test's workspace: outside this one, paths stay absolute
      const recorded = [...summarizeProfile(importProfile(fs.readFileSync(first), first)).files.keys()].find((f) => path.basename(f) === 'heat.py')!;
      await assertHalfWidthFlame(session, t, 'dark', recorded);
    },
  );
});
