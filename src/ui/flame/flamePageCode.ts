// Reads the flame panel's own styles and scripts from media/ as text, for flameHtml to inline
// (no request before the first frame). No vscode import: the benchmark and tests build the same page.

import * as fs from 'fs';
import * as path from 'path';
import { FlamePageCode, resolveCssUrls } from './flameHtml';

/** speedscope's built files (media/speedscope/manifest.json, written by scripts/build-speedscope.mjs). */
export interface SpeedscopeManifest {
  script: string;
  style: string;
}

export function readSpeedscopeManifest(mediaDir: string): SpeedscopeManifest {
  return JSON.parse(fs.readFileSync(path.join(mediaDir, 'speedscope', 'manifest.json'), 'utf8')) as SpeedscopeManifest;
}

/**
 * The page code from `mediaDir`; `speedscopeBase` is the URL of media/speedscope/ as the page sees
 * it (asWebviewUri), against which speedscope's stylesheet finds its font.
 */
export function readFlamePageCode(mediaDir: string, manifest: SpeedscopeManifest, speedscopeBase: string): Required<FlamePageCode> {
  const read = (f: string) => fs.readFileSync(path.join(mediaDir, f), 'utf8');
  return {
    speedscopeCss: resolveCssUrls(read(path.join('speedscope', manifest.style)), speedscopeBase),
    bridgeCss: read('flame.css'),
    bridgeJs: read('flame.js'),
    themeJs: read('flameTheme.js'),
    firstFrameJs: read('flameFirstFrame.js'),
    chartJs: read('rssChart.js'),
  };
}
