/* Prints, as JSON, the offsets pyprof needs to read Python *values* from outside (dump --locals,
 * dump --async): frame locals and value stacks, code-object variable names, containers, numbers,
 * generators/coroutines, and the C _asyncio module's Future/Task objects.
 * Compiled by generateObjects.mjs against one interpreter's own headers (3.8-3.14).
 *
 * _asyncio's FutureObj/TaskObj are private to Modules/_asynciomodule.c, so their field order per
 * version is written out below (from CPython's sources) and compiled against that version's
 * headers for the sizes of PyObject_HEAD and _PyErr_StackItem; generateObjects.mjs then refuses
 * the result unless sizeof() equals the running interpreter's _asyncio.Task/Future.__basicsize__,
 * and the engine re-checks tp_basicsize in the target. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include <frameobject.h>
#if PY_VERSION_HEX >= 0x030B0000
#  include "internal/pycore_frame.h"
#  include "internal/pycore_code.h"
#endif
#if PY_VERSION_HEX >= 0x030D0000
#  include "internal/pycore_genobject.h"
#endif
#if PY_VERSION_HEX >= 0x030E0000
#  include "internal/pycore_stackref.h"
#endif

typedef enum { STATE_PENDING, STATE_CANCELLED, STATE_FINISHED } fut_state;

#if PY_VERSION_HEX < 0x03090000
#define FUT_HEAD(p) PyObject_HEAD PyObject *p##_loop; PyObject *p##_callback0; PyObject *p##_context0; \
    PyObject *p##_callbacks; PyObject *p##_exception; PyObject *p##_result; PyObject *p##_source_tb; \
    fut_state p##_state; int p##_log_tb; int p##_blocking; PyObject *dict; PyObject *p##_weakreflist;
#elif PY_VERSION_HEX < 0x030A0000
#define FUT_HEAD(p) PyObject_HEAD PyObject *p##_loop; PyObject *p##_callback0; PyObject *p##_context0; \
    PyObject *p##_callbacks; PyObject *p##_exception; PyObject *p##_result; PyObject *p##_source_tb; \
    PyObject *p##_cancel_msg; fut_state p##_state; int p##_log_tb; int p##_blocking; PyObject *dict; \
    PyObject *p##_weakreflist; _PyErr_StackItem p##_cancelled_exc_state;
#elif PY_VERSION_HEX < 0x030B0000
#define FUT_HEAD(p) PyObject_HEAD PyObject *p##_loop; PyObject *p##_callback0; PyObject *p##_context0; \
    PyObject *p##_callbacks; PyObject *p##_exception; PyObject *p##_exception_tb; PyObject *p##_result; \
    PyObject *p##_source_tb; PyObject *p##_cancel_msg; fut_state p##_state; int p##_log_tb; int p##_blocking; \
    PyObject *dict; PyObject *p##_weakreflist; _PyErr_StackItem p##_cancelled_exc_state;
#elif PY_VERSION_HEX < 0x030D0000
#define FUT_HEAD(p) PyObject_HEAD PyObject *p##_loop; PyObject *p##_callback0; PyObject *p##_context0; \
    PyObject *p##_callbacks; PyObject *p##_exception; PyObject *p##_exception_tb; PyObject *p##_result; \
    PyObject *p##_source_tb; PyObject *p##_cancel_msg; fut_state p##_state; int p##_log_tb; int p##_blocking; \
    PyObject *dict; PyObject *p##_weakreflist; PyObject *p##_cancelled_exc;
#elif PY_VERSION_HEX < 0x030E0000
#define FUT_HEAD(p) PyObject_HEAD PyObject *p##_loop; PyObject *p##_callback0; PyObject *p##_context0; \
    PyObject *p##_callbacks; PyObject *p##_exception; PyObject *p##_exception_tb; PyObject *p##_result; \
    PyObject *p##_source_tb; PyObject *p##_cancel_msg; PyObject *p##_cancelled_exc; fut_state p##_state; \
    unsigned p##_log_tb: 1; unsigned p##_blocking: 1;
#else
/* 3.14 records who awaits a future (awaited_by: one future, or a set when awaited_by_is_set) and
   marks tasks (is_task) for out-of-process readers. */
