// Reads another process's memory with process_vm_readv: no ptrace stop, no writes, ever.
// One stable native scratch buffer receives every read; callers get a Buffer view of it that is
// valid until the next read (copy what you keep). Addresses are plain JS numbers: user-space
// addresses on x86-64 are < 2^47, exactly representable, and this keeps BigInt off the hot path.
// A second native region, the arena, receives bulk reads that must stay valid together for one
// snapshot (whole stack chunks, prefetched pages of heap frames): views into it cost no copy and
// no garbage, and it is rewound at the start of every snapshot.
import { EngineError } from '../types';
import { ERRNO, loadLibc, Libc } from './libc';
import { permissionDenied } from '../proc/permission';

const SCRATCH_BYTES = 4 << 20;
const ARENA_BYTES = 8 << 20;
/** UIO_MAXIOV: one syscall reads every thread's state and guessed frames of a 200-thread process */
const MAX_IOV = 1024;
/** Arena views kept for reuse from one snapshot to the next (a 200-thread snapshot uses ~1000). */
const MAX_POOLED_VIEWS = 8192;

export class RemoteMemory {
  private readonly libc: Libc;
  private readonly scratch: Buffer;
  private readonly scratchAddr: number;
  private readonly localIov = Buffer.alloc(16 * MAX_IOV);
  private readonly remoteIov = Buffer.alloc(16 * MAX_IOV);
  /** The iovec arrays as 32-bit words, written by writeIov without boxing 48-bit addresses. */
  private readonly localWords = words(this.localIov);
  private readonly remoteWords = words(this.remoteIov);
  private arena: Buffer | undefined;
  private arenaAddr = 0;
  private arenaUsed = 0;
  /**
   * Views handed out since resetArena(), in order. A snapshot reads the same ranges in the same
   * order as the last one in steady state, so the k-th view usually has the same offset and
   * length as last time and is handed out again instead of a new one (no garbage per range).
   */
  private readonly arenaViews: Buffer[] = [];
  private arenaViewCount = 0;
  /** process_vm_readv calls made (for benchmarks and tests). */
  calls = 0;
  /** bytes those calls asked for (benchmarks) */
  bytes = 0;

  constructor(readonly pid: number) {
    this.libc = loadLibc();
    const k = this.libc.koffi;
    const mem = k.alloc('uint8_t', SCRATCH_BYTES);
    this.scratchAddr = Number(k.address(mem));
    this.scratch = Buffer.from(k.view(mem, SCRATCH_BYTES) as ArrayBuffer);
    (this as { keepAlive?: unknown }).keepAlive = mem; // the native block lives as long as we do
  }

  /** Reads `len` bytes at `addr`; the returned view is overwritten by the next read. */
  read(addr: number, len: number): Buffer {
    if (len > SCRATCH_BYTES) throw new EngineError('READ_FAILED', `read of ${len} bytes exceeds the ${SCRATCH_BYTES}-byte limit`);
    if (len <= 0) return this.scratch.subarray(0, 0);
    writeIov(this.localWords, 0, this.scratchAddr, len);
    writeIov(this.remoteWords, 0, addr, len);
    this.calls++;
    this.bytes += len;
    const n = this.libc.process_vm_readv(this.pid, this.localIov, 1, this.remoteIov, 1, 0);
    if (n !== len) this.fail(n, addr, len);
    return this.scratch.subarray(0, len);
  }

  /** Reads and copies (for data that must survive later reads). */
  copy(addr: number, len: number): Buffer {
    return Buffer.from(this.read(addr, len));
  }

