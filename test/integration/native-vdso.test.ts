// Native frames in the vdso, which has no file: a program reading the clock in a loop is dumped
// with --native until a stack stops inside the vdso. That frame must be named from the vdso's own
// symbols (read from the target's mapping) and the stack under it must be unwound right, through
// its caller (libc's clock_gettime) down to the Python line, with no garbage frame ([unknown], a stack address)
// in between: libunwind has no file to find the vdso's unwind table in, so pyprof hands it over.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { fixture, killQuietly, startFixture } from '../helpers';
import { markerLine, runCli, versionCases } from './cli-support';
import { noLibunwind } from './native-support';

const SCRIPT = fixture('native/clock_loop.py');
const noVdso = fs.readFileSync('/proc/self/maps', 'utf8').includes('[vdso]') ? undefined : 'this kernel maps no vdso';

for (const c of versionCases()) {
  test(`a stack stopped in the vdso is named and unwound through it to the Python line (${c.label})`, { skip: c.skip ?? noLibunwind ?? noVdso }, async () => {
    const child = await startFixture(c.interp!.path, SCRIPT, []);
    const caller = `clocks (${SCRIPT}:${markerLine('native/clock_loop.py', 'MARK-CLOCK')})`;
    const seen: string[] = [];
    try {
      for (let attempt = 0; attempt < 40; attempt++) {
        const r = await runCli(['dump', '--native', '--pid', String(child.pid)]);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.split('\n').map((l) => l.trim());
        const inVdso = lines.findIndex((l) => l.endsWith('([vdso]) [native]'));
        if (inVdso < 0) continue;
        seen.push(r.stdout);
        const end = lines.findIndex((l, i) => i > inVdso && l === ''); // the blank line after the thread
        const stack = lines.slice(inVdso, end < 0 ? undefined : end);
        // the innermost may be a static helper no symbol covers ([vdso]+0x7bd); the exported entry point is named
        const vdsoFrames = stack.filter((l) => l.endsWith('([vdso]) [native]'));
        assert.ok(vdsoFrames.some((l) => /^(__vdso_)?(clock_gettime|gettimeofday|time) \(\[vdso\]\) \[native\]$/.test(l)), `the vdso's entry point is named from its symbols:\n${r.stdout}`);
        assert.ok(vdsoFrames.every((l) => /^(\S+|\[vdso\]\+0x[0-9a-f]+) \(\[vdso\]\) \[native\]$/.test(l)), `vdso frames are named or keep their offset:\n${r.stdout}`);
        const at = stack.indexOf(caller);
        assert.ok(at > 0, `the stack under the vdso frame reaches ${caller}:\n${r.stdout}`);
        const between = stack.slice(vdsoFrames.length, at);
        // its caller: libc's clock_gettime, or (2.7's time.time) the time module calling gettimeofday through the PLT
        // (with its C source line when the module has DWARF line info: `clock_gettime (…/clock_gettime.c:42 in /…/libc.so.6)`)
        assert.ok(between.length > 0 && /^\w+ \((\S+:\d+ in )?\/[^()]+\) \[native\]$/.test(between[0]), `a named function of a module file calls the vdso:\n${r.stdout}`);
        assert.ok(!between.some((l) => /\[unknown\]|^0x[0-9a-f]+ /.test(l)), `no unnamed frame between the vdso and the Python line (a derailed unwind):\n${r.stdout}`);
        return;
      }
      assert.fail(`40 dumps never stopped inside the vdso`);
    } finally {
      killQuietly(child);
    }
  });
}
