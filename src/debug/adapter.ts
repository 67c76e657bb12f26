// The `pyprof` debug adapter (DAP): a launch.json configuration profiles a program from its start
// (launch) or a running process (attach) with the same recorder as "Profile Current File" — the
// `pyprof record` CLI as a child process, or in the client's integrated terminal through
// runInTerminal — and Pause shows every thread's Python stack in the Call Stack view.
// It is a profiler, not a debugger: no breakpoints, no stepping, no variables, and nothing ever
// runs in or is written to the target. When the recording ends the adapter sends the custom event
// `pyprofProfileReady` {output, format, label}; the extension opens it like any finished recording.
// Runs as its own process (dist/debugAdapter.js), so ptrace and koffi never enter the editor.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  ContinuedEvent, DebugSession, Event, InitializedEvent, OutputEvent, Scope, Source, StackFrame, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { RecordEvent } from '../recording/events';
import { EngineError, PyFrame, Snapshot, ThreadStack, threadStateWords } from '../engine/types';
import type { AsyncTask } from '../engine/types';
import { RecordingOutcome, RecordingProcess, recordArgs } from '../recording/recordingProcess';
import { ConfigError, defaultProfileName, mergeEnv, ResolvedConfig, resolveConfig, toRecordRequest } from './configuration';
import { TargetInspector } from './targetInspector';
import { TerminalRecording } from './terminalRecording';

/** The custom event the extension listens for (src/ui/recording/debugType.ts). */
export const PROFILE_READY_EVENT = 'pyprofProfileReady';
export interface ProfileReadyBody {
  output: string;
  format: string;
  label: string;
  samples: number;
  notes: string[];
}

/** The scope shown when a frame has no locals to show: it says why. */
const NO_VARIABLES_REF = 1;
const NO_VARIABLES_TEXT =
  'pyprof reads variables from outside the process and never runs code in it; this Python version is not supported for that. Use the Python debugger for them.';
/**
 * asyncio tasks are shown as pseudo-threads with ids from here up (kernel thread ids stay below
 * pid_max, at most 2^22), in the order the task scan listed them.
 */
const TASK_THREAD_BASE = 1 << 30;
/** How long disconnect waits for the recorder to write the profile. */
const STOP_GRACE_MS = 15_000;

interface Recorder {
  readonly outcome: Promise<RecordingOutcome>;
  stop(): void;
}

export class PyprofDebugSession extends DebugSession {
  private config: ResolvedConfig | undefined;
  private recorder: Recorder | undefined;
  private recorderPid: number | undefined;
  private inspector: TargetInspector | undefined;
  private paused: { snapshot: Snapshot; blocking: boolean } | undefined;
  private readonly frameRefs = new Map<number, { threadId: number; index: number }>();
  private nextFrameId = NO_VARIABLES_REF + 1; // frame ids double as their locals scope reference
  private supportsRunInTerminal = false;
  private tempDir: string | undefined;
  private finished: Promise<void> | undefined;
  private terminatedSent = false;

  constructor(
    /** dist/cli.js: the recorder. Tests may point elsewhere. */
    private readonly cliPath = path.join(__dirname, 'cli.js'),
  ) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.supportsRunInTerminal = args.supportsRunInTerminalRequest === true;
    response.body = {
      ...response.body,
      supportsConfigurationDoneRequest: true,
      supportsTerminateRequest: true,
      // Restart is VS Code's own (terminate, then launch again): each run keeps its profile.
      supportsRestartRequest: false,
      supportTerminateDebuggee: true,
      supportsEvaluateForHovers: false,
      supportsStepBack: false,
      supportsSetVariable: false,
      supportsDelayedStackTraceLoading: true,
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    void this.startRecording(response, { ...args, request: 'launch' });
  }

