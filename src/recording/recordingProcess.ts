// Runs `pyprof record … --events-fd 3` (dist/cli.js) as a child process and follows its JSON-lines
// events (./events.ts). Sampling never runs in the extension host: this only spawns, parses
// lines and forwards. No vscode import, so it is usable from tests and other hosts.
// Stop = SIGINT: the CLI writes the profile, emits `done`, and exits 0.

import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import type { RecordEvent } from './events';

export type RecordTarget =
  | { kind: 'launch'; python: string; program: string; args: string[]; cwd: string }
  /** Any command line (a launcher, `python -m pkg`): the first Python process it starts is sampled. */
  | { kind: 'command'; argv: string[]; cwd: string }
  | { kind: 'attach'; pid: number };

export interface RecordRequest {
  target: RecordTarget;
  /** Where the CLI writes the profile. */
  output: string;
  format?: string;
  rate?: number;
  subprocesses?: boolean;
  gil?: boolean;
  idle?: boolean;
  blocking?: boolean;
  /** Native (C/C++) frames interleaved with the Python frames (`--native`). */
  native?: boolean;
  /** 'trace' runs the program under cProfile (exact call counts) instead of sampling it. */
  mode?: 'sample' | 'trace';
  /**
   * Memory mode: 'rss' (or true, the old boolean setting) = RSS growth/shrinkage per line and RSS
   * over time, read from outside; 'tracemalloc' = exact Python allocations per line (launch only).
   */
  memory?: boolean | 'off' | 'rss' | 'tracemalloc';
  /** With memory 'tracemalloc': frames kept per allocation stack (`--memory-frames`). */
  memoryFrames?: number;
  /** Extra CLI options (the debug adapter's `--duration`). */
  extra?: string[];
  /**
   * Events appended to this file instead of fd 3: for a recorder the debug adapter starts in the
   * integrated terminal (runInTerminal), which cannot pass an extra file descriptor.
   */
  eventsFile?: string;
}

export const EVENTS_FD = 3;

/** The CLI argument list for a request (exported for tests; order: options, then target). */
export function recordArgs(req: RecordRequest): string[] {
  // --quiet: the CLI's own summary would land in the program's terminal; the views show it instead.
  const events = req.eventsFile !== undefined ? ['--events-file', req.eventsFile] : ['--events-fd', String(EVENTS_FD)];
  const a = ['record', ...events, '--quiet', '-o', req.output, '--format', req.format ?? 'speedscope'];
  if (req.rate !== undefined) a.push('--rate', String(req.rate));
  if (req.subprocesses) a.push('--subprocesses');
  if (req.gil) a.push('--gil');
  if (req.idle) a.push('--idle');
  if (req.blocking) a.push('--blocking');
  if (req.native) a.push('--native');
  if (req.mode === 'trace') a.push('--mode', 'trace');
  if (req.memory === 'tracemalloc') {
    a.push('--memory=tracemalloc');
    if (req.memoryFrames !== undefined) a.push('--memory-frames', String(req.memoryFrames));
  }
  else if (req.memory === true || req.memory === 'rss') a.push('--memory');
  if (req.extra) a.push(...req.extra);
  if (req.target.kind === 'attach') a.push('--pid', String(req.target.pid));
  else if (req.target.kind === 'command') a.push('--', ...req.target.argv);
  else a.push('--', req.target.python, req.target.program, ...req.target.args);
  return a;
}

/** Splits a byte stream into lines (handles chunks that end mid-line and \r\n). */
export class LineSplitter {
  private buf = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: string): void {
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).replace(/\r$/, '');
      this.buf = this.buf.slice(i + 1);
      if (line.trim()) this.onLine(line);
    }
  }
  end(): void {
    if (this.buf.trim()) this.onLine(this.buf.replace(/\r$/, ''));
    this.buf = '';
  }
}

/** Parses one events line; undefined for anything that is not a known event object. */
export function parseEvent(line: string): RecordEvent | undefined {
  try {
    const v = JSON.parse(line) as { type?: unknown };
    if (v && typeof v === 'object' && typeof v.type === 'string') return v as RecordEvent;
  } catch {
    /* not JSON: ignored (the CLI writes only JSON on this fd) */
  }
  return undefined;
}

