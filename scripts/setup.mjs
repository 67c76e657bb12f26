// One-time set-up that `npm test` and `npm run demo` do for themselves, so a fresh machine needs
// nothing but those commands:
//   - npm dependencies: `npm ci` when node_modules is missing or older than package-lock.json
//     (npm writes node_modules/.package-lock.json on every install, so its mtime says when);
//   - with --system (tests only): Debian packages the test suites use when they are missing —
//     chromium and libkrb5-dev (real VS Code e2e tests) and golang-go (`go tool pprof` reads our
//     pprof export), libunwind8 (record/dump --native) and python3-numpy (native-frame tests). Installed only when running as root; otherwise the tests that need them
//     skip with their reason printed. PYPROF_NO_APT=1 turns this off.
// This script imports nothing from node_modules: it runs before they exist.
import { spawnSync } from 'child_process';
import { existsSync, statSync } from 'fs';
import { join, dirname } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wantSystem = process.argv.includes('--system');

function run(cmd, args, { quiet = false } = {}) {
  const stdio = quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit'; // apt's progress is noise; its errors are not
  const r = spawnSync(cmd, args, { cwd: root, stdio, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    console.error(`setup: \`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

function dependenciesCurrent() {
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) return false;
  return statSync(installed).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs;
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

if (!dependenciesCurrent()) {
  console.log('setup: installing npm dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

if (wantSystem && process.env.PYPROF_NO_APT !== '1') {
  const missing = [];
  if (!onPath('chromium')) missing.push('chromium');
  if (!existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev');
  if (!onPath('go')) missing.push('golang-go');
  // --native unwinds through libunwind's ptrace accessors; its tests run numpy's BLAS on Debian's python3
  if (!existsSync('/usr/lib/x86_64-linux-gnu/libunwind-ptrace.so.0')) missing.push('libunwind8');
  if (existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status !== 0) missing.push('python3-numpy');
  if (missing.length > 0) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (isRoot && onPath('apt-get')) {
      console.log(`setup: installing Debian packages the tests use: ${missing.join(' ')}…`);
      run('apt-get', ['update', '-qq'], { quiet: true });
      run('apt-get', ['install', '-y', '-qq', ...missing], { quiet: true });
    } else {
      console.log(`setup: ${missing.join(', ')} missing and not root with apt-get: the tests that need them will be skipped`);
    }
  }
}
