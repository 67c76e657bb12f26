// The router behind the extension's commands: owns the loaded profile (store) and the views that
// show it (hot lines, top tree, flame panel, CodeLens through the language server), loads and saves
// profiles, and hands recording to src/ui/recording/recordingCommands.ts. extension.ts only wires
// commands to these methods.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Profile } from '../profile/model';
import { mapProfilePath } from '../profile/pathMap';
import { formatCount } from '../profile/summary';
import { LocalCodeLensProvider } from './editor/codeLens';
import { HotLineDecorations } from './editor/decorations';
import { parseMetric } from './editor/memoryView';
import { clearProfileInServer, loadProfileInServer, onServerProfileChanged, serverLoadedProfile, setLensesVisible, startLanguageClient } from './editor/languageClient';
import { FlamePanel } from './flame/flamePanel';
import { flameFeedBase64 } from './flame/flameFeedCache';
import { log, outputChannel, recentLog } from './output';
import { IMPORT_FILTERS, exportChoices, profileBaseName, readProfileFile, writeProfileFile } from './profileIO';
import type { UserError } from './recording/errors';
import { RecordingCommands, RecordingHost } from './recording/recordingCommands';
import { LoadedProfile, ProfileStore, pathMappings, prepareProfile } from './store';
import { TestReport, TestReportWriter } from './testReport';
import { TopItem, TopViewProvider } from './views/topView';
import { DiffDecorations } from './compare/diffDecorations';
import { buildComparisonView } from './compare/diffLines';
import { HistoryEntry, ProfileHistory } from './compare/history';
import { DiffError, DiffMode, ProfileDiff, diffProfiles } from '../profile/diff';
import { buildDiffTree } from '../profile/diffTree';
import { DiffFlameData, buildDiffFlame } from './flame/diffFlameData';
import { DiffFlamePanel } from './flame/diffFlamePanel';
import { isJournalFile } from '../recording/journalRecovery';

