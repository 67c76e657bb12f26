// `pyprof top`: a live table of the functions using the most time, like `py-spy top`.
// %Own / %Total are over the last refresh window; OwnTime / TotalTime accumulate over the run.
// Interactive on a terminal (redraws in place, `q` or Ctrl-C quits); elsewhere it prints a table
// every refresh so logs and pipes get something useful too.

import { attach } from '../engine';
import { Sampler } from '../engine/sampler';
import { trimMallocPeriodically } from '../engine/native/mallocArenas';
import { formatCount, formatDuration } from '../profile/summary';
import {
  BLOCKING_OPTION, CliCommand, EVENTS_FD_OPTION, flag, formatHelp, GIL_OPTION, IDLE_OPTION, NONBLOCKING_OPTION, num,
  OptionSpec, parseArgs, PID_OPTION, RATE_OPTION, SUBPROCESSES_OPTION,
} from './args';
import { EventSink, NO_EVENTS, openEvents } from './eventStream';
import { endLaunched, onInterrupt, openTarget, reportError } from './target';
import { FunctionTally, formatTable, TallyRow } from './topRows';
import { rateWarning } from './rateNotes';

const OPTIONS: OptionSpec[] = [
  PID_OPTION,
  RATE_OPTION,
  { name: 'interval', kind: 'number', arg: 'SECONDS', min: 0.1, help: 'refresh every SECONDS (default 1)' },
  { name: 'duration', alias: 'd', kind: 'number', arg: 'SECONDS', min: 0, exclusiveMin: true, help: 'quit after this many seconds' },
  { name: 'rows', kind: 'int', arg: 'N', min: 1, help: 'functions to show (default: fit the terminal, 20 when not a terminal)' },
  GIL_OPTION,
  IDLE_OPTION,
  SUBPROCESSES_OPTION,
  BLOCKING_OPTION,
  NONBLOCKING_OPTION,
  EVENTS_FD_OPTION,
];

const USAGE = 'pyprof top [options] (--pid PID | [--] python script.py [args...])';
const DESCRIPTION = 'Shows which functions a running Python program spends its time in, refreshed live. Press q or Ctrl-C to quit.';

export const command: CliCommand = {
  name: 'top',
  summary: 'live table of the functions using the most time (like py-spy top)',
  async run(argv) {
    let events: EventSink = NO_EVENTS;
    try {
      const args = parseArgs(argv, OPTIONS, true);
      if (flag(args, 'help')) {
        process.stdout.write(formatHelp(USAGE, DESCRIPTION, OPTIONS));
        return 0;
      }
      events = openEvents(num(args, 'events-fd'));
      return await top(args.command, {
        pid: num(args, 'pid'),
        rate: num(args, 'rate') ?? 100,
        interval: num(args, 'interval') ?? 1,
        duration: num(args, 'duration'),
        rows: num(args, 'rows'),
        gil: flag(args, 'gil'),
        idle: flag(args, 'idle'),
        subprocesses: flag(args, 'subprocesses'),
        blocking: flag(args, 'blocking'),
        nonblocking: flag(args, 'nonblocking'),
        events,
      });
    } catch (e) {
      return reportError(e, 'top', events);
    }
  },
};

interface TopOptions {
  pid?: number;
  rate: number;
  interval: number;
  duration?: number;
  rows?: number;
  gil: boolean;
  idle: boolean;
  subprocesses: boolean;
  blocking: boolean;
  nonblocking: boolean;
  events: EventSink;
}

