// Names native instruction addresses: which module (/proc/PID/maps) and which function in it.
// Function symbols come from the module's .symtab and .dynsym and, when installed, its separate
// debug file (build-id under /usr/lib/debug/.build-id/, or .gnu_debuglink next to it, in its
// .debug/ or under /usr/lib/debug/): distribution builds strip .symtab, and the -dbgsym package
// brings it back. The vdso (`[vdso]`: clock_gettime, gettimeofday) has no file: its ELF image is
// copied once from the target's own mapping and its .dynsym names its functions. An address no
// symbol covers keeps its module and offset (`libfoo.so+0x1a2b`): it never vanishes from the
// stack. Tables are read once per module file and kept. `file:line` comes from DWARF line info
// (./dwarfLines.ts), read the first time an address of the module is named: a module without it
// costs one failed section lookup, once.
import * as fs from 'fs';
import * as path from 'path';
import { ElfFile, FunctionSymbol } from '../proc/elf';
import { Mapping, readMaps } from '../proc/maps';
import { demangleAll } from './demangle';
import { LineTable, SourceLine } from './dwarfLines';
import { VDSO, VdsoImage } from './vdso';

export interface NativeSymbol {
  /** Demangled function name, or `module+0xOFFSET` when no symbol covers the address. */
  name: string;
  /** Absolute path of the module (shared library or executable). */
  module: string;
  /** A CPython eval-loop frame: replaced by the Python frames it runs. */
  evalLoop: boolean;
  /** Part of the interpreter itself (libpython or the python executable). */
  interpreter: boolean;
  /** Source file and line of the address, when the module (or its debug file) has DWARF line info. */
  source?: SourceLine;
  /** Line of the function's first instruction when it is in the same source file (0 otherwise). */
  firstLine?: number;
}

/** CPython's bytecode loop: _PyEval_EvalFrameDefault (3.6+), PyEval_EvalFrameEx (2.7); GCC's split-off cold parts too. */
const EVAL_LOOP = /^(_PyEval_EvalFrameDefault|PyEval_EvalFrameEx)(\.cold(\.\d+)?)?$/;
const DEBUG_ROOT = '/usr/lib/debug';
/** Re-read /proc/PID/maps at most this often when an address falls outside every known module (dlopen). */
const MAPS_REFRESH_MS = 200;
/** The module of an address in no mapping read so far. */
const UNKNOWN_MODULE = '[unknown]';

interface ModuleTable {
  path: string;
  /** closed after loading: only its segments (in memory) are used */
  elf: ElfFile;
  symbols: FunctionSymbol[];
  interpreter: boolean;
  /** where DWARF line info may be: the module's file, then its debug file */
  lineFiles: string[];
  /** undefined until one of its addresses is named; null: none of lineFiles has .debug_line */
  lines?: LineTable | null;
}

export class Symbolizer {
  private mappings: Mapping[] = [];
  private readonly modules = new Map<string, ModuleTable | null>();
  private readonly byAddress = new Map<number, NativeSymbol>();
  private lastMaps = 0;

  /**
   * `interpreterModules`: paths of libpython / the python executable (their frames are the
   * interpreter's). `vdso`: the target's vdso image (./vdso.ts), which has no file to read.
   */
  constructor(private readonly pid: number, private readonly interpreterModules: ReadonlySet<string>, private readonly vdso: VdsoImage | undefined) {
    this.refreshMaps();
  }

  /** Names a batch of addresses (one thread's stack); `returnAddress[i]`: look up ip-1 (a call's return address). */
  resolve(ips: readonly number[]): NativeSymbol[] {
    const out: NativeSymbol[] = new Array(ips.length);
    let pending: Array<[number, NativeSymbol]> | undefined;
    for (let i = 0; i < ips.length; i++) {
      // every frame but the innermost holds a return address: the call is the byte before it
      const key = i === 0 ? ips[i] : ips[i] - 1;
      let s = this.byAddress.get(key);
      if (!s) {
        s = this.lookUp(key);
        // An address in no known mapping is not remembered: its library may have been loaded
        // (dlopen, or an import) after the maps were last read, and the next lookup after
        // MAPS_REFRESH_MS re-reads them. Remembered, it stayed [unknown] for the whole recording
        // (CI: numpy's and BLAS's frames, imported just after the recorder attached).
        if (s.module !== UNKNOWN_MODULE) this.byAddress.set(key, s);
        if (s.name.startsWith('_Z')) (pending ??= []).push([key, s]);
      }
      out[i] = s;
    }
    if (pending) {
      const names = demangleAll(pending.map(([, s]) => s.name));
      pending.forEach(([, s], i) => { s.name = names[i]; });
    }
    return out;
  }

  private refreshMaps(): void {
    this.lastMaps = Date.now();
    try {
      this.mappings = readMaps(this.pid).filter((m) => m.perms.includes('x'));
    } catch {
      /* the process is gone: lookups name raw addresses */
    }
  }

