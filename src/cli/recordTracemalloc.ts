// `pyprof record --memory=tracemalloc -- python script.py`: the program is started with pyprof's
// tracemalloc sitecustomize (src/engine/tracemallocBootstrap.ts) first on PYTHONPATH, and is sampled
// as usual. This module prepares that: it checks the command, writes the module into a private
// temporary folder, builds the environment, hides the profiler's snapshot thread (and the exit
// snapshot) from the sampled stacks, and at the end maps the snapshot statistics into the profile
// (exact per-line allocated / freed bytes) plus an RSS timeline read from outside.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RssReader } from '../engine/memory';
import { createNamedExclusive } from '../files/safeFiles';
import { readStat } from '../engine/subprocesses';
import type { RecorderHook } from '../engine/recorder';
import { applyTracemalloc, readTracemallocStats } from '../engine/tracemalloc';
import { TRACEMALLOC_ENV, TRACEMALLOC_PSEUDO_FILE, TRACEMALLOC_THREAD_NAME, tracemallocSitecustomizeSource } from '../engine/tracemallocBootstrap';
import type { Snapshot } from '../engine/types';
import type { MemoryPoint, Profile, ProfileBuilder } from '../profile/model';
import { formatMemory } from '../profile/memoryStats';
import { UsageError } from './args';

export type MemoryMode = 'off' | 'rss' | 'tracemalloc';

/** `--memory` value → mode: absent → off, bare flag or `rss` → rss, `tracemalloc` → tracemalloc. */
export function memoryModeOf(v: boolean | string | undefined): MemoryMode {
  if (v === undefined || v === false) return 'off';
  if (v === true || v === 'rss') return 'rss';
  if (v === 'tracemalloc') return 'tracemalloc';
  throw new UsageError(`option '--memory' must be rss or tracemalloc (got '${v}')`);
}

export interface TracemallocOptions {
  /** Snapshot period in the target (the snapshot thread backs off when snapshots get expensive). */
  intervalMs?: number;
  /** Frames kept per allocation traceback (tracemalloc.start(nframes)). */
  nframes?: number;
}

/** Interpreter options that skip PYTHONPATH (-E, -I) or the site module (-S): sitecustomize never runs. */
function optionsSkippingSite(args: readonly string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-m' || a === '-c' || a === '-' || !a.startsWith('-') || a.startsWith('--')) break; // the program starts here
    if (a === '-X' || a === '-W') i++; // their value follows
    else if (/^-[A-Za-z]+$/.test(a) && /[EIS]/.test(a)) found.push(a);
  }
  return found;
}

const DIR_PREFIX = 'pyprof-tracemalloc-';
const OWNER_FILE = 'recorder';

/** "pid starttime": unique for a process's lifetime (a reused pid has another start time). */
function ownerTag(pid: number): string | undefined {
  const st = readStat(pid);
  return st ? `${pid} ${st.startTime}` : undefined;
}

/**
 * Removes the folders of recorders that died (killed before their cleanup ran): ours (same uid),
 * real directories (not symlinks), whose owner process is gone. Returns how many were removed.
 */
export function removeStaleSessionDirs(tmp = os.tmpdir()): number {
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(tmp).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return 0;
  }
  for (const name of names) {
    const dir = path.join(tmp, name);
    try {
      const st = fs.lstatSync(dir);
      if (!st.isDirectory() || st.uid !== process.getuid?.()) continue;
      const owner = fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim();
      const pid = Number(owner.split(' ')[0]);
      if (!(pid > 0) || ownerTag(pid) === owner) continue; // its recorder is still running
      fs.rmSync(dir, { recursive: true, force: true });
      removed++;
    } catch {
      /* no owner file (being created, or not ours to judge): leave it */
    }
  }
  return removed;
}

