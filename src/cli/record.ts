// `pyprof record`: sample a process (attached or launched) and write a profile file.

import * as fs from 'fs';
import * as path from 'path';
import { attach } from '../engine';
import type { PythonProcess } from '../engine';
import { describeCommand, EngineError } from '../engine/types';
import type { TargetProcess } from '../engine/types';
import { Recorder } from '../engine/recorder';
import { Sampler } from '../engine/sampler';
import type { Profile } from '../profile/model';
import { EXPORT_FORMATS, ExportFormat, exportProfile } from '../profile/formats';
import { formatCount, formatDuration } from '../profile/summary';
import {
  BLOCKING_OPTION, CliCommand, EVENTS_FD_OPTION, EVENTS_FILE_OPTION, flag, formatHelp, GIL_OPTION, IDLE_OPTION, NATIVE_OPTION, NONBLOCKING_OPTION, num,
  list, OptionSpec, ParsedArgs, parseArgs, PID_OPTION, RATE_OPTION, str, SUBPROCESSES_OPTION, UsageError,
} from './args';
import { EventSink, NO_EVENTS, openEvents } from './eventStream';
import { endLaunched, onInterrupt, openTarget, reportError } from './target';
import { recordTrace } from './recordTrace';
import { PYROSCOPE_APIS, PyroscopeApi, PyroscopeRecordOptions, recordPyroscope } from './recordPyroscope';
import { MemoryHook } from '../engine/memory';
import { JournalWriter } from '../engine/journal';
import { trimMallocPeriodically } from '../engine/native/mallocArenas';
import { writeFileAtomic } from '../files/safeFiles';
import { MemoryMode, TracemallocSession, memoryModeOf } from './recordTracemalloc';
import { formatTable, profileTopRows } from './topRows';
import { lateSamplesNote, priorityNote, rateWarning, underDeliveredNote } from './rateNotes';
import { exitStatusOf, ranProgramCode } from './launchOutcome';
import { leftOutNotes } from './leftOutNotes';
import { ChildExit, CommandEndedError } from '../engine/launch';
import { attachSourceDigests, readSourceFile } from '../profile/sourceDigest';
import { phase, phaseTimes } from './phaseTimes';

