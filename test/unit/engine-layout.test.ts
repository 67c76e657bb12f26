// Layouts: the _Py_DebugOffsets reader on the real 3.13 library (its .PyRuntime section holds the
// initialised struct on disk) and on a 3.14-layout block, the generated 3.8-3.12 table, and the ELF
// facts the locator relies on, read from the real binaries on this machine.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { DEBUG_OFFSETS_SIZE, isSupported, unverifiedLayoutReason, layoutFromDebugOffsets, layoutFromTable } from '../../src/engine/cpython/layout';
import { ElfFile } from '../../src/engine/proc/elf';
import { EngineError } from '../../src/engine/types';

const pyenv = '/root/.pyenv/versions';
function library(minor: string): string | undefined {
  const dir = fs.existsSync(pyenv) ? fs.readdirSync(pyenv).find((d) => d.startsWith(`${minor}.`)) : undefined;
  const lib = dir && `${pyenv}/${dir}/lib/libpython${minor}.so.1.0`;
  return lib && fs.existsSync(lib) ? lib : undefined;
}

const lib313 = library('3.13');
test('3.13 layout from the library\'s own _Py_DebugOffsets', { skip: lib313 ? false : 'CPython 3.13 is not installed here' }, () => {
  const elf = ElfFile.open(lib313!);
  try {
    const sec = elf.section('.PyRuntime')!;
    assert.equal(elf.symbol('_PyRuntime'), sec.addr, '_PyRuntime starts the .PyRuntime section');
    const L = layoutFromDebugOffsets(elf.readAt(sec.offset, DEBUG_OFFSETS_SIZE[13]));
    // values measured with offsetof() against the 3.13.0 headers (shared/cpython/measured)
    assert.equal(L.minor, 13);
    assert.equal(L.freeThreaded, false);
    assert.equal(unverifiedLayoutReason(L), undefined, 'a 3.13 GIL build is read');
    assert.deepEqual(
      { head: L.runtime.interpretersHead, threads: L.interp.threadsHead, next: L.interp.next, holder: L.interp.gilHolder, locked: L.interp.gilLocked },
      { head: 632, threads: 7344, next: 7264, holder: 7760, locked: 7768 },
    );
    assert.deepEqual(
      { cur: L.tstate.currentFrame, id: L.tstate.threadId, nid: L.tstate.nativeThreadId, chunk: L.tstate.datastackChunk, interp: L.tstate.interp },
      { cur: 72, id: 152, nid: 160, chunk: 232, interp: 16 },
    );
    assert.deepEqual({ ...L.iframe }, { executable: 0, previous: 8, instrPtr: 56, owner: 70, size: 80, skipOwnerAtLeast: 3, taggedExecutable: false });
    assert.deepEqual(
      { fn: L.code.filename, n: L.code.name, q: L.code.qualname, lt: L.code.linetable, first: L.code.firstlineno, adaptive: L.code.codeAdaptive },
      { fn: 112, n: 120, q: 128, lt: 136, first: 68, adaptive: 200 },
    );
    assert.deepEqual({ ...L.unicode }, { length: 16, state: 32, asciiSize: 40, compactSize: 56, kindShift: 2, compactBit: 5, asciiBit: 6 });
    assert.deepEqual({ ...L.bytes }, { size: 16, sval: 32 });
    assert.equal(L.interp.codeObjectGeneration, undefined);
  } finally {
    elf.close();
  }
});

/** A 3.14-layout block: every field holds a distinct value (its own byte position + 1000). */
function block314(version: number, freeThreaded = false): Buffer {
  const b = Buffer.alloc(DEBUG_OFFSETS_SIZE[14]);
  b.write('xdebugpy', 0, 'latin1');
  for (let pos = 24; pos < b.length; pos += 8) b.writeBigUInt64LE(BigInt(pos + 1000), pos);
  b.writeBigUInt64LE(BigInt(version), 8);
  b.writeBigUInt64LE(freeThreaded ? 1n : 0n, 16);
  return b;
}

