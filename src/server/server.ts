// The pyprof language server: owns the loaded profile and serves CodeLens, hover, inlay hints and
// (optionally) diagnostics for the documents the client opens. Heavy work happens once per load
// (profileIndex + fileTables); per-request work is a table lookup plus placing entries in the
// current text (documentLayout, cached per document version).
// Transport-agnostic: main.ts creates the connection (stdio, node-ipc, socket) and calls listen().

import { promises as fsp, realpathSync, statSync } from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import {
  CodeLens,
  Connection,
  Diagnostic,
  DiagnosticSeverity,
  ErrorCodes,
  Hover,
  InitializeParams,
  InitializeResult,
  InlayHint,
  LSPErrorCodes,
  MarkupKind,
  ResponseError,
  TextDocumentContentChangeEvent,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Profile } from '../profile/model';
import { importProfile } from '../profile/formats/index';
import { PathTable, WorkspaceIndex, buildPathTable, isPseudoPath, mapProfilePath } from '../profile/pathMap';
import type { LineChange } from '../profile/lineShift';
import { DocumentLayout, Layout, diffAsChange, splitLines } from './documentLayout';
import { LocalFileTable, buildFileTable, buildFileTables } from './fileTables';
import { HoverContext, diagnosticMessage, functionHover, inlayLabel, lineHover } from './hoverText';
import { ProfileIndex, buildProfileIndex } from './profileIndex';
import { findFilesNamed } from './workspaceScan';
import {
  CLEAR_PROFILE,
  COMMAND_CLEAR_PROFILE,
  COMMAND_LOAD_PROFILE,
  COMMAND_REVEAL_LINE,
  DEFAULT_SERVER_OPTIONS,
  InitializationOptions,
  LOAD_PROFILE,
  LoadProfileParams,
  LoadProfileResult,
  PROFILE_CHANGED,
  ProfileChangedParams,
  SERVER_COMMANDS,
  SET_OPTIONS,
  STATUS,
  ServerOptions,
  StatusResult,
} from './protocol';
import { MemoryStats, hasLineMemory, memoryLensTitle, memoryStats, memoryText } from '../profile/memoryStats';
import { deservesLens } from '../profile/summary';

interface Loaded {
  index: ProfileIndex;
  info: LoadProfileResult;
  paths: PathTable;
  tables: Map<string, LocalFileTable>;
  /** Workspace files known by name (scan + opened documents), for late suffix matches. */
  workspace: WorkspaceIndex;
  /** Unmapped profile paths by base name: opening a document of that name may map them. */
  unmappedByName: Map<string, string[]>;
  /** Bytes allocated / freed per function, for profiles with memory data (metric 'memory'). */
  memory?: MemoryStats;
}

interface OpenDoc {
  doc: TextDocument;
  /** Local path for file: URIs. */
  fsPath?: string;
  layout?: DocumentLayout;
  lines?: { version: number; lines: string[] };
  hasDiagnostics?: boolean;
}

export interface StartupOptions {
  /** Profile file to load once the client is initialized (`--profile FILE`). */
  profile?: string;
}

function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

function isProfileShape(p: unknown): p is Profile {
  const o = p as Profile;
  return !!o && typeof o === 'object' && !!o.meta && Array.isArray(o.frames) && Array.isArray(o.nodes) && Array.isArray(o.samples);
}

export class PyprofServer {
  private options: Required<ServerOptions> = { ...DEFAULT_SERVER_OPTIONS, pathMappings: [] };
  private roots: string[] = [];
  private loaded: Loaded | undefined;
  private loadSeq = 0;
  private readonly docs = new Map<string, OpenDoc>();
  private readonly realpaths = new Map<string, string>();
  private clientCaps = { codeLensRefresh: false, inlayHintRefresh: false, showDocument: false };
  private startupProfile: string | undefined;

  constructor(private readonly conn: Connection, startup: StartupOptions = {}) {
    this.startupProfile = startup.profile;
  }

