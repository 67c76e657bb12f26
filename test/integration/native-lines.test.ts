// file:line of native frames (DWARF line info) on every installed CPython: the test C extension
// (test/fixtures/native/spinmod.c) built with `cc -g`, its spin_inner() burning CPU in a one-line
// loop under a marked Python line. `record --native` must name spinmod.c and the loop's line for
// spin_inner's samples (in the collapsed output, as in every format, the frame's file is the C
// source with its module in the tag), and `dump --native` must print `spinmod.c:LINE in MODULE`.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, killQuietly, startFixture, tmpDir } from '../helpers';
import { markerLine, parseCollapsed, runCli, versionCases } from './cli-support';
import { buildExtension, noCc, noLibunwind } from './native-support';

const SCRIPT = fixture('native/native_work.py');
const SOURCE = fixture('native/spinmod.c');
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const c of versionCases()) {
  const skip = c.skip ?? noLibunwind ?? noCc;
  test(`record/dump --native give spin_inner its C source line inside the loop (${c.label})`, { skip }, async (t) => {
    const ext = buildExtension(c.interp!, { debugInfo: true });
    if (typeof ext === 'string') { t.skip(ext); return; }
    const loop = markerLine('native/spinmod.c', 'MARK-LOOP');
    const caller = `c_extension (${SCRIPT}:${markerLine('native/native_work.py', 'MARK-EXT')})`;
    const child = await startFixture(c.interp!.path, SCRIPT, [ext.dir, 'ext']);
    const dir = tmpDir();
    try {
      const out = path.join(dir, 'lines.txt');
      const r = await runCli(['record', '--native', '-q', '--pid', String(child.pid), '--duration', '4', '--rate', '200', '-f', 'collapsed', '-o', out], 120000);
      assert.equal(r.code, 0, r.stderr);
      const text = fs.readFileSync(out, 'utf8');
      // spin_inner (/…/spinmod.c [native /tmp/…/spinmod….so]:LINE)
      const frame = new RegExp(`^spin_inner \\(${esc(SOURCE)} \\[native ${esc(ext.dir)}/spinmod[^\\]]*\\]:(\\d+)\\)$`);
      const byLine = new Map<number, number>();
      for (const s of parseCollapsed(text)) {
        const at = s.frames.indexOf(caller);
        if (at < 0) continue;
        for (const f of s.frames.slice(at + 1)) {
          const m = frame.exec(f);
          if (m) byLine.set(Number(m[1]), (byLine.get(Number(m[1])) ?? 0) + s.count);
        }
      }
      const total = [...byLine.values()].reduce((a, b) => a + b, 0);
      const inLoop = byLine.get(loop) ?? 0;
      assert.ok(total >= 20, `spin_inner with spinmod.c lines under ${caller}: ${total} samples (${JSON.stringify([...byLine])}):\n${text.slice(0, 4000)}`);
      assert.ok(inLoop >= 0.8 * total, `most of spin_inner's samples are on the loop's line ${loop}: ${JSON.stringify([...byLine])}`);

      let dump = '';
      for (let attempt = 0; attempt < 5; attempt++) {
        const d = await runCli(['dump', '--native', '--pid', String(child.pid)]);
        assert.equal(d.code, 0, d.stderr);
        dump = d.stdout;
        if (dump.split('\n').some((l) => l.trim() === `spin_inner (${SOURCE}:${loop} in ${ext.dir}/${fs.readdirSync(ext.dir)[0]}) [native]`)) return;
      }
      assert.fail(`dump --native never showed spin_inner at ${SOURCE}:${loop}:\n${dump}`);
    } finally {
      killQuietly(child);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(ext.dir, { recursive: true, force: true });
    }
  });
}
