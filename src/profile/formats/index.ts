// Every profile format in and out, behind two functions. Importers detect the format from content
// first and the file name second; every failure is a ProfileFormatError naming file and position.

import type { Profile } from '../model';
import { ProfileFormatError } from './errors';
import { exportSpeedscope, importSpeedscope } from './speedscope';
import { exportCollapsed, CollapsedOptions } from './collapsed';

export { ProfileFormatError } from './errors';

export type ExportFormat = 'speedscope' | 'collapsed';

export interface ExportOptions extends CollapsedOptions {
  /** Profile name shown by speedscope. */
  name?: string;
}

export const EXPORT_FORMATS: ReadonlyArray<{ id: ExportFormat; label: string; extension: string }> = [
  { id: 'speedscope', label: 'speedscope JSON', extension: '.speedscope.json' },
  { id: 'collapsed', label: 'collapsed stacks', extension: '.collapsed.txt' },
];

export const IMPORT_FORMATS: ReadonlyArray<{ id: string; label: string }> = [
  { id: 'speedscope', label: 'speedscope JSON' },
];

export function exportProfile(profile: Profile, format: ExportFormat, opts: ExportOptions = {}): Buffer {
  switch (format) {
    case 'speedscope': return Buffer.from(exportSpeedscope(profile, opts.name), 'utf8');
    case 'collapsed': return Buffer.from(exportCollapsed(profile, opts), 'utf8');
    default:
      throw new Error(`unknown export format "${format}"; choose one of: ${EXPORT_FORMATS.map((f) => f.id).join(', ')}`);
  }
}

export function importProfile(data: Uint8Array, filename: string): Profile {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length === 0) throw new ProfileFormatError(filename, '', 'the file is empty');
  const head = buf.subarray(0, 64).toString('utf8').trimStart();
  if (head.startsWith('{')) return importSpeedscope(buf.toString('utf8'), filename);
  throw new ProfileFormatError(filename, '', 'unrecognised profile format');
}
