// The editor-host installer (scripts/vscode-host.mjs) on a small stand-in package instead of the
// 800 MB code-server: a local tarball whose install script records the environment it got and how
// long it ran. Real npm, real flock, several real installers at once; nothing needs the registry.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot, tmpDir } from '../helpers';

const installer = path.join(repoRoot, 'scripts', 'vscode-host.mjs');

/** Our environment without anything an enclosing npm put there (the tests' own npm calls). */
function plainEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD'));
}

/** What an outer `npm test` exports, with a Node version code-server's postinstall would refuse. */
const OUTER_NPM: NodeJS.ProcessEnv = {
  npm_config_user_agent: 'npm/11 node/v20.0.0 linux x64 workspaces/false',
  NPM_CONFIG_PYPROF_OUTER_PROBE: 'outer',
  npm_config_pyprof_outer_probe2: 'outer',
  npm_lifecycle_event: 'test',
  npm_lifecycle_script: 'node scripts/run-tests.mjs',
  npm_package_name: 'pyprof',
  npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js',
  npm_node_execpath: process.execPath,
  INIT_CWD: repoRoot,
};

interface Record { pid: number; start: number; end?: number; env: NodeJS.ProcessEnv }

interface StandIn { root: string; cache: string; spec: string; records: string }
let standInSpec: string | undefined;

/**
 * A fresh cache folder and a spec (package.json + lockfile, made once) depending on a local
 * tarball whose install script writes a record to `records` (started, then finished), sleeps
 * STANDIN_SLEEP_MS and, with STANDIN_FAIL, fails loudly on stdout and stderr.
 */
function standIn(): StandIn {
  const root = tmpDir('pyprof-host-install-');
  const records = path.join(root, 'records');
  fs.mkdirSync(records);
  standInSpec ??= makeStandInSpec();
  return { root, cache: path.join(root, 'cache'), spec: standInSpec, records };
}

