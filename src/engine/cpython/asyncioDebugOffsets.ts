// CPython 3.14's _asyncio module publishes where it keeps its tasks, for out-of-process readers:
// a Py_AsyncioModuleDebugOffsets block in the module's `.AsyncioDebug` section (symbol
// `_AsyncioDebug`). 3.14 no longer puts C tasks in asyncio.tasks' WeakSet: each thread state links
// its tasks into a list (and a finished thread's tasks move to the interpreter's list), and the
// task a loop is stepping is a thread-state field instead of the `_current_tasks` dict.
// Layout (Modules/_asynciomodule.c, 3.14): three structs of uint64 offsets, in this order:
//   asyncio_task_object: size, task_name, task_awaited_by, task_is_task, task_awaited_by_is_set, task_coro, task_node
//   asyncio_interpreter_state: size, asyncio_tasks_head
//   asyncio_thread_state: size, asyncio_running_loop, asyncio_running_task, asyncio_tasks_head
import { RemoteMemory } from '../native/memory';
import { ElfFile } from '../proc/elf';
import { Mapping, readMaps } from '../proc/maps';

export interface AsyncioDebugOffsets {
  task: { size: number; name: number; awaitedBy: number; isTask: number; awaitedByIsSet: number; coro: number; node: number };
  interp: { size: number; tasksHead: number };
  thread: { size: number; runningLoop: number; runningTask: number; tasksHead: number };
}

export const ASYNCIO_DEBUG_SECTION = '.AsyncioDebug';
const BLOCK_SIZE = 13 * 8;
/** The _asyncio extension module's file (built-in builds carry the section in the interpreter itself). */
const ASYNCIO_MODULE = /\/_asyncio(?:\.[^/]*)?\.so$/;

/** Decodes the block; undefined when its values cannot be offsets into those structs. */
export function parseAsyncioDebugOffsets(raw: Buffer): AsyncioDebugOffsets | undefined {
  if (raw.length < BLOCK_SIZE) return undefined;
  const v = Array.from({ length: 13 }, (_, i) => Number(raw.readBigUInt64LE(8 * i)));
  const [taskSize, name, awaitedBy, isTask, awaitedByIsSet, coro, node, interpSize, interpHead, threadSize, runningLoop, runningTask, threadHead] = v;
  const within = (size: number, ...offs: number[]) => size > 0 && size < 1 << 24 && offs.every((o) => o > 0 && o < size);
  if (!within(taskSize, name, awaitedBy, isTask, awaitedByIsSet, coro, node) || !within(interpSize, interpHead) || !within(threadSize, runningLoop, runningTask, threadHead)) {
    return undefined;
  }
  return {
    task: { size: taskSize, name, awaitedBy, isTask, awaitedByIsSet, coro, node },
    interp: { size: interpSize, tasksHead: interpHead },
    thread: { size: threadSize, runningLoop, runningTask, tasksHead: threadHead },
  };
}

/**
 * Reads the block from the target's memory: from the mapped _asyncio module, or from one of
 * `builtIn` (the interpreter's own files, for builds that link _asyncio in). Undefined while
 * _asyncio is not loaded, or when no mapped file has the section.
 */
export function readAsyncioDebugOffsets(mem: RemoteMemory, builtIn: readonly string[]): AsyncioDebugOffsets | undefined {
  const byPath = new Map<string, Mapping[]>();
  for (const m of readMaps(mem.pid)) {
    const p = m.path.replace(/ \(deleted\)$/, '');
    if (!p.startsWith('/')) continue;
    if (!byPath.has(p)) byPath.set(p, []);
    byPath.get(p)!.push(m);
  }
  const files = [...byPath.keys()].filter((p) => ASYNCIO_MODULE.test(p)).concat(builtIn.filter((p) => byPath.has(p)));
  for (const file of files) {
    let elf: ElfFile;
    try {
      elf = ElfFile.open(`/proc/${mem.pid}/root${file}`);
    } catch {
      continue;
    }
    try {
      const at = elf.symbol('_AsyncioDebug') ?? elf.section(ASYNCIO_DEBUG_SECTION)?.addr;
      if (at === undefined) continue;
      const parsed = parseAsyncioDebugOffsets(mem.copy(elf.loadBias(byPath.get(file)!) + at, BLOCK_SIZE));
      if (parsed) return parsed;
    } catch {
      /* unmapped meanwhile, or not a readable ELF: try the next file */
    } finally {
      elf.close();
    }
  }
  return undefined;
}
