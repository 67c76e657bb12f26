// `pyprof record --pyroscope URL --app NAME`: the continuous-profiling agent. Samples without end
// (or for --duration) and sends one pprof per upload window to Pyroscope's ingest API (POST /ingest,
// ingest.ts) or, with --pyroscope-api connect, its Connect push API (push.ts); either way through
// the same outbox, retries and spool.
//
// Memory stays flat however long it runs: each window is its own Recorder (no timeline), encoded
// and dropped when the window closes, so the agent holds one window's distinct stacks plus the
// outbox (a bounded number of encoded profiles in memory, the rest in a capped spool directory).
// SIGINT/SIGTERM end sampling, close the last (partial) window and flush within --flush-timeout;
// what could not be sent is spooled for the next run. Every drop is counted and reported.

import * as os from 'os';
import * as path from 'path';
import { randomUUID } from 'crypto';
import { attach } from '../engine';
import { Recorder } from '../engine/recorder';
import { Sampler } from '../engine/sampler';
import { trimMallocPeriodically } from '../engine/native/mallocArenas';
import type { SampleOptions } from '../engine/types';
import { exportPprof } from '../profile/formats/pprof';
import { formatCount } from '../profile/summary';
import { resolveAuth, PyroscopeConfigError } from '../pyroscope/auth';
import { checkAppName, IngestTarget, parseServerUrl, parseTag, sendProfile, seriesName, WindowProfile } from '../pyroscope/ingest';
import { DropReason, Outbox } from '../pyroscope/spool';
import { pushProfile, PUSH_PATH } from '../pyroscope/push';
import { Uploader } from '../pyroscope/uploader';
import { UsageError } from './args';
import { endLaunched, onInterrupt, openTarget } from './target';
import { exitStatusOf } from './launchOutcome';
import { ChildExit, CommandEndedError } from '../engine/launch';

/** The sampler's own options (types.ts documents them) plus where and how to send the profiles. */
export interface PyroscopeRecordOptions extends Pick<SampleOptions, 'rate' | 'duration' | 'gil' | 'idle' | 'subprocesses' | 'blocking' | 'nonblocking'> {
  pid?: number;
  async: boolean;
  quiet: boolean;
  server: string;
  /** Which of the server's write APIs: /ingest (default) or the Connect push.v1.PusherService/Push. */
  api: PyroscopeApi;
  app?: string;
  tags: string[];
  tenant?: string;
  authTokenFile?: string;
  uploadIntervalS: number;
  uploadTimeoutS: number;
  flushTimeoutS: number;
  spoolDir?: string;
  spoolMaxMb: number;
  memoryProfiles: number;
  backoffMaxS: number;
}

export const PYROSCOPE_APIS = ['ingest', 'connect'] as const;
export type PyroscopeApi = (typeof PYROSCOPE_APIS)[number];

/** Default spool: per user, outside any shared directory. */
export function defaultSpoolDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(cache, 'pyprof', 'pyroscope-spool');
}

/** One upload window: its own aggregation, freed once encoded. */
class UploadWindows {
  private recorder!: Recorder;
  private startMs = 0;
  private ticksAtStart = 0;
  readonly commands = new Map<number, string>();
  windows = 0;
  emptyWindows = 0;
  /** Thread stacks in the windows queued for sending (the pprof samples/count values add up to it). */
  stacks = 0;

  constructor(private readonly o: PyroscopeRecordOptions, private readonly name: string) {}

  open(nowMs: number, ticks: number): void {
    this.startMs = nowMs;
    this.ticksAtStart = ticks;
    this.recorder = new Recorder(
      { startTime: nowMs },
      { rateHz: this.o.rate, processRoots: this.o.subprocesses, framelessThreads: this.o.idle, startTime: nowMs, timeline: false },
    );
    for (const [pid, cmd] of this.commands) this.recorder.addProcess(pid, cmd);
  }

  get current(): Recorder {
    return this.recorder;
  }

  addProcess(pid: number, command: string): void {
    this.commands.set(pid, command);
    this.recorder.addProcess(pid, command);
  }

