// Containers keyed by target addresses for the sampler's hot path. Addresses above 2^31 are not
// small integers to V8: stored in a plain array, a Map or a Set each one is boxed (a heap number
// per insert, garbage on every sample), so these keep them in typed arrays instead.

/** A list of addresses that keeps its storage when cleared. */
export class AddressList {
  private items: Float64Array;
  length = 0;

  constructor(capacity = 64) {
    this.items = new Float64Array(capacity);
  }

  clear(): void {
    this.length = 0;
  }

  push(addr: number): void {
    if (this.length === this.items.length) {
      const bigger = new Float64Array(2 * this.items.length);
      bigger.set(this.items);
      this.items = bigger;
    }
    this.items[this.length++] = addr;
  }

  at(i: number): number {
    return this.items[i];
  }

  includes(addr: number): boolean {
    for (let i = 0; i < this.length; i++) if (this.items[i] === addr) return true;
    return false;
  }
}

/**
 * A set of addresses (open addressing, linear probing) that keeps its storage when cleared: a
 * generation number per slot marks the slots of the current use, so clear() costs nothing.
 */
export class AddressSet {
  private keys = new Float64Array(64);
  private marks = new Int32Array(64);
  private generation = 1;
  size = 0;

  clear(): void {
    this.size = 0;
    if (++this.generation === 0x7fffffff) {
      this.marks.fill(0);
      this.generation = 1;
    }
  }

  has(addr: number): boolean {
    const mask = this.keys.length - 1;
    for (let i = hash(addr) & mask; ; i = (i + 1) & mask) {
      if (this.marks[i] !== this.generation) return false;
      if (this.keys[i] === addr) return true;
    }
  }

  /** Adds `addr`; false when it was already there. */
  add(addr: number): boolean {
    if (2 * (this.size + 1) > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    for (let i = hash(addr) & mask; ; i = (i + 1) & mask) {
      if (this.marks[i] !== this.generation) {
        this.marks[i] = this.generation;
        this.keys[i] = addr;
        this.size++;
        return true;
      }
      if (this.keys[i] === addr) return false;
    }
  }

  private grow(): void {
    const keys = this.keys, marks = this.marks, generation = this.generation;
    this.keys = new Float64Array(2 * keys.length);
    this.marks = new Int32Array(2 * keys.length);
    this.generation = 1;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (marks[i] === generation) this.add(keys[i]);
  }
}

/**
 * A direct-mapped cache in front of a Map keyed by addresses: one slot per hash, a colliding key
 * replaces the slot's. Looking an address up in a Map boxes it (a heap number per lookup: per frame
 * per sample on the hot path); a hit here compares it in a typed array instead.
 */
export class AddressMemo<T> {
  /** Public for hot loops that look up inline (a call with an address argument boxes it): slot = slotOf(addr). */
  readonly keys: Float64Array;
  readonly values: Array<T | undefined>;
  readonly mask: number;

  constructor(slots = 1024) {
    this.keys = new Float64Array(slots); // 0: empty (never a valid address)
    this.values = new Array<T | undefined>(slots).fill(undefined);
    this.mask = slots - 1;
  }

  /** Objects are 8-byte aligned: the address in 8-byte units, its low bits (a bitwise op on the double, no call, no boxing). */
  slotOf(addr: number): number {
    return (addr / 8) & this.mask;
  }

  get(addr: number): T | undefined {
    const i = this.slotOf(addr);
    return this.keys[i] === addr ? this.values[i] : undefined;
  }

  set(addr: number, value: T): void {
    const i = this.slotOf(addr);
    this.keys[i] = addr;
    this.values[i] = value;
  }

  /** Forgets `addr` (when the map behind drops it). */
  drop(addr: number): void {
    const i = this.slotOf(addr);
    if (this.keys[i] === addr) {
      this.keys[i] = 0;
      this.values[i] = undefined;
    }
  }

  clear(): void {
    this.keys.fill(0);
    this.values.fill(undefined);
  }
}

/** Addresses are 8- or 16-byte aligned: mix the bits above the alignment. */
function hash(addr: number): number {
  const lo = (addr % 0x1_0000_0000) >>> 4, hi = Math.floor(addr / 0x1_0000_0000);
  return Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 0;
}

/**
 * A small table keyed by page address (a few dozen entries per thread): linear search in a typed
 * array, searched from the last hit. Maps keyed by addresses above 2^31 box every key (a heap
 * number per insert), and this runs for every page of every thread in every sample.
 */
export class PageTable {
  keys = new Float64Array(16);
  /** per entry: a view, and where the page starts in it (the second page of a straddled pair: PAGE) */
  readonly views: Buffer[] = [];
  starts = new Int32Array(16);
  /** per entry: a number (a range length, a walk number) for the tables that keep one */
  values = new Float64Array(16);
  n = 0;
  private last = 0;

  clear(): void {
    this.n = 0;
    this.last = 0;
  }

  find(key: number): number {
    const n = this.n, keys = this.keys;
    if (this.last < n && keys[this.last] === key) return this.last;
    for (let i = 0; i < n; i++) if (keys[i] === key) return (this.last = i);
    return -1;
  }

  /** Index of `key`, appended (view undefined, value 0) when absent. */
  slot(key: number): number {
    const i = this.find(key);
    if (i >= 0) return i;
    if (this.n === this.keys.length) this.grow();
    const k = this.n++;
    this.keys[k] = key;
    this.values[k] = 0;
    this.starts[k] = 0;
    if (k < this.views.length) this.views[k] = EMPTY;
    else this.views.push(EMPTY);
    return k;
  }

  /** Drops entry i (order of the others is kept). */
  remove(i: number): void {
    for (let j = i + 1; j < this.n; j++) {
      this.keys[j - 1] = this.keys[j];
      this.values[j - 1] = this.values[j];
      this.starts[j - 1] = this.starts[j];
      this.views[j - 1] = this.views[j];
    }
    this.n--;
    this.last = 0;
  }

  private grow(): void {
    const k = new Float64Array(2 * this.keys.length), v = new Float64Array(2 * this.keys.length), st = new Int32Array(2 * this.keys.length);
    k.set(this.keys);
    v.set(this.values);
    st.set(this.starts);
    this.keys = k;
    this.values = v;
    this.starts = st;
  }
}
export const EMPTY = Buffer.alloc(0);
