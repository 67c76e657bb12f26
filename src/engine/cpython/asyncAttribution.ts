// record --async: each sample of a thread that runs an event loop is re-rooted on asyncio's terms.
// - The loop is stepping a task: the thread's frames from the innermost down to the task's own
//   coroutine frame are kept (that is the task's running coroutine chain); the event-loop frames
//   below it (run_forever → _run_once → Handle._run → Task.__step) are replaced by a `Task …` frame,
//   and, when the last task scan knew who awaits that task, by the awaiting task's suspended
//   chain and `Task …` frame, and so on up to the root task: the task's async stack.
// - The loop waits in its selector with no task running: the selector frames become one
//   `<asyncio: loop idle>` pseudo-frame on top of the loop frames (kept only with --idle, like any
//   sleeping thread).
// - Anything else (callbacks outside tasks, other threads) is left as it is.
// Tasks are named by their name when the program set one, else by their outermost coroutine
// (default names like Task-123 would split one kind of task into thousands of roots).
import { withFrames } from '../types';
import type { PyFrame, ThreadStack } from '../types';
import type { AsyncTaskReader } from './asyncTasks';

/** How often the full task scan (for who awaits whom) is refreshed, at most. */
const SCAN_EVERY_MS = 1000;
const MAX_PARENTS = 32;

export const IDLE_LOOP_FRAME: PyFrame = Object.freeze({ name: '<asyncio: loop idle, waiting for I/O or timers>', file: '<asyncio>', line: 0, firstLine: 0 }) as PyFrame;

interface Parent { frames: PyFrame[]; parent?: number }

export class AsyncAttribution {
  private taskFrames = new Map<string, PyFrame>();
  /** task id → its suspended chain as a parent frame list and its own awaiting parent (last scan) */
  private parents = new Map<number, Parent>();
  private lastScan = -Infinity;
  /** samples attributed to a task / idle loop (for the profile's notes) */
  attributed = 0;
  idle = 0;

  constructor(private readonly reader: AsyncTaskReader) {}

  apply(threads: ThreadStack[], addresses: Map<number, number[]>, now: number): ThreadStack[] {
    const running = this.reader.running(now);
    if (now - this.lastScan > SCAN_EVERY_MS && running.length > 0) this.rescan(now);
    return threads.map((t) => {
      const r = running.find((x) => x.threadId === t.threadId);
      const a = addresses.get(t.threadId);
      if (r && a) {
        for (let i = 0; 2 * i < a.length; i++) {
          if (a[2 * i] !== r.coroFrame) continue;
          this.attributed++;
          const frames = [...t.frames.slice(0, i + 1), this.taskFrame(r.name, t.frames[i])];
          let p = this.parents.get(r.task)?.parent;
          for (let n = 0; p !== undefined && n < MAX_PARENTS; n++) {
            const entry = this.parents.get(p);
            if (!entry) break;
            frames.push(...entry.frames);
            p = entry.parent;
          }
          return withFrames(t, frames);
        }
      }
      if (!r || !a) {
        const loopAt = t.frames.findIndex((f) => f.name.endsWith('_run_once') && f.file.endsWith('base_events.py'));
        if (loopAt > 0 && t.frames.slice(0, loopAt).every((f) => f.file.endsWith('selectors.py'))) {
          this.idle++;
          return withFrames(t, [IDLE_LOOP_FRAME, ...t.frames.slice(loopAt)]);
        }
      }
      return t;
    });
  }

  /** One shared pseudo-frame per task label (frame records are compared by identity downstream). */
  private taskFrame(name: string, outermost: PyFrame | undefined): PyFrame {
    const label = /^Task-\d+$/.test(name) && outermost ? `Task ${outermost.name}` : `Task ${name}`;
    let f = this.taskFrames.get(label);
    if (!f) {
      f = Object.freeze({ name: label, file: '<asyncio>', line: 0, firstLine: 0 }) as PyFrame;
      if (this.taskFrames.size < 10_000) this.taskFrames.set(label, f);
    }
    return f;
  }

  private rescan(now: number): void {
    this.lastScan = now;
    try {
      const scan = this.reader.scan();
      this.parents.clear();
      for (const t of scan.tasks) {
        const frames = [...t.coroutine, this.taskFrame(t.name, t.coroutine.at(-1))];
        this.parents.set(t.id, { frames, parent: t.awaitedBy[0]?.id });
      }
    } catch {
      /* torn: keep the last scan's links */
    }
  }
}
