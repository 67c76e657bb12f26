// Watches the flame panel open in a real workbench page and says, from pixels, when its chart was
// first on screen. Shared by the e2e test (test/e2e/flameFirstFrame.e2e.test.ts) and the benchmark
// (bench/firstPaintHost.mjs), so both time the same thing the same way.
//
// The workbench's own clock marks when the panel's tab and its webview iframe are attached (a
// MutationObserver installed before the command runs), and a CDP screencast keeps every frame
// Chromium presents, stamped with its swap time; what was on screen at a moment is the last frame
// presented by then (a screenshot taken then would show a later moment: one takes seconds on a
// loaded machine). "Chart drawn" = the flame chart's first rows (under speedscope's toolbar and
// minimap) have ink: pixels that are not their band's most common colour.
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';

/** speedscope's layout under its 20 px toolbar: minimap 100 px + 2 px border, then the chart's time axis row, then depth 0, 1, … (20 px each). */
export const CHART_ROWS_TOP = 20 + 100 + 2 + 20;
/** A band with more ink than this is drawn (a blank band has ~0; drawn rows have 70–90 %). */
export const DRAWN = 0.05;

export interface Pixels {
  width: number;
  height: number;
  data: number[];
}

/** The share of a band's pixels that differ from its most common colour (its background): ~0 when blank. */
export function ink(img: Pixels): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < img.data.length; i += 4) {
    const k = (img.data[i] << 16) | (img.data[i + 1] << 8) | img.data[i + 2];
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return 1 - Math.max(...counts.values()) / (img.data.length / 4);
}

/**
 * Decodes a screencast frame (JPEG) in the page, optionally saves it as PNG to `file`, and returns
 * the pixels of `clip` (the frames are the window's size at 1:1).
 */
export async function decode(page: Page, jpeg: string, file: string | undefined, clip: { x: number; y: number; width: number; height: number }): Promise<Pixels> {
  const r = (await page.evaluate(`(async () => {
    const bytes = Uint8Array.from(atob('${jpeg}'), (c) => c.charCodeAt(0));
    const img = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
    const whole = new OffscreenCanvas(img.width, img.height);
    whole.getContext('2d').drawImage(img, 0, 0);
    let png = '';
    if (${file ? 'true' : 'false'}) {
      const bytes = new Uint8Array(await (await whole.convertToBlob({ type: 'image/png' })).arrayBuffer());
      for (let i = 0; i < bytes.length; i += 0x8000) png += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      png = btoa(png);
    }
    const c = ${JSON.stringify({ x: Math.round(clip.x), y: Math.round(clip.y), w: Math.round(clip.width), h: Math.round(clip.height) })};
    const d = whole.getContext('2d').getImageData(c.x, c.y, c.w, c.h);
    return { png, width: c.w, height: c.h, data: [...d.data] };
  })()`)) as { png: string; width: number; height: number; data: number[] };
  if (file) fs.writeFileSync(file, Buffer.from(r.png, 'base64'));
  return r;
}

/** Epoch ms of our page's navigation start (the inner webview frame's performance.timeOrigin), null before it ran. */
export async function pageOrigin(page: Page): Promise<number | null> {
  for (const f of page.frames()) {
    const o = (await f.evaluate('window.__pyprofFirstFrame ? performance.timeOrigin : null').catch(() => null)) as number | null;
    if (o !== null) return o;
  }
  return null;
}

/** When the webview's page started, painted our first frame and speedscope drew, in ms after `openedEpoch`. */
export async function flameTimeline(page: Page, openedEpoch: number): Promise<string> {
  const starts: string[] = [];
  for (const f of page.frames()) {
    const origin = (await f.evaluate('performance.timeOrigin').catch(() => null)) as number | null;
    if (origin === null || f === page.mainFrame()) continue;
    // the webview host's own marks (VS Code's pre/index.html: service worker, inner frame written)
    const marks = (await f.evaluate(`performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])`).catch(() => [])) as Array<[string, number]>;
    starts.push(`${new URL(f.url()).pathname.split('/').pop()} at ${Math.round(origin - openedEpoch)} ms${marks.length ? ` (${marks.map(([n, at]) => `${n} ${Math.round(origin + at - openedEpoch)}`).join(', ')})` : ''}`);
  }
  for (const f of page.frames()) {
    const t = (await f
      .evaluate(`window.__pyprofFirstFrame ? { origin: performance.timeOrigin, painted: window.__pyprofFirstFrame.paintedAt, drawn: (performance.getEntriesByName('pyprof: flame drawn')[0] || { startTime: -1 }).startTime, files: performance.getEntriesByType('resource').map((r) => [r.name.split('/').pop(), r.startTime, r.responseEnd]) } : null`)
      .catch(() => null)) as { origin: number; painted: number; drawn: number; files: Array<[string, number, number]> } | null;
    if (!t) continue;
    const rel = (ms: number) => (ms < 0 ? 'not yet' : `${Math.round(t.origin + ms - openedEpoch)} ms`);
    const files = t.files.map(([f, a, b]) => `${f.slice(0, 40)} ${rel(a)}–${rel(b)}`).join(', ');
    return `frames started: ${starts.join(', ')}; our page: navigation ${rel(0)}, first frame painted ${rel(t.painted)}, speedscope drew ${rel(t.drawn)}; its files: ${files || 'none'}`;
  }
  return 'the panel page has not run';
}

