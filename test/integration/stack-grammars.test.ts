// The two grammars and the link finder on what the real CLI prints for a real Python process: a
// `pyprof dump` of the debug fixture (what Dump Stacks shows) and a `pyprof record -f collapsed`.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { findCollapsedLocations, findDumpLocations } from '../../src/ui/views/stackLocations';
import { textsWithScope, tokenize } from '../grammar';
import { fixture, interpreterFor, killQuietly, repoRoot, startFixture, supportedInterpreters, tmpDir } from '../helpers';

const CLI = path.join(repoRoot, 'dist', 'cli.js');
const TARGET = fixture('debug_target.py');
const lineOf = (marker: string) => fs.readFileSync(TARGET, 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;

function python() {
  return interpreterFor('3.12') ?? interpreterFor('3.11') ?? supportedInterpreters()[0];
}

test('a real pyprof dump: threads, functions and file:line links into the program', async (t) => {
  const py = python();
  if (!py) return t.skip('no CPython 3.8+ installed');
  if (!fs.existsSync(CLI)) return t.skip('dist/cli.js missing: run npm run build');
  const target = await startFixture(py.path, TARGET);
  try {
    const r = spawnSync(process.execPath, [CLI, 'dump', '--pid', String(target.pid)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const text = r.stdout;
    const lines = text.split('\n');
    const toks = await tokenize('pyprof-stacks.tmLanguage.json', text);
    const names = toks.flatMap((l) => textsWithScope(l, 'string.quoted.double.thread-name'));
    assert.ok(names.includes('"MainThread"') && names.includes('"worker"'), `thread names: ${names.join(', ')}`);
    const functions = toks.flatMap((l) => textsWithScope(l, 'entity.name.function'));
    for (const f of ['busy', 'spin_worker', 'main', '<module>']) assert.ok(functions.includes(f), `${f} in ${functions.join(', ')}`);

    const locs = findDumpLocations(text).filter((l) => l.file === TARGET);
    const at = (fn: string) => locs.find((l) => lines[l.line].trimStart().startsWith(`${fn} (`));
    assert.equal(at('main')?.sourceLine, lineOf('MAIN_WAIT'));
    assert.equal(at('spin_worker')?.sourceLine, lineOf('        busy()'));
    for (const l of locs) assert.equal(lines[l.line].slice(l.start, l.end), `${TARGET}:${l.sourceLine}`);
  } finally {
    killQuietly(target);
  }
});

test('a real collapsed recording: every frame of the program is a link with its line', async (t) => {
  const py = python();
  if (!py) return t.skip('no CPython 3.8+ installed');
  if (!fs.existsSync(CLI)) return t.skip('dist/cli.js missing: run npm run build');
  const out = path.join(tmpDir(), 'run.collapsed');
  const r = spawnSync(process.execPath, [CLI, 'record', '-q', '-f', 'collapsed', '--threads', '-o', out, '--', py.path, TARGET, '0.8'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const text = fs.readFileSync(out, 'utf8').trim();
  const toks = await tokenize('pyprof-collapsed.tmLanguage.json', text);
  const lines = text.split('\n');
  const busy = lines.findIndex((l) => / busy \(/.test(l) || l.includes(';busy ('));
  assert.ok(busy >= 0, `a busy() stack in:\n${text.slice(0, 800)}`);
  assert.deepEqual(textsWithScope(toks[busy], 'keyword.other.thread'), ['thread']);
  assert.ok(textsWithScope(toks[busy], 'entity.name.function').includes('busy'));
  assert.equal(textsWithScope(toks[busy], 'constant.numeric.count').length, 1);
  const locs = findCollapsedLocations(text).filter((l) => l.line === busy && l.file === TARGET);
  assert.ok(locs.some((l) => l.sourceLine === lineOf('        busy()')), 'spin_worker → busy() call line');
  for (const l of locs) assert.equal(lines[l.line].slice(l.start, l.end), `${TARGET}:${l.sourceLine}`);
});
