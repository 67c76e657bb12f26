// The .vsix a user installs: `vsce package --no-dependencies` packs only what runs (bundles, media,
// koffi's linux-x64 files under dist/node_modules), it installs into code-server with
// --install-extension, activates, and profiles a file from the installed copy (which needs the
// shipped koffi binary: the sampler runs the installed dist/cli.js).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, repoRoot, supportedInterpreters, tmpDir } from '../helpers';
import { e2eUnavailable, EXTENSION_ID, startVscode, VscodeSession, waitForDecorations } from './harness';

const python = supportedInterpreters().find((i) => i.minor === '3.12') ?? supportedInterpreters()[0];
const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string; main: string; bin: Record<string, string> };

/** Entries of a zip file with their uncompressed sizes (python3's zipfile: always on this machine). */
function zipEntries(file: string): Array<{ name: string; size: number }> {
  const r = spawnSync('python3', ['-c', 'import json,sys,zipfile; print(json.dumps([[i.filename, i.file_size] for i in zipfile.ZipFile(sys.argv[1]).infolist()]))', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as Array<[string, number]>).map(([name, size]) => ({ name, size }));
}

test('the .vsix packs only what runs, installs into code-server and profiles a file', { skip: e2eUnavailable(), timeout: 5 * 60_000 }, async (t) => {
  const out = tmpDir('pyprof-vsix-');
  const vsix = path.join(out, 'pyprof.vsix');
  try {
    await t.test('vsce package --no-dependencies', () => {
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '-o', vsix], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      const entries = zipEntries(vsix);
      const names = new Set(entries.map((e) => e.name.replace(/^extension\//, '')));
      const sizeKb = Math.round(fs.statSync(vsix).size / 1024);
      t.diagnostic(`pyprof.vsix: ${entries.length} files, ${sizeKb} KB`);
      // Everything package.json points at, and koffi's loader chain down to the glibc binary.
      for (const f of [manifest.main, ...Object.values(manifest.bin)].map((p) => p.replace(/^\.\//, ''))) assert.ok(names.has(f), `${f} (named in package.json) is packed`);
      for (const f of ['dist/samplerWorker.js', 'dist/cliMain.js', 'dist/node_modules/koffi/package.json', 'dist/node_modules/koffi/index.cjs', 'dist/node_modules/koffi/src/koffi/index.cjs', 'dist/node_modules/koffi/src/koffi/src/static.cjs', 'dist/node_modules/@koromix/koffi-linux-x64/index.js', 'dist/node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node', 'media/flame.js', 'media/speedscope/manifest.json', 'LICENSE.txt']) {
        assert.ok(names.has(f), `${f} is packed; have: ${[...names].join(', ')}`);
      }
      if (fs.existsSync(path.join(repoRoot, 'dist', 'debugAdapter.js'))) assert.ok(names.has('dist/debugAdapter.js'), 'the debug adapter bundle is packed');
      // Nothing else: no sources, tests, maps, other platforms' binaries or the top-level node_modules.
      const stray = [...names].filter((n) => /^(src|test|out|bench|scripts|\.ci|node_modules)\/|\.map$|\.ts$|musl|koffi-(?!linux-x64)|\.speedscope\.json$/.test(n));
      assert.deepEqual(stray, [], `files that should not ship: ${stray.join(', ')}`);
      assert.ok(sizeKb < 3 * 1024, `the .vsix is ${sizeKb} KB`);
    });

    await t.test('installed with --install-extension, it activates and profiles hot.py from the installed copy', async () => {
      assert.ok(fs.existsSync(vsix), 'the .vsix was built');
      let vs: VscodeSession | undefined;
      try {
        vs = await startVscode({ workspaceFrom: fixture('workspace'), python: python.path, extension: { vsix } });
        const installed = path.join(vs.extensionsDir, `${EXTENSION_ID}-${manifest.version}`);
        assert.ok(fs.existsSync(path.join(installed, 'dist', 'node_modules', '@koromix', 'koffi-linux-x64', 'linux_x64', 'koffi.node')), `installed at ${installed}`);
        assert.ok(!fs.lstatSync(installed).isSymbolicLink(), 'a real install, not the checkout');
        const hotFile = path.join(vs.workspace, 'hot.py');
        await vs.openFile('hot.py');
        await vs.runCommand('pyprof: Profile Current File');
        const r = await vs.waitForReport((x) => !x.recording && !!x.profile && (x.decorations[hotFile]?.length ?? 0) > 0, 'hot lines from the installed extension', 90_000);
        assert.equal(r.lastError, null, `lastError: ${r.lastError}`);
        assert.ok(r.log.some((l) => l.includes(path.join(installed, 'dist', 'cli.js'))), `the sampler ran from the installed copy; log:\n${r.log.join('\n')}`);
        assert.ok((await waitForDecorations(vs.page)) > 0, 'the editor renders the hot-line decorations');
        await vs.page.waitForFunction("[...document.querySelectorAll('.codelens-decoration')].some((e) => /pyprof/.test(e.textContent || ''))", undefined, { timeout: 30_000 });
        assert.equal(vs.report()!.lensSource, 'server', 'the language server (dist/server.js) serves the lenses');
      } finally {
        await vs?.close();
      }
    });
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
