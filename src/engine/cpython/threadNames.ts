// Thread names as the program knows them: threading._active maps each thread's ident to its
// Thread object, whose `_name` (2.7: the mangled `_Thread__name`) we read from outside. That needs
// three object layouts that changed across versions: dicts (2.7 an open-addressed table of
// (hash, key, value); 3.6-3.10 keys with sized indices; 3.11+ log2-sized, unicode or general
// entries), and instance attributes (≤3.10 a __dict__ at tp_dictoffset; 3.11 values at obj-32 or
// a dict at obj-24; 3.12 a tagged dict-or-values at obj-24; 3.13 inline values after the header).
// Offsets come from the same generated table (tools/offsets) and the debug offsets.
//
// Names are looked up when an unknown thread ident appears (or a known one on another tid: a reused
// ident) and otherwise refreshed every NAME_REFRESH_MS, so a rename shows within that. A refresh
// reads the whole threading._active (about 9 reads and 60 µs per thread: 13-16 ms with 200
// threads, measured), so doing it every second cost 1.5 % of a core on its own; the walker caches
// each thread's name until `epoch` changes. Anything unreadable falls back to the kernel's comm
// for that thread (which CPython 3.14 sets from Thread.name) and MainThread for tid == pid.
import type { RemoteMemory } from '../native/memory';
import { readComm } from '../proc/procfs';
import type { Layout } from './layout';
import type { ObjectReader } from './objects';
import { ObjectAttributes } from './objectAttributes';

const RETRY_AFTER_MS = 200;
/** Longest a rename (Thread.name = ...) of an existing thread stays unseen. */
export const NAME_REFRESH_MS = 5000;

export class ThreadNames {
  private processComm: string;
  private byIdent = new Map<number, string>();
  private commByTid = new Map<number, string>();
  private activeDict = 0;
  private lastRefresh = 0;
  /** when names were last refreshed as a whole (renames), and whether one is due */
  private lastFull = Date.now();
  private due = false;
  /** the tid each ident was last asked with: another tid means the ident was reused */
  private tidOf = new Map<number, number>();
  /** Bumped whenever a name given out may have changed: callers that cache names ask again. */
  epoch = 0;
  /**
   * A new thread is in the thread list a moment before threading._active: its first lookup may
   * miss. Until this time, revalidate() makes callers ask again (each missing ident extends it once).
   */
  private retryUntil = 0;
  private readonly missed = new Set<number>();
  /** Refreshes of threading._active so far (benchmarks, tests). */
  refreshes = 0;
  private readonly attrs?: ObjectAttributes;

  constructor(private readonly mem: RemoteMemory, private readonly L: Layout, private readonly objects: ObjectReader, private readonly runtime: number, private readonly pid: number) {
    this.processComm = readComm(pid);
    this.attrs = ObjectAttributes.create(mem, L, objects);
  }

  /**
   * Called about once a second: every NAME_REFRESH_MS names are read again (Thread.name = ... may
   * have renamed one; the kernel's comm too), on the next name() asked for.
   */
  revalidate(now: number): void {
    if (now < this.retryUntil) this.epoch++;
    if (now - this.lastFull < NAME_REFRESH_MS) return;
    this.lastFull = now;
    this.due = true;
    this.commByTid.clear();
    this.epoch++;
  }

  name(threadId: number, tid: number): string {
    let n = this.byIdent.get(threadId);
    const reused = this.tidOf.get(threadId) !== tid;
    if (reused) this.tidOf.set(threadId, tid);
    if ((n === undefined || reused || this.due) && this.attrs && Date.now() - this.lastRefresh > RETRY_AFTER_MS) {
      this.refresh();
      n = this.byIdent.get(threadId);
    }
    if (n) return n;
    if (this.attrs && !this.missed.has(threadId) && this.missed.size < 4096) {
      this.missed.add(threadId);
      this.retryUntil = Date.now() + 3 * 1000;
    }
    return this.kernelName(tid);
  }

  private kernelName(tid: number): string {
    let n = this.commByTid.get(tid);
    if (n === undefined) {
      const comm = readComm(this.pid, tid);
      n = tid === this.pid ? 'MainThread' : comm && comm !== this.processComm ? comm : '';
      this.commByTid.set(tid, n);
    }
    return n;
  }

  private refresh(): void {
    this.lastRefresh = Date.now();
    this.refreshes++;
    this.due = false;
    this.epoch++;
    try {
      if (!this.activeDict) this.activeDict = this.findActiveDict();
      const byIdent = new Map<number, string>(); // idents of ended threads drop out
      for (const [key, thread] of this.attrs!.items(this.activeDict)) {
        const ident = this.intValue(key);
        const name = this.attrs!.attr(thread, this.L.py2 ? '_Thread__name' : '_name');
        if (ident > 0 && name) byIdent.set(ident, this.objects.string(name, false));
      }
      this.byIdent = byIdent;
      if (this.tidOf.size > 2 * byIdent.size + 64) this.tidOf = new Map([...this.tidOf].filter(([ident]) => byIdent.has(ident)));
    } catch {
      this.activeDict = 0; // not imported yet, or torn: try again later
    }
  }

  /** sys.modules['threading'].__dict__['_active'] */
  private findActiveDict(): number {
    const interp = this.mem.u64(this.runtime + this.L.runtime.interpretersHead);
    const modules = this.mem.u64(interp + this.L.interp.modules);
    const threading = this.attrs!.get(modules, 'threading');
    if (!threading) throw new Error('threading not imported');
    const dict = this.mem.u64(threading + this.L.moduleDict);
    const active = this.attrs!.get(dict, '_active');
    if (!active) throw new Error('no threading._active');
    return active;
  }

  /** A small non-negative int (thread idents are < 2^63): CPython 3's 30-bit digits. */
  private intValue(addr: number): number {
    if (this.L.py2) return Number(this.mem.read(addr + this.L.py2.intValue, 8).readBigInt64LE(0)); // 2.7 int: a C long
    const b = this.mem.read(addr, 40);
    // ≤3.11: ob_size = signed digit count; 3.12+: lv_tag = digits << 3 | sign bits
    const size = this.L.minor >= 12 ? Number(b.readBigUInt64LE(16) >> 3n) : Number(b.readBigInt64LE(16));
    if (size < 0 || size > 3) return -1;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 2 ** 30 + b.readUInt32LE(24 + 4 * i);
    return v;
  }
}
