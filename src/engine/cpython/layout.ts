// One description of where things are in a CPython process, whichever way it was obtained:
// 2.7 and 3.6-3.12 from offsets.json (generated from each version's headers by tools/offsets), 3.13+ from
// the _Py_DebugOffsets block the interpreter itself publishes at the start of _PyRuntime.
// The walker reads only this, so it never branches on versions for offsets.
import table from './offsets.json';
import { EngineError } from '../types';

/** lnotab27: 2.7's co_lnotab, whose line deltas are unsigned bytes (signed from 3.6). */
export type LineTableFormat = 'lnotab27' | 'lnotab' | 'linetable310' | 'locations311';

export interface Layout {
  major: number;
  minor: number;
  lineFormat: LineTableFormat;
  freeThreaded: boolean;
  /**
   * Offsets from the runtime base. 2.7 and 3.6 have no _PyRuntime: `fromSymbols` says locate()
   * must find the static `interp_head` and the GIL holder `_PyThreadState_Current` by symbol and
   * fill these in relative to the lower of the two (gilLocked stays absent: a non-null
   * _PyThreadState_Current is the thread holding the GIL).
   */
  runtime: { interpretersHead: number; gilLastHolder?: number; gilLocked?: number; fromSymbols?: boolean };
  interp: {
    next: number;
    threadsHead: number;
    modules: number;
    /** 2.7/3.6: sys.__dict__ (checks a scanned-for interpreter: it and `modules` are both dicts) */
    sysdict?: number;
    /** 3.12: pointer to the interpreter's _gil_runtime_state (holder/locked at gil.*) */
    cevalGilPtr?: number;
    /** 3.13+: holder/locked relative to the interpreter itself */
    gilHolder?: number;
    gilLocked?: number;
    codeObjectGeneration?: number;
  };
  gil?: { lastHolder: number; locked: number };
  tstate: {
    size: number;
    next: number;
    interp: number;
    threadId: number;
    nativeThreadId?: number;
    /** ≤3.10: PyFrameObject* */
    frame?: number;
    /** 3.11/3.12: _PyCFrame* and its current_frame */
    cframe?: number;
    cframeCurrentFrame?: number;
    /** 3.13+ */
    currentFrame?: number;
    datastackChunk?: number;
  };
  /** ≤3.10 heap frames */
  frame?: {
    back: number; code: number; lasti: number; size: number; lastiInCodeUnits: boolean;
    /** the signed byte saying whether the frame is being run (f_executing, 3.10 f_state), and its values that mean so */
    running?: { offset: number; values: readonly number[] };
  };
  /** 3.11+ interpreter frames */
  iframe?: {
    executable: number;
    previous: number;
    instrPtr: number;
    owner: number;
    /** 3.11: `bool is_entry`, the frame an eval-loop call started with (3.12+ marks that with a C-stack shim frame instead) */
    isEntry?: number;
    size: number;
    /** owner values that are not Python frames (C-stack shims, interpreter entry) */
    skipOwnerAtLeast: number;
    /** 3.14: f_executable is a tagged _PyStackRef */
    taggedExecutable: boolean;
  };
  chunk?: { previous: number; size: number; data: number };
  code: { firstlineno: number; filename: number; name: number; qualname?: number; linetable: number; codeAdaptive?: number; size: number };
  obType: number;
  bytes: { size: number; sval: number };
  unicode: { length: number; state: number; asciiSize: number; compactSize: number; kindShift: number; compactBit: number; asciiBit: number };
  dict: { keys: number; values: number; used?: number };
  moduleDict: number;
  /** 2.7 only: byte-string names, pointer-backed unicode, C-long ints and open-addressed dicts */
  py2?: {
    unicodeLength: number; unicodeStr: number; unicodeCharSize: number;
    intValue: number;
    dictMask: number; dictTable: number; dictEntrySize: number; dictKey: number; dictValue: number;
  };
}

type Row = Record<string, number | string>;

export const SUPPORTED_RANGE = '2.7 and 3.6 to 3.14';

