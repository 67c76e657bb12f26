// Every asyncio task of the target, read from outside (dump --async, record --async): what each
// task is, where its coroutine chain is suspended, and which task awaits which.
//
// Finding the tasks: asyncio.tasks keeps weak references to them, in `_all_tasks` (a WeakSet,
// 3.8-3.11) or `_scheduled_tasks` (WeakSet) + `_eager_tasks` (set) on 3.12-3.13; the C module
// (_asyncio) uses these same objects. `_current_tasks` maps each running loop to the task it is
// stepping right now. 3.14 keeps C tasks out of those: each thread state links its tasks into a
// list and holds its running loop and task, at offsets the _asyncio module publishes
// (asyncioDebugOffsets.ts); the Python-level sets still hold tasks of other implementations. Tasks are C `_asyncio.Task` objects (or subclasses): their fields come from
// objectOffsets.json, whose TaskObj size the generator checked against the interpreter, and which
// is checked again here against the type's tp_basicsize.
//
// A task's chain: its coroutine's frame, then the object that frame awaits (the top of its value
// stack while suspended in `await`), and so on down to what the innermost one waits on (a Future,
// usually). A running task's frames are on its thread's stack instead (the caller supplies them).
//
// Who awaits whom (before 3.14 no task records it; 3.14's fut_awaited_by adds what it records):
// task P awaits task T when P's `_fut_waiter`
// is T (a direct `await T`), or when one of T's done-callbacks leads to P: a bound method of a
// TaskGroup (`_on_task_done`, its `_parent_task` is P), or a function/partial whose closure or
// arguments hold the future P waits on (gather's `_done_callback` → the gathering future, shield's
// `_inner_done_callback` → the outer future, wait_for's `_release_waiter`), following nested
// gathering futures through their own callbacks.
import { RemoteMemory, readPtr } from '../native/memory';
import { ASYNCIO_NOT_IMPORTED } from '../types';
import type { AsyncTask, PyFrame } from '../types';
import type { Layout } from './layout';
import type { CodeCache } from './objects';
import type { ObjectAttributes } from './objectAttributes';
import { ObjectOffsets, ObjectRepr, stackRefObject } from './objectRepr';
import { AsyncioDebugOffsets, readAsyncioDebugOffsets } from './asyncioDebugOffsets';

const MAX_TASKS = 100_000;
const MAX_CHAIN = 256;
const MAX_CALLBACKS = 64;
const MAX_FUTURE_HOPS = 4;
const MAX_THREADS = 100_000;
/** How often to look for the _asyncio module again while it is not loaded (ms). */
const DEBUG_OFFSETS_RETRY_MS = 1000;
const STATES = ['pending', 'cancelled', 'finished'] as const;


/** How to reach the interpreter's sys.modules. */
export interface ModulesRoot {
  runtime: number;
  /** the interpreter's own files (executable, libpython): where a built-in _asyncio keeps its debug offsets */
  interpreterFiles: readonly string[];
}

/** A thread state's asyncio fields (3.14). */
interface ThreadAsyncio {
  tstate: number;
  threadId: number;
  runningLoop: number;
  runningTask: number;
}

interface RawTask {
  addr: number;
  loop: number;
  state: number;
  waiter: number;
  coro: number;
  name: number;
  callback0: number;
  callbacks: number;
  /** 3.14: the future or task awaiting this one, or a set of them (awaitedByIsSet) */
  awaitedBy: number;
  awaitedByIsSet: boolean;
}

export interface TaskScan {
  tasks: AsyncTask[];
  /** loop address → pthread id of the thread running it (loop._thread_id), for loops that run */
  loopThreads: Map<number, number>;
  /** what could not be read, for the output's notes */
  notes: string[];
}

export class AsyncTaskReader {
  private tasksModuleDict = 0;

  constructor(
    private readonly mem: RemoteMemory,
    private readonly L: Layout,
    private readonly O: ObjectOffsets,
    private readonly values: ObjectRepr,
    private readonly attrs: ObjectAttributes,
    private readonly codes: CodeCache,
    private readonly root: ModulesRoot,
  ) {}

