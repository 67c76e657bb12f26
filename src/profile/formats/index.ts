// Every profile format in and out, behind two functions. Importers detect the format from content
// first and the file name second; every failure is a ProfileFormatError naming file and position.

import type { Profile } from '../model';
import { ProfileFormatError } from './errors';
import { exportSpeedscope, importSpeedscope } from './speedscope';
import { exportCollapsed, CollapsedOptions } from './collapsed';
import { importCollapsed } from './collapsedImport';
import { exportChromeTrace } from './chromeTrace';
import { exportPprof, importPprof } from './pprof';
import { importAustin, looksLikeAustin } from './austin';
import { importPstats, looksLikePstats } from './pstats';
import { looksLikeJournal } from './journalFormat';

export { ProfileFormatError } from './errors';

export type ExportFormat = 'speedscope' | 'collapsed' | 'pprof' | 'chrome';

export interface ExportOptions extends CollapsedOptions {
  /** Profile name shown by speedscope. */
  name?: string;
}

export const EXPORT_FORMATS: ReadonlyArray<{ id: ExportFormat; label: string; extension: string }> = [
  { id: 'speedscope', label: 'speedscope JSON', extension: '.speedscope.json' },
  { id: 'collapsed', label: 'collapsed stacks', extension: '.collapsed.txt' },
  { id: 'pprof', label: 'pprof (gzip protobuf)', extension: '.pb.gz' },
  { id: 'chrome', label: 'Chrome trace events (Perfetto)', extension: '.trace.json' },
];

export const IMPORT_FORMATS: ReadonlyArray<{ id: string; label: string }> = [
  { id: 'speedscope', label: 'speedscope JSON (sampled, evented)' },
  { id: 'collapsed', label: 'collapsed stacks (flamegraph.pl, py-spy, PyFlame)' },
  { id: 'austin', label: 'austin text output (cpu, wall, memory, full)' },
  { id: 'pstats', label: 'cProfile / pstats' },
  { id: 'pprof', label: 'pprof' },
  { id: 'journal', label: 'pyprof recording journal (left by a recorder that was killed)' },
];

/** Picks an export format from an output file name (`out.pb.gz` → pprof), if it names one. */
export function formatForFile(file: string): ExportFormat | undefined {
  const f = file.toLowerCase();
  if (f.endsWith('.pb.gz') || f.endsWith('.pprof') || f.endsWith('.pb')) return 'pprof';
  if (f.endsWith('.trace.json')) return 'chrome';
  if (f.endsWith('.json')) return 'speedscope';
  if (/\.(collapsed|folded|txt)$/.test(f)) return 'collapsed';
  return undefined;
}

export function exportProfile(profile: Profile, format: ExportFormat, opts: ExportOptions = {}): Buffer {
  switch (format) {
    case 'speedscope': return Buffer.from(exportSpeedscope(profile, opts.name), 'utf8');
    case 'collapsed': return Buffer.from(exportCollapsed(profile, opts), 'utf8');
    case 'pprof': return exportPprof(profile);
    case 'chrome': return Buffer.from(exportChromeTrace(profile), 'utf8');
    default:
      throw new Error(`unknown export format "${format}"; choose one of: ${EXPORT_FORMATS.map((f) => f.id).join(', ')}`);
  }
}

export function importProfile(data: Uint8Array, filename: string): Profile {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length === 0) throw new ProfileFormatError(filename, '', 'the file is empty');
  if (buf[0] === 0x1f && buf[1] === 0x8b) return importPprof(buf, filename);
  if (looksLikePstats(buf)) return importPstats(buf, filename);
  const head = buf.subarray(0, 64).toString('utf8').trimStart();
  // A recording journal left by a recorder that was killed: the CLI replays it (the editor runs it for you).
  if (looksLikeJournal(head)) {
    throw new ProfileFormatError(filename, '', `this is the journal of a pyprof recording that did not finish: 'pyprof convert ${filename}' turns it into its profile`);
  }
  if (head.startsWith('{')) {
    if (/"traceEvents"/.test(buf.subarray(0, 4096).toString('utf8'))) {
      throw new ProfileFormatError(filename, '', 'Chrome trace files can be written (Save As) but not opened; open the speedscope or pprof file instead');
    }
    return importSpeedscope(buf.toString('utf8'), filename);
  }
  if (/\.(pb|pprof)$/i.test(filename) || buf[0] === 0x0a) return importPprof(buf, filename);
  if (/\.(prof|pstats)$/i.test(filename)) return importPstats(buf, filename);
  if (buf.subarray(0, 4096).includes(0)) throw new ProfileFormatError(filename, '', 'unrecognised binary profile format');
  const text = buf.toString('utf8');
  if (looksLikeAustin(text)) return importAustin(text, filename);
  return importCollapsed(text, filename);
}