  /** Several ranges, MAX_IOV per syscall; returns views into the scratch buffer, in order. */
  readMany(ranges: ReadonlyArray<readonly [number, number]>): Buffer[] {
    const out: Buffer[] = [];
    let base = 0; // batches fill the scratch buffer one after another, so every view stays valid
    for (let i = 0; i < ranges.length; i += MAX_IOV) {
      const batch = ranges.slice(i, i + MAX_IOV);
      let off = base;
      batch.forEach(([addr, len], j) => {
        writeIov(this.localWords, j, this.scratchAddr + off, len);
        writeIov(this.remoteWords, j, addr, len);
        off += len;
      });
      if (off > SCRATCH_BYTES) throw new EngineError('READ_FAILED', 'batched read exceeds the scratch buffer');
      this.calls++;
      this.bytes += off - base;
      const n = this.libc.process_vm_readv(this.pid, this.localIov, batch.length, this.remoteIov, batch.length, 0);
      if (n !== off - base) this.fail(n, batch[0][0], off - base);
      for (const [, len] of batch) { out.push(this.scratch.subarray(base, base + len)); base += len; }
    }
    return out;
  }

  /** Forgets every arena view: call at the start of a snapshot, never while views are in use. */
  resetArena(): void {
    this.arenaUsed = 0;
    this.arenaViewCount = 0;
  }

  /** The arena's bytes [off, off + len): last snapshot's view at this position when it matches. */
  private arenaView(arena: Buffer, off: number, len: number): Buffer {
    const k = this.arenaViewCount++;
    const old = this.arenaViews[k];
    if (old !== undefined && old.byteOffset === arena.byteOffset + off && old.length === len) return old;
    const view = arena.subarray(off, off + len);
    if (k < this.arenaViews.length) this.arenaViews[k] = view;
    else if (k < MAX_POOLED_VIEWS) this.arenaViews.push(view);
    return view;
  }

  /**
   * Reads `len` bytes into the arena; the view stays valid until resetArena(). Falls back to a
   * JS copy when the arena is full (a huge process), so callers never need to care.
   */
  readArena(addr: number, len: number): Buffer {
    const one = this.oneRange;
    one[0] = addr;
    one[1] = len;
    const views = this.readArenaPairs(one, 1, true, this.oneView);
    const view = views[0];
    views.length = 0;
    return view;
  }
  private readonly oneRange = new Float64Array(2);
  private readonly oneView: Buffer[] = [];

  /**
   * Several ranges into the arena, MAX_IOV per syscall. With `all` every range must be read (else it
   * throws like read()); without it, reading stops quietly at the first unreadable range and the
   * views of the ranges read before it are returned (process_vm_readv transfers whole iovecs in
   * order, so a short count tells exactly which ranges arrived): made for speculative prefetches.
   */
  readArenaMany(ranges: ReadonlyArray<readonly [number, number]>, all = false): Buffer[] {
    const pairs = new Float64Array(2 * ranges.length);
    ranges.forEach(([addr, len], i) => { pairs[2 * i] = addr; pairs[2 * i + 1] = len; });
    return this.readArenaPairs(pairs, ranges.length, all, []);
  }

  /**
   * readArenaMany for the hot path: `count` ranges as flat [address, length] pairs (a typed array:
   * addresses above 2^31 stored in a plain array are boxed, one heap number each), the views put
   * into `out` (cleared first: a caller's reused array).
   */
  readArenaPairs(pairs: Float64Array, count: number, all: boolean, out: Buffer[]): Buffer[] {
    const arena = this.ensureArena();
    out.length = 0;
    for (let i = 0; i < count; i += MAX_IOV) {
      const n1 = Math.min(MAX_IOV, count - i);
      let total = 0;
      for (let j = 0; j < n1; j++) total += pairs[2 * (i + j) + 1];
      if (this.arenaUsed + total > ARENA_BYTES) {
        // arena full: plain copies (rare; only for enormous stacks or thousands of threads)
        for (let j = 0; j < n1; j++) {
          try {
            out.push(this.copy(pairs[2 * (i + j)], pairs[2 * (i + j) + 1]));
          } catch (e) {
            if (all || !(e instanceof EngineError) || e.code !== 'READ_FAILED') throw e;
            return out;
          }
        }
        continue;
      }
      const base = this.arenaUsed;
      let off = base;
      for (let j = 0; j < n1; j++) {
        const len = pairs[2 * (i + j) + 1];
        writeIov(this.localWords, j, this.arenaAddr + off, len);
        writeIov(this.remoteWords, j, pairs[2 * (i + j)], len);
        off += len;
      }
      this.calls++;
      this.bytes += total;
      const n = this.libc.process_vm_readv(this.pid, this.localIov, n1, this.remoteIov, n1, 0);
      if (n !== total) {
        if (all || n < 0) {
          if (!all && this.libc.errno() === ERRNO.EFAULT) return out;
          this.fail(n, pairs[2 * i], total);
        }
      }
      let got = n === total ? total : n;
      off = base;
      for (let j = 0; j < n1; j++) {
        const len = pairs[2 * (i + j) + 1];
        if (got < len) {
          this.arenaUsed = off;
          return out;
        }
        out.push(this.arenaView(arena, off, len));
        off += len;
        got -= len;
      }
      this.arenaUsed = off;
    }
    return out;
  }

