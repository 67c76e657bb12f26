// Build step (imported by scripts/build.mjs): copies speedscope's release files into
// media/speedscope/ for the flame-graph webview (offline, no CDN) and patches the bundle once so a
// click on a frame reports {name, file, line} to our bridge script (speedscope has no click hook;
// see /work/shared/SPEEDSCOPE.md). The patch must match exactly once: if a speedscope upgrade moves
// the code, the build fails here instead of shipping a flame graph whose clicks silently do nothing.
// Also writes media/speedscope/manifest.json naming the hashed js/css files for the webview HTML.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'node_modules', 'speedscope', 'dist', 'release');
const out = join(root, 'media', 'speedscope');

/** The one place in speedscope 1.25's flame-chart canvas where a click selects a frame. */
export const CLICK_ANCHOR = 'this.props.onNodeSelect(this.hoveredLabel.node),this.renderCanvas()';
/** Appended after the anchor: hand the clicked frame and the mouse event to our bridge (media/flame.js). */
export const CLICK_HOOK =
  ',typeof window.__pyprofFrameClick=="function"&&window.__pyprofFrameClick(this.hoveredLabel.node.frame,n)';

/** Files the webview needs: the bundle, its stylesheet, font, wasm (JFR import) and the font licence. */
const wanted = (f) => (/\.(js|css|woff2|wasm)$/.test(f) && !/^favicon/.test(f)) || /LICENSE/.test(f) || f === 'release.txt';

/**
 * Patches that make speedscope look like VS Code (issue 12), each with the number of places it must
 * match in speedscope 1.25's bundle. The page defines the globals (src/ui/flame/flameHtml.ts) from
 * the webview's theme variables before the bundle runs; without them the bundle behaves as shipped.
 */