export interface RecordingOutcome {
  /** The `done` event when the CLI finished a profile. */
  done?: Extract<RecordEvent, { type: 'done' }>;
  /** The last `error` event, if any. */
  error?: Extract<RecordEvent, { type: 'error' }>;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Last few KB of the CLI's stderr, for messages when it died without an error event. */
  stderrTail: string;
  /** The recorder died before writing the profile and left its journal here (journalRecovery.ts). */
  journal?: string;
}

export interface RecordingCallbacks {
  onEvent?(e: RecordEvent): void;
  /** The CLI's stdout/stderr, which in launch mode carries the program's own output. */
  onOutput?(text: string, stream: 'stdout' | 'stderr'): void;
}

export class RecordingProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private killTimer: NodeJS.Timeout | undefined;
  readonly outcome: Promise<RecordingOutcome>;
  private resolve!: (o: RecordingOutcome) => void;

  constructor(
    private readonly nodePath: string,
    private readonly cliPath: string,
    readonly request: RecordRequest,
    private readonly callbacks: RecordingCallbacks,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.outcome = new Promise((r) => (this.resolve = r));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const args = [this.cliPath, ...recordArgs(this.request)];
    const cwd = this.request.target.kind !== 'attach' ? this.request.target.cwd : undefined;
    // ELECTRON_RUN_AS_NODE: in desktop VS Code process.execPath is Electron; this makes it plain Node.
    // PYTHONUNBUFFERED: the program's output is a pipe, not a TTY; show it as it is printed.
    const env = { ...this.env, ELECTRON_RUN_AS_NODE: '1', PYTHONUNBUFFERED: '1' };
    const child = spawn(this.nodePath, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    this.child = child;
    let done: RecordingOutcome['done'];
    let error: RecordingOutcome['error'];
    let stderrTail = '';
    let journal: string | undefined;
    const events = new LineSplitter((line) => {
      const e = parseEvent(line);
      if (!e) return;
      if (e.type === 'done') done = e;
      if (e.type === 'error') error = e;
      if (e.type === 'started') journal = e.journal;
      this.callbacks.onEvent?.(e);
    });
    const fd = child.stdio[EVENTS_FD] as NodeJS.ReadableStream | null;
    fd?.setEncoding?.('utf8');
    fd?.on('data', (d: string) => events.push(d));
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => this.callbacks.onOutput?.(d, 'stdout'));
    child.stderr?.on('data', (d: string) => {
      stderrTail = (stderrTail + d).slice(-4096);
      this.callbacks.onOutput?.(d, 'stderr');
    });
    child.stdin?.on('error', () => undefined); // program exited while we forwarded input
    let finished = false;
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      if (this.killTimer) clearTimeout(this.killTimer);
      events.end();
      const left = !done && journal !== undefined && fs.existsSync(journal) ? journal : undefined;
      this.resolve({ done, error, exitCode, signal, stderrTail, journal: left });
    };
    child.on('error', (err) => {
      error = { type: 'error', code: 'LAUNCH_FAILED', message: `cannot run ${this.nodePath}: ${err.message}` };
      this.callbacks.onEvent?.(error);
      finish(null, null);
    });
    // 'close' (not 'exit'): all stdio, including the events fd, has been read by then.
    child.on('close', (code, signal) => finish(code, signal));
  }

  /** Sends keyboard input to the program (launch mode). */
  write(text: string): void {
    if (this.child?.stdin?.writable) this.child.stdin.write(text);
  }

  /** Closes the program's stdin (Ctrl-D in the terminal). */
  endInput(): void {
    this.child?.stdin?.end();
  }

  /** Asks the CLI to stop (SIGINT, it still writes the profile); forces it after `graceMs`. */
  stop(graceMs = 15000): void {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    if (this.stopping) {
      c.kill('SIGKILL');
      return;
    }
    this.stopping = true;
    c.kill('SIGINT');
    this.killTimer = setTimeout(() => {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }, graceMs);
  }

  get isStopping(): boolean {
    return this.stopping;
  }
}
