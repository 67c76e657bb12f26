// `pyprof record --mode trace -- python script.py`: exact call counts through cProfile, written
// in any export format, with the same events and summary as a sampled recording.
import * as path from 'path';
import { runTraced } from '../engine/trace';
import { writeFileAtomic } from '../files/safeFiles';
import { ExportFormat, exportProfile } from '../profile/formats';
import { functionStats } from '../profile/model';
import { formatCount } from '../profile/summary';
import { UsageError } from './args';
import { attachSourceDigests, readSourceFile } from '../profile/sourceDigest';
import type { EventSink } from './eventStream';
import { onInterrupt } from './target';

export async function recordTrace(commandLine: string[], o: { pid?: number; output: string; format: string; quiet: boolean; events: EventSink }): Promise<number> {
  if (o.pid !== undefined) throw new UsageError('tracing mode starts the program itself: give a command (-- python script.py), not --pid');
  if (commandLine.length === 0) throw new UsageError('give the command to trace: pyprof record --mode trace -- python script.py');
  const abort = new AbortController();
  const removeHandlers = onInterrupt(() => abort.abort());
  const started = Date.now();
  try {
    const { profile, exit } = await runTraced(commandLine, {
      signal: abort.signal,
      onStart: (pid) => o.events.emit({ type: 'started', pid, pythonVersion: '', command: commandLine.join(' ') }),
    });
    const durationMs = Date.now() - started;
    profile.meta.durationMs = durationMs;
    profile.meta.startTime = started;
    if (abort.signal.aborted) (profile.meta.notes ??= []).push('stopped by SIGINT');
    else if (exit.code) (profile.meta.notes ??= []).push(`the command exited with code ${exit.code}`);
    attachSourceDigests(profile, readSourceFile); // for `pyprof diff` across edits
    writeFileAtomic(o.output, exportProfile(profile, o.format as ExportFormat));
    o.events.emit({ type: 'done', output: o.output, format: o.format, samples: 0, errors: 0, durationMs, notes: profile.meta.notes ?? [] });
    if (!o.quiet) {
      const st = functionStats(profile);
      const rows = profile.frames.map((f, i) => ({ f, s: st[i] })).filter((r) => r.f.file).sort((a, b) => b.s.self - a.s.self).slice(0, 8);
      process.stderr.write(`pyprof: traced ${commandLine.join(' ')} with cProfile in ${(durationMs / 1000).toFixed(1)} s\n`);
      process.stderr.write(`pyprof: wrote ${path.relative(process.cwd(), o.output) || o.output} (${o.format})\n\ntop functions by own time:\n`);
      process.stderr.write('  OwnTime  TotalTime      Calls  Function (file:line)\n');
      for (const { f, s } of rows) {
        process.stderr.write(`  ${s.self.toFixed(3).padStart(7)}s ${s.total.toFixed(3).padStart(9)}s ${formatCount(f.calls ?? 0).padStart(10)}  ${f.name} (${path.basename(f.file)}:${f.line})\n`);
      }
    }
    return 0;
  } finally {
    removeHandlers();
  }
}