test('3.14 layout: fields at their 3.14 positions, tagged f_executable, code-object generation', () => {
  const L = layoutFromDebugOffsets(block314(0x030e00f0));
  const at = (pos: number) => pos + 1000; // the value our block stores at a field's byte position
  // positions from CPython 3.14's Include/internal/pycore_debug_offsets.h (shared/cpython/dbg_layouts.md)
  assert.equal(L.minor, 14);
  assert.equal(L.runtime.interpretersHead, at(40));
  assert.deepEqual([L.interp.next, L.interp.threadsHead, L.interp.modules], [at(64), at(72), at(96)]);
  assert.deepEqual([L.interp.gilLocked, L.interp.gilHolder, L.interp.codeObjectGeneration], [at(144), at(152), at(160)]);
  assert.deepEqual(
    [L.tstate.size, L.tstate.next, L.tstate.interp, L.tstate.currentFrame, L.tstate.threadId, L.tstate.nativeThreadId, L.tstate.datastackChunk],
    [at(176), at(192), at(200), at(208), at(216), at(224), at(232)],
  );
  assert.deepEqual(
    [L.iframe!.size, L.iframe!.previous, L.iframe!.executable, L.iframe!.instrPtr, L.iframe!.owner],
    [at(248), at(256), at(264), at(272), at(288)],
  );
  assert.equal(L.iframe!.taggedExecutable, true, '_PyStackRef tag bits are cleared');
  assert.equal(L.iframe!.skipOwnerAtLeast, 3, 'FRAME_OWNED_BY_INTERPRETER (3) and CSTACK (4) are not Python frames');
  assert.deepEqual(
    [L.code.size, L.code.filename, L.code.name, L.code.qualname, L.code.linetable, L.code.firstlineno, L.code.codeAdaptive],
    [at(312), at(320), at(328), at(336), at(344), at(352), at(384)],
  );
  assert.equal(L.obType, at(408));
  assert.deepEqual([L.dict.keys, L.dict.values], [at(536), at(544)]);
  assert.deepEqual([L.bytes.size, L.bytes.sval], [at(600), at(608)]);
  assert.deepEqual([L.unicode.state, L.unicode.length, L.unicode.asciiSize], [at(624), at(632), at(640)]);
  assert.deepEqual([L.unicode.kindShift, L.unicode.compactBit, L.unicode.asciiBit], [2, 5, 6]);
  // free-threaded 3.14 widened `interned` to a byte: kind/compact/ascii move up
  const ft = layoutFromDebugOffsets(block314(0x030e00f0, true));
  assert.deepEqual([ft.freeThreaded, ft.unicode.kindShift, ft.unicode.compactBit, ft.unicode.asciiBit], [true, 8, 11, 12]);
});

test('_Py_DebugOffsets with an unknown version word or no cookie is refused', () => {
  assert.throws(() => layoutFromDebugOffsets(block314(0x030f00a1)), (e: unknown) => e instanceof EngineError && e.code === 'UNSUPPORTED_VERSION' && /3\.15/.test(e.message));
  const noCookie = block314(0x030e00f0);
  noCookie.write('ydebugpy', 0, 'latin1');
  assert.throws(() => layoutFromDebugOffsets(noCookie), (e: unknown) => e instanceof EngineError && e.code === 'INTERPRETER_NOT_FOUND');
});

