// Every asyncio task of the target, read from outside (dump --async, record --async): what each
// task is, where its coroutine chain is suspended, and which task awaits which.
//
// Finding the tasks: asyncio.tasks keeps weak references to them, in `_all_tasks` (a WeakSet,
// 3.8-3.11) or `_scheduled_tasks` (WeakSet) + `_eager_tasks` (set) on 3.12-3.13; the C module
// (_asyncio) uses these same objects. `_current_tasks` maps each running loop to the task it is
// stepping right now. Tasks are C `_asyncio.Task` objects (or subclasses): their fields come from
// objectOffsets.json, whose TaskObj size the generator checked against the interpreter, and which
// is checked again here against the type's tp_basicsize.
//
// A task's chain: its coroutine's frame, then the object that frame awaits (the top of its value
// stack while suspended in `await`), and so on down to what the innermost one waits on (a Future,
// usually). A running task's frames are on its thread's stack instead (the caller supplies them).
//
// Who awaits whom (before 3.14 no task records it): task P awaits task T when P's `_fut_waiter`
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
import { ObjectOffsets, ObjectRepr } from './objectRepr';

const MAX_TASKS = 100_000;
const MAX_CHAIN = 256;
const MAX_CALLBACKS = 64;
const MAX_FUTURE_HOPS = 4;
const STATES = ['pending', 'cancelled', 'finished'] as const;


/** How to reach the interpreter's sys.modules. */
export interface ModulesRoot {
  runtime: number;
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
    const addrs = this.taskAddresses(dict, notes);
    const current = new Set<number>();
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
    const loopThreads = new Map<number, number>();
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
    const current = this.attrs.get(dict, '_current_tasks');
    if (current <= 0) return [];
    const out: Array<{ task: number; threadId: number; name: string; coroFrame: number }> = [];
    for (const [loop, task] of this.attrs.items(current)) {
      const r = this.rawTask(task);
      if (!r) continue;
      let cached = this.runningNames.get(task);
      if (!cached || cached.namePtr !== r.name) {
        if (this.runningNames.size > 10_000) this.runningNames.clear();
        cached = { namePtr: r.name, name: this.taskName(r.name) };
        this.runningNames.set(task, cached);
      }
      let lt = this.loopIdents.get(loop);
      if (!lt || now - lt.at > 1000) {
        lt = { ident: this.loopThread(loop), at: now };
        this.loopIdents.set(loop, lt);
      }
      out.push({ task, threadId: lt.ident, name: cached.name, coroFrame: this.coroFrameAddress(r.coro) });
    }
    return out;
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
  private taskAddresses(dict: number, notes: string[]): number[] {
    const out = new Set<number>();
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
    const b = this.mem.copy(iframe, Math.max(I.size, O['iframe.stacktop'] + 4));
    let code = readPtr(b, I.executable);
    if (I.taggedExecutable) code -= code % 4;
    const ip = readPtr(b, I.instrPtr);
    const info = this.codes.get(code);
    const frame = this.codes.frame(info, ip > 0 ? Math.floor((ip - info.codeStart) / 2) : -1);
    // Suspended inside `await` (3.13: FRAME_SUSPENDED_YIELD_FROM; 3.11/3.12: SUSPENDED, and a
    // coroutine only suspends in await): the awaited object is on top of the value stack.
    const inAwait = O['gen.state_suspended_yield_from'] !== undefined ? state === O['gen.state_suspended_yield_from'] : state === O['gen.state_suspended'];
    let awaits = 0;
    if (inAwait) {
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