/** [major, minor] of the interpreter a command runs, or undefined when it cannot be asked (it is then launched and fails as any launch does). */
function pythonVersion(python: string, env: NodeJS.ProcessEnv): [number, number] | undefined {
  const r = spawnSync(python, ['-c', 'import sys; sys.stdout.write("%d.%d" % sys.version_info[:2])'], { env, encoding: 'utf8', timeout: 10_000 });
  const m = r.status === 0 ? /^(\d+)\.(\d+)$/.exec(r.stdout) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export class TracemallocSession {
  /** The launched program's environment: this process's, plus the sitecustomize and its settings. */
  readonly env: NodeJS.ProcessEnv;
  readonly originalCommand: string;
  private readonly dir: string;
  private readonly statsFile: string;
  private readonly sitecustomize: string;
  private rootPid = 0;
  private builder: ProfileBuilder | undefined;

  constructor(commandLine: readonly string[], opts: TracemallocOptions = {}, baseEnv: NodeJS.ProcessEnv = process.env) {
    const [python, ...rest] = commandLine;
    if (!python || !/python/i.test(path.basename(python))) {
      throw new UsageError(`--memory=tracemalloc needs a Python interpreter command (-- python script.py args…), got '${python ?? ''}'`);
    }
    const skipping = optionsSkippingSite(rest);
    if (skipping.length > 0) {
      throw new UsageError(`--memory=tracemalloc starts tracemalloc from a sitecustomize module, which '${skipping.join(' ')}' turns off (-E/-I ignore PYTHONPATH, -S skips site): drop ${skipping.length > 1 ? 'them' : 'it'}`);
    }
    const version = pythonVersion(python, baseEnv);
    if (version && (version[0] < 3 || (version[0] === 3 && version[1] < 4))) {
      throw new UsageError(`--memory=tracemalloc needs Python 3.4 or newer (tracemalloc), but '${python}' is Python ${version.join('.')}, which has no tracemalloc: use --memory (RSS, read from outside) instead`);
    }
    this.originalCommand = commandLine.join(' ');
    removeStaleSessionDirs();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
    // who owns the folder: a later run removes it if this recorder died without cleaning up
    createNamedExclusive(path.join(this.dir, OWNER_FILE), ownerTag(process.pid) ?? '');
    this.statsFile = path.join(this.dir, 'stats.jsonl');
    this.sitecustomize = path.join(this.dir, 'sitecustomize.py');
    // mkdtemp's folder is 0700 and ours alone; the files in it are still created exclusively
    createNamedExclusive(this.sitecustomize, tracemallocSitecustomizeSource());
    createNamedExclusive(this.statsFile, '');
    const settings = { out: this.statsFile, interval_ms: opts.intervalMs ?? 100, nframes: Math.max(1, Math.floor(opts.nframes ?? 16)) };
    this.env = {
      ...baseEnv,
      PYTHONPATH: baseEnv.PYTHONPATH ? `${this.dir}${path.delimiter}${baseEnv.PYTHONPATH}` : this.dir,
      [TRACEMALLOC_ENV]: JSON.stringify(settings),
    };
  }

  /** Call once the recorder exists: its builder gets the allocation stacks at the end. */
  bind(builder: ProfileBuilder, rootPid: number): void {
    this.builder = builder;
    this.rootPid = rootPid;
  }

  /** The program's stacks as `python script.py` would show them: without the profiler's snapshots. */
  filterSnapshot(pid: number, snap: Snapshot): Snapshot {
    if (pid !== this.rootPid) return snap;
    // the snapshot thread, the main thread while it takes the exit snapshot, and start-up while
    // our sitecustomize runs are the profiler's time, not the program's
    const ours = (file: string) => file === TRACEMALLOC_PSEUDO_FILE || file === this.sitecustomize;
    const threads = snap.threads.filter((t) => t.name !== TRACEMALLOC_THREAD_NAME && !t.frames.some((f) => ours(f.file)));
    return threads.length === snap.threads.length ? snap : { ...snap, threads };
  }

  /** Recorder hook: an RSS timeline (read from outside, no attribution) and, at the end, the statistics. */
  hook(): RecorderHook {
    let rss: RssReader | undefined;
    const points: MemoryPoint[] = [];
    let lastT = -Infinity;
    let startTime: number | undefined;
    return {
      onSnapshot: (pid, snap) => {
        if (pid !== this.rootPid) return;
        startTime ??= snap.time;
        const t = snap.time - startTime;
        if (t - lastT < 10) return; // ≤ 100 points a second is plenty for a chart
        rss ??= new RssReader(pid);
        const b = rss.read();
        if (b !== undefined) {
          points.push({ t, rssBytes: b });
          lastT = t;
        }
      },
      onFinish: (profile: Profile) => {
        rss?.close();
        if (points.length > 0) profile.memory = points;
        profile.meta.command = this.originalCommand;
        this.finish(profile);
      },
    };
  }

  private finish(profile: Profile): void {
    const notes = (profile.meta.notes ??= []);
    let text = '';
    try {
      text = fs.readFileSync(this.statsFile, 'utf8');
    } catch {
      /* reported below */
    }
    const run = readTracemallocStats(text);
    if (run.snapshots === 0 || !this.builder) {
      notes.push(
        /"k": ?"start"/.test(text)
          ? 'memory (tracemalloc): the program wrote no snapshot (it ended or was killed within the first snapshot interval)'
          : "memory (tracemalloc): tracemalloc never started in the program (its interpreter did not run pyprof's sitecustomize: a PYTHONPATH reset, or site disabled?)",
      );
      return;
    }
    const main = profile.threads.findIndex((t) => t.id === this.rootPid && (t.pid === undefined || t.pid === this.rootPid));
    const thread = main >= 0 ? main : this.builder.internThread(this.rootPid, 'MainThread', this.rootPid);
    const r = applyTracemalloc(this.builder, run, thread);
    notes.push(
      `memory (tracemalloc): ${formatMemory(r.allocated)} allocated and ${formatMemory(r.freed)} freed on ${r.stacks} allocation stacks ` +
        `(${run.snapshots} snapshots, peak traced ${formatMemory(run.peak)}); a release is charged to the line that allocated the block`,
    );
  }

  /** Removes the temporary folder (sitecustomize + statistics). */
  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
