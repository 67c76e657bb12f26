// media/rssChart.js in a real browser (Debian chromium through playwright-core): the chart data
// from rssChartData() becomes an SVG line with the max labelled, collapses and hides on null.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot, tmpDir } from '../helpers';
import { rssChartData } from '../../src/ui/flame/rssChart';

const CHROMIUM = '/usr/bin/chromium';
const MB = 1 << 20;

test('the RSS chart draws the downsampled timeline and labels the max', async (t) => {
  if (!fs.existsSync(CHROMIUM)) return t.skip('Debian chromium is not installed');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const dir = tmpDir();
  try {
    const page = await browser.newPage({ viewport: { width: 800, height: 300 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const media = path.join(repoRoot, 'media');
    const html = path.join(dir, 'chart.html');
    // the same CSP shape as the panel: scripts only with the nonce
    fs.writeFileSync(
      html,
      `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src file: 'nonce-abc'; style-src file: 'unsafe-inline'">` +
        `<link rel="stylesheet" href="file://${media}/flame.css"></head><body>` +
        `<div id="pyprof-memory" hidden></div><script nonce="abc" src="file://${media}/rssChart.js"></script></body></html>`,
    );
    await page.goto(`file://${html}`);
    const mem = Array.from({ length: 5000 }, (_, i) => ({ t: i * 2, rssBytes: (20 + (i > 2000 && i < 3000 ? 180 : 0)) * MB }));
    const chart = rssChartData(mem)!;
    // (page scripts as strings: this project compiles without the DOM library)
    await page.evaluate(`window.postMessage(${JSON.stringify({ type: 'memory', chart })}, '*')`);
    await page.waitForSelector('#pyprof-memory polyline');
    const info = (await page.evaluate(`(() => {
      const box = document.getElementById('pyprof-memory');
      const line = box.querySelector('polyline');
      return {
        hidden: box.hidden,
        points: line.getAttribute('points').trim().split(/\\s+/).length,
        label: box.querySelector('.pyprof-memory-max').textContent,
        axis: [...box.querySelectorAll('.pyprof-memory-axis span')].map((e) => e.textContent),
        yAxis: [...box.querySelectorAll('.pyprof-memory-yaxis span')].map((e) => e.textContent),
        width: box.getBoundingClientRect().width,
        bottom: window.innerHeight - box.getBoundingClientRect().bottom,
        strip: getComputedStyle(document.documentElement).getPropertyValue('--pyprof-strip').trim(),
      };
    })()`)) as { hidden: boolean; points: number; label: string; axis: string[]; yAxis: string[]; width: number; bottom: number; strip: string };
    assert.equal(info.hidden, false);
    assert.equal(info.points, chart.points.length);
    assert.ok(info.points <= 1000);
    assert.equal(info.label, 'max RSS 200.0 MB at 4.00 s');
    assert.deepEqual(info.axis, ['0 s', '2 s', '4 s', '6 s', '8 s'], 'x axis: 0 … 9,998 ms in round seconds');
    assert.deepEqual(info.yAxis, ['0 MB', '100 MB', '200 MB'], 'y axis: bytes from 0 to a round top at the maximum');
    assert.equal(info.width, 800, 'a strip across the whole panel');
    assert.equal(info.bottom, 0, 'along the bottom');
    assert.equal(info.strip, '120px', 'speedscope is told to leave the strip free');
    await page.screenshot({ path: path.join(repoRoot, 'test-results', 'rss-chart.png') }).catch(() => undefined);
    // collapse to a button, then hide entirely when a profile without memory arrives
    await page.click('.pyprof-memory-toggle');
    assert.equal(await page.locator('#pyprof-memory polyline').count(), 0);
    await page.evaluate(`window.postMessage({ type: 'memory', chart: null }, '*')`);
    await page.waitForFunction(`document.getElementById('pyprof-memory').hidden`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
