// Reading and writing profile files for the extension, through the format modules in
// src/profile/formats/ (loaded lazily: they are only needed when a profile is opened or saved).

import * as fs from 'fs';
import * as path from 'path';
import type { Profile } from '../profile/model';
import type { LoadedProfile } from './store';

type Formats = typeof import('../profile/formats');

let formats: Promise<Formats> | undefined;
function loadFormats(): Promise<Formats> {
  formats ??= import('../profile/formats');
  return formats;
}

/** Dialog filters for "Open Profile…" (every import format). */
export const IMPORT_FILTERS: Record<string, string[]> = {
  'Profiles (all formats)': ['json', 'txt', 'collapsed', 'folded', 'prof', 'pstats', 'pb', 'gz', 'austin', 'out'],
  'speedscope JSON': ['json'],
  'Collapsed stacks': ['txt', 'collapsed', 'folded'],
  'cProfile / pstats': ['prof', 'pstats', 'out'],
  pprof: ['pb', 'gz', 'pprof'],
  austin: ['austin', 'txt'],
  'All files': ['*'],
};

export interface ExportChoice {
  format: string;
  label: string;
  description: string;
  extension: string;
}

export const EXPORT_CHOICES: ExportChoice[] = [
  { format: 'speedscope', label: 'speedscope JSON', description: 'opens in speedscope.app and in pyprof', extension: '.speedscope.json' },
  { format: 'collapsed', label: 'Collapsed stacks', description: 'flamegraph.pl, inferno, PyFlame', extension: '.collapsed.txt' },
  { format: 'pprof', label: 'pprof', description: 'go tool pprof, Pyroscope', extension: '.pb.gz' },
  { format: 'chrome', label: 'Chrome trace events', description: 'Perfetto, chrome://tracing', extension: '.trace.json' },
];

export async function readProfileFile(file: string): Promise<Profile> {
  const data = await fs.promises.readFile(file);
  const f = await loadFormats();
  return f.importProfile(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), path.basename(file));
}

export async function writeProfileFile(profile: Profile, file: string, format: string): Promise<void> {
  const f = await loadFormats();
  const out = f.exportProfile(profile, format as never) as string | Uint8Array;
  await fs.promises.writeFile(file, out);
}

/** speedscope JSON of the loaded profile as base64: the recorded file as is, else exported. */
export async function speedscopeBase64(p: LoadedProfile): Promise<string> {
  if (p.sourceFile && p.sourceFormat === 'speedscope') {
    try {
      return (await fs.promises.readFile(p.sourceFile)).toString('base64');
    } catch {
      /* temporary file gone: export instead */
    }
  }
  const f = await loadFormats();
  const out = f.exportProfile(p.profile, 'speedscope' as never) as string | Uint8Array;
  return Buffer.from(out as never).toString('base64');
}