  /** Every task, with chains, states and awaits/awaited-by links. */
  scan(): TaskScan {
    const notes: string[] = [];
    const dict = this.tasksModule();
    if (!dict) return { tasks: [], loopThreads: new Map(), notes: [ASYNCIO_NOT_IMPORTED + ' in this process'] };
    const D = this.asyncioDebug(notes);
    const threads = D ? this.threadAsyncio(D) : [];
    const addrs = this.taskAddresses(dict, notes, D);
    const current = new Set<number>(threads.filter((t) => t.runningTask > 0).map((t) => t.runningTask));
    const currentDict = this.attrs.get(dict, '_current_tasks');
    if (currentDict > 0) for (const [, task] of this.attrs.items(currentDict)) current.add(task);
    const raws: RawTask[] = [];
    let skipped = 0;
    for (const a of addrs) {
      const r = this.rawTask(a);
      if (r) raws.push(r);
      else skipped++;
    }
    if (skipped) notes.push(`${skipped} task(s) skipped: not a C _asyncio.Task or unreadable (freed while read)`);
    // loops → their threads
    const loopThreads = new Map<number, number>(threads.filter((t) => t.runningLoop > 0).map((t) => [t.runningLoop, t.threadId]));
    for (const r of raws) if (!loopThreads.has(r.loop)) loopThreads.set(r.loop, this.loopThread(r.loop));
    const tasks: AsyncTask[] = raws.map((r) => {
      const { frames, awaiting } = current.has(r.addr) ? { frames: [], awaiting: undefined } : this.chain(r.coro);
      const loopThread = loopThreads.get(r.loop) ?? 0;
      return {
        id: r.addr,
        name: this.taskName(r.name),
        state: STATES[r.state] ?? 'pending',
        running: current.has(r.addr),
        loop: r.loop,
        threadId: loopThread || undefined,
        coroutine: frames,
        awaiting,
        awaits: [],
        awaitedBy: [],
      };
    });
    this.link(raws, tasks);
    return { tasks, loopThreads, notes };
  }

  private runningNames = new Map<number, { namePtr: number; name: string }>();
  private loopIdents = new Map<number, { ident: number; at: number }>();

  /**
   * The task each running loop is stepping right now (asyncio.tasks._current_tasks), cheaply: one
   * dict read plus one read per running task; names and loop threads are cached (a task's name is
   * re-read when its pointer changes, a loop's thread once a second).
   */
  running(now: number): Array<{ task: number; threadId: number; name: string; coroFrame: number }> {
    const dict = this.tasksModule();
    if (!dict) return [];
    const D = this.asyncioDebug([]);
    // 3.14: each thread state says which task its loop is stepping (C tasks leave _current_tasks empty)
    const fromThreads = D ? this.threadAsyncio(D).filter((t) => t.runningTask > 0) : [];
    const current = this.attrs.get(dict, '_current_tasks');
    if (current <= 0 && fromThreads.length === 0) return [];
    const out: Array<{ task: number; threadId: number; name: string; coroFrame: number }> = [];
    for (const t of fromThreads) {
      const r = this.rawTask(t.runningTask);
      if (r) out.push({ task: t.runningTask, threadId: t.threadId, name: this.cachedName(t.runningTask, r.name), coroFrame: this.coroFrameAddress(r.coro) });
    }
    for (const [loop, task] of current > 0 ? this.attrs.items(current) : []) {
      if (fromThreads.some((t) => t.runningTask === task)) continue;
      const r = this.rawTask(task);
      if (!r) continue;
      let lt = this.loopIdents.get(loop);
      if (!lt || now - lt.at > 1000) {
        lt = { ident: this.loopThread(loop), at: now };
        this.loopIdents.set(loop, lt);
      }
      out.push({ task, threadId: lt.ident, name: this.cachedName(task, r.name), coroFrame: this.coroFrameAddress(r.coro) });
    }
    return out;
  }

  /** A running task's name, re-read only when its name pointer changes. */
  private cachedName(task: number, namePtr: number): string {
    let cached = this.runningNames.get(task);
    if (!cached || cached.namePtr !== namePtr) {
      if (this.runningNames.size > 10_000) this.runningNames.clear();
      cached = { namePtr, name: this.taskName(namePtr) };
      this.runningNames.set(task, cached);
    }
    return cached.name;
  }

  private debugOffsets?: AsyncioDebugOffsets;
  private debugTriedAt = -Infinity;
  private debugMismatch?: string;

