// Finds the interpreter inside a process: which mapped file holds _PyRuntime (libpython for
// --enable-shared builds, else the executable), where it is at run time, and which version it is.
import * as fs from 'fs';
import * as path from 'path';
import { RemoteMemory } from './native/memory';
import { ElfFile } from './proc/elf';
import { LIBPYTHON, executableOf, versionFromPath } from './proc/executable';
import { Mapping, readMaps } from './proc/maps';
import { readComm } from './proc/procfs';
import { DEBUG_COOKIE, DEBUG_OFFSETS_SIZE, isSupported, Layout, layoutFromDebugOffsets, layoutFromTable, SUPPORTED_RANGE, unverifiedLayoutReason } from './cpython/layout';
import { EngineError } from './types';

export interface Located {
  runtime: number;
  layout: Layout;
  version: string;
  versionTuple: [number, number];
  module: string;
  /** Lowest address `module` is mapped at: an exec gives the process a new address space (exec detection). */
  moduleBase: number;
  executable: string;
  codeType: number;
  frameType: number;
  /** 2.7: the byte-string and unicode types (names are either) */
  py2Types?: { str: number; unicode: number };
}

/** How the runtime was found; tests switch strategies off to prove the fallbacks work. */
export interface LocateOptions {
  /** use ELF symbols (_PyRuntime, Py_Version, version.0); default true */
  symbols?: boolean;
  /** use the .PyRuntime section; default true */
  sections?: boolean;
}

/** Full "3.9.18" from a path such as /root/.pyenv/versions/3.9.18/..., else "3.9". */
function fullVersion(p: string, major: number, minor: number): string {
  const m = new RegExp(`\\b${major}\\.${minor}\\.(\\d+)\\b`).exec(p);
  return m ? `${major}.${minor}.${m[1]}` : `${major}.${minor}`;
}

/** Where `module` is mapped now (its lowest address), or undefined when it is not mapped. */
export function moduleBaseNow(pid: number, module: string): number | undefined {
  let base: number | undefined;
  for (const m of readMaps(pid)) {
    if (m.path.replace(/ \(deleted\)$/, '') === module && (base === undefined || m.start < base)) base = m.start;
  }
  return base;
}

export function locate(pid: number, mem: RemoteMemory, opts: LocateOptions = {}): Located {
  if (!Number.isInteger(pid) || pid <= 0) throw new EngineError('NO_SUCH_PROCESS', `'${pid}' is not a valid process id`);
  if (!fs.existsSync(`/proc/${pid}`)) throw new EngineError('NO_SUCH_PROCESS', `no process with pid ${pid}`);
  const executable = executableOf(pid);
  const maps = readMaps(pid);
  const byPath = new Map<string, Mapping[]>();
  for (const m of maps) {
    if (!m.path.startsWith('/')) continue;
    const p = m.path.replace(/ \(deleted\)$/, '');
    if (!byPath.has(p)) byPath.set(p, []);
    byPath.get(p)!.push(m);
  }
  // libpython first: in --enable-shared builds the executable has no _PyRuntime at all.
  const candidates = [...byPath.keys()].filter((p) => LIBPYTHON.test(p));
  if (byPath.has(executable)) candidates.push(executable);
  const named = candidates.map(versionFromPath).find((v) => v !== undefined) ?? versionFromPath(executable);
  if (named && !isSupported(named[0], named[1])) throw unsupported(pid, `${named[0]}.${named[1]}`);
  let lastError: unknown;
  for (const file of candidates) {
    let elf: ElfFile;
    try {
      elf = ElfFile.open(file === executable ? `/proc/${pid}/exe` : `/proc/${pid}/root${file}`);
    } catch (e) {
      lastError = e;
      continue;
    }
    try {
      const found = locateIn(pid, mem, elf, byPath.get(file)!, file, named, opts);
      if (found) return { ...found, executable };
    } catch (e) {
      if (e instanceof EngineError && (e.code === 'UNSUPPORTED_VERSION' || e.code === 'PERMISSION_DENIED' || e.code === 'PROCESS_EXITED')) throw e;
      lastError = e;
    } finally {
      elf.close();
    }
  }
  if (candidates.length === 0 || (!named && lastError === undefined)) {
    const comm = readComm(pid);
    throw new EngineError('NOT_PYTHON', `pid ${pid} (${comm || path.basename(executable)}) is not a Python process: no libpython or python executable is mapped`);
  }
  if (lastError instanceof EngineError) throw lastError;
  throw new EngineError('INTERPRETER_NOT_FOUND', `pid ${pid}: found ${candidates.join(', ')} but no _PyRuntime in it${lastError ? ` (${(lastError as Error).message})` : ''}`);
}

