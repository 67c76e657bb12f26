// The Python side of `record --memory=tracemalloc`: a small bootstrap the CLI writes to a temporary
// file and runs as `python BOOTSTRAP STATS_FILE INTERVAL_MS NFRAMES (script.py | -m module) args...`.
// It starts tracemalloc, runs the program as `python script.py` / `python -m module` would
// (a fresh __main__ module, sys.argv and sys.path[0] set the same way), and appends
// snapshot statistics to STATS_FILE as JSON lines, periodically from a daemon thread and once more
// when the program ends. Kept as a string (not a file under dist/) so the bundled CLI needs no
// resource lookup; the engine never runs it itself.
//
// Output lines:
//   {"k":"start","t":<epoch ms>,"python":"3.12.1","nframes":N}
//   {"k":"tb","id":N,"f":[[file,line],...]}     a traceback, outermost frame first (defined once)
//   {"k":"snap","t":<epoch ms>,"traced":B,"peak":B,"s":[[id,size,count],...]}
//       only the tracebacks whose live size changed since the previous snapshot (0 = all freed)
// The snapshot code is compiled under the pseudo file name below, and tracebacks with that name
// (or tracemalloc's own module as the allocator) are skipped, so the profiler's own allocations
// never show. (tracemalloc.Filter with all_frames runs fnmatch per frame per trace: far too slow.)

export const TRACEMALLOC_PSEUDO_FILE = '<pyprof-tracemalloc>';
export const TRACEMALLOC_THREAD_NAME = 'pyprof-tracemalloc';

const SNAPSHOT_CODE = String.raw`
def _pyprof_snapshot(state, final=False):
    with state["lock"]:
        if state["done"]:
            return
        if final:
            state["done"] = True
        t0 = time.time()
        snap = tracemalloc.take_snapshot()
        changed = []
        seen = set()
        tbs = state["tbs"]
        last = state["last"]
        out = state["out"]
        for st in snap.statistics("traceback"):
            frames = [(f.filename, f.lineno) for f in st.traceback]
            # the profiler's own allocations (this code, tracemalloc itself) never show
            if any(f[0] == PSEUDO for f in frames) or frames[-1][0] == state["tmfile"]:
                continue
            # drop the bootstrap and runpy frames around the program (outermost first)
            i = 0
            while i < len(frames) and (frames[i][0] == state["boot"] or frames[i][0].endswith(("runpy.py", "<frozen runpy>"))):
                i += 1
            frames = tuple(frames[i:])
            if not frames:
                continue
            tid = tbs.get(frames)
            if tid is None:
                tid = len(tbs)
                tbs[frames] = tid
                out.write(json.dumps({"k": "tb", "id": tid, "f": [list(f) for f in frames]}) + "\n")
            seen.add(tid)
            prev = last.get(tid)
            if prev is None or prev[0] != st.size:
                last[tid] = (st.size, st.count)
                changed.append([tid, st.size, st.count])
        for tid in [k for k in last if k not in seen]:
            del last[tid]
            changed.append([tid, 0, 0])
        traced, peak = tracemalloc.get_traced_memory()
        out.write(json.dumps({"k": "snap", "t": time.time() * 1000.0, "traced": traced, "peak": peak, "s": changed}) + "\n")
        out.flush()
        # a snapshot of many live objects is slow: never spend more than ~20% of the time on them
        state["cost"] = time.time() - t0

def _pyprof_loop(state):
    while not state["done"]:
        time.sleep(max(state["interval"], 4 * state["cost"]))
        try:
            _pyprof_snapshot(state)
        except Exception:
            return
`;

const BOOTSTRAP = String.raw`
import sys, os, time, json, threading, tracemalloc, types

def _pyprof_setup():
    out_path, interval_ms, nframes = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    args = sys.argv[4:]
    state = {
        "lock": threading.Lock(), "done": False, "tbs": {}, "last": {}, "cost": 0.0,
        "interval": interval_ms / 1000.0, "boot": os.path.abspath(__file__), "tmfile": tracemalloc.__file__,
    }
    state["out"] = open(out_path, "a")
    state["out"].write(json.dumps({"k": "start", "t": time.time() * 1000.0, "python": sys.version.split()[0], "nframes": nframes}) + "\n")
    state["out"].flush()
    ns = {"time": time, "json": json, "tracemalloc": tracemalloc, "PSEUDO": PSEUDO}
    exec(compile(SNAPSHOT_CODE, PSEUDO, "exec"), ns)
    return state, ns, args, nframes

_pyprof_state, _pyprof_ns, _pyprof_args, _pyprof_nframes = _pyprof_setup()

def _pyprof_is_boot(f):
    return f == _pyprof_state["boot"] or f.endswith(("runpy.py", "<frozen runpy>"))

def _pyprof_report(e):
    _pyprof_ns["_pyprof_snapshot"](_pyprof_state, True)
    # report it as python script.py would: without the bootstrap and runpy frames
    tb = e.__traceback__
    while tb is not None and _pyprof_is_boot(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    sys.excepthook(type(e), e.with_traceback(tb), tb)

# The program runs in a fresh __main__ module executed right here, at module level, rather than
# through runpy.run_path: every extra frame under the program makes each traced allocation slower
# (tracemalloc walks and hashes the frames), about 3 frames fewer than runpy. -m uses runpy.
if _pyprof_args[0] == "-m":
    import runpy
    sys.argv = [_pyprof_args[1]] + _pyprof_args[2:]
    sys.path[0] = os.getcwd()
    _pyprof_main = None
else:
    sys.argv = _pyprof_args
    _pyprof_file = os.path.abspath(_pyprof_args[0])
    sys.path[0] = os.path.dirname(_pyprof_file)
    with open(_pyprof_file, "rb") as _f:
        _pyprof_code = compile(_f.read(), _pyprof_args[0], "exec", dont_inherit=True)
    _pyprof_main = types.ModuleType("__main__")
    _pyprof_main.__file__ = _pyprof_args[0]
    _pyprof_main.__builtins__ = __builtins__
    sys.modules["__main__"] = _pyprof_main
threading.Thread(target=_pyprof_ns["_pyprof_loop"], args=(_pyprof_state,), name=THREAD_NAME, daemon=True).start()
tracemalloc.start(_pyprof_nframes)
try:
    if _pyprof_main is None:
        runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
    else:
        exec(_pyprof_code, _pyprof_main.__dict__)
except SystemExit:
    _pyprof_ns["_pyprof_snapshot"](_pyprof_state, True)
    raise
except BaseException as _e:
    _pyprof_report(_e)
    sys.exit(130 if isinstance(_e, KeyboardInterrupt) else 1)
_pyprof_ns["_pyprof_snapshot"](_pyprof_state, True)
`;

/** The bootstrap's source, ready to write to a `.py` file. */
export function tracemallocBootstrapSource(): string {
  return (
    `# pyprof: runs a program under tracemalloc (record --memory=tracemalloc); generated, safe to delete\n` +
    `PSEUDO = ${JSON.stringify(TRACEMALLOC_PSEUDO_FILE)}\n` +
    `THREAD_NAME = ${JSON.stringify(TRACEMALLOC_THREAD_NAME)}\n` +
    `SNAPSHOT_CODE = ${JSON.stringify(SNAPSHOT_CODE)}\n` +
    BOOTSTRAP
  );
}
