// The on-core check's /proc window keeps only threads waiting on the sampler's own core
// (src/engine/proc/onCore.ts, displacedBySampler): the core comes from /proc/…/stat's 39th field,
// counted after the comm, which is free text (spaces and parentheses included).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { processorInStat } from '../../src/engine/proc/samplingThread';

const line = (comm: string, processor: number) => {
  const after = Array.from({ length: 50 }, (_, i) => (i === 0 ? 'R' : i === 36 ? String(processor) : String(1000 + i)));
  return Buffer.from(`4242 (${comm}) ${after.join(' ')}\n`);
};

test('processor field: found past a comm with spaces and parentheses', () => {
  for (const comm of ['python3', 'a b', 'x) R 1 2 (y', ')']) {
    const b = line(comm, 17);
    assert.equal(processorInStat(b, b.length), 17, comm);
  }
});

test('processor field: a line cut before it, or with no comm, gives -1', () => {
  const b = line('python3', 3);
  assert.equal(processorInStat(b, 60), -1);
  const none = Buffer.from('4242 python3 R 1 2 3\n');
  assert.equal(processorInStat(none, none.length), -1);
});

test('processor field: this thread\'s own stat line, as the kernel writes it', () => {
  const b = fs.readFileSync('/proc/thread-self/stat');
  const fields = b.toString().slice(b.toString().lastIndexOf(')') + 2).trim().split(' ');
  assert.equal(processorInStat(b, b.length), Number(fields[36]));
});