  /**
   * 3.14+: the _asyncio module's debug offsets, looked up again at most once a second while the
   * module is not loaded. Its task offsets must agree with the generated TaskObj that rawTask reads.
   */
  private asyncioDebug(notes: string[]): AsyncioDebugOffsets | undefined {
    if (this.L.major === 3 && this.L.minor < 14) return undefined;
    if (this.debugMismatch) { notes.push(this.debugMismatch); return undefined; }
    if (this.debugOffsets) return this.debugOffsets;
    const now = performance.now();
    if (now - this.debugTriedAt < DEBUG_OFFSETS_RETRY_MS) return undefined;
    this.debugTriedAt = now;
    const D = readAsyncioDebugOffsets(this.mem, this.root.interpreterFiles);
    if (!D) return undefined;
    const O = this.O;
    if (D.task.size !== O['task.size'] || D.task.coro !== O['task.coro'] || D.task.name !== O['task.name'] || D.task.awaitedBy !== O['future.awaited_by']) {
      this.debugMismatch = `_asyncio's debug offsets (Task ${D.task.size} bytes, coro at ${D.task.coro}) differ from pyprof's (${O['task.size']}, ${O['task.coro']}): unknown build, its C tasks are not listed`;
      notes.push(this.debugMismatch);
      return undefined;
    }
    this.debugOffsets = D;
    return D;
  }

  /** Every thread state of the main interpreter with its asyncio fields (3.14). */
  private threadAsyncio(D: AsyncioDebugOffsets): ThreadAsyncio[] {
    const L = this.L;
    const out: ThreadAsyncio[] = [];
    const interp = this.mem.u64(this.root.runtime + L.runtime.interpretersHead);
    let ts = this.mem.u64(interp + L.interp.threadsHead);
    for (let i = 0; ts > 0 && i < MAX_THREADS; i++) {
      try {
        out.push({
          tstate: ts,
          threadId: this.mem.u64(ts + L.tstate.threadId),
          runningLoop: this.mem.u64(ts + D.thread.runningLoop),
          runningTask: this.mem.u64(ts + D.thread.runningTask),
        });
        ts = this.mem.u64(ts + L.tstate.next);
      } catch {
        break; // the thread exited while read
      }
    }
    return out;
  }

  /** Tasks linked into a list (a thread's or the interpreter's task list head, 3.14). */
  private linkedTasks(head: number, D: AsyncioDebugOffsets, out: Set<number>): void {
    let node = this.mem.u64(head); // llist_node.next comes first
    for (let i = 0; node > 0 && node !== head && i < MAX_TASKS; i++) {
      out.add(node - D.task.node);
      node = this.mem.u64(node);
    }
  }

  /** pthread id of the thread running a loop (loop._thread_id), 0 when not running or unreadable. */
  private loopThread(loop: number): number {
    try {
      const tid = this.attrs.attr(loop, '_thread_id');
      const v = tid > 0 && this.values.nameOfType(tid) === 'int' ? this.values.intValue(tid) : undefined;
      return v !== undefined ? Number(v) : 0;
    } catch {
      return 0; // a loop that is not running, or a foreign loop class
    }
  }

  /** Frame address of a coroutine's own frame (to find a running task on its thread's stack). */
  coroFrameAddress(coro: number): number {
    if (this.L.frame) return this.mem.u64(coro + this.O['gen.gi_frame']);
    return coro + this.O['gen.gi_iframe'];
  }

  /** The task's coroutine object (tasks[].id is the task's address). */
  coroOf(task: number): number {
    return this.mem.u64(task + this.O['task.coro']);
  }

  private tasksModule(): number {
    if (this.tasksModuleDict) return this.tasksModuleDict;
    const interp = this.mem.u64(this.root.runtime + this.L.runtime.interpretersHead);
    const modules = this.mem.u64(interp + this.L.interp.modules);
    const mod = this.attrs.get(modules, 'asyncio.tasks');
    if (!mod) return 0;
    this.tasksModuleDict = this.mem.u64(mod + this.L.moduleDict);
    return this.tasksModuleDict;
  }

