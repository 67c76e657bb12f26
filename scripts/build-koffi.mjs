// Build step (imported by scripts/build.mjs): puts the few koffi files the bundles load at run time
// into dist/node_modules/, next to the bundles that `require('koffi')` (it stays external: it loads
// a native .node file). Node finds dist/node_modules before the repository's node_modules, so tests
// run against exactly the files the .vsix ships, and `vsce package --no-dependencies` (which skips
// only the top-level node_modules/) packs them through .vscodeignore's `!dist/node_modules/**`.
//
// How koffi 3 finds its binary: koffi/index.cjs → src/koffi/index.cjs → src/koffi/src/static.cjs
// require('@koromix/koffi-<platform>-<arch>') (an optional dependency per platform) → its index.js
// loads linux_x64/koffi.node (glibc; musl_x64 is tried only when that fails). We ship linux-x64 glibc
// only: the engine reads Linux process memory, and other platforms' binaries would be dead weight.
//
// Files are replaced by rename, never rewritten in place: a running sampler has koffi.node mapped,
// and truncating a mapped library under it would crash it (SIGBUS).
import { createHash } from 'crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'node_modules');
const to = join(root, 'dist', 'node_modules');

/** Every file koffi opens on linux-x64 (glibc), relative to node_modules/. */
export const KOFFI_FILES = [
  'koffi/package.json',
  'koffi/LICENSE.txt',
  'koffi/index.cjs',
  'koffi/src/koffi/index.cjs',
  'koffi/src/koffi/src/static.cjs',
  '@koromix/koffi-linux-x64/package.json',
  '@koromix/koffi-linux-x64/index.js',
  '@koromix/koffi-linux-x64/linux_x64/koffi.node',
];

const digest = (b) => createHash('sha256').update(b).digest('hex');

function build() {
  for (const f of KOFFI_FILES) {
    const src = join(from, f);
    if (!existsSync(src)) throw new Error(`koffi: ${src} is missing (npm ci; or koffi changed its layout: update KOFFI_FILES in scripts/build-koffi.mjs)`);
    const dest = join(to, f);
    const data = readFileSync(src);
    if (existsSync(dest) && digest(readFileSync(dest)) === digest(data)) continue;
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = `${dest}.${process.pid}.tmp`;
    writeFileSync(tmp, data, { mode: 0o644 });
    renameSync(tmp, dest);
  }
}

if (!process.env.PYPROF_NO_BUILD) build();