export const THEME_PATCHES = [
  {
    // speedscope's light and dark theme objects pass through window.__pyprofTheme, which puts the
    // VS Code theme's colours on the toolbar, backgrounds, text and selection
    what: 'theme objects (start)',
    find: /(\w+)=\{fgPrimaryColor:/g,
    replace: '$1=(window.__pyprofTheme||(t=>t))({fgPrimaryColor:',
    count: 2,
  },
  { what: 'theme objects (end)', find: /colorForBucketGLSL:([\w$]+)\}/g, replace: 'colorForBucketGLSL:$1})', count: 2 },
  // frame colours: warm flame hues (red → yellow) instead of the full rainbow; the luma and chroma
  // of each theme stay speedscope's (light bars on light themes, dark on dark); JS and WebGL alike
  // the RSS chart (media/rssChart.js) gets a strip of its own under the flame graph instead of
  // covering it: speedscope's root and WebGL canvas end --pyprof-strip above the bottom
  { what: 'app height', find: /height:"100vh"/g, replace: 'height:"calc(100vh - var(--pyprof-strip, 0px))"', count: 2 },
  { what: 'bar hue (JS)', find: /360\*\(\.9\*t\)/g, replace: '(15+55*t)', count: 2 },
  { what: 'bar hue (GLSL)', find: /360\.0 \* \(0\.9 \* t\)/g, replace: '(15.0 + 55.0 * t)', count: 2 },
  // the editor's font instead of the bundled Source Code Pro: the styles of the hover tip, detail pane, tables…
  { what: 'style font', find: /'"Source Code Pro", Courier, monospace'/g, replace: '(window.__pyprofFont||\'"Source Code Pro", Courier, monospace\')', count: 3 },
  // …and the canvas labels (template literals; after the line above, which would match these too)
  // the toolbar reads like VS Code's tabs: the UI font (after the line above)
  { what: 'toolbar font', find: /(toolbar:\{height:20,[^}]*?fontFamily:)\(window\.__pyprofFont\|\|/g, replace: '$1(window.__pyprofUiFont||window.__pyprofFont||', count: 1 },
  { what: 'canvas font', find: /px "Source Code Pro", Courier, monospace`/g, replace: 'px ${window.__pyprofFont||\'"Source Code Pro", Courier, monospace\'}`', count: 2 },
  // the toolbar is a flex row (it had the view tabs and the buttons absolutely positioned over a
  // centred title, so at half width "Sandwich" ran under "Export"): the view tabs keep their width,
  // the title takes the rest, the buttons shrink and clip and paint over a title that is too long.
  // The title stays without overflow:hidden: the thread list drops down from it.
  { what: 'toolbar row', find: /toolbar:\{height:20,flexShrink:0,/g, replace: 'toolbar:{height:20,flexShrink:0,display:"flex",whiteSpace:"nowrap",', count: 1 },
  { what: 'toolbar left', find: /toolbarLeft:\{position:"absolute",height:20,overflow:"hidden",top:0,left:0,/g, replace: 'toolbarLeft:{flexShrink:0,height:20,overflow:"hidden",', count: 1 },
  { what: 'toolbar centre', find: /toolbarCenter:\{paddingTop:1,height:20\}/g, replace: 'toolbarCenter:{paddingTop:1,height:20,flex:"1 1 0",minWidth:0}', count: 1 },
  { what: 'toolbar right', find: /toolbarRight:\{height:20,overflow:"hidden",position:"absolute",top:0,right:0,/g, replace: 'toolbarRight:{height:20,overflow:"hidden",position:"relative",zIndex:2,background:t.altBgPrimaryColor,flexShrink:1,minWidth:0,', count: 1 },
  // a single profile's name was a bare text node in the toolbar: give it the title's box too
  { what: 'toolbar title', find: /r\?a\.profiles\.length===1\?([\w$]+)\(([\w$]+),null,n\.profile\.getName\(\)\)/g, replace: 'r?a.profiles.length===1?$1("div",{className:B(e.toolbarCenter)},n.profile.getName())', count: 1 },
  // the detail pane's stack shows file names relative to the workspace folder (media/flame.js
  // defines __pyprofShortPath), the absolute path stays in the element's title (its tooltip)
  {
    what: 'detail pane paths',
    find: /let (\w+)=(\w+)\.file;(\2\.line!=null&&\(\1\+=`:\$\{\2\.line\}`,\2\.col!=null&&\(\1\+=`:\$\{\2\.col\}`\)\)),(\w+)\.push\((\w+)\("span",\{className:(\w+)\((\w+)\.stackFileLine\)\}/g,
    replace: 'let $1=(window.__pyprofShortPath||(f=>f))($2.file);$3,$4.push($5("span",{className:$6($7.stackFileLine),title:$2.file+($2.line!=null?":"+$2.line:"")}',
    count: 1,
  },
];

/**
 * Patches for the first paint (issue 12: under 500 ms for the demo profile, `npm run bench --
 * --only=firstpaint`). Measured in headless Chromium with software WebGL (SwiftShader, what a VS
 * Code without GPU gets): the first frame waited ~1 s in checkFramebufferStatus/readPixels for the
 * GPU process to zero speedscope's 4096 × 4096 RGBA row atlas (64 MiB) before it drew anything.
 */
export const FIRST_PAINT_PATCHES = [
  // The atlas caches flame rows (1 px tall, 4096 px wide) keyed by depth, zoom level and chunk; a
  // frame needs about two rows per depth in the minimap and two per visible depth in the main
  // chart, so 1024 rows (16 MiB) hold a stack some 400 frames deep. Rows past the capacity are
  // drawn directly by speedscope's own overflow path and the cache is LRU: nothing is lost, a very
  // deep profile re-renders some rows while zooming.
  { what: 'row atlas size', find: /createTexture\(([\w$]+)\.TextureFormat\.NEAREST_CLAMP,4096,4096\)/g, replace: 'createTexture($1.TextureFormat.NEAREST_CLAMP,4096,1024)', count: 1 },
  // The main flame chart (renderOutlines is true there and false in the minimap) reports each frame it
  // draws rectangles into the WebGL canvas, so media/flame.js can report the first frame that has
  // the flame in it rather than the moment the profile was parsed.
  {
    what: 'flame drawn hook',
    find: /(this\.props\.flamechartRenderer\.render\(\{physicalSpaceDstRect:this\.physicalBounds\(\),configSpaceSrcRect:this\.props\.configSpaceViewportRect,renderOutlines:!0\}\))/g,
    replace: '$1,typeof window.__pyprofFlameDrawn=="function"&&window.__pyprofFlameDrawn(this.props.flamechart)',
    count: 1,
  },
];

/**
 * speedscope's toolbar icons are emoji, which render as empty boxes where no emoji font is
 * installed (most Linux machines): each becomes a small inline SVG drawn in the text colour. In
 * order of appearance in the bundle, with the emoji each replaces (checked, so a reordered bundle
 * fails the build instead of putting the wrong icon on a tab).
 */
export const TOOLBAR_ICONS = [
  ['\\u{1F570}', 'M8 1a7 7 0 1 0 0 14A7 7 0 0 0 8 1zm0 1.5a5.5 5.5 0 1 1 0 11 5.5 5.5 0 0 1 0-11zM7.25 4v4.6l3.2 1.9.75-1.3-2.45-1.45V4z'], // Time Order: a clock
  ['\\u2B05\\uFE0F', 'M2 3h12v2H2zm0 4h8v2H2zm0 4h4v2H2z'], // Left Heavy: bars, widest first
  ['\\u{1F96A}', 'M2 3h12v2H2zm2 4h8v2H4zm-2 4h12v2H2z'], // Sandwich: a function between callers and callees
  ['\\u2934\\uFE0F', 'M7.25 3h1.5v6h-1.5zM4.5 5.5 8 2l3.5 3.5-1.05 1.05L8 4.1 5.55 6.55zM2 10h1.5v2.5h9V10H14v4H2z'], // Export
  ['\\u2935\\uFE0F', 'M7.25 2h1.5v6h-1.5zM4.5 6.5l1.05-1.05L8 7.9l2.45-2.45L11.5 6.5 8 10zM2 10h1.5v2.5h9V10H14v4H2z'], // Import
  ['\\u{1F3A8}', 'M8 1a7 7 0 1 0 0 14A7 7 0 0 0 8 1zm0 1.5v11a5.5 5.5 0 0 1 0-11z'], // colour scheme
  ['\\u2753', 'M8 1a7 7 0 1 0 0 14A7 7 0 0 0 8 1zm0 1.5a5.5 5.5 0 1 1 0 11 5.5 5.5 0 0 1 0-11zM7.25 10.5h1.5V12h-1.5zM8 4a2.5 2.5 0 0 0-2.5 2.5H7a1 1 0 1 1 1.55.83C7.7 7.9 7.25 8.4 7.25 9.5h1.5c0-.55.2-.8.9-1.3A2.5 2.5 0 0 0 8 4z'], // Help
];
const EMOJI_SPAN = /([\w$]+)\("span",\{className:([\w$]+)\(([\w$]+)\.emoji\)\},"([^"]*)"\)/g;

export function patchBundle(code) {
  const parts = code.split(CLICK_ANCHOR);
  if (parts.length !== 2) {
    throw new Error(
      `speedscope click patch: expected exactly 1 match of the anchor, found ${parts.length - 1}. ` +
        'The speedscope bundle changed: update CLICK_ANCHOR in scripts/build-speedscope.mjs (see SPEEDSCOPE.md).',
    );
  }
  let out = parts[0] + CLICK_ANCHOR + CLICK_HOOK + parts[1];
  for (const p of [...THEME_PATCHES, ...FIRST_PAINT_PATCHES]) {
    const found = out.match(p.find)?.length ?? 0;
    if (found !== p.count) {
      throw new Error(`speedscope patch "${p.what}": expected ${p.count} matches, found ${found}. The speedscope bundle changed: update THEME_PATCHES / FIRST_PAINT_PATCHES in scripts/build-speedscope.mjs.`);
    }
    out = out.replace(p.find, p.replace);
  }
  const emoji = [...out.matchAll(EMOJI_SPAN)].map((m) => m[4]);
  if (emoji.join(' ') !== TOOLBAR_ICONS.map((i) => i[0]).join(' ')) {
    throw new Error(`speedscope toolbar icons: expected ${TOOLBAR_ICONS.map((i) => i[0]).join(' ')}, found ${emoji.join(' ') || 'none'}. Update TOOLBAR_ICONS in scripts/build-speedscope.mjs.`);
  }
  let k = 0;
  out = out.replace(EMOJI_SPAN, (_m, h, cls, styles) => {
    const d = TOOLBAR_ICONS[k++][1];
    return `${h}("span",{className:${cls}(${styles}.emoji)},${h}("svg",{width:12,height:12,viewBox:"0 0 16 16",fill:"currentColor","aria-hidden":"true",style:"vertical-align:-1px"},${h}("path",{d:${JSON.stringify(d)}})))`;
  });
  return out;
}

function build() {
  if (!existsSync(src)) throw new Error(`speedscope release files not found at ${src}: run npm ci`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files = readdirSync(src).filter(wanted);
  const bundles = files.filter((f) => /^speedscope-.*\.js$/.test(f));
  if (bundles.length !== 1) throw new Error(`speedscope: expected one speedscope-*.js bundle, found ${bundles.length}`);
  for (const f of files) {
    if (f === bundles[0]) writeFileSync(join(out, f), patchBundle(readFileSync(join(src, f), 'utf8')));
    else copyFileSync(join(src, f), join(out, f));
  }
  const css = files.find((f) => /^speedscope-.*\.css$/.test(f));
  const version = JSON.parse(readFileSync(join(root, 'node_modules', 'speedscope', 'package.json'), 'utf8')).version;
  writeFileSync(join(out, 'manifest.json'), JSON.stringify({ version, script: bundles[0], style: css, patched: true }, null, 2) + '\n');
}

// Run when imported by build.mjs or executed directly; tests import patchBundle with PYPROF_NO_BUILD=1.
if (!process.env.PYPROF_NO_BUILD) build();