function locateIn(pid: number, mem: RemoteMemory, elf: ElfFile, mappings: Mapping[], file: string, named: [number, number] | undefined, opts: LocateOptions): Omit<Located, 'executable'> | undefined {
  const bias = elf.loadBias(mappings);
  const symbol = (name: string) => (opts.symbols === false ? undefined : elf.symbol(name));
  let runtimeAt = symbol('_PyRuntime') ?? (opts.sections === false ? undefined : elf.section('.PyRuntime')?.addr);
  let runtime = runtimeAt !== undefined ? bias + runtimeAt : undefined;
  let major = named?.[0], minor = named?.[1];
  // 2.7 and 3.6 have no _PyRuntime: the interpreter list is the static interp_head (in .symtab
  // when not stripped), the GIL holder the exported _PyThreadState_Current.
  const legacy = runtime === undefined && (major === undefined || major === 2 || (major === 3 && minor! <= 6));
  const tstateCurrentAt = legacy ? symbol('_PyThreadState_Current') : undefined;
  let version: string | undefined;
  const pyVersion = symbol('Py_Version');
  if (pyVersion) {
    // 3.11+: PY_VERSION_HEX in the target, e.g. 0x030C01F0 = 3.12.1 final
    [major, minor, version] = decodeHexVersion(mem.read(bias + pyVersion, 4).readUInt32LE(0));
  }
  if (runtime === undefined && (major === undefined || (major === 3 && minor! >= 13))) {
    // 3.13+ without symbols or section: _PyRuntime starts with the _Py_DebugOffsets cookie
    const found = scanForDebugOffsets(mem, mappings);
    if (found) {
      runtime = found.address;
      [major, minor, version] = decodeHexVersion(found.hex);
    }
  }
  if (major !== undefined && minor !== undefined && !isSupported(major, minor)) throw unsupported(pid, version ?? `${major}.${minor}`);
  if (runtime === undefined && !legacy) return undefined;
  if (version === undefined) {
    // ≤3.10: no Py_Version. The running interpreter's own version string gives the micro version,
    // and the minor when the file name does not (a renamed or embedded interpreter).
    const fromString = versionFromString(mem, elf, bias, opts);
    if (fromString && (major === undefined || (fromString[0] === major && fromString[1] === minor))) {
      [major, minor] = fromString;
      version = fromString.join('.');
    }
  }
  if (major === undefined || minor === undefined) return undefined;
  if (!isSupported(major, minor)) throw unsupported(pid, version ?? `${major}.${minor}`);
  const layout = major === 3 && minor >= 13 ? layoutFromDebugOffsets(mem.copy(runtime!, DEBUG_OFFSETS_SIZE[minor] ?? DEBUG_OFFSETS_SIZE[14])) : layoutFromTable(major, minor);
  const unverified = unverifiedLayoutReason(layout);
  if (unverified) throw new EngineError('UNSUPPORTED_VERSION', `pid ${pid}: ${unverified}`);
  if (layout.runtime.fromSymbols) {
    runtime = symbolRuntime(mem, elf, bias, layout, symbol('interp_head'), tstateCurrentAt);
    if (runtime === undefined) return undefined;
  }
  if (runtime === undefined) return undefined;
  const typeAddr = (name: string) => {
    const v = symbol(name);
    return v ? bias + v : 0;
  };
  return {
    py2Types: major === 2 ? { str: typeAddr('PyString_Type'), unicode: typeAddr('PyUnicode_Type') } : undefined,
    runtime,
    layout,
    version: version ?? fullVersion(file, major, minor),
    versionTuple: [major, minor],
    module: file,
    moduleBase: Math.min(...mappings.map((m) => m.start)),
    codeType: typeAddr('PyCode_Type'),
    frameType: typeAddr('PyFrame_Type'),
  };
}

