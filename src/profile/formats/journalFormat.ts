// What a pyprof recording journal is (written by src/engine/journal.ts while `pyprof record` runs,
// replayed into a profile by src/engine/journalReplay.ts): its first-line mark, header and sample
// flags. Here, apart from the engine, so everything that opens profiles can recognise a journal
// without loading the recorder (the extension host hands journals to the CLI to replay).

export const JOURNAL_VERSION = 1;
export const JOURNAL_SUFFIX = '.journal';
/** Every journal starts with this. */
export const JOURNAL_MARK = '{"pyprofJournal":';
export const FLAG_GIL = 1;
export const FLAG_ACTIVE = 2;

export interface JournalHeader {
  pid: number;
  command: string;
  pythonVersion: string;
  /** ms since epoch; sample times are relative to it */
  startTime: number;
  rateHz: number;
  processRoots: boolean;
  threadRoots: boolean;
  /** --idle: threads without Python frames are kept (RecorderOptions.framelessThreads) */
  framelessThreads?: boolean;
  memory?: 'rss' | 'tracemalloc';
  /** where the finished profile was to be written, and its format */
  output: string;
  format: string;
}

/** `head`: the start of a file's text. */
export function looksLikeJournal(head: string): boolean {
  return head.trimStart().startsWith(JOURNAL_MARK);
}
