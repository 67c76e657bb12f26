import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { contentSecurityPolicy, flameHtml, makeNonce, resolveCssUrls } from '../../src/ui/flame/flameHtml';
import { readFlamePageCode, readSpeedscopeManifest } from '../../src/ui/flame/flamePageCode';
import { repoRoot } from '../helpers';

const media = path.join(repoRoot, 'media');
/** The page's own code as the panel reads it (the real media/ files) and the nonce. */
const pageFiles = (nonce: string) => ({
  cspSource: 'vscode-webview://x',
  nonce,
  speedscopeScript: 'vscode-webview://x/speedscope/speedscope.js',
  code: readFlamePageCode(media, readSpeedscopeManifest(media), 'vscode-webview://x/speedscope'),
});

test('flame HTML: strict CSP with nonce and wasm, hash and theme set before the bundle, nothing fetched before the first frame', (t) => {
  if (!fs.existsSync(path.join(media, 'speedscope', 'manifest.json'))) return t.skip('media/speedscope is not built (npm run build)');
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9]{32}$/);
  const html = flameHtml({
    ...pageFiles(nonce),
    colorScheme: 'LIGHT',
    view: 'left-heavy',
    workspaceFolders: [{ name: 'ws', path: '/tmp/a</script><script>alert(1)//' }],
  });
  // the workspace folders reach the page as data, and a folder name cannot end the script element
  assert.ok(html.includes('window.__pyprofWorkspaceFolders = [{"name":"ws","path":"/tmp/a\\u003c/script>\\u003cscript>alert(1)//"}];'), html.slice(0, 3000));
  const csp = contentSecurityPolicy('vscode-webview://x', nonce);
  assert.ok(csp.startsWith(`default-src 'none'`));
  assert.ok(csp.includes(`'nonce-${nonce}'`) && csp.includes(`'wasm-unsafe-eval'`));
  assert.ok(!/script-src[^;]*'unsafe-inline'/.test(csp), 'no inline scripts without nonce');
  assert.ok(!/https?:/.test(csp), 'no network sources');
  // every <script> is inline and carries the nonce, and each is closed by its own </script>:
  // setup, theme, first frame, bridge (the chart only with a memory timeline: here it is in the code)
  const scripts = html.match(/<script[^>]*>/g)!;
  assert.equal(scripts.length, 5, scripts.join('\n'));
  assert.equal(html.match(/<\/script>/g)!.length, 5);
  for (const s of scripts) {
    assert.ok(s.includes(`nonce="${nonce}"`), s);
    assert.ok(!/\ssrc=/.test(s), `a script fetched before the first frame: ${s}`);
  }
  // no stylesheet fetched either: speedscope's and ours are inline, its font URL made absolute
  assert.ok(!/<link\b/i.test(html), 'no <link> (a stylesheet holds the scripts after it)');
  assert.ok(html.includes('url("vscode-webview://x/speedscope/SourceCodePro-'), 'speedscope\'s font from its folder');
  assert.ok(!html.includes('sourceMappingURL'));
  // order: inline setup, theme, first frame, then the bridge, which inserts the bundle (named in its data-speedscope) with the nonce
  const at = (f: string) => html.indexOf(`data-pyprof="${f}"`);
  const setup = html.indexOf('speedscope-color-scheme');
  assert.ok(setup > 0 && setup < at('flameTheme.js') && at('flameTheme.js') < at('flameFirstFrame.js') && at('flameFirstFrame.js') < at('flame.js'));
  assert.ok(html.includes('data-pyprof="flame.js" data-speedscope="vscode-webview://x/speedscope/speedscope.js"'));
  assert.ok(html.includes(fs.readFileSync(path.join(media, 'flameFirstFrame.js'), 'utf8')), 'the first-frame script as shipped');
  // the page's load event waits for one data: image, so it fires after VS Code's document.close()
  assert.ok(html.indexOf('id="pyprof-load-gate"') > at('flame.js'));
  assert.ok(html.includes('#localProfilePath=inline&view=left-heavy'));
  assert.ok(html.includes('"LIGHT"'));
});

test('flame HTML: inlined code that could end its element is refused; stylesheet URLs resolve against its folder', () => {
  const code = { speedscopeCss: '', bridgeCss: '', bridgeJs: 'void 0;' };
  const page = (c: Partial<typeof code>) => () => flameHtml({ cspSource: 'x', nonce: 'n'.repeat(32), speedscopeScript: 's.js', code: { ...code, ...c }, colorScheme: 'DARK', view: 'left-heavy' });
  assert.doesNotThrow(page({}));
  assert.throws(page({ bridgeJs: 'const s = "</SCRIPT><script>alert(1)</script>";' }), /<\/script/);
  assert.throws(page({ bridgeJs: '// <!-- <script>' }));
  assert.throws(page({ bridgeCss: 'a{}</style><script>alert(1)</script>' }), /<\/style/);
  assert.equal(
    resolveCssUrls('@font-face{src:url("./f.woff2")} a{b:url(g.png)} c{d:url(data:image/gif;base64,AA)} e{f:url(https://h/i)}\n/*# sourceMappingURL=s.css.map */', 'https://w/media/speedscope'),
    '@font-face{src:url("https://w/media/speedscope/f.woff2")} a{b:url("https://w/media/speedscope/g.png")} c{d:url(data:image/gif;base64,AA)} e{f:url(https://h/i)}\n',
  );
});

test('flame HTML: the profile rides in the page as data, painted by the first-frame script before the bridge', (t) => {
  if (!fs.existsSync(path.join(media, 'speedscope', 'manifest.json'))) return t.skip('media/speedscope is not built (npm run build)');
  const nonce = makeNonce();
  const base64 = Buffer.from('{"name":"</script><script>alert(1)//"}').toString('base64');
  const html = flameHtml({
    ...pageFiles(nonce),
    profile: { name: '</script><b>x.json', base64 },
    colorScheme: 'DARK',
    view: 'time-ordered',
  });
  // a name cannot end the script element; the data is JSON
  assert.ok(html.includes(`window.__pyprofProfile = {"name":"\\u003c/script>\\u003cb>x.json","base64":"${base64}"};`), html.slice(0, 3000));
  assert.equal(html.match(/<\/script>/g)!.length, 5);
  for (const s of html.match(/<script[^>]*>/g)!) assert.ok(s.includes(`nonce="${nonce}"`), s);
  const at = (f: string) => html.indexOf(f);
  assert.ok(at('__pyprofProfile') < at('data-pyprof="flameTheme.js"') && at('data-pyprof="flameTheme.js"') < at('data-pyprof="flameFirstFrame.js"') && at('data-pyprof="flameFirstFrame.js"') < at('data-pyprof="flame.js"'));
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
