// Keeps the layout true: the real src/ import graph breaks none of the rules in test/importGraph.ts,
// and each rule fires when one offending import is planted into a copy of the real tree.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { repoRoot } from '../helpers';
import { importGraph, readSources, structureViolations } from '../importGraph';

const sources = readSources(repoRoot);

/** The real tree with `line` added at the top of `file`. */
function planted(file: string, line: string): Map<string, string> {
  const copy = new Map(sources);
  const text = copy.get(file);
  assert.ok(text !== undefined, `${file} is not in src/ any more: update this test`);
  copy.set(file, `${line}\n${text}`);
  return copy;
}

test('the import graph of src/ is read: static, re-exported, dynamic and type-only imports', () => {
  const edges = importGraph(sources);
  assert.ok(sources.size > 80, `only ${sources.size} files read`);
  const find = (from: string, to: string) => edges.find((e) => e.from === from && e.to === to);
  assert.deepEqual(
    { ...find('src/engine/index.ts', 'src/engine/attach.ts') },
    { from: 'src/engine/index.ts', specifier: './attach', to: 'src/engine/attach.ts', typeOnly: false, dynamic: false },
  );
  assert.equal(find('src/ui/recording/recordingCommands.ts', 'src/engine/proc/processList.ts')?.dynamic, true);
  assert.equal(find('src/ui/views/stackDump.ts', 'src/engine/types.ts')?.typeOnly, true);
  assert.equal(find('src/cli.ts', 'src/cli/record.ts')?.dynamic, true);
});

test('src/ keeps the layout rules (no ui/ imports from debug/server/cli/assist, no cycle in engine/, no sampler in the extension host)', () => {
  assert.deepEqual(structureViolations(importGraph(sources)), []);
});

test('each rule fires on a planted violation', () => {
  const cases: Array<[file: string, line: string, expected: RegExp]> = [
    ['src/server/server.ts', "import type { Controller } from '../ui/controller';", /server\/ must not depend on extension-host code/],
    ['src/debug/adapter.ts', "import { log } from '../ui/output';", /debug\/ must not depend on extension-host code/],
    ['src/cli/record.ts', "import { formatElapsed } from '../ui/recording/statusBar';", /cli\/ must not depend on extension-host code/],
    ['src/assist/tools.ts', "import { log } from '../ui/output';", /assist\/ is shared with pyprof mcp and must not depend on extension-host code/],
    ['src/assist/profileText.ts', "import * as vscode from 'vscode';", /only ui\/ and extension.ts run inside VS Code/],
    ['src/debug/targetInspector.ts', "import { command } from '../cli/dump';", /must not reach into the CLI's internals/],
    ['src/engine/sampler.ts', "import * as vscode from 'vscode';", /only ui\/ and extension.ts run inside VS Code/],
    ['src/profile/model.ts', "import type * as vscode from 'vscode';", /only ui\/ and extension.ts run inside VS Code/],
    ['src/engine/subprocesses.ts', "import type { Sampler } from './sampler';", /engine\/ import cycle: .*src\/engine\/subprocesses.ts/],
    ['src/ui/recording/recordingCommands.ts', "const lazy = () => import('../../engine');", /the extension host loads src\/engine\/index.ts/],
    ['src/ui/pickers/processItems.ts', "import { blockFor } from '../../engine/sampler';", /the extension host loads src\/engine\/sampler.ts/],
  ];
  for (const [file, line, expected] of cases) {
    const problems = structureViolations(importGraph(planted(file, line)));
    assert.ok(problems.some((p) => expected.test(p)), `${line} in ${file} was not caught: ${JSON.stringify(problems)}`);
  }
  // Type-only imports of engine types load nothing, so the extension host may use them.
  assert.deepEqual(structureViolations(importGraph(planted('src/ui/controller.ts', "import type { Sampler } from '../engine/sampler';"))), []);
});
