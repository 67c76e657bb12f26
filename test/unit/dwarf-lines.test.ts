// The DWARF line-table reader (src/engine/nativeframes/dwarfLines.ts) against the tools that read
// the same tables: a small C file over two source files (test/fixtures/native/lines.c and its
// header) is compiled here with `cc -g` as DWARF 5 and DWARF 4, with zlib-compressed sections
// (SHF_COMPRESSED and the older .zdebug_*), optimised, and split into a stripped file plus its
// separate debug file; every instruction address objdump lists is looked up and compared with
// llvm-addr2line (file and line) and binutils' addr2line (the line; binutils 2.40 names the wrong
// file in DWARF 5 tables whose file 1 is not file 0, so its file is compared on DWARF 4 only).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { fixture, tmpDir } from '../helpers';
import { LineTable } from '../../src/engine/nativeframes/dwarfLines';

const has = (tool: string, arg = '--version') => spawnSync(tool, [arg], { stdio: 'ignore' }).status === 0;
const noTools = !has('cc') ? 'no C compiler (cc)' : !has('objdump') ? 'binutils (objdump) is not installed' : !has('addr2line') ? 'addr2line is not installed' : undefined;
const llvm = has('llvm-addr2line');

/** Every instruction address of .text (objdump -d), as numbers. */
function instructionAddresses(file: string): number[] {
  const r = spawnSync('objdump', ['-d', '--no-show-raw-insn', '-j', '.text', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  return [...r.stdout.matchAll(/^\s+([0-9a-f]+):\t/gm)].map((m) => parseInt(m[1], 16));
}

/** `file:line` per address from an addr2line-compatible tool; `??:0` when it knows no line. */
function addr2line(tool: string, file: string, addrs: readonly number[]): string[] {
  const r = spawnSync(tool, ['-e', file], { input: addrs.map((a) => `0x${a.toString(16)}`).join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => {
    const m = /^(.*):(\d+)(?: \(discriminator \d+\))?$/.exec(l.trim());
    return m && m[2] !== '0' ? `${m[1]}:${m[2]}` : '??:0';
  });
}

function build(dir: string, name: string, flags: string[]): string {
  const out = path.join(dir, name);
  const r = spawnSync('cc', [...flags, fixture('native/lines.c'), '-o', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

const CASES: Array<[string, string[], string?]> = [
  ['DWARF 5 (gcc 12 default)', ['-g', '-O0', '-gdwarf-5'], '.debug_line_str'],
  ['DWARF 4', ['-g', '-O0', '-gdwarf-4']],
  ['DWARF 5, SHF_COMPRESSED zlib sections', ['-g', '-O0', '-gz=zlib'], '.debug_line'],
  ['DWARF 4, .zdebug_line (GNU zlib)', ['-g', '-O0', '-gdwarf-4', '-gz=zlib-gnu'], '.zdebug_line'],
  ['DWARF 5, -O2', ['-g', '-O2']],
];

for (const [label, flags, section] of CASES) {
  test(`line table, ${label}: every instruction's file:line as llvm-addr2line and addr2line give it`, { skip: noTools }, () => {
    const dir = tmpDir('pyprof-dwarf-');
    try {
      const exe = build(dir, 'lines', flags);
      if (section) {
        const r = spawnSync('readelf', ['-S', '-W', exe], { encoding: 'utf8' });
        assert.ok(r.stdout.includes(section), `${label}: the compiler wrote ${section}:\n${r.stdout}`);
      }
      const table = LineTable.load([exe]);
      assert.ok(table, 'the table loads');
      const addrs = instructionAddresses(exe);
      assert.ok(addrs.length > 50, `objdump listed the instructions (${addrs.length})`);
      const ours = addrs.map((a) => {
        const s = table.lookup(a);
        return s ? `${s.file}:${s.line}` : '??:0';
      });
      const dwarf4 = flags.includes('-gdwarf-4');
      const binutils = addr2line('addr2line', exe, addrs);
      const lineOf = (s: string) => s.slice(s.lastIndexOf(':') + 1);
      addrs.forEach((a, i) => {
        const where = `0x${a.toString(16)}`;
        if (dwarf4) assert.equal(ours[i], binutils[i], `${where}: addr2line`);
        else assert.equal(lineOf(ours[i]), lineOf(binutils[i]), `${where}: addr2line's line`);
      });
      if (llvm) {
        const reference = addr2line('llvm-addr2line', exe, addrs);
        addrs.forEach((a, i) => assert.equal(ours[i], reference[i], `0x${a.toString(16)}: llvm-addr2line`));
      }
      // the lines this test is about were found at all, in both files
      const files = new Set(ours.filter((s) => s !== '??:0').map((s) => path.basename(s.slice(0, s.lastIndexOf(':')))));
      if (!flags.includes('-O2')) assert.deepEqual([...files].sort(), ['lines.c', 'lines_util.h']);
      assert.ok(ours.filter((s) => s !== '??:0').length > 20, 'the fixture\'s instructions have lines');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('line table of a stripped module: found in its separate debug file; a module without one has none', { skip: noTools ?? (has('objcopy') ? undefined : 'objcopy is not installed') }, () => {
  const dir = tmpDir('pyprof-dwarf-');
  try {
    const exe = build(dir, 'lines', ['-g', '-O0']);
    const debug = `${exe}.debug`;
    for (const args of [['--only-keep-debug', exe, debug], ['--strip-debug', exe], [`--add-gnu-debuglink=${debug}`, exe]]) {
      const r = spawnSync('objcopy', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    assert.equal(LineTable.load([exe]), null, 'the stripped file has no line table');
    const table = LineTable.load([exe, debug]);
    assert.ok(table);
    const addrs = instructionAddresses(exe);
    const reference = addr2line(llvm ? 'llvm-addr2line' : 'addr2line', debug, addrs);
    const lineOf = (s: string) => s.slice(s.lastIndexOf(':') + 1);
    addrs.forEach((a, i) => {
      const s = table.lookup(a);
      assert.equal(lineOf(s ? `${s.file}:${s.line}` : '??:0'), lineOf(reference[i]), `0x${a.toString(16)}`);
    });
    const noDebug = build(dir, 'plain', ['-O0']);
    assert.equal(LineTable.load([noDebug]), null, 'built without -g: no line table');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