export function isSupported(major: number, minor: number): boolean {
  return (major === 3 && minor >= 6 && minor <= 14) || (major === 2 && minor === 7);
}

/**
 * Layouts proved end to end against real interpreters on the build machine (the integration
 * tests compare stacks read from outside with sys._current_frames): 2.7, 3.6-3.12 from the table
 * and 3.13/3.14 GIL builds from _Py_DebugOffsets (3.14 against Debian's 3.14.10 build).
 * Free-threaded builds publish their layout too, and the reader follows it, but none has been
 * run here: reading them would print stacks nobody has checked, so they are refused with this reason.
 */
export function unverifiedLayoutReason(L: Layout): string | undefined {
  const build = `${L.major}.${L.minor}${L.freeThreaded ? ' (free-threaded)' : ''}`;
  if (L.freeThreaded || L.major > 3 || (L.major === 3 && L.minor > 14)) {
    return `Python ${build} describes its memory layout in _Py_DebugOffsets, but pyprof's reader has not been verified on a real ${build} interpreter (verified: 2.7, 3.6-3.14 with the GIL), so it refuses rather than show unchecked stacks`;
  }
  return undefined;
}

/** Layout for 2.7 and 3.6-3.12 from the generated table. */
export function layoutFromTable(major: number, minor: number): Layout {
  const t = (table as Record<string, Row>)[`${major}.${minor}`];
  if (!t) {
    throw new EngineError('UNSUPPORTED_VERSION', `no offsets for Python ${major}.${minor}; pyprof supports CPython ${SUPPORTED_RANGE}`);
  }
  const n = (k: string): number => {
    const v = t[k];
    if (typeof v !== 'number') throw new Error(`offsets.json ${major}.${minor} lacks ${k}`);
    return v;
  };
  const o = (k: string): number | undefined => (typeof t[k] === 'number' ? (t[k] as number) : undefined);
  const modern = major === 3 && minor >= 11;
  const py2 = major === 2;
  const fromSymbols = o('runtime.interpreters_head') === undefined;
  return {
    major, minor,
    lineFormat: py2 || minor <= 9 ? (n('code.lnotab_signed') ? 'lnotab' : 'lnotab27') : minor === 10 ? 'linetable310' : 'locations311',
    freeThreaded: false,
    runtime: fromSymbols
      ? { interpretersHead: 0, fromSymbols }
      : { interpretersHead: n('runtime.interpreters_head'), gilLastHolder: o('runtime.gil_last_holder'), gilLocked: o('runtime.gil_locked') },
    interp: { next: n('interp.next'), threadsHead: n('interp.threads_head'), modules: n('interp.modules'), sysdict: o('interp.sysdict'), cevalGilPtr: o('interp.ceval_gil') },
    gil: o('gil.last_holder') !== undefined ? { lastHolder: n('gil.last_holder'), locked: n('gil.locked') } : undefined,
    tstate: {
      size: n('tstate.size'), next: n('tstate.next'), interp: n('tstate.interp'), threadId: n('tstate.thread_id'),
      nativeThreadId: o('tstate.native_thread_id'), frame: o('tstate.frame'), cframe: o('tstate.cframe'),
      cframeCurrentFrame: o('cframe.current_frame'), datastackChunk: o('tstate.datastack_chunk'),
    },
    frame: modern ? undefined : {
      back: n('frame.f_back'), code: n('frame.f_code'), lasti: n('frame.f_lasti'), size: n('frame.size'), lastiInCodeUnits: n('frame.lasti_is_code_units') === 1,
      running: o('frame.f_state') !== undefined ? { offset: n('frame.f_state'), values: [n('frame.state_executing'), n('frame.state_unwinding')] }
        : o('frame.f_executing') !== undefined ? { offset: n('frame.f_executing'), values: [1] } : undefined,
    },
    iframe: modern ? {
      executable: n('iframe.executable'), previous: n('iframe.previous'), instrPtr: n('iframe.instr_ptr'), owner: n('iframe.owner'),
      // 3.11 declares `bool is_entry; char owner;`: is_entry is the byte before owner
      isEntry: minor === 11 ? n('iframe.owner') - 1 : undefined,
      size: n('iframe.size'), skipOwnerAtLeast: minor >= 12 ? 3 : 99, taggedExecutable: false,
    } : undefined,
    chunk: modern ? { previous: n('chunk.previous'), size: n('chunk.size'), data: n('chunk.data') } : undefined,
    code: {
      firstlineno: n('code.firstlineno'), filename: n('code.filename'), name: n('code.name'), qualname: o('code.qualname'),
      linetable: n('code.linetable'), codeAdaptive: o('code.co_code_adaptive'), size: Math.max(n('code.linetable'), o('code.qualname') ?? 0) + 8,
    },
    obType: n('object.ob_type'),
    bytes: { size: n('bytes.ob_size'), sval: n('bytes.ob_sval') },
    // 2.7 has no PEP 393 strings: `unicode` is unused there (py2 describes its unicode objects)
    unicode: py2
      ? { length: -1, state: -1, asciiSize: 0, compactSize: 0, kindShift: 0, compactBit: 0, asciiBit: 0 }
      : { length: n('unicode.length'), state: n('unicode.state'), asciiSize: n('unicode.ascii_size'), compactSize: n('unicode.compact_size'), kindShift: 2, compactBit: 5, asciiBit: 6 },
    dict: py2 ? { keys: -1, values: -1, used: n('dict.ma_used') } : { keys: n('dict.ma_keys'), values: n('dict.ma_values'), used: n('dict.ma_used') },
    moduleDict: n('module.md_dict'),
    py2: py2 ? {
      unicodeLength: n('unicode27.length'), unicodeStr: n('unicode27.str'), unicodeCharSize: n('unicode27.char_size'),
      intValue: n('int27.ob_ival'),
      dictMask: n('dict27.ma_mask'), dictTable: n('dict27.ma_table'), dictEntrySize: n('dict27.entry_size'), dictKey: n('dict27.me_key'), dictValue: n('dict27.me_value'),
    } : undefined,
  };
}

