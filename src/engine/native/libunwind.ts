// libunwind's remote unwinder (Debian libunwind8: libunwind-ptrace.so.0 + libunwind-x86_64.so.8),
// bound through koffi. It reads a ptrace-stopped thread's registers (PTRACE_GETREGS) and memory
// (PTRACE_PEEKDATA), and follows each module's .eh_frame CFI: signal frames, frame-pointer-less
// code and CFI expressions are its job, not ours. The unw_* API is exported under its
// target-specific names (_Ux86_64_*); _UPT_accessors is a data symbol (a table of callbacks).
// Both are loaded RTLD_GLOBAL, core first: libunwind-ptrace has no DT_NEEDED on the core library
// (nor on the liblzma it uses) and expects their symbols to be there already.
// Loaded lazily: importing the engine never loads it, and a machine without it gets one clear error.
// The vdso has no file, so libunwind 1.6's ptrace accessors find no unwind info for it and guess a
// frame layout that derails the rest of the stack; our find_proc_info (a koffi callback, in a copy
// of _UPT_accessors) answers for the vdso from its .eh_frame_hdr table, which is in the target's
// memory like the rest of it, and hands every other address to _UPT_find_proc_info.
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

/** sizeof(unw_accessors_t) in libunwind 1.6 (8 callbacks); the first is find_proc_info */
const ACCESSORS_BYTES = 8 * 8;
/** UNW_INFO_FORMAT_REMOTE_TABLE: a binary-search table read through access_mem */
const FORMAT_REMOTE_TABLE = 2;
/**
 * sizeof(unw_dyn_info_t) on x86-64 in libunwind 1.6 (Debian bookworm's libunwind8): next, prev,
 * start_ip, end_ip, gp, format + pad, load_offset, then the union (the largest member is 6 words)
 */
const DYN_INFO_BYTES = 56 + 6 * 8;

/** Where the vdso's unwind table lies in the target (from its .eh_frame_hdr: ../nativeframes/vdsoUnwind.ts). */
export interface VdsoUnwindTable {
  start: number;
  end: number;
  /** address of .eh_frame_hdr (the table's entries are relative to it) */
  segbase: number;
  /** address of the first of `entries` (initial location, FDE address) pairs, 8 bytes each */
  table: number;
  entries: number;
}

export interface LibUnwind {
  /** An address space for one process; `vdso`: its vdso's unwind table, when it has one. */
  createAddressSpace(vdso?: VdsoUnwindTable): unknown;
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
  const uptAccessors = ptrace.symbol('_UPT_accessors') as unknown;
  /** a pointer's address, whichever form koffi hands it over in */
  const addressOf = (p: unknown): bigint => (typeof p === 'bigint' ? p : koffi.address(p));
  const uptFindProcInfo = ptrace.func('int _UPT_find_proc_info(void *as, uint64_t ip, void *pi, int need_unwind_info, void *arg)');
  const searchTable = core.func('int _Ux86_64_dwarf_search_unwind_table(void *as, uint64_t ip, void *di, void *pi, int need_unwind_info, void *arg)');
  // per address space (by its address): the vdso's table as a unw_dyn_info_t
  const vdsoInfo = new Map<bigint, { start: number; end: number; di: Buffer }>();
  const FindProcInfo = koffi.proto('int pyprof_find_proc_info(void *as, uint64_t ip, void *pi, int need_unwind_info, void *arg)');
  const findProcInfo = koffi.register((as: unknown, ip: number | bigint, pi: unknown, need: number, arg: unknown): number => {
    const v = vdsoInfo.get(addressOf(as));
    const at = Number(ip);
    if (v && at >= v.start && at < v.end) {
      const r = searchTable(as, ip, v.di, pi, need, arg) as number;
      if (r >= 0) return 0; // found (0, or 1 in some versions)
      // not in the table (or a libunwind whose unw_dyn_info_t differs): libunwind's own guess, as before
    }
    return uptFindProcInfo(as, ip, pi, need, arg) as number;
  }, koffi.pointer(FindProcInfo));
  const accessors = Buffer.alloc(ACCESSORS_BYTES);
  (koffi.decode(uptAccessors, koffi.array('uint64_t', ACCESSORS_BYTES / 8)) as Array<number | bigint>)
    .forEach((fn, i) => accessors.writeBigUInt64LE(BigInt(fn), i * 8));
  accessors.writeBigUInt64LE(addressOf(findProcInfo), 0);
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
    createAddressSpace(vdso) {
      const as = createAs(accessors, 0); // libunwind copies the table
      if (!as) throw new EngineError('READ_FAILED', 'libunwind could not create an address space');
      setCaching(as, CACHE_GLOBAL);
      if (vdso) vdsoInfo.set(addressOf(as), { start: vdso.start, end: vdso.end, di: dynInfo(vdso) });
      return as;
    },
    destroyAddressSpace: (as) => {
      vdsoInfo.delete(addressOf(as));
      destroyAs(as);
    },
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

/** unw_dyn_info_t for a remote binary-search table (the layout _UPT_find_proc_info builds for a file). */
function dynInfo(t: VdsoUnwindTable): Buffer {
  const di = Buffer.alloc(DYN_INFO_BYTES);
  di.writeBigUInt64LE(BigInt(t.start), 16);
  di.writeBigUInt64LE(BigInt(t.end), 24);
  di.writeInt32LE(FORMAT_REMOTE_TABLE, 40);
  // load_offset (48, 0: the table's addresses are absolute), then u.rti: name_ptr, segbase, table_len (in words), table_data
  di.writeBigUInt64LE(BigInt(t.segbase), 64);
  di.writeBigUInt64LE(BigInt(t.entries), 72); // 8-byte entries, 8-byte words
  di.writeBigUInt64LE(BigInt(t.table), 80);
  return di;
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
