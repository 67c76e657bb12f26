// The extension's recording child (src/recording/recordingProcess.ts) against the real CLI (dist/cli.js)
// and real interpreters: the events it follows, launch mode to completion, attach + SIGINT stop,
// and an engine error surfaced as an `error` event. Then the written profile loads into the same
// tables the editor decorates from.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { RecordEvent } from '../../src/recording/events';
import { RecordingProcess, RecordRequest } from '../../src/recording/recordingProcess';
import { importProfile } from '../../src/profile/formats';
import { summarizeProfile } from '../../src/profile/summary';
import { buildPathTable } from '../../src/profile/pathMap';
import { buildHotLineTables } from '../../src/ui/editor/hotLines';
import { fixture, interpreterFor, killQuietly, repoRoot, startFixture, tmpDir } from '../helpers';

const CLI = path.join(repoRoot, 'dist', 'cli.js');

function record(req: RecordRequest) {
  const events: RecordEvent[] = [];
  let output = '';
  const p = new RecordingProcess(process.execPath, CLI, req, { onEvent: (e) => events.push(e), onOutput: (t) => (output += t) });
  p.start();
  return { p, events, output: () => output };
}

function lineOf(file: string, marker: string): number {
  return fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;
}

test('launch: events, program output, and a profile whose hot lines land on the hot code', async (t) => {
  const py = interpreterFor('3.12') ?? interpreterFor('3.11');
  if (!py) return t.skip('no CPython 3.11/3.12 installed');
  if (!fs.existsSync(CLI)) return t.skip('dist/cli.js missing: run npm run build');
  const dir = tmpDir();
  const script = fixture('split_cpu.py');
  const out = path.join(dir, 'split.speedscope.json');
  const { p, events, output } = record({ target: { kind: 'launch', python: py.path, program: script, args: ['1.5', '0.7'], cwd: dir }, output: out, rate: 200 });
  try {
    const o = await p.outcome;
    assert.equal(o.exitCode, 0, o.stderrTail);
    assert.ok(o.done, `no done event; events: ${JSON.stringify(events.map((e) => e.type))}`);
    assert.equal(o.done!.output, out);
    assert.equal(events[0].type, 'started');
    assert.ok(events.some((e) => e.type === 'progress'));
    assert.match(output(), /SPLIT a=/, 'the program output reaches the terminal callback');
    const profile = importProfile(new Uint8Array(fs.readFileSync(out)), 'split.speedscope.json');
    const summary = summarizeProfile(profile);
    const paths = buildPathTable([script], { exists: (f) => fs.existsSync(f) });
    const lines = buildHotLineTables(summary, paths, profile.meta).get(script)!;
    const hottest = [...lines].sort((a, b) => b.self - a.self)[0];
    // The hot loop of cpu_share_a: its body, or the `while time.process_time()` test, whose syscall
    // grows expensive on a loaded VM (seen once as the hottest line, 30% self).
    const hotA = lineOf(script, 'HOT_A');
    assert.ok(hottest.line + 1 >= hotA - 2 && hottest.line + 1 <= hotA, `hottest line ${hottest.line + 1} (HOT_A is ${hotA}): ${hottest.text}`);
  } finally {
    p.stop(1000);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('attach + stop (SIGINT) still writes the profile; a non-Python pid is an error event', async (t) => {
  const py = interpreterFor('3.11') ?? interpreterFor('3.12');
  if (!py) return t.skip('no CPython 3.11/3.12 installed');
  if (!fs.existsSync(CLI)) return t.skip('dist/cli.js missing: run npm run build');
  const dir = tmpDir();
  const target = await startFixture(py.path, fixture('split_cpu.py'), ['60']);
  try {
    const out = path.join(dir, 'attach.speedscope.json');
    const { p, events } = record({ target: { kind: 'attach', pid: target.pid! }, output: out });
    while (!events.some((e) => e.type === 'progress')) await new Promise((r) => setTimeout(r, 100));
    p.stop();
    const o = await p.outcome;
    assert.equal(o.exitCode, 0, o.stderrTail);
    assert.ok(o.done && o.done.samples > 0);
    assert.ok(fs.existsSync(out));

    const bad = record({ target: { kind: 'attach', pid: process.pid }, output: path.join(dir, 'bad.json') });
    const ob = await bad.p.outcome;
    assert.equal(ob.done, undefined);
    assert.equal(ob.error?.code, 'NOT_PYTHON', JSON.stringify(ob.error));
  } finally {
    killQuietly(target);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
