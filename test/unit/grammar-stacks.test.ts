// The pyprof-stacks grammar (syntaxes/pyprof-stacks.tmLanguage.json) and the link finder on the text
// `pyprof dump` / Dump Stacks writes (src/cli/dumpFormat.ts produces the sample below, so a change of
// layout fails here).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatDump } from '../../src/cli/dumpFormat';
import { findDumpLocations } from '../../src/ui/views/stackLocations';
import { textsWithScope, tokenize } from '../grammar';

const DUMP = formatDump({
  info: { pid: 4242, version: '3.12.1', versionTuple: [3, 12], executable: '/usr/bin/python3.12', runtimeModule: '/usr/bin/python3.12', commandLine: 'python3 app.py --fast' },
  snapshot: {
    time: 0,
    threads: [
      { pid: 4242, tid: 4242, threadId: 1, name: 'MainThread', holdsGil: true, active: true, frames: [
        { name: 'Worker.run', file: '/srv/my app (v2)/work.py', line: 12, firstLine: 10 },
        { name: '<module>', file: '/srv/my app (v2)/app.py', line: 3, firstLine: 1 },
      ] },
      { pid: 4242, tid: 4250, threadId: 2, name: 'pool-1', holdsGil: false, active: false, frames: [
        { name: 'wait', file: '/usr/lib/python3.12/threading.py', line: 355, firstLine: 327 },
        { name: '_find_and_load', file: '<frozen importlib._bootstrap>', line: 1360, firstLine: 1349 },
      ] },
      { pid: 4242, tid: 4251, threadId: 3, name: '', holdsGil: false, active: false, frames: [] },
    ],
  },
});

test('the stack dump grammar scopes process, threads, states, functions, files and lines', async () => {
  const lines = DUMP.split('\n');
  const toks = await tokenize('pyprof-stacks.tmLanguage.json', DUMP);
  const at = (marker: string) => toks[lines.findIndex((l) => l.includes(marker))];

  assert.deepEqual(textsWithScope(toks[0], 'keyword.other.process'), ['Process']);
  assert.deepEqual(textsWithScope(toks[0], 'constant.numeric.pid'), ['4242']);
  assert.deepEqual(textsWithScope(toks[0], 'string.unquoted.command-line'), ['python3 app.py --fast']);
  assert.deepEqual(textsWithScope(toks[1], 'constant.other.version'), ['v3.12.1']);

  const main = at('Thread 4242');
  assert.deepEqual(textsWithScope(main, 'keyword.other.thread'), ['Thread']);
  assert.deepEqual(textsWithScope(main, 'constant.numeric.tid'), ['4242']);
  assert.deepEqual(textsWithScope(main, 'keyword.other.state.active'), ['active']);
  assert.deepEqual(textsWithScope(main, 'storage.modifier.gil'), ['gil']);
  assert.deepEqual(textsWithScope(main, 'string.quoted.double.thread-name'), ['"MainThread"']);
  assert.deepEqual(textsWithScope(at('Thread 4250'), 'comment.other.state.idle'), ['idle']);

  const frame = at('Worker.run');
  assert.deepEqual(textsWithScope(frame, 'entity.name.function'), ['Worker.run']);
  assert.deepEqual(textsWithScope(frame, 'markup.underline.link.file'), ['/srv/my app (v2)/work.py'], 'a file name with spaces and parentheses');
  assert.deepEqual(textsWithScope(frame, 'constant.numeric.line'), ['12']);
  assert.deepEqual(textsWithScope(at('_find_and_load'), 'markup.underline.link.file'), ['<frozen importlib._bootstrap>']);
  assert.equal(textsWithScope(at('(no Python frames)'), 'comment.line.no-frames').length, 1);
});

test('links: every frame with a real file, at the exact file:line range; none for <frozen …>', () => {
  const lines = DUMP.split('\n');
  const locs = findDumpLocations(DUMP);
  assert.deepEqual(
    locs.map((l) => [l.file, l.sourceLine]),
    [['/srv/my app (v2)/work.py', 12], ['/srv/my app (v2)/app.py', 3], ['/usr/lib/python3.12/threading.py', 355]],
  );
  for (const l of locs) assert.equal(lines[l.line].slice(l.start, l.end), `${l.file}:${l.sourceLine}`);
  assert.deepEqual(findDumpLocations('Process 1: x\nThread 1 (idle)\n'), [], 'headers are not frames');
});