  private lookUp(addr: number): NativeSymbol {
    let m = this.mappingOf(addr);
    if (!m && Date.now() - this.lastMaps > MAPS_REFRESH_MS) {
      this.refreshMaps();
      m = this.mappingOf(addr);
    }
    const named = m && (m.path.startsWith('/') || m.path === VDSO);
    if (!m || !named) {
      const where = m?.path || UNKNOWN_MODULE;
      return { name: `0x${addr.toString(16)}`, module: where, evalLoop: false, interpreter: false };
    }
    const table = m.path === VDSO ? this.vdsoTable(m) : this.table(m.path);
    const fileOffset = addr - m.start + m.offset;
    const linkAddr = table?.elf.fileOffsetToAddress(fileOffset);
    const sym = table && linkAddr !== undefined ? findSymbol(table.symbols, linkAddr) : undefined;
    const interpreter = table?.interpreter ?? this.interpreterModules.has(m.path);
    const lines = table && linkAddr !== undefined ? this.lineTable(table) : undefined;
    const source = lines?.lookup(linkAddr!);
    if (!sym) return { name: `${path.basename(m.path)}+0x${(linkAddr ?? fileOffset).toString(16)}`, module: m.path, evalLoop: false, interpreter, source };
    const start = source && lines!.lookup(sym.addr);
    const firstLine = start && start.file === source.file ? start.line : 0;
    return { name: sym.name, module: m.path, evalLoop: interpreter && EVAL_LOOP.test(sym.name), interpreter, source, firstLine };
  }

  private lineTable(t: ModuleTable): LineTable | null {
    if (t.lines === undefined) t.lines = t.lineFiles.length > 0 ? LineTable.load(t.lineFiles) : null;
    return t.lines;
  }

  private mappingOf(addr: number): Mapping | undefined {
    const maps = this.mappings;
    let lo = 0, hi = maps.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (addr < maps[mid].start) hi = mid - 1;
      else if (addr >= maps[mid].end) lo = mid + 1;
      else return maps[mid];
    }
    return undefined;
  }

  /** The vdso's symbols, from its image copied from the target (its mapping is the whole ELF file). */
  private vdsoTable(m: Mapping): ModuleTable | null {
    let t = this.modules.get(VDSO);
    if (t !== undefined) return t;
    t = null;
    if (this.vdso && this.vdso.mapping.start === m.start) {
      try {
        t = { path: VDSO, symbols: this.vdso.elf.functionSymbols(), interpreter: false, elf: this.vdso.elf, lineFiles: [] };
      } catch {
        /* not a readable ELF image: its frames keep their offsets */
      }
    }
    this.modules.set(VDSO, t);
    return t;
  }

  private table(file: string): ModuleTable | null {
    let t = this.modules.get(file);
    if (t !== undefined) return t;
    t = loadModule(this.pid, file, this.interpreterModules.has(file));
    this.modules.set(file, t);
    return t;
  }
}

/** The symbol covering `addr` (binary search; a zero-size symbol covers up to the next one). */
export function findSymbol(symbols: readonly FunctionSymbol[], addr: number): FunctionSymbol | undefined {
  let lo = 0, hi = symbols.length - 1, best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (symbols[mid].addr <= addr) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (best < 0) return undefined;
  // several symbols can start at one address (aliases): the sort put the largest first
  while (best > 0 && symbols[best - 1].addr === symbols[best].addr) best--;
  const s = symbols[best];
  if (s.size > 0 && addr >= s.addr + s.size) return undefined;
  return s;
}

function loadModule(pid: number, file: string, interpreter: boolean): ModuleTable | null {
  let elf: ElfFile;
  const opened = fs.existsSync(file) ? file : `/proc/${pid}/root${file}`;
  try {
    elf = ElfFile.open(opened);
  } catch {
    return null;
  }
  try {
    const symbols = elf.functionSymbols();
    const debug = debugFileOf(elf, file);
    if (debug) {
      try {
        const d = ElfFile.open(debug);
        try { symbols.push(...d.functionSymbols()); } finally { d.close(); }
        symbols.sort((a, b) => a.addr - b.addr || b.size - a.size);
      } catch { /* unreadable debug file: the module's own tables serve */ }
    }
    return { path: file, symbols, interpreter, elf, lineFiles: debug ? [opened, debug] : [opened] };
  } catch {
    return null;
  } finally {
    elf.close();
  }
}

/** The separate debug file of a module, when one is installed: by build-id first, then .gnu_debuglink. */
export function debugFileOf(elf: ElfFile, file: string): string | undefined {
  const id = elf.buildId();
  if (id && id.length > 2) {
    const p = `${DEBUG_ROOT}/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
    if (fs.existsSync(p)) return p;
  }
  const link = elf.debugLink();
  if (link) {
    const dir = path.dirname(file);
    for (const p of [path.join(dir, link), path.join(dir, '.debug', link), path.join(DEBUG_ROOT, dir, link)]) {
      if (p !== file && fs.existsSync(p)) return p;
    }
  }
  return undefined;
}
