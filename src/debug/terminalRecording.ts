// Follows a `pyprof record --events-file F` that the client started in its integrated terminal
// (DAP runInTerminal): the program gets a real TTY there, and we only learn about the recording
// through the events it appends to F. Offers the same surface as RecordingProcess (outcome, stop,
// pid), so the adapter treats both alike.

import * as fs from 'fs';
import { StringDecoder } from 'string_decoder';
import type { RecordEvent } from '../recording/events';
import { isAlive } from '../engine/subprocesses';
import { LineSplitter, parseEvent, RecordingOutcome } from '../recording/recordingProcess';

/** How often the events file is read; events are about once a second, `done` matters most. */
const POLL_MS = 100;
/** A recorder that has not reported `started` by then (terminal closed, shell broken) is given up. */
const START_TIMEOUT_MS = 60_000;

export class TerminalRecording {
  readonly outcome: Promise<RecordingOutcome>;
  private resolve!: (o: RecordingOutcome) => void;
  private timer: NodeJS.Timeout | undefined;
  private offset = 0;
  private recorderPid: number | undefined;
  private finished = false;
  private stopRequested = false;
  private readonly startedAt = Date.now();
  private done: RecordingOutcome['done'];
  private error: RecordingOutcome['error'];
  private readonly lines: LineSplitter;
  /** A read can end inside a multi-byte character; the decoder keeps its first bytes. */
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly eventsFile: string,
    private readonly onEvent: (e: RecordEvent) => void,
  ) {
    this.outcome = new Promise((r) => (this.resolve = r));
    this.lines = new LineSplitter((line) => {
      const e = parseEvent(line);
      if (!e) return;
      if (e.type === 'started' && e.recorderPid) {
        this.recorderPid = e.recorderPid;
        if (this.stopRequested) this.signal('SIGINT'); // stop asked before the recorder was known
      }
      if (e.type === 'done') this.done = e;
      if (e.type === 'error') this.error = e;
      this.onEvent(e);
    });
  }

  /** The recorder's pid once it reported `started`. */
  get pid(): number | undefined {
    return this.recorderPid;
  }

  start(): void {
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  /** Asks the recorder to stop (SIGINT: it stops the program, writes the profile, emits `done`). */
  stop(): void {
    this.stopRequested = true;
    this.signal('SIGINT');
  }

  signal(sig: NodeJS.Signals): boolean {
    if (!this.recorderPid) return false;
    try {
      process.kill(this.recorderPid, sig);
      return true;
    } catch {
      return false; // already gone
    }
  }

  /** Stops following without touching the recorder (adapter shutting down). */
  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(): void {
    this.readNew();
    if (this.finished) return;
    if (this.done || this.error) return this.finish(0);
    if (this.recorderPid !== undefined && !isAlive(this.recorderPid)) {
      this.readNew(); // its last lines may have landed after the previous read
      return this.finish(this.done ? 0 : null);
    }
    if (this.recorderPid === undefined && Date.now() - this.startedAt > START_TIMEOUT_MS) {
      this.error = { type: 'error', code: 'LAUNCH_FAILED', message: `the recorder in the terminal did not start within ${START_TIMEOUT_MS / 1000} s (was the terminal closed?)` };
      this.onEvent(this.error);
      this.finish(null);
    }
  }

  private readNew(): void {
    let fd: number;
    try {
      fd = fs.openSync(this.eventsFile, 'r');
    } catch {
      return; // not created yet
    }
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.lines.push(this.decoder.write(buf.subarray(0, n)));
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  private finish(exitCode: number | null): void {
    if (this.finished) return;
    this.finished = true;
    this.dispose();
    this.lines.end();
    this.resolve({ done: this.done, error: this.error, exitCode, signal: null, stderrTail: '' });
  }
}
