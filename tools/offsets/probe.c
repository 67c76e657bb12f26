/* Prints, as JSON, the struct offsets pyprof needs to walk a CPython 2.7 or 3.6-3.12 process from
 * outside. Compiled by generate.mjs against one interpreter's own headers (Py_BUILD_CORE exposes
 * internals). 3.13+ is read from _Py_DebugOffsets in the target instead, so this probe stops at 3.12.
 * 2.7 and 3.6 have no _PyRuntime: their interpreter list is the static `interp_head` and their GIL
 * holder `_PyThreadState_Current`, both found by symbol, so only the structs behind them are here. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#if PY_VERSION_HEX < 0x03070000
#  include <frameobject.h>
#elif PY_VERSION_HEX < 0x03080000
#  include "internal/pystate.h"
#  include <frameobject.h>
#elif PY_VERSION_HEX < 0x03090000
#  include "internal/pycore_pystate.h"
#  include <frameobject.h>
#elif PY_VERSION_HEX < 0x030B0000
#  include "internal/pycore_interp.h"
#  include "internal/pycore_runtime.h"
#  include <frameobject.h>
#else
#  include "internal/pycore_interp.h"
#  include "internal/pycore_runtime.h"
#  include "internal/pycore_frame.h"
#  include "internal/pycore_code.h"
#endif
#if PY_VERSION_HEX >= 0x03080000 && PY_VERSION_HEX < 0x030D0000
#  include "internal/pycore_gil.h"
#endif

typedef struct { PyObject_HEAD PyObject *md_dict; } module_head_t;

#include "emitJson.h"

int main(void) {
    printf("{");
    emit("version_hex", PY_VERSION_HEX);
#if PY_VERSION_HEX >= 0x030D0000
    /* 3.13+: everything else comes from _Py_DebugOffsets; only type internals are needed here. */
    OFF(PyTypeObject, tp_basicsize, "type.tp_basicsize");
    OFF(PyTypeObject, tp_dictoffset, "type.tp_dictoffset");
    OFF(PyTypeObject, tp_flags, "type.tp_flags");
    OFF(PyHeapTypeObject, ht_cached_keys, "heaptype.ht_cached_keys");
    emit("type.flag_managed_dict", Py_TPFLAGS_MANAGED_DICT);
    emit("type.flag_inline_values", Py_TPFLAGS_INLINE_VALUES);
#else
#if PY_VERSION_HEX >= 0x03070000
    OFF(_PyRuntimeState, interpreters.head, "runtime.interpreters_head");
#endif
#if PY_VERSION_HEX >= 0x03070000 && PY_VERSION_HEX < 0x030C0000
    OFF(_PyRuntimeState, ceval.gil.last_holder, "runtime.gil_last_holder");
    OFF(_PyRuntimeState, ceval.gil.locked, "runtime.gil_locked");
    OFF(_PyRuntimeState, gilstate.tstate_current, "runtime.tstate_current");
#endif
    OFF(PyInterpreterState, next, "interp.next");
#if PY_VERSION_HEX < 0x030B0000
    OFF(PyInterpreterState, tstate_head, "interp.threads_head");
#else
    OFF(PyInterpreterState, threads.head, "interp.threads_head");
#endif
#if PY_VERSION_HEX >= 0x030C0000
    OFF(PyInterpreterState, ceval.gil, "interp.ceval_gil");
    OFF(struct _gil_runtime_state, last_holder, "gil.last_holder");
    OFF(struct _gil_runtime_state, locked, "gil.locked");
#endif
#if PY_VERSION_HEX < 0x03070000
    /* sys.modules and sys.__dict__ are both dicts: confirms an interpreter found by scanning */
    OFF(PyInterpreterState, sysdict, "interp.sysdict");
#endif
#if PY_VERSION_HEX < 0x030C0000
    OFF(PyInterpreterState, modules, "interp.modules");
#else
    OFF(PyInterpreterState, imports.modules, "interp.modules");
#endif
    SIZE(PyThreadState, "tstate.size");
    OFF(PyThreadState, next, "tstate.next");
    OFF(PyThreadState, interp, "tstate.interp");
    OFF(PyThreadState, thread_id, "tstate.thread_id");
#if PY_VERSION_HEX < 0x030B0000
    OFF(PyThreadState, frame, "tstate.frame");
    OFF(PyFrameObject, f_back, "frame.f_back");
    OFF(PyFrameObject, f_code, "frame.f_code");
    OFF(PyFrameObject, f_lasti, "frame.f_lasti");
    SIZE(PyFrameObject, "frame.size");
    emit("frame.lasti_is_code_units", PY_VERSION_HEX >= 0x030A0000);
    /* whether a frame is being run: a frame the walker meets while it is still being set up (a
     * recycled object whose f_back is stale) is not marked running yet */
