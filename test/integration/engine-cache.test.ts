// A launched script compiles its code into addresses just freed by imported modules' bodies; the
// code-object cache must never report such a freed object (it once showed a launched script's
// main() calling `<module> (importlib/resources/readers.py)` for a few samples).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, repoRoot, supportedInterpreters, tmpDir } from '../helpers';

for (const py of supportedInterpreters()) {
  test(`no stale code objects in a launched program's stacks (${py.label})`, () => {
    const dir = tmpDir();
    try {
      const out = path.join(dir, 'demo.txt');
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'record', '--rate', '500', '-q', '-f', 'collapsed', '-o', out, '--', py.path, fixture('demo.py'), '1.0'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const text = fs.readFileSync(out, 'utf8');
      assert.match(text, /slow_primes \(/);
      const stale = text.split('\n').filter((l) => /main \([^)]*demo\.py:\d+\);<module> \(/.test(l));
      assert.deepEqual(stale, [], 'a module body cannot run inside main()');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