test('the generated table has a complete layout for 3.8-3.12', () => {
  for (const minor of [8, 9, 10, 11, 12]) {
    const L = layoutFromTable(3, minor);
    assert.equal(L.lineFormat, minor <= 9 ? 'lnotab' : minor === 10 ? 'linetable310' : 'locations311');
    assert.equal(!!L.frame, minor <= 10, `heap frames on ${minor}`);
    assert.equal(!!L.iframe, minor >= 11, `interpreter frames on ${minor}`);
    assert.equal(L.tstate.nativeThreadId !== undefined, minor >= 11, `native_thread_id on ${minor}`);
    assert.equal(L.code.qualname !== undefined, minor >= 11, `co_qualname on ${minor}`);
    assert.equal(L.iframe?.skipOwnerAtLeast ?? 0, minor === 12 ? 3 : minor === 11 ? 99 : 0, `shim frames on ${minor}`);
    assert.ok(L.unicode.asciiSize === (minor >= 12 ? 40 : 48), `PyASCIIObject size on ${minor}`);
  }
  assert.throws(() => layoutFromTable(3, 5), (e: unknown) => e instanceof EngineError && e.code === 'UNSUPPORTED_VERSION');
});

test('the generated table describes 2.7, 3.6 and 3.7 (no _PyRuntime before 3.7; 2.7 byte strings)', () => {
  for (const [major, minor] of [[2, 7], [3, 6], [3, 7]]) {
    const L = layoutFromTable(major, minor);
    assert.ok(L.frame && !L.iframe, `heap frames on ${major}.${minor}`);
    assert.equal(L.lineFormat, major === 2 ? 'lnotab27' : 'lnotab', `lnotab deltas signed from 3.6 (${major}.${minor})`);
    assert.equal(!!L.runtime.fromSymbols, !(major === 3 && minor === 7), `interp_head by symbol on ${major}.${minor}`);
    assert.equal(!!L.py2, major === 2);
  }
  assert.equal(layoutFromTable(2, 7).bytes.sval, 36, 'PyStringObject.ob_sval');
  assert.ok(isSupported(2, 7) && isSupported(3, 6) && !isSupported(3, 5) && !isSupported(2, 6) && !isSupported(3, 15));
});

test('ELF facts the locator relies on', (t) => {
  const debian = fs.existsSync('/usr/bin/python3.11') ? '/usr/bin/python3.11' : undefined;
  if (debian) {
    const elf = ElfFile.open(debian);
    try {
      // Debian's python3.11 is a static non-PIE executable: linked addresses are run-time addresses
      assert.equal(elf.type, 2, 'ET_EXEC');
      assert.equal(elf.loadBias([{ start: 0x400000, offset: 0 }]), 0);
      const rt = elf.symbol('_PyRuntime');
      assert.ok(rt && rt === elf.section('.PyRuntime')?.addr, '_PyRuntime in .dynsym at the .PyRuntime section');
      assert.ok(elf.symbol('Py_Version'));
    } finally {
      elf.close();
    }
  } else {
    t.diagnostic('Debian /usr/bin/python3.11 is not installed: skipped its checks');
  }
  const lib38 = library('3.8');
  if (lib38) {
    const elf = ElfFile.open(lib38);
    try {
      assert.equal(elf.type, 3, 'ET_DYN');
      assert.ok(elf.symbol('_PyRuntime'));
      assert.equal(elf.section('.PyRuntime'), undefined, '3.8 has no .PyRuntime section');
      assert.equal(elf.symbol('Py_Version'), undefined, '3.8 has no Py_Version');
      const load = elf.segments.find((s) => s.type === 1 && s.offset === 0)!;
      assert.equal(elf.loadBias([{ start: 0x7f0000000000, offset: 0 }]), 0x7f0000000000 - load.vaddr);
    } finally {
      elf.close();
    }
  }
});

test('layouts never run here (free-threaded) are refused with the reason; verified ones (3.14 GIL too) are not', () => {
  assert.equal(unverifiedLayoutReason(layoutFromDebugOffsets(block314(0x030e00f0))), undefined, 'a 3.14 GIL build is read');
  assert.match(unverifiedLayoutReason(layoutFromDebugOffsets(block314(0x030e00f0, true))) ?? '', /3\.14 \(free-threaded\)/);
  for (const [major, minor] of [[2, 7], [3, 6], [3, 7], [3, 8], [3, 12]]) assert.equal(unverifiedLayoutReason(layoutFromTable(major, minor)), undefined);
});
