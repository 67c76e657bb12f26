// record --memory: RSS growth lands on the allocating line, shrinkage on the freeing line.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { importProfile } from '../../src/profile/formats';
import { fixture, repoRoot, oldAndNewestInterpreters, tmpDir } from '../helpers';

const cli = path.join(repoRoot, 'dist', 'cli.js');

function lineOf(marker: string): number {
  return fs.readFileSync(fixture('memory_known.py'), 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;
}

for (const py of oldAndNewestInterpreters()) {
  test(`memory mode attributes a known allocation and release to their lines (${py.label})`, () => {
    const dir = tmpDir();
    try {
      const out = path.join(dir, 'mem.speedscope.json');
      const r = spawnSync(process.execPath, [cli, 'record', '--memory', '--rate', '250', '-q', '-o', out, '--', py.path, fixture('memory_known.py')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const p = importProfile(fs.readFileSync(out), out);
      const byLine = new Map<number, { alloc: number; freed: number }>();
      for (const s of p.samples) {
        const line = p.nodes[s.node].line;
        const e = byLine.get(line) ?? { alloc: 0, freed: 0 };
        e.alloc += s.allocBytes ?? 0;
        e.freed += s.freedBytes ?? 0;
        byLine.set(line, e);
      }
      const MB = 1 << 20;
      const grow = byLine.get(lineOf('GROW_LINE'));
      const shrink = byLine.get(lineOf('SHRINK_LINE'));
      const totalAlloc = [...byLine.values()].reduce((a, b) => a + b.alloc, 0);
      assert.ok(grow && grow.alloc >= 150 * MB, `GROW_LINE got ${(grow?.alloc ?? 0) / MB} MB of ${totalAlloc / MB} MB`);
      assert.ok(shrink && shrink.freed >= 150 * MB, `SHRINK_LINE freed ${(shrink?.freed ?? 0) / MB} MB`);
      // the RSS timeline rises by ~200 MB and falls back
      const rss = p.memory!.map((m) => m.rssBytes);
      assert.ok(Math.max(...rss) - rss[0] >= 150 * MB, 'timeline shows the growth');
      assert.ok(Math.max(...rss) - rss[rss.length - 1] >= 150 * MB, 'timeline shows the release');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
