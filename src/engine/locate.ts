// Finds the interpreter inside a process: which mapped file holds _PyRuntime (libpython for
// --enable-shared builds, else the executable), where it is at run time, and which version it is.
import * as fs from 'fs';
import * as path from 'path';
import { RemoteMemory } from './native/memory';
import { ElfFile } from './proc/elf';
import { Mapping, procError, readMaps } from './proc/maps';
import { readComm } from './proc/procfs';
import { DEBUG_OFFSETS_SIZE, isSupported, Layout, layoutFromDebugOffsets, layoutFromTable, SUPPORTED_RANGE } from './cpython/layout';
import { EngineError } from './types';

export interface Located {
  runtime: number;
  layout: Layout;
  version: string;
  versionTuple: [number, number];
  module: string;
  executable: string;
  codeType: number;
  frameType: number;
}

const LIBPYTHON = /\/libpython(\d)\.(\d+)[a-z]*\.so/;
const PYTHON_NAME = /(?:^|\/)python(\d)(?:\.(\d+))?[a-z]*$/;

export function executableOf(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch (e) {
    throw procError(pid, e);
  }
}

/** Version named by a file path (`libpython3.12.so.1.0`, `python3.11`), if any. */
export function versionFromPath(p: string): [number, number] | undefined {
  const m = LIBPYTHON.exec(p) ?? PYTHON_NAME.exec(p);
  return m && m[2] !== undefined ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Full "3.9.18" from a path such as /root/.pyenv/versions/3.9.18/..., else "3.9". */
function fullVersion(p: string, major: number, minor: number): string {
  const m = new RegExp(`\\b${major}\\.${minor}\\.(\\d+)\\b`).exec(p);
  return m ? `${major}.${minor}.${m[1]}` : `${major}.${minor}`;
}

export function locate(pid: number, mem: RemoteMemory): Located {
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
      const found = locateIn(pid, mem, elf, byPath.get(file)!, file, named);
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

function locateIn(pid: number, mem: RemoteMemory, elf: ElfFile, mappings: Mapping[], file: string, named?: [number, number]): Omit<Located, 'executable'> | undefined {
  const bias = elf.loadBias(mappings);
  const sym = elf.symbol('_PyRuntime') ?? elf.section('.PyRuntime')?.addr;
  let major = named?.[0], minor = named?.[1];
  let version: string | undefined;
  const pyVersion = elf.symbol('Py_Version');
  if (pyVersion) {
    // 3.11+: PY_VERSION_HEX in the target, e.g. 0x030C01F0 = 3.12.1 final
    const hex = mem.read(bias + pyVersion, 4).readUInt32LE(0);
    major = hex >>> 24; minor = (hex >>> 16) & 0xff;
    version = `${major}.${minor}.${(hex >>> 8) & 0xff}`;
  }
  if (major === undefined || minor === undefined) return undefined;
  if (!isSupported(major, minor)) throw unsupported(pid, version ?? `${major}.${minor}`);
  if (!sym) return undefined;
  const runtime = bias + sym;
  const layout = minor >= 13 ? layoutFromDebugOffsets(mem.copy(runtime, DEBUG_OFFSETS_SIZE[minor] ?? DEBUG_OFFSETS_SIZE[14])) : layoutFromTable(major, minor);
  const typeAddr = (name: string) => {
    const v = elf.symbol(name);
    return v ? bias + v : 0;
  };
  return {
    runtime,
    layout,
    version: version ?? fullVersion(file, major, minor),
    versionTuple: [major, minor],
    module: file,
    codeType: typeAddr('PyCode_Type'),
    frameType: typeAddr('PyFrame_Type'),
  };
}

function unsupported(pid: number, version: string): EngineError {
  return new EngineError('UNSUPPORTED_VERSION', `pid ${pid} runs Python ${version}, which pyprof does not support; pyprof supports CPython ${SUPPORTED_RANGE}`);
}
