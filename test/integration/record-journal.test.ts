// Crash safety (issue 21.1): `pyprof record` killed with SIGKILL at random moments keeps every
// sample taken up to one second before the kill in its journal, the journal always replays (a
// torn last record is ignored), `pyprof convert` turns it into the profile, and a recording that
// ends normally leaves no journal behind.
//
// Kills: PYPROF_KILLS (default 24) at moments drawn from a fixed seed (PYPROF_KILL_SEED, default
// 21); each kill's figures are printed. Rerun: node --test out/test/integration/record-journal.test.js
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, interpreterFor, killQuietly, startFixture, supportedInterpreters, tmpDir } from '../helpers';
import { CLI, collect, runCli, spawnCli, waitFor } from './cli-support';
import { replayJournal } from '../../src/engine/journalReplay';
import { RecordingProcess } from '../../src/recording/recordingProcess';
import { isJournalFile, recoverJournal } from '../../src/recording/journalRecovery';
import { importProfile } from '../../src/profile/formats';
import type { RecordEvent } from '../../src/recording/events';
import { seeded } from '../seeded';

const py = interpreterFor('3.12') ?? supportedInterpreters().at(-1);
const noPython = py ? undefined : 'no supported CPython (3.8+) installed';

function journalsIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.journal')).map((f) => path.join(dir, f));
}

