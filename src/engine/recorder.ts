// Snapshots → Profile. The recorder aggregates every thread's stack into the ProfileBuilder's
// call-site trie (one node per distinct call site, frames interned) and keeps the timeline as
// runs packed in a byte stream (CompactTimeline: about 5 bytes a run at 1 kHz), or no timeline at
// all when the output format has no use for one: memory grows with the number of distinct stacks,
// and by a few bytes a sample at most with the length of the recording. It keeps its own numeric lookup tables in front of the builder's string-keyed
// interning: at 10 kHz with deep stacks, building a string key per frame per sample would dominate.
//
// Extension point: hooks (e.g. memory mode) see each recorded thread sample and can add to it
// (StackSample.allocBytes/freedBytes, Profile.memory) without touching the sampling loop.

import { Profile, ProfileBuilder, ProfileMeta, StackSample, TIMELINE_CAP } from '../profile/model';
import { CompactTimeline } from './timeline';
import type { Snapshot, ThreadStack } from './types';

export interface RecorderOptions {
  rateHz: number;
  /** `--threads`: each thread becomes a root frame, so merged views (collapsed, flame graph) keep threads apart. */
  threadRoots?: boolean;
  /** `--subprocesses`: each process becomes the outermost root frame. */
  processRoots?: boolean;
  /** Wall-clock start (ms since epoch); timeline times are relative to it. Defaults to the first snapshot. */
  startTime?: number;
  /**
   * Keep the chronological timeline (default true). Formats that only show aggregated stacks
   * (collapsed, pprof) need none: then a sample costs no memory beyond its stack's counter.
   */
  timeline?: boolean;
  /**
   * `--idle`: a thread with no Python frames (a native worker, a thread blocked in C before or
   * after running Python) is recorded under a `<no Python frames>` leaf, so every thread's wall
   * time is in the profile. Otherwise such samples have nothing to attribute and are skipped.
   */
  framelessThreads?: boolean;
}

/** The leaf recorded for a thread sampled with no Python frame on its stack. */
export const NO_PYTHON_FRAMES = '<no Python frames>';

export interface ThreadSampleContext {
  builder: ProfileBuilder;
  /** The aggregated (thread, leaf) entry this sample was added to. */
  sample: StackSample;
  stack: ThreadStack;
  pid: number;
  /** ms from the recording start */
  t: number;
}

/** Optional extensions (memory mode and the like). All members optional. */
export interface RecorderHook {
  /** After a snapshot of one process was recorded (threads already filtered by the sampler). */
  onSnapshot?(pid: number, snapshot: Snapshot, recorder: Recorder): void;
  /** For every thread sample added to the profile. */
  onThreadSample?(ctx: ThreadSampleContext): void;
  /** Last chance to add to the profile before it is returned. */
  onFinish?(profile: Profile): void;
}

/** A recorded thread, and its last stack: the frames array it came as, its leaf node and (thread, leaf) sample. */
interface ThreadEntry {
  thread: number;
  root: number;
  name: string;
  frames: readonly unknown[] | undefined;
  leaf: number;
  sample: StackSample | undefined;
}

const LINE_SPAN = 2 ** 21; // node child key = frameId * LINE_SPAN + line; lines above this are clamped

export class Recorder {
  readonly builder: ProfileBuilder;
  private readonly opts: RecorderOptions;
  private readonly hooks: RecorderHook[];
  /** file → name → firstLine → frame id */
  private readonly frameIndex = new Map<string, Map<string, Map<number, number>>>();
  /** children of node n live at childIndex[n + 1] (index 0 is the virtual root, parent -1) */
  private readonly childIndex: Array<Map<number, number> | undefined> = [];
  private readonly threadIndex = new Map<number, Map<number, ThreadEntry>>();
  private readonly processRoot = new Map<number, number>();
  private readonly commands = new Map<number, string>();
  private startTime: number | undefined;
  private samples = 0;
  private errors = 0;
  private threadSamples = 0;
  private readonly notes: string[] = [];
  private readonly timeline: CompactTimeline | undefined;

  constructor(meta: Partial<ProfileMeta>, opts: RecorderOptions, hooks: RecorderHook[] = []) {
    this.opts = opts;
    this.hooks = hooks;
    this.startTime = opts.startTime;
    this.timeline = opts.timeline === false ? undefined : new CompactTimeline(TIMELINE_CAP);
    this.builder = new ProfileBuilder({
      source: 'pyprof',
      mode: 'sampling',
      unit: 'samples',
      ...meta,
      rateHz: opts.rateHz,
    });
  }