/** One opening of the panel, in ms after its iframe was attached (null: not seen). */
export interface OpeningTimes {
  /** the panel's tab attached (before the iframe, or after: negative / positive) */
  tab: number | null;
  /**
   * the inner frame's navigation start: VS Code's webview host loads a placeholder (`fake.html`,
   * through its service worker) into it and later writes our page into the same document, which
   * keeps this time origin
   */
  pageStart: number | null;
  /** the placeholder had loaded: VS Code's host starts writing our page (its `innerFrameLoaded` mark; the write follows after a setTimeout 0) */
  writeStart: number | null;
  /** VS Code's webview host had written our page into that frame (document.write/close returned; our scripts ran inside it) */
  written: number | null;
  /** the first presented frame with the chart's rows drawn */
  drawn: number | null;
  /** ink of the chart rows in the frame on screen 500 ms after the inner frame's navigation start */
  inkAtPage500: number | null;
  /** ink of the chart rows in the frame on screen 500 ms after VS Code started writing our page */
  inkAtWrite500: number | null;
  /** our page painted its first frame (the `pyprof: first frame painted` mark) */
  firstFramePainted: number | null;
  /** speedscope's chart first drew the profile (the `pyprof: flame drawn` mark) */
  speedscopeDrew: number | null;
}

export interface Opening {
  /** epoch ms when the panel's iframe was attached */
  openedEpoch: number;
  /**
   * Waits for frames up to 1000 ms after the iframe appeared (or `settleMs` more), stops the
   * screencast and reads the times. `shots`: a folder and a name for the frames on screen 100, 500
   * and 1000 ms after the iframe appeared and 500 ms after our page started.
   */
  finish(shots?: { dir: string; name: string }): Promise<{ times: OpeningTimes; summary: string }>;
}

/**
 * Runs `open` (a key press, a command) and watches the flame panel appear. Call finish() once the
 * panel has drawn (speedscope's 'loaded' reached the extension).
 */
