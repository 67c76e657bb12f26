// Thread names. The kernel's per-thread comm is what we can read cheaply and safely: CPython 3.14
// sets it from threading.Thread.name, and many programs set it with prctl / pthread_setname_np.
// Before 3.14 comm is the program's name for every thread, so such names are not reported (a
// name repeated on every thread says nothing); the main thread (tid == pid) is "MainThread".
// Reading threading._active from the target would name every thread on every version, but needs
// per-version dict and managed-dict layouts; it is left for later.
import type { RemoteMemory } from '../native/memory';
import { readComm } from '../proc/procfs';
import type { Layout } from './layout';
import type { ObjectReader } from './objects';

export class ThreadNames {
  private processComm: string;
  private cache = new Map<number, string>();

  constructor(_mem: RemoteMemory, _layout: Layout, _objects: ObjectReader, _runtime: number, private readonly pid: number) {
    this.processComm = readComm(pid);
  }

  invalidate(): void {
    this.cache.clear();
  }

  name(tid: number): string {
    let n = this.cache.get(tid);
    if (n !== undefined) return n;
    const comm = readComm(this.pid, tid);
    n = tid === this.pid ? 'MainThread' : comm && comm !== this.processComm ? comm : '';
    this.cache.set(tid, n);
    return n;
  }
}
