// The CLI loader's V8 code cache (src/cliLoader.ts): written once by a run that did its command's
// work, in a directory of the user's own (mode 700), and never read or written through a symlink
// planted at its name (cached bytecode is code).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { CLI } from './cli-support';
import { fixture, supportedInterpreters, tmpDir } from '../helpers';

const python = supportedInterpreters().at(-1);

function record(cacheHome: string, out: string): number | null {
  const r = spawnSync(process.execPath, [CLI, 'record', '--rate', '100', '-d', '1', '-f', 'collapsed', '-o', out, '--', python!.path, fixture('demo.py')], {
    env: { ...process.env, XDG_CACHE_HOME: cacheHome, PYPROF_NO_CODE_CACHE: '' },
    stdio: 'ignore',
    timeout: 60000,
  });
  return r.status;
}

test('record leaves one code cache in a mode-700 directory; a symlink planted at its name is replaced, its target untouched', { skip: python ? false : 'no supported CPython installed' }, () => {
  const home = tmpDir('pyprof-codecache-');
  try {
    assert.equal(record(home, path.join(home, 'a.txt')), 0);
    const dir = path.join(home, 'pyprof', 'code-cache');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const files = fs.readdirSync(dir);
    assert.equal(files.length, 1, files.join(', '));
    assert.match(files[0], /^record-.*\.v8cache$/);
    const cache = path.join(dir, files[0]);
    assert.ok(fs.statSync(cache).size > 0);

    const victim = path.join(home, 'victim');
    fs.writeFileSync(victim, 'not a cache');
    fs.rmSync(cache);
    fs.symlinkSync(victim, cache);
    assert.equal(record(home, path.join(home, 'b.txt')), 0);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'not a cache', 'nothing written through the symlink');
    assert.ok(fs.lstatSync(cache).isFile(), 'the symlink was replaced by a cache file of our own');
    assert.deepEqual(fs.readdirSync(dir), files, 'no temporary file left behind');
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
