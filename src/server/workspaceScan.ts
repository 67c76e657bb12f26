// Finds workspace files by name, for matching profile paths that do not exist locally (a profile
// recorded in a container or on another host) by their trailing path segments (profile/pathMap.ts).
// Only the names the profile is missing are collected, and the walk is bounded, so a huge
// workspace costs a bounded amount of time once per profile load.

import { promises as fsp } from 'fs';
import * as path from 'path';

/** Directories never worth walking for source files. */
const SKIP_DIRS = new Set(['node_modules', '__pycache__', 'site-packages', 'dist-packages']);

export interface ScanOptions {
  /** Directories visited at most (default 20,000). */
  maxDirs?: number;
}

/** Absolute paths under `roots` whose base name is in `names`. Hidden directories are skipped. */
export async function findFilesNamed(roots: readonly string[], names: ReadonlySet<string>, opts: ScanOptions = {}): Promise<string[]> {
  if (names.size === 0 || roots.length === 0) return [];
  const maxDirs = opts.maxDirs ?? 20_000;
  const found: string[] = [];
  const queue = [...new Set(roots)];
  const seen = new Set<string>();
  let visited = 0;
  while (queue.length > 0 && visited < maxDirs) {
    const dir = queue.shift()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    visited++;
    let entries: import('fs').Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable: permissions, vanished
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && !SKIP_DIRS.has(e.name)) queue.push(path.join(dir, e.name));
      } else if ((e.isFile() || e.isSymbolicLink()) && names.has(e.name)) {
        found.push(path.join(dir, e.name));
      }
    }
  }
  return found;
}
