// Keeps the sampling thread off the cores the program runs on, while another core is free.
//
// A real-time thread wakes on the core it last ran on, even when that core runs the program and
// another core is idle (the kernel looks for another core only when a real-time task already runs
// there), and every wake-up then puts the program's thread back in the queue for the sampler's
// whole tick. Measured (2 cores, CPython 3.12, a never-sleeping loop, 1 kHz): with the sampler on
// the loop's core the loop got 84 % of its core (it slowed down by 16 %), with the sampler on the
// other core 99.9 %, for the same sampler CPU. So when a sample finds that the sampler displaced a
// thread of the program (proc/onCore.ts counts those), the sampler leaves that core: its CPU
// affinity becomes the cores it was allowed at the start minus the one it runs on, and the kernel
// moves it to another. When every core is busy a move only displaces another thread, so a move
// that was followed by more displacements within its hold time doubles the hold (0.1 s up to 10 s)
// before the next one: at most one migration every 10 s on a saturated machine. The original
// affinity is restored when sampling ends.
import { loadLibc, Libc } from './libc';

/** Bytes of the CPU mask: 1024 CPUs, glibc's cpu_set_t. */
const MASK_BYTES = 128;
const MIN_HOLD_MS = 100;
const MAX_HOLD_MS = 10_000;

export class CoreSteering {
  private readonly original = Buffer.alloc(MASK_BYTES);
  private readonly mask = Buffer.alloc(MASK_BYTES);
  private hold = MIN_HOLD_MS;
  private holdUntil = -Infinity;
  private displacedDuringHold = false;
  private seen = 0;
  private moved = false;
  /** moves made (benchmarks and tests) */
  moves = 0;

  private constructor(private readonly libc: Libc, private readonly displacements: () => number) {
    this.seen = displacements();
  }

  /**
   * Steering for the calling thread, or undefined where it cannot help: no libc binding, fewer than
   * two cores allowed, or the affinity is not readable.
   */
  static start(displacements: () => number): CoreSteering | undefined {
    let libc: Libc;
    try {
      libc = loadLibc();
    } catch {
      return undefined;
    }
    const s = new CoreSteering(libc, displacements);
    if (libc.sched_getaffinity(0, s.original) !== 0 || countBits(s.original) < 2) return undefined;
    return s;
  }

  /** After a tick (now: performance.now()): leaves the current core if the tick displaced a thread. */
  afterTick(now: number): void {
    const count = this.displacements();
    if (count === this.seen) return;
    this.seen = count;
    if (now < this.holdUntil) {
      this.displacedDuringHold = true;
      return;
    }
    const cpu = this.libc.sched_getcpu();
    if (cpu < 0 || cpu >= MASK_BYTES * 8) return;
    this.original.copy(this.mask);
    this.mask[cpu >> 3] &= ~(1 << (cpu & 7));
    if (countBits(this.mask) === 0) return;
    this.hold = this.displacedDuringHold ? Math.min(this.hold * 2, MAX_HOLD_MS) : MIN_HOLD_MS;
    this.displacedDuringHold = false;
    this.holdUntil = now + this.hold;
    if (this.libc.sched_setaffinity(0, this.mask) === 0) {
      this.moved = true;
      this.moves++;
    }
  }

  /** Gives the thread its original affinity back; safe to call more than once. */
  restore(): void {
    if (!this.moved) return;
    this.libc.sched_setaffinity(0, this.original);
    this.moved = false;
  }
}

function countBits(mask: Buffer): number {
  let n = 0;
  for (const byte of mask) for (let b = byte; b; b &= b - 1) n++;
  return n;
}
