// Snapshots that carry more than stacks: each frame's local variables (dump --locals, the debug
// adapter's Variables view) and the process's asyncio tasks (dump --async, record --async). Both
// need the frames' addresses, which the walker reports when asked (StackWalker.frameAddresses),
// and the value offsets generated for 3.8-3.14 (objectOffsets.json).
import type { RemoteMemory } from './native/memory';
import type { Located } from './locate';
import type { StackWalker } from './cpython/walker';
import type { CodeCache, ObjectReader } from './cpython/objects';
import { FrameLocals } from './cpython/frameLocals';
import { ObjectRepr, ObjectOffsets, objectOffsets } from './cpython/objectRepr';
import { ObjectAttributes } from './cpython/objectAttributes';
import { AsyncTaskReader } from './cpython/asyncTasks';
import { AsyncAttribution } from './cpython/asyncAttribution';
import { performance } from 'perf_hooks';
import { AsyncTask, EngineError, ThreadStack, withFrames } from './types';

export interface InspectOptions {
  locals?: boolean;
  tasks?: boolean;
  /** record --async: re-root loop threads' samples on their running task (asyncAttribution.ts) */
  async?: boolean;
}

export interface Inspected {
  threads: ThreadStack[];
  tasks?: AsyncTask[];
  /** what the task scan could not read */
  taskNotes?: string[];
}

export class SnapshotInspector {
  private readonly O: ObjectOffsets | undefined;
  private locals?: FrameLocals;
  private tasks?: AsyncTaskReader;

  constructor(
    private readonly mem: RemoteMemory,
    private readonly located: Located,
    private readonly codes: CodeCache,
    private readonly objects: ObjectReader,
    private readonly version: string,
  ) {
    this.O = objectOffsets(located.layout);
  }

  private offsets(what: string): ObjectOffsets {
    const L = this.located.layout;
    if (!this.O) throw new EngineError('UNSUPPORTED_VERSION', `reading ${what} is not supported on Python ${this.version}${L.freeThreaded ? ' (free-threaded)' : ''}; supported: CPython 3.8 to 3.14 with the GIL`);
    return this.O;
  }

  /** Walks (through `walk`) with frame addresses recorded, then reads what `opts` asks for. */
  inspect(walker: StackWalker, walk: () => ThreadStack[], opts: InspectOptions): Inspected {
    const locals = opts.locals ? this.frameLocals() : undefined;
    let taskReader: AsyncTaskReader | undefined;
    let unsupported: string | undefined;
    if (opts.tasks) {
      try {
        taskReader = this.taskReader();
      } catch (e) {
        if (!(e instanceof EngineError) || e.code !== 'UNSUPPORTED_VERSION') throw e;
        unsupported = e.message; // the stacks are still worth showing
      }
    }
    if (opts.async) this.attribution(); // fails early on an unsupported version
    const addresses = new Map<number, number[]>();
    walker.frameAddresses = addresses;
    let threads: ThreadStack[];
    try {
      threads = walk();
    } finally {
      walker.frameAddresses = undefined;
    }
    if (locals) {
      threads = threads.map((t) => {
        const a = addresses.get(t.threadId) ?? [];
        return withFrames(t, t.frames.map((f, i) => ({ ...f, locals: a.length > 2 * i ? locals.read(a[2 * i], a[2 * i + 1]) : [] })));
      });
    }
    if (opts.async) threads = this.attribution().apply(threads, addresses, performance.now());
    if (unsupported) return { threads, tasks: [], taskNotes: [unsupported] };
    if (!taskReader) return { threads };
    const scan = taskReader.scan();
    // A running task's frames are on its loop thread's stack: from the innermost frame down to
    // (and including) the frame of the task's own coroutine.
    for (const task of scan.tasks) {
      if (!task.running || task.threadId === undefined) continue;
      const thread = threads.find((t) => t.threadId === task.threadId);
      const a = addresses.get(task.threadId);
      if (!thread || !a) continue;
      try {
        const own = taskReader.coroFrameAddress(taskReader.coroOf(task.id));
        for (let i = 0; 2 * i < a.length; i++) {
          if (a[2 * i] === own) { task.coroutine = thread.frames.slice(0, i + 1); break; }
        }
      } catch {
        /* the task finished meanwhile */
      }
    }
    return { threads, tasks: scan.tasks, taskNotes: scan.notes };
  }

  private attributionState?: AsyncAttribution;

  /** record --async's per-process state (and counts of attributed / idle samples). */
  attribution(): AsyncAttribution {
    if (!this.attributionState) this.attributionState = new AsyncAttribution(this.taskReader());
    return this.attributionState;
  }

  private frameLocals(): FrameLocals {
    if (!this.locals) {
      const O = this.offsets('local variables');
      this.locals = new FrameLocals(this.mem, this.located.layout, O, new ObjectRepr(this.mem, this.located.layout, O));
    }
    return this.locals;
  }

  private taskReader(): AsyncTaskReader {
    if (!this.tasks) {
      const O = this.offsets('asyncio tasks');
      const L = this.located.layout;
      const attrs = ObjectAttributes.create(this.mem, L, this.objects);
      if (!attrs) throw new EngineError('UNSUPPORTED_VERSION', `reading asyncio tasks is not supported on Python ${this.version}`);
      this.tasks = new AsyncTaskReader(this.mem, L, O, new ObjectRepr(this.mem, L, O), attrs, this.codes, {
        runtime: this.located.runtime, interpreterFiles: [this.located.module, this.located.executable],
      });
    }
    return this.tasks;
  }
}
