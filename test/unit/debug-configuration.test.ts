// The `pyprof` launch.json configuration: every validation error names its field, args/env files
// parse like a shell/dotenv would, and a configuration becomes the same `pyprof record` arguments
// "Profile Current File" uses.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, mergeEnv, parseEnvFile, resolveConfig, splitArgs, toRecordRequest } from '../../src/debug/configuration';
import { recordArgs } from '../../src/recording/recordingProcess';
import { tmpDir } from '../helpers';

function fieldOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `a ConfigError, got ${e}`);
    assert.match(e.message, new RegExp(`'${e.field.replace('.', '\\.')}'`), 'the message names the field');
    return e.field;
  }
  assert.fail('no error');
}

test('validation errors name the bad field', () => {
  const dir = tmpDir();
  const program = path.join(dir, 'app.py');
  fs.writeFileSync(program, 'print(1)\n');
  const launch = { request: 'launch', program };
  assert.equal(fieldOf(() => resolveConfig({ request: 'run' })), 'request');
  assert.equal(fieldOf(() => resolveConfig({ request: 'launch' })), 'program');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, module: 'x' })), 'program');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, memory: 'tracemalloc', memoryFrames: 0 })), 'memoryFrames');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, memory: 'tracemalloc', memoryFrames: 2.5 })), 'memoryFrames');
  assert.equal(fieldOf(() => resolveConfig({ request: 'launch', program: path.join(dir, 'nope.py') })), 'program');
  assert.equal(fieldOf(() => resolveConfig({ request: 'launch', module: 'not a module' })), 'module');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, rate: 0 })), 'rate');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, rate: '100' })), 'rate');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, duration: -1 })), 'duration');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, format: 'svg' })), 'format');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, mode: 'exact' })), 'mode');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, memory: 'heap' })), 'memory');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, gil: 'yes' })), 'gil');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, args: [1, 2] })), 'args');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, args: "'open" })), 'args');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, env: { A: 1 } })), 'env.A');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, env: ['A=1'] })), 'env');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, envFile: path.join(dir, 'missing.env') })), 'envFile');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, cwd: path.join(dir, 'nowhere') })), 'cwd');
  assert.equal(fieldOf(() => resolveConfig({ ...launch, console: 'externalTerminal' })), 'console');
  assert.equal(fieldOf(() => resolveConfig({ request: 'attach' })), 'processId');
  assert.equal(fieldOf(() => resolveConfig({ request: 'attach', processId: '${command:pyprof.pickProcess}' })), 'processId');
  assert.equal(fieldOf(() => resolveConfig({ request: 'attach', processId: 12, mode: 'trace' })), 'mode');
  assert.equal(fieldOf(() => resolveConfig({ request: 'attach', processId: 12, memory: 'tracemalloc' })), 'memory');
});

test('a launch configuration becomes the record arguments of Profile Current File', () => {
  const dir = tmpDir();
  const program = path.join(dir, 'app.py');
  fs.writeFileSync(program, 'print(1)\n');
  fs.writeFileSync(path.join(dir, '.env'), '# settings\nexport A=1\nB="two words"\nC=${A}-x # note\n');
  const c = resolveConfig({ request: 'launch', program: 'app.py', cwd: dir, args: '--n 3 "a b"', python: '/usr/bin/python3', envFile: '.env', env: { B: 'over', HOME: null }, rate: 250, blocking: true, native: true, duration: 5, memory: 'tracemalloc', memoryFrames: 1, output: 'out.json' });
  assert.deepEqual(c.command, ['/usr/bin/python3', program, '--n', '3', 'a b']);
  assert.deepEqual(c.env, { A: '1', B: 'over', C: '1-x', HOME: null });
  assert.equal(c.label, 'app.py');
  assert.equal(c.output, path.join(dir, 'out.json'));
  const args = recordArgs(toRecordRequest(c, c.output!, '/tmp/ev.jsonl'));
  assert.deepEqual(args.slice(0, 3), ['record', '--events-file', '/tmp/ev.jsonl']);
  for (const [flag, value] of [['--rate', '250'], ['--duration', '5'], ['-o', c.output!]]) assert.equal(args[args.indexOf(flag) + 1], value, flag);
  assert.ok(args.includes('--blocking') && args.includes('--native') && args.includes('--memory=tracemalloc'));
  assert.equal(args[args.indexOf('--memory-frames') + 1], '1', 'memoryFrames goes with tracemalloc');
  assert.deepEqual(args.slice(args.indexOf('--')), ['--', '/usr/bin/python3', program, '--n', '3', 'a b']);

  const m = resolveConfig({ request: 'launch', module: 'http.server', args: ['8000'], cwd: dir });
  assert.deepEqual(m.command, ['python3', '-m', 'http.server', '8000']);
  assert.equal(m.console, 'integratedTerminal');
  const margs = recordArgs(toRecordRequest(m, '/tmp/o.json'));
  assert.deepEqual(margs.slice(0, 3), ['record', '--events-fd', '3']);
  assert.ok(!margs.includes('--native'), 'native frames only when asked for');
  assert.deepEqual(margs.slice(margs.indexOf('--')), ['--', 'python3', '-m', 'http.server', '8000']);

  const a = resolveConfig({ request: 'attach', processId: ' 4242 ', memory: true, subprocesses: true });
  const aargs = recordArgs(toRecordRequest(a, '/tmp/a.json'));
  assert.deepEqual(aargs.slice(-2), ['--pid', '4242']);
  assert.ok(!recordArgs(toRecordRequest(resolveConfig({ request: 'attach', processId: 1, memory: 'rss', memoryFrames: 4 }), '/tmp/a.json')).includes('--memory-frames'), 'only with tracemalloc');
  assert.ok(aargs.includes('--memory') && aargs.includes('--subprocesses'));
});

test('args strings split like a POSIX shell; env files like dotenv; env merges with removal', () => {
  assert.deepEqual(splitArgs(`a  'b c' "d \\"e\\"" f\\ g ''`), ['a', 'b c', 'd "e"', 'f g', '']);
  assert.deepEqual(splitArgs(''), []);
  assert.deepEqual(parseEnvFile("X='lit ${Y}'\nY=1\nZ=\"${Y}\\n2\"\n", 'f'), { X: 'lit ${Y}', Y: '1', Z: '1\n2' });
  assert.throws(() => parseEnvFile('JUSTTEXT\n', '/p/.env'), /\/p\/\.env:1/);
  assert.deepEqual(mergeEnv({ A: '1', B: '2' }, { B: null, C: '3' }), { A: '1', C: '3' });
});
