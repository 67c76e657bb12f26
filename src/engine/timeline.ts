// The recorder's timeline while recording: one run of consecutive identical samples per thread
// (start time, stack id, thread, count) in chunks of typed arrays, 16 bytes a run, instead of one
// JS object per run (≈ 90 bytes with its array slot and boxed time). An hour at 100 Hz is 360,000
// samples; at worst every sample starts a run, so this is what keeps recorder memory flat.
// Chunks are appended, never copied or grown, so no doubling spike either. finish() turns the runs
// into the Profile's TimelineRun objects once, when the profile is written.

import type { TimelineRun } from '../profile/model';

const CHUNK_RUNS = 16_384;
/** Counts and thread indexes are 16-bit; a longer run is continued in a new run (same stack, later start). */
const MAX_COUNT = 0xffff;
const MAX_NARROW_THREAD = 0xffff;

interface Chunk {
  t: Float64Array;
  node: Int32Array;
  /** Uint16 while every thread index fits; a chunk begun after a wider index keeps them in 32 bits */
  thread: Uint16Array | Uint32Array;
  count: Uint16Array;
}

export class CompactTimeline {
  private readonly chunks: Chunk[] = [];
  private n = 0;
  /** per thread index: its last run's index + 1 (0: none yet) */
  private lastRun = new Int32Array(64);
  private wide = false;
  /** True once `cap` runs were stored and later ones dropped (the aggregated samples stay exact). */
  truncated = false;

  constructor(private readonly cap: number) {}

  get length(): number {
    return this.n;
  }

  /** Adds `count` samples of stack `node` on `thread` at `t` (ms from the start). */
  add(thread: number, node: number, t: number, count = 1): void {
    const last = thread < this.lastRun.length ? this.lastRun[thread] - 1 : -1;
    if (last >= 0) {
      const c = this.chunks[(last / CHUNK_RUNS) | 0];
      const i = last % CHUNK_RUNS;
      if (c.node[i] === node && c.count[i] + count <= MAX_COUNT) {
        c.count[i] += count;
        return;
      }
    }
    for (let rest = count; rest > 0; rest -= MAX_COUNT) {
      if (!this.push(thread, node, t, Math.min(rest, MAX_COUNT))) return;
    }
  }

  private push(thread: number, node: number, t: number, count: number): boolean {
    if (this.n >= this.cap) {
      this.truncated = true;
      return false;
    }
    if (thread > MAX_NARROW_THREAD && !this.wide) this.startWideChunk();
    const i = this.n % CHUNK_RUNS;
    if (i === 0) this.chunks.push(this.newChunk());
    const c = this.chunks[this.chunks.length - 1];
    c.t[i] = t;
    c.node[i] = node;
    c.thread[i] = thread;
    c.count[i] = count;
    this.setLast(thread, this.n++);
    return true;
  }

  /** The runs as the Profile keeps them, in the order they were started. */
  runs(): TimelineRun[] {
    const out: TimelineRun[] = new Array(this.n);
    for (let k = 0; k < this.n; k++) {
      const c = this.chunks[(k / CHUNK_RUNS) | 0];
      const i = k % CHUNK_RUNS;
      out[k] = { t: c.t[i], thread: c.thread[i], node: c.node[i], count: c.count[i] };
    }
    return out;
  }

  /** Bytes held (the typed arrays), for benchmarks. */
  get bytes(): number {
    let b = this.lastRun.byteLength;
    for (const c of this.chunks) b += c.t.byteLength + c.node.byteLength + c.thread.byteLength + c.count.byteLength;
    return b;
  }

  private newChunk(): Chunk {
    return {
      t: new Float64Array(CHUNK_RUNS),
      node: new Int32Array(CHUNK_RUNS),
      thread: this.wide ? new Uint32Array(CHUNK_RUNS) : new Uint16Array(CHUNK_RUNS),
      count: new Uint16Array(CHUNK_RUNS),
    };
  }

  /** A thread index above 16 bits (tens of thousands of threads): later runs go to 32-bit chunks. */
  private startWideChunk(): void {
    this.wide = true;
    const used = this.n % CHUNK_RUNS;
    if (used === 0) return; // the next add starts a (wide) chunk anyway
    const c = this.chunks[this.chunks.length - 1];
    const wideThreads = new Uint32Array(CHUNK_RUNS);
    wideThreads.set(c.thread.subarray(0, used));
    c.thread = wideThreads;
  }

  private setLast(thread: number, run: number): void {
    if (thread >= this.lastRun.length) {
      const grown = new Int32Array(Math.max(thread + 1, this.lastRun.length * 2));
      grown.set(this.lastRun);
      this.lastRun = grown;
    }
    this.lastRun[thread] = run + 1;
  }
}
