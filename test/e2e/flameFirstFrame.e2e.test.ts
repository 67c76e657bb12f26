// The flame panel is never blank (issue 12: "no blank panel after 500 ms"), in a real VS Code
// (code-server + Chromium, the default 1400×900 window): the page carries the profile and
// media/flameFirstFrame.js paints speedscope's first frame with a 2D canvas while speedscope's bundle
// loads; speedscope then takes over. Asserted from real screenshots:
// - the page is never shown blank: its first frame is painted inside VS Code's document.write of
//   the page (VS Code shows the page only on its load event, after the write), and the first
//   presented frame with the flame chart's rows drawn comes before speedscope drew them. How soon
//   is measured in the bench, not asserted here (a loaded machine stretches it); the times are
//   printed, with what was on screen 100, 500 and 1000 ms after the iframe appeared and 500 ms
//   after the inner frame started and after VS Code started writing our page;
// - the first frame is the frame speedscope draws: along a line through each of the top rows, the
//   boxes (runs of one colour) start and end within 2 px of speedscope's and have its colours.
// Light theme left-heavy (the default view) and dark theme time-ordered. How soon it paints is
// measured in `npm run bench -- --only=firstpaint,firstpaint-host`, not here; the opening is watched
// by test/e2e/flameOpening.ts, which the benchmark shares.
// Screenshots: test-results/flame-open-{THEME}-{100,500,1000}ms.png (the window at those moments
// after the panel appeared), flame-first-frame-{THEME}.png and flame-speedscope-{THEME}.png (the
// panel with our first frame shown again over speedscope, and speedscope's own).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Frame, Page } from 'playwright-core';
import { fixture, repoRoot, supportedInterpreters } from '../helpers';
import { e2eUnavailable, resultsDir, withVscode } from './harness';
import { CHART_ROWS_TOP, flameOpeningKeybindings, watchOpening } from './flameOpening';

const skip = e2eUnavailable();
const python = supportedInterpreters().find((i) => i.minor === '3.12') ?? supportedInterpreters()[0];

type Rgb = [number, number, number];

/** Decodes a PNG in the page (the workbench's CSP forbids fetching data: URLs) into rows of rgb. */
async function pixels(page: Page, png: Buffer): Promise<{ width: number; height: number; data: number[] }> {
  return (await page.evaluate(`(async () => {
    const bytes = Uint8Array.from(atob('${png.toString('base64')}'), (c) => c.charCodeAt(0));
    const img = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const ctx = new OffscreenCanvas(img.width, img.height).getContext('2d');
    ctx.drawImage(img, 0, 0);
    return { width: img.width, height: img.height, data: [...ctx.getImageData(0, 0, img.width, img.height).data] };
  })()`)) as { width: number; height: number; data: number[] };
}

interface Run {
  x0: number;
  x1: number;
  rgb: Rgb;
}

/** Runs of one colour (not the background) at least `min` px long along row y of the image. */
function runs(img: { width: number; data: number[] }, y: number, background: Rgb, min = 4): Run[] {
  const at = (x: number): Rgb => {
    const i = (y * img.width + x) * 4;
    return [img.data[i], img.data[i + 1], img.data[i + 2]];
  };
  const same = (a: Rgb, b: Rgb) => Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2])) <= 6;
  const out: Run[] = [];
  let x = 0;
  while (x < img.width) {
    const c = at(x);
    let e = x + 1;
    while (e < img.width && same(at(e), c)) e++;
    if (!same(c, background) && e - x >= min) out.push({ x0: x, x1: e, rgb: c });
    x = e;
  }
  return out;
}

/** The webview frame with our page (flame.js's bridge has run in it). */
async function flamePage(page: Page, timeoutMs = 60_000): Promise<Frame> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) if (await f.evaluate('!!window.__pyprofFirstFrame && !!window.__pyprofShortPath').catch(() => false)) return f;
    if (Date.now() > end) throw new Error('no webview runs the flame panel');
    await page.waitForTimeout(100);
  }
}

