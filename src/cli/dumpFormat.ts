// The text `pyprof dump` prints (py-spy dump's layout): process, interpreter, then each thread with
// its Python frames innermost first as `function (file:line)`. Pure, so the extension's Dump Stacks
// can format a debug session's snapshot the same way without loading the engine; the pyprof-stacks
// grammar (syntaxes/) and link finder (src/ui/views/stackLocations.ts) read exactly this layout.

import { threadStateLabel } from '../engine/types';
import type { ProcessInfo, Snapshot } from '../engine/types';

export function formatDump(r: { info: ProcessInfo; snapshot: Snapshot }): string {
  const lines = [`Process ${r.info.pid}: ${r.info.commandLine}`, `Python v${r.info.version} (${r.info.executable})`, ''];
  for (const t of r.snapshot.threads) {
    lines.push(`Thread ${t.tid} (${threadStateLabel(t)})${t.name ? `: "${t.name}"` : ''}`);
    if (t.frames.length === 0) lines.push('    (no Python frames)');
    for (const f of t.frames) lines.push(`    ${f.name} (${f.file}:${f.line})`);
    lines.push('');
  }
  return lines.join('\n');
}
