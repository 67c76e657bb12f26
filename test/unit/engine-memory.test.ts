// RemoteMemory reading this very process (process_vm_readv on ourselves needs no privileges):
// single, batched and arena reads, partial batches stopping at an unmapped range, and the errors
// a caller acts on. Plus the pointer decoder every walk relies on.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { readPtr, RemoteMemory } from '../../src/engine/native/memory';
import { loadLibc } from '../../src/engine/native/libc';
import { EngineError } from '../../src/engine/types';

/** A native block in this process with known contents, and its address. */
function nativeBlock(bytes: number[]): { addr: number; keep: unknown } {
  const k = loadLibc().koffi;
  const mem = k.alloc('uint8_t', bytes.length);
  Buffer.from(k.view(mem, bytes.length) as ArrayBuffer).set(bytes);
  return { addr: Number(k.address(mem)), keep: mem };
}

const UNMAPPED = 0x1000; // the first pages are never mapped on Linux (mmap_min_addr)

test('reads, batched reads and arena reads return the bytes at the addresses', () => {
  const data = Array.from({ length: 256 }, (_, i) => i);
  const block = nativeBlock(data);
  const mem = new RemoteMemory(process.pid);
  assert.deepEqual([...mem.read(block.addr + 10, 4)], [10, 11, 12, 13]);
  const views = mem.readMany([[block.addr, 2], [block.addr + 100, 3]]);
  assert.deepEqual(views.map((v) => [...v]), [[0, 1], [100, 101, 102]]);
  // 100 ranges: two syscalls of at most 64 iovecs, every view still valid at the end
  const many = mem.readArenaMany(Array.from({ length: 100 }, (_, i) => [block.addr + i, 1] as const), true);
  assert.deepEqual(many.map((v) => v[0]), data.slice(0, 100));
  const a = mem.readArena(block.addr + 200, 8);
  mem.read(block.addr, 64); // scratch reads do not disturb arena views
  assert.deepEqual([...a], [200, 201, 202, 203, 204, 205, 206, 207]);
  assert.ok(mem.calls >= 5);
  void block.keep;
});

test('a speculative batch stops at the first unreadable range and keeps the ones before it', () => {
  const block = nativeBlock([1, 2, 3, 4]);
  const mem = new RemoteMemory(process.pid);
  const got = mem.readArenaMany([[block.addr, 2], [block.addr + 2, 2], [UNMAPPED, 8], [block.addr, 4]]);
  assert.deepEqual(got.map((v) => [...v]), [[1, 2], [3, 4]]);
  assert.deepEqual(mem.readArenaMany([[UNMAPPED, 8], [block.addr, 4]]), [], 'nothing when the first range fails');
  assert.throws(() => mem.readArenaMany([[block.addr, 2], [UNMAPPED, 8]], true), (e: unknown) => e instanceof EngineError && e.code === 'READ_FAILED');
  void block.keep;
});

test('unmapped memory is READ_FAILED, a process that is gone is PROCESS_EXITED', () => {
  const mem = new RemoteMemory(process.pid);
  assert.throws(() => mem.read(UNMAPPED, 8), (e: unknown) => e instanceof EngineError && e.code === 'READ_FAILED' && /0x1000/.test(e.message));
  const done = spawnSync('true');
  const gone = new RemoteMemory(done.pid!);
  assert.throws(() => gone.read(UNMAPPED, 8), (e: unknown) => e instanceof EngineError && e.code === 'PROCESS_EXITED');
});

test('readPtr decodes user-space pointers and rejects anything above 2^48', () => {
  const b = Buffer.alloc(24);
  b.writeBigUInt64LE(0x7fff_dead_beefn, 0);
  b.writeBigUInt64LE(0xffff_8000_0000_0000n, 8); // a kernel address: not ours to follow
  b.writeBigUInt64LE(0xffff_ffff_ffffn, 16);
  assert.equal(readPtr(b, 0), 0x7fff_dead_beef);
  assert.equal(readPtr(b, 8), -1);
  assert.equal(readPtr(b, 16), 2 ** 48 - 1);
  assert.throws(() => readPtr(b, 17), RangeError);
});
