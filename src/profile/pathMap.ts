// Maps the paths a profile recorded (the target's absolute paths, possibly from a container or a
// remote host) to files in the local workspace. Pure: no vscode import, no file system access of
// its own — callers pass `exists` and the list of workspace files, so this is testable and the
// extension decides how to enumerate the workspace.
//
// Order of attempts for one profile path:
//   1. the path itself, when it exists locally;
//   2. each `pyprof.pathMappings` entry {from, to} whose `from` is a path prefix (first match wins,
//      longest `from` first so specific rules beat general ones), when the rewritten path exists;
//   3. a suffix match against the workspace files: the candidate sharing the longest run of trailing
//      path segments wins (ties broken by the shortest path, then alphabetically, so results are
//      stable); at least the file name must match.

export interface PathMapping {
  /** Prefix of the path as the profile has it, e.g. `/app` or `/usr/src/app/`. */
  from: string;
  /** Local replacement, e.g. `/home/me/project`. `${workspaceFolder}` is expanded by expandMappings. */
  to: string;
}

export interface PathMapOptions {
  mappings?: readonly PathMapping[];
  /** Whether a local file exists. Without it, only suffix matching against workspaceFiles is used. */
  exists?: (localPath: string) => boolean;
  /** Absolute paths of candidate local files (e.g. every *.py in the workspace). */
  workspaceFiles?: readonly string[] | WorkspaceIndex;
}

/** Paths that are not files: `<string>`, `<frozen importlib._bootstrap>`, `<stdin>`, empty. */
export function isPseudoPath(p: string): boolean {
  return p.length === 0 || (p.startsWith('<') && p.endsWith('>'));
}

/** Splits on both separators so Windows-style profile paths still match POSIX workspace paths. */
export function pathSegments(p: string): string[] {
  return p.split(/[\\/]+/).filter((s) => s.length > 0 && s !== '.');
}

function trimTrailingSep(p: string): string {
  return p.length > 1 ? p.replace(/[\\/]+$/, '') : p;
}

/**
 * Rewrites `p` with the first mapping whose `from` is a whole-segment prefix of it
 * (`/app` matches `/app/x.py` and `/app`, not `/apple/x.py`). Returns undefined when none applies.
 */
export function applyMappings(p: string, mappings: readonly PathMapping[]): string | undefined {
  const sorted = [...mappings].filter((m) => m.from).sort((a, b) => trimTrailingSep(b.from).length - trimTrailingSep(a.from).length);
  for (const m of sorted) {
    const from = trimTrailingSep(m.from);
    if (p === from) return trimTrailingSep(m.to);
    if (p.startsWith(from) && (p[from.length] === '/' || p[from.length] === '\\' || from.endsWith('/'))) {
      const rest = p.slice(from.length).replace(/^[\\/]+/, '');
      const to = trimTrailingSep(m.to);
      return rest ? `${to}/${rest}` : to;
    }
  }
  return undefined;
}

/** Replaces `${workspaceFolder}` (and `${userHome}` when given) in mapping targets. */
export function expandMappings(
  mappings: readonly PathMapping[],
  vars: { workspaceFolder?: string; userHome?: string },
): PathMapping[] {
  return mappings
    .filter((m) => m && typeof m.from === 'string' && typeof m.to === 'string')
    .map((m) => ({
      from: m.from,
      to: m.to
        .replace(/\$\{workspaceFolder\}/g, vars.workspaceFolder ?? '${workspaceFolder}')
        .replace(/\$\{userHome\}/g, vars.userHome ?? '${userHome}'),
    }));
}

/** Workspace files indexed by file name, for suffix matching without scanning every file per lookup. */
export class WorkspaceIndex {
  private byName = new Map<string, string[]>();

  constructor(files: Iterable<string> = []) {
    for (const f of files) this.add(f);
  }

  add(file: string): void {
    const segs = pathSegments(file);
    const name = segs[segs.length - 1];
    if (!name) return;
    const list = this.byName.get(name);
    if (list) {
      if (!list.includes(file)) list.push(file);
    } else this.byName.set(name, [file]);
  }

  candidates(name: string): readonly string[] {
    return this.byName.get(name) ?? [];
  }
}

/** Number of equal trailing segments of two paths. */
export function commonSuffixSegments(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

/** The workspace file whose path ends with the most segments of `profilePath`, or undefined. */
export function suffixMatch(profilePath: string, files: readonly string[] | WorkspaceIndex): string | undefined {
  const segs = pathSegments(profilePath);
  const name = segs[segs.length - 1];
  if (!name) return undefined;
  const candidates = files instanceof WorkspaceIndex ? files.candidates(name) : files.filter((f) => f.endsWith(name));
  let best: string | undefined;
  let bestScore = 0;
  for (const c of candidates) {
    const score = commonSuffixSegments(segs, pathSegments(c));
    if (score === 0) continue;
    if (
      score > bestScore ||
      (score === bestScore && best !== undefined && (c.length < best.length || (c.length === best.length && c < best)))
    ) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/** Maps one profile path to a local file, or undefined when nothing matches (see file header). */
export function mapProfilePath(profilePath: string, opts: PathMapOptions): string | undefined {
  if (isPseudoPath(profilePath)) return undefined;
  const exists = opts.exists;
  if (exists && exists(profilePath)) return profilePath;
  if (opts.mappings && opts.mappings.length > 0) {
    const rewritten = applyMappings(profilePath, opts.mappings);
    if (rewritten !== undefined) {
      if (!exists || exists(rewritten)) return rewritten;
      // A rewrite that names a missing file may still suffix-match (e.g. mapping to the wrong depth).
      const viaSuffix = opts.workspaceFiles ? suffixMatch(rewritten, opts.workspaceFiles) : undefined;
      if (viaSuffix) return viaSuffix;
    }
  }
  if (opts.workspaceFiles) return suffixMatch(profilePath, opts.workspaceFiles);
  return undefined;
}

/**
 * Maps every profile path once and returns both directions: profile path → local path, and
 * local path → the profile paths that landed on it (several when e.g. two containers ran the same
 * code). Views look up an open document's path in `toProfile`.
 */
export interface PathTable {
  toLocal: Map<string, string>;
  toProfile: Map<string, string[]>;
}

export function buildPathTable(profilePaths: Iterable<string>, opts: PathMapOptions): PathTable {
  const toLocal = new Map<string, string>();
  const toProfile = new Map<string, string[]>();
  const files = opts.workspaceFiles;
  const index = files && !(files instanceof WorkspaceIndex) ? new WorkspaceIndex(files) : files;
  const o: PathMapOptions = { ...opts, workspaceFiles: index };
  for (const p of profilePaths) {
    if (toLocal.has(p)) continue;
    const local = mapProfilePath(p, o);
    if (local === undefined) continue;
    toLocal.set(p, local);
    const list = toProfile.get(local);
    if (list) list.push(p);
    else toProfile.set(local, [p]);
  }
  return { toLocal, toProfile };
}
