import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { LineSplitter, parseEvent, recordArgs } from '../../src/recording/recordingProcess';
import { describeEngineError, PTRACE_FIX_COMMAND } from '../../src/ui/recording/errors';
import { parsePid, processRows, shortCommand, userName } from '../../src/ui/pickers/processItems';

test('record arguments: options first, target last, events on fd 3', () => {
  assert.deepEqual(recordArgs({ target: { kind: 'attach', pid: 42 }, output: '/tmp/o.json', rate: 250, subprocesses: true }), [
    'record', '--events-fd', '3', '--quiet', '-o', '/tmp/o.json', '--format', 'speedscope', '--rate', '250', '--subprocesses', '--pid', '42',
  ]);
  assert.deepEqual(
    recordArgs({ target: { kind: 'launch', python: '/py', program: '/w/a.py', args: ['--x', '1'], cwd: '/w' }, output: 'o', gil: true, idle: true, blocking: true }),
    ['record', '--events-fd', '3', '--quiet', '-o', 'o', '--format', 'speedscope', '--gil', '--idle', '--blocking', '--', '/py', '/w/a.py', '--x', '1'],
  );
});

test('event lines survive chunking and junk', () => {
  const got: string[] = [];
  const s = new LineSplitter((l) => got.push(l));
  s.push('{"type":"progress","samples":1');
  s.push(',"errors":0,"elapsedMs":5,"threads":1}\r\n\n{"type":"do');
  s.push('ne","output":"o","format":"speedscope","samples":1,"errors":0,"durationMs":5,"notes":[]}');
  s.end();
  assert.equal(got.length, 2);
  assert.equal(parseEvent(got[0])?.type, 'progress');
  assert.equal(parseEvent(got[1])?.type, 'done');
  assert.equal(parseEvent('not json'), undefined);
  assert.equal(parseEvent('[1,2]'), undefined);
});

test('engine errors become actionable sentences', () => {
  const perm = describeEngineError('PERMISSION_DENIED', 'permission denied: process_vm_readv for process 12 failed with EPERM. Yama ptrace_scope is 1. Launch it under pyprof', 'process 12');
  assert.match(perm.message, /process 12/);
  assert.match(perm.message, /process_vm_readv .* EPERM/, 'what failed is shown');
  assert.ok(perm.actions.some((a) => a.kind === 'copy' && a.text === PTRACE_FIX_COMMAND), 'Yama scope 1: the fix command is offered');
  // No Yama on this kernel, already root: no ptrace_scope command to copy, no generic advice added.
  const root = describeEngineError('PERMISSION_DENIED', 'permission denied: reading /proc/7/maps for process 7 failed with EACCES. You are root (uid 0, with CAP_SYS_PTRACE); this kernel has no Yama ptrace restrictions.', 'process 7');
  assert.ok(!root.actions.some((a) => a.kind === 'copy'));
  assert.doesNotMatch(root.message, /sudo tee/);
  assert.ok(describeEngineError('PERMISSION_DENIED', '', 'process 3').message.includes(PTRACE_FIX_COMMAND), 'without details, the generic advice');
  assert.match(describeEngineError('UNSUPPORTED_VERSION', '', 'process 5').message, /^Process 5 .*2\.7 and 3\.6/);
  assert.equal(
    describeEngineError('UNSUPPORTED_VERSION', 'pid 5 runs Python 3.5, which pyprof does not support', 'process 5').message,
    'Pid 5 runs Python 3.5, which pyprof does not support. pyprof reads CPython 2.7 and 3.6 to 3.14.',
  );
  assert.match(describeEngineError('NOT_PYTHON', '', 'process 5').message, /^Process 5 is not a CPython/);
  assert.match(describeEngineError('WHATEVER', 'boom', 'x.py').message, /boom/);
});

test('process rows: newest first, own process hidden, typed pids parsed', () => {
  const info = (pid: number, cmd: string) => ({ pid, version: '3.12.1', versionTuple: [3, 12] as [number, number], executable: '/usr/bin/python3.12', runtimeModule: '', commandLine: cmd });
  const rows = processRows([info(10, '/usr/bin/python3.12 a.py'), info(30, '/usr/bin/python3.12 -m http.server'), info(99, 'self')], 99, () => 'alice');
  assert.deepEqual(rows.map((r) => r.pid), [30, 10]);
  assert.equal(rows[0].label, 'python3.12 -m http.server');
  assert.equal(rows[0].description, 'pid 30 · Python 3.12.1 · alice');
  assert.equal(shortCommand('x'.repeat(200), '/p'), 'x'.repeat(79) + '…');
  assert.equal(shortCommand('/root/.pyenv/versions/3.11.7/bin/python3 /w/demo.py 60', '/root/.pyenv/versions/3.11.7/bin/python3.11'), 'python3 /w/demo.py 60');
  assert.equal(parsePid(' 1234 '), 1234);
  assert.equal(parsePid('pid 77'), 77);
  assert.equal(parsePid('12a'), undefined);
  assert.equal(parsePid('0'), undefined);
  assert.equal(userName(0, 'root:x:0:0:root:/root:/bin/bash\nbob:x:1000:1000::/home/bob:/bin/sh'), 'root');
  assert.equal(userName(1000, 'root:x:0:0:root:/root:/bin/bash\nbob:x:1000:1000::/home/bob:/bin/sh'), 'bob');
  assert.equal(userName(5, ''), '5');
});

test('tracing and memory requests become --mode trace and --memory', () => {
  const a = recordArgs({ target: { kind: 'launch', python: '/py', program: '/w/a.py', args: [], cwd: '/w' }, output: 'o', mode: 'trace', memory: true });
  assert.ok(a.includes('--memory'));
  assert.deepEqual(a.slice(a.indexOf('--mode'), a.indexOf('--mode') + 2), ['--mode', 'trace']);
  assert.ok(a.indexOf('--mode') < a.indexOf('--'), 'options come before the command');
});