  /** Addresses of live tasks from the module's WeakSet(s) and eager set. */
  private taskAddresses(dict: number, notes: string[], D?: AsyncioDebugOffsets): number[] {
    const out = new Set<number>();
    if (D) {
      // 3.14: C tasks are linked into their thread's list, and into the interpreter's once that thread is gone
      const interp = this.mem.u64(this.root.runtime + this.L.runtime.interpretersHead);
      try {
        this.linkedTasks(interp + D.interp.tasksHead, D, out);
        for (const t of this.threadAsyncio(D)) this.linkedTasks(t.tstate + D.thread.tasksHead, D, out);
      } catch {
        notes.push('a task list changed while read: some tasks may be missing');
      }
    }
    const fromWeakSet = (name: string) => {
      const ws = this.attrs.get(dict, name);
      if (!ws) return false;
      const data = this.attrs.attr(ws, 'data');
      if (!data) { notes.push(`asyncio.tasks.${name} has no readable data set`); return true; }
      for (const ref of this.values.setKeys(data, MAX_TASKS, 1 << 22)) {
        const obj = this.mem.u64(ref + this.O['weakref.wr_object']);
        if (obj > 0 && this.values.nameOfType(obj) !== 'NoneType') out.add(obj);
      }
      return true;
    };
    if (!fromWeakSet('_all_tasks')) fromWeakSet('_scheduled_tasks');
    const eager = this.attrs.get(dict, '_eager_tasks');
    if (eager) for (const t of this.values.setKeys(eager, MAX_TASKS, 1 << 22)) out.add(t);
    return [...out];
  }

  private taskSize = 0;

  private rawTask(addr: number): RawTask | undefined {
    const O = this.O;
    if (!this.values.isInstance(addr, '_asyncio.Task')) return undefined;
    if (!this.taskSize) {
      // the C type's instance size must be the TaskObj we generated (subclasses may be larger)
      let t = this.values.typeOf(addr);
      for (let i = 0; i < 32 && this.values.typeName(t) !== '_asyncio.Task'; i++) t = this.mem.u64(t + O['type.tp_base']);
      const size = this.values.basicSize(t);
      if (size !== O['task.size']) throw new Error(`_asyncio.Task is ${size} bytes here, pyprof expects ${O['task.size']}: unknown build`);
      this.taskSize = size;
    }
    let b: Buffer;
    try {
      b = this.mem.copy(addr, O['task.size']);
    } catch {
      return undefined;
    }
    const state = b.readInt32LE(O['future.state']);
    if (state < 0 || state > 2) return undefined;
    return {
      addr,
      loop: readPtr(b, O['future.loop']),
      state,
      waiter: readPtr(b, O['task.fut_waiter']),
      coro: readPtr(b, O['task.coro']),
      name: readPtr(b, O['task.name']),
      callback0: readPtr(b, O['future.callback0']),
      callbacks: readPtr(b, O['future.callbacks']),
      awaitedBy: O['future.awaited_by'] !== undefined ? readPtr(b, O['future.awaited_by']) : 0,
      awaitedByIsSet: O['future.awaited_by_is_set'] !== undefined && b[O['future.awaited_by_is_set']] !== 0,
    };
  }

  private taskName(name: number): string {
    const s = this.values.text(name, 200);
    if (s !== undefined) return s;
    // 3.13 keeps a default name as the int N of "Task-N" until asked for it
    if (this.values.nameOfType(name) === 'int') return `Task-${this.values.intValue(name)}`;
    return this.values.repr(name);
  }

  /**
   * A suspended coroutine's chain, innermost frame first, and what the innermost awaits
   * (`Future`, `_GatheringFuture`, `Task Task-3`, …).
   */
  chain(coro: number): { frames: PyFrame[]; awaiting?: string } {
    const frames: PyFrame[] = [];
    let obj = coro;
    let awaiting: string | undefined;
    for (let i = 0; i < MAX_CHAIN && obj > 0; i++) {
      const type = this.values.nameOfType(obj);
      if (type === undefined) { awaiting = '<unreadable>'; break; }
      if (type === 'coroutine' || type === 'generator' || type === 'async_generator') {
        const step = this.genStep(obj);
        if (!step) break; // finished or running
        frames.push(step.frame);
        obj = step.awaits;
        if (!obj) break;
        continue;
      }
      if (type === 'async_generator_asend') { obj = this.mem.u64(obj + this.O['asend.ags_gen']); continue; }
      if (type === '_asyncio.FutureIter') {
        const fut = this.mem.u64(obj + this.O['futureiter.future']);
        awaiting = this.describeFuture(fut);
        break;
      }
      awaiting = type;
      break;
    }
    return { frames: frames.reverse(), awaiting };
  }

  private describeFuture(fut: number): string {
    const t = this.values.nameOfType(fut) ?? '<unreadable>';
    if (this.values.isInstance(fut, '_asyncio.Task')) {
      const r = this.rawTask(fut);
      return r ? `Task ${this.taskName(r.name)}` : t;
    }
    return t.replace(/^_asyncio\./, '');
  }