const OPTIONS: OptionSpec[] = [
  PID_OPTION,
  { name: 'output', alias: 'o', kind: 'string', arg: 'FILE', help: 'where to write the profile (default: pyprof-PID-TIME.<format extension>)' },
  { name: 'format', alias: 'f', kind: 'string', arg: 'FORMAT', help: `${EXPORT_FORMATS.map((f) => f.id).join(' | ')} (default speedscope; collapsed = flamegraph.pl / inferno stacks)` },
  RATE_OPTION,
  { name: 'duration', alias: 'd', kind: 'number', arg: 'SECONDS', min: 0, exclusiveMin: true, help: 'stop after this many seconds (default: until the target exits or Ctrl-C)' },
  GIL_OPTION,
  IDLE_OPTION,
  { name: 'threads', alias: 't', kind: 'flag', help: 'write each thread as the root frame of its stacks (collapsed; speedscope keeps threads apart anyway)' },
  SUBPROCESSES_OPTION,
  NATIVE_OPTION,
  BLOCKING_OPTION,
  NONBLOCKING_OPTION,
  EVENTS_FD_OPTION,
  EVENTS_FILE_OPTION,
  { name: 'quiet', alias: 'q', kind: 'flag', help: 'no progress line and no summary' },
  { name: 'async', alias: 'a', kind: 'flag', help: "asyncio: attribute an event loop thread's samples to the running task's async stack (task, its coroutines, the tasks awaiting it) instead of the loop's frames; with --idle the loop's idle time is one <asyncio: loop idle> frame (3.8-3.14)" },
  { name: 'memory', kind: 'flag', flagValues: ['rss', 'tracemalloc'], help: 'memory per line and over time. rss (default): read the resident set size with every sample (outside, cheap, page-level); tracemalloc: start the program under tracemalloc (launch only; exact Python allocations per line, slower target)' },
  { name: 'memory-frames', kind: 'int', arg: 'N', min: 1, help: 'with --memory=tracemalloc: frames kept per allocation stack (default 16). 1 keeps just the allocating line: exact bytes per line at about half the cost on 3.12+, but no per-caller totals' },
  { name: 'mode', alias: 'm', kind: 'string', arg: 'MODE', help: 'sample (default: read stacks from outside) or trace (run under cProfile: exact call counts, slower target)' },
  { name: 'pyroscope', kind: 'string', arg: 'URL', help: 'continuous profiling: send a pprof every --upload-interval to this Grafana Pyroscope server (POST /ingest) instead of writing a file; runs until the target exits, --duration or Ctrl-C/SIGTERM' },
  { name: 'pyroscope-api', kind: 'string', arg: 'API', help: 'with --pyroscope: ingest (POST /ingest, the default) or connect (push.v1.PusherService/Push, Connect protobuf)' },
  { name: 'app', kind: 'string', arg: 'NAME', help: 'with --pyroscope: the application (service_name) to file the profiles under' },
  { name: 'tag', kind: 'string', arg: 'KEY=VALUE', repeatable: true, help: 'with --pyroscope: a label on every profile (repeatable: --tag env=prod --tag region=eu)' },
  { name: 'tenant', kind: 'string', arg: 'ID', help: 'with --pyroscope: X-Scope-OrgID for a multi-tenant server (default: $PYROSCOPE_TENANT_ID). Credentials come from the environment: PYROSCOPE_AUTH_TOKEN[_FILE] or PYROSCOPE_BASIC_AUTH_USER + PYROSCOPE_BASIC_AUTH_PASSWORD[_FILE]' },
  { name: 'auth-token-file', kind: 'string', arg: 'FILE', help: 'with --pyroscope: read the bearer token from FILE' },
  { name: 'upload-interval', kind: 'number', arg: 'SECONDS', min: 0, exclusiveMin: true, help: 'with --pyroscope: one profile per this many seconds (default 10)' },
  { name: 'upload-timeout', kind: 'number', arg: 'SECONDS', min: 0, exclusiveMin: true, help: 'with --pyroscope: give up on one request after this long and retry later (default 30)' },
  { name: 'flush-timeout', kind: 'number', arg: 'SECONDS', min: 0, help: 'with --pyroscope: on exit, keep sending what is queued for at most this long, then spool the rest (default 10)' },
  { name: 'spool-dir', kind: 'string', arg: 'DIR', help: 'with --pyroscope: where profiles wait while the server is unreachable (default ~/.cache/pyprof/pyroscope-spool)' },
  { name: 'spool-max-mb', kind: 'number', arg: 'MB', min: 0, help: 'with --pyroscope: size cap of the spool; past it the oldest profiles are dropped, and counted (default 100)' },
  { name: 'queue-max', kind: 'int', arg: 'N', min: 1, help: 'with --pyroscope: profiles kept in memory before older ones go to the spool (default 6)' },
  { name: 'backoff-max', kind: 'number', arg: 'SECONDS', min: 0, exclusiveMin: true, help: 'with --pyroscope: longest wait between retries (default 60; the wait doubles from 1 s, with random jitter)' },
];

/** Options that only make sense when writing a file, refused with --pyroscope rather than ignored. */
const FILE_ONLY_OPTIONS = ['output', 'format', 'threads', 'memory', 'memory-frames', 'mode', 'events-fd', 'events-file'];
const PYROSCOPE_ONLY_OPTIONS = ['pyroscope-api', 'app', 'tag', 'tenant', 'auth-token-file', 'upload-interval', 'upload-timeout', 'flush-timeout', 'spool-dir', 'spool-max-mb', 'queue-max', 'backoff-max'];

const USAGE = 'pyprof record [options] (--pid PID | [--] python script.py [args...])\n       pyprof record --pyroscope URL --app NAME [--tag K=V ...] [options] (--pid PID | [--] python script.py [args...])';
const DESCRIPTION =
  'Samples every thread of a running Python process (or of a command it starts) and writes a profile.\n' +
  'Ctrl-C stops recording and still writes the file. If the target exits, everything sampled so far is kept.';

/** File extension per format for the default output name. */
function extensionFor(format: string): string {
  return EXPORT_FORMATS.find((f) => f.id === format)?.extension ?? `.${format}`;
}

