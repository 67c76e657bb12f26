// A short history of the profiles recorded in this workspace (Profile Current File, launch.json and
// attach sessions), so "Compare with…" can offer the previous run. Each profile is copied into the
// extension's workspace storage (the recording's own file is temporary); the newest MAX_ENTRIES stay.

import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';

export const MAX_ENTRIES = 10;

export interface HistoryEntry {
  /** The copy in the history folder. */
  file: string;
  /** As the profile was labelled ("app.py (recorded)"). */
  label: string;
  /** ms since epoch when it was added. */
  time: number;
}

export class ProfileHistory {
  private readonly index: string;

  constructor(private readonly dir: string) {
    this.index = path.join(dir, 'history.json');
  }

  /** Newest first; entries whose file disappeared are left out. */
  entries(): HistoryEntry[] {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(this.index, 'utf8'));
    } catch {
      return [];
    }
    if (!Array.isArray(raw)) return [];
    return raw
      .filter((e): e is HistoryEntry => !!e && typeof e.file === 'string' && typeof e.label === 'string' && typeof e.time === 'number')
      .filter((e) => path.dirname(e.file) === this.dir && fs.existsSync(e.file));
  }

  /** Copies `file` into the history (a new, exclusively created file) and returns its entry. */
  add(file: string, label: string): HistoryEntry {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const ext = /\.speedscope\.json$/i.test(file) ? '.speedscope.json' : path.extname(file);
    const copy = path.join(this.dir, `${Date.now()}-${randomBytes(4).toString('hex')}${ext}`);
    fs.copyFileSync(file, copy, fs.constants.COPYFILE_EXCL);
    const entry: HistoryEntry = { file: copy, label, time: Date.now() };
    const all = [entry, ...this.entries()];
    for (const old of all.slice(MAX_ENTRIES)) fs.rmSync(old.file, { force: true });
    this.write(all.slice(0, MAX_ENTRIES));
    return entry;
  }

  private write(entries: HistoryEntry[]): void {
    const tmp = path.join(this.dir, `.history.${randomBytes(6).toString('hex')}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(entries, null, 1), { flag: 'wx', mode: 0o600 });
    fs.renameSync(tmp, this.index);
  }
}
