// Argument parsing for the pyprof CLI (pure).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseArgs, UsageError, OptionSpec, flag, num, str, RATE_OPTION, PID_OPTION, BLOCKING_OPTION, NONBLOCKING_OPTION } from '../../src/cli/args';

const specs: OptionSpec[] = [
  PID_OPTION,
  RATE_OPTION,
  BLOCKING_OPTION,
  NONBLOCKING_OPTION,
  { name: 'output', alias: 'o', kind: 'string', help: '' },
  { name: 'format', alias: 'f', kind: 'string', choices: ['speedscope', 'collapsed'], help: '' },
];

test('long, short and = forms; command after -- is untouched', () => {
  const a = parseArgs(['--rate', '250', '-o=out.json', '-f', 'collapsed', '--', 'python3', 'x.py', '--rate', '1'], specs, true);
  assert.equal(num(a, 'rate'), 250);
  assert.equal(str(a, 'output'), 'out.json');
  assert.equal(str(a, 'format'), 'collapsed');
  assert.deepEqual(a.command, ['python3', 'x.py', '--rate', '1']);
});

test('the first positional starts the command (py-spy style)', () => {
  const a = parseArgs(['-p', '12', 'python3', '-c', 'pass'], specs, true);
  assert.equal(num(a, 'pid'), 12);
  assert.deepEqual(a.command, ['python3', '-c', 'pass']);
});

test('the last of --blocking/--nonblocking wins', () => {
  assert.equal(flag(parseArgs(['--blocking', '--nonblocking'], specs, true), 'blocking'), false);
  assert.equal(flag(parseArgs(['--nonblocking', '--blocking'], specs, true), 'blocking'), true);
});

test('bad input is a UsageError with a clear message', () => {
  assert.throws(() => parseArgs(['--rate', 'fast'], specs, true), (e: unknown) => e instanceof UsageError && /--rate.*number.*fast/.test(e.message));
  assert.throws(() => parseArgs(['--rate', '0'], specs, true), /must be > 0/);
  assert.throws(() => parseArgs(['--pid', '1.5'], specs, true), /integer/);
  assert.throws(() => parseArgs(['--format', 'xml'], specs, true), /one of speedscope, collapsed/);
  assert.throws(() => parseArgs(['--bogus'], specs, true), /unknown option '--bogus'/);
  assert.throws(() => parseArgs(['--rate'], specs, true), /needs a value/);
  assert.throws(() => parseArgs(['stray'], specs, false), /unexpected argument 'stray'/);
  assert.throws(() => parseArgs(['--blocking=yes'], specs, false), /takes no value/);
});
