// pstats files written by every installed CPython's own cProfile load with exact call counts.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { importProfile, exportProfile } from '../../src/profile/formats';
import { functionStats } from '../../src/profile/model';
import { fixture, REQUIRED_MINORS, supportedInterpreters, tmpDir } from '../helpers';

for (const minor of REQUIRED_MINORS) {
  const py = supportedInterpreters().find((i) => i.minor === minor);
  test(`cProfile output of Python ${minor} loads with exact call counts`, { skip: py ? false : `Python ${minor} is not installed here` }, () => {
    const dir = tmpDir();
    try {
      const out = path.join(dir, 'run.prof');
      const r = spawnSync(py!.path, ['-m', 'cProfile', '-o', out, fixture('formats_workload.py')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const p = importProfile(fs.readFileSync(out), 'run.prof');
      const calls = (name: string) => p.frames.filter((f) => f.name === name && f.file.endsWith('formats_workload.py')).map((f) => f.calls);
      assert.deepEqual(calls('helper'), [50]);
      assert.deepEqual(calls('leaf'), [150]);
      assert.deepEqual(calls('main'), [1]);
      assert.equal(p.meta.mode, 'trace');
      const st = functionStats(p);
      const main = p.frames.findIndex((f) => f.name === 'main');
      const leaf = p.frames.findIndex((f) => f.name === 'leaf');
      assert.ok(st[main].total >= st[leaf].total && st[leaf].total > 0, 'main includes leaf time');
      assert.equal(p.frames[leaf].line, 2, 'def line from pstats');
      // the rebuilt tree puts leaf under helper under main
      const leafNode = p.nodes.findIndex((n) => n.frame === leaf);
      const parentName = p.frames[p.nodes[p.nodes[leafNode].parent].frame].name;
      assert.ok(parentName === 'helper' || parentName === '<listcomp>' || parentName === 'helper.<locals>.<listcomp>', parentName);
      // and it exports like any other profile
      assert.ok(exportProfile(p, 'speedscope').length > 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('go tool pprof reads our pprof export', { skip: spawnSync('go', ['version']).status === 0 ? false : 'go is not installed (apt-get install golang-go)' }, () => {
  const py = supportedInterpreters()[0];
  const dir = tmpDir();
  try {
    const out = path.join(dir, 'run.prof');
    assert.equal(spawnSync(py.path, ['-m', 'cProfile', '-o', out, fixture('formats_workload.py')]).status, 0);
    const pb = path.join(dir, 'run.pb.gz');
    fs.writeFileSync(pb, exportProfile(importProfile(fs.readFileSync(out), 'run.prof'), 'pprof'));
    const r = spawnSync('go', ['tool', 'pprof', '-top', pb], { encoding: 'utf8', env: { ...process.env, HOME: dir, GOCACHE: path.join(dir, 'gocache') } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\bleaf\b/);
    assert.match(r.stdout, /\bhelper\b/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
