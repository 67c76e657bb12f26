// Bundles bench/engine-api.ts → dist/bench-engine.js for `npm run bench` (imported by build.mjs).
import * as esbuild from 'esbuild';
import { existsSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, 'src/engine/index.ts'))) {
  await esbuild.build({
    entryPoints: [join(root, 'bench/engine-api.ts')],
    outfile: join(root, 'dist/bench-engine.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode', 'koffi'],
    logLevel: 'warning',
  });
}
