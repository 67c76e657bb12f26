// `pyprof record --memory=tracemalloc -- python script.py`: the program is started through the
// tracemalloc bootstrap (src/engine/tracemallocBootstrap.ts) instead of directly, and is sampled as
// usual. This module prepares that: it checks the command, writes the bootstrap into a private
// temporary folder, rewrites the command line, hides the bootstrap from the sampled stacks (its
// runpy frames at the root, its snapshot thread), and at the end maps the snapshot statistics into
// the profile (exact per-line allocated / freed bytes) plus an RSS timeline read from outside.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RssReader } from '../engine/memory';
import type { RecorderHook } from '../engine/recorder';
import { applyTracemalloc, readTracemallocStats } from '../engine/tracemalloc';
import { TRACEMALLOC_PSEUDO_FILE, TRACEMALLOC_THREAD_NAME, tracemallocBootstrapSource } from '../engine/tracemallocBootstrap';
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
  /** Snapshot period in the target (the bootstrap backs off when snapshots get expensive). */
  intervalMs?: number;
  /** Frames kept per allocation traceback (tracemalloc.start(nframes)). */
  nframes?: number;
}

const BOOTSTRAP_FRAMES = 1; // the bootstrap's module frame (runpy's too with -m: then a little less depth)

export class TracemallocSession {
  readonly commandLine: string[];
  readonly originalCommand: string;
  private readonly dir: string;
  private readonly bootstrap: string;
  private readonly statsFile: string;
  private rootPid = 0;
  private builder: ProfileBuilder | undefined;

  constructor(commandLine: readonly string[], opts: TracemallocOptions = {}) {
    const [python, ...rest] = commandLine;
    if (!python || !/python/i.test(path.basename(python))) {
      throw new UsageError(`--memory=tracemalloc needs a Python interpreter command (-- python script.py args…), got '${python ?? ''}'`);
    }
    const isModule = rest[0] === '-m' && rest.length >= 2;
    if (!isModule && (rest.length === 0 || rest[0].startsWith('-'))) {
      throw new UsageError('--memory=tracemalloc runs `python script.py args…` or `python -m module args…` (no other interpreter options)');
    }
    this.originalCommand = commandLine.join(' ');
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-tracemalloc-'));
    this.bootstrap = path.join(this.dir, 'pyprof_tracemalloc_bootstrap.py');
    this.statsFile = path.join(this.dir, 'stats.jsonl');
    fs.writeFileSync(this.bootstrap, tracemallocBootstrapSource());
    fs.writeFileSync(this.statsFile, '');
    const nframes = Math.max(1, Math.floor(opts.nframes ?? 16)) + BOOTSTRAP_FRAMES;
    this.commandLine = [python, this.bootstrap, this.statsFile, String(opts.intervalMs ?? 100), String(nframes), ...rest];
  }

  /** Call once the recorder exists: its builder gets the allocation stacks at the end. */
  bind(builder: ProfileBuilder, rootPid: number): void {
    this.builder = builder;
    this.rootPid = rootPid;
  }

  /** The program's stacks as `python script.py` would show them: no bootstrap, no snapshot thread. */
  filterSnapshot(pid: number, snap: Snapshot): Snapshot {
    if (pid !== this.rootPid) return snap;
    const threads = snap.threads
      // the snapshot thread, and the main thread while it takes the final snapshot, are our time
      .filter((t) => t.name !== TRACEMALLOC_THREAD_NAME && !t.frames.some((f) => f.file === TRACEMALLOC_PSEUDO_FILE))
      .map((t) => {
        let end = t.frames.length; // frames are innermost first: the bootstrap is at the end
        while (end > 0 && this.isBootstrapFrame(t.frames[end - 1].file)) end--;
        return end === t.frames.length ? t : { ...t, frames: t.frames.slice(0, end) };
      });
    return { ...snap, threads };
  }

  private isBootstrapFrame(file: string): boolean {
    return file === this.bootstrap || file.endsWith('runpy.py') || file === '<frozen runpy>';
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
      notes.push('memory (tracemalloc): the program wrote no snapshot (it ended before tracemalloc started, or was killed)');
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

  /** Removes the temporary folder (bootstrap + statistics). */
  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