  /** Closes the window (measured rate: ticks over the clock's elapsed time) and opens the next. */
  rotate(nowMs: number, ticks: number): WindowProfile | undefined {
    const r = this.recorder;
    const elapsedMs = Math.max(1, nowMs - this.startMs);
    const rate = ((ticks - this.ticksAtStart) * 1000) / elapsedMs;
    const fromMs = this.startMs;
    this.open(nowMs, ticks);
    this.windows++;
    if (r.threadSampleCount === 0 || !(rate > 0)) {
      this.emptyWindows++; // nothing running was sampled: nothing to show, nothing to send
      return undefined;
    }
    this.stacks += r.threadSampleCount;
    const profile = r.finish(elapsedMs, {}, rate);
    return { name: this.name, fromMs, untilMs: nowMs, sampleRate: rate, body: exportPprof(profile), id: randomUUID() };
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export async function recordPyroscope(commandLine: string[], o: PyroscopeRecordOptions): Promise<number> {
  let server: URL;
  let name: string;
  let auth: ReturnType<typeof resolveAuth>;
  try {
    server = parseServerUrl(o.server);
    if (o.app === undefined) throw new PyroscopeConfigError('--pyroscope needs --app NAME (the service name the server files the profiles under)');
    name = seriesName(checkAppName(o.app), o.tags.map(parseTag));
    auth = resolveAuth({ env: process.env, tokenFile: o.authTokenFile, tenant: o.tenant });
  } catch (e) {
    if (e instanceof PyroscopeConfigError) throw new UsageError(e.message);
    throw e;
  }
  const err = (line: string) => process.stderr.write(`pyprof: pyroscope: ${line}\n`);
  const info = (line: string) => {
    if (!o.quiet) err(line);
  };
  const outbox = new Outbox({
    memoryItems: o.memoryProfiles,
    spoolDir: o.spoolDir ?? defaultSpoolDir(),
    spoolMaxBytes: Math.round(o.spoolMaxMb * 1024 * 1024),
    onDrop: (reason: DropReason, p, totals) =>
      err(`dropped the profile of ${p.name} from ${p.fromMs ? clock(p.fromMs) : '?'} (${formatBytes(p.bytes)}): ${dropText(reason)}; ${totals.count} dropped so far`),
  });
  if (outbox.spoolProblem) err(`warning: ${outbox.spoolProblem}; profiles wait in memory only (${o.memoryProfiles} at most)`);
  if (outbox.recovered > 0) info(`found ${outbox.recovered} profiles an earlier run left in the spool; sending them first`);
  const target: IngestTarget = { server, headers: auth.headers, timeoutMs: o.uploadTimeoutS * 1000 };
  const uploader = new Uploader(outbox, {
    send: o.api === 'connect' ? (p) => pushProfile(target, p) : (p) => sendProfile(target, p),
    backoffMinMs: Math.min(1000, o.uploadIntervalS * 1000),
    backoffMaxMs: o.backoffMaxS * 1000,
    onStatus: (ev) => {
      if (ev.type === 'failing') err(`cannot send to ${server.origin} (${ev.reason}); keeping profiles and retrying (${ev.queued} queued)`);
      else if (ev.type === 'recovered') err(`${server.origin} answers again after ${ev.afterFailures} failed attempts; ${ev.queued} profiles still queued`);
      else err(`the server refused a profile of ${ev.name} (${ev.reason}); it was dropped`);
    },
  });
  uploader.start();

  let stopSignal: NodeJS.Signals | undefined;
  let sampler: Sampler | undefined;
  const removeHandlers = onInterrupt((sig) => {
    stopSignal = sig;
    sampler?.stop();
  });
  let rotateTimer: NodeJS.Timeout | undefined;
  const stopMallocTrim = trimMallocPeriodically(); // an agent runs for days: see engine/native/mallocArenas.ts
  try {
    let opened: Awaited<ReturnType<typeof openTarget>>;
    try {
      opened = await openTarget(o.pid, commandLine);
    } catch (e) {
      if (e instanceof CommandEndedError) {
        process.stderr.write(`pyprof: ${e.message}; nothing sampled\n`);
        await uploader.flush(Date.now() + o.flushTimeoutS * 1000);
        return exitStatusOf(e.exit);
      }
      throw e;
    }
    const { info: pinfo } = opened.process;
    info(`sending ${pinfo.pid} (python ${pinfo.version}) as ${name} to ${server.href}${o.api === 'connect' ? PUSH_PATH : 'ingest'} every ${o.uploadIntervalS} s (${auth.description})`);
    const windows = new UploadWindows(o, name);
    windows.open(Date.now(), 0);
    windows.addProcess(pinfo.pid, opened.command);
    sampler = new Sampler(
      opened.process,
      { rate: o.rate, duration: o.duration, gil: o.gil, idle: o.idle, subprocesses: o.subprocesses, blocking: o.blocking, nonblocking: o.nonblocking, async: o.async },
      {
        onSnapshot: (pid, snap) => windows.current.addSnapshot(pid, snap),
        onError: () => windows.current.addError(),
        onProcessAdded: (p) => windows.addProcess(p.info.pid, p.info.commandLine),
        // forget its name for later windows: a service tree running for days starts many children
        onProcessExited: (pid) => windows.commands.delete(pid),
        onExec: (pid, ex) => {
          if (ex.followed) windows.addProcess(pid, ex.followed.info.commandLine);
        },
      },
      { attach },
    );
    if (stopSignal) sampler.stop();
    const s0 = sampler;
    const closeWindow = () => {
      const p = windows.rotate(Date.now(), s0.stats.ticks);
      if (p) outbox.push(p);
    };
    rotateTimer = setInterval(closeWindow, o.uploadIntervalS * 1000);
    const cpu0 = process.cpuUsage();
    const result = await sampler.run();
    const cpu = process.cpuUsage(cpu0);
    clearInterval(rotateTimer);
    closeWindow(); // the last, partial window
    sampler.close();
    let exit: ChildExit | undefined;
    if (result.reason === 'exited' && opened.launched) exit = await opened.launched.exit;
    await endLaunched(opened.launched, result.reason === 'stopped' ? 1000 : 0);

    const queued = outbox.size;
    if (queued > 0) info(`${stopSignal ? `stopped by ${stopSignal}; ` : ''}sending ${queued} queued profiles (up to ${o.flushTimeoutS} s)`);
    await uploader.flush(Date.now() + o.flushTimeoutS * 1000);
    const st = uploader.stats;
    const secs = result.stats.elapsedMs / 1000;
    const cpuShare = secs > 0 ? (cpu.user + cpu.system) / 1e6 / secs : 0;
    const d = outbox.dropped;
    const dropDetail = Object.entries(d.byReason).filter(([, n]) => n > 0).map(([r, n]) => `${n} ${r}`).join(', ');
    const line =
      `sent ${st.sent} profiles (${formatBytes(st.sentBytes)}) of ${windows.windows} windows${windows.emptyWindows ? ` (${windows.emptyWindows} with no samples, not sent)` : ''} over ${secs.toFixed(1)} s, ` +
      `${formatCount(result.stats.samples)} samples at ${result.stats.achievedRateHz.toFixed(0)} Hz, ${formatCount(windows.stacks)} thread stacks in the profiles; ` +
      `${st.failedAttempts} failed attempts; ${outbox.size} left in the spool${outbox.size ? ` (${o.spoolDir ?? defaultSpoolDir()}, sent by the next run)` : ''}; ` +
      `dropped ${d.count}${dropDetail ? ` (${dropDetail})` : ''}; sampler CPU ${(cpuShare * 100).toFixed(1)}% of one core`;
    // The totals are printed even with --quiet when anything was lost or left behind.
    if (!o.quiet || d.count > 0 || outbox.size > 0) err(line);
    return exit ? exitStatusOf(exit) : 0;
  } finally {
    stopMallocTrim();
    clearInterval(rotateTimer);
    removeHandlers();
  }
}

function dropText(reason: DropReason): string {
  switch (reason) {
    case 'overflow': return 'the queue and the spool are full (raise --spool-max-mb)';
    case 'rejected': return 'the server refused it';
    case 'shutdown': return 'it could neither be sent before the flush deadline nor spooled';
    case 'unreadable': return 'its spool file could not be read';
  }
}
