// The _asyncio module's debug offsets (3.14): decoding the block, refusing one that cannot be
// offsets, and, where a 3.14 is installed, the real module's section agreeing with the TaskObj
// layout tools/offsets generated from the headers (rawTask reads tasks with the generated one).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ASYNCIO_DEBUG_SECTION, parseAsyncioDebugOffsets } from '../../src/engine/cpython/asyncioDebugOffsets';
import objectOffsets from '../../src/engine/cpython/objectOffsets.json';
import { ElfFile } from '../../src/engine/proc/elf';

function block(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 8 * i));
  return b;
}

test('a 3.14 block decodes into task, interpreter and thread offsets', () => {
  const D = parseAsyncioDebugOffsets(block([168, 136, 96, 108, 109, 128, 152, 225864, 10880, 936, 864, 872, 880]));
  assert.deepEqual(D, {
    task: { size: 168, name: 136, awaitedBy: 96, isTask: 108, awaitedByIsSet: 109, coro: 128, node: 152 },
    interp: { size: 225864, tasksHead: 10880 },
    thread: { size: 936, runningLoop: 864, runningTask: 872, tasksHead: 880 },
  });
});

test('a block that cannot be offsets (zeros, an offset past its struct, too short) is refused', () => {
  assert.equal(parseAsyncioDebugOffsets(block(new Array(13).fill(0))), undefined);
  assert.equal(parseAsyncioDebugOffsets(block([168, 136, 96, 108, 109, 128, 168, 225864, 10880, 936, 864, 872, 880])), undefined, 'task_node at the end of the task');
  assert.equal(parseAsyncioDebugOffsets(block([168, 136, 96, 108, 109, 128, 152, 225864, 10880, 936, 864, 872, 936])), undefined, 'tasks head past the thread state');
  assert.equal(parseAsyncioDebugOffsets(block([168, 136, 96, 108, 109, 128, 152, 225864, 10880, 936, 864, 872])), undefined, 'twelve values');
});

function installed314AsyncioModules(): string[] {
  const pyenv = '/root/.pyenv/versions';
  if (!fs.existsSync(pyenv)) return [];
  const out: string[] = [];
  for (const v of fs.readdirSync(pyenv).filter((d) => d.startsWith('3.14.'))) {
    const dynload = path.join(pyenv, v, 'lib', 'python3.14', 'lib-dynload');
    if (!fs.existsSync(dynload)) continue;
    for (const f of fs.readdirSync(dynload)) if (/^_asyncio\.cpython-314-[^d]*\.so$/.test(f)) out.push(path.join(dynload, f));
  }
  return out;
}

const modules = installed314AsyncioModules();
test('the installed 3.14 _asyncio module publishes offsets that match the generated TaskObj', { skip: modules.length ? false : 'no CPython 3.14 with a shared _asyncio module is installed here' }, () => {
  const O = (objectOffsets as Record<string, Record<string, number | string>>)['3.14'];
  for (const file of modules) {
    const elf = ElfFile.open(file);
    try {
      const sec = elf.section(ASYNCIO_DEBUG_SECTION);
      assert.ok(sec, `${file} has a ${ASYNCIO_DEBUG_SECTION} section`);
      const raw = Buffer.alloc(sec.size);
      const fd = fs.openSync(file, 'r');
      try { fs.readSync(fd, raw, 0, sec.size, sec.offset); } finally { fs.closeSync(fd); }
      const D = parseAsyncioDebugOffsets(raw);
      assert.ok(D, 'the block decodes');
      assert.equal(D.task.size, O['task.size']);
      assert.equal(D.task.coro, O['task.coro']);
      assert.equal(D.task.name, O['task.name']);
      assert.equal(D.task.awaitedBy, O['future.awaited_by']);
      assert.equal(D.task.isTask, O['future.is_task']);
      assert.equal(D.task.awaitedByIsSet, O['future.awaited_by_is_set']);
      assert.equal(D.task.node, O['task.node']);
    } finally {
      elf.close();
    }
  }
});
