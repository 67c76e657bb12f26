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
        traced, peak = tracemalloc.get_traced_memory()
        if final:
            # nothing is traced after the last snapshot: stop now, or grouping millions of traces
            # below would itself be traced (measured on 3.13: seconds at exit)
            tracemalloc.stop()
        changed = []
        cur = {}
        tbs = state["tbs"]
        last = state["last"]
        out = state["out"]
        # Group the raw traces by their traceback tuple ourselves: Snapshot.statistics() builds a
        # Traceback object and hashes it in Python per trace, several times slower on millions.
        raw = getattr(getattr(snap, "traces", None), "_traces", None)
        groups = {}
        if raw is not None:
            for tr in raw:
                g = groups.get(tr[2])
                if g is None:
                    groups[tr[2]] = [tr[1], 1]
                else:
                    g[0] += tr[1]
                    g[1] += 1
            items = [(tuple(reversed(k)), g[0], g[1]) for k, g in groups.items()]  # raw: innermost first
        else:
            items = [(tuple((f.filename, f.lineno) for f in st.traceback), st.size, st.count) for st in snap.statistics("traceback")]
        for frames, size, count in items:
            # the profiler's own allocations (this code, tracemalloc itself) never show
            if not frames or frames[-1][0] == state["tmfile"] or any(f[0] == PSEUDO for f in frames):
                continue
            # drop the bootstrap and runpy frames around the program (outermost first)
            i = 0
            while i < len(frames) and (frames[i][0] == state["boot"] or frames[i][0].endswith(("runpy.py", "<frozen runpy>"))):
                i += 1
            frames = frames[i:]
            if not frames:
                continue
            tid = tbs.get(frames)
            if tid is None:
                tid = len(tbs)
                tbs[frames] = tid
                out.write(json.dumps({"k": "tb", "id": tid, "f": [list(f) for f in frames]}) + "\n")
            c = cur.get(tid)  # two raw tracebacks can become one after stripping: add them up
            if c is None:
                cur[tid] = [size, count]
            else:
                c[0] += size
                c[1] += count
        for tid, (size, count) in cur.items():
            prev = last.get(tid)
            if prev is None or prev[0] != size:
                last[tid] = (size, count)
                changed.append([tid, size, count])
        for tid in [k for k in last if k not in cur]:
            del last[tid]
            changed.append([tid, 0, 0])
        out.write(json.dumps({"k": "snap", "t": time.time() * 1000.0, "traced": traced, "peak": peak, "s": changed}) + "\n")
        out.flush()
        # a snapshot costs time in proportion to the live objects (seconds for millions): space
        # them out so they take at most ~10% of the run
        state["cost"] = time.time() - t0

def _pyprof_loop(state):
    while not state["done"]:
        time.sleep(max(state["interval"], 9 * state["cost"]))
        try:
            _pyprof_snapshot(state)
        except Exception:
            return
`;

// Setup, error reporting and the final snapshot, compiled under the pseudo file name too.
const SETUP_CODE = String.raw`
import sys, os, time, json, threading, tracemalloc, types

def _pyprof_is_boot(f):
    return f == STATE["boot"] or f.endswith(("runpy.py", "<frozen runpy>"))

def setup(boot):
    out_path, interval_ms, nframes = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    args = sys.argv[4:]
    STATE.update({
        "lock": threading.Lock(), "done": False, "tbs": {}, "last": {}, "cost": 0.0,
        "interval": interval_ms / 1000.0, "boot": os.path.abspath(boot), "tmfile": tracemalloc.__file__,
    })
    STATE["out"] = open(out_path, "a")
    STATE["out"].write(json.dumps({"k": "start", "t": time.time() * 1000.0, "python": sys.version.split()[0], "nframes": nframes}) + "\n")
    STATE["out"].flush()
    main = types.ModuleType("__main__")
    main.__builtins__ = __builtins__
    if args[0] == "-m":
        # as python -m does: the module's code runs as __main__, sys.path[0] is the working directory
        import runpy
        sys.path[0] = os.getcwd()
        _name, spec, code = runpy._get_module_details(args[1])
        main.__file__ = spec.origin
        main.__spec__ = spec
        main.__loader__ = spec.loader
        main.__package__ = spec.parent
        sys.argv = [spec.origin] + args[2:]
    else:
        path = os.path.abspath(args[0])
        sys.path[0] = os.path.dirname(path)
        with open(path, "rb") as f:
            code = compile(f.read(), args[0], "exec", dont_inherit=True)
        main.__file__ = args[0]
        sys.argv = args
    sys.modules["__main__"] = main
    threading.Thread(target=_pyprof_loop, args=(STATE,), name=THREAD_NAME, daemon=True).start()
    tracemalloc.start(nframes)
    return code, main.__dict__

def finish():
    _pyprof_snapshot(STATE, True)

def report(e):
    _pyprof_snapshot(STATE, True)
    # report it as python script.py would: without the bootstrap and runpy frames
    tb = e.__traceback__
    while tb is not None and _pyprof_is_boot(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    sys.excepthook(type(e), e.with_traceback(tb), tb)
    sys.exit(130 if isinstance(e, KeyboardInterrupt) else 1)
`;

// The module itself stays tiny, with the program's exec near the start of its code: tracemalloc
// computes the line of EVERY frame of EVERY allocation by walking that frame's line table up to
// the current instruction, so this frame (under every stack of the program) must be cheap. Each
// extra frame costs too (measured on 3.13: runpy's four frames made the fixture 2-3x slower).
const BOOTSTRAP = String.raw`
_p = {"THREAD_NAME": THREAD_NAME, "PSEUDO": PSEUDO, "STATE": {}}
exec(compile(SNAPSHOT_CODE + SETUP_CODE, PSEUDO, "exec"), _p)
_c, _g = _p["setup"](__file__)
try:
    exec(_c, _g)
except SystemExit:
    _p["finish"]()
    raise
except BaseException as _e:
    _p["report"](_e)
_p["finish"]()
`;

/** The bootstrap's source, ready to write to a `.py` file. */
export function tracemallocBootstrapSource(): string {
  return (
    `# pyprof: runs a program under tracemalloc (record --memory=tracemalloc); generated, safe to delete\n` +
    `PSEUDO = ${JSON.stringify(TRACEMALLOC_PSEUDO_FILE)}\n` +
    `THREAD_NAME = ${JSON.stringify(TRACEMALLOC_THREAD_NAME)}\n` +
    `SNAPSHOT_CODE = ${JSON.stringify(SNAPSHOT_CODE)}\n` +
    `SETUP_CODE = ${JSON.stringify(SETUP_CODE)}\n` +
    BOOTSTRAP
  );
}