async function top(commandLine: string[], o: TopOptions): Promise<number> {
  const warning = rateWarning(o.rate);
  if (warning) process.stderr.write(`pyprof: warning: ${warning}\n`);
  let sampler: Sampler | undefined;
  let stopped = false;
  const removeHandlers = onInterrupt(() => {
    stopped = true;
    sampler?.stop();
  });
  const interactive = process.stdout.isTTY === true;
  const out = process.stdout;
  let timer: NodeJS.Timeout | undefined;
  let rawMode = false;
  const stopMallocTrim = trimMallocPeriodically(); // see engine/native/mallocArenas.ts
  try {
    const target = await openTarget(o.pid, commandLine, undefined, o.subprocesses);
    const { info } = target.process;
    const window = new FunctionTally();
    const cumulative = new FunctionTally();
    let snapshots = 0;
    let errors = 0;
    const threads = new Map<number, number>();
    let gilSamples = 0;
    let activeSamples = 0;
    let threadSamples = 0;
    let processSamples = 0;
    sampler = new Sampler(
      target.process,
      { rate: o.rate, duration: o.duration, gil: o.gil, idle: o.idle, subprocesses: o.subprocesses, blocking: o.blocking, nonblocking: o.nonblocking },
      {
        onSnapshot: (pid, snap, _proc, all) => {
          snapshots++;
          // Counts and states over every thread (the filter only decides what the table shows):
          // Threads = threads that exist, GIL = samples with a holder, Active = thread samples on CPU.
          threads.set(pid, all.threads.length);
          processSamples++;
          if (all.threads.some((t) => t.holdsGil)) gilSamples++;
          for (const t of all.threads) {
            threadSamples++;
            if (t.active) activeSamples++;
          }
          for (const t of snap.threads) {
            window.add(t.frames);
            cumulative.add(t.frames);
          }
        },
        onError: () => errors++,
        onProcessAdded: (p) => o.events.emit({ type: 'subprocess', pid: p.info.pid, pythonVersion: p.info.version }),
        onProcessExited: (pid) => {
          if (pid !== info.pid) threads.delete(pid); // keep the root's count for the final table
        },
      },
      { attach, treeRoot: target.treeRoot },
    );
    if (stopped) sampler.stop();
    o.events.emit({ type: 'started', pid: info.pid, pythonVersion: info.version, command: target.command });

    if (interactive && process.stdin.isTTY) {
      process.stdin.setRawMode(true);
      rawMode = true;
      process.stdin.resume();
      process.stdin.on('data', (d: Buffer) => {
        const k = d.toString();
        if (k === 'q' || k === 'Q' || k === '\u0003') {
          stopped = true;
          sampler?.stop();
        }
      });
    }
    if (interactive) out.write('\x1b[?25l'); // hide the cursor while redrawing

    /** One table: the last refresh window, or (final) the whole run. */
    const render = (final = false) => {
      const shown = final ? cumulative : window;
      const s = sampler!.stats;
      const rowsWanted = o.rows ?? (interactive ? Math.max(5, (out.rows ?? 30) - 6) : 20);
      const rows: TallyRow[] = shown.rows(rowsWanted).map((r) => {
        const c = cumulative.counts(r);
        return { ...r, selfCount: c.self, totalCount: c.total };
      });
      const nThreads = [...threads.values()].reduce((a, b) => a + b, 0);
      const pct = (n: number, of: number) => (of ? `${Math.round((100 * n) / of)}%` : '-');
      const head = [
        `pyprof top: ${info.pid} (python ${info.version}) ${target.command}`,
        `Samples: ${formatCount(snapshots)}  Errors: ${formatCount(errors)}  Threads: ${nThreads}  GIL: ${pct(gilSamples, processSamples)}  Active: ${pct(activeSamples, threadSamples)}  Elapsed: ${formatDuration(s.elapsedMs)}${interactive ? '   (q to quit)' : ''}`,
        '',
      ];
      const width = interactive ? out.columns ?? 100 : 160;
      const table = shown.stacks === 0
        ? [`  (no active Python stacks ${final ? 'were sampled' : 'in this window'}${o.idle ? ')' : '; --idle includes sleeping threads)'}`]
        : formatTable(rows, s.achievedRateHz > 0 ? 1 / s.achievedRateHz : undefined, width); // measured time, not the asked rate
      if (final) head[0] = `${head[0]}  [whole run]`;
      if (interactive) out.write('\x1b[H\x1b[2J' + [...head, ...table].join('\n') + '\n');
      else out.write(['', ...head.slice(0, 2).map((l) => `# ${l}`), ...table].join('\n') + '\n');
      o.events.emit({ type: 'progress', samples: snapshots, errors, elapsedMs: Math.round(s.elapsedMs), threads: nThreads });
      o.events.emit({ type: 'top', samples: snapshots, rows: cumulative.rows(30).map(({ selfCount, totalCount, showLine, ...row }) => row) });
      window.reset();
      gilSamples = activeSamples = threadSamples = processSamples = 0;
    };
    timer = setInterval(() => render(), o.interval * 1000);

    const result = await sampler.run();
    clearInterval(timer);
    sampler.close();
    render(true); // the whole run, left on screen / at the end of the log
    if (interactive) out.write('\x1b[?25h');
    const note = result.reason === 'exited' ? `target process ${info.pid} exited` : undefined;
    if (note) process.stderr.write(`pyprof: ${note}\n`);
    const stopNote = await endLaunched(target.launched, result.reason === 'stopped' ? 1000 : 0);
    o.events.emit({ type: 'done', output: '', format: 'top', samples: snapshots, errors, durationMs: Math.round(result.stats.elapsedMs), notes: [note, stopNote].filter((x): x is string => !!x) });
    return 0;
  } finally {
    stopMallocTrim();
    clearInterval(timer);
    if (rawMode) {
      process.stdin.setRawMode(false);
      process.stdin.pause();
    }
    if (interactive) out.write('\x1b[?25h');
    removeHandlers();
  }
}
