// The pyprof-collapsed grammar (syntaxes/pyprof-collapsed.tmLanguage.json) and the link finder on
// every collapsed form we read and write: pyprof/py-spy `func (file:line)`, `func (file)`, PyFlame
// `file:func:line`, plain names, thread and process roots, and pyprof's own export.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { exportCollapsed } from '../../src/profile/formats/collapsed';
import { ProfileBuilder } from '../../src/profile/model';
import { findCollapsedLocations } from '../../src/ui/views/stackLocations';
import { textsWithScope, tokenize } from '../grammar';

const TEXT = [
  '# a comment line',
  'thread (MainThread 4242);<module> (/app/main.py:30);run (/app/main.py:12);hot (/app/lib/hot.py:9) 57',
  'process 77:python3 worker.py;main (worker.py:5);<listcomp> (worker.py) 3',
  '/usr/lib/python3.8/json/decoder.py:decode:337;/usr/lib/python3.8/json/decoder.py:raw_decode:353 12',
  'main;compute;sqrt 4',
].join('\n');

test('the collapsed grammar scopes frames, files, lines, separators and counts', async () => {
  const toks = await tokenize('pyprof-collapsed.tmLanguage.json', TEXT);
  assert.equal(textsWithScope(toks[0], 'comment.line').length, 1);

  const [, pyspy, proc, pyflame, plain] = toks;
  assert.deepEqual(textsWithScope(pyspy, 'keyword.other.thread'), ['thread']);
  assert.deepEqual(textsWithScope(pyspy, 'string.unquoted.thread-name'), ['MainThread 4242']);
  assert.deepEqual(textsWithScope(pyspy, 'entity.name.function'), ['<module>', 'run', 'hot']);
  assert.deepEqual(textsWithScope(pyspy, 'markup.underline.link.file'), ['/app/main.py', '/app/main.py', '/app/lib/hot.py']);
  assert.deepEqual(textsWithScope(pyspy, 'constant.numeric.line'), ['30', '12', '9']);
  assert.deepEqual(textsWithScope(pyspy, 'constant.numeric.count'), ['57']);
  assert.equal(textsWithScope(pyspy, 'punctuation.separator.frame').length, 3);

  assert.deepEqual(textsWithScope(proc, 'keyword.other.process'), ['process']);
  assert.deepEqual(textsWithScope(proc, 'constant.numeric.pid'), ['77']);
  assert.deepEqual(textsWithScope(proc, 'markup.underline.link.file'), ['worker.py', 'worker.py']);
  assert.deepEqual(textsWithScope(proc, 'constant.numeric.count'), ['3']);

  assert.deepEqual(textsWithScope(pyflame, 'entity.name.function'), ['decode', 'raw_decode']);
  assert.deepEqual(textsWithScope(pyflame, 'constant.numeric.line'), ['337', '353']);
  assert.deepEqual(textsWithScope(pyflame, 'constant.numeric.count'), ['12']);

  assert.deepEqual(textsWithScope(plain, 'entity.name.function'), ['main', 'compute', 'sqrt']);
  assert.deepEqual(textsWithScope(plain, 'constant.numeric.count'), ['4']);
  // A record never spills into the next line.
  assert.ok(toks.every((line) => line.every((t) => t.scopes.length <= 3)), 'no open rule carried across lines');
});

test("pyprof's own collapsed export tokenizes into its frames and counts", async () => {
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples' });
  const t = b.internThread(1, 'MainThread');
  const leaf = b.internStack([
    { name: '<module>', file: '/w/hot.py', firstLine: 1, line: 26 },
    { name: 'main', file: '/w/hot.py', firstLine: 17, line: 21 },
    { name: 'hot', file: '/w/hot.py', firstLine: 6, line: 9 },
  ]);
  b.addSample(t, leaf, 5);
  const text = exportCollapsed(b.profile).trim();
  const [line] = await tokenize('pyprof-collapsed.tmLanguage.json', text);
  assert.deepEqual(textsWithScope(line, 'entity.name.function'), ['<module>', 'main', 'hot'], text);
  assert.deepEqual(textsWithScope(line, 'constant.numeric.count'), ['5']);
});

test('links: file:line ranges of py-spy and PyFlame frames, none for plain names', () => {
  const lines = TEXT.split('\n');
  const locs = findCollapsedLocations(TEXT);
  assert.deepEqual(
    locs.map((l) => [l.line, l.file, l.sourceLine, lines[l.line].slice(l.start, l.end)]),
    [
      [1, '/app/main.py', 30, '/app/main.py:30'],
      [1, '/app/main.py', 12, '/app/main.py:12'],
      [1, '/app/lib/hot.py', 9, '/app/lib/hot.py:9'],
      [2, 'worker.py', 5, 'worker.py:5'],
      [2, 'worker.py', 0, 'worker.py'],
      [3, '/usr/lib/python3.8/json/decoder.py', 337, '/usr/lib/python3.8/json/decoder.py:decode:337'],
      [3, '/usr/lib/python3.8/json/decoder.py', 353, '/usr/lib/python3.8/json/decoder.py:raw_decode:353'],
    ],
  );
});
