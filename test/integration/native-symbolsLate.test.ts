// A library loaded after the symbolizer read the target's maps (dlopen; an import that loads a
// C extension and its BLAS just after the recorder attached): an address in it that was looked up
// before the maps were read again must be named once they are, not stay [unknown] for the rest of
// the recording (CI: numpy's and libblas's frames under a launched program's matmul line).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as readline from 'readline';
import { Symbolizer } from '../../src/engine/nativeframes/symbols';
import { killQuietly, supportedInterpreters } from '../helpers';

const python = supportedInterpreters().find((i) => i.minor !== '2.7');
// libsqlite3: on Debian and pyenv builds alike only loaded by `import sqlite3`, which the script never does
const SCRIPT = [
  'import ctypes, ctypes.util, sys',
  'print("READY"); sys.stdout.flush()',
  'sys.stdin.readline()',
  'lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")',
  'print(ctypes.cast(lib.sqlite3_libversion, ctypes.c_void_p).value); sys.stdout.flush()',
  'sys.stdin.readline()',
].join('\n');

test('an address in a library loaded after the maps were read is named once they are read again', { skip: python ? undefined : 'no Python 3 installed' }, async (t) => {
  const child = spawn(python!.path, ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value, 'READY');
    if (require('fs').readFileSync(`/proc/${child.pid}/maps`, 'utf8').includes('libsqlite3')) return t.skip('libsqlite3 is loaded at start-up here');
    const symbolizer = new Symbolizer(child.pid!, new Set(), undefined); // reads the maps now: no libsqlite3 in them
    child.stdin!.write('load\n');
    const addr = Number((await lines.next()).value);
    assert.ok(addr > 0, 'the script printed sqlite3_libversion\'s address');
    const first = symbolizer.resolve([addr])[0];
    t.diagnostic(`first lookup: ${first.name} (${first.module})`);
    await new Promise((r) => setTimeout(r, 400)); // past MAPS_REFRESH_MS
    const later = symbolizer.resolve([addr])[0];
    assert.equal(later.name, 'sqlite3_libversion', `named once the maps are read again: ${later.name} (${later.module})`);
    assert.match(later.module, /libsqlite3/);
  } finally {
    killQuietly(child);
  }
});