  protected override attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): void {
    void this.startRecording(response, { ...args, request: 'attach' });
  }

  private async startRecording(response: DebugProtocol.Response, args: object): Promise<void> {
    let config: ResolvedConfig;
    try {
      config = resolveConfig(args);
    } catch (e) {
      return this.fail(response, e instanceof ConfigError ? e.message : String(e));
    }
    this.config = config;
    const output = config.output ?? this.defaultOutput(config);
    const started = new Promise<{ ok: true } | { ok: false; message: string }>((resolve) => {
      const onEvent = (e: RecordEvent) => {
        if (e.type === 'started') resolve({ ok: true });
        if (e.type === 'error') resolve({ ok: false, message: e.message });
        this.onRecordEvent(e);
      };
      this.recorder = this.startRecorder(config, output, onEvent, (message) => resolve({ ok: false, message }));
      this.finished = this.recorder.outcome.then((o) => {
        resolve(o.error ? { ok: false, message: o.error.message } : { ok: false, message: describeEarlyExit(o) });
        return this.onRecordingEnd(o, config);
      });
    });
    let s: { ok: true } | { ok: false; message: string };
    try {
      s = await started;
    } catch (e) {
      s = { ok: false, message: `cannot start the recorder: ${e instanceof Error ? e.message : String(e)}` }; // e.g. no temp folder
    }
    if (!s.ok) return this.fail(response, s.message);
    this.sendResponse(response);
  }

  private startRecorder(config: ResolvedConfig, output: string, onEvent: (e: RecordEvent) => void, onFailure: (m: string) => void): Recorder {
    const node = process.execPath;
    const inTerminal = config.request === 'launch' && config.console === 'integratedTerminal';
    if (inTerminal && this.supportsRunInTerminal) {
      const eventsFile = path.join(this.ensureTempDir(), `events-${Date.now()}.jsonl`);
      const rec = new TerminalRecording(eventsFile, onEvent);
      const req = toRecordRequest(config, output, eventsFile);
      // process.versions.electron: inside desktop VS Code our "node" is Electron's binary.
      const env: Record<string, string | null> = { ...config.env };
      if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
      this.runInTerminalRequest(
        {
          kind: 'integrated',
          title: `pyprof: ${config.label}`,
          cwd: config.cwd!,
          args: [node, this.cliPath, ...recordArgs(req)],
          env,
        },
        15_000,
        (r) => {
          if (!r.success) {
            rec.dispose();
            onFailure(`the terminal could not be started: ${r.message ?? 'runInTerminal failed'}`);
          }
        },
      );
      rec.start();
      return {
        outcome: rec.outcome,
        stop: () => rec.stop(),
      };
    }
    if (inTerminal) this.log('this client has no integrated terminal: the program runs with its output in the Debug Console\n');
    const rec = new RecordingProcess(
      node,
      this.cliPath,
      toRecordRequest(config, output),
      { onEvent, onOutput: (text, stream) => this.sendEvent(new OutputEvent(text, stream)) },
      mergeEnv(process.env, config.env),
    );
    rec.start();
    return rec;
  }

  private onRecordEvent(e: RecordEvent): void {
    switch (e.type) {
      case 'started':
        this.recorderPid = e.recorderPid;
        this.inspector = new TargetInspector(e.pid, {
          suspend: () => this.signalRecorder('SIGUSR1'),
          resume: () => void this.signalRecorder('SIGUSR2'),
        });
        this.log(`pyprof: recording process ${e.pid} (Python ${e.pythonVersion}) at ${this.config?.rate ?? 100} Hz: ${e.command}\n`);
        break;
      case 'subprocess':
        this.log(`pyprof: following subprocess ${e.pid} (Python ${e.pythonVersion})\n`);
        break;
      case 'error':
        this.sendEvent(new OutputEvent(`pyprof: ${e.message}\n`, 'stderr'));
        break;
      default:
        break;
    }
  }

  private signalRecorder(sig: NodeJS.Signals): boolean {
    if (!this.recorderPid) return false;
    try {
      process.kill(this.recorderPid, sig);
      return true;
    } catch {
      return false;
    }
  }

  private async onRecordingEnd(o: RecordingOutcome, config: ResolvedConfig): Promise<void> {
    this.inspector?.close();
    this.inspector = undefined;
    this.paused = undefined;
    if (o.done) {
      for (const note of o.done.notes) this.log(`pyprof: ${note}\n`);
      this.log(`pyprof: ${o.done.samples} samples written to ${o.done.output}\n`);
      const body: ProfileReadyBody = { output: o.done.output, format: o.done.format, label: config.label, samples: o.done.samples, notes: o.done.notes };
      this.sendEvent(new Event(PROFILE_READY_EVENT, body));
    } else if (!o.error) {
      this.sendEvent(new OutputEvent(`pyprof: ${describeEarlyExit(o)}\n`, 'stderr'));
    }
    this.sendTerminated();
  }

  private sendTerminated(): void {
    if (this.terminatedSent) return;
    this.terminatedSent = true;
    this.sendEvent(new TerminatedEvent());
  }

  // ---- pause / continue: a picture of every thread -------------------------------------------

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    const inspector = this.inspector;
    if (!inspector) return this.fail(response, 'the program has not started yet; pause again in a moment');
    const blocking = this.config?.blocking ?? false;
    let snapshot: Snapshot;
    try {
      snapshot = inspector.snapshot(blocking, true);
    } catch (e) {
      return this.fail(response, e instanceof EngineError ? e.message : `cannot read the program's stacks: ${String(e)}`);
    }
    this.paused = { snapshot, blocking };
    this.frameRefs.clear();
    this.sendResponse(response);
    const focus = snapshot.threads.find((t) => t.holdsGil) ?? snapshot.threads.find((t) => t.frames.length > 0) ?? snapshot.threads[0];
    const ev = new StoppedEvent('pause', focus?.tid) as DebugProtocol.StoppedEvent;
    ev.body.allThreadsStopped = true;
    // The Call Stack header has room for a few words (a long description was cut to "Snapshot: the
    // program keeps ru…"); the whole sentence is the event's text, shown in the header's hover.
    ev.body.description = blocking ? 'Paused (stopped)' : 'Snapshot (running)';
    ev.body.text = blocking ? 'Paused: the program is stopped (ptrace) until Continue' : 'Snapshot: the program keeps running (set "blocking": true to stop it)';
    this.sendEvent(ev);
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.resumeTarget();
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
  }

  private resumeTarget(): void {
    this.inspector?.resume();
    this.paused = undefined;
    this.frameRefs.clear();
  }

  /** The asyncio task shown as pseudo-thread `threadId`, at the current pause. */
  private taskOf(threadId: number): AsyncTask | undefined {
    return threadId >= TASK_THREAD_BASE ? this.paused?.snapshot.tasks?.[threadId - TASK_THREAD_BASE] : undefined;
  }

  /** What the Call Stack lists under a thread or a task pseudo-thread, innermost first. */
  private framesOf(threadId: number): PyFrame[] {
    const task = this.taskOf(threadId);
    if (task) return taskFrames(task, this.paused?.snapshot.tasks ?? []);
    return this.paused?.snapshot.threads.find((t) => t.tid === threadId)?.frames ?? [];
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    let threads: ThreadStack[] = this.paused?.snapshot.threads ?? [];
    if (!this.paused && this.inspector) {
      try {
        threads = this.inspector.snapshot(false).threads;
      } catch {
        threads = [];
      }
    }
    const tasks = this.paused?.snapshot.tasks ?? [];
    response.body = {
      threads: [
        ...(threads.length ? threads.map((t) => new Thread(t.tid, threadLabel(t))) : [new Thread(this.inspector?.pid ?? 1, this.config?.label ?? 'Python')]),
        ...tasks.map((task, i) => new Thread(TASK_THREAD_BASE + i, taskLabel(task, threads))),
      ],
    };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const frames = this.framesOf(args.threadId);
    const start = args.startFrame ?? 0;
    const end = args.levels ? start + args.levels : frames.length;
    response.body = {
      totalFrames: frames.length,
      stackFrames: frames.slice(start, end).map((f, i) => {
        const id = this.nextFrameId++;
        this.frameRefs.set(id, { threadId: args.threadId, index: start + i });
        const local = path.isAbsolute(f.file) && fs.existsSync(f.file);
        const source = local ? new Source(path.basename(f.file), f.file) : undefined;
        const sf = new StackFrame(id, f.name, source, this.convertDebuggerLineToClient(Math.max(f.line, 1)), this.convertDebuggerColumnToClient(1));
        if (!local) (sf as DebugProtocol.StackFrame).presentationHint = f.file ? 'subtle' : 'label';
        if (!local && f.file) sf.name = `${f.name} (${f.file}:${f.line})`;
        return sf;
      }),
    };
    this.sendResponse(response);
  }

  /**
   * One scope per frame: its locals as read at the pause (short reprs, see engine/cpython/objectRepr),
   * or, when the version is not supported for that, one explaining why. Frame ids are > 1, so a
   * frame's locals scope simply reuses its frame id.
   */
  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const frame = this.frameOf(args.frameId);
    if (this.taskOf(this.frameRefs.get(args.frameId)?.threadId ?? 0)) {
      // a suspended coroutine's locals are not read (only the threads' frames are)
      response.body = { scopes: [] };
      return this.sendResponse(response);
    }
    response.body = {
      scopes: frame?.locals ? [new Scope('Locals', args.frameId, false)] : [new Scope('Not read by pyprof', NO_VARIABLES_REF, false)],
    };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const why = this.inspector?.localsUnavailable ?? NO_VARIABLES_TEXT;
    const locals = args.variablesReference === NO_VARIABLES_REF ? undefined : this.frameOf(args.variablesReference)?.locals;
    response.body = {
      variables: args.variablesReference === NO_VARIABLES_REF
        ? [{ name: 'why', value: why, variablesReference: 0 }]
        : (locals ?? []).map((v) => ({ name: v.name, value: v.value, variablesReference: 0 })),
    };
    this.sendResponse(response);
  }

  private frameOf(frameId: number): PyFrame | undefined {
    const ref = this.frameRefs.get(frameId);
    if (!ref) return undefined;
    return this.framesOf(ref.threadId)[ref.index];
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse): void {
    this.fail(response, 'pyprof does not evaluate expressions: it never runs code in the profiled program');
  }

  protected override nextRequest(response: DebugProtocol.NextResponse): void {
    this.fail(response, 'pyprof profiles; it cannot step. Continue lets the program run on');
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.fail(response, 'pyprof profiles; it cannot step. Continue lets the program run on');
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.fail(response, 'pyprof profiles; it cannot step. Continue lets the program run on');
  }

  /** `pyprofSnapshot`: the paused snapshot (or a fresh one) as JSON, for "Dump Stacks" in a session. */
  protected override customRequest(command: string, response: DebugProtocol.Response): void {
    if (command !== 'pyprofSnapshot') return super.customRequest(command, response, undefined);
    try {
      const snapshot = this.paused?.snapshot ?? this.inspector?.snapshot(false);
      if (!snapshot) return this.fail(response, 'the program has not started yet');
      response.body = { info: this.inspector!.info, snapshot };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e instanceof Error ? e.message : String(e));
    }
  }

  // ---- ending ---------------------------------------------------------------------------------

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.resumeTarget();
    this.recorder?.stop();
    this.sendResponse(response);
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse): Promise<void> {
    // Whatever happens next, a target we stopped runs again first.
    this.resumeTarget();
    if (this.recorder && this.finished) {
      this.recorder.stop();
      // Wait for the profile so the ready event reaches the client before the session closes.
      await Promise.race([this.finished, new Promise((r) => setTimeout(r, STOP_GRACE_MS))]);
    }
    this.sendResponse(response);
    this.shutdown(); // as DebugSession's own disconnect does: the adapter process ends with the session
  }

  // ---- helpers --------------------------------------------------------------------------------

  private defaultOutput(config: ResolvedConfig): string {
    return path.join(this.ensureTempDir(), defaultProfileName(config));
  }

  private ensureTempDir(): string {
    if (!this.tempDir) this.tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-debug-'));
    return this.tempDir;
  }

  private log(text: string): void {
    this.sendEvent(new OutputEvent(text, 'console'));
  }

  private fail(response: DebugProtocol.Response, message: string): void {
    this.sendErrorResponse(response, { id: 1, format: message.replace(/[{}]/g, (c) => (c === '{' ? '(' : ')')), showUser: true });
  }

  override shutdown(): void {
    this.inspector?.close();
    super.shutdown();
  }
}