#if PY_MAJOR_VERSION == 2
    /* 2.7 frames do not say whether they run */
#elif PY_VERSION_HEX < 0x030A0000
    OFF(PyFrameObject, f_executing, "frame.f_executing");
#else
    OFF(PyFrameObject, f_state, "frame.f_state");
    emit("frame.state_executing", FRAME_EXECUTING);
    emit("frame.state_unwinding", FRAME_UNWINDING);
#endif
#else
    OFF(PyThreadState, native_thread_id, "tstate.native_thread_id");
    OFF(PyThreadState, cframe, "tstate.cframe");
    OFF(_PyCFrame, current_frame, "cframe.current_frame");
    OFF(PyThreadState, datastack_chunk, "tstate.datastack_chunk");
    OFF(_PyInterpreterFrame, f_code, "iframe.executable");
    OFF(_PyInterpreterFrame, previous, "iframe.previous");
    OFF(_PyInterpreterFrame, prev_instr, "iframe.instr_ptr");
    OFF(_PyInterpreterFrame, owner, "iframe.owner");
    SIZE(_PyInterpreterFrame, "iframe.size");
    OFF(_PyStackChunk, previous, "chunk.previous");
    OFF(_PyStackChunk, size, "chunk.size");
    OFF(_PyStackChunk, top, "chunk.top");
    OFF(_PyStackChunk, data, "chunk.data");
    OFF(PyCodeObject, co_qualname, "code.qualname");
    OFF(PyCodeObject, co_code_adaptive, "code.co_code_adaptive");
#endif
    OFF(PyCodeObject, co_firstlineno, "code.firstlineno");
    OFF(PyCodeObject, co_filename, "code.filename");
    OFF(PyCodeObject, co_name, "code.name");
#if PY_VERSION_HEX < 0x030A0000
    OFF(PyCodeObject, co_lnotab, "code.linetable");
    /* co_lnotab line deltas: unsigned bytes before 3.6, signed since */
    emit("code.lnotab_signed", PY_VERSION_HEX >= 0x03060000);
#else
    OFF(PyCodeObject, co_linetable, "code.linetable");
#endif
    OFF(PyObject, ob_type, "object.ob_type");
    OFF(PyVarObject, ob_size, "bytes.ob_size");
#if PY_MAJOR_VERSION == 2
    /* 2.7: names, file names and line tables are byte strings (str); unicode is a separate type
     * with its characters behind a pointer, Py_UNICODE_SIZE bytes each; ints are C longs. */
    OFF(PyStringObject, ob_sval, "bytes.ob_sval");
    OFF(PyUnicodeObject, length, "unicode27.length");
    OFF(PyUnicodeObject, str, "unicode27.str");
    emit("unicode27.char_size", Py_UNICODE_SIZE);
    OFF(PyIntObject, ob_ival, "int27.ob_ival");
    /* old-style dict: an open-addressed table of (hash, key, value) entries, ma_mask + 1 of them */
    OFF(PyDictObject, ma_used, "dict.ma_used");
    OFF(PyDictObject, ma_mask, "dict27.ma_mask");
    OFF(PyDictObject, ma_table, "dict27.ma_table");
    SIZE(PyDictEntry, "dict27.entry_size");
    OFF(PyDictEntry, me_key, "dict27.me_key");
    OFF(PyDictEntry, me_value, "dict27.me_value");
#else
    OFF(PyBytesObject, ob_sval, "bytes.ob_sval");
    OFF(PyASCIIObject, length, "unicode.length");
    emit("unicode.state", (long long)offsetof(PyASCIIObject, hash) + (long long)sizeof(Py_hash_t));
    SIZE(PyASCIIObject, "unicode.ascii_size");
    SIZE(PyCompactUnicodeObject, "unicode.compact_size");
    /* dicts, for threading._active (thread names) */
    OFF(PyDictObject, ma_used, "dict.ma_used");
    OFF(PyDictObject, ma_keys, "dict.ma_keys");
    OFF(PyDictObject, ma_values, "dict.ma_values");
#endif
    /* PyModuleObject is private before 3.10; its head is stable: PyObject_HEAD, then md_dict. */
    OFF(module_head_t, md_dict, "module.md_dict");
    /* object attributes, for threading.Thread._name: type layout and instance dict storage */
    OFF(PyTypeObject, tp_basicsize, "type.tp_basicsize");
    OFF(PyTypeObject, tp_dictoffset, "type.tp_dictoffset");
    OFF(PyTypeObject, tp_flags, "type.tp_flags");
#if PY_VERSION_HEX >= 0x030B0000
    OFF(PyHeapTypeObject, ht_cached_keys, "heaptype.ht_cached_keys");
    emit("type.flag_managed_dict", Py_TPFLAGS_MANAGED_DICT);
#endif
#endif /* 3.13+ */
    printf("\n}\n");
    return 0;
}
