// Permission errors say what really failed and fit the situation: a non-dumpable process of our
// own user (prctl PR_SET_DUMPABLE 0) can only be read with CAP_SYS_PTRACE, and the message says so.
// Runs pyprof as `nobody` (setpriv) against Debian's python3 started as nobody too.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawn, spawnSync } from 'child_process';
import { killQuietly, repoRoot, tmpDir } from '../helpers';

const python = '/usr/bin/python3';
const usable = process.getuid?.() === 0 && fs.existsSync('/usr/bin/setpriv') && fs.existsSync(python);
const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];

test('a non-dumpable process of the same user: the message says it is not dumpable and needs CAP_SYS_PTRACE', { skip: usable ? undefined : 'needs root, setpriv and /usr/bin/python3' }, async () => {
  const dir = tmpDir();
  fs.chmodSync(dir, 0o755);
  const script = path.join(dir, 'nondumpable.py');
  fs.writeFileSync(script, 'import ctypes, sys, time\nctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0\nprint("READY", flush=True)\ntime.sleep(60)\n');
  fs.chmodSync(script, 0o644);
  const target = spawn('/usr/bin/setpriv', [...asNobody, python, script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      target.stdout!.on('data', (d) => { out += d; if (out.includes('READY')) resolve(); });
      target.on('exit', () => reject(new Error('fixture exited')));
    });
    const code = `try { require(${JSON.stringify(path.join(repoRoot, 'out/src/engine'))}).attach(${target.pid}); console.log('{"code":"attached"}'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const r = spawnSync('/usr/bin/setpriv', [...asNobody, process.execPath, '-e', code], { encoding: 'utf8' });
    const out = JSON.parse(r.stdout.trim());
    assert.equal(out.code, 'PERMISSION_DENIED', r.stdout + r.stderr);
    assert.match(out.message, /failed with E(ACCES|PERM)/);
    assert.match(out.message, /the process belongs to nobody \(uid 65534\) and is not dumpable/);
    assert.match(out.message, /only be read with CAP_SYS_PTRACE/);
  } finally {
    killQuietly(target);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