function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export const command: CliCommand = {
  name: 'record',
  summary: 'sample a Python process and write a profile (speedscope, collapsed, …)',
  async run(argv) {
    let events: EventSink = NO_EVENTS;
    try {
      const args = parseArgs(argv, OPTIONS, true);
      if (flag(args, 'help')) {
        process.stdout.write(formatHelp(USAGE, DESCRIPTION, OPTIONS));
        return 0;
      }
      const pyroscope = str(args, 'pyroscope');
      if (pyroscope !== undefined) return await recordPyroscope(args.command, pyroscopeOptions(args, pyroscope));
      const misplaced = PYROSCOPE_ONLY_OPTIONS.find((n) => args.values.has(n));
      if (misplaced) throw new UsageError(`--${misplaced} goes with --pyroscope URL`);
      events = openEvents(num(args, 'events-fd'), str(args, 'events-file'));
      return await record(args.command, {
        pid: num(args, 'pid'),
        output: str(args, 'output'),
        format: str(args, 'format') ?? 'speedscope',
        rate: num(args, 'rate') ?? 100,
        duration: num(args, 'duration'),
        gil: flag(args, 'gil'),
        idle: flag(args, 'idle'),
        threads: flag(args, 'threads'),
        subprocesses: flag(args, 'subprocesses'),
        blocking: flag(args, 'blocking'),
        nonblocking: flag(args, 'nonblocking'),
        native: flag(args, 'native'),
        quiet: flag(args, 'quiet'),
        async: flag(args, 'async'),
        events,
        mode: str(args, 'mode') ?? 'sample',
        memory: memoryModeOf(args.values.get('memory') as boolean | string | undefined),
        memoryFrames: num(args, 'memory-frames'),
      });
    } catch (e) {
      const status = reportError(e, 'record', events);
      // The command ran and failed (or finished) before it could be sampled: its status is ours.
      return e instanceof CommandEndedError ? exitStatusOf(e.exit) : status;
    }
  },
};

function pyroscopeOptions(args: ParsedArgs, server: string): PyroscopeRecordOptions {
  const clash = FILE_ONLY_OPTIONS.find((n) => args.values.has(n));
  if (clash) throw new UsageError(`--${clash} writes a profile file; --pyroscope sends the profiles to the server instead`);
  const api = str(args, 'pyroscope-api') ?? 'ingest';
  if (!(PYROSCOPE_APIS as readonly string[]).includes(api)) throw new UsageError(`--pyroscope-api is one of ${PYROSCOPE_APIS.join(', ')} (got '${api}')`);
  return {
    server,
    api: api as PyroscopeApi,
    pid: num(args, 'pid'),
    rate: num(args, 'rate') ?? 100,
    duration: num(args, 'duration'),
    gil: flag(args, 'gil'),
    idle: flag(args, 'idle'),
    subprocesses: flag(args, 'subprocesses'),
    blocking: flag(args, 'blocking'),
    nonblocking: flag(args, 'nonblocking'),
    async: flag(args, 'async'),
    quiet: flag(args, 'quiet'),
    app: str(args, 'app'),
    tags: list(args, 'tag'),
    tenant: str(args, 'tenant'),
    authTokenFile: str(args, 'auth-token-file'),
    uploadIntervalS: num(args, 'upload-interval') ?? 10,
    uploadTimeoutS: num(args, 'upload-timeout') ?? 30,
    flushTimeoutS: num(args, 'flush-timeout') ?? 10,
    spoolDir: str(args, 'spool-dir'),
    spoolMaxMb: num(args, 'spool-max-mb') ?? 100,
    memoryProfiles: num(args, 'queue-max') ?? 6,
    backoffMaxS: num(args, 'backoff-max') ?? 60,
  };
}

interface RecordOptions {
  pid?: number;
  output?: string;
  format: string;
  rate: number;
  duration?: number;
  gil: boolean;
  idle: boolean;
  threads: boolean;
  subprocesses: boolean;
  blocking: boolean;
  nonblocking: boolean;
  native: boolean;
  quiet: boolean;
  async: boolean;
  events: EventSink;
  mode: string;
  memory: MemoryMode;
  memoryFrames?: number;
}