test('kill -9 at random moments: the journal keeps every sample up to 1 s before the kill and always replays', { skip: noPython, timeout: 300_000 }, async () => {
  const kills = Number(process.env.PYPROF_KILLS ?? 24);
  const seed = Number(process.env.PYPROF_KILL_SEED ?? 21);
  const random = seeded(seed);
  const dir = tmpDir('pyprof-kill-');
  const target = await startFixture(py!.path, fixture('exit_after.py'), ['600']);
  const figures: string[] = [];
  try {
    for (let k = 0; k < kills; k++) {
      const rate = k % 2 === 0 ? 100 : 1000;
      const delayMs = Math.round(random() * 3000);
      const out = path.join(dir, `kill${k}.speedscope.json`);
      const cli = spawnCli(['record', '--pid', String(target.pid), '--rate', String(rate), '-q', '-o', out, '--events-fd', '3'], 1);
      const progress: Array<{ at: number; samples: number }> = [];
      let journal: string | undefined;
      let buffered = '';
      (cli.stdio[3] as NodeJS.ReadableStream).on('data', (d) => {
        buffered += d;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const ev = JSON.parse(buffered.slice(0, nl)) as RecordEvent;
          buffered = buffered.slice(nl + 1);
          if (ev.type === 'started') journal = ev.journal;
          if (ev.type === 'progress') progress.push({ at: Date.now(), samples: ev.samples });
        }
      });
      const closed = collect(cli, 60_000);
      await waitFor(() => journal !== undefined, 20_000, 'the started event');
      await new Promise((r) => setTimeout(r, delayMs));
      const killedAt = Date.now();
      cli.kill('SIGKILL');
      const r = await closed;
      assert.equal(r.signal, 'SIGKILL', r.stderr);
      assert.ok(!fs.existsSync(out), 'no profile: the recorder was killed before writing it');
      assert.ok(fs.existsSync(journal!), `journal ${journal} left behind`);
      const replay = replayJournal(fs.readFileSync(journal!, 'utf8'), journal!);
      const lastSampleAt = replay.header.startTime + replay.lastSampleMs;
      const uncovered = killedAt - 1000 - lastSampleAt;
      // Samples are journaled in the order taken, so every sample before the last kept one is kept:
      // nothing taken more than a second before the kill may be after it.
      if (delayMs > 1200) assert.ok(uncovered <= 0, `kill ${k}: last kept sample ${killedAt - lastSampleAt} ms before the kill (> 1 s)`);
      // The recorder's own count, from progress events that left it more than a second before the kill.
      const reported = progress.filter((p) => p.at <= killedAt - 1000).at(-1)?.samples ?? 0;
      assert.ok(replay.samples >= reported, `kill ${k}: kept ${replay.samples} < ${reported} reported more than 1 s before the kill`);
      assert.equal(replay.profile.meta.sampleCount, replay.samples);
      figures.push(`kill ${String(k).padStart(2)}: ${rate} Hz, after ${delayMs} ms: ${replay.samples} samples kept, last ${killedAt - lastSampleAt} ms before the kill, ${replay.tornBytes} torn bytes ignored`);
      fs.unlinkSync(journal!);
    }
    console.log(`seed ${seed}, ${kills} kills (${py!.label}):\n  ${figures.join('\n  ')}`);
  } finally {
    killQuietly(target);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a journal cut at every byte of its last records replays without error, never gaining samples', { skip: noPython, timeout: 120_000 }, async () => {
  const dir = tmpDir('pyprof-torn-');
  const target = await startFixture(py!.path, fixture('exit_after.py'), ['60']);
  try {
    const out = path.join(dir, 'torn.speedscope.json');
    const cli = spawnCli(['record', '--pid', String(target.pid), '--rate', '500', '-q', '-o', out]);
    const closed = collect(cli, 60_000);
    await waitFor(() => journalsIn(dir).length === 1 && fs.statSync(journalsIn(dir)[0]).size > 20_000, 20_000, 'a journal with samples');
    cli.kill('SIGKILL');
    await closed;
    const file = journalsIn(dir)[0];
    const text = fs.readFileSync(file, 'utf8');
    const full = replayJournal(text, file);
    let previous = -1;
    let cuts = 0;
    for (let end = Math.max(0, text.length - 2000); end <= text.length; end++) {
      const r = replayJournal(text.slice(0, end), file);
      assert.ok(r.samples >= previous && r.samples <= full.samples);
      previous = r.samples;
      cuts++;
    }
    assert.equal(previous, full.samples);
    assert.ok(cuts > 1000);
  } finally {
    killQuietly(target);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pyprof convert turns a journal into the profile it was recording (-o defaults to that output)', { skip: noPython, timeout: 60_000 }, async () => {
  const dir = tmpDir('pyprof-convert-');
  const target = await startFixture(py!.path, fixture('exit_after.py'), ['60']);
  try {
    const out = path.join(dir, 'conv.speedscope.json');
    const cli = spawnCli(['record', '--pid', String(target.pid), '--rate', '200', '--memory', '-q', '-o', out]);
    const closed = collect(cli, 60_000);
    await waitFor(() => journalsIn(dir).length === 1 && fs.statSync(journalsIn(dir)[0]).size > 5_000, 20_000, 'a journal with samples');
    await new Promise((r) => setTimeout(r, 1200));
    cli.kill('SIGKILL');
    await closed;
    const journal = journalsIn(dir)[0];
    const r = await runCli(['convert', journal]);
    assert.equal(r.code, 0, r.stderr);
    const profile = JSON.parse(fs.readFileSync(out, 'utf8'));
    const notes: string[] = profile.pyprof.meta.notes;
    assert.ok(notes.some((n) => /recovered from the recording journal/.test(n)), notes.join('; '));
    assert.ok(profile.pyprof.meta.sampleCount > 100, `samples: ${profile.pyprof.meta.sampleCount}`);
    assert.ok(profile.pyprof.memory.length > 100, 'RSS over time survives the journal');
    const hot = profile.shared.frames.some((f: { name: string }) => f.name.startsWith('work_until_exit'));
    assert.ok(hot, 'the sampled function is in the recovered profile');
  } finally {
    killQuietly(target);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a recording that ends normally removes its journal', { skip: noPython, timeout: 60_000 }, async () => {
  const dir = tmpDir('pyprof-clean-');
  try {
    const out = path.join(dir, 'ok.speedscope.json');
    const r = await runCli(['record', '--rate', '200', '-q', '-o', out, '--', py!.path, fixture('exit_after.py'), '0.5']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(dir), ['ok.speedscope.json']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the editor side: a recorder killed mid-run reports its journal, and recoverJournal (pyprof convert) opens it', { skip: noPython, timeout: 60_000 }, async () => {
  const dir = tmpDir('pyprof-recover-');
  const target = await startFixture(py!.path, fixture('exit_after.py'), ['60']);
  try {
    const output = path.join(dir, 'run.speedscope.json');
    let started = false;
    const rec = new RecordingProcess(process.execPath, CLI, { target: { kind: 'attach', pid: target.pid! }, output, rate: 200 }, {
      onEvent: (e) => { if (e.type === 'progress') started = true; },
    });
    rec.start();
    await waitFor(() => started, 20_000, 'a progress event');
    await new Promise((r) => setTimeout(r, 1200));
    process.kill(rec.pid!, 'SIGKILL');
    const outcome = await rec.outcome;
    assert.equal(outcome.done, undefined);
    assert.ok(outcome.journal && fs.existsSync(outcome.journal), `journal reported: ${outcome.journal}`);
    assert.ok(await isJournalFile(outcome.journal!));
    assert.ok(!(await isJournalFile(CLI)));
    const recovered = path.join(dir, 'recovered.speedscope.json');
    const notes = await recoverJournal(process.execPath, CLI, outcome.journal!, recovered);
    assert.ok(notes.some((n) => /recovered from the recording journal/.test(n)), notes.join('; '));
    const profile = importProfile(fs.readFileSync(recovered), recovered);
    assert.ok(profile.meta.sampleCount! > 100, `samples: ${profile.meta.sampleCount}`);
    await assert.rejects(recoverJournal(process.execPath, CLI, path.join(dir, 'missing.journal'), recovered), /cannot read .*missing\.journal: no such file/);
  } finally {
    killQuietly(target);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
