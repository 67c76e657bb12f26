import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { SHORT_HEADER_WIDTH, formatDump, shortenDumpHeaders } from '../../src/cli/dumpFormat';
import { findDumpLocations } from '../../src/ui/views/stackLocations';

const long = '/root/.pyenv/versions/3.12.8/bin/python /tmp/pyprof-e2e-Xy12ab/workspace/hot.py 25';
const dump = formatDump({
  info: { pid: 4242, commandLine: long, version: '3.12.8', executable: '/root/.pyenv/versions/3.12.8/bin/python' } as never,
  snapshot: { time: 0, threads: [{ tid: 4242, threadId: 1, name: 'MainThread', active: true, gil: true, idle: false, frames: [{ name: 'hot', file: '/tmp/pyprof-e2e-Xy12ab/workspace/hot.py', line: 7 }] }] } as never,
});

test('Dump Stacks headers: short first line (base names), the whole command below, frames untouched', () => {
  const out = shortenDumpHeaders(dump);
  const lines = out.split('\n');
  assert.equal(lines[0], 'Process 4242: python hot.py 25');
  assert.equal(lines[1], `Command: ${long}`);
  assert.ok(lines[0].length <= SHORT_HEADER_WIDTH);
  assert.deepEqual(out.split('\n').slice(2), dump.split('\n').slice(1), 'everything after the header as before');
  assert.deepEqual(findDumpLocations(out).map((l) => [l.file, l.sourceLine, l.line - 1]), findDumpLocations(dump).map((l) => [l.file, l.sourceLine, l.line]), 'the same links, one line further down');
});

test('Dump Stacks headers: short ones stay, every process of a --subprocesses dump is shortened, very long ones end in …', () => {
  assert.equal(shortenDumpHeaders('Process 1: python x.py\nThread 1 (idle)\n'), 'Process 1: python x.py\nThread 1 (idle)\n');
  const two = shortenDumpHeaders(`${dump}\n${dump.replace(/4242/g, '4243')}`);
  assert.equal(two.match(/^Process \d+: python hot\.py 25$/gm)?.length, 2);
  assert.equal(two.match(/^Command: /gm)?.length, 2);
  const args = Array.from({ length: 30 }, (_, i) => `--option-${i}`).join(' ');
  const cut = shortenDumpHeaders(`Process 9: /usr/bin/python3 /srv/app/main.py ${args}`).split('\n');
  assert.equal(cut[0].length, SHORT_HEADER_WIDTH);
  assert.ok(cut[0].startsWith('Process 9: python3 main.py --option-0') && cut[0].endsWith('…'), cut[0]);
  assert.equal(cut[1], `Command: /usr/bin/python3 /srv/app/main.py ${args}`);
});