export async function watchOpening(page: Page, open: () => Promise<void>): Promise<Opening> {
  await page.evaluate(`(() => {
    const before = new Set(document.querySelectorAll('iframe.webview'));
    const tabsBefore = new Set([...document.querySelectorAll('.tabs-container .tab')].filter((t) => (t.textContent || '').includes('pyprof:')));
    window.__flameIframeAt = null;
    window.__flameTabAt = null;
    const seen = () => {
      const now = performance.now();
      if (window.__flameIframeAt === null && [...document.querySelectorAll('iframe.webview')].some((f) => !before.has(f))) window.__flameIframeAt = now;
      if (window.__flameTabAt === null && [...document.querySelectorAll('.tabs-container .tab')].some((t) => !tabsBefore.has(t) && (t.textContent || '').includes('pyprof:'))) window.__flameTabAt = now;
    };
    new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
  const cdp = await page.context().newCDPSession(page);
  const screencast: Array<{ epochMs: number; jpeg: string }> = [];
  cdp.on('Page.screencastFrame', (f: { data: string; sessionId: number; metadata: { timestamp?: number } }) => {
    if (f.metadata.timestamp) screencast.push({ epochMs: f.metadata.timestamp * 1000, jpeg: f.data });
    void cdp.send('Page.screencastFrameAck', { sessionId: f.sessionId }).catch(() => undefined);
  });
  await cdp.send('Page.startScreencast', { format: 'jpeg', quality: 95, everyNthFrame: 1 });
  await open();
  const opened = (await (await page.waitForFunction('window.__flameIframeAt', undefined, { timeout: 120_000, polling: 10 })).jsonValue()) as number;
  const origin = (await page.evaluate('performance.timeOrigin')) as number;
  const openedEpoch = origin + opened;
  const iframeBox = (await (await page.$$('iframe.webview')).at(-1)!.boundingBox())!;
  const rowsClip = { x: iframeBox.x, y: iframeBox.y + CHART_ROWS_TOP, width: iframeBox.width, height: 40 };
  return {
    openedEpoch,
    async finish(shots) {
      const wait = openedEpoch + 1500 - Date.now();
      if (wait > 0) await page.waitForTimeout(wait); // frames until 1000 ms at least
      await cdp.send('Page.stopScreencast').catch(() => undefined);
      await cdp.detach().catch(() => undefined);
      const tabAt = (await page.evaluate('window.__flameTabAt')) as number | null;
      const times: OpeningTimes = { tab: tabAt === null ? null : Math.round(tabAt - opened), pageStart: null, writeStart: null, written: null, drawn: null, inkAtPage500: null, inkAtWrite500: null, firstFramePainted: null, speedscopeDrew: null };
      let writeStartEpoch: number | null = null;
      for (const f of page.frames()) {
        const host = f.parentFrame();
        if (!host || !(await f.evaluate('!!window.__pyprofFirstFrame').catch(() => false))) continue;
        const hostMark = async (name: string) =>
          (await host.evaluate(`(() => { const m = performance.getEntriesByName(${JSON.stringify(name)}).at(-1); return m ? performance.timeOrigin + m.startTime : null; })()`).catch(() => null)) as number | null;
        const ourMark = async (name: string) =>
          (await f.evaluate(`(() => { const m = performance.getEntriesByName(${JSON.stringify(name)})[0]; return m ? performance.timeOrigin + m.startTime : null; })()`).catch(() => null)) as number | null;
        const [painted, drew] = [await ourMark('pyprof: first frame painted'), await ourMark('pyprof: flame drawn')];
        if (painted !== null) times.firstFramePainted = Math.round(painted - openedEpoch);
        if (drew !== null) times.speedscopeDrew = Math.round(drew - openedEpoch);
        const w = await hostMark('webview/index.html/content/wroteInnerContent');
        if (w !== null) times.written = Math.round(w - openedEpoch);
        writeStartEpoch = await hostMark('webview/index.html/content/innerFrameLoaded');
        if (writeStartEpoch !== null) times.writeStart = Math.round(writeStartEpoch - openedEpoch);
      }
      const file = (suffix: string) => (shots ? path.join(shots.dir, `flame-open-${shots.name}-${suffix}.png`) : undefined);
      const seen: string[] = [];
      if (shots) {
        for (const ms of [100, 500, 1000]) {
          const shown = screencast.filter((f) => f.epochMs <= openedEpoch + ms).at(-1);
          if (!shown) {
            seen.push(`${ms} ms: no frame`);
            continue;
          }
          const drawn = ink(await decode(page, shown.jpeg, file(`${ms}ms`), rowsClip));
          seen.push(`${ms} ms: frame of ${Math.round(shown.epochMs - openedEpoch)} ms, chart rows ${(drawn * 100).toFixed(1)}% ink`);
        }
      }
      // the chart rows' ink in the frame on screen 500 ms after `fromEpoch`
      const inkAfter500 = async (fromEpoch: number, what: string, suffix: string): Promise<number | null> => {
        const shown = screencast.filter((f) => f.epochMs <= fromEpoch + 500).at(-1);
        if (!shown) return null;
        const drawn = ink(await decode(page, shown.jpeg, file(suffix), rowsClip));
        seen.push(`500 ms after ${what} (${Math.round(fromEpoch - openedEpoch)} ms): frame of ${Math.round(shown.epochMs - fromEpoch)} ms, chart rows ${(drawn * 100).toFixed(1)}% ink`);
        return drawn;
      };
      // from the inner frame's navigation start (VS Code's placeholder, the page's own clock) and
      // from VS Code's host starting to write our page into it
      const pageStart = await pageOrigin(page);
      if (pageStart !== null) {
        times.pageStart = Math.round(pageStart - openedEpoch);
        times.inkAtPage500 = await inkAfter500(pageStart, 'the inner frame started', 'page-500ms');
      }
      if (writeStartEpoch !== null) times.inkAtWrite500 = await inkAfter500(writeStartEpoch, 'VS Code started writing our page', 'write-500ms');
      // the first presented frame with the flame's rows drawn (binary search: blank until drawn)
      const after = screencast.filter((f) => f.epochMs >= openedEpoch);
      const rowsInk = async (i: number) => ink(await decode(page, after[i].jpeg, undefined, rowsClip));
      let lo = 0;
      let hi = after.length - 1;
      if (hi >= 0 && (await rowsInk(hi)) > DRAWN) {
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((await rowsInk(mid)) > DRAWN) hi = mid;
          else lo = mid + 1;
        }
        times.drawn = Math.round(after[lo].epochMs - openedEpoch);
        seen.push(`first frame with the rows drawn: ${times.drawn} ms`);
      }
      if (times.tab !== null) seen.push(`tab attached at ${times.tab} ms`);
      return { times, summary: `${seen.join('; ')} (${screencast.length} frames); ${await flameTimeline(page, openedEpoch)}` };
    },
  };
}

/**
 * The keys a flame-opening session presses: Ctrl+Alt+1 loads `profile`, Ctrl+Alt+2 closes the
 * panel's group, Ctrl+Alt+3 opens the flame graph again (the e2e test and the bench use the same).
 */
export function flameOpeningKeybindings(profile: string): Array<{ key: string; command: string; args?: unknown }> {
  return [
    { key: 'ctrl+alt+1', command: 'pyprof.openProfile', args: profile },
    { key: 'ctrl+alt+2', command: 'workbench.action.closeEditorsInOtherGroups' },
    { key: 'ctrl+alt+3', command: 'pyprof.showFlameGraph' },
  ];
}
