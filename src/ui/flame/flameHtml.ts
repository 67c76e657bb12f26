// The flame panel's HTML: speedscope's release bundle (media/speedscope/, copied and patched at
// build time) plus our bridge script (media/flame.js), under a strict Content-Security-Policy.
// Pure (no vscode import) so the CSP and load order are unit-tested.
//
// Load order matters (see /work/shared/SPEEDSCOPE.md): a nonce'd inline script sets the hash to
// `#localProfilePath=inline&view=…` (so speedscope defines window.speedscope.loadFileFromBase64
// instead of fetching) and the colour scheme in localStorage, *before* the bundle runs. The bridge
// (media/flame.js) inserts the bundle itself, with the nonce, after the first frame (painted by
// media/flameFirstFrame.js from the profile embedded as data) has been presented.

import { randomBytes } from 'crypto';
import type { RssChartData } from './rssChart';

export type FlameView = 'time-ordered' | 'left-heavy' | 'sandwich';
export type ColorScheme = 'DARK' | 'LIGHT';

export interface FlameHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** Random per render; every script we ship carries it. */
  nonce: string;
  /** webview URIs (asWebviewUri) of speedscope's bundle and stylesheet and of our bridge. */
  speedscopeScript: string;
  speedscopeStyle: string;
  bridgeScript: string;
  bridgeStyle: string;
  /** media/flameTheme.js: VS Code's colours and font for the patched bundle; omitted → speedscope's own. */
  themeScript?: string;
  /** media/flameFirstFrame.js: paints the first frame on a 2D canvas while speedscope loads; omitted → none. */
  firstFrameScript?: string;
  /**
   * The profile (speedscope JSON, base64) the page starts with: painted at once by the first-frame
   * script and handed to speedscope without waiting for a message. Omitted → it comes as a message.
   */
  profile?: { name: string; base64: string };
  /** media/rssChart.js (the RSS-over-time chart); omitted → no chart. */
  chartScript?: string;
  colorScheme: ColorScheme;
  view: FlameView;
  /** The workspace folders (name, absolute path): the detail pane shows frame files relative to them. */
  workspaceFolders?: ReadonlyArray<{ name: string; path: string }>;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    // 'wasm-unsafe-eval': speedscope demangles `_Z…`/`_R…` names (Python's `_RLock`!) with WebAssembly.
    `script-src ${cspSource} 'nonce-${nonce}' 'wasm-unsafe-eval'`,
    // speedscope injects <style> tags at run time.
    `style-src ${cspSource} 'unsafe-inline'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

/** JSON that is safe inside a <script> element (no `</script>`, no HTML comment openers). */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function flameHtml(o: FlameHtmlOptions): string {
  const hash = `#localProfilePath=inline&view=${o.view}`;
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>pyprof flame graph</title>
<link rel="stylesheet" href="${escapeAttr(o.speedscopeStyle)}">
<link rel="stylesheet" href="${escapeAttr(o.bridgeStyle)}">
<script nonce="${o.nonce}">
try { localStorage.setItem('speedscope-color-scheme', ${JSON.stringify(o.colorScheme)}); } catch (e) {}
window.__pyprofWorkspaceFolders = ${scriptJson(o.workspaceFolders ?? [])};
${o.profile ? `window.__pyprofProfile = ${scriptJson({ name: o.profile.name, base64: o.profile.base64 })};
` : ''}
if (location.hash !== ${JSON.stringify(hash)}) { try { history.replaceState(null, '', ${JSON.stringify(hash)}); } catch (e) { location.hash = ${JSON.stringify(hash)}; } }
</script>
</head>
<body data-color-scheme="${o.colorScheme}">
<div id="pyprof-status" role="status">Loading flame graph…</div>
${o.chartScript ? `<div id="pyprof-memory" hidden></div>\n<script nonce="${o.nonce}" src="${escapeAttr(o.chartScript)}"></script>\n` : ''}${o.themeScript ? `<script nonce="${o.nonce}" src="${escapeAttr(o.themeScript)}"></script>\n` : ''}${o.firstFrameScript ? `<script nonce="${o.nonce}" src="${escapeAttr(o.firstFrameScript)}"></script>\n` : ''}<script nonce="${o.nonce}" src="${escapeAttr(o.bridgeScript)}" data-speedscope="${escapeAttr(o.speedscopeScript)}"></script>
</body>
</html>
`;
}

/** 32 alphanumerics from the system's CSPRNG: a nonce a page could guess would let injected script run. */
export function makeNonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  // 62 × 4 = 248: bytes ≥ 248 are skipped so every character is equally likely
  while (s.length < 32) for (const b of randomBytes(48)) if (b < 248 && s.length < 32) s += chars[b % 62];
  return s;
}

/** Shown when the speedscope bundle is missing (a checkout that was not built): no script at all. */
export function missingFilesHtml(): string {
  return `<!DOCTYPE html><html><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body><p>speedscope files are missing from media/speedscope (run <code>npm run build</code>).</p></body></html>`;
}

export interface DiffFlameHtmlOptions {
  cspSource: string;
  nonce: string;
  /** webview URIs of media/flameDiff.js and media/flameDiff.css */
  script: string;
  style: string;
}

/** The comparison flame graph's page: static markup only; the data arrives as a message (JSON). */
export function diffFlameHtml(o: DiffFlameHtmlOptions): string {
  return `<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o.cspSource, o.nonce))}">
<link rel="stylesheet" href="${escapeAttr(o.style)}"></head>
<body><div id="title"></div>
<div id="legend"><span class="slower">slower</span><span class="faster">faster</span><span class="same">no significant change</span> width: the larger of the two shares; darker: larger change</div>
<div id="graph"></div><div id="detail">Hover or click a box: both profiles' figures.</div>
<script nonce="${o.nonce}" src="${escapeAttr(o.script)}"></script></body></html>`;
}

/** Messages from the extension to the flame panel (media/flame.js); the other way: webviewMessages.ts. */
export type ToWebview =
  | { type: 'load'; name: string; base64: string }
  /** The RSS chart's data (src/ui/flame/rssChart.ts), or null: no memory timeline, hide it. */
  | { type: 'memory'; chart: RssChartData | null };
