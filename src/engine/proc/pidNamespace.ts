// PID namespaces (containers, `unshare -p`): a process inside one knows its threads by the ids of
// its own namespace (CPython's native_thread_id, glibc's pthread tid field), while we read /proc
// from outside, where the same threads have other ids. /proc/PID/status's NSpid line lists a
// task's id in every namespace from ours inwards ("NSpid: 5996 1"), so one read per thread maps
// the target's ids to ours. Without this every thread's run state and kernel name were looked up
// under the wrong id (a sleeping thread shown active, or another process's thread read).
import * as fs from 'fs';
import { listTids } from './procfs';

/** A task's ids from our namespace inwards (`[5996, 1]`); undefined when gone or the kernel has no NSpid (< 4.1). */
export function readNsPids(pid: number, tid = pid): number[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const m = /^NSpid:\s*([\d\s]+)$/m.exec(text);
  if (!m) return undefined;
  const ids = m[1].trim().split(/\s+/).map(Number);
  return ids.length > 0 && ids.every((n) => n > 0) ? ids : undefined;
}

/** The pid a process has inside its own (innermost) PID namespace, when that differs from ours. */
export function innerPid(pid: number): number | undefined {
  const ids = readNsPids(pid);
  return ids && ids.length > 1 ? ids[ids.length - 1] : undefined;
}

/** Refresh the thread map at most this often when the target names a thread we have not mapped. */
const REMAP_MS = 50;

/**
 * Maps the target's own thread ids to ours. `forProcess` returns undefined when the target shares
 * our PID namespace (the common case: ids need no translation and nothing is read per sample).
 */
export class TidTranslator {
  private ourByTheirs = new Map<number, number>();
  private lastMap = -Infinity;

  private constructor(private readonly pid: number) {}

  static forProcess(pid: number): TidTranslator | undefined {
    return innerPid(pid) === undefined ? undefined : new TidTranslator(pid);
  }

  /** Our id for the thread the target calls `theirs`; 0 when it is not (or no longer) one of its threads. */
  toOurs(theirs: number): number {
    if (theirs <= 0) return 0;
    let ours = this.ourByTheirs.get(theirs);
    if (ours === undefined && performance.now() - this.lastMap >= REMAP_MS) {
      this.remap();
      ours = this.ourByTheirs.get(theirs);
    }
    return ours ?? 0;
  }

  /** The target's ids of its current threads (what its pthread structures hold). */
  theirTids(): Set<number> {
    this.remap();
    return new Set(this.ourByTheirs.keys());
  }

  /** Forget threads that ended (their ids may be reused inside the namespace). */
  invalidate(): void {
    this.lastMap = -Infinity;
    this.ourByTheirs.clear();
  }

  private remap(): void {
    this.lastMap = performance.now();
    const next = new Map<number, number>();
    for (const tid of listTids(this.pid)) {
      const ids = readNsPids(this.pid, tid);
      if (ids) next.set(ids[ids.length - 1], ids[0]);
    }
    this.ourByTheirs = next;
  }
}
