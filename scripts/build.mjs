// Bundles every entry point with esbuild into dist/. Entries whose source does not exist yet are
// skipped, so the build works while parts of the product are still being written.
// koffi stays external: it loads a native binary from its own package at run time.
import * as esbuild from 'esbuild';
import { existsSync, chmodSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');

const entries = [
  { in: 'src/extension.ts', out: 'extension', bin: false },
  // dist/cli.js (the `pyprof` bin) is a small loader that runs the CLI bundle through V8's code cache
  { in: 'src/cli.ts', out: 'cliMain', bin: false },
  { in: 'src/cliLoader.ts', out: 'cli', bin: true },
  { in: 'src/server/main.ts', out: 'server', bin: true },
  { in: 'src/debug/adapterMain.ts', out: 'debugAdapter', bin: false },
  { in: 'src/engine/samplerWorker.ts', out: 'samplerWorker', bin: false },
].filter((e) => existsSync(join(root, e.in)));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  external: ['vscode', 'koffi'],
  absWorkingDir: root,
};

for (const e of entries) {
  const opts = {
    ...common,
    entryPoints: [e.in],
    outfile: `dist/${e.out}.js`,
    banner: e.bin ? { js: '#!/usr/bin/env node' } : undefined,
  };
  if (watch) {
    const ctx = await esbuild.context(opts);
    await ctx.watch();
  } else {
    await esbuild.build(opts);
    asciiOnly(join(root, opts.outfile));
    if (e.bin) chmodSync(join(root, opts.outfile), 0o755);
  }
}

/**
 * esbuild escapes non-ASCII in strings and regexes but copies comments as they are, and one `→` in
 * a comment makes V8 hold the whole bundle's source as a two-byte string: 2.5 MB instead of 1.3 MB
 * of the CLI's heap for as long as it runs (lazy functions are compiled from it). Comments are the
 * only place left, so each such character becomes `?` (one UTF-16 unit for one: the source map's
 * columns stay right).
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  if (!/[^\x00-\x7f]/.test(text)) return;
  const out = text.replace(/[^\x00-\x7f]/gu, (c) => '?'.repeat(c.length));
  writeFileSync(file, out);
}

// Extra build steps other parts register as scripts/build-*.mjs (e.g. copying speedscope into media/).
for (const f of readdirSync(join(root, 'scripts')).filter((f) => /^build-.+\.mjs$/.test(f)).sort()) {
  await import(join(root, 'scripts', f));
}
console.log(`built ${entries.map((e) => e.out).join(', ')}`);
