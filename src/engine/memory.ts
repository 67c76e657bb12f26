// Memory mode (`record --memory`): with every sample, read the target's resident set size and
// attribute the change since the previous sample to the stack running now: growth to
// StackSample.allocBytes, shrinkage to freedBytes (austin's memory mode works the same way).
// It is cheap (one pread of /proc/PID/statm per sample) and needs nothing in the target, but it
// sees pages, not objects: pymalloc arenas and the allocator's caching mean small allocations show
// up in chunks, on whichever line happened to touch a new page. For exact per-line numbers use
// tracemalloc in the program. Also records RSS over time (Profile.memory, like mprof).
import * as fs from 'fs';
import type { MemoryPoint, Profile, StackSample } from '../profile/model';
import type { RecorderHook, ThreadSampleContext } from './recorder';
import type { Snapshot } from './types';

const PAGE_SIZE = 4096;
const MAX_POINTS = 100_000;

/** Resident set size of a process in bytes, read with pread on a kept-open fd. */
export class RssReader {
  private fd: number | undefined;
  private readonly buf = Buffer.alloc(128);
  constructor(readonly pid: number) {}

  read(): number | undefined {
    try {
      this.fd ??= fs.openSync(`/proc/${this.pid}/statm`, 'r');
      const n = fs.readSync(this.fd, this.buf, 0, this.buf.length, 0);
      const pages = Number(this.buf.toString('latin1', 0, n).split(' ')[1]);
      return Number.isFinite(pages) ? pages * PAGE_SIZE : undefined;
    } catch {
      this.close();
      return undefined;
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      try { fs.closeSync(this.fd); } catch { /* gone */ }
      this.fd = undefined;
    }
  }
}

export class MemoryHook implements RecorderHook {
  private readers = new Map<number, RssReader>();
  private last = new Map<number, number>();
  private candidate: StackSample | undefined;
  private candidateHoldsGil = false;
  private points: MemoryPoint[] = [];
  private stride = 1;
  private tick = 0;
  private t = 0;
  allocated = 0;
  freed = 0;
  /** RSS read with the latest snapshot (the recording journal stores it). */
  lastRss: number | undefined;

  /** `readRss` replaces reading /proc (replaying a journal gives the values recorded then). */
  constructor(private readonly rootPid: number, private readonly readRss?: (pid: number) => number | undefined) {}

  onThreadSample(ctx: ThreadSampleContext): void {
    // The GIL holder is the thread running Python: the likeliest allocator. Else the first sampled.
    this.t = ctx.t;
    if (!this.candidate || (ctx.stack.holdsGil && !this.candidateHoldsGil)) {
      this.candidate = ctx.sample;
      this.candidateHoldsGil = ctx.stack.holdsGil;
    }
  }

  onSnapshot(pid: number, _snapshot: Snapshot): void {
    let rss: number | undefined;
    if (this.readRss) rss = this.readRss(pid);
    else {
      let reader = this.readers.get(pid);
      if (!reader) this.readers.set(pid, (reader = new RssReader(pid)));
      rss = reader.read();
    }
    this.lastRss = rss;
    const target = this.candidate;
    this.candidate = undefined;
    this.candidateHoldsGil = false;
    if (rss === undefined) return;
    const prev = this.last.get(pid);
    // Without a sampled stack the change waits for the next sample that has one.
    if (prev !== undefined && target) {
      const delta = rss - prev;
      if (delta > 0) { target.allocBytes = (target.allocBytes ?? 0) + delta; this.allocated += delta; }
      else if (delta < 0) { target.freedBytes = (target.freedBytes ?? 0) - delta; this.freed -= delta; }
    }
    if (prev === undefined || target) this.last.set(pid, rss);
    if (pid === this.rootPid && this.tick++ % this.stride === 0) {
      this.points.push({ t: this.t, rssBytes: rss });
      if (this.points.length >= MAX_POINTS) {
        // bounded: halve the resolution and keep going
        this.points = this.points.filter((_, i) => i % 2 === 0);
        this.stride *= 2;
      }
    }
  }

  onFinish(profile: Profile): void {
    profile.memory = this.points;
    const mb = (b: number) => (b / (1 << 20)).toFixed(1);
    (profile.meta.notes ??= []).push(`memory: ${mb(this.allocated)} MB of RSS growth and ${mb(this.freed)} MB of shrinkage attributed to sampled lines`);
    for (const r of this.readers.values()) r.close();
  }
}