  listen(): void {
    const c = this.conn;
    c.onInitialize((p) => this.initialize(p));
    c.onInitialized(() => {
      if (!this.startupProfile) return;
      const file = this.resolveStartupPath(this.startupProfile);
      this.loadProfile({ path: file }).catch((e: Error) => {
        void c.window.showErrorMessage(`pyprof: cannot load ${file}: ${e.message}`);
      });
    });
    c.onDidOpenTextDocument((p) => {
      const { uri, languageId, version, text } = p.textDocument;
      const od: OpenDoc = { doc: TextDocument.create(uri, languageId, version, text), fsPath: uriToPath(uri) };
      this.docs.set(uri, od);
      this.attachLayout(od);
      this.publishDiagnostics(od);
    });
    c.onDidChangeTextDocument((p) => {
      const od = this.docs.get(p.textDocument.uri);
      if (!od) return;
      this.applyChanges(od, p.contentChanges, p.textDocument.version);
      this.publishDiagnostics(od);
    });
    c.onDidCloseTextDocument((p) => {
      const od = this.docs.get(p.textDocument.uri);
      this.docs.delete(p.textDocument.uri);
      if (od?.hasDiagnostics) void c.sendDiagnostics({ uri: p.textDocument.uri, diagnostics: [] });
    });
    c.onCodeLens((p) => this.codeLenses(p.textDocument.uri));
    c.onHover((p) => this.hover(p.textDocument.uri, p.position.line));
    c.languages.inlayHint.on((p) => this.inlayHints(p.textDocument.uri, p.range.start.line, p.range.end.line));
    c.onExecuteCommand(async (p) => {
      const args = p.arguments ?? [];
      switch (p.command) {
        case COMMAND_LOAD_PROFILE:
          if (typeof args[0] !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, `${COMMAND_LOAD_PROFILE} takes a profile file path`);
          return this.loadProfile({ path: args[0] });
        case COMMAND_CLEAR_PROFILE:
          this.clearProfile();
          return null;
        case COMMAND_REVEAL_LINE:
          return this.revealLine(String(args[0]), Number(args[1]));
        default:
          throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${p.command}`);
      }
    });
    c.onRequest(LOAD_PROFILE, (p: LoadProfileParams) => this.loadProfile(p ?? {}));
    c.onRequest(CLEAR_PROFILE, () => {
      this.clearProfile();
      return null;
    });
    c.onRequest(SET_OPTIONS, (p: ServerOptions) => this.setOptions(p ?? {}));
    c.onRequest(STATUS, (): StatusResult => ({ loaded: this.loaded?.info ?? null, options: this.options }));
    c.listen();
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  private initialize(p: InitializeParams): InitializeResult {
    const roots = p.workspaceFolders?.map((f) => uriToPath(f.uri)) ?? [p.rootUri ? uriToPath(p.rootUri) : p.rootPath ?? undefined];
    this.roots = roots.filter((r): r is string => !!r);
    const init = (p.initializationOptions ?? {}) as InitializationOptions;
    if (init && typeof init === 'object') {
      this.mergeOptions(init);
      if (typeof init.profile === 'string' && init.profile && !this.startupProfile) this.startupProfile = init.profile;
    }
    const caps = p.capabilities;
    this.clientCaps = {
      codeLensRefresh: !!caps.workspace?.codeLens?.refreshSupport,
      inlayHintRefresh: !!caps.workspace?.inlayHint?.refreshSupport,
      showDocument: !!caps.window?.showDocument?.support,
    };
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeLensProvider: { resolveProvider: false },
        hoverProvider: true,
        inlayHintProvider: { resolveProvider: false },
        executeCommandProvider: { commands: SERVER_COMMANDS },
      },
      serverInfo: { name: 'pyprof-lsp', version: '0.1.0' },
    };
  }

  /** A relative `--profile` path: from the server's cwd, else from the workspace root (editors differ in the cwd they give). */
  private resolveStartupPath(p: string): string {
    if (path.isAbsolute(p)) return p;
    const fromCwd = path.resolve(p);
    if (this.roots.length === 0) return fromCwd;
    try {
      statSync(fromCwd);
      return fromCwd;
    } catch {
      return path.resolve(this.roots[0], p);
    }
  }

  private mergeOptions(o: ServerOptions): boolean {
    let remap = false;
    const bool = (k: 'lenses' | 'inlayHints' | 'hovers' | 'diagnostics') => {
      if (typeof o[k] === 'boolean') this.options[k] = o[k] as boolean;
    };
    bool('lenses');
    bool('inlayHints');
    bool('hovers');
    bool('diagnostics');
    if (typeof o.minPercent === 'number' && o.minPercent >= 0) this.options.minPercent = o.minPercent;
    if (o.metric === 'time' || o.metric === 'memory') this.options.metric = o.metric;
    if (typeof o.diagnosticPercent === 'number' && o.diagnosticPercent >= 0) this.options.diagnosticPercent = o.diagnosticPercent;
    if (Array.isArray(o.pathMappings)) {
      const next = o.pathMappings.filter((m) => m && typeof m.from === 'string' && typeof m.to === 'string');
      remap = JSON.stringify(next) !== JSON.stringify(this.options.pathMappings);
      this.options.pathMappings = next;
    }
    return remap;
  }

  private async setOptions(o: ServerOptions): Promise<Required<ServerOptions>> {
    const remap = this.mergeOptions(o);
    if (remap && this.loaded) {
      const seq = this.loadSeq;
      const mapped = await this.mapPaths(this.loaded.index);
      if (seq === this.loadSeq && this.loaded) {
        this.loaded = { ...this.loaded, ...mapped, info: { ...this.loaded.info, ...this.mappingInfo(this.loaded.index, mapped.paths) } };
        this.resetLayouts();
      }
    }
    this.refreshClient();
    return this.options;
  }

  // ---- profiles -------------------------------------------------------------------------------

  async loadProfile(p: LoadProfileParams): Promise<LoadProfileResult> {
    const seq = ++this.loadSeq;
    const t0 = Date.now();
    let profile: Profile;
    let label: string;
    if (typeof p.path === 'string' && p.path) {
      let data: Buffer;
      try {
        data = await fsp.readFile(p.path);
      } catch (e) {
        throw new ResponseError(ErrorCodes.InvalidParams, `cannot read ${p.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      try {
        profile = importProfile(data, p.path);
      } catch (e) {
        throw new ResponseError(ErrorCodes.InvalidParams, (e as Error).message);
      }
      label = p.label || path.basename(p.path);
    } else if (p.profile !== undefined) {
      if (!isProfileShape(p.profile)) throw new ResponseError(ErrorCodes.InvalidParams, 'profile: not a pyprof Profile (meta, frames, nodes, samples)');
      profile = p.profile;
      profile.threads ??= [];
      profile.timeline ??= [];
      label = p.label || profile.meta.command || 'profile';
    } else {
      throw new ResponseError(ErrorCodes.InvalidParams, `${LOAD_PROFILE} needs "path" (a profile file) or "profile"`);
    }
    const index = buildProfileIndex(profile);
    const mapped = await this.mapPaths(index);
    if (seq !== this.loadSeq) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'superseded by a newer load or clear');
    const info: LoadProfileResult = {
      label,
      total: index.total,
      functions: index.summary.functions.length,
      ...this.mappingInfo(index, mapped.paths),
      loadMs: Date.now() - t0,
    };
    this.loaded = { index, info, ...mapped, memory: hasLineMemory(profile) ? memoryStats(profile) : undefined };
    this.resetLayouts();
    this.refreshClient();
    this.conn.console.info(
      `pyprof: loaded ${label}: ${info.functions} functions, ${info.mappedFiles}/${info.files} files mapped, ${info.loadMs} ms` +
        (info.unmapped.length ? `; not found locally: ${info.unmapped.slice(0, 5).join(', ')}${info.unmapped.length > 5 ? ', …' : ''}` : ''),
    );
    void this.conn.sendNotification(PROFILE_CHANGED, { profile: info } satisfies ProfileChangedParams);
    return info;
  }

  clearProfile(): void {
    this.loadSeq++;
    this.loaded = undefined;
    this.resetLayouts();
    this.refreshClient();
    void this.conn.sendNotification(PROFILE_CHANGED, { profile: null } satisfies ProfileChangedParams);
  }

  private mappingInfo(index: ProfileIndex, paths: PathTable): Pick<LoadProfileResult, 'files' | 'mappedFiles' | 'unmapped'> {
    const files = [...new Set(index.profile.frames.map((f) => f.file))].filter((f) => !isPseudoPath(f));
    const unmapped = files.filter((f) => !paths.toLocal.has(f));
    return { files: files.length, mappedFiles: files.length - unmapped.length, unmapped: unmapped.slice(0, 20) };
  }

  /**
   * Profile paths → local files: as they are, through pathMappings, else by trailing segments
   * against workspace files of the missing names (one bounded scan) and the open documents.
   */
  private async mapPaths(index: ProfileIndex): Promise<Pick<Loaded, 'paths' | 'tables' | 'workspace' | 'unmappedByName'>> {
    const existsCache = new Map<string, boolean>();
    const exists = (p: string) => {
      let v = existsCache.get(p);
      if (v === undefined) {
        try {
          v = statSync(p).isFile();
        } catch {
          v = false;
        }
        existsCache.set(p, v);
      }
      return v;
    };
    const mappings = this.options.pathMappings;
    const files = [...new Set(index.profile.frames.map((f) => f.file))].filter((f) => !isPseudoPath(f));
    let paths = buildPathTable(files, { mappings, exists });
    const workspace = new WorkspaceIndex([...this.docs.values()].map((d) => d.fsPath).filter((p): p is string => !!p));
    const missing = files.filter((f) => !paths.toLocal.has(f));
    if (missing.length > 0) {
      const names = new Set(missing.map((f) => path.basename(f.replace(/\\/g, '/'))));
      for (const f of await findFilesNamedSafe(this.roots, names)) workspace.add(f);
      paths = buildPathTable(files, { mappings, exists, workspaceFiles: workspace });
    }
    const unmappedByName = new Map<string, string[]>();
    for (const f of files) {
      if (paths.toLocal.has(f)) continue;
      const name = path.basename(f.replace(/\\/g, '/'));
      const list = unmappedByName.get(name);
      if (list) list.push(f);
      else unmappedByName.set(name, [f]);
    }
    const tables = this.withRealpathAliases(buildFileTables(index, paths));
    return { paths, tables, workspace, unmappedByName };
  }

  private realpath(p: string): string {
    let r = this.realpaths.get(p);
    if (r === undefined) {
      try {
        r = realpathSync(p);
      } catch {
        r = p;
      }
      this.realpaths.set(p, r);
    }
    return r;
  }

  /** Also key each table by its real path, so a document opened through a symlink finds it. */
  private withRealpathAliases(tables: Map<string, LocalFileTable>): Map<string, LocalFileTable> {
    for (const [local, t] of [...tables]) {
      const real = this.realpath(local);
      if (real !== local && !tables.has(real)) tables.set(real, t);
    }
    return tables;
  }

  private tableFor(od: OpenDoc): LocalFileTable | undefined {
    const L = this.loaded;
    if (!L || !od.fsPath) return undefined;
    let t = L.tables.get(od.fsPath) ?? L.tables.get(this.realpath(od.fsPath));
    if (t) return t;
    // A document whose name some unmapped profile path has: it may be that file (suffix match).
    const candidates = L.unmappedByName.get(path.basename(od.fsPath));
    if (!candidates || candidates.length === 0) return undefined;
    L.workspace.add(od.fsPath);
    const opts = { mappings: this.options.pathMappings, workspaceFiles: L.workspace };
    const touched = new Set<string>();
    for (const pf of [...candidates]) {
      const local = mapProfilePath(pf, opts);
      if (!local) continue;
      L.paths.toLocal.set(pf, local);
      const list = L.paths.toProfile.get(local);
      if (list) list.push(pf);
      else L.paths.toProfile.set(local, [pf]);
      candidates.splice(candidates.indexOf(pf), 1);
      touched.add(local);
    }
    for (const local of touched) {
      const nt = buildFileTable(L.index, local, L.paths.toProfile.get(local)!);
      L.tables.set(local, nt);
      const real = this.realpath(local);
      if (real !== local) L.tables.set(real, nt);
    }
    if (touched.size > 0) L.info = { ...L.info, ...this.mappingInfo(L.index, L.paths) };
    t = L.tables.get(od.fsPath) ?? L.tables.get(this.realpath(od.fsPath));
    return t;
  }

  // ---- documents ------------------------------------------------------------------------------

  private attachLayout(od: OpenDoc): void {
    const t = this.tableFor(od);
    od.layout = t ? new DocumentLayout(t, od.doc.lineCount) : undefined;
  }

  private resetLayouts(): void {
    for (const od of this.docs.values()) this.attachLayout(od);
  }

  private applyChanges(od: OpenDoc, changes: readonly TextDocumentContentChangeEvent[], version: number): void {
    // LSP changes apply in order, each to the result of the previous one.
    for (const ch of changes) {
      if (od.layout) {
        let lc: LineChange | undefined;
        if ('range' in ch) {
          lc = {
            startLine: ch.range.start.line,
            startCharacter: ch.range.start.character,
            endLine: ch.range.end.line,
            endCharacter: ch.range.end.character,
            text: ch.text,
          };
        } else {
          lc = diffAsChange(od.doc.getText(), ch.text);
        }
        if (lc) od.layout.applyChanges([lc]);
      }
      od.doc = TextDocument.update(od.doc, [ch], version);
    }
  }

  private layoutOf(uri: string): { od: OpenDoc; layout: Layout; lines: string[] } | undefined {
    const od = this.docs.get(uri);
    if (!od?.layout || !this.loaded) return undefined;
    if (!od.lines || od.lines.version !== od.doc.version) od.lines = { version: od.doc.version, lines: splitLines(od.doc.getText()) };
    return { od, layout: od.layout.layout(od.lines.lines, od.doc.version), lines: od.lines.lines };
  }

  // ---- features -------------------------------------------------------------------------------

  codeLenses(uri: string): CodeLens[] {
    if (!this.options.lenses) return [];
    const l = this.layoutOf(uri);
    if (!l) return [];
    // Clicking a lens goes to the function's hottest line: most own weight, else (a function that
    // only calls others) the line with the most total weight, i.e. the expensive call.
    const byRecorded = new Map<number, number>();
    const heaviest = new Map<number, { line: number; total: number }>(); // frame → placed line
    for (const pl of l.layout.lines) {
      byRecorded.set(pl.entry.line, pl.line);
      const h = heaviest.get(pl.entry.owner);
      if (!h || pl.entry.total > h.total) heaviest.set(pl.entry.owner, { line: pl.line, total: pl.entry.total });
    }
    const memory = this.options.metric === 'memory' ? this.loaded?.memory : undefined;
    const memoryTitle = (frames: number[]): string | undefined => {
      const sum = { selfAlloc: 0, selfFreed: 0, totalAlloc: 0, totalFreed: 0 };
      for (const fr of frames) {
        const st = memory!.functions[fr];
        if (!st) continue;
        sum.selfAlloc += st.selfAlloc;
        sum.selfFreed += st.selfFreed;
        sum.totalAlloc += st.totalAlloc;
        sum.totalFreed += st.totalFreed;
      }
      return sum.totalAlloc > 0 || sum.totalFreed > 0 ? memoryLensTitle(sum) : undefined;
    };
    // memory view: only functions that allocated or freed get a lens, titled with their bytes
    const informative = l.layout.functions.filter((f) => deservesLens(f.entry));
    const shown = memory ? informative.filter((f) => memoryTitle(f.entry.frames) !== undefined) : informative;
    return shown.map((f) => {
      const own = f.entry.hotLine > 0 ? byRecorded.get(f.entry.hotLine) : undefined;
      const target = own ?? f.entry.frames.map((fr) => heaviest.get(fr)).find((h) => h !== undefined)?.line ?? f.defLine;
      return {
        range: { start: { line: f.line, character: 0 }, end: { line: f.line, character: 0 } },
        command: {
          title: memory ? memoryTitle(f.entry.frames)! : f.entry.title,
          command: COMMAND_REVEAL_LINE,
          arguments: [uri, target],
        },
      };
    });
  }

  hover(uri: string, line: number): Hover | null {
    if (!this.options.hovers) return null;
    const l = this.layoutOf(uri);
    if (!l || !this.loaded) return null;
    const table = l.od.layout!.table;
    const ctx = this.hoverContext();
    const parts: string[] = [];
    const fn = l.layout.functionAt.get(line);
    if (fn) parts.push(functionHover(ctx, fn.entry));
    const pl = l.layout.lineAt.get(line);
    if (pl) {
      const owner = table.functions.find((f) => f.frames.includes(pl.entry.owner));
      parts.push(lineHover(ctx, table, pl.entry, line, owner));
    }
    if (parts.length === 0) return null;
    const len = l.lines[line]?.length ?? 0;
    return {
      contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n---\n\n') },
      range: { start: { line, character: 0 }, end: { line, character: len } },
    };
  }

  inlayHints(uri: string, fromLine: number, toLine: number): InlayHint[] {
    if (!this.options.inlayHints) return [];
    const l = this.layoutOf(uri);
    if (!l) return [];
    const min = this.options.minPercent / 100;
    const out: InlayHint[] = [];
    // memory view: a line's own bytes ("+1.0 MB alloc · −2.0 MB freed"); lines without any get none
    const memory = this.options.metric === 'memory' ? this.loaded?.memory : undefined;
    const profileFiles = l.od.layout!.table.profileFiles;
    const memoryLabel = (line: number): string | undefined => {
      let alloc = 0;
      let freed = 0;
      for (const f of profileFiles) {
        const st = memory!.lines.get(f)?.get(line);
        if (st) {
          alloc += st.selfAlloc;
          freed += st.selfFreed;
        }
      }
      return alloc > 0 || freed > 0 ? memoryText(alloc, freed) : undefined;
    };
    for (const pl of l.layout.lines) {
      if (pl.line < fromLine || pl.line > toLine) continue;
      const label = memory ? memoryLabel(pl.entry.line) : inlayLabel(pl.entry, min);
      if (!label) continue;
      out.push({
        position: { line: pl.line, character: l.lines[pl.line].length },
        label,
        paddingLeft: true,
        tooltip: pl.entry.text,
      });
    }
    return out;
  }

  private diagnosticsFor(uri: string): Diagnostic[] {
    if (!this.options.diagnostics) return [];
    const l = this.layoutOf(uri);
    if (!l) return [];
    const min = this.options.diagnosticPercent / 100;
    return l.layout.lines
      .filter((pl) => pl.entry.selfFraction > 0 && pl.entry.selfFraction >= min)
      .map((pl) => {
        const text = l.lines[pl.line];
        const start = text.length - text.trimStart().length;
        return {
          range: { start: { line: pl.line, character: start }, end: { line: pl.line, character: text.length } },
          severity: DiagnosticSeverity.Information,
          source: 'pyprof',
          message: diagnosticMessage(pl.entry),
        };
      });
  }

  private publishDiagnostics(od: OpenDoc): void {
    const diagnostics = this.diagnosticsFor(od.doc.uri);
    if (diagnostics.length === 0 && !od.hasDiagnostics) return;
    od.hasDiagnostics = diagnostics.length > 0;
    void this.conn.sendDiagnostics({ uri: od.doc.uri, diagnostics });
  }

  private hoverContext(): HoverContext {
    const L = this.loaded!;
    return { index: L.index, localPathOf: (pf) => L.paths.toLocal.get(pf) };
  }

  private async revealLine(uri: string, line: number): Promise<null> {
    if (!this.clientCaps.showDocument || !uri) return null;
    const l = Number.isInteger(line) && line >= 0 ? line : 0;
    await this.conn.window.showDocument({
      uri,
      takeFocus: true,
      selection: { start: { line: l, character: 0 }, end: { line: l, character: 0 } },
    });
    return null;
  }

  /** Asks the client to re-query lenses and hints, and re-publishes diagnostics. */
  private refreshClient(): void {
    if (this.clientCaps.codeLensRefresh) this.conn.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
    if (this.clientCaps.inlayHintRefresh) this.conn.languages.inlayHint.refresh().catch(() => undefined);
    for (const od of this.docs.values()) this.publishDiagnostics(od);
  }
}

async function findFilesNamedSafe(roots: readonly string[], names: ReadonlySet<string>): Promise<string[]> {
  try {
    return await findFilesNamed(roots, names);
  } catch {
    return []; // a failed scan only means fewer suffix matches
  }
}
