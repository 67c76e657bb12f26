// The recorder's timeline while recording: one run of consecutive identical samples per thread
// (start time, stack id, thread, count), packed as variable-length integers in a byte stream
// instead of one JS object per run (≈ 90 bytes with its array slot and boxed time) or fixed-width
// typed-array columns (16 bytes). An hour at 100 Hz is 360,000 samples; at worst every sample
// starts a run, so bytes per run are what keeps recorder memory flat.
//
// Each thread's current (open) run lives in small per-thread typed arrays and is extended in
// place; a run is written to the stream only when it ends (the thread's stack changed), as
// varints: thread, node + 1, count, and its start as the signed distance in µs from that thread's
// previous run's start (zigzag). A 1 kHz run of one sample is then 5-6 bytes (measured in
// test/unit/engine-timeline.test.ts), not 16. Streams are appended in chunks, never copied or
// grown, so no doubling spike either. runs() decodes the stream once, when the profile is written,
// into the Profile's TimelineRun objects in start order (time, then thread: the order the
// recorder began them).

import type { TimelineRun } from '../profile/model';

const CHUNK_BYTES = 64 * 1024;
const NO_RUN = -2; // open-run node when a thread has none (-1 is a valid node: no Python frames)

export class CompactTimeline {
  private readonly chunks: Uint8Array[] = [];
  /** bytes used in the last chunk */
  private used = CHUNK_BYTES;
  /** runs begun and kept (written + open) */
  private n = 0;
  /** per thread index: the open run (node, start in µs, count) and the start of its last written run */
  private openNode = new Int32Array(64).fill(NO_RUN);
  private openStart = new Float64Array(64);
  private openCount = new Float64Array(64);
  private lastWritten = new Float64Array(64);
  private threads = 0;
  /** True once `cap` runs were stored and later ones dropped (the aggregated samples stay exact). */
  truncated = false;

  constructor(private readonly cap: number) {}

  /** Runs begun (and kept) so far. */
  get length(): number {
    return this.n;
  }

  /** Adds `count` samples of stack `node` on `thread` at `t` (ms from the start). */
  add(thread: number, node: number, t: number, count = 1): void {
    if (thread >= this.openNode.length) this.grow(thread + 1);
    if (thread >= this.threads) this.threads = thread + 1;
    const open = this.openNode[thread];
    if (open === node) {
      this.openCount[thread] += count;
      return;
    }
    if (this.n >= this.cap) {
      // full: later runs are dropped; the open one stays open (a return to its stack extends it)
      this.truncated = true;
      return;
    }
    if (open !== NO_RUN) this.write(thread);
    this.openNode[thread] = node;
    this.openStart[thread] = Math.round(t * 1000);
    this.openCount[thread] = count;
    this.n++;
  }

  /** The runs as the Profile keeps them, in the order they were started. */
  runs(): TimelineRun[] {
    const out: TimelineRun[] = [];
    const base = new Float64Array(this.threads);
    let chunk = 0, pos = 0;
    const bytes = this.chunks.length === 0 ? 0 : (this.chunks.length - 1) * CHUNK_BYTES + this.used;
    let read = 0;
    const next = (): number => {
      let v = 0, scale = 1;
      for (;;) {
        if (pos === CHUNK_BYTES) { chunk++; pos = 0; }
        const b = this.chunks[chunk][pos++];
        read++;
        v += (b & 0x7f) * scale;
        if (b < 0x80) return v;
        scale *= 128;
      }
    };
    while (read < bytes) {
      const thread = next();
      const node = next() - 1;
      const count = next();
      const z = next();
      const start = base[thread] + (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
      base[thread] = start;
      out.push({ t: start / 1000, thread, node, count });
    }
    for (let th = 0; th < this.threads; th++) {
      if (this.openNode[th] !== NO_RUN) out.push({ t: this.openStart[th] / 1000, thread: th, node: this.openNode[th], count: this.openCount[th] });
    }
    // written when they ended: back to the order they began (stable; ties: thread order)
    return out.sort((a, b) => a.t - b.t || a.thread - b.thread);
  }

  /** Bytes held (the stream's chunks and the per-thread open runs), for benchmarks. */
  get bytes(): number {
    return this.chunks.length * CHUNK_BYTES + this.openNode.byteLength + this.openStart.byteLength + this.openCount.byteLength + this.lastWritten.byteLength;
  }

  /** Bytes of the stream written so far (what the runs that ended take). */
  get streamBytes(): number {
    return this.chunks.length === 0 ? 0 : (this.chunks.length - 1) * CHUNK_BYTES + this.used;
  }

  /** Writes thread's open run to the stream. */
  private write(thread: number): void {
    const start = this.openStart[thread];
    const d = start - this.lastWritten[thread];
    this.lastWritten[thread] = start;
    this.varint(thread);
    this.varint(this.openNode[thread] + 1);
    this.varint(this.openCount[thread]);
    this.varint(d >= 0 ? d * 2 : -d * 2 - 1);
  }

  private varint(v: number): void {
    for (;;) {
      if (this.used === CHUNK_BYTES) {
        this.chunks.push(new Uint8Array(CHUNK_BYTES));
        this.used = 0;
      }
      const c = this.chunks[this.chunks.length - 1];
      if (v < 0x80) {
        c[this.used++] = v;
        return;
      }
      c[this.used++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
  }

  private grow(min: number): void {
    const size = Math.max(min, this.openNode.length * 2);
    const node = new Int32Array(size).fill(NO_RUN);
    node.set(this.openNode);
    this.openNode = node;
    for (const k of ['openStart', 'openCount', 'lastWritten'] as const) {
      const a = new Float64Array(size);
      a.set(this[k]);
      this[k] = a;
    }
  }
}