function makeStandInSpec(): string {
  const root = tmpDir('pyprof-host-standin-');
  const pkg = path.join(root, 'standin');
  const spec = path.join(root, 'spec');
  for (const d of [pkg, spec]) fs.mkdirSync(d);
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'pyprof-host-standin', version: '1.0.0', scripts: { install: 'node record.js' } }));
  fs.writeFileSync(path.join(pkg, 'record.js'), `
const fs = require('fs'), path = require('path');
const file = path.join(process.env.STANDIN_RECORDS, process.pid + '.json');
const rec = { pid: process.pid, start: Date.now(), env: process.env };
fs.writeFileSync(file, JSON.stringify(rec), { flag: 'wx' });
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.STANDIN_SLEEP_MS || 0));
if (process.env.STANDIN_FAIL) {
  console.log('standin stdout: the build cannot go on (node v20 is too old)');
  console.error('standin stderr: gssapi/gssapi.h: No such file or directory');
  process.exit(3);
}
rec.end = Date.now();
fs.writeFileSync(file, JSON.stringify(rec));
`);
  const npm = (args: string[], cwd: string) => {
    const r = spawnSync('npm', args, { cwd, env: plainEnv(), encoding: 'utf8' });
    assert.equal(r.status, 0, `npm ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout.trim();
  };
  const tarball = path.join(root, npm(['pack', '--silent', '--pack-destination', root], pkg).split('\n').pop()!);
  fs.writeFileSync(path.join(spec, 'package.json'), JSON.stringify({ name: 'standin-host', private: true, version: '0.0.0', dependencies: { 'pyprof-host-standin': `file:${tarball}` } }));
  npm(['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], spec);
  return spec;
}

function installerEnv(s: StandIn, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...plainEnv(), ...OUTER_NPM, PYPROF_VSCODE_HOST_CACHE: s.cache, PYPROF_VSCODE_HOST_SPEC: s.spec, STANDIN_RECORDS: s.records, ...extra };
}

function records(s: StandIn): Record[] {
  return fs.readdirSync(s.records).map((f) => JSON.parse(fs.readFileSync(path.join(s.records, f), 'utf8')) as Record);
}

function partials(s: StandIn): string[] {
  return fs.existsSync(s.cache) ? fs.readdirSync(s.cache).filter((n) => n.includes('.partial-')) : [];
}

interface Run { status: number | null; stdout: string; stderr: string; endedAt: number }

function runInstaller(env: NodeJS.ProcessEnv, detached = false): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [installer], { env, stdio: ['ignore', 'pipe', 'pipe'], detached });
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Run>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr, endedAt: Date.now() })));
  return { child, done };
}

test('the install runs without the outer npm\'s config and lifecycle variables', { timeout: 120_000 }, async () => {
  const s = standIn();
  const run = await runInstaller(installerEnv(s)).done;
  assert.equal(run.status, 0, run.stderr);
  const [rec] = records(s);
  assert.ok(rec, 'the stand-in\'s install script ran');
  const npmVersion = spawnSync('npm', ['--version'], { env: plainEnv(), encoding: 'utf8' }).stdout.trim();
  // npm exports its own user agent to install scripts: the inner npm's, not the outer one's
  assert.match(rec.env.npm_config_user_agent ?? '', new RegExp(`^npm/${npmVersion.replace(/\./g, '\\.')} node/${process.version.replace(/\./g, '\\.')} `));
  const leaked = Object.keys(rec.env).filter((k) => /pyprof_outer_probe/i.test(k));
  assert.deepEqual(leaked, [], 'npm_config_* from outside reach the install');
  assert.equal(rec.env.npm_package_name, 'pyprof-host-standin');
  assert.notEqual(rec.env.INIT_CWD, repoRoot);
  assert.ok(!(rec.env.PATH ?? '').split(path.delimiter).includes(path.join(repoRoot, 'node_modules', '.bin')), rec.env.PATH);
  const host = JSON.parse(run.stdout.trim()) as { dir: string };
  assert.ok(fs.existsSync(path.join(host.dir, 'node_modules', 'pyprof-host-standin', 'record.js')));
  assert.ok(fs.existsSync(path.join(host.dir, '.complete')));
  // a second run finds it and installs nothing
  const again = await runInstaller(installerEnv(s)).done;
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout.trim()).dir, host.dir);
  assert.equal(records(s).length, 1);
});

test('installers started at once: one installs, the others wait for it; dead installers\' folders are removed', { timeout: 180_000 }, async () => {
  const s = standIn();
  // what installers killed half-way left behind (the older pid-named folders too)
  fs.mkdirSync(path.join(s.cache, '0123456789abcdef.partial-Xk3f9Q', 'node_modules'), { recursive: true });
  fs.mkdirSync(path.join(s.cache, '0123456789abcdef.partial-12345'), { recursive: true });
  const runs = await Promise.all(Array.from({ length: 5 }, () => runInstaller(installerEnv(s, { STANDIN_SLEEP_MS: '2000' })).done));
  for (const r of runs) assert.equal(r.status, 0, r.stderr);
  const dirs = new Set(runs.map((r) => JSON.parse(r.stdout.trim()).dir));
  assert.equal(dirs.size, 1);
  const recs = records(s);
  assert.equal(recs.length, 1, `the install script ran ${recs.length} times`);
  assert.ok(recs[0].end, 'the one install finished');
  // nobody returned before the install they depend on was complete
  for (const r of runs) assert.ok(r.endedAt >= recs[0].end!, 'an installer returned before the install finished');
  assert.deepEqual(partials(s), []);
  assert.ok(fs.existsSync(path.join([...dirs][0], '.complete')));
});

test('an installer killed half-way leaves nothing that is used or that blocks the next run', { timeout: 180_000 }, async () => {
  const s = standIn();
  const first = runInstaller(installerEnv(s, { STANDIN_SLEEP_MS: '60000' }), true);
  for (let i = 0; records(s).length === 0; i++) {
    assert.ok(i < 600, 'the stand-in install never started');
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(-first.child.pid!, 'SIGKILL'); // the installer, flock, npm and the install script
  await first.done;
  assert.equal(partials(s).length, 1, 'the killed install stays in its temporary folder');
  assert.ok(!fs.readdirSync(s.cache).some((n) => /^[0-9a-f]{16}$/.test(n)), 'no half-finished install under the final name');
  fs.rmSync(s.records, { recursive: true });
  fs.mkdirSync(s.records);
  const next = await runInstaller(installerEnv(s)).done;
  assert.equal(next.status, 0, next.stderr);
  assert.match(next.stderr, /removed [0-9a-f]{16}\.partial-\w+, left by an installer that did not finish/);
  assert.equal(records(s).length, 1);
  assert.deepEqual(partials(s), []);
  assert.ok(fs.existsSync(path.join(JSON.parse(next.stdout.trim()).dir, '.complete')));
});

test('a failed install shows the tool\'s own stdout and stderr and what to do, and keeps nothing', { timeout: 120_000 }, async () => {
  const s = standIn();
  const run = await runInstaller(installerEnv(s, { STANDIN_FAIL: '1' })).done;
  assert.equal(run.status, 1);
  assert.match(run.stderr, /`npm rebuild --foreground-scripts` exited with status 3/);
  assert.match(run.stderr, /--- its stdout ---[^]*standin stdout: the build cannot go on \(node v20 is too old\)/);
  assert.match(run.stderr, /--- its stderr ---[^]*standin stderr: gssapi\/gssapi\.h: No such file or directory/);
  assert.match(run.stderr, /--- what to do ---\n.*node scripts\/setup\.mjs --system/);
  assert.deepEqual(partials(s), []);
  assert.deepEqual(fs.readdirSync(s.cache).filter((n) => !n.startsWith('.')), [], 'nothing kept in the cache');
});