  /** One coroutine/generator: its frame (file:line) and the object it awaits, if suspended. */
  private genStep(gen: number): { frame: PyFrame; awaits: number } | undefined {
    const O = this.O;
    if (this.L.frame) {
      const F = this.L.frame;
      const f = this.mem.u64(gen + O['gen.gi_frame']);
      if (f <= 0) return undefined;
      const b = this.mem.copy(f, Math.max(F.lasti + 4, O['frame.f_valuestack'] + 16));
      const code = readPtr(b, F.code);
      const lasti = b.readInt32LE(F.lasti);
      const frame = this.codes.frame(this.codes.get(code), lasti);
      let top = 0;
      if (O['frame.f_stacktop'] !== undefined) {
        const stacktop = readPtr(b, O['frame.f_stacktop']);
        if (stacktop > 0) top = this.mem.u64(stacktop - 8); // NULL while running
      } else {
        const depth = this.mem.read(f + O['frame.f_stackdepth'], 4).readInt32LE(0);
        const base = readPtr(b, O['frame.f_valuestack']);
        if (depth > 0 && depth < 1 << 16 && base > 0) top = this.mem.u64(base + 8 * (depth - 1));
      }
      return { frame, awaits: lasti >= 0 ? top : 0 };
    }
    const I = this.L.iframe!;
    const state = this.mem.read(gen + O['gen.gi_frame_state'], 1).readInt8(0);
    if (state >= 1 || state === O['gen.state_executing']) return undefined; // finished / running
    const iframe = gen + O['gen.gi_iframe'];
    const stackAt = O['iframe.stackpointer'] ?? O['iframe.stacktop'];
    const b = this.mem.copy(iframe, Math.max(I.size, stackAt + 8));
    let code = readPtr(b, I.executable);
    if (I.taggedExecutable) code -= code % 4;
    const ip = readPtr(b, I.instrPtr);
    const info = this.codes.get(code);
    const frame = this.codes.frame(info, ip > 0 ? Math.floor((ip - info.codeStart) / 2) : -1);
    // Suspended inside `await` (3.13: FRAME_SUSPENDED_YIELD_FROM; 3.11/3.12: SUSPENDED, and a
    // coroutine only suspends in await): the awaited object is on top of the value stack.
    const inAwait = O['gen.state_suspended_yield_from'] !== undefined ? state === O['gen.state_suspended_yield_from'] : state === O['gen.state_suspended'];
    let awaits = 0;
    if (inAwait && O['iframe.stackpointer'] !== undefined) {
      // 3.14: a pointer past the top slot, which holds a tagged _PyStackRef
      const sp = readPtr(b, O['iframe.stackpointer']);
      const base = iframe + O['iframe.localsplus'];
      if (sp > base && sp - base < 8 << 16) awaits = stackRefObject(this.mem.u64(sp - 8), O);
    } else if (inAwait) {
      const stacktop = b.readInt32LE(O['iframe.stacktop']);
      if (stacktop > 0 && stacktop < 1 << 16) awaits = this.mem.u64(iframe + O['iframe.localsplus'] + 8 * (stacktop - 1));
    }
    return { frame, awaits };
  }

  /** Fills awaits/awaitedBy from the tasks' waiters and done-callbacks. */
  private link(raws: RawTask[], tasks: AsyncTask[]): void {
    const byAddr = new Map<number, AsyncTask>(tasks.map((t) => [t.id, t]));
    const waitingOn = new Map<number, number[]>(); // future → tasks whose _fut_waiter it is
    for (const r of raws) {
      if (r.waiter <= 0) continue;
      const list = waitingOn.get(r.waiter) ?? [];
      list.push(r.addr);
      waitingOn.set(r.waiter, list);
    }
    const edge = (parent: number, child: number, via: string) => {
      const p = byAddr.get(parent), c = byAddr.get(child);
      if (!p || !c || p === c || p.awaits.some((a) => a.id === child)) return;
      p.awaits.push({ id: child, via });
      c.awaitedBy.push({ id: parent, via });
    };
    for (const r of raws) {
      if (byAddr.has(r.waiter)) edge(r.addr, r.waiter, 'await');
    }
    for (const r of raws) {
      for (const [parent, via] of this.parentsFromCallbacks(r.callback0, r.callbacks, waitingOn, 0)) edge(parent, r.addr, via);
    }
    // 3.14 records who awaits each task (a task, or a future some task waits on): links the
    // callbacks did not explain
    for (const r of raws) {
      if (r.awaitedBy <= 0) continue;
      const awaiters = r.awaitedByIsSet ? this.values.setKeys(r.awaitedBy, MAX_CALLBACKS, 1 << 16) : [r.awaitedBy];
      for (const a of awaiters) {
        if (byAddr.has(a)) edge(a, r.addr, 'await');
        else for (const p of waitingOn.get(a) ?? []) edge(p, r.addr, 'await');
      }
    }
  }