// Byte positions of the _Py_DebugOffsets fields we use, per layout (3.13 and 3.14 differ: 3.14
// inserts fields in the middle). From CPython's Include/internal/pycore_runtime.h (3.13) and
// pycore_debug_offsets.h (3.14); checked against a live 3.13.0 and 3.14.10.
const DEBUG_FIELDS = {
  'runtime.interpreters_head': [40, 40],
  'interp.next': [64, 64],
  'interp.threads_head': [72, 72],
  'interp.imports_modules': [88, 96],
  'interp.gil_locked': [136, 144],
  'interp.gil_holder': [144, 152],
  'interp.code_object_generation': [-1, 160],
  'tstate.size': [152, 176],
  'tstate.next': [168, 192],
  'tstate.interp': [176, 200],
  'tstate.current_frame': [184, 208],
  'tstate.thread_id': [192, 216],
  'tstate.native_thread_id': [200, 224],
  'tstate.datastack_chunk': [208, 232],
  'iframe.size': [224, 248],
  'iframe.previous': [232, 256],
  'iframe.executable': [240, 264],
  'iframe.instr_ptr': [248, 272],
  'iframe.owner': [264, 288],
  'code.size': [272, 312],
  'code.filename': [280, 320],
  'code.name': [288, 328],
  'code.qualname': [296, 336],
  'code.linetable': [304, 344],
  'code.firstlineno': [312, 352],
  'code.co_code_adaptive': [344, 384],
  'object.ob_type': [360, 408],
  'dict.ma_keys': [456, 536],
  'dict.ma_values': [464, 544],
  'bytes.ob_size': [520, 600],
  'bytes.ob_sval': [528, 608],
  'unicode.state': [544, 624],
  'unicode.length': [552, 632],
  'unicode.asciiobject_size': [560, 640],
} as const;

