// Process-tree helpers for following Python children and grandchildren (`--subprocesses`), and the
// liveness checks the sampler uses to tell "target exited" from "torn read".
//
// Children are found through /proc/PID/task/TID/children when the kernel has it
// (CONFIG_PROC_CHILDREN), else by scanning every /proc/N/stat for its parent pid. The whole tree is
// walked, so a grandchild behind a non-Python parent (`sh -c python ...`) is still found.

import * as fs from 'fs';
import { EngineError } from './types';
import type { TargetProcess, AttachFn } from './types';

export interface ProcStat {
  pid: number;
  /** Kernel state letter: R running, S sleeping, D disk wait, Z zombie, T stopped, t traced, X dead. */
  state: string;
  ppid: number;
  /**
   * Where the stack starts (field 28). Placed at random by every exec (ASLR), so a change shows an
   * exec even of the same non-PIE binary, whose other addresses repeat.
   */
  startStack: number;
  /** Start time in clock ticks since boot: tells a reused pid from the process we saw before. */
  startTime: number;
}

/** Parses /proc/PID/stat; undefined when the process is gone. */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm (field 2) is in parentheses and may itself contain spaces or parentheses.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  return { pid, state: rest[0], ppid: Number(rest[1]), startTime: Number(rest[19]), startStack: Number(rest[25]) };
}

/** True while the process exists and has not exited (a zombie has exited but is not yet reaped). */
export function isAlive(pid: number): boolean {
  const st = readStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
}

let childrenFileWorks: boolean | undefined;

function childrenFromTaskFiles(pid: number): number[] | undefined {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(`/proc/${pid}/task/${tid}`)) return undefined;
      continue; // thread exited meanwhile
    }
    for (const s of text.split(' ')) if (s.trim()) out.push(Number(s));
  }
  return out;
}

/** Every process whose parent chain leads to `root` (not including root), in discovery order. */
export function descendants(root: number): number[] {
  if (childrenFileWorks !== false) {
    const out: number[] = [];
    const queue = [root];
    let ok = true;
    while (queue.length && ok) {
      const kids = childrenFromTaskFiles(queue.shift()!);
      if (kids === undefined) ok = false;
      else for (const k of kids) if (!out.includes(k)) (out.push(k), queue.push(k));
    }
    if (ok) {
      childrenFileWorks = true;
      return out;
    }
    childrenFileWorks = false;
  }
  // Fallback: one pass over /proc building parent → children, then walk from root.
  const kids = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readStat(Number(name));
    if (!st) continue;
    let list = kids.get(st.ppid);
    if (!list) kids.set(st.ppid, (list = []));
    list.push(st.pid);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const k of kids.get(queue.shift()!) ?? []) {
      if (!out.includes(k)) (out.push(k), queue.push(k));
    }
  }
  return out;
}

function exeOf(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

interface Candidate {
  startTime: number;
  exe: string;
  firstTry: number;
  lastTry: number;
  gaveUp: boolean;
}

/**
 * Watches the tree under a root pid and attaches to Python processes as they appear. A fresh
 * child may not be attachable yet (between fork/exec and interpreter start-up), so failures are
 * retried for `settleMs`; after that a process is only retried when its executable changes (exec).
 */
export class SubprocessTracker {
  private readonly candidates = new Map<number, Candidate>();

  constructor(
    private readonly root: number,
    private readonly attach: AttachFn,
    private readonly settleMs = 3000,
  ) {}

  /** Attaches to new Python descendants; `known` are pids already being sampled. */
  poll(known: ReadonlySet<number>, now = Date.now()): TargetProcess[] {
    const found: TargetProcess[] = [];
    const live = new Set<number>();
    for (const pid of descendants(this.root)) {
      live.add(pid);
      if (known.has(pid)) continue;
      const st = readStat(pid);
      if (!st || st.state === 'Z') continue;
      const exe = exeOf(pid);
      let c = this.candidates.get(pid);
      if (!c || c.startTime !== st.startTime || c.exe !== exe) {
        c = { startTime: st.startTime, exe, firstTry: now, lastTry: 0, gaveUp: false };
        this.candidates.set(pid, c);
      }
      if (c.gaveUp) continue;
      c.lastTry = now;
      try {
        const proc = this.attach(pid);
        // A process whose interpreter has no thread yet is not worth sampling: try again next poll.
        if (proc.snapshot().threads.length === 0) {
          proc.close();
          if (now - c.firstTry > this.settleMs) c.gaveUp = true;
          continue;
        }
        this.candidates.delete(pid);
        found.push(proc);
      } catch (e) {
        const code = e instanceof EngineError ? e.code : '';
        if (code === 'UNSUPPORTED_VERSION' || code === 'PERMISSION_DENIED' || now - c.firstTry > this.settleMs) c.gaveUp = true;
      }
    }
    for (const pid of this.candidates.keys()) if (!live.has(pid)) this.candidates.delete(pid);
    return found;
  }
}