for (const [theme, colorTheme, view] of [
  ['light', 'Default Light Modern', 'left-heavy'],
  ['dark', 'Default Dark Modern', 'time-ordered'],
] as const) {
  test(`flame panel (${theme}, ${view}): never shown blank, its first frame the frame speedscope draws`, { skip, timeout: 10 * 60_000 }, async (t) => {
    fs.mkdirSync(resultsDir, { recursive: true });
    const demo = path.join(resultsDir, `first-frame-demo-${theme}.speedscope.json`);
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'record', '-q', '--rate', '200', '-o', demo, '--', python.path, fixture('demo.py')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    await withVscode(
      {
        workspaceFrom: fixture('workspace'),
        python: python.path,
        settings: { 'workbench.colorTheme': colorTheme, 'pyprof.flameGraph.openAfterProfiling': true, 'pyprof.flameGraph.view': view },
        keybindings: flameOpeningKeybindings(demo),
      },
      async (session) => {
        const page = session.page;
        await session.openFile('hot.py');
        // The first panel of a browser profile waits for VS Code's webview host to install its
        // service worker (seconds on this machine, before any of our code runs: the diagnostic
        // shows its marks); every later panel is what a user sees each time. Both are watched; the
        // 500 ms check is on the second.
        const first = await watchOpening(page, () => page.keyboard.press('Control+Alt+1'));
        await session.waitForReport((x) => x.flamePanel.open && x.flamePanel.loadedMs !== null, 'speedscope to draw the profile', 120_000);
        t.diagnostic(`first panel of this browser profile: ${(await first.finish({ dir: resultsDir, name: `${theme}-first-open` })).summary}`);
        await session.openFile('hot.py');
        await page.keyboard.press('Control+Alt+2'); // close the editors of the other groups: the flame panel
        await page.waitForFunction(`document.querySelectorAll('iframe.webview').length === 0`, undefined, { timeout: 30_000 });
        await page.waitForTimeout(500);
        const second = await watchOpening(page, () => page.keyboard.press('Control+Alt+3'));
        await session.waitForReport((x) => x.flamePanel.open && x.flamePanel.loadedMs !== null, 'speedscope to draw the profile again', 120_000);
        t.diagnostic(`extension: ${(session.report()?.log ?? []).filter((l) => l.includes('flame graph')).join(' | ')}`);
        const { times, summary } = await second.finish({ dir: resultsDir, name: theme });
        t.diagnostic(`the panel opened again: ${summary}`);
        // No blank panel, whatever the machine's load: VS Code shows the page only on its load
        // event, after writing it; our first frame is painted inside that write, and the first
        // frame on screen with the chart's rows drawn came before speedscope drew anything. How
        // soon (500 ms after VS Code starts writing our page: 89–361 ms here under load, missed by
        // a loaded CI machine) is a figure for the bench (`--only=firstpaint-host`), printed above.
        // (+1: both times are rounded to the ms)
        const at = `ms after the iframe: inner frame ${times.pageStart}, write started ${times.writeStart}, first frame painted ${times.firstFramePainted}, written ${times.written}, rows first on screen ${times.drawn}, speedscope drew ${times.speedscopeDrew}`;
        assert.ok(times.firstFramePainted !== null && times.written !== null && times.firstFramePainted <= times.written + 1, `the first frame is painted inside VS Code's write of the page (${at}); ${summary}`);
        assert.ok(times.drawn !== null && times.speedscopeDrew !== null && times.drawn < times.speedscopeDrew, `the chart's rows were on screen before speedscope drew them (${at}); ${summary}`);
        const iframe = (await page.$$('iframe.webview')).at(-1)!;

        // speedscope has taken over; the first frame, shown again over it, has the same boxes
        await session.waitForReport((x) => x.flamePanel.open && x.flamePanel.loadedMs !== null, 'speedscope to draw the profile', 120_000);
        const frame = await flamePage(page);
        assert.equal(await frame.evaluate('window.__pyprofFirstFrame.shown'), false, 'the first frame is hidden once speedscope drew the profile');
        await page.waitForTimeout(300);
        const box = (await iframe.boundingBox())!;
        const rows = Math.min(4, Math.floor((box.height - CHART_ROWS_TOP) / 20));
        const clip = { x: box.x, y: box.y, width: box.width, height: CHART_ROWS_TOP + rows * 20 };
        const speedscopePng = await page.screenshot({ clip, path: path.join(resultsDir, `flame-speedscope-${theme}.png`) });
        await frame.evaluate('window.__pyprofFirstFrame.show()');
        await page.waitForTimeout(300);
        const firstPng = await page.screenshot({ clip, path: path.join(resultsDir, `flame-first-frame-${theme}.png`) });
        const painted = (await frame.evaluate('window.__pyprofFirstFrame.boxes.length')) as number;
        await frame.evaluate('window.__pyprofFirstFrame.hide()');
        assert.ok(painted > 0, 'the first frame painted boxes');
        const [ours, theirs] = [await pixels(page, firstPng), await pixels(page, speedscopePng)];
        const bgAt = (img: typeof ours): Rgb => {
          const i = ((CHART_ROWS_TOP + rows * 20 - 1) * img.width + img.width - 2) * 4; // bottom right: under every box
          return [img.data[i], img.data[i + 1], img.data[i + 2]];
        };
        let compared = 0;
        for (let d = 0; d < rows; d++) {
          const y = CHART_ROWS_TOP + d * 20 + 3; // above the labels (their text starts ~5 px down)
          const [a, b] = [runs(ours, y, bgAt(ours)), runs(theirs, y, bgAt(theirs))];
          t.diagnostic(`depth ${d}: speedscope ${JSON.stringify(b.map((x) => [x.x0, x.x1]))}, first frame ${JSON.stringify(a.map((x) => [x.x0, x.x1]))}`);
          for (const s of b.filter((x) => x.x1 - x.x0 >= 6)) {
            const m = a.find((x) => Math.abs(x.x0 - s.x0) <= 2 && Math.abs(x.x1 - s.x1) <= 2);
            assert.ok(m, `depth ${d}: speedscope's box at x ${s.x0}–${s.x1} has no first-frame box within 2 px (first frame: ${JSON.stringify(a.map((x) => [x.x0, x.x1]))})`);
            const dc = Math.max(...m.rgb.map((v, i) => Math.abs(v - s.rgb[i])));
            assert.ok(dc <= 8, `depth ${d}, x ${s.x0}: first frame rgb(${m.rgb}) vs speedscope rgb(${s.rgb})`);
            compared++;
          }
          // and no box of ours that speedscope does not draw
          for (const o of a.filter((x) => x.x1 - x.x0 >= 6)) {
            assert.ok(b.some((x) => Math.abs(x.x0 - o.x0) <= 2 && Math.abs(x.x1 - o.x1) <= 2), `depth ${d}: the first frame's box at x ${o.x0}–${o.x1} is not in speedscope's frame`);
          }
        }
        assert.ok(compared >= 3, `boxes compared: ${compared}`);
      },
    );
  });
}
