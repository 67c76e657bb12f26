// A recording journal (journal.ts) back into a profile: the journaled samples are fed, as the
// snapshots they were, through the same Recorder a live recording uses, so a recovered profile is
// the profile the recorder would have written had it lived until its last journaled sample.
// A torn last line (the recorder died mid-write) is ignored; anything else malformed is an error
// naming the line.

import { MemoryHook } from './memory';
import { Recorder } from './recorder';
import type { Profile } from '../profile/model';
import { ProfileFormatError } from '../profile/formats/errors';
import { lineNumber } from '../profile/formats/lineNumber';
import { FLAG_ACTIVE, FLAG_GIL, JournalHeader, JOURNAL_VERSION } from '../profile/formats/journalFormat';
import type { PyFrame, ThreadStack } from './types';

/** What a replay found besides the profile (for convert's message and the tests). */
export interface JournalReplay {
  profile: Profile;
  header: JournalHeader;
  /** process snapshots replayed */
  samples: number;
  /** ms from the start of the last journaled sample */
  lastSampleMs: number;
  /** bytes after the last complete line (a write torn by the kill) */
  tornBytes: number;
}

/** 0 (unknown) or a real line number: anything else is a corrupted record. */
const isLine = (x: unknown): boolean => x === 0 || lineNumber(x) === x;

export function replayJournal(text: string, filename: string): JournalReplay {
  const end = text.lastIndexOf('\n') + 1;
  const tornBytes = Buffer.byteLength(text.slice(end));
  const lines = text.slice(0, end).split('\n');
  lines.pop(); // after the final newline
  const bad = (i: number, what: string) => new ProfileFormatError(filename, `line ${i + 1}`, `${what} (a pyprof recording journal)`);
  if (lines.length === 0) throw bad(0, 'no complete header line: the recorder died before writing anything');
  let header: JournalHeader & { pyprofJournal: number };
  try {
    header = JSON.parse(lines[0]);
  } catch {
    throw bad(0, 'header is not JSON');
  }
  if (header.pyprofJournal !== JOURNAL_VERSION) throw bad(0, `journal version ${header.pyprofJournal} is not supported (this pyprof reads version ${JOURNAL_VERSION})`);
  if (typeof header.startTime !== 'number' || typeof header.pid !== 'number' || !(header.rateHz > 0)) throw bad(0, 'header lacks pid, startTime or rateHz');

  let rss: number | undefined;
  const memory = header.memory === 'rss' ? new MemoryHook(header.pid, () => rss) : undefined;
  const recorder = new Recorder(
    { pid: header.pid, command: header.command, pythonVersion: header.pythonVersion, startTime: header.startTime },
    { rateHz: header.rateHz, processRoots: header.processRoots, threadRoots: header.threadRoots, framelessThreads: header.framelessThreads, startTime: header.startTime },
    memory ? [memory] : [],
  );
  const functions: Array<{ name: string; file: string; firstLine: number }> = [];
  /** node → frames, innermost first (shared, immutable: the recorder only reads them) */
  const stacks: PyFrame[][] = [];
  const threads: Array<{ pid: number; tid: number; name: string }> = [];
  const notes: string[] = [];
  let errors = 0;
  let samples = 0;
  let rootSamples = 0;
  let lastSampleMs = 0;

  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line);
    } catch {
      throw bad(i, 'not JSON');
    }
    if (Array.isArray(rec.s)) {
      const s = rec.s as number[];
      if (s.length < 3 || (s.length - 3) % 3 !== 0) throw bad(i, 'malformed sample');
      const [ms, pid, memoryBytes] = s;
      const list: ThreadStack[] = [];
      for (let k = 3; k < s.length; k += 3) {
        const th = threads[s[k]];
        const node = s[k + 1];
        const frames = node === -1 ? [] : stacks[node];
        if (!th || !frames) throw bad(i, `sample names an unknown ${th ? 'stack' : 'thread'}`);
        list.push({ pid: th.pid, tid: th.tid, threadId: 0, name: th.name, holdsGil: (s[k + 2] & FLAG_GIL) !== 0, active: (s[k + 2] & FLAG_ACTIVE) !== 0, frames });
      }
      rss = typeof memoryBytes === 'number' ? memoryBytes : undefined;
      recorder.addSnapshot(pid, { time: header.startTime + ms, threads: list });
      samples++;
      if (pid === header.pid) rootSamples++;
      lastSampleMs = Math.max(lastSampleMs, ms);
    } else if (Array.isArray(rec.n)) {
      const [id, parent, fn, line] = rec.n as number[];
      const f = functions[fn];
      const outer = parent === -1 ? [] : stacks[parent];
      if (!f || !outer || id !== stacks.length || !isLine(line)) throw bad(i, 'malformed stack node');
      stacks.push([{ name: f.name, file: f.file, firstLine: f.firstLine, line }, ...outer]);
    } else if (Array.isArray(rec.f)) {
      const [id, name, file, firstLine] = rec.f as [number, string, string, number];
      if (id !== functions.length || typeof name !== 'string' || typeof file !== 'string' || !isLine(firstLine)) throw bad(i, 'malformed function');
      functions.push({ name, file, firstLine });
    } else if (Array.isArray(rec.t)) {
      const [id, pid, tid, name] = rec.t as [number, number, number, string];
      if (!(id >= 0 && id <= threads.length)) throw bad(i, 'malformed thread');
      threads[id] = { pid, tid, name: String(name ?? '') };
    } else if (Array.isArray(rec.p)) {
      const [pid, command] = rec.p as [number, string];
      recorder.addProcess(pid, String(command));
    } else if (typeof rec.e === 'number') {
      errors = rec.e;
    } else if (typeof rec.note === 'string') {
      notes.push(rec.note);
    } else {
      throw bad(i, 'unknown record');
    }
  }
  for (let k = 0; k < errors; k++) recorder.addError();
  for (const n of notes) recorder.addNote(n);
  recorder.addNote(
    `recovered from the recording journal ${filename}: the recorder ended before writing ${header.output} ` +
      `(killed or crashed); the ${samples} samples up to ${(lastSampleMs / 1000).toFixed(1)} s are kept`,
  );
  if (header.memory === 'tracemalloc') recorder.addNote('tracemalloc statistics are not in the journal: this recovered profile has time samples only');
  const dropped = recorder.droppedNote();
  if (dropped) recorder.addNote(dropped);
  // time per sample from the journal's own sample times (as a live recording uses its measured rate)
  const measuredRateHz = lastSampleMs >= 500 && rootSamples > 1 ? (rootSamples - 1) / (lastSampleMs / 1000) : undefined;
  const profile = recorder.finish(Math.round(lastSampleMs), {}, measuredRateHz);
  return { profile, header, samples, lastSampleMs, tornBytes };
}
