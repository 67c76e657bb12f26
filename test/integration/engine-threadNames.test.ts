// Thread names cost little and stay right: threading._active is read again when a thread appears
// and every NAME_REFRESH_MS otherwise (not every second: a refresh is ~60 µs per thread), so a new
// thread is named at once and a renamed one within that interval.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { attach } from '../../src/engine';
import { NAME_REFRESH_MS } from '../../src/engine/cpython/threadNames';
import { fixture, interpreterFor, killQuietly, startFixture, tmpDir } from '../helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const minor of ['2.7', '3.8', '3.11', '3.12', '3.13']) {
  const py = interpreterFor(minor);
  if (!py) {
    test(`thread names on Python ${minor}`, (t) => t.skip(`Python ${minor} is not installed here`));
    continue;
  }
  test(`a renamed thread shows its new name, a new thread its own at once, names are not re-read every second (${py.label})`, async () => {
    const dir = tmpDir('pyprof-names-');
    const flag = path.join(dir, 'go');
    const child = await startFixture(py.path, fixture('rename_thread.py'), [flag]);
    let renamed = false;
    child.stdout!.on('data', (d) => { if (String(d).includes('RENAMED')) renamed = true; });
    const proc = attach(child.pid!);
    try {
      const names = () => proc.snapshot().threads.map((t) => t.name);
      assert.ok(names().includes('before-rename'), `names: ${names().join(', ')}`);
      // a stable thread set for 2.5 s of snapshots: at most the first lookup and one more
      const before = proc.nameRefreshes;
      const until = Date.now() + 2500;
      while (Date.now() < until) { names(); await sleep(5); }
      assert.ok(proc.nameRefreshes - before <= 1, `threading._active read ${proc.nameRefreshes - before} times in 2.5 s with no thread started or renamed`);
      fs.writeFileSync(flag, '');
      while (!renamed) await sleep(5);
      // the new thread is named by its first snapshot (an unknown ident triggers a refresh)
      let seen: string[] = [];
      for (let i = 0; i < 100 && !seen.includes('late-starter'); i++) { seen = names(); await sleep(5); }
      assert.ok(seen.includes('late-starter'), `new thread not named at once: ${seen.join(', ')}`);
      // the rename shows within the refresh interval (plus the once-a-second revalidation)
      const deadline = Date.now() + NAME_REFRESH_MS + 2000;
      while (Date.now() < deadline && !(seen = names()).includes('after-rename')) await sleep(20);
      assert.ok(seen.includes('after-rename'), `renamed thread still shows: ${seen.join(', ')}`);
      assert.ok(!seen.includes('before-rename'));
    } finally {
      proc.close();
      killQuietly(child);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
