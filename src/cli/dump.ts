// `pyprof dump`: print every thread's current Python stack once, like `py-spy dump`.

import { attach } from '../engine';
import { EngineError } from '../engine/types';
import type { ProcessInfo, Snapshot } from '../engine/types';
import { formatDump } from './dumpFormat';
import type { TargetProcess } from '../engine/types';
import { consistentSnapshot } from '../engine/consistentSnapshot';
import { descendants } from '../engine/subprocesses';
import { BLOCKING_OPTION, CliCommand, flag, formatHelp, NATIVE_OPTION, NONBLOCKING_OPTION, num, OptionSpec, parseArgs, PID_OPTION, UsageError } from './args';
import { reportError } from './target';
import { readCmdline } from '../engine/proc/procfs';

const OPTIONS: OptionSpec[] = [
  PID_OPTION,
  { name: 'json', alias: 'j', kind: 'flag', help: 'print JSON instead of text' },
  { name: 'subprocesses', alias: 's', kind: 'flag', help: 'also dump Python child and grandchild processes' },
  { name: 'locals', alias: 'l', kind: 'flag', help: "show each frame's local variables (short reprs read from outside; 3.8-3.14)" },
  { name: 'async', alias: 'a', kind: 'flag', help: 'also list every asyncio task: state, coroutine chain, which task awaits which (3.8-3.14)' },
  NATIVE_OPTION,
  BLOCKING_OPTION,
  NONBLOCKING_OPTION,
];

const USAGE = 'pyprof dump --pid PID [--json] [--subprocesses] [--locals] [--async] [--native] [--blocking]';
const DESCRIPTION = "Prints each thread's Python stack (innermost call first) with file:line, thread name, id, GIL and idle state.";

export const command: CliCommand = {
  name: 'dump',
  summary: "print every thread's current Python stack once (like py-spy dump)",
  async run(argv) {
    try {
      const args = parseArgs(argv, OPTIONS, false);
      if (flag(args, 'help')) {
        process.stdout.write(formatHelp(USAGE, DESCRIPTION, OPTIONS));
        return 0;
      }
      const pid = num(args, 'pid');
      if (pid === undefined) throw new UsageError('which process? give --pid PID');
      const blocking = flag(args, 'blocking');
      const extra = { locals: flag(args, 'locals'), tasks: flag(args, 'async'), native: flag(args, 'native') };
      const subprocesses = flag(args, 'subprocesses');
      let root: DumpResult | NotPythonRoot;
      try {
        root = dumpOne(pid, blocking, extra);
      } catch (e) {
        // a shell or launcher: with --subprocesses its Python descendants are what is dumped
        if (!subprocesses || !(e instanceof EngineError) || e.code !== 'NOT_PYTHON') throw e;
        root = { pid, commandLine: readCmdline(pid), notPython: e.message };
      }
      const children: DumpResult[] = [];
      if (subprocesses) {
        for (const child of descendants(pid)) {
          try {
            children.push(dumpOne(child, blocking, extra));
          } catch (e) {
            if (!(e instanceof EngineError)) throw e; // not Python (a shell, a helper) or gone: skip it
          }
        }
      }
      if (flag(args, 'json')) {
        const json = (r: DumpResult) => ({
          ...r.info, time: r.snapshot.time, threads: r.snapshot.threads,
          ...(r.snapshot.tasks ? { tasks: r.snapshot.tasks, taskNotes: r.snapshot.taskNotes ?? [] } : {}),
        });
        const rootDoc = 'notPython' in root ? { ...root, threads: [] } : json(root);
        const doc = subprocesses ? { ...rootDoc, subprocesses: children.map(json) } : rootDoc;
        process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
      } else {
        const rootText = 'notPython' in root ? `Process ${root.pid}: ${root.commandLine}\n(not Python: ${children.length} Python descendant${children.length === 1 ? '' : 's'} below)\n` : formatDump(root);
        process.stdout.write([rootText, ...children.map(formatDump)].join('\n'));
      }
      return 0;
    } catch (e) {
      return reportError(e, 'dump');
    }
  },
};

/** `--pid` of a process that is not Python, dumped with --subprocesses for its Python descendants. */
interface NotPythonRoot {
  pid: number;
  commandLine: string;
  notPython: string;
}

export interface DumpResult {
  info: ProcessInfo;
  snapshot: Snapshot;
}

/** A dump should not fail on one torn read of a running target: retry a few times. */
function dumpOne(pid: number, blocking: boolean, extra: { locals: boolean; tasks: boolean; native: boolean }): DumpResult {
  const proc: TargetProcess = attach(pid);
  try {
    return { info: proc.info, snapshot: consistentSnapshot(proc, blocking, 20, extra) };
  } finally {
    proc.close();
  }
}