  /** Names a process (for its root frame with --subprocesses). Call before its first snapshot. */
  addProcess(pid: number, command: string): void {
    this.commands.set(pid, command);
  }

  /** Records one snapshot of process `pid`. Counts as one sample even when no thread qualifies. */
  addSnapshot(pid: number, snapshot: Snapshot): void {
    if (this.startTime === undefined) this.startTime = snapshot.time;
    const t = Math.max(0, snapshot.time - this.startTime);
    this.samples++;
    if (snapshot.pausedAfterTorn) this.pausedReads++;
    for (const stack of snapshot.threads) {
      const entry = this.threadFor(pid, stack);
      const { thread, root } = entry;
      let sample: StackSample;
      let leaf: number;
      if (stack.frames === entry.frames && entry.sample) {
        // the walker hands out the same (immutable) frames array while a thread's stack is
        // unchanged: a waiting thread costs one comparison, not a walk of its stack
        leaf = entry.leaf;
        sample = entry.sample;
        sample.weight += 1;
      } else {
        leaf = this.internFrames(root, stack);
        if (leaf < 0) {
          if (!this.opts.framelessThreads) continue; // a thread with no Python frames (e.g. just started) has nothing to attribute
          leaf = this.child(root, this.frameId(NO_PYTHON_FRAMES, '', 0), 0);
        }
        if (leaf === entry.leaf && entry.sample) (sample = entry.sample).weight += 1;
        else sample = this.builder.addSample(thread, leaf, 1);
        entry.frames = stack.frames;
        entry.leaf = leaf;
        entry.sample = sample;
      }
      this.timeline?.add(thread, leaf, t);
      this.threadSamples++;
      for (const h of this.hooks) h.onThreadSample?.({ builder: this.builder, sample, stack, pid, t });
    }
    for (const h of this.hooks) h.onSnapshot?.(pid, snapshot, this);
  }

  /** Samples read with the target paused because every read while it ran tore (SnapshotOptions.pauseWhenTorn). */
  pausedReads = 0;

  /** A failed or torn sample: dropped and counted. */
  addError(): void {
    this.errors++;
  }

  /**
   * The profile note for dropped samples (record, the sampler worker, a replayed journal): how many
   * of all attempts, and what that does to the profile. Torn reads (the stack changed while it was
   * read: frames of CPython ≤ 3.10 are heap objects recycled under the reader) are retried at once;
   * the ones still dropped are samples of code whose stack changes within microseconds, which is
   * under-weighted by that share. By default the sampler reads such a sample again with the target
   * paused (SnapshotOptions.pauseWhenTorn) and only --nonblocking drops it: measured on
   * bench/fixtures/torn_churn.py, 23-46 % dropped with --nonblocking on 3.8/3.10, mean sampled depth
   * 20-47 % below --blocking; by default none dropped, depth within 3-12 % (`npm run bench -- --only=torn`).
   */
  droppedNote(): string | undefined {
    const attempts = this.samples + this.errors;
    const paused = this.pausedReads > 0
      ? `${this.pausedReads} of ${attempts} samples (${((100 * this.pausedReads) / attempts).toFixed(1)} %) were read with the program paused ` +
        'for that one read (ptrace, resumed at once), because its stack changed faster than it could be read while running ' +
        '(tight recursion, many tiny calls; CPython 3.10 and older mostly); --nonblocking never pauses and drops those samples instead'
      : undefined;
    if (this.errors === 0) return paused;
    const pct = ((100 * this.errors) / attempts).toFixed(1);
    const dropped = `${this.errors} of ${attempts} samples (${pct} %) were dropped (torn or failed reads): the stack changed while it was read, ` +
      'so code whose stack changes within microseconds (tight recursion, many tiny calls; CPython 3.10 and older mostly) is under-weighted by about that share. ' +
      '--blocking pauses the program for each read and reads exact stacks';
    return paused ? `${paused}. ${dropped}` : dropped;
  }

  addNote(note: string): void {
    if (!this.notes.includes(note)) this.notes.push(note);
  }

