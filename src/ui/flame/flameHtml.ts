// The flame panel's HTML: speedscope's release bundle (media/speedscope/, copied and patched at
// build time) plus our own styles and scripts, under a strict Content-Security-Policy.
// Pure (no vscode import) so the CSP and load order are unit-tested.
//
// Nothing before the first frame is fetched (issue 12: first paint under 500 ms). In VS Code every
// webview file is a round trip (service worker → workbench → extension host → back), 60–150 ms
// each under load, and stylesheets in <head> hold the scripts after them; so our styles and
// scripts (flamePageCode.ts reads them from media/) are inlined, each script under the nonce, and
// the profile rides in the page as JSON. Load order (see /work/shared/SPEEDSCOPE.md): a setup
// script sets the hash to `#localProfilePath=inline&view=…` (so speedscope defines
// window.speedscope.loadFileFromBase64 instead of fetching) and the colour scheme in localStorage;
// media/flameTheme.js reads the theme; media/flameFirstFrame.js paints the first frame from the
// embedded profile while the page is being written; the bridge (media/flame.js) inserts
// speedscope's bundle, the only file fetched, after the page's load event and the first frame.

import { randomBytes } from 'crypto';
import type { RssChartData } from './rssChart';

export type FlameView = 'time-ordered' | 'left-heavy' | 'sandwich';
export type ColorScheme = 'DARK' | 'LIGHT';

/** The page's own styles and scripts as text (src/ui/flame/flamePageCode.ts reads them from media/). */
export interface FlamePageCode {
  /** speedscope's stylesheet, its url()s made absolute (resolveCssUrls) */
  speedscopeCss: string;
  /** media/flame.css */
  bridgeCss: string;
  /** media/flame.js: the bridge between speedscope and the extension */
  bridgeJs: string;
  /** media/flameTheme.js: VS Code's colours and font for the patched bundle; omitted → speedscope's own. */
  themeJs?: string;
  /** media/flameFirstFrame.js: paints the first frame on a 2D canvas while speedscope loads; omitted → none. */
  firstFrameJs?: string;
  /** media/rssChart.js (the RSS-over-time chart); omitted → no chart. */
  chartJs?: string;
}

export interface FlameHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** Random per render; every script we ship carries it. */
  nonce: string;
  /** webview URI (asWebviewUri) of speedscope's bundle: the bridge inserts it after the first frame. */
  speedscopeScript: string;
  code: FlamePageCode;
  /**
   * The profile (speedscope JSON, base64) the page starts with: painted at once by the first-frame
   * script and handed to speedscope without waiting for a message. Omitted → it comes as a message.
   */
  profile?: { name: string; base64: string };
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

/** A nonce'd inline script; code that could end the element early (or open a comment in it) is refused. */
function inlineScript(nonce: string, code: string, attrs = ''): string {
  if (/<\/script|<script|<!--/i.test(code)) throw new Error('inline script code contains <script, </script or <!--');
  return `<script nonce="${nonce}"${attrs}>\n${code}\n</script>\n`;
}

function inlineStyle(css: string): string {
  if (/<\/style/i.test(css)) throw new Error('inline stylesheet contains </style');
  return `<style>\n${css}\n</style>\n`;
}

/** A stylesheet's relative url()s made absolute against `base` (a folder URL), and its source-map comment dropped: inlined, they would resolve against the page. */
export function resolveCssUrls(css: string, base: string): string {
  const folder = base.endsWith('/') ? base : `${base}/`;
  return css
    .replace(/\/\*# sourceMappingURL=[^*]*\*\//g, '')
    .replace(/url\(\s*(["']?)([^"')]+)\1\s*\)/g, (all, q: string, ref: string) =>
      /^([a-z][a-z0-9+.-]*:|\/|#)/i.test(ref) ? all : `url(${q || '"'}${folder}${ref.replace(/^\.\//, '')}${q || '"'})`,
    );
}

/**
 * A 1×1 image from a data: URL, fetched asynchronously: it keeps the document's load event from
 * firing inside document.close(). VS Code's webview host writes our page into its inner frame with
 * document.write/close and only then listens for 'load' to make the frame visible; a page with
 * nothing to fetch fires 'load' synchronously within close(), the host misses it and shows the
 * frame only after its 200 ms fallback timer.
 */
const LOAD_AFTER_CLOSE = '<img id="pyprof-load-gate" hidden alt="" src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">\n';

export function flameHtml(o: FlameHtmlOptions): string {
  const hash = `#localProfilePath=inline&view=${o.view}`;
  const c = o.code;
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>pyprof flame graph</title>
${inlineStyle(c.speedscopeCss)}${inlineStyle(c.bridgeCss)}${inlineScript(
    o.nonce,
    `try { localStorage.setItem('speedscope-color-scheme', ${JSON.stringify(o.colorScheme)}); } catch (e) {}
window.__pyprofWorkspaceFolders = ${scriptJson(o.workspaceFolders ?? [])};
${o.profile ? `window.__pyprofProfile = ${scriptJson({ name: o.profile.name, base64: o.profile.base64 })};\n` : ''}if (location.hash !== ${JSON.stringify(hash)}) { try { history.replaceState(null, '', ${JSON.stringify(hash)}); } catch (e) { location.hash = ${JSON.stringify(hash)}; } }`,
  )}</head>
<body data-color-scheme="${o.colorScheme}">
<div id="pyprof-status" role="status">Loading flame graph…</div>
${c.chartJs ? `<div id="pyprof-memory" hidden></div>\n${inlineScript(o.nonce, c.chartJs, ' data-pyprof="rssChart.js"')}` : ''}${c.themeJs ? inlineScript(o.nonce, c.themeJs, ' data-pyprof="flameTheme.js"') : ''}${c.firstFrameJs ? inlineScript(o.nonce, c.firstFrameJs, ' data-pyprof="flameFirstFrame.js"') : ''}${inlineScript(o.nonce, c.bridgeJs, ` data-pyprof="flame.js" data-speedscope="${escapeAttr(o.speedscopeScript)}"`)}${LOAD_AFTER_CLOSE}</body>
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
