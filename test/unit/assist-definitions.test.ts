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

test('the confirmation names what will run or be read, and a call that would be refused is never put to the user', async () => {
  const { consentFor } = await import('../../src/assist/tools');
  const { fixture } = await import('../helpers');
  const root = fixture('workspace');
  const host = { roots: () => [root], maxDurationS: 300, record: async () => { throw new Error('not here'); }, dumpStacks: async () => '', current: () => undefined, ownFiles: () => new Set<string>() };
  const run = consentFor('pyprof_profile', { file: 'hot.py', args: ['2'] }, host)!;
  assert.equal(run.title, 'Run and profile a program?');
  assert.match(run.message, /run `hot\.py 2` in .*workspace and sample it until it exits \(at most 300 s\)/);
  assert.match(consentFor('pyprof_profile', { file: 'hot.py', durationSeconds: 5 }, host)!.message, /for 5 s\./);
  const attach = consentFor('pyprof_attach', { pid: process.ppid, durationSeconds: 2 }, host)!;
  assert.match(attach.message, new RegExp(`sample process ${process.ppid} \\(.+\\) from outside for 2 s\\. It does not stop or change it\\.`));
  assert.equal(consentFor('pyprof_hot_lines', { file: 'hot.py' }, host), undefined, 'queries need no confirmation');
  assert.throws(() => consentFor('pyprof_profile', { file: '/etc/hostname' }, host), /outside the workspace root/);
  assert.throws(() => consentFor('pyprof_attach', { pid: process.ppid, durationSeconds: 301 }, host), /over the cap of 300 s/);
});
