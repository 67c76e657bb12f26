// The text `pyprof dump` prints (py-spy dump's layout): process, interpreter, then each thread with
// its Python frames innermost first as `function (file:line)`. Pure, so the extension's Dump Stacks
// can format a debug session's snapshot the same way without loading the engine; the pyprof-stacks
// grammar (syntaxes/) and link finder (src/ui/views/stackLocations.ts) read exactly this layout.

import { ASYNCIO_NOT_IMPORTED, describeCommand, threadStateLabel } from '../engine/types';
import { parseNativeFile } from '../profile/nativeFrames';
import type { AsyncTask, ProcessInfo, PyFrame, Snapshot, ThreadStack } from '../engine/types';

export function formatDump(r: { info: ProcessInfo; snapshot: Snapshot }): string {
  const lines = [`Process ${r.info.pid}: ${describeCommand(r.info)}`, `Python v${r.info.version} (${r.info.executable})`, ''];
  for (const t of r.snapshot.threads) {
    lines.push(`Thread ${t.tid} (${threadStateLabel(t)})${t.name ? `: "${t.name}"` : ''}`);
    if (t.frames.length === 0) lines.push('    (no Python frames)');
    for (const f of t.frames) {
      lines.push(frameLine(f));
      for (const v of f.locals ?? []) lines.push(`        ${v.name} = ${v.value}`);
    }
    lines.push('');
  }
  const notes = r.snapshot.taskNotes ?? [];
  // asked for tasks but asyncio is not imported (the extension always asks): nothing to add
  const noAsyncio = r.snapshot.tasks?.length === 0 && notes.some((n) => n.startsWith(ASYNCIO_NOT_IMPORTED));
  if (r.snapshot.tasks && !noAsyncio) lines.push(...formatTasks(r.snapshot.tasks, r.snapshot.threads), ...notes.map((n) => `asyncio note: ${n}`), '');
  return lines.join('\n');
}

/** `    name (file:line)`; a native frame `    name (module) [native]`, or with its source line `    name (file.c:line in module) [native]`. */
function frameLine(f: PyFrame): string {
  const native = parseNativeFile(f.file);
  if (!native) return `    ${f.name} (${f.file}:${f.line})`;
  return native.source ? `    ${f.name} (${native.source}:${f.line} in ${native.module}) [native]` : `    ${f.name} (${native.module}) [native]`;
}

/**
 * asyncio tasks as trees per event loop: each task, its coroutine chain (innermost first, the same
 * `name (file:line)` lines as thread stacks) and what it waits on, then the tasks it awaits,
 * indented under it with how (`await`, `gather`, `TaskGroup`, `shield`, `wait_for`).
 */
export function formatTasks(tasks: AsyncTask[], threads: ThreadStack[]): string[] {
  const lines: string[] = [];
  if (tasks.length === 0) return ['asyncio: no tasks'];
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const loops = [...new Set(tasks.map((t) => t.loop))];
  for (const loop of loops) {
    const mine = tasks.filter((t) => t.loop === loop);
    const threadId = mine.find((t) => t.threadId !== undefined)?.threadId;
    const thread = threads.find((t) => t.threadId === threadId);
    const where = thread ? `in thread ${thread.tid}${thread.name ? ` "${thread.name}"` : ''}` : 'not running';
    lines.push(`asyncio loop 0x${loop.toString(16)} ${where}: ${mine.length} task${mine.length === 1 ? '' : 's'}`);
    const shown = new Set<number>();
    const show = (t: AsyncTask, depth: number, via: string | undefined) => {
      const ind = '  '.repeat(2 * depth + 1);
      const head = `${ind}${via ? `${via} → ` : ''}Task "${t.name}" (${t.state}${t.running ? ', running' : ''}, id 0x${t.id.toString(16)})`;
      if (shown.has(t.id)) { lines.push(`${head} (shown above)`); return; }
      shown.add(t.id);
      lines.push(head);
      for (const f of t.coroutine) lines.push(`${ind}    ${f.name} (${f.file}:${f.line})`);
      if (t.awaiting) lines.push(`${ind}    awaiting ${t.awaiting}`);
      for (const a of t.awaits) {
        const child = byId.get(a.id);
        if (child) show(child, depth + 1, a.via);
      }
    };
    for (const t of mine) if (!t.awaitedBy.some((p) => byId.has(p.id))) show(t, 0, undefined);
    for (const t of mine) if (!shown.has(t.id)) show(t, 0, undefined); // cycles
  }
  return lines;
}

/** Longest process header the Dump Stacks document keeps on one line. */
export const SHORT_HEADER_WIDTH = 60;

/**
 * The Dump Stacks document's headers, short: `Process 123: python3.12 hot.py 25` (program and
 * script by their base names) with the whole command on the line below (`Command: …`). A command
 * line of long absolute paths ran past the editor's edge, the first line of the document included.
 * Headers that are already short stay as they are.
 */
export function shortenDumpHeaders(text: string, width = SHORT_HEADER_WIDTH): string {
  return text.replace(/^(Process \d+: )(.*)$/gm, (line: string, head: string, command: string) => {
    if (line.length <= width) return line;
    const words = command.split(/\s+/).filter(Boolean).map((w) => (/^[^[].*\/./.test(w) ? w.replace(/^.*\//, '') : w));
    let short = head + words.join(' ');
    if (short.length > width) short = `${short.slice(0, width - 1)}…`;
    return `${short}\nCommand: ${command}`;
  });
}
