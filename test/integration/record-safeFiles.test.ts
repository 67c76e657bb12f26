// Files pyprof creates cannot be redirected by another user (issue 21.2): the old temporary name
// `OUTPUT.tmp-PID` planted as a symlink to a victim file, a symlink at the output itself, a
// symlinked --events-file; and new files get the permissions the umask gives.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawn } from 'child_process';
import { fixture, interpreterFor, supportedInterpreters, tmpDir } from '../helpers';
import { CLI, collect, runCli, spawnCli } from './cli-support';

const py = interpreterFor('3.12') ?? supportedInterpreters().at(-1);
const noPython = py ? undefined : 'no supported CPython (3.8+) installed';

function victimIn(dir: string): string {
  const victim = path.join(dir, 'victim.conf');
  fs.writeFileSync(victim, 'VICTIM\n');
  fs.chmodSync(victim, 0o600);
  return victim;
}

test('a symlink planted at OUTPUT.tmp-PID (read from ps) and at OUTPUT itself is never written through', { skip: noPython, timeout: 60_000 }, async () => {
  const dir = tmpDir('pyprof-symlink-');
  try {
    const victim = victimIn(dir);
    const out = path.join(dir, 'out.speedscope.json');
    const cli = spawnCli(['record', '--rate', '200', '-q', '-o', out, '--', py!.path, fixture('exit_after.py'), '1.0']);
    // what the attacker does the moment the recorder's pid shows in ps
    const planted = `${out}.tmp-${cli.pid}`;
    fs.symlinkSync(victim, planted);
    fs.symlinkSync(victim, out);
    const r = await collect(cli);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'VICTIM\n', 'the victim file is untouched');
    assert.equal(fs.readlinkSync(planted), victim, 'the planted link is left alone');
    assert.ok(fs.lstatSync(out).isFile(), 'the output is a new regular file that replaced the link');
    assert.ok(JSON.parse(fs.readFileSync(out, 'utf8')).pyprof.meta.sampleCount > 0);
    // convert onto a symlink replaces it too
    const conv = path.join(dir, 'conv.collapsed.txt');
    fs.symlinkSync(victim, conv);
    const c = await runCli(['convert', out, '-o', conv]);
    assert.equal(c.code, 0, c.stderr);
    assert.ok(fs.lstatSync(conv).isFile());
    assert.equal(fs.readFileSync(victim, 'utf8'), 'VICTIM\n');
    // --events-file through a symlink is refused with the reason, before anything is sampled
    const events = path.join(dir, 'events.jsonl');
    fs.symlinkSync(victim, events);
    const e = await runCli(['record', '--events-file', events, '-o', path.join(dir, 'x.json'), '--', py!.path, fixture('exit_after.py'), '0.2']);
    assert.equal(e.code, 1);
    assert.match(e.stderr, /--events-file .*events\.jsonl: .*(ELOOP|symbolic links)/);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'VICTIM\n');
    assert.deepEqual(fs.readdirSync(dir).filter((f) => /\.tmp$|\.journal$/.test(f)), [], 'no temporary file or journal left');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the profile gets the permissions the umask gives (0600 under umask 077, 0644 under 022)', { skip: noPython, timeout: 60_000 }, async () => {
  const dir = tmpDir('pyprof-umask-');
  try {
    for (const [umask, mode] of [['077', 0o600], ['022', 0o644]] as const) {
      const out = path.join(dir, `u${umask}.collapsed.txt`);
      const child = spawn('sh', ['-c', `umask ${umask}; exec "$0" "$@"`, process.execPath, CLI, 'record', '-q', '-f', 'collapsed', '-o', out, '--', py!.path, fixture('exit_after.py'), '0.3'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const r = await collect(child);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fs.statSync(out).mode & 0o777, mode, `umask ${umask}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
