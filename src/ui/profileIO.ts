// Reading and writing profile files for the extension, through the format modules in
// src/profile/formats/ (loaded lazily: they are only needed when a profile is opened or saved).

import * as fs from 'fs';
import * as path from 'path';
import type { Profile } from '../profile/model';
import { writeFileAtomicAsync } from '../files/safeFiles';

type Formats = typeof import('../profile/formats');

let formats: Promise<Formats> | undefined;
function loadFormats(): Promise<Formats> {
  formats ??= import('../profile/formats');
  return formats;
}

/** Dialog filters for "Open Profile…" (every import format). */
export const IMPORT_FILTERS: Record<string, string[]> = {
  'Profiles (all formats)': ['json', 'txt', 'collapsed', 'folded', 'prof', 'pstats', 'pb', 'gz', 'austin', 'out', 'journal'],
  'speedscope JSON': ['json'],
  'Collapsed stacks': ['txt', 'collapsed', 'folded'],
  'cProfile / pstats': ['prof', 'pstats', 'out'],
  pprof: ['pb', 'gz', 'pprof'],
  austin: ['austin', 'txt'],
  'pyprof recording journal (a killed recording)': ['journal'],
  'All files': ['*'],
};

export interface ExportChoice {
  format: string;
  label: string;
  extension: string;
}

/** What "Save Profile As…" offers: every export format the formats module has. */
export async function exportChoices(): Promise<ExportChoice[]> {
  const f = await loadFormats();
  return f.EXPORT_FORMATS.map((e) => ({ format: e.id, label: e.label, extension: e.extension }));
}

/**
 * The name a saved profile starts from: its label without a `(recorded)` note and without any
 * profile-file extension the formats know (`hot.prof` → `hot`), nor `.py` (`hot.py (recorded)` →
 * `hot`), so the chosen format's extension replaces it instead of stacking on it.
 */
export function profileBaseName(label: string, exportExtensions: readonly string[]): string {
  const known = new Set(['.py', ...exportExtensions]);
  for (const exts of Object.values(IMPORT_FILTERS)) for (const e of exts) if (e !== '*') known.add(`.${e}`);
  const name = label.replace(/\s*\(.*\)$/, '');
  const ext = [...known].sort((a, b) => b.length - a.length).find((e) => name.toLowerCase().endsWith(e) && name.length > e.length);
  return (ext ? name.slice(0, -ext.length) : name) || 'profile';
}

export async function readProfileFile(file: string): Promise<Profile> {
  const data = await fs.promises.readFile(file);
  const f = await loadFormats();
  return f.importProfile(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), path.basename(file));
}

export async function writeProfileFile(profile: Profile, file: string, format: string): Promise<void> {
  const f = await loadFormats();
  // Atomic and exclusive: a crash mid-save keeps the old file, and a symlink there is replaced, not followed.
  await writeFileAtomicAsync(file, f.exportProfile(profile, format as never));
}
