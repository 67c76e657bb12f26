// The Python side of `record --memory=tracemalloc`: a `sitecustomize` module the CLI writes to a
// private temporary folder put first on PYTHONPATH, with its settings in the environment variable
// below. CPython imports sitecustomize at start-up (site.py), before the program: it starts
// tracemalloc and a daemon thread that appends snapshot statistics to the statistics file as JSON
// lines, periodically and once more at exit (atexit). The program itself then runs exactly as the
// user's command says (`python script.py`, `-m module`, `-c code`, any other options): its
// sys.argv, sys.path, __main__, output, traceback and exit code are Python's own, and no extra frame
// sits under its stacks (an exec'ing bootstrap frame cost ~20% more: tracemalloc computes every
// frame's line on every allocation). The module then removes itself from sys.path and PYTHONPATH,
// takes the variable out of the environment (child processes are not traced), and runs the
// environment's own sitecustomize (Debian ships one) if there is one. Kept as a string (not a file
// under dist/) so the bundled CLI needs no resource lookup; the engine never runs it itself.
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
/** Environment variable carrying the settings: JSON {"out": statsFile, "interval_ms": N, "nframes": N}. */
export const TRACEMALLOC_ENV = 'PYPROF_TRACEMALLOC';

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
        # Collect each group's sizes in a list and sum() them in C: adding them up in Python makes
        # a new int per trace, and while tracing is on each of those is traced with its stack
        # (316k traces on 3.13: 1.0 s that way, 0.04 s this way).
        raw = getattr(getattr(snap, "traces", None), "_traces", None)
        if raw is not None:
            groups = defaultdict(list)
            for tr in raw:
                groups[tr[2]].append(tr[1])
            items = [(tuple(reversed(k)), sum(sizes), len(sizes)) for k, sizes in groups.items()]  # raw: innermost first
            groups = None
        else:
            items = [(tuple((f.filename, f.lineno) for f in st.traceback), st.size, st.count) for st in snap.statistics("traceback")]
        for frames, size, count in items:
            # the profiler's own allocations (this code, tracemalloc itself) never show
            if not frames or frames[-1][0] == state["tmfile"] or any(f[0] == PSEUDO for f in frames):
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

def _pyprof_orphaned(state):
    # Nobody reads the statistics any more (the recorder that started us was killed: we were
    # reparented): stop tracing, so the program runs at full speed again, and remove the recorder's
    # private folder instead of appending to it for ever.
    with state["lock"]:
        if state["done"]:
            return
        state["done"] = True
        tracemalloc.stop()
        try:
            state["out"].close()
        except Exception:
            pass
    import shutil
    shutil.rmtree(state["dir"], ignore_errors=True)

def _pyprof_loop(state):
    while not state["done"]:
        time.sleep(max(state["interval"], 9 * state["cost"]))
        if os.getppid() != state["ppid"]:
            _pyprof_orphaned(state)
            return
        try:
            _pyprof_snapshot(state)
        except Exception:
            return
`;

// Start-up and exit, compiled under the pseudo file name too.
const SETUP_CODE = String.raw`
import sys, os, time, json, threading, tracemalloc
from collections import defaultdict

def _pyprof_finish():
    if os.getpid() == STATE["pid"] and os.getppid() == STATE["ppid"]:  # a fork()ed child inherits atexit handlers: not its job; nor an orphan's
        _pyprof_snapshot(STATE, True)

def setup(settings):
    STATE.update({
        "lock": threading.Lock(), "done": False, "tbs": {}, "last": {}, "cost": 0.0, "pid": os.getpid(),
        "interval": float(settings["interval_ms"]) / 1000.0, "tmfile": tracemalloc.__file__,
        "ppid": os.getppid(), "dir": os.path.dirname(settings["out"]),
    })
    # the CLI created the file; append to it, never through a symlink put in its place
    STATE["out"] = os.fdopen(os.open(settings["out"], os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)), "a")
    nframes = int(settings["nframes"])
    STATE["out"].write(json.dumps({"k": "start", "t": time.time() * 1000.0, "python": sys.version.split()[0], "nframes": nframes}) + "\n")
    STATE["out"].flush()
    import atexit
    atexit.register(_pyprof_finish)  # registered first, so it runs after the program's own handlers
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=tracemalloc.stop)  # a forked worker is not the program
    threading.Thread(target=_pyprof_loop, args=(STATE,), name=THREAD_NAME, daemon=True).start()
    tracemalloc.start(nframes)
`;

// sitecustomize itself: undo its own traces in the environment, chain to the real sitecustomize,
// then start. Any failure is reported on stderr and the program still runs, untraced.
const SITECUSTOMIZE = String.raw`
import os as _os, sys as _sys

def _pyprof_main():
    here = _os.path.dirname(_os.path.abspath(__file__))
    settings = _os.environ.pop(ENV, None)
    _sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or _os.curdir) != here]
    rest = [p for p in _os.environ.get("PYTHONPATH", "").split(_os.pathsep) if p and _os.path.abspath(p) != here]
    if rest:
        _os.environ["PYTHONPATH"] = _os.pathsep.join(rest)
    else:
        _os.environ.pop("PYTHONPATH", None)
    try:
        import importlib.machinery, importlib.util
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", _sys.path)
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            _sys.modules["sitecustomize"] = module  # the import system returns what is here at the end
            spec.loader.exec_module(module)
    except Exception as err:  # what site.py itself says when a sitecustomize fails
        _sys.stderr.write("Error in sitecustomize; set PYTHONVERBOSE for traceback:\n%s: %s\n" % (err.__class__.__name__, err))
    if settings is None:
        return
    import json
    scope = {"THREAD_NAME": THREAD_NAME, "PSEUDO": PSEUDO, "STATE": {}}
    exec(compile(SNAPSHOT_CODE + SETUP_CODE, PSEUDO, "exec"), scope)
    scope["setup"](json.loads(settings))

try:
    _pyprof_main()
except Exception as _e:
    _sys.stderr.write("pyprof: tracemalloc could not start: %r\n" % (_e,))
del _pyprof_main
`;

/** The sitecustomize module's source, ready to write to `<dir>/sitecustomize.py`. */
export function tracemallocSitecustomizeSource(): string {
  return (
    `# pyprof: starts tracemalloc for record --memory=tracemalloc; generated, safe to delete\n` +
    `ENV = ${JSON.stringify(TRACEMALLOC_ENV)}\n` +
    `PSEUDO = ${JSON.stringify(TRACEMALLOC_PSEUDO_FILE)}\n` +
    `THREAD_NAME = ${JSON.stringify(TRACEMALLOC_THREAD_NAME)}\n` +
    `SNAPSHOT_CODE = ${JSON.stringify(SNAPSHOT_CODE)}\n` +
    `SETUP_CODE = ${JSON.stringify(SETUP_CODE)}\n` +
    SITECUSTOMIZE
  );
}