#define FUT_HEAD(p) PyObject_HEAD PyObject *p##_loop; PyObject *p##_callback0; PyObject *p##_context0; \
    PyObject *p##_callbacks; PyObject *p##_exception; PyObject *p##_exception_tb; PyObject *p##_result; \
    PyObject *p##_source_tb; PyObject *p##_cancel_msg; PyObject *p##_cancelled_exc; PyObject *p##_awaited_by; \
    fut_state p##_state; char p##_is_task; char p##_awaited_by_is_set; unsigned p##_log_tb: 1; unsigned p##_blocking: 1;
#endif

typedef struct { FUT_HEAD(fut) } FutureObj;
#if PY_VERSION_HEX < 0x030B0000
typedef struct { FUT_HEAD(task) PyObject *task_fut_waiter; PyObject *task_coro; PyObject *task_name;
    PyObject *task_context; int task_must_cancel; int task_log_destroy_pending; } TaskObj;
#elif PY_VERSION_HEX < 0x030D0000
typedef struct { FUT_HEAD(task) PyObject *task_fut_waiter; PyObject *task_coro; PyObject *task_name;
    PyObject *task_context; int task_must_cancel; int task_log_destroy_pending; int task_num_cancels_requested; } TaskObj;
#elif PY_VERSION_HEX < 0x030E0000
typedef struct { FUT_HEAD(task) unsigned task_must_cancel: 1; unsigned task_log_destroy_pending: 1;
    int task_num_cancels_requested; PyObject *task_fut_waiter; PyObject *task_coro; PyObject *task_name;
    PyObject *task_context; } TaskObj;
#else
/* task_node links every task into its thread's (or, once the thread is gone, its interpreter's) list */
typedef struct { FUT_HEAD(task) unsigned task_must_cancel: 1; unsigned task_log_destroy_pending: 1;
    int task_num_cancels_requested; PyObject *task_fut_waiter; PyObject *task_coro; PyObject *task_name;
    PyObject *task_context; struct { void *next; void *prev; } task_node; } TaskObj;
#endif
/* Other private heads, stable over 3.8-3.13: _asyncio.FutureIter, functools.partial, async_generator_asend. */
typedef struct { PyObject_HEAD PyObject *future; } futureiter_t;
typedef struct { PyObject_HEAD PyObject *fn; PyObject *args; PyObject *kw; } partial_t;
typedef struct { PyObject_HEAD PyObject *ags_gen; } asend_t;

#include "emitJson.h"