export class Controller implements vscode.Disposable, RecordingHost {
  readonly store = new ProfileStore();
  readonly decorations: HotLineDecorations;
  readonly top: TopViewProvider;
  readonly flame: FlamePanel;
  /** The comparison with a baseline profile shown in the editor (Compare with…). */
  readonly diffView: DiffDecorations;
  comparison: { diff: ProfileDiff; base: Profile; baseLabel: string; flame: DiffFlameData } | undefined;
  readonly diffFlame: DiffFlamePanel;
  /** History copy of the loaded profile, when it was recorded here (not a baseline candidate). */
  private currentHistoryFile: string | undefined;
  private readonly lenses: LocalCodeLensProvider;
  private readonly recordings: RecordingCommands;
  private readonly disposables: vscode.Disposable[] = [];
  private report: TestReportWriter | undefined;
  /** Test report only: the lenses last seen by pollLenses(). */
  private reportedLenses: TestReport['lenses'] = {};
  private decorationsMs: number | undefined;
  private profileReadyAt = 0;
  lastError: string | undefined;
  /** Who serves CodeLens: the language server, or this extension when the server could not start. */
  lensSource: 'pending' | 'server' | 'extension' = 'pending';
  /** Set by activate(): ms it took. */
  activationMs: number | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.decorations = new HotLineDecorations(this.store, context.extensionUri);
    this.top = new TopViewProvider(this.store);
    this.diffView = new DiffDecorations(context.extensionUri);
    this.diffFlame = new DiffFlamePanel(context.extensionUri, { revealSource: (file, line, opts) => this.revealSource(file, line, opts), log });
    this.lenses = new LocalCodeLensProvider(this.store);
    this.recordings = new RecordingCommands(context, this);
    this.flame = new FlamePanel(context.extensionUri, {
      store: this.store,
      speedscopeBase64: flameFeedBase64,
      revealSource: (file, line, opts) => this.revealSource(file, line, opts),
      log,
    });
    const view = vscode.window.createTreeView<TopItem>('pyprof.top', { treeDataProvider: this.top, showCollapseAll: false });
    this.top.attach(view);
    this.disposables.push(
      this.store,
      this.diffView,
      this.diffFlame,
      // a comparison is of the loaded profile: another profile ends it
      this.store.onDidChange(() => this.clearComparison()),
      this.decorations,
      this.top,
      this.flame,
      this.lenses,
      view,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pyprof.pathMappings') || e.affectsConfiguration('pyprof.hotLines.minPercent') || e.affectsConfiguration('pyprof.hotLines.textMinPercent')) void this.store.remap();
        if (e.affectsConfiguration('pyprof.hotLines.metric')) {
          const m = parseMetric(vscode.workspace.getConfiguration('pyprof').get('hotLines.metric'));
          this.decorations.setMetric(m);
          this.lenses.setMetric(m);
        }
        if (e.affectsConfiguration('pyprof.hotLines.enabled')) {
          const on = vscode.workspace.getConfiguration('pyprof').get<boolean>('hotLines.enabled', true);
          this.decorations.setVisible(on);
          this.lenses.setVisible(on);
          void setLensesVisible(on);
        }
      }),
      this.decorations.onDidApply(() => {
        if (this.profileReadyAt && this.decorations.allApplied().size > 0) {
          this.decorationsMs = Date.now() - this.profileReadyAt;
          this.profileReadyAt = 0;
        }
        this.report?.schedule();
      }),
      this.flame.onDidLoad(() => this.report?.schedule()),
      // registered here rather than in extension.ts: it is the controller's own view state
      vscode.commands.registerCommand('pyprof.toggleMemoryView', () => this.toggleMemoryView()),
    );
    // CodeLens (and hovers) come from the language server; the extension-side provider is the
    // fallback when the server cannot start, so lenses never show twice.
    if (!this.decorations.visible) void setLensesVisible(false);
    void startLanguageClient(context).then((ok) => {
      this.lensSource = ok ? 'server' : 'extension';
      this.report?.schedule();
      if (!ok) this.disposables.push(vscode.languages.registerCodeLensProvider({ scheme: 'file', language: 'python' }, this.lenses));
    });
    this.disposables.push(
      this.store.onDidChange((p) => {
        if (p) void loadProfileInServer(p.sourceFile ?? p.profile, p.label, p.profile);
        else void clearProfileInServer();
        this.recordings.removeTempDirs(p?.sourceFile);
      }),
    );
    const reportFile = process.env.PYPROF_TEST_REPORT;
    if (reportFile) {
      this.report = new TestReportWriter(reportFile, () => this.testReport());
      let polling = false;
      const poll = setInterval(() => {
        if (polling) return;
        polling = true;
        void this.pollLenses().finally(() => (polling = false));
      }, 1000);
      this.disposables.push(
        this.report,
        this.store.onDidChange(() => this.report?.schedule()),
        onServerProfileChanged(() => this.report?.schedule()),
        { dispose: () => clearInterval(poll) },
      );
      this.report.schedule();
    }
  }

  get isRecording(): boolean {
    return this.recordings.isRecording;
  }

  // ---- commands -------------------------------------------------------------------------------

  profileFile(resource?: vscode.Uri, mode: 'sample' | 'trace' = 'sample'): Promise<void> {
    return this.recordings.profileFile(resource, mode);
  }

  attach(pidArg?: number | string): Promise<void> {
    return this.recordings.attach(pidArg);
  }

  /** The picker alone (also `${command:pyprof.pickProcess}` in launch.json): resolves to the PID. */
  pickProcess(): Promise<number | undefined> {
    return this.recordings.pickProcess();
  }

  stop(): void {
    this.recordings.stop();
  }

  /**
   * Opens a profile file (dialog when `file` is not given). Other parts (the debug adapter) call
   * `pyprof.openProfile` with a path and optionally a label to show a finished recording.
   */
  async openProfile(file?: vscode.Uri | string, label?: string): Promise<void> {
    let target = typeof file === 'string' ? file : file instanceof vscode.Uri ? file.fsPath : undefined;
    if (!target) {
      const picked = await vscode.window.showOpenDialog({
        title: 'pyprof: Open Profile',
        canSelectMany: false,
        openLabel: 'Open Profile',
        filters: IMPORT_FILTERS,
      });
      if (!picked?.[0]) return;
      target = picked[0].fsPath;
    }
    let profile: Profile;
    try {
      profile = await readProfileFile((await isJournalFile(target)) ? await this.recordings.replayJournal(target) : target);
    } catch (e) {
      this.fail(`Cannot open ${path.basename(target)}: ${(e as Error).message}`);
      return;
    }
    const format = profile.meta.source === 'speedscope' || /\.speedscope\.json$/i.test(target) ? 'speedscope' : profile.meta.source;
    await this.load(profile, typeof label === 'string' && label ? label : path.basename(target), { file: target, format });
    // A label comes with the profile of a launch.json / attach session (the debug adapter's): keep it.
    if (typeof label === 'string' && label) this.remember(target, label);
  }

  async saveProfile(): Promise<void> {
    const loaded = this.store.current;
    if (!loaded) {
      this.fail('No profile is loaded: record one or open a profile file first.');
      return;
    }
    const choices = await exportChoices();
    const choice = await vscode.window.showQuickPick(
      choices.map((c) => ({ label: c.label, description: `*${c.extension}`, choice: c })),
      { title: 'pyprof: Save Profile As', placeHolder: 'Format' },
    );
    if (!choice) return;
    const base = profileBaseName(loaded.label, choices.map((c) => c.extension));
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const dest = await vscode.window.showSaveDialog({
      title: 'pyprof: Save Profile As',
      defaultUri: vscode.Uri.joinPath(folder, `${base}${choice.choice.extension}`),
      saveLabel: 'Save Profile',
    });
    if (!dest) return;
    try {
      await writeProfileFile(loaded.profile, dest.fsPath, choice.choice.format);
      log(`saved ${choice.choice.format} profile to ${dest.fsPath}`);
      void vscode.window.showInformationMessage(`pyprof: saved ${path.basename(dest.fsPath)}`);
    } catch (e) {
      this.fail(`Cannot save the profile: ${(e as Error).message}`);
    }
  }

  showFlameGraph(): void {
    if (!this.store.current) {
      this.fail('No profile is loaded: record one or open a profile file first.');
      return;
    }
    this.flame.show();
  }

  /** Switches hot lines and lenses between time and memory (`pyprof.hotLines.metric`). */
  async toggleMemoryView(): Promise<void> {
    const cfg = vscode.workspace.getConfiguration('pyprof');
    const next = parseMetric(cfg.get('hotLines.metric')) === 'memory' ? 'time' : 'memory';
    if (next === 'memory' && this.store.current && !this.store.current.memory) {
      void vscode.window.showInformationMessage(
        'pyprof: this profile has no memory data. Record with the pyprof.memory setting "rss" or "tracemalloc" (or `pyprof record --memory`) to see bytes per line.',
      );
    }
    await cfg.update('hotLines.metric', next, vscode.ConfigurationTarget.Global);
    // the configuration listener applies it; do it now too so the caller sees the new state
    this.decorations.setMetric(next);
    this.lenses.setMetric(next);
  }

  toggleHotLines(): void {
    this.setHotLinesVisible(!this.decorations.visible);
  }

  /** Hot-line decorations and CodeLens (server or fallback) together. */
  setHotLinesVisible(on: boolean): void {
    this.decorations.setVisible(on);
    this.lenses.setVisible(on);
    void setLensesVisible(on);
  }

  clearProfile(): void {
    this.store.set(undefined);
  }

  // ---- comparing ------------------------------------------------------------------------------

  history(): ProfileHistory {
    const root = this.context.storageUri ?? this.context.globalStorageUri;
    return new ProfileHistory(path.join(root.fsPath, 'profile-history'));
  }

  /** Keeps a copy of a recorded profile in the workspace's history (Compare with… offers it). */
  remember(file: string, label: string): void {
    try {
      this.currentHistoryFile = this.history().add(file, label).file;
    } catch (e) {
      log(`profile history: cannot keep ${file}: ${(e as Error).message}`);
    }
  }

  /**
   * Compares the loaded profile with a baseline: `file`, else a pick of the history (the previous
   * run first) or any profile file. Shows the changes in the editor until cleared or replaced.
   */
  async compareWith(file?: string): Promise<void> {
    const current = this.store.current;
    if (!current) {
      this.fail('No profile is loaded: record one or open a profile, then compare it with another.');
      return;
    }
    let baseFile = file;
    let baseLabel = file ? path.basename(file) : '';
    if (!baseFile) {
      const entries = this.history().entries().filter((e) => e.file !== this.currentHistoryFile);
      const browse = { label: '$(folder-opened) Browse for a profile file…', entry: undefined as HistoryEntry | undefined };
      const items = [
        ...entries.map((e, i) => ({ label: e.label, description: `${i === 0 ? 'previous run · ' : ''}${new Date(e.time).toLocaleString()}`, entry: e as HistoryEntry | undefined })),
        browse,
      ];
      const picked = await vscode.window.showQuickPick(items, { title: `pyprof: Compare ${current.label} with…`, placeHolder: 'Baseline profile' });
      if (!picked) return;
      if (picked.entry) {
        baseFile = picked.entry.file;
        baseLabel = picked.entry.label;
      } else {
        const uris = await vscode.window.showOpenDialog({ title: 'pyprof: Baseline Profile', canSelectMany: false, openLabel: 'Compare', filters: IMPORT_FILTERS });
        if (!uris?.[0]) return;
        baseFile = uris[0].fsPath;
        baseLabel = path.basename(baseFile);
      }
    }
    let base: Profile;
    try {
      base = await readProfileFile(baseFile);
    } catch (e) {
      this.fail(`Cannot open ${path.basename(baseFile)}: ${(e as Error).message}`);
      return;
    }
    if (this.store.current !== current) return; // another profile was loaded meanwhile
    const setting = vscode.workspace.getConfiguration('pyprof').get<string>('compare.normalize', 'share');
    const mode: DiffMode = setting === 'time' ? 'time' : 'share';
    let diff: ProfileDiff;
    try {
      diff = diffProfiles(base, current.profile, { mode, normalise: setting === 'allSamples' ? 'all' : 'unchanged' });
    } catch (e) {
      if (e instanceof DiffError) {
        this.fail(e.message);
        return;
      }
      throw e;
    }
    const flame = buildDiffFlame(diff, buildDiffTree(base, current.profile, diff), `${current.label} vs ${baseLabel}`);
    this.comparison = { diff, base, baseLabel, flame };
    this.diffView.show(buildComparisonView(diff, current.paths.toLocal), baseLabel);
    if (this.diffFlame.isOpen) this.diffFlame.show(flame);
    const significant = diff.functions.filter((f) => f.change.status !== 'unchanged' && f.change.significant !== false);
    log(`compared ${current.label} with ${baseLabel} (${mode}): ${significant.length} functions changed significantly${diff.notes.map((n) => `; ${n}`).join('')}`);
    this.report?.schedule();
  }

  clearComparison(): void {
    if (!this.comparison && !this.diffView.active) return;
    this.comparison = undefined;
    this.diffView.show(undefined);
    this.diffFlame.show(undefined);
  }

  /** The comparison's differential flame graph (Compare with… first). */
  showDiffFlameGraph(): void {
    if (!this.comparison) {
      this.fail('No comparison is shown: run "pyprof: Compare with…" first.');
      return;
    }
    this.diffFlame.show(this.comparison.flame, false);
  }

  async revealSource(
    file: string,
    line: number,
    opts: { avoidColumn?: vscode.ViewColumn; toSide?: boolean; preserveFocus?: boolean } = {},
  ): Promise<void> {
    const loaded = this.store.current;
    const local =
      loaded?.paths.toLocal.get(file) ??
      mapProfilePath(file, { mappings: pathMappings(), exists: (p) => fs.existsSync(p) && fs.statSync(p).isFile() });
    if (!local) {
      this.fail(`${file} is not in this workspace. Add a "pyprof.pathMappings" entry if the profile came from another machine or a container.`, [
        { label: 'Open Settings', kind: 'command', command: 'workbench.action.openSettings', args: ['pyprof.pathMappings'] },
      ], 'warning');
      return;
    }
    let viewColumn: vscode.ViewColumn | undefined;
    if (opts.toSide) viewColumn = vscode.ViewColumn.Beside;
    else if (opts.avoidColumn !== undefined) {
      viewColumn = vscode.window.visibleTextEditors.find((e) => e.viewColumn !== undefined && e.viewColumn !== opts.avoidColumn)?.viewColumn ?? vscode.ViewColumn.Beside;
    }
    const l = Math.max(0, line - 1);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(local));
    const range = new vscode.Range(l, 0, l, 0);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn, preserveFocus: opts.preserveFocus ?? false, selection: range });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  // ---- loading --------------------------------------------------------------------------------

  async load(profile: Profile, label: string, source?: { file: string; format: string }): Promise<LoadedProfile> {
    this.profileReadyAt = Date.now(); // "profile ready → decorations shown" includes deriving the tables
    const loaded = await prepareProfile(profile, label, source);
    this.currentHistoryFile = undefined;
    log(
      `loaded ${label}: ${formatCount(loaded.summary.total)} weight, ${loaded.summary.files.size} files ` +
        `(${loaded.paths.toLocal.size} mapped to the workspace, ${loaded.hotLines.size} with hot lines), prepared in ${loaded.prepareMs} ms`,
    );
    this.store.set(loaded);
    if (loaded.paths.toLocal.size === 0 && loaded.summary.files.size > 0) {
      void vscode.window.showWarningMessage(
        'pyprof: none of the profile\'s files were found in this workspace. Map them with "pyprof.pathMappings".',
      );
    }
    if (vscode.workspace.getConfiguration('pyprof').get<boolean>('flameGraph.openAfterProfiling', true)) this.flame.show(true);
    return loaded;
  }

  // ---- messages -------------------------------------------------------------------------------

  showUserError(err: UserError): void {
    this.fail(err.message, err.actions);
  }

  fail(message: string, actions: UserError['actions'] = [], severity: 'error' | 'warning' = 'error'): void {
    this.lastError = message;
    log(`${severity}: ${message}`);
    this.report?.schedule();
    const show = severity === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    void show(`pyprof: ${message}`, ...actions.map((a) => a.label)).then((picked) => {
      const a = actions.find((x) => x.label === picked);
      if (!a) return;
      if (a.kind === 'copy') void vscode.env.clipboard.writeText(a.text);
      else if (a.kind === 'showOutput') outputChannel().show(true);
      else void vscode.commands.executeCommand(a.command, ...(a.args ?? []));
    });
  }

  // ---- test hooks -----------------------------------------------------------------------------

  testReport(): TestReport {
    const loaded = this.store.current;
    const decorations: TestReport['decorations'] = {};
    for (const [uri, lines] of this.decorations.allApplied()) decorations[vscode.Uri.parse(uri).fsPath] = lines;
    return {
      updated: Date.now(),
      profile: loaded
        ? {
            label: loaded.label,
            samples: loaded.profile.meta.sampleCount ?? loaded.summary.total,
            total: loaded.summary.total,
            source: loaded.profile.meta.source,
            files: loaded.summary.files.size,
            prepareMs: loaded.prepareMs,
          }
        : null,
      recording: this.isRecording,
      decorations,
      lensSource: this.lensSource,
      server: (() => {
        const s = serverLoadedProfile();
        return s ? { label: s.label, total: s.total } : null;
      })(),
      lenses: this.reportedLenses,
      activationMs: this.activationMs ?? null,
      decorationsMs: this.decorationsMs ?? null,
      flamePanel: { open: this.flame.isOpen, loadedMs: this.flame.lastLoadMs ?? null },
      lastError: this.lastError ?? null,
      log: recentLog(),
    };
  }

  /**
   * Test report only: asks VS Code for the pyprof lenses of each visible Python file (what its
   * CodeLens providers, the language server first, return now) and reports them when they changed.
   */
  private async pollLenses(): Promise<void> {
    const now: TestReport['lenses'] = {};
    for (const ed of vscode.window.visibleTextEditors) {
      if (ed.document.uri.scheme !== 'file' || ed.document.languageId !== 'python') continue;
      try {
        const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', ed.document.uri)) ?? [];
        now[ed.document.uri.fsPath] = lenses
          .filter((l) => l.command?.title.startsWith('pyprof'))
          .map((l) => ({ line: l.range.start.line + 1, title: l.command!.title }))
          .sort((a, b) => a.line - b.line);
      } catch (e) {
        log(`test report: lenses of ${ed.document.uri.fsPath}: ${(e as Error).message}`);
      }
    }
    if (JSON.stringify(now) !== JSON.stringify(this.reportedLenses)) {
      this.reportedLenses = now;
      this.report?.schedule();
    }
  }

  dispose(): void {
    this.recordings.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
