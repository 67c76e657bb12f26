// The text `pyprof dump` prints (py-spy dump's layout): process, interpreter, then each thread with
// its Python frames innermost first as `function (file:line)`. Pure, so the extension's Dump Stacks
// can format a debug session's snapshot the same way without loading the engine; the pyprof-stacks
// grammar (syntaxes/) and link finder (src/ui/stackLocations.ts) read exactly this layout.

import type { ProcessInfo, Snapshot, ThreadStack } from '../engine/types';

function threadState(t: ThreadStack): string {
  return [t.active ? 'active' : 'idle', t.holdsGil ? 'gil' : ''].filter(Boolean).join('+');
}

export function formatDump(r: { info: ProcessInfo; snapshot: Snapshot }): string {
  const lines = [`Process ${r.info.pid}: ${r.info.commandLine}`, `Python v${r.info.version} (${r.info.executable})`, ''];
  for (const t of r.snapshot.threads) {
    lines.push(`Thread ${t.tid} (${threadState(t)})${t.name ? `: "${t.name}"` : ''}`);
    if (t.frames.length === 0) lines.push('    (no Python frames)');
    for (const f of t.frames) {
      lines.push(`    ${f.name} (${f.file}:${f.line})`);
      for (const v of f.locals ?? []) lines.push(`        ${v.name} = ${v.value}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
