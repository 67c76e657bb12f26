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

export function patchBundle(code) {
  const parts = code.split(CLICK_ANCHOR);
  if (parts.length !== 2) {
    throw new Error(
      `speedscope click patch: expected exactly 1 match of the anchor, found ${parts.length - 1}. ` +
        'The speedscope bundle changed: update CLICK_ANCHOR in scripts/build-speedscope.mjs (see SPEEDSCOPE.md).',
    );
  }
  return parts[0] + CLICK_ANCHOR + CLICK_HOOK + parts[1];
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