  private ensureArena(): Buffer {
    if (this.arena) return this.arena;
    const k = this.libc.koffi;
    const mem = k.alloc('uint8_t', ARENA_BYTES);
    this.arenaAddr = Number(k.address(mem));
    this.arena = Buffer.from(k.view(mem, ARENA_BYTES) as ArrayBuffer);
    (this as { keepArena?: unknown }).keepArena = mem;
    return this.arena;
  }

  u64(addr: number): number {
    return readPtr(this.read(addr, 8), 0);
  }

  private fail(n: number, addr: number, len: number): never {
    // a read of memory the program freed meanwhile (a torn stack's stale pointer) is caught and
    // retried on the hot path: no stack trace (EngineError.expected)
    if (n >= 0) throw EngineError.expected('READ_FAILED', `short read at 0x${addr.toString(16)}: ${n} of ${len} bytes`);
    const e = this.libc.errno();
    if (e === ERRNO.EPERM) throw permissionDenied(this.pid, 'process_vm_readv', 'EPERM');
    if (e === ERRNO.ESRCH) throw new EngineError('PROCESS_EXITED', `process ${this.pid} has exited`);
    throw EngineError.expected('READ_FAILED', `cannot read ${len} bytes at 0x${addr.toString(16)} in process ${this.pid} (errno ${e})`);
  }
}

/** A buffer's bytes as native-endian 32-bit words (the iovec arrays are handed to the kernel as they are). */
function words(buf: Buffer): Uint32Array {
  return new Uint32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
}

/**
 * Entry i of an iovec array: { void *base; size_t len } as two 64-bit words, each written as its
 * low and high 32 bits (little-endian hosts: x86-64, arm64). Small enough to be inlined into the
 * read loops, so an address above 2^31 never becomes a heap number (Buffer.writeUIntLE boxed
 * two per range: ~30 KB of garbage per 200-thread snapshot).
 */
function writeIov(iov: Uint32Array, i: number, base: number, len: number): void {
  const k = 4 * i;
  iov[k] = base >>> 0;
  iov[k + 1] = (base / 4294967296) >>> 0;
  iov[k + 2] = len >>> 0;
  iov[k + 3] = (len / 4294967296) >>> 0;
}

/**
 * readPtr without the range check, for the per-frame loops whose buffer is known to hold the 8
 * bytes (the frame was found inside it). Small enough for V8 to inline where readPtr is not (its
 * throw makes it bigger): a pointer read through a call comes back as a heap number, three per
 * frame on 3.11+ (8 → 5 KB of garbage per 200-deep snapshot on 3.12).
 */
export function ptrIn(b: Buffer, p: number): number {
  return b[p + 6] | b[p + 7] ? -1 : (b[p + 3] | (b[p + 4] << 8) | (b[p + 5] << 16)) * 16777216 + (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16));
}

/** A pointer as a JS number. Values above 2^48 are not user-space pointers: they return -1. */
export function readPtr(buf: Buffer, off: number): number {
  // byte-wise: about twice as fast as two readUInt32LE calls, and this runs ~1000 times a sample
  if (off < 0 || off + 8 > buf.length) throw new RangeError(`pointer at ${off} outside a ${buf.length}-byte buffer`);
  if (buf[off + 6] | buf[off + 7]) return -1;
  return (buf[off + 3] | (buf[off + 4] << 8) | (buf[off + 5] << 16)) * 0x100_0000 + (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16));
}
