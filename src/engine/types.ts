// The engine's public contract. Everything outside src/engine/ (CLI, language server, debug
// adapter, tests) talks to the engine through these types and the functions in src/engine/index.ts.
// No vscode import anywhere under src/engine/.

/** One Python frame as read from the target. */
export interface PyFrame {
  /** Qualified name on 3.11+ (`Klass.method`), plain co_name before. */
  name: string;
  /** co_filename as the target has it. */
  file: string;
  /** Current line (0 when the line table has no entry for the instruction). */
  line: number;
  /** co_firstlineno: the `def` line. */
  firstLine: number;
  /** Local variables with short safe reprs: only in snapshots taken with `locals` (dump --locals). */
  locals?: LocalVariable[];
}

/** One local variable of a frame, described from outside (see cpython/objectRepr.ts). */
export interface LocalVariable {
  name: string;
  /** A short repr: `42`, `'text'…`, `[1, 2, …] (10 items)`, `<Foo object>`, or `<unreadable>`. */
  value: string;
}

/** A link between two asyncio tasks: the other task's id, and how (`await`, `gather`, `TaskGroup`, `shield`, `wait_for`). */
export interface AsyncTaskLink {
  id: number;
  via: string;
}

/** The task scan's note for a program that never imported asyncio (dump text then leaves the section out). */
export const ASYNCIO_NOT_IMPORTED = 'asyncio is not imported';

/** One asyncio task, read from outside (dump --async). */
export interface AsyncTask {
  /** The task object's address (what id(task) returns in the target). */
  id: number;
  /** Task.get_name() */
  name: string;
  state: 'pending' | 'cancelled' | 'finished';
  /** Being stepped by its loop right now (its frames are on its thread's stack). */
  running: boolean;
  /** Address of the task's event loop. */
  loop: number;
  /** pthread id (ThreadStack.threadId) of the thread running that loop; absent when it is not running. */
  threadId?: number;
  /** The coroutine chain, innermost frame first: where it is suspended, or (running) executing. */
  coroutine: PyFrame[];
  /** What the innermost coroutine waits on (`Future`, `_GatheringFuture`, `Task Task-3`, `sleep`…). */
  awaiting?: string;
  /** Tasks this one waits for, and tasks waiting for it. */
  awaits: AsyncTaskLink[];
  awaitedBy: AsyncTaskLink[];
}

export interface ThreadStack {
  /** Process the thread belongs to (differs from the root pid when following subprocesses). */
  pid: number;
  /** Kernel thread id as we see it (/proc/PID/task/TID; threading.get_native_id() unless the target is in another PID namespace). */
  tid: number;
  /** pthread_t / threading.get_ident(), as a JS number (fits: user-space addresses < 2^47). */
  threadId: number;
  /** threading.Thread.name when readable, else /proc comm, else "". */
  name: string;
  holdsGil: boolean;
  /** On CPU: on a core at the moment of the sample (not sleeping, blocked, or waiting for a core); see below. */
  active: boolean;
  /** Innermost (currently executing) frame first. */
  frames: PyFrame[];
}

// Thread states (defined here, with ThreadStack, so the editor can label them without loading the
// engine), defined once for dump, top, record's filters (--idle, --gil), the debug adapter
// and the editor. Two facts are read per thread at sample time:
//   on CPU   on a core at the moment of the sample, per the kernel: run state R (native/threadStates.ts) and,
//            of R (running, or runnable and waiting for a core), only on a core (proc/onCore.ts; a
//            thread whose core the sampler's own wake-up just took counts): ThreadStack.active
//   GIL      the interpreter's GIL is held by this thread: ThreadStack.holdsGil
// Combined:
//   active+gil   on CPU holding the GIL: running Python code
//   active       on CPU without the GIL: C code that released it (numpy, hashing, I/O work), or just woken
//   blocked+gil  off CPU but holding the GIL: blocked in a call that kept the GIL, or waiting for a core
//   idle         off CPU, no GIL: sleeping, waiting for I/O, a lock, the GIL, or a core
// record keeps `active*` threads by default (--idle keeps all, --gil only the holder).
export type ThreadStateLabel = 'active+gil' | 'active' | 'blocked+gil' | 'idle';

/**
 * Whose frames a snapshot reads. 'all' (the default); 'active' (record/top without --idle): a thread
 * read as off CPU comes back with no frames, its run state read before its stack instead of after;
 * 'gilHolder' (--gil): only the GIL holder's frames. For callers that drop those threads anyway:
 * 200 mostly idle threads then cost their /proc reads and thread states, not 200 stack walks.
 */
export type FramesOf = 'all' | 'active' | 'gilHolder';

/**
 * The same thread with other frames. Not `{ ...t, frames }`: a sampled thread reads its run state
 * lazily through a getter on its class, which a spread drops (the thread then looked off CPU).
 */
export function withFrames(t: ThreadStack, frames: PyFrame[]): ThreadStack {
  let set: boolean | undefined; // the debug adapter overwrites it with the state read before a ptrace stop
  return {
    pid: t.pid, tid: t.tid, threadId: t.threadId, name: t.name, holdsGil: t.holdsGil, frames,
    get active() { return set ?? t.active; },
    set active(value: boolean) { set = value; },
  };
}

