// Native frames (dump/record --native) on real code: a C extension compiled here with cc, zlib
// compression, the re engine and (Debian's python3 with python3-numpy) a BLAS matrix product, on
// every installed CPython. The expected native function must appear under the Python line that
// called it; a recorder killed with SIGKILL mid-sampling must leave the target running.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, killQuietly, startFixture, tmpDir, Interpreter } from '../helpers';
import { markerLine, runCli, spawnCli, versionCases } from './cli-support';
import { buildExtension, hasNumpy, noCc, noLibunwind, samplesUnder } from './native-support';
import { ElfFile } from '../../src/engine/proc/elf';

const SCRIPT = fixture('native/native_work.py');

/** Whether the interpreter's executable kept its .symtab (Debian strips theirs: static functions lose their names). */
function hasSymtab(interp: Interpreter): boolean {
  const elf = ElfFile.open(fs.realpathSync(interp.path));
  try {
    return elf.section('.symtab') !== undefined;
  } finally {
    elf.close();
  }
}
const line = (marker: string) => markerLine('native/native_work.py', marker);

for (const c of versionCases()) {
  const skip = c.skip ?? noLibunwind ?? noCc;
  test(`dump --native shows the C extension's functions above the Python line calling it (${c.label})`, { skip }, async (t) => {
    const ext = buildExtension(c.interp!);
    if (typeof ext === 'string') { t.skip(ext); return; }
    const child = await startFixture(c.interp!.path, SCRIPT, [ext.dir, 'ext']);
    try {
      let text = '';
      for (let attempt = 0; attempt < 5; attempt++) {
        const r = await runCli(['dump', '--native', '--pid', String(child.pid)]);
        assert.equal(r.code, 0, r.stderr);
        text = r.stdout;
        const lines = text.split('\n').map((l) => l.trim());
        const inner = lines.findIndex((l) => /^spin_inner \(.*spinmod.*\) \[native\]$/.test(l));
        const caller = lines.findIndex((l) => l.startsWith('c_extension (') && l.endsWith(`native_work.py:${line('MARK-EXT')})`));
        if (inner >= 0 && caller > inner) {
          assert.match(lines[inner + 1], /^spin \(.*spinmod.*\) \[native\]$/, text);
          assert.ok(!lines.some((l) => /_PyEval_EvalFrameDefault|PyEval_EvalFrameEx/.test(l)), `eval-loop frames are replaced by Python frames:\n${text}`);
          return;
        }
      }
      assert.fail(`spin_inner never showed above c_extension:${line('MARK-EXT')}:\n${text}`);
    } finally {
      killQuietly(child);
      fs.rmSync(ext.dir, { recursive: true, force: true });
    }
  });

  test(`record --native puts each native function under the Python line that called it (${c.label})`, { skip }, async (t) => {
    const ext = buildExtension(c.interp!);
    if (typeof ext === 'string') { t.skip(ext); return; }
    const numpy = hasNumpy(c.interp!);
    const parts = ['ext', 'zlib', 're', ...(numpy ? ['numpy'] : [])];
    const child = await startFixture(c.interp!.path, SCRIPT, [ext.dir, parts.join(',')]);
    const dir = tmpDir();
    try {
      const out = path.join(dir, 'native.txt');
      const r = await runCli(['record', '--native', '-q', '--pid', String(child.pid), '--duration', '6', '--rate', '200', '-f', 'collapsed', '-o', out], 120000);
      assert.equal(r.code, 0, r.stderr);
      const text = fs.readFileSync(out, 'utf8');
      const debian = c.interp!.label.includes('debian'); // its numpy is Debian's python3-numpy
      const exe = fs.realpathSync(c.interp!.path);
      const expected: Array<[string, string, RegExp]> = [
        ['c_extension', 'MARK-EXT', /^spin_inner \(.*spinmod.* \[native\]\)$/],
        ['compression', 'MARK-ZLIB', /^deflate \(.*libz\.so.* \[native\]\)$/],
        // Debian's pythons are stripped (no .symtab; the regex engine's functions are static):
        // without their -dbgsym package they keep module+offset, still under the right line
        ['regex', 'MARK-RE', hasSymtab(c.interp!) ? /^sre_(ucs1_)?(match|search)[^ ]* \(.* \[native[^\]]*\](:\d+)?\)$/ : new RegExp(`\\(${exe.replace(/[.+]/g, '\\$&')} \\[native\\]\\)$`)],
      ];
      // Debian's numpy calls libblas.so.3's cblas_dgemm; a pip wheel bundles OpenBLAS, whose
      // assembly kernels carry no unwind info, so its stacks stop inside the BLAS library
      if (numpy) expected.push(['matmul', 'MARK-NUMPY', debian ? /^cblas_dgemm \(.*blas.* \[native\]\)$/ : /^\S+ \(.*blas.*\.so[^ ]* \[native\]\)$/]);
      for (const [fn, marker, native] of expected) {
        const python = `${fn} (${SCRIPT}:${line(marker)})`;
        assert.ok(samplesUnder(text, python, native) > 0, `no sample has ${native} above ${python}:\n${text.split('\n').filter((l) => l.includes(`${fn} (`)).slice(0, 8).join('\n')}`);
      }
      assert.ok(!/_PyEval_EvalFrameDefault|PyEval_EvalFrameEx/.test(text), 'eval-loop frames are replaced by Python frames');
    } finally {
      killQuietly(child);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(ext.dir, { recursive: true, force: true });
    }
  });
}

test('a recorder killed with SIGKILL mid-sampling (--native, 1 kHz) leaves the target running', { skip: noLibunwind ?? noCc }, async (t) => {
  const interp = versionCases().find((c) => c.interp && c.interp.minor === '3.11')?.interp ?? versionCases().find((c) => c.interp)?.interp;
  if (!interp) { t.skip('no CPython installed'); return; }
  const ext = buildExtension(interp);
  if (typeof ext === 'string') { t.skip(ext); return; }
  const child = await startFixture(interp.path, SCRIPT, [ext.dir, 'ext']);
  try {
    const rec = spawnCli(['record', '--native', '-q', '--pid', String(child.pid), '--rate', '1000', '-f', 'collapsed', '-o', path.join(ext.dir, 'k.txt')]);
    await new Promise((r) => setTimeout(r, 1500));
    rec.kill('SIGKILL');
    await new Promise((r) => rec.on('close', r));
    const cpu = () => fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const state = cpu()[0];
    assert.notEqual(state, 't', 'the target was left in a tracing stop');
    const before = Number(cpu()[11]);
    await new Promise((r) => setTimeout(r, 1000));
    const after = Number(cpu()[11]);
    assert.ok(after > before, `the target made no progress after the recorder died (utime ${before} → ${after} ticks)`);
    assert.equal(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/TracerPid:\s*(\d+)/)?.[1], '0', 'nobody traces the target any more');
  } finally {
    killQuietly(child);
    fs.rmSync(ext.dir, { recursive: true, force: true });
  }
});