/**
 * 2.7/3.6: a runtime base for the walker's runtime read, with the interpreters head (interp_head)
 * and GIL holder (_PyThreadState_Current) as offsets from the lower of the two, filled into the
 * layout. Without an interp_head symbol (a stripped .symtab) the module's .bss/.data is scanned
 * for a pointer whose interpreter's first thread points back at it: interp_head or another static
 * slot holding the main interpreter (autoInterpreterState...), which serve the walk alike; only
 * sub-interpreters created later could be missed that way.
 */
function symbolRuntime(mem: RemoteMemory, elf: ElfFile, bias: number, layout: Layout, interpHeadAt: number | undefined, tstateCurrentAt: number | undefined): number | undefined {
  const head = interpHeadAt !== undefined ? bias + interpHeadAt : scanForInterpHead(mem, elf, bias, layout);
  if (head === undefined) return undefined;
  const holder = tstateCurrentAt !== undefined ? bias + tstateCurrentAt : undefined;
  const base = Math.min(head, holder ?? head);
  layout.runtime.interpretersHead = head - base;
  if (holder !== undefined) layout.runtime.gilLastHolder = holder - base;
  return base;
}

/** Pointers in 2.7/3.6's static data that may be interp_head: aligned, non-null user addresses. */
export function scanForInterpHead(mem: RemoteMemory, elf: ElfFile, bias: number, L: Layout): number | undefined {
  for (const { addr, buf } of staticDataChunks(mem, elf, bias, 0)) {
    const slots: number[] = [];
    for (let i = 0; i + 8 <= buf.length; i += 8) {
      const v = Number(buf.readBigUInt64LE(i));
      if (v > 0x10000 && v < 2 ** 47 && v % 8 === 0) slots.push(i);
    }
    // candidate → its first thread state → that thread's interp back-pointer (a one-time scan)
    for (let i = 0; i < slots.length; i += 64) {
      const group = slots.slice(i, i + 64).map((at) => Number(buf.readBigUInt64LE(at)));
      const heads = readPtrs(mem, group.map((v) => v + L.interp.threadsHead));
      const backs = readPtrs(mem, heads.map((ts) => (ts > 0 ? ts + L.tstate.interp : 0)));
      for (let j = 0; j < group.length; j++) {
        if (heads[j] > 0 && backs[j] === group[j] && looksLikeInterpreter(mem, L, group[j])) return addr + slots[i + j];
      }
    }
  }
  return undefined;
}

/**
 * The module's .bss then .data, read from the target (not the file) in chunks, each `overlap`
 * bytes longer so a match across a chunk edge is still seen; a section ends at its first
 * unreadable chunk. Copies: callers read other memory while they look at a chunk.
 */
function* staticDataChunks(mem: RemoteMemory, elf: ElfFile, bias: number, overlap: number): Generator<{ addr: number; buf: Buffer }> {
  for (const name of ['.bss', '.data']) {
    const sec = elf.section(name);
    if (!sec || !sec.addr) continue;
    for (let off = 0; off < Math.min(sec.size, MAX_SCAN); off += SCAN_CHUNK) {
      const addr = bias + sec.addr + off;
      let buf: Buffer;
      try {
        buf = mem.copy(addr, Math.min(SCAN_CHUNK + overlap, sec.size - off));
      } catch {
        break;
      }
      yield { addr, buf };
    }
  }
}

/**
 * Two structs pointing at each other at the offsets of interp→threads and thread→interp also occur
 * elsewhere (two-node linked lists such as the GC generations), so an interpreter must also have
 * sys.modules and sys.__dict__ of one and the same type.
 */
