#!/usr/bin/env node
// `npm run bench` part 5 (also `node bench/ui.mjs` after `npm run build`): the extension side.
//   - extension bundle load time (dist/extension.js required with a stand-in `vscode` module;
//     activate() itself is measured in a real VS Code and reported by the test hooks as activationMs)
//   - "profile ready → decorations": summary + path table + per-file hot-line tables for a
//     1M-sample profile (what runs in the extension host before decorations are set)
//   - flame panel: the display feed for the same profile, and speedscope importing and laying it
//     out in headless Chromium (media/speedscope + our bridge, as in the webview, minus VS Code)
// Two 1M-sample profiles: "narrow" (a real program's shape: few hundred distinct stacks) and
// "wide" (20k random stacks over 3000 functions, 500k trie nodes: a worst case).
// Targets (issue 3): activation < 100 ms, decorations < 500 ms, panel < 2 s.
import * as esbuild from 'esbuild';
import { createRequire } from 'module';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { performance } from 'perf_hooks';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-bench-ui-'));
const ms = (t0) => Math.round(performance.now() - t0);

try {
  await esbuild.build({ entryPoints: [path.join(root, 'bench/ui-entry.ts')], outfile: path.join(tmp, 'ui.js'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error' });
  const m = require(path.join(tmp, 'ui.js'));
  console.log('## 5. Extension side (1M-sample profiles)\n');

  // Bundle load time with a stand-in vscode module (a Proxy: no API is called at load).
  const ext = path.join(root, 'dist', 'extension.js');
  if (fs.existsSync(ext)) {
    const Module = require('module');
    const fake = path.join(tmp, 'vscode.js');
    fs.writeFileSync(fake, 'module.exports = new Proxy({}, { get: () => function () {} });');
    const orig = Module._resolveFilename;
    Module._resolveFilename = function (r, ...a) { return r === 'vscode' ? fake : orig.call(this, r, ...a); };
    const t0 = performance.now();
    require(ext);
    console.log(`extension bundle load: ${ms(t0)} ms (${(fs.statSync(ext).size / 1024).toFixed(0)} KiB)`);
    Module._resolveFilename = orig;
  }

  const rows = [];
  for (const shape of ['narrow', 'wide']) {
    const p = synthetic(m, shape);
    const file = path.join(tmp, `${shape}.speedscope.json`);
    fs.writeFileSync(file, m.exportProfile(p, 'speedscope'));
    let t0 = performance.now();
    const profile = m.importProfile(new Uint8Array(fs.readFileSync(file)), path.basename(file));
    const importMs = ms(t0);
    t0 = performance.now();
    const summary = m.summarizeProfile(profile);
    const files = [...new Set(profile.frames.map((f) => f.file))];
    const paths = m.buildPathTable(files, { workspaceFiles: files.map((f) => '/home/me/project' + f) });
    const tables = m.buildHotLineTables(summary, paths, profile.meta);
    const decoMs = ms(t0);
    t0 = performance.now();
    const feed = m.buildFlameFeed(profile, shape);
    const feedMs = ms(t0);
    const render = await speedscopeRender(feed.json);
    rows.push([shape, String(profile.nodes.length), `${importMs} ms`, `${decoMs} ms (${tables.size} files)`, `${feedMs} ms (${feed.keptNodes} nodes)`, render]);
  }
  console.log(table(['profile', 'trie nodes', 'read file', 'ready → decoration tables', 'flame feed', 'speedscope load+layout']));
  function table(h) {
    const all = [h, ...rows];
    const w = h.map((_, i) => Math.max(...all.map((r) => r[i].length)));
    const line = (r) => '| ' + r.map((c, i) => c.padEnd(w[i])).join(' | ') + ' |';
    return [line(h), '|' + w.map((x) => '-'.repeat(x + 2)).join('|') + '|', ...rows.map(line)].join('\n');
  }
  console.log();
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

function synthetic(m, shape) {
  let seed = 12345;
  const rnd = (n) => {
    seed = (seed * 1664525 + 1013904223) >>> 0; // full-period LCG; use the high bits
    return Math.floor((seed / 2 ** 32) * n);
  };
  const b = new m.ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples', rateHz: 1000, sampleCount: 1_000_000 });
  const threads = [0, 1, 2, 3].map((i) => b.internThread(100 + i, `T${i}`, 1));
  const F = '/app/main.py';
  const nFns = shape === 'wide' ? 3000 : 120;
  const nStacks = shape === 'wide' ? 20000 : 400;
  const lib = Array.from({ length: nFns }, (_, i) => ({ name: `f${i}`, file: `/app/pkg${i % 60}/m.py`, firstLine: (i % 50) * 20 + 1 }));
  const stacks = [];
  for (let s = 0; s < nStacks; s++) {
    const st = [{ name: '<module>', file: F, firstLine: 1, line: 63 }, { name: 'main', file: F, firstLine: 46, line: 51 + rnd(5) }];
    const depth = 5 + rnd(shape === 'wide' ? 40 : 25);
    for (let d = 0; d < depth; d++) {
      const f = lib[rnd(nFns)];
      st.push({ ...f, line: f.firstLine + 1 + rnd(15) });
    }
    stacks.push(b.internStack(st));
  }
  for (let i = 0, t = 0; i < 1_000_000; i += 10, t += 10) b.addSample(threads[rnd(4)], stacks[rnd(stacks.length)], 10, t);
  return b.finish();
}

async function speedscopeRender(json) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return 'skipped (playwright-core missing)';
  }
  if (!fs.existsSync('/usr/bin/chromium')) return 'skipped (no /usr/bin/chromium)';
  const media = path.join(root, 'media');
  const manifestFile = path.join(media, 'speedscope', 'manifest.json');
  if (!fs.existsSync(manifestFile)) return 'skipped (run npm run build)';
  const man = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  const page = path.join(tmp, 'flame.html');
  fs.writeFileSync(page, `<!DOCTYPE html><html><head><meta charset="UTF-8"><link rel="stylesheet" href="file://${media}/speedscope/${man.style}">
<script>history.replaceState(null,'','#localProfilePath=inline&view=left-heavy');</script></head>
<body><script src="file://${media}/speedscope/${man.script}"></script></body></html>`);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--allow-file-access-from-files'] });
  try {
    const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await tab.goto('file://' + page);
    await tab.waitForFunction(() => window.speedscope && window.speedscope.loadFileFromBase64);
    const b64 = Buffer.from(json).toString('base64');
    const t = await tab.evaluate(async (b64) => {
      const t0 = performance.now();
      document.title = 'loading';
      window.speedscope.loadFileFromBase64('bench.json', b64);
      while (document.title === 'loading') await new Promise((r) => setTimeout(r, 10));
      return performance.now() - t0;
    }, b64);
    return `${Math.round(t)} ms`;
  } finally {
    await browser.close();
  }
}