  /** Tasks that a future's done-callbacks lead to (see the file comment), with how. */
  private parentsFromCallbacks(callback0: number, callbacks: number, waitingOn: Map<number, number[]>, hops: number): Array<[number, string]> {
    const out: Array<[number, string]> = [];
    for (const cb of this.callbackList(callback0, callbacks)) {
      const type = this.values.nameOfType(cb);
      if (type === 'method') {
        const self = this.mem.u64(cb + this.O['method.im_self']);
        if (this.values.nameOfType(self) === 'TaskGroup') {
          const parent = this.attrs.attr(self, '_parent_task');
          if (parent > 0) out.push([parent, 'TaskGroup']);
        }
        continue;
      }
      let refs: number[] = [];
      let via = '';
      if (type === 'function') {
        via = this.functionName(cb);
        refs = this.closureValues(cb);
      } else if (type === 'functools.partial') {
        const fn = this.mem.u64(cb + this.O['partial.fn']);
        via = this.values.nameOfType(fn) === 'function' ? this.functionName(fn) : 'partial';
        refs = this.tupleItems(this.mem.u64(cb + this.O['partial.args']));
      } else {
        continue;
      }
      const how = /_inner_done_callback|shield/.test(via) ? 'shield' : /_done_callback|gather/.test(via) ? 'gather' : /_release_waiter|wait_for/.test(via) ? 'wait_for' : via;
      for (const ref of refs) {
        const waiters = waitingOn.get(ref);
        if (waiters) for (const p of waiters) out.push([p, how]);
        else if (hops < MAX_FUTURE_HOPS && this.values.isInstance(ref, '_asyncio.Future')) {
          // a nested gathering future: follow its own callbacks to whoever waits on it
          const b = this.mem.copy(ref, this.O['future.size']);
          const inner = this.parentsFromCallbacks(readPtr(b, this.O['future.callback0']), readPtr(b, this.O['future.callbacks']), waitingOn, hops + 1);
          for (const [p] of inner) out.push([p, how]);
        }
      }
    }
    return out;
  }

  private callbackList(callback0: number, callbacks: number): number[] {
    const out: number[] = [];
    if (callback0 > 0) out.push(callback0);
    if (callbacks > 0 && this.values.nameOfType(callbacks) === 'list') {
      // each entry is a (callback, context) tuple
      for (const entry of this.listItems(callbacks).slice(0, MAX_CALLBACKS)) {
        const t = this.values.nameOfType(entry);
        if (t === 'tuple') { const items = this.tupleItems(entry); if (items[0]) out.push(items[0]); } else if (t) out.push(entry);
      }
    }
    return out;
  }

  private functionName(fn: number): string {
    try {
      return this.codes.get(this.mem.u64(fn + this.O['function.func_code'])).name;
    } catch {
      return 'function';
    }
  }

  private closureValues(fn: number): number[] {
    const closure = this.mem.u64(fn + this.O['function.func_closure']);
    if (closure <= 0 || this.values.nameOfType(closure) !== 'tuple') return [];
    return this.tupleItems(closure).map((cell) => (this.values.nameOfType(cell) === 'cell' ? this.mem.u64(cell + this.O['cell.ob_ref']) : 0)).filter((v) => v > 0);
  }

  private tupleItems(tuple: number): number[] {
    if (tuple <= 0) return [];
    const n = Number(this.mem.read(tuple + this.O['var.ob_size'], 8).readBigInt64LE(0));
    if (n <= 0 || n > MAX_CALLBACKS) return [];
    const b = this.mem.copy(tuple + this.O['tuple.ob_item'], n * 8);
    return Array.from({ length: n }, (_, i) => readPtr(b, i * 8));
  }

  private listItems(list: number): number[] {
    const n = Number(this.mem.read(list + this.O['var.ob_size'], 8).readBigInt64LE(0));
    if (n <= 0 || n > 1 << 16) return [];
    const items = this.mem.u64(list + this.O['list.ob_item']);
    const shown = Math.min(n, MAX_CALLBACKS);
    const b = this.mem.copy(items, shown * 8);
    return Array.from({ length: shown }, (_, i) => readPtr(b, i * 8));
  }
}
