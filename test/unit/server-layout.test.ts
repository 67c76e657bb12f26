// Placing profile entries in a document as it is now: finding definitions (decorators, async,
// qualified names, nested scopes), following edits, and re-anchoring when the text changed before
// the document was opened.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildPathTable } from '../../src/profile/pathMap';
import { DefinitionIndex, locateDefinition, parseQualifiedName } from '../../src/server/defLocator';
import { DocumentLayout, diffAsChange, splitLines } from '../../src/server/documentLayout';
import { buildFileTables, LocalFileTable } from '../../src/server/fileTables';
import { buildProfileIndex } from '../../src/server/profileIndex';
import { APP_SOURCE, appProfile } from './server-scenario';

const FILE = '/srv/app/app.py';

function appTable(): LocalFileTable {
  const ix = buildProfileIndex(appProfile(FILE));
  return buildFileTables(ix, buildPathTable([FILE], { exists: () => true })).get(FILE)!;
}

/** name → 0-based lens line. */
function lensLines(layout: DocumentLayout, text: string, version: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of layout.layout(splitLines(text), version).functions) out[f.entry.name] = f.line;
  return out;
}

function hotLines(layout: DocumentLayout, text: string, version: number): Record<number, number> {
  const out: Record<number, number> = {};
  for (const l of layout.layout(splitLines(text), version).lines) out[l.entry.line] = l.line;
  return out;
}

test('qualified names: last identifier and the enclosing scope', () => {
  assert.deepEqual(parseQualifiedName('Worker.run'), { name: 'run', scope: 'Worker' });
  assert.deepEqual(parseQualifiedName('outer.<locals>.inner'), { name: 'inner', scope: 'outer' });
  assert.deepEqual(parseQualifiedName('helper'), { name: 'helper' });
  assert.deepEqual(parseQualifiedName('<module>'), {});
  assert.deepEqual(parseQualifiedName('<lambda>'), {});
  assert.deepEqual(parseQualifiedName('f.<locals>.<listcomp>'), {});
});

test('definitions: decorators with arguments, async def, class, the right scope among same names', () => {
  const src = [
    'class A:', //                 0
    '    def run(self):', //       1
    '        pass', //             2
    'class B:', //                 3
    '    @property', //            4
    '    @cache(', //              5
    '        size=3,', //          6
    '    )', //                    7
    '    # note', //               8
    '    async def run(self):', // 9
    '        pass', //             10
    'def outer():', //             11
    '    def inner():', //         12
    '        pass', //             13
    '    if True:', //             14
    '        def inner():', //     15
    '            pass', //         16
  ];
  const ix = new DefinitionIndex(src);
  assert.deepEqual(ix.definitions('run').map((d) => [d.defLine, d.anchor]), [[1, 1], [9, 4]]);
  // B.run is found by scope even though A.run is nearer the guess.
  assert.equal(locateDefinition(ix, 'B.run', 0)?.defLine, 9);
  assert.equal(locateDefinition(ix, 'A.run', 9)?.defLine, 1);
  // Without a scope (Python < 3.11 has no qualname): nearest to the guess.
  assert.equal(locateDefinition(ix, 'run', 8)?.defLine, 9);
  assert.equal(locateDefinition(ix, 'run', 2)?.defLine, 1);
  // Both inner functions are in outer; nearest wins; the `if` block does not hide the scope.
  assert.equal(ix.enclosingScope(15, 8), 'outer');
  assert.equal(locateDefinition(ix, 'outer.<locals>.inner', 16)?.defLine, 15);
  assert.equal(locateDefinition(ix, 'B', 0)?.defLine, 3, 'class bodies are definitions too');
  assert.equal(locateDefinition(ix, 'missing', 0), undefined);
});

test('lenses sit on the recorded def lines (decorated: the decorator) when the text matches', () => {
  const t = appTable();
  const layout = new DocumentLayout(t, splitLines(APP_SOURCE).length);
  assert.deepEqual(lensLines(layout, APP_SOURCE, 1), { '<module>': 0, helper: 2, 'Worker.run': 8, decorated: 11, main: 15 });
  const hl = hotLines(layout, APP_SOURCE, 1);
  assert.equal(hl[6], 5);
  assert.equal(hl[18], 17);
});

