import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { contentSecurityPolicy, flameHtml, makeNonce } from '../../src/ui/flame/flameHtml';
import { repoRoot } from '../helpers';

/** The page's own files and nonce, as the panel passes them (both tests vary only the rest). */
const pageFiles = (nonce: string) => ({
  cspSource: 'vscode-webview://x',
  nonce,
  speedscopeScript: 'vscode-webview://x/speedscope.js',
  speedscopeStyle: 'vscode-webview://x/speedscope.css',
  bridgeScript: 'vscode-webview://x/flame.js',
  bridgeStyle: 'vscode-webview://x/flame.css',
});

test('flame HTML: strict CSP with nonce and wasm, hash and theme set before the bundle', () => {
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9]{32}$/);
  const html = flameHtml({
    ...pageFiles(nonce),
    colorScheme: 'LIGHT',
    view: 'left-heavy',
    workspaceFolders: [{ name: 'ws', path: '/tmp/a</script><script>alert(1)//' }],
  });
  // the workspace folders reach the page as data, and a folder name cannot end the script element
  assert.ok(html.includes('window.__pyprofWorkspaceFolders = [{"name":"ws","path":"/tmp/a\\u003c/script>\\u003cscript>alert(1)//"}];'), html);
  assert.equal(html.match(/<\/script>/g)!.length, 2);
  const csp = contentSecurityPolicy('vscode-webview://x', nonce);
  assert.ok(csp.startsWith(`default-src 'none'`));
  assert.ok(csp.includes(`'nonce-${nonce}'`) && csp.includes(`'wasm-unsafe-eval'`));
  assert.ok(!/script-src[^;]*'unsafe-inline'/.test(csp), 'no inline scripts without nonce');
  assert.ok(!/https?:/.test(csp), 'no network sources');
  // every <script> carries the nonce
  const scripts = html.match(/<script[^>]*>/g)!;
  assert.equal(scripts.length, 2);
  for (const s of scripts) assert.ok(s.includes(`nonce="${nonce}"`), s);
  // order: inline setup, then the bridge, which inserts the bundle (named in its data-speedscope) with the nonce
  const setup = html.indexOf('speedscope-color-scheme');
  assert.ok(setup > 0 && setup < html.indexOf('flame.js'));
  assert.ok(html.includes('src="vscode-webview://x/flame.js" data-speedscope="vscode-webview://x/speedscope.js"'), html);
  assert.ok(html.includes('#localProfilePath=inline&view=left-heavy'));
  assert.ok(html.includes('"LIGHT"'));
});

test('flame HTML: the profile rides in the page as data, painted by the first-frame script before the bridge', () => {
  const nonce = makeNonce();
  const base64 = Buffer.from('{"name":"</script><script>alert(1)//"}').toString('base64');
  const html = flameHtml({
    ...pageFiles(nonce),
    themeScript: 'vscode-webview://x/flameTheme.js',
    firstFrameScript: 'vscode-webview://x/flameFirstFrame.js',
    profile: { name: '</script><b>x.json', base64 },
    colorScheme: 'DARK',
    view: 'time-ordered',
  });
  // a name cannot end the script element; the data is JSON
  assert.ok(html.includes(`window.__pyprofProfile = {"name":"\\u003c/script>\\u003cb>x.json","base64":"${base64}"};`), html);
  assert.equal(html.match(/<\/script>/g)!.length, 4);
  for (const s of html.match(/<script[^>]*>/g)!) assert.ok(s.includes(`nonce="${nonce}"`), s);
  const at = (f: string) => html.indexOf(f);
  assert.ok(at('__pyprofProfile') < at('flameTheme.js') && at('flameTheme.js') < at('flameFirstFrame.js') && at('flameFirstFrame.js') < at('flame.js"'));
});

test('build-speedscope patches the bundle exactly once and refuses a moved anchor', () => {
  // Run the real build step's patch function on the shipped bundle and on a bundle without the anchor.
  const script = `
    process.env.PYPROF_NO_BUILD = '1';
    const m = await import(${JSON.stringify(path.join(repoRoot, 'scripts', 'build-speedscope.mjs'))});
    const fs = await import('fs');
    const dir = ${JSON.stringify(path.join(repoRoot, 'node_modules', 'speedscope', 'dist', 'release'))};
    const f = fs.readdirSync(dir).find((x) => /^speedscope-.*\\.js$/.test(x));
    const out = m.patchBundle(fs.readFileSync(dir + '/' + f, 'utf8'));
    console.log(out.split('__pyprofFrameClick').length - 1);
    // the first-paint patches: the row atlas shrunk, the main flame chart's draw reported once
    console.log(out.split('NEAREST_CLAMP,4096,4096').length - 1, out.split('NEAREST_CLAMP,4096,1024').length - 1, out.split('window.__pyprofFlameDrawn(this.props.flamechart)').length - 1);
    try { m.patchBundle('no anchor here'); console.log('accepted'); } catch (e) { console.log('refused'); }
    try { m.patchBundle(m.CLICK_ANCHOR + m.CLICK_ANCHOR); console.log('accepted'); } catch (e) { console.log('refused'); }
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['2', '0 1 1', 'refused', 'refused']);
});

test('media/flame.js defines the click bridge the patch calls', () => {
  const js = fs.readFileSync(path.join(repoRoot, 'media', 'flame.js'), 'utf8');
  assert.ok(js.includes('window.__pyprofFrameClick'));
  assert.ok(js.includes('loadFileFromBase64'));
});
