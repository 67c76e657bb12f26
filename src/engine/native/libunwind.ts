// libunwind's remote unwinder (Debian libunwind8: libunwind-ptrace.so.0 + libunwind-x86_64.so.8),
// bound through koffi. It reads a ptrace-stopped thread's registers (PTRACE_GETREGS) and memory
// (PTRACE_PEEKDATA), and follows each module's .eh_frame CFI: signal frames, frame-pointer-less
// code and CFI expressions are its job, not ours. The unw_* API is exported under its
// target-specific names (_Ux86_64_*); _UPT_accessors is a data symbol (a table of callbacks).
// Both are loaded RTLD_GLOBAL, core first: libunwind-ptrace has no DT_NEEDED on the core library
// (nor on the liblzma it uses) and expects their symbols to be there already.
// Loaded lazily: importing the engine never loads it, and a machine without it gets one clear error.
import type * as Koffi from 'koffi';
import { EngineError } from '../types';
import { loadLibc } from './libc';

/** UNW_X86_64_RIP (= UNW_REG_IP on x86-64) */
const REG_IP = 16;
/** UNW_CACHE_GLOBAL: one cache of unwind info per address space, shared by every thread */
const CACHE_GLOBAL = 1;
/** sizeof(unw_cursor_t) on x86-64 is 127 words; a little more costs nothing */
const CURSOR_BYTES = 128 * 8;

const LIBRARY_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu'];

export interface LibUnwind {
  createAddressSpace(): unknown;
  destroyAddressSpace(as: unknown): void;
  /** _UPT_create(tid): per-thread state for the ptrace accessors */
  createThreadInfo(tid: number): unknown;
  destroyThreadInfo(upt: unknown): void;
  /** Unwinds one ptrace-stopped thread: instruction pointers innermost first (at most `max`); <0 entries never. */
  unwind(as: unknown, upt: unknown, max: number, out: number[]): void;
}

let loaded: LibUnwind | undefined;
let loadError: string | undefined;

export function loadLibUnwind(): LibUnwind {
  if (loaded) return loaded;
  if (loadError) throw new EngineError('READ_FAILED', loadError);
  const koffi = loadLibc().koffi as typeof Koffi;
  let core: Koffi.LibraryHandle, ptrace: Koffi.LibraryHandle;
  try {
    core = openFirst(koffi, 'libunwind-x86_64.so.8');
    ptrace = openFirst(koffi, 'libunwind-ptrace.so.0');
  } catch (e) {
    loadError = `native frames need libunwind (Debian/Ubuntu: apt-get install libunwind8): ${(e as Error).message}`;
    throw new EngineError('READ_FAILED', loadError);
  }
  const accessors = ptrace.symbol('_UPT_accessors');
  const createAs = core.func('void *_Ux86_64_create_addr_space(void *accessors, int byteorder)');
  const destroyAs = core.func('void _Ux86_64_destroy_addr_space(void *as)');
  const setCaching = core.func('int _Ux86_64_set_caching_policy(void *as, int policy)');
  const initRemote = core.func('int _Ux86_64_init_remote(void *cursor, void *as, void *arg)');
  const step = core.func('int _Ux86_64_step(void *cursor)');
  const getReg = core.func('int _Ux86_64_get_reg(void *cursor, int reg, _Out_ uint64_t *value)');
  const uptCreate = ptrace.func('void *_UPT_create(int pid)');
  const uptDestroy = ptrace.func('void _UPT_destroy(void *upt)');
  const cursor = Buffer.alloc(CURSOR_BYTES);
  const reg = [0n];
  loaded = {
    createAddressSpace() {
      const as = createAs(accessors, 0);
      if (!as) throw new EngineError('READ_FAILED', 'libunwind could not create an address space');
      setCaching(as, CACHE_GLOBAL);
      return as;
    },
    destroyAddressSpace: (as) => destroyAs(as),
    createThreadInfo(tid) {
      const upt = uptCreate(tid);
      if (!upt) throw new EngineError('READ_FAILED', `libunwind could not set up thread ${tid}`);
      return upt;
    },
    destroyThreadInfo: (upt) => uptDestroy(upt),
    unwind(as, upt, max, out) {
      out.length = 0;
      if (initRemote(cursor, as, upt) < 0) return;
      do {
        if (getReg(cursor, REG_IP, reg) < 0) return;
        const ip = Number(reg[0]);
        if (ip === 0) return;
        out.push(ip);
      } while (out.length < max && step(cursor) > 0);
    },
  };
  return loaded;
}

function openFirst(koffi: typeof Koffi, name: string): Koffi.LibraryHandle {
  try {
    return koffi.load(name, { global: true });
  } catch (first) {
    for (const dir of LIBRARY_DIRS) {
      try {
        return koffi.load(`${dir}/${name}`, { global: true });
      } catch { /* next */ }
    }
    throw first;
  }
}