function looksLikeInterpreter(mem: RemoteMemory, L: Layout, interp: number): boolean {
  if (L.interp.sysdict === undefined) return true;
  const [modules, sysdict] = readPtrs(mem, [interp + L.interp.modules, interp + L.interp.sysdict]);
  const [a, b] = readPtrs(mem, [modules > 0 ? modules + L.obType : 0, sysdict > 0 ? sysdict + L.obType : 0]);
  return a > 0 && a === b;
}

/** 8-byte values at each address (0 where unreadable or the address is 0). */
function readPtrs(mem: RemoteMemory, addrs: number[]): number[] {
  return addrs.map((a) => {
    if (a <= 0) return 0;
    try {
      return mem.u64(a);
    } catch {
      return 0;
    }
  });
}

function decodeHexVersion(hex: number): [number, number, string] {
  const major = hex >>> 24, minor = (hex >>> 16) & 0xff;
  return [major, minor, `${major}.${minor}.${(hex >>> 8) & 0xff}`];
}

const SCAN_CHUNK = 1 << 20;
const MAX_SCAN = 64 << 20;

/**
 * Finds _PyRuntime of a 3.13+ interpreter whose symbols and .PyRuntime section are gone: the
 * struct starts with the 8-byte cookie "xdebugpy" (8-aligned) and a version word 3.13+. It lives
 * in the module's writable data, so only its rw mappings are scanned (a few MB at most, once).
 */
export function scanForDebugOffsets(mem: RemoteMemory, mappings: ReadonlyArray<Mapping>): { address: number; hex: number } | undefined {
  let scanned = 0;
  for (const m of mappings) {
    if (!m.perms.startsWith('rw')) continue;
    for (let at = m.start; at < m.end && scanned < MAX_SCAN; at += SCAN_CHUNK) {
      const len = Math.min(SCAN_CHUNK + 16, m.end - at);
      let buf: Buffer;
      try {
        buf = mem.read(at, len);
      } catch {
        break;
      }
      scanned += len;
      for (let i = buf.indexOf(DEBUG_COOKIE, 0, 'latin1'); i >= 0 && i + 16 <= buf.length; i = buf.indexOf(DEBUG_COOKIE, i + 1, 'latin1')) {
        if (i % 8 !== 0) continue;
        const hex = buf.readUInt32LE(i + 8);
        if (buf.readUInt32LE(i + 12) === 0 && hex >>> 24 === 3 && ((hex >>> 16) & 0xff) >= 13) return { address: at + i, hex };
      }
    }
  }
  return undefined;
}

const VERSION_STRING = /^(\d)\.(\d{1,2})\.(\d{1,2})[a-z0-9+]* \(/;

/**
 * The interpreter's version string ("3.8.18 (default, May  9 2026, ...) [GCC ...]"), which
 * Py_GetVersion() builds at start-up in a static buffer: the `version.0` symbol when .symtab has
 * it, else found by scanning the module's .bss and .data. Read from the target, not the file.
 */
export function versionFromString(mem: RemoteMemory, elf: ElfFile, bias: number, opts: LocateOptions = {}): [number, number, number] | undefined {
  const parse = (b: Buffer): [number, number, number] | undefined => {
    const m = VERSION_STRING.exec(b.toString('latin1'));
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
  };
  const sym = opts.symbols === false ? undefined : elf.symbol('version.0') ?? elf.symbol('version');
  if (sym) {
    try {
      const v = parse(mem.read(bias + sym, 64));
      if (v) return v;
    } catch { /* fall through to the scan */ }
  }
  for (const { buf } of staticDataChunks(mem, elf, bias, 64)) {
    const text = buf.toString('latin1');
    const re = /(?<![\d.])(\d)\.(\d{1,2})\.(\d{1,2})[a-z0-9+]* \(/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m[1] === '3' || m[1] === '2') return [Number(m[1]), Number(m[2]), Number(m[3])];
    }
  }
  return undefined;
}

function unsupported(pid: number, version: string): EngineError {
  return new EngineError('UNSUPPORTED_VERSION', `pid ${pid} runs Python ${version}, which pyprof does not support; pyprof supports CPython ${SUPPORTED_RANGE}`);
}