export function threadStateLabel(t: Pick<ThreadStack, 'active' | 'holdsGil'>): ThreadStateLabel {
  if (t.active) return t.holdsGil ? 'active+gil' : 'active';
  return t.holdsGil ? 'blocked+gil' : 'idle';
}

/** Words for a person (the debug adapter's thread names). */
export function threadStateWords(t: Pick<ThreadStack, 'active' | 'holdsGil'>): string {
  switch (threadStateLabel(t)) {
    case 'active+gil': return 'running Python, holds GIL';
    case 'active': return 'running without the GIL';
    case 'blocked+gil': return 'blocked holding the GIL';
    default: return 'idle';
  }
}

/**
 * One consistent picture of every thread. PythonProcess.snapshot() never returns a torn one:
 * when the target changed under the read on every retry (common only on 3.8-3.10 in non-blocking
 * mode), it throws EngineError('READ_FAILED') and counts it in PythonProcess.tornReads, so a
 * sampler drops the sample and counts an error. PROCESS_EXITED means the target is gone.
 * Frame records (PyFrame) are shared between snapshots: treat them as immutable.
 */
export interface Snapshot {
  /** ms since epoch when the snapshot was taken. */
  time: number;
  threads: ThreadStack[];
  /** asyncio tasks, only in snapshots taken with `tasks` (dump --async). */
  tasks?: AsyncTask[];
  /** what the task scan could not read (for the output's notes) */
  taskNotes?: string[];
  /** Read with the target paused for a moment because every read while it ran tore (pauseWhenTorn). */
  pausedAfterTorn?: boolean;
}

export interface ProcessInfo {
  pid: number;
  /** "3.12.1" */
  version: string;
  /** [major, minor] for quick comparisons. */
  versionTuple: [number, number];
  executable: string;
  /** The file holding _PyRuntime (libpython or the executable). */
  runtimeModule: string;
  commandLine: string;
  /** Its pid inside its own PID namespace (a container, `unshare -p`), when that differs from `pid` (ours). */
  nsPid?: number;
  /** Owner of the process (user name, or the numeric uid when it has no name). */
  user?: string;
  uid?: number;
}

/** A process's command line as shown in dumps and profiles, with its own pid when it is in another PID namespace (a container). */
export function describeCommand(info: Pick<ProcessInfo, 'commandLine' | 'nsPid'>): string {
  return info.nsPid === undefined ? info.commandLine : `[pid ${info.nsPid} in its PID namespace] ${info.commandLine}`;
}

export interface SampleOptions {
  /** Samples per second (default 100). */
  rate: number;
  /** Seconds; undefined = until the target exits or stop() is called. */
  duration?: number;
  /** Keep only the thread holding the GIL. */
  gil: boolean;
  /** Include idle (sleeping) threads; default false drops them. */
  idle: boolean;
  /** Follow Python child processes (multiprocessing, subprocess). */
  subprocesses: boolean;
  /** Pause the target with ptrace during each read for exact stacks (always resumed). */
  blocking: boolean;
  /**
   * Never pause the target, not even for a sample whose every read tore (dropped instead). By
   * default such a sample is read once more with the target paused for that read only.
   */
  nonblocking?: boolean;
  /** asyncio mode: loop threads' samples attributed to their running task's async stack. */
  async?: boolean;
  /** Native (C/C++) frames merged into each stack, threads without Python too (pauses the target per sample). */
  native?: boolean;
  /** Memory mode: read RSS with every sample. */
  memory?: boolean;
}

export const DEFAULT_SAMPLE_OPTIONS: SampleOptions = {
  rate: 100,
  gil: false,
  idle: false,
  subprocesses: false,
  blocking: false,
};

/** What the sampler needs from an attached process (the engine's PythonProcess fits this). */
export interface TargetProcess {
  readonly info: ProcessInfo;
  snapshot(opts?: { blocking?: boolean; locals?: boolean; tasks?: boolean; async?: boolean; lazyThreadStates?: boolean; native?: boolean; pauseWhenTorn?: boolean; framesOf?: FramesOf }): Snapshot;
  close(): void;
  /** The process exec'd since attach (asked after a failed sample; see PythonProcess). */
  addressSpaceChanged?(): boolean;
}

export type AttachFn = (pid: number) => TargetProcess;

/** Error codes users can act on; message says how. */
export type EngineErrorCode =
  | 'NO_SUCH_PROCESS'
  | 'NOT_PYTHON'
  | 'UNSUPPORTED_VERSION'
  | 'PERMISSION_DENIED'
  | 'PROCESS_EXITED'
  | 'INTERPRETER_NOT_FOUND'
  | 'READ_FAILED'
  | 'LAUNCH_FAILED';

export class EngineError extends Error {
  constructor(readonly code: EngineErrorCode, message: string) {
    super(message);
    this.name = 'EngineError';
  }

  /**
   * An error that is an expected outcome of sampling a running program (a torn read, a read of
   * memory freed meanwhile), caught and retried on the hot path: built without capturing a stack
   * trace, which cost 9.4 µs against 0.76 (20 frames deep) and 2 % of the sampler's CPU on a
   * program churning its stack. Its message says what failed.
   */
  static expected(code: EngineErrorCode, message: string): EngineError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new EngineError(code, message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