function threadLabel(t: ThreadStack): string {
  const state = threadStateWords(t);
  return `${t.name || 'thread'} (tid ${t.tid}${state ? `, ${state}` : ''})`;
}

/**
 * A task's pseudo-thread name: `asyncio task "name" (running on MainThread)`, or suspended with
 * what it awaits. The loop's thread is named when it is running one of the snapshot's threads.
 */
function taskLabel(task: AsyncTask, threads: readonly ThreadStack[]): string {
  const thread = task.threadId !== undefined ? threads.find((t) => t.threadId === task.threadId) : undefined;
  const on = thread ? ` on ${thread.name || `tid ${thread.tid}`}` : '';
  const state = task.running ? `running${on}` : task.state === 'pending' ? `suspended${on}${task.awaiting ? `, awaiting ${task.awaiting}` : ''}` : task.state;
  return `asyncio task "${task.name}" (${state})`;
}

/**
 * A task's Call Stack frames: its coroutine chain (innermost first, each opening its source), then
 * one label frame per task awaiting it, so the chain reads on into who waits for this task.
 */
function taskFrames(task: AsyncTask, tasks: readonly AsyncTask[]): PyFrame[] {
  const links = task.awaitedBy.map((l) => {
    const other = tasks.find((t) => t.id === l.id);
    return { name: `awaited by task "${other?.name ?? `0x${l.id.toString(16)}`}" (${l.via})`, file: '', line: 0, firstLine: 0 };
  });
  return [...task.coroutine, ...links];
}

function describeEarlyExit(o: RecordingOutcome): string {
  const how = o.signal ? `was killed by ${o.signal}` : `exited with code ${o.exitCode}`;
  const tail = o.stderrTail.trim().split('\n').slice(-3).join(' ');
  return `the recorder ${how} before writing a profile${tail ? `: ${tail}` : ''}`;
}
