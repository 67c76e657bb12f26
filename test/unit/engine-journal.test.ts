// The recording journal replays into the same profile the live recorder built from the same
// snapshots (trie, samples, timeline, threads, process roots), hostile strings included, and a
// malformed line in the middle is an error naming the line.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Recorder } from '../../src/engine/recorder';
import { JournalWriter } from '../../src/engine/journal';
import { replayJournal } from '../../src/engine/journalReplay';
import { importProfile, ProfileFormatError } from '../../src/profile/formats';
import type { PyFrame, Snapshot, ThreadStack } from '../../src/engine/types';

const f = (name: string, line: number, firstLine = 1, file = '/app/a.py'): PyFrame => ({ name, file, line, firstLine });
const thread = (pid: number, tid: number, frames: PyFrame[], name = `t${tid}`): ThreadStack =>
  ({ pid, tid, threadId: tid, name, holdsGil: tid === 1, active: true, frames });

function record(dir: string): { live: ReturnType<Recorder['finish']>; journal: string } {
  const start = 1_700_000_000_000;
  const header = { pid: 10, command: 'python3 app.py', pythonVersion: '3.12.1', startTime: start, rateHz: 100, processRoots: true, threadRoots: false, output: path.join(dir, 'p.json'), format: 'speedscope' };
  const live = new Recorder({ pid: 10, command: header.command, pythonVersion: '3.12.1', startTime: start }, { rateHz: 100, processRoots: true, startTime: start });
  const journal = JournalWriter.create(header.output, header);
  const both = (pid: number, s: Snapshot) => {
    live.addSnapshot(pid, s);
    journal.snapshot(pid, s);
  };
  live.addProcess(10, header.command);
  journal.process(10, header.command);
  live.addProcess(11, 'python3 -c "<script>alert(1)</script>"\u0007');
  journal.process(11, 'python3 -c "<script>alert(1)</script>"\u0007');
  const hostile = f('<img src=x onerror=alert(1)>\n"\\', 7, 3, '/tmp/\u0000weird\u2028.py');
  const shared = f('leaf', 12, 10);
  for (let i = 0; i < 50; i++) {
    both(10, { time: start + i * 10, threads: [thread(10, 1, [i % 3 ? shared : f('leaf', 13, 10), f('main', 5), f('<module>', 20)]), thread(10, 2, [], i > 20 ? 'late-name' : '')] });
    if (i % 5 === 0) both(11, { time: start + i * 10 + 1, threads: [thread(11, 11, [hostile, f('<module>', 1)])] });
  }
  live.addError();
  journal.addError();
  journal.close();
  return { live: live.finish(490), journal: journal.file };
}

test('replaying a journal gives the live recorder\'s profile', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-journal-'));
  try {
    const { live, journal } = record(dir);
    assert.match(path.basename(journal), /^p\.json\.[0-9a-f]{12}\.journal$/);
    assert.equal(fs.statSync(journal).mode & 0o777, 0o666 & ~process.umask());
    const replay = replayJournal(fs.readFileSync(journal, 'utf8'), journal);
    const p = replay.profile;
    assert.equal(replay.samples, 60);
    assert.deepEqual(p.frames, live.frames);
    assert.deepEqual(p.nodes, live.nodes);
    assert.deepEqual(p.samples, live.samples);
    assert.deepEqual(p.timeline, live.timeline);
    assert.deepEqual(p.threads, live.threads);
    assert.equal(p.meta.sampleCount, live.meta.sampleCount);
    assert.equal(p.meta.errorCount, 1);
    // importProfile (the language server) recognises it by content and says how to open it.
    assert.throws(() => importProfile(fs.readFileSync(journal), 'x.journal'), /journal of a pyprof recording that did not finish: 'pyprof convert x.journal'/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a malformed line before the last one is an error naming the line; an empty journal says what happened', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-journal-'));
  try {
    const { journal } = record(dir);
    const lines = fs.readFileSync(journal, 'utf8').split('\n');
    lines[5] = '{"s":[1,2';
    assert.throws(() => replayJournal(lines.join('\n'), 'j'), (e: unknown) => e instanceof ProfileFormatError && /line 6/.test(e.message));
    assert.throws(() => replayJournal('{"pyprofJournal":1,"pid":1', 'j'), /died before writing anything/);
    lines[5] = '{"s":[1,10,null,99,0,0]}';
    assert.throws(() => replayJournal(lines.join('\n'), 'j'), /line 6: sample names an unknown thread/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('stacks handed out again as the same array (as the walker does while a stack is unchanged) record and replay like fresh copies', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-journal-'));
  try {
    const start = 1_700_000_000_000;
    const header = { pid: 10, command: 'python3 app.py', pythonVersion: '3.12.1', startTime: start, rateHz: 100, processRoots: false, threadRoots: false, framelessThreads: true, output: path.join(dir, 'p.json'), format: 'speedscope' };
    const opts = { rateHz: 100, startTime: start, framelessThreads: true };
    const reused = new Recorder({}, opts);
    const fresh = new Recorder({}, opts);
    const journal = JournalWriter.create(header.output, header);
    // three stacks a thread moves between; each kept as one array, like the walker's per-thread guess
    const stacks = [[f('wait', 3, 2), f('main', 9)], [f('work', 7, 6), f('main', 10)], []];
    for (let i = 0; i < 40; i++) {
      const pick = (tid: number) => stacks[(tid * 7 + Math.floor(i / (tid + 1))) % 3];
      const threads = [1, 2, 3].map((tid) => thread(10, tid, pick(tid), i > 15 && tid === 2 ? 'renamed' : `t${tid}`));
      reused.addSnapshot(10, { time: start + i * 10, threads });
      journal.snapshot(10, { time: start + i * 10, threads });
      fresh.addSnapshot(10, { time: start + i * 10, threads: threads.map((t) => ({ ...t, frames: [...t.frames] })) });
    }
    journal.close();
    const a = reused.finish(400), b = fresh.finish(400);
    const replayed = replayJournal(fs.readFileSync(journal.file, 'utf8'), journal.file).profile;
    for (const p of [a, replayed]) {
      assert.deepEqual(p.nodes, b.nodes);
      assert.deepEqual(p.samples, b.samples);
      assert.deepEqual(p.timeline, b.timeline);
      assert.deepEqual(p.threads, b.threads);
    }
    assert.equal(b.samples.reduce((n, s) => n + s.weight, 0), 120);
    assert.equal(b.threads.find((t) => t.id === 2)?.name, 'renamed');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