async function record(commandLine: string[], o: RecordOptions): Promise<number> {
  // Fail on an unknown format or a missing folder now, not after a long recording.
  if (!EXPORT_FORMATS.some((f) => f.id === o.format)) {
    throw new UsageError(`unknown format '${o.format}'; choose one of: ${EXPORT_FORMATS.map((f) => f.id).join(', ')}`);
  }
  const output = path.resolve(o.output ?? `pyprof-${o.pid ?? 'launch'}-${timestamp()}${extensionFor(o.format)}`);
  if (!fs.existsSync(path.dirname(output))) throw new UsageError(`output folder does not exist: ${path.dirname(output)}`);
  if (o.mode === 'trace') return recordTrace(commandLine, { ...o, output });
  if (o.mode !== 'sample') throw new UsageError(`unknown mode '${o.mode}'; choose sample or trace`);
  if (o.memory === 'tracemalloc' && o.pid !== undefined) {
    throw new UsageError('--memory=tracemalloc starts the program under tracemalloc, so it cannot attach to a running process (--pid); use --memory (RSS, read from outside) to attach');
  }
  if (o.memoryFrames !== undefined && o.memory !== 'tracemalloc') {
    throw new UsageError('--memory-frames sets how deep tracemalloc records allocation stacks: it goes with --memory=tracemalloc');
  }
  const warning = rateWarning(o.rate);
  if (warning && !o.quiet) process.stderr.write(`pyprof: warning: ${warning}\n`);
  const tracemalloc = o.memory === 'tracemalloc' && commandLine.length > 0 ? new TracemallocSession(commandLine, { nframes: o.memoryFrames }) : undefined;

  let stopSignal: NodeJS.Signals | undefined;
  let sampler: Sampler | undefined;
  const removeHandlers = onInterrupt((sig) => {
    stopSignal = sig;
    sampler?.stop();
  });
  const tty = process.stderr.isTTY && !o.quiet;
  let progressTimer: NodeJS.Timeout | undefined;
  let eventTimer: NodeJS.Timeout | undefined;
  let removeSuspendHandlers = () => undefined as void;
  let journal: JournalWriter | undefined;
  const stopMallocTrim = trimMallocPeriodically();
  try {
    let target: Awaited<ReturnType<typeof openTarget>>;
    phase('open-target');
    try {
      target = await openTarget(o.pid, commandLine, tracemalloc?.env, o.subprocesses);
    } catch (e) {
      if (e instanceof CommandEndedError) return endedBeforeSampling(e, o.events);
      throw e;
    }
    const { info } = target.process;
    phase('attached');
    if (stopSignal) {
      // Ctrl-C while waiting for a launched interpreter: nothing sampled yet, but still a clean stop.
      target.process.close();
      await endLaunched(target.launched, 1000);
      process.stderr.write('pyprof: stopped before sampling started; no profile written\n');
      return 0;
    }
    if (o.async) checkAsyncSupported(target.process);
    const startTime = Date.now();
    const rss = o.memory === 'rss' ? new MemoryHook(info.pid) : undefined;
    const recorder = new Recorder(
      { pid: info.pid, command: target.command, pythonVersion: info.version, startTime },
      // collapsed and pprof hold aggregated stacks only: keep no timeline (flat memory for hours)
      { rateHz: o.rate, processRoots: o.subprocesses, framelessThreads: o.idle, startTime, timeline: o.format === 'speedscope' || o.format === 'chrome' },
      rss ? [rss] : tracemalloc ? [tracemalloc.hook()] : [],
    );
    try {
      journal = JournalWriter.create(output, {
        pid: info.pid, command: target.command, pythonVersion: info.version, startTime, rateHz: o.rate,
        processRoots: o.subprocesses, threadRoots: false, framelessThreads: o.idle, memory: o.memory === 'off' ? undefined : o.memory, output, format: o.format,
      });
    } catch (e) {
      target.process.close();
      await endLaunched(target.launched, 0);
      throw new Error(`cannot create the recording journal beside ${output}: ${(e as Error).message}`);
    }
    const note = (text: string) => {
      recorder.addNote(text);
      journal?.note(text);
    };
    tracemalloc?.bind(recorder.builder, info.pid);
    const rootCommand = target.treeRoot === undefined ? target.command : describeCommand(info);
    recorder.addProcess(info.pid, rootCommand);
    journal.process(info.pid, rootCommand);
    if (target.treeRoot !== undefined && !target.launched) {
      note(`pid ${target.treeRoot} (${target.command}) is not Python itself; following the Python processes it starts, first ${info.pid} (${describeCommand(info)})`);
    } else if (target.launched?.pythonDescendant) {
      note(`'${commandLine[0]}' is not Python itself; sampling the Python process it started: ${info.pid} (${info.commandLine})`);
    }
    let lastThreads = 0;
    let firstSample = phaseTimes;
    const threadCounts = new Map<number, number>();
    sampler = new Sampler(
      target.process,
      { rate: o.rate, duration: o.duration, gil: o.gil, idle: o.idle, subprocesses: o.subprocesses, blocking: o.blocking, nonblocking: o.nonblocking, async: o.async, native: o.native },
      {
        onSnapshot: (pid, snap) => {
          const kept = tracemalloc ? tracemalloc.filterSnapshot(pid, snap) : snap;
          recorder.addSnapshot(pid, kept);
          journal!.snapshot(pid, kept, rss?.lastRss);
          threadCounts.set(pid, snap.threads.length);
          if (firstSample) {
            firstSample = false;
            phase('first-sample');
          }
        },
        onError: () => {
          recorder.addError();
          journal!.addError();
        },
        onProcessAdded: (p) => {
          recorder.addProcess(p.info.pid, describeCommand(p.info));
          journal!.process(p.info.pid, describeCommand(p.info));
          o.events.emit({ type: 'subprocess', pid: p.info.pid, pythonVersion: p.info.version });
          if (tty) process.stderr.write(`\r\x1b[Kpyprof: following subprocess ${p.info.pid} (python ${p.info.version}): ${p.info.commandLine}\n`);
        },
        onProcessExited: (pid) => threadCounts.delete(pid),
        onExec: (pid, ex) => {
          const at = (ex.atMs / 1000).toFixed(1);
          if (ex.followed) {
            const { info: next } = ex.followed;
            recorder.addProcess(pid, describeCommand(next));
            journal!.process(pid, describeCommand(next));
            note(`process ${pid} exec'd ${ex.executable} after ${at} s; sampling went on in its new interpreter (python ${next.version}: ${next.commandLine})`);
          } else {
            threadCounts.delete(pid);
            note(`process ${pid} exec'd ${ex.executable || 'another program'} after ${at} s, which cannot be sampled (${ex.reason}); nothing of it is in the profile, and sampling resumes if it execs Python again`);
          }
          if (tty) process.stderr.write(`\r\x1b[Kpyprof: process ${pid} exec'd ${ex.executable}${ex.followed ? ` (python ${ex.followed.info.version}): following it` : ': not Python, not sampled'}\n`);
        },
      },
      { attach, treeRoot: target.treeRoot },
    );
    // SIGUSR1 suspends sampling and SIGUSR2 resumes it: the debug adapter holds the target
    // ptrace-stopped while its user looks at a paused snapshot, and the recorder must neither
    // try to seize it (blocking) nor count the frozen stack as running time.
    const suspend = () => sampler?.suspendSampling();
    const resumeSampling = () => sampler?.resumeSampling();
    process.on('SIGUSR1', suspend);
    process.on('SIGUSR2', resumeSampling);
    removeSuspendHandlers = () => {
      process.off('SIGUSR1', suspend);
      process.off('SIGUSR2', resumeSampling);
    };
    // The extension or debug adapter that reads our events is gone (killed): nobody can stop us or
    // open the profile any more, so end the recording now; the profile is still written.
    o.events.onReaderGone = () => {
      note('the program that followed this recording went away; recording stopped');
      sampler?.stop();
    };
    o.events.emit({ type: 'started', pid: info.pid, pythonVersion: info.version, command: target.command, recorderPid: process.pid, journal: journal.file });
    const progressText = () => {
      const s = sampler!.stats;
      return `pyprof: recording ${info.pid} (python ${info.version}): ${formatCount(recorder.sampleCount)} samples, ${formatDuration(s.elapsedMs)}, ${formatCount(recorder.errorCount)} errors`;
    };
    if (tty) progressTimer = setInterval(() => process.stderr.write(`\r\x1b[K${progressText()}`), 250);
    if (o.events.enabled) {
      eventTimer = setInterval(() => {
        const s = sampler!.stats;
        lastThreads = [...threadCounts.values()].reduce((a, b) => a + b, 0);
        o.events.emit({ type: 'progress', samples: recorder.sampleCount, errors: recorder.errorCount, elapsedMs: Math.round(s.elapsedMs), threads: lastThreads });
        const profile = recorder.builder.profile;
        o.events.emit({ type: 'top', samples: recorder.sampleCount, rows: profileTopRows(profile, 30).map(({ selfCount, totalCount, showLine, ...row }) => row) });
      }, 1000);
    }

    const cpu0 = process.cpuUsage();
    const result = await sampler.run();
    phase('sampling-ended');
    const cpu = process.cpuUsage(cpu0);
    clearInterval(progressTimer);
    clearInterval(eventTimer);
    if (tty) process.stderr.write('\r\x1b[K');
    sampler.close();

    const s = result.stats;
    const secs = (s.elapsedMs / 1000).toFixed(1);
    if (result.reason === 'exited' && target.launched && recorder.sampleCount === 0) {
      // It ended between attach and the first sample: the same answer as ending before attach.
      journal.remove();
      const ended = await target.launched.exit;
      const how = ended.signal ? `was killed by ${ended.signal}` : `exited with code ${ended.code}`;
      return endedBeforeSampling(new CommandEndedError(ended, `'${commandLine.join(' ')}' ${how} before it could be sampled`), o.events);
    }
    // The command's own exit status becomes ours when it ended by itself (as `time` does); when
    // the recording ended it (duration, Ctrl-C), the recording succeeded: 0.
    let exit: ChildExit | undefined;
    if (result.reason === 'exited') {
      exit = target.launched ? await target.launched.exit : undefined;
      const how = exit && exit.code !== 0 ? (exit.signal ? ` (killed by ${exit.signal})` : ` (exit code ${exit.code})`) : '';
      recorder.addNote(target.launched ? `the command finished after ${secs} s${how}` : `target process ${target.treeRoot ?? info.pid}${target.treeRoot !== undefined ? ' and every Python process followed under it' : ''} exited after ${secs} s; all ${recorder.sampleCount} samples taken were kept`);
    } else if (result.reason === 'stopped') {
      recorder.addNote(`stopped by ${stopSignal ?? 'request'} after ${secs} s`);
    }
    const cpuShare = s.elapsedMs > 0 ? (cpu.user + cpu.system) / 1000 / s.elapsedMs : 0;
    const rateNote = underDeliveredNote(s, o.rate, cpuShare);
    if (rateNote) recorder.addNote(rateNote);
    const lateNote = priorityNote(s);
    if (lateNote) recorder.addNote(lateNote);
    const lateSamples = lateSamplesNote(s);
    if (lateSamples) recorder.addNote(lateSamples);
    if (s.suspendedMs >= 1) recorder.addNote(`sampling was suspended for ${(s.suspendedMs / 1000).toFixed(1)} s while a debugger held the program paused`);
    if (o.async) recorder.addNote(asyncNote(target.process, o.idle));
    const dropped = recorder.droppedNote();
    if (dropped) recorder.addNote(dropped);
    const stopNote = await endLaunched(target.launched, result.reason === 'stopped' ? 1000 : 0);
    if (stopNote) recorder.addNote(stopNote);

    const measuredHz = s.achievedRateHz > 0 ? s.achievedRateHz : o.rate;
    for (const n of leftOutNotes({
      stats: s, gil: o.gil, idle: o.idle, processes: recorder.processCount, threads: recorder.threadCount,
      threadSamples: recorder.threadSampleCount, msPerSample: 1000 / measuredHz, durationMs: s.elapsedMs,
    })) recorder.addNote(n);
    const profile = recorder.finish(Math.round(s.elapsedMs), {}, s.achievedRateHz);
    const failedEarly = exit !== undefined && exitStatusOf(exit) !== 0 && !ranProgramCode(profile);
    const failedNote = failedEarly ? `the command failed before running any of its code (exit status ${exitStatusOf(exit!)}): the samples are the interpreter starting up; see the command's own error above` : undefined;
    if (failedNote) profile.meta.notes = [...(profile.meta.notes ?? []), failedNote];
    attachSourceDigests(profile, readSourceFile); // for `pyprof diff` across edits
    try {
      writeFileAtomic(output, exportProfile(profile, o.format as ExportFormat, { threadsAsRoot: o.threads }));
    } catch (e) {
      journal.close();
      throw new Error(`cannot write ${output}: ${(e as Error).message}; every sample is kept in ${journal.file} (pyprof convert ${journal.file} -o ${output})`);
    }
    phase('written');
    journal.remove();
    o.events.emit({
      type: 'done',
      output,
      format: o.format,
      samples: recorder.sampleCount,
      errors: recorder.errorCount,
      durationMs: Math.round(s.elapsedMs),
      notes: profile.meta.notes ?? [],
    });
    if (!o.quiet) printSummary(profile, output, o, cpuShare, !failedEarly);
    return exit ? exitStatusOf(exit) : 0;
  } finally {
    stopMallocTrim();
    clearInterval(progressTimer);
    clearInterval(eventTimer);
    removeHandlers();
    removeSuspendHandlers();
    journal?.close(); // kept on any failure above: it holds every sample taken
    tracemalloc?.cleanup();
  }
}