test('incremental edits: lines inserted above move lenses and hot lines; typing on a line keeps it', () => {
  const t = appTable();
  let text = APP_SOURCE;
  const layout = new DocumentLayout(t, splitLines(text).length);
  // Insert two lines at the top.
  layout.applyChanges([{ startLine: 0, startCharacter: 0, endLine: 0, endCharacter: 0, text: 'import os\nimport sys\n' }]);
  text = 'import os\nimport sys\n' + text;
  assert.deepEqual(lensLines(layout, text, 2), { '<module>': 0, helper: 4, 'Worker.run': 10, decorated: 13, main: 17 });
  assert.equal(hotLines(layout, text, 2)[6], 7);
  // Delete helper's `total = 0` line (0-based 5 now): lines below helper's def move up by one.
  const lines = splitLines(text);
  layout.applyChanges([{ startLine: 5, startCharacter: 0, endLine: 6, endCharacter: 0, text: '' }]);
  lines.splice(5, 1);
  text = lines.join('\n');
  assert.deepEqual(lensLines(layout, text, 3), { '<module>': 0, helper: 4, 'Worker.run': 9, decorated: 12, main: 16 });
  const hl = hotLines(layout, text, 3);
  assert.equal(hl[6], 6);
  assert.equal(hl[4], undefined, 'the deleted line had no samples anyway');
  // Type on the hot line itself (0-based 6 now): it keeps its place.
  layout.applyChanges([{ startLine: 6, startCharacter: 8, endLine: 6, endCharacter: 8, text: '0 + ' }]);
  const typed = splitLines(text);
  typed[6] = typed[6].slice(0, 8) + '0 + ' + typed[6].slice(8);
  assert.equal(hotLines(layout, typed.join('\n'), 4)[6], 6);
});

test('text changed before opening: functions re-anchor on their def and carry their lines', () => {
  const t = appTable();
  // Three lines added inside helper's docstring before the file was opened, and main renamed.
  const lines = splitLines(APP_SOURCE);
  lines.splice(3, 0, '    """Sum of squares.', '', '    """');
  const text = lines.join('\n').replace('def main():', 'def entry():').replace('main()', 'entry()');
  const layout = new DocumentLayout(t, splitLines(text).length);
  const lenses = lensLines(layout, text, 1);
  assert.equal(lenses.helper, 2, 'helper did not move');
  assert.equal(lenses['Worker.run'], 11);
  assert.equal(lenses.decorated, 14);
  assert.equal(lenses.main, undefined, 'a renamed function has no lens');
  const hl = hotLines(layout, text, 1);
  // helper's lines did not move with helper's def (it stayed), so line 6 is only right if tracked;
  // Worker.run's line 10 moved with its def by +3.
  assert.equal(hl[10], 12);
  assert.equal(hl[14], 16);
  assert.equal(hl[18], undefined, "main's lines go with main");
});

test('full-text changes are diffed into one line range, so tracking works without incremental sync', () => {
  assert.deepEqual(diffAsChange('a\nb\nc', 'a\nx\ny\nb\nc'), { startLine: 1, startCharacter: 0, endLine: 1, endCharacter: 0, text: 'x\ny\n' });
  assert.deepEqual(diffAsChange('a\nb\nc', 'a\nc'), { startLine: 1, startCharacter: 0, endLine: 2, endCharacter: 0, text: '' });
  assert.equal(diffAsChange('same', 'same'), undefined);
  const t = appTable();
  const layout = new DocumentLayout(t, splitLines(APP_SOURCE).length);
  const text = APP_SOURCE.replace('class Worker:', '# comment\n# another\nclass Worker:');
  layout.applyChanges([diffAsChange(APP_SOURCE, text)!]);
  assert.deepEqual(lensLines(layout, text, 2), { '<module>': 0, helper: 2, 'Worker.run': 10, decorated: 13, main: 17 });
  assert.equal(hotLines(layout, text, 2)[6], 5);
  assert.equal(hotLines(layout, text, 2)[10], 11);
});

test('a whole-document rewrite (formatter) still places functions by their defs', () => {
  const t = appTable();
  // A rewrite of most of a long document drops every tracked line (LineShifter's BIG_REWRITE_LINES).
  const big = Array.from({ length: 200 }, (_, i) => `x${i} = ${i}`).join('\n') + '\n';
  const before = big + APP_SOURCE;
  const layout2 = new DocumentLayout(t, splitLines(before).length);
  const after = APP_SOURCE.replace('def helper', 'def padding():\n    pass\ndef helper');
  layout2.applyChanges([{ startLine: 0, startCharacter: 0, endLine: splitLines(before).length - 1, endCharacter: 0, text: after }]);
  const lenses = lensLines(layout2, after, 2);
  assert.equal(lenses.helper, 4);
  assert.equal(lenses.main, 17);
  assert.equal(hotLines(layout2, after, 2)[6], 7, 'hot lines follow their function after a rewrite');
});
