// The profile the editor currently shows, with everything derived from it computed once at load:
// summary (line/function tables), the profile-path → workspace-file table, and per-file hot lines.
// Views subscribe to onDidChange; none of them walks the profile again.

import * as fs from 'fs';
import * as os from 'os';
import * as vscode from 'vscode';
import type { Profile } from '../profile/model';
import { PathMapping, PathTable, buildPathTable, expandMappings, isPseudoPath, pathSegments } from '../profile/pathMap';
import { ProfileSummary, summarizeProfile } from '../profile/summary';
import { HotLine, buildHotLineTables } from './editor/hotLines';
import { MemoryView, buildMemoryView } from './editor/memoryView';
import { log } from './output';

export interface LoadedProfile {
  profile: Profile;
  summary: ProfileSummary;
  paths: PathTable;
  /** Local path → lines to decorate. */
  hotLines: Map<string, HotLine[]>;
  /** The memory view's tables (`pyprof.hotLines.metric` = memory), when the profile has per-line memory. */
  memory?: MemoryView;
  /** Shown in views: "demo.py (recorded)", "run.speedscope.json". */
  label: string;
  /** File the profile was read from (a temporary file for recordings), and its format. */
  sourceFile?: string;
  sourceFormat?: string;
  /** ms spent deriving the tables (summary + paths + hot lines), for the test report / bench. */
  prepareMs: number;
}

export function pathMappings(): PathMapping[] {
  const raw = vscode.workspace.getConfiguration('pyprof').get<PathMapping[]>('pathMappings') ?? [];
  return expandMappings(Array.isArray(raw) ? raw : [], {
    workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    userHome: os.homedir(),
  });
}

export function hotLineMinFraction(): number {
  const pct = vscode.workspace.getConfiguration('pyprof').get<number>('hotLines.minPercent', 0.5);
  return Math.max(0, Number(pct) || 0) / 100;
}

/** `pyprof.hotLines.textMinPercent`: end-of-line text only on lines at least this hot. */
export function hotLineTextMinFraction(): number {
  const pct = vscode.workspace.getConfiguration('pyprof').get<number>('hotLines.textMinPercent', 1);
  return Math.max(0, Number(pct) || 0) / 100;
}

const existsCache = new Map<string, boolean>();
function exists(p: string): boolean {
  let v = existsCache.get(p);
  if (v === undefined) {
    try {
      v = fs.statSync(p).isFile();
    } catch {
      v = false;
    }
    existsCache.set(p, v);
  }
  return v;
}

/**
 * Builds the path table. Exact paths and mappings need only `stat`; for the rest we ask the
 * workspace only for files with the missing names (one findFiles glob), not for every *.py.
 */
export async function mapProfilePaths(profile: Profile): Promise<PathTable> {
  existsCache.clear();
  const mappings = pathMappings();
  const files = [...new Set(profile.frames.map((f) => f.file))].filter((f) => !isPseudoPath(f));
  const first = buildPathTable(files, { mappings, exists });
  const missing = files.filter((f) => !first.toLocal.has(f));
  if (missing.length === 0 || !vscode.workspace.workspaceFolders?.length) return first;
  const names = [...new Set(missing.map((f) => pathSegments(f).pop()!).filter((n) => n && !/[{},*?[\]]/.test(n)))];
  const workspaceFiles: string[] = [];
  for (let i = 0; i < names.length; i += 200) {
    const glob = `**/{${names.slice(i, i + 200).join(',')}}`;
    const found = await vscode.workspace.findFiles(glob, '**/{node_modules,.git}/**', 20000);
    for (const u of found) if (u.scheme === 'file') workspaceFiles.push(u.fsPath);
  }
  return buildPathTable(files, { mappings, exists, workspaceFiles });
}

export async function prepareProfile(
  profile: Profile,
  label: string,
  source?: { file: string; format: string },
): Promise<LoadedProfile> {
  const t0 = Date.now();
  const summary = summarizeProfile(profile);
  const t1 = Date.now();
  const paths = await mapProfilePaths(profile);
  const t2 = Date.now();
  const minFraction = hotLineMinFraction();
  const textMinFraction = hotLineTextMinFraction();
  const hotLines = buildHotLineTables(summary, paths, profile.meta, { minFraction, textMinFraction });
  const memory = buildMemoryView(profile, paths, minFraction, textMinFraction);
  log(`prepared ${label}: summary ${t1 - t0} ms, path mapping ${t2 - t1} ms, hot lines ${Date.now() - t2} ms`);
  return {
    profile,
    summary,
    paths,
    hotLines,
    memory,
    label,
    sourceFile: source?.file,
    sourceFormat: source?.format,
    prepareMs: Date.now() - t0,
  };
}

export class ProfileStore implements vscode.Disposable {
  private loaded: LoadedProfile | undefined;
  private readonly emitter = new vscode.EventEmitter<LoadedProfile | undefined>();
  readonly onDidChange = this.emitter.event;

  get current(): LoadedProfile | undefined {
    return this.loaded;
  }

  set(p: LoadedProfile | undefined): void {
    this.loaded = p;
    void vscode.commands.executeCommand('setContext', 'pyprof.hasProfile', p !== undefined);
    this.emitter.fire(p);
  }

  /** Re-derives path and hot-line tables (after `pyprof.pathMappings` or the threshold changed). */
  async remap(): Promise<void> {
    const p = this.loaded;
    if (!p) return;
    const again = await prepareProfile(p.profile, p.label, p.sourceFile ? { file: p.sourceFile, format: p.sourceFormat ?? '' } : undefined);
    if (this.loaded === p) this.set(again);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