int main(void) {
    printf("{");
    emit("version_hex", PY_VERSION_HEX);
    OFF(PyTypeObject, tp_name, "type.tp_name");
    OFF(PyTypeObject, tp_base, "type.tp_base");
    OFF(PyTypeObject, tp_basicsize, "type.tp_basicsize");
    OFF(PyVarObject, ob_size, "var.ob_size");
#if PY_VERSION_HEX >= 0x030C0000
    OFF(PyLongObject, long_value.ob_digit, "long.ob_digit");
#else
    OFF(PyLongObject, ob_digit, "long.ob_digit");
#endif
    emit("long.tagged_size", PY_VERSION_HEX >= 0x030C0000);
    OFF(PyFloatObject, ob_fval, "float.ob_fval");
    OFF(PyTupleObject, ob_item, "tuple.ob_item");
    OFF(PyListObject, ob_item, "list.ob_item");
    OFF(PySetObject, used, "set.used");
    OFF(PySetObject, mask, "set.mask");
    OFF(PySetObject, table, "set.table");
    SIZE(setentry, "set.entry_size");
    OFF(PyWeakReference, wr_object, "weakref.wr_object");
    OFF(PyMethodObject, im_func, "method.im_func");
    OFF(PyMethodObject, im_self, "method.im_self");
    OFF(PyFunctionObject, func_closure, "function.func_closure");
    OFF(PyFunctionObject, func_code, "function.func_code");
    OFF(PyCellObject, ob_ref, "cell.ob_ref");
    OFF(partial_t, fn, "partial.fn");
    OFF(partial_t, args, "partial.args");
    OFF(asend_t, ags_gen, "asend.ags_gen");
    OFF(futureiter_t, future, "futureiter.future");
#if PY_VERSION_HEX < 0x030B0000
    OFF(PyFrameObject, f_valuestack, "frame.f_valuestack");
#  if PY_VERSION_HEX < 0x030A0000
    OFF(PyFrameObject, f_stacktop, "frame.f_stacktop");
#  else
    OFF(PyFrameObject, f_stackdepth, "frame.f_stackdepth");
#  endif
    OFF(PyFrameObject, f_localsplus, "frame.f_localsplus");
    OFF(PyCodeObject, co_nlocals, "code.nlocals");
    OFF(PyCodeObject, co_varnames, "code.varnames");
    OFF(PyCodeObject, co_cellvars, "code.cellvars");
    OFF(PyCodeObject, co_freevars, "code.freevars");
    OFF(PyGenObject, gi_frame, "gen.gi_frame");
#else
    OFF(_PyInterpreterFrame, localsplus, "iframe.localsplus");
#  if PY_VERSION_HEX >= 0x030E0000
    /* 3.14: a pointer past the top of the value stack, whose entries are tagged _PyStackRefs */
    OFF(_PyInterpreterFrame, stackpointer, "iframe.stackpointer");
    emit("stackref.tag_bits", Py_TAG_BITS);
#  else
    OFF(_PyInterpreterFrame, stacktop, "iframe.stacktop");
#  endif
    OFF(PyCodeObject, co_nlocalsplus, "code.nlocalsplus");
    OFF(PyCodeObject, co_localsplusnames, "code.localsplusnames");
    OFF(PyCodeObject, co_localspluskinds, "code.localspluskinds");
    OFF(PyGenObject, gi_iframe, "gen.gi_iframe");
    OFF(PyGenObject, gi_frame_state, "gen.gi_frame_state");
    emit("gen.state_suspended", FRAME_SUSPENDED);
    emit("gen.state_executing", FRAME_EXECUTING);
#  if PY_VERSION_HEX >= 0x030D0000
    emit("gen.state_suspended_yield_from", FRAME_SUSPENDED_YIELD_FROM);
#  endif
    emit("code.kind_local", CO_FAST_LOCAL);
    emit("code.kind_cell", CO_FAST_CELL);
    emit("code.kind_free", CO_FAST_FREE);
#  ifdef CO_FAST_HIDDEN
    emit("code.kind_hidden", CO_FAST_HIDDEN);
#  endif
#endif
    OFF(FutureObj, fut_loop, "future.loop");
    OFF(FutureObj, fut_callback0, "future.callback0");
    OFF(FutureObj, fut_callbacks, "future.callbacks");
    OFF(FutureObj, fut_result, "future.result");
    OFF(FutureObj, fut_state, "future.state");
    SIZE(FutureObj, "future.size");
    OFF(TaskObj, task_fut_waiter, "task.fut_waiter");
    OFF(TaskObj, task_coro, "task.coro");
    OFF(TaskObj, task_name, "task.name");
    SIZE(TaskObj, "task.size");
#if PY_VERSION_HEX >= 0x030E0000
    OFF(FutureObj, fut_awaited_by, "future.awaited_by");
    OFF(FutureObj, fut_is_task, "future.is_task");
    OFF(FutureObj, fut_awaited_by_is_set, "future.awaited_by_is_set");
    OFF(TaskObj, task_node, "task.node");
#endif
    printf("\n}\n");
    return 0;
}
