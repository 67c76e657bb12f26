// The assistant tools are defined once (src/assist/toolDefinitions.ts); VS Code reads its copy from
// package.json contributes.languageModelTools. This keeps the two the same, and the consent rules
// true: every tool that launches or attaches asks first and is annotated as reaching outside.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from '../helpers';
import { TOOLS } from '../../src/assist/toolDefinitions';

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

test('package.json declares each assistant tool exactly as src/assist/toolDefinitions.ts defines it', () => {
  const declared = pkg.contributes.languageModelTools as Array<{ name: string; displayName: string; modelDescription: string; inputSchema: object }>;
  assert.deepEqual(declared.map((t) => t.name), TOOLS.map((t) => t.name));
  for (const def of TOOLS) {
    const d = declared.find((t) => t.name === def.name)!;
    assert.equal(d.displayName, def.title, def.name);
    assert.equal(d.modelDescription, def.description, def.name);
    assert.deepEqual(d.inputSchema, def.inputSchema, `${def.name}: package.json inputSchema differs from toolDefinitions.ts`);
    assert.ok(pkg.activationEvents.includes(`onLanguageModelTool:${def.name}`), `${def.name} has no activation event`);
  }
});

test('tools that launch, attach or read another process ask first and say they reach outside; queries are read-only', () => {
  for (const t of TOOLS) {
    const outside = t.name === 'pyprof_profile' || t.name === 'pyprof_attach' || t.name === 'pyprof_dump_stacks';
    assert.equal(t.needsConsent, outside, t.name);
    assert.equal(t.annotations.openWorldHint, outside, t.name);
    if (!outside) assert.equal(t.annotations.readOnlyHint, true, t.name);
  }
  assert.equal(TOOLS.find((t) => t.name === 'pyprof_profile')!.annotations.destructiveHint, true, 'running a program can do anything');
});