  get sampleCount(): number {
    return this.samples;
  }
  get errorCount(): number {
    return this.errors;
  }
  /** Distinct processes and threads that contributed stacks. */
  get processCount(): number {
    return this.threadIndex.size;
  }
  get threadCount(): number {
    let n = 0;
    for (const byTid of this.threadIndex.values()) n += byTid.size;
    return n;
  }
  /** Thread stacks attributed so far (a sample of a 3-thread process can add 3). */
  get threadSampleCount(): number {
    return this.threadSamples;
  }

  /**
   * Completes meta (counts, duration, notes) and returns the profile. `measuredRateHz` (the
   * sampler's ticks per second actually sampled) replaces the asked rate as what one sample is
   * worth, so every duration derived from sample counts is measured time.
   */
  finish(durationMs: number, extraMeta: Partial<ProfileMeta> = {}, measuredRateHz?: number): Profile {
    const profile = this.builder.finish();
    if (this.timeline) {
      profile.timeline = this.timeline.runs();
      if (this.timeline.truncated) profile.meta.timelineTruncated = true;
    }
    if (measuredRateHz !== undefined && measuredRateHz > 0 && Number.isFinite(measuredRateHz)) {
      profile.meta.requestedRateHz = this.opts.rateHz;
      profile.meta.rateHz = measuredRateHz;
    }
    Object.assign(profile.meta, extraMeta, {
      startTime: profile.meta.startTime ?? this.startTime,
      durationMs,
      sampleCount: this.samples,
      errorCount: this.errors,
      notes: [...(profile.meta.notes ?? []), ...this.notes],
    });
    for (const h of this.hooks) h.onFinish?.(profile);
    return profile;
  }

  private threadFor(pid: number, stack: ThreadStack): ThreadEntry {
    let byTid = this.threadIndex.get(pid);
    if (!byTid) this.threadIndex.set(pid, (byTid = new Map()));
    const known = byTid.get(stack.tid);
    if (known) {
      if (stack.name && stack.name !== known.name) {
        this.builder.internThread(stack.tid, stack.name, pid); // names appear late
        known.name = stack.name;
      }
      return known;
    }
    const thread = this.builder.internThread(stack.tid, stack.name, pid);
    let root = -1;
    if (this.opts.processRoots) root = this.processNode(pid);
    if (this.opts.threadRoots) {
      const label = `thread ${stack.tid}${stack.name ? ` "${stack.name}"` : ''}`;
      root = this.child(root, this.frameId(label, '', 0), 0);
    }
    const entry: ThreadEntry = { thread, root, name: stack.name, frames: undefined, leaf: -1, sample: undefined };
    byTid.set(stack.tid, entry);
    return entry;
  }

  private processNode(pid: number): number {
    let node = this.processRoot.get(pid);
    if (node === undefined) {
      const cmd = this.commands.get(pid) ?? '';
      const label = `process ${pid}${cmd ? `: ${cmd.length > 80 ? cmd.slice(0, 77) + '...' : cmd}` : ''}`;
      node = this.child(-1, this.frameId(label, '', 0), 0);
      this.processRoot.set(pid, node);
    }
    return node;
  }

  /** Walks the thread's frames outermost-first from `root`; returns the leaf node (or -1 when empty). */
  private internFrames(root: number, stack: ThreadStack): number {
    const frames = stack.frames;
    if (frames.length === 0) return -1;
    let node = root;
    for (let i = frames.length - 1; i >= 0; i--) {
      const f = frames[i];
      node = this.child(node, this.frameId(f.name, f.file, f.firstLine), f.line);
    }
    return node;
  }

  private frameId(name: string, file: string, firstLine: number): number {
    let byName = this.frameIndex.get(file);
    if (!byName) this.frameIndex.set(file, (byName = new Map()));
    let byLine = byName.get(name);
    if (!byLine) byName.set(name, (byLine = new Map()));
    let id = byLine.get(firstLine);
    if (id === undefined) {
      id = this.builder.internFrame(name, file, firstLine);
      byLine.set(firstLine, id);
    }
    return id;
  }

  private child(parent: number, frame: number, line: number): number {
    const slot = parent + 1;
    let kids = this.childIndex[slot];
    if (!kids) this.childIndex[slot] = kids = new Map();
    const l = line > 0 ? Math.min(line, LINE_SPAN - 1) : 0;
    const key = frame * LINE_SPAN + l;
    let id = kids.get(key);
    if (id === undefined) {
      id = this.builder.internNode(parent, frame, l);
      kids.set(key, id);
    }
    return id;
  }
}