/** Bytes of _Py_DebugOffsets to read for each known layout. */
export const DEBUG_OFFSETS_SIZE: Record<number, number> = { 13: 584, 14: 760 };
export const DEBUG_COOKIE = 'xdebugpy';

/** Layout for 3.13+ from the target's own _Py_DebugOffsets (the start of _PyRuntime). */
export function layoutFromDebugOffsets(raw: Buffer): Layout {
  if (raw.toString('latin1', 0, 8) !== DEBUG_COOKIE) {
    throw new EngineError('INTERPRETER_NOT_FOUND', '_PyRuntime does not start with the _Py_DebugOffsets cookie');
  }
  const hex = Number(raw.readBigUInt64LE(8));
  const major = (hex >>> 24) & 0xff, minor = (hex >>> 16) & 0xff;
  if (major !== 3 || !(minor in DEBUG_OFFSETS_SIZE)) {
    throw new EngineError('UNSUPPORTED_VERSION', `Python ${major}.${minor} publishes a _Py_DebugOffsets layout pyprof does not know; pyprof supports CPython ${SUPPORTED_RANGE}`);
  }
  const col = minor === 13 ? 0 : 1;
  const f = (k: keyof typeof DEBUG_FIELDS): number => {
    const pos = DEBUG_FIELDS[k][col];
    return pos < 0 ? -1 : Number(raw.readBigUInt64LE(pos));
  };
  const freeThreaded = raw.readBigUInt64LE(16) !== 0n;
  const asciiSize = f('unicode.asciiobject_size');
  // The debug offsets give neither sizeof(PyCompactUnicodeObject) nor the state bit positions:
  // compact data follows utf8_length + utf8 (16 bytes) after the ASCII header; 3.14's
  // free-threaded build widened `interned` to a byte, moving kind/compact/ascii up by 6 bits.
  const bitsMoved = freeThreaded && minor >= 14;
  return {
    major, minor, lineFormat: 'locations311', freeThreaded,
    runtime: { interpretersHead: f('runtime.interpreters_head') },
    interp: {
      next: f('interp.next'), threadsHead: f('interp.threads_head'), modules: f('interp.imports_modules'),
      gilHolder: f('interp.gil_holder'), gilLocked: f('interp.gil_locked'),
      codeObjectGeneration: minor >= 14 ? f('interp.code_object_generation') : undefined,
    },
    tstate: {
      size: f('tstate.size'), next: f('tstate.next'), interp: f('tstate.interp'), threadId: f('tstate.thread_id'),
      nativeThreadId: f('tstate.native_thread_id'), currentFrame: f('tstate.current_frame'), datastackChunk: f('tstate.datastack_chunk'),
    },
    iframe: {
      executable: f('iframe.executable'), previous: f('iframe.previous'), instrPtr: f('iframe.instr_ptr'), owner: f('iframe.owner'),
      size: f('iframe.size'),
      // 3.13: FRAME_OWNED_BY_CSTACK = 3; 3.14: 3 = INTERPRETER, 4 = CSTACK; both are not Python frames.
      skipOwnerAtLeast: 3,
      taggedExecutable: minor >= 14,
    },
    chunk: { previous: 0, size: 8, data: 24 },
    code: {
      firstlineno: f('code.firstlineno'), filename: f('code.filename'), name: f('code.name'), qualname: f('code.qualname'),
      linetable: f('code.linetable'), codeAdaptive: f('code.co_code_adaptive'), size: f('code.size'),
    },
    obType: f('object.ob_type'),
    bytes: { size: f('bytes.ob_size'), sval: f('bytes.ob_sval') },
    unicode: {
      length: f('unicode.length'), state: f('unicode.state'), asciiSize, compactSize: asciiSize + 16,
      kindShift: bitsMoved ? 8 : 2, compactBit: bitsMoved ? 11 : 5, asciiBit: bitsMoved ? 12 : 6,
    },
    dict: { keys: f('dict.ma_keys'), values: f('dict.ma_values') },
    moduleDict: freeThreaded ? 32 : 16,
  };
}