/**
 * A launched command that ended before any of its stacks was sampled: one line, no profile, and the
 * command's own exit status, whether it ended before pyprof attached or just after.
 */
function endedBeforeSampling(e: CommandEndedError, events: EventSink): number {
  process.stderr.write(`pyprof: ${e.message}; no profile written\n`);
  events.emit({ type: 'error', code: e.code, message: e.message });
  return exitStatusOf(e.exit);
}

function printSummary(profile: Profile, output: string, o: RecordOptions, cpuShare: number, showTable: boolean): void {
  const m = profile.meta;
  const err = process.stderr;
  err.write(
    `pyprof: recorded ${formatDuration(m.durationMs ?? 0)} of ${m.command ?? m.pid} (python ${m.pythonVersion}): ` +
      `${formatCount(m.sampleCount ?? 0)} samples at ${Math.round(m.rateHz ?? o.rate)} Hz, ${formatCount(m.errorCount ?? 0)} errors; ` +
      `sampler CPU ${(cpuShare * 100).toFixed(1)}% of one core\n`,
  );
  for (const n of m.notes ?? []) err.write(`pyprof: note: ${n}\n`);
  const rel = path.relative(process.cwd(), output);
  err.write(`pyprof: wrote ${rel && !rel.startsWith('..') ? rel : output} (${o.format})\n`);
  if (!showTable) return; // a start-up-only profile: its "top functions" would be the interpreter's
  const rows = profileTopRows(profile, 8);
  if (rows.length === 0) {
    err.write(o.idle ? 'pyprof: no Python stacks were sampled\n' : 'pyprof: no active Python stacks were sampled (add --idle to include sleeping threads)\n');
    return;
  }
  err.write('\ntop functions by own time:\n');
  for (const line of formatTable(rows, 1 / (m.rateHz ?? o.rate), Math.max(80, process.stderr.columns ?? 100))) err.write(line + '\n');
}

/** What --async measured, for the profile's notes. */
function asyncNote(proc: TargetProcess, idle: boolean): string {
  const counts = (proc as Partial<PythonProcess>).asyncCounts;
  const how = counts ? ` (${counts.attributed} samples attributed to a running task, ${counts.idle} idle-loop samples)` : '';
  return `--async: samples of a thread stepping an asyncio task are rooted at 'Task <name>' (the task's name, or its coroutine when it has a default Task-N name) and the tasks awaiting it, instead of the event loop's frames; the time is the running task's (on-CPU, or blocked inside the task)${idle ? "; the loop's idle time (waiting in its selector) is the '<asyncio: loop idle…>' frame" : '; the idle loop is left out (add --idle to see it)'}. Time tasks spend suspended is not sampled: use dump --async to see what they wait on${how}`;
}

/** --async on a version whose task layout pyprof does not know: say so now, not once per sample. */
function checkAsyncSupported(proc: TargetProcess): void {
  try {
    proc.snapshot({ async: true });
  } catch (e) {
    if (e instanceof EngineError && e.code === 'UNSUPPORTED_VERSION') throw e;
    // a torn read or a target still starting: sampling will retry
  }
}
