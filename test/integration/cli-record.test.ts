// `pyprof record` against every installed CPython: attach (--pid) to a known 70/30 CPU split, and
// launch mode catching a short script from its start. Output in collapsed form (easy to check),
// speedscope once per version (the default format must be written and be JSON).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, killQuietly, startFixture, tmpDir } from '../helpers';
import { markerLine, parseCollapsed, runCli, selfCount, totalCount, versionCases } from './cli-support';
import { importProfile } from '../../src/profile/formats';

/** The events of a Chrome trace file (an array, or {traceEvents}). */
function chromeEvents(file: string): Array<{ name: string }> {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  return Array.isArray(doc) ? doc : doc.traceEvents;
}

const FRAME = /^[^;]+ \([^;]*:\d+\)$/;

for (const c of versionCases()) {
  test(`record --pid finds both functions, their hot lines and the ~70/30 split [${c.label}]`, { skip: c.skip }, async () => {
    const dir = tmpDir();
    const target = await startFixture(c.interp!.path, fixture('split_cpu.py'), ['60', '0.7']);
    try {
      const out = path.join(dir, 'split.txt');
      const r = await runCli(['record', '--pid', String(target.pid), '--rate', '250', '--duration', '2.5', '--format', 'collapsed', '-o', out]);
      assert.equal(r.code, 0, r.stderr);
      const text = fs.readFileSync(out, 'utf8');
      const stacks = parseCollapsed(text);
      // Format: one line per unique stack, root first, every frame `function (file:line)`.
      for (const s of stacks) for (const f of s.frames) assert.match(f, FRAME, `bad frame ${f}`);
      assert.equal(new Set(stacks.map((s) => s.frames.join(';'))).size, stacks.length, 'stacks must be unique lines');
      assert.ok(stacks.every((s) => s.frames[0].startsWith('<module> (')), 'root frame is <module>');
      const a = selfCount(stacks, 'cpu_share_a');
      const b = selfCount(stacks, 'cpu_share_b');
      assert.ok(a > 0 && b > 0, `both functions sampled (a=${a}, b=${b})`);
      const share = a / (a + b);
      assert.ok(Math.abs(share - 0.7) < 0.12, `cpu_share_a share ${(share * 100).toFixed(1)}% should be ≈70%`);
      const file = fixture('split_cpu.py');
      const hotA = `cpu_share_a (${file}:${markerLine('split_cpu.py', 'HOT_A')})`;
      const hotB = `cpu_share_b (${file}:${markerLine('split_cpu.py', 'HOT_B')})`;
      assert.ok(text.includes(hotA), `expected ${hotA} in\n${text.slice(0, 2000)}`);
      assert.ok(text.includes(hotB), `expected ${hotB}`);
      assert.ok(totalCount(stacks, 'main') >= a + b, 'main is on every stack');
      assert.match(r.stderr, /wrote .*split\.txt \(collapsed\)/);
    } finally {
      killQuietly(target);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`record launch mode samples a short script from its start, default speedscope output [${c.label}]`, { skip: c.skip }, async () => {
    const dir = tmpDir();
    try {
      const out = path.join(dir, 'quick.speedscope.json');
      const r = await runCli(['record', '--rate', '1000', '-o', out, '--', c.interp!.path, fixture('exit_quick.py')]);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
      assert.equal(typeof doc, 'object');
      const collapsedOut = path.join(dir, 'quick.txt');
      const r2 = await runCli(['record', '--rate', '1000', '-f', 'collapsed', '-o', collapsedOut, '--', c.interp!.path, fixture('exit_quick.py')]);
      assert.equal(r2.code, 0, r2.stderr);
      const stacks = parseCollapsed(fs.readFileSync(collapsedOut, 'utf8'));
      // early_phase runs for only ~100 ms of CPU right at the start of the script (attach takes 3–10 ms).
      assert.ok(selfCount(stacks, 'early_phase') > 0, `early_phase not sampled: attach came too late\n${r2.stderr}`);
      assert.ok(selfCount(stacks, 'late_phase') > 0, 'late_phase sampled');
      assert.match(r2.stderr, /the command finished after/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`record writes the pprof and Chrome trace formats too, and they read back [${c.label}]`, { skip: c.skip }, async () => {
    const dir = tmpDir();
    try {
      for (const format of ['pprof', 'chrome']) {
        const out = path.join(dir, `quick.${format}`);
        const r = await runCli(['record', '--rate', '500', '-f', format, '-o', out, '--', c.interp!.path, fixture('exit_quick.py')]);
        assert.equal(r.code, 0, `${format}: ${r.stderr}`);
        // pprof reads back through our importer; a Chrome trace is write-only here: its events' names
        const names = format === 'pprof' ? new Set(importProfile(fs.readFileSync(out), out).frames.map((f) => f.name)) : new Set(chromeEvents(out).map((e) => e.name));
        assert.ok(names.has('late_phase') && names.has('<module>'), `${format}: ${[...names].join(', ')}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('launch through a wrapper that is not Python (a shell script): its Python child is sampled, and the note says so', async (t) => {
  const c = versionCases().find((v) => !v.skip);
  if (!c) return t.skip('no supported CPython installed');
  const dir = tmpDir();
  const wrapper = path.join(dir, 'run.sh');
  const script = fixture('split_cpu.py');
  fs.writeFileSync(wrapper, `#!/bin/sh\necho wrapper starting\n'${c.interp!.path}' '${script}' 1.0 0.7\necho wrapper done\n`, { mode: 0o755 });
  const out = path.join(dir, 'wrapped.txt');
  const r = await runCli(['record', '--rate', '200', '--format', 'collapsed', '-o', out, '--', wrapper]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrapper starting[\s\S]*wrapper done/, 'the wrapper ran to its end');
  assert.match(r.stderr, /is not Python itself; sampling the Python process it started: \d+ \(.*split_cpu\.py/);
  const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
  assert.ok(selfCount(stacks, 'cpu_share_a') > 0 && selfCount(stacks, 'cpu_share_b') > 0, 'the Python program was sampled');
});
