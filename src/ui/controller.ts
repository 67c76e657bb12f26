// The extension's behaviour behind its commands: starting and following recordings, loading and
// saving profiles, and the views that show the loaded profile (hot lines, top tree, flame panel,
// CodeLens through the language server). extension.ts only wires commands to these methods.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { RecordEvent } from '../recording/events';
import type { Profile } from '../profile/model';
import { mapProfilePath } from '../profile/pathMap';
import { formatCount, formatDuration } from '../profile/summary';
import { LocalCodeLensProvider } from './editor/codeLens';
import { HotLineDecorations } from './editor/decorations';
import { parseMetric, recordMemoryMode } from './editor/memoryView';
import { describeEngineError, UNTRUSTED_MESSAGE, UserError } from './recording/errors';
import { FlamePanel } from './flame/flamePanel';
import { resolveInterpreter } from './recording/interpreter';
import { log, outputChannel, recentLog } from './output';
import { clearProfileInServer, loadProfileInServer, setLensesVisible, startLanguageClient } from './editor/languageClient';
import { IMPORT_FILTERS, exportChoices, profileBaseName, readProfileFile, writeProfileFile } from './profileIO';
import { flameFeedBase64 } from './flame/flameFeedCache';
import { pickPythonProcess } from './pickers/processPicker';
import { RecordRequest, RecordTarget, RecordingOutcome, RecordingProcess } from '../recording/recordingProcess';
import { RecordingStatus } from './recording/statusBar';
import { LoadedProfile, ProfileStore, pathMappings, prepareProfile } from './store';
import { ProgramTerminal } from './recording/terminal';
import { TestReport, TestReportWriter } from './testReport';
import { TopItem, TopViewProvider } from './views/topView';

interface ActiveRecording {
  process: RecordingProcess;
  label: string;
  terminal?: ProgramTerminal;
}

export class Controller implements vscode.Disposable {
  readonly store = new ProfileStore();
  readonly decorations: HotLineDecorations;
  readonly top: TopViewProvider;
  readonly flame: FlamePanel;
  private readonly lenses: LocalCodeLensProvider;
  private readonly status = new RecordingStatus();
  private readonly disposables: vscode.Disposable[] = [];
  private recording: ActiveRecording | undefined;
  /** True between a profiling command's start and its recording's start (interpreter lookup, picker). */
  private preparing = false;
  /** Temporary folders of recordings; each is removed once its profile is no longer loaded. */
  private readonly tempDirs = new Set<string>();
  private report: TestReportWriter | undefined;
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
    this.lenses = new LocalCodeLensProvider(this.store);
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
      this.decorations,
      this.top,
      this.flame,
      this.lenses,
      this.status,
      view,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pyprof.pathMappings') || e.affectsConfiguration('pyprof.hotLines.minPercent')) void this.store.remap();
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
    void vscode.commands.executeCommand('setContext', 'pyprof.recording', false);
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
        if (p) void loadProfileInServer(p.sourceFile ?? p.profile, p.label);
        else void clearProfileInServer();
        this.removeTempDirs(p?.sourceFile);
      }),
    );
    const reportFile = process.env.PYPROF_TEST_REPORT;
    if (reportFile) {
      this.report = new TestReportWriter(reportFile, () => this.testReport());
      this.disposables.push(this.report, this.store.onDidChange(() => this.report?.schedule()));
      this.report.schedule();
    }
  }

  get isRecording(): boolean {
    return this.recording !== undefined;
  }

  // ---- commands -------------------------------------------------------------------------------

  async profileFile(resource?: vscode.Uri, mode: 'sample' | 'trace' = 'sample'): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      this.fail(UNTRUSTED_MESSAGE, [{ label: 'Manage Workspace Trust', kind: 'command', command: 'workbench.trust.manage' }], 'warning');
      return;
    }
    const uri = resource instanceof vscode.Uri ? resource : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file') {
      this.fail('Open a Python file (saved on disk) to profile it.');
      return;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!(doc?.languageId === 'python' || /\.pyw?$/i.test(uri.fsPath))) {
      this.fail(`${path.basename(uri.fsPath)} is not a Python file.`);
      return;
    }
    if (doc?.isDirty && !(await doc.save())) {
      this.fail(`${path.basename(uri.fsPath)} has unsaved changes that could not be saved.`);
      return;
    }
    if (!(await this.readyToRecord())) return;
    this.preparing = true;
    let interpreter;
    try {
      interpreter = await resolveInterpreter(uri);
    } finally {
      this.preparing = false;
    }
    if (!interpreter) {
      this.showUserError(describeEngineError('INTERPRETER_NOT_FOUND', 'no python3 on PATH', path.basename(uri.fsPath)));
      return;
    }
    log(`interpreter: ${interpreter.path} (${interpreter.source})`);
    const cfg = vscode.workspace.getConfiguration('pyprof', uri);
    const cwd = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
    const args = cfg.get<string[]>('args', []).filter((a) => typeof a === 'string');
    await this.record({ kind: 'launch', python: interpreter.path, program: uri.fsPath, args, cwd }, path.basename(uri.fsPath), mode);
  }

  async attach(pidArg?: number | string): Promise<void> {
    if (!(await this.readyToRecord())) return;
    let pid = typeof pidArg === 'number' ? pidArg : typeof pidArg === 'string' ? Number(pidArg) : undefined;
    if (pid === undefined || !Number.isInteger(pid) || pid <= 0) {
      this.preparing = true;
      try {
        pid = await this.pickProcess();
      } finally {
        this.preparing = false;
      }
    }
    if (pid === undefined || this.recording) return;
    await this.record({ kind: 'attach', pid }, `process ${pid}`);
  }

  /** The picker alone (also `${command:pyprof.pickProcess}` in launch.json): resolves to the PID. */
  async pickProcess(): Promise<number | undefined> {
    return pickPythonProcess(async () => {
      // The /proc scan only (engine/proc/, no koffi): the sampler never loads in the extension host.
      const { listPythonProcesses } = await import('../engine/proc/processList');
      return listPythonProcesses();
    });
  }

  stop(): void {
    const r = this.recording;
    if (!r) return;
    log(`stopping the recording of ${r.label}`);
    this.status.stopping();
    r.process.stop();
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
      profile = await readProfileFile(target);
    } catch (e) {
      this.fail(`Cannot open ${path.basename(target)}: ${(e as Error).message}`);
      return;
    }
    const format = profile.meta.source === 'speedscope' || /\.speedscope\.json$/i.test(target) ? 'speedscope' : profile.meta.source;
    await this.load(profile, typeof label === 'string' && label ? label : path.basename(target), { file: target, format });
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

  // ---- recording ------------------------------------------------------------------------------

  private async readyToRecord(): Promise<boolean> {
    if (this.preparing) return false; // a second click while the interpreter / process is being chosen
    if (!this.recording) return true;
    const stop = 'Stop It';
    const a = await vscode.window.showWarningMessage(`pyprof is already recording ${this.recording.label}.`, stop);
    if (a === stop) this.stop();
    return false;
  }

  private cliPath(): string {
    return vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'cli.js').fsPath;
  }

  private async record(target: RecordTarget, label: string, mode: 'sample' | 'trace' = 'sample'): Promise<void> {
    const cfg = vscode.workspace.getConfiguration('pyprof');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-'));
    this.tempDirs.add(dir);
    const request: RecordRequest = {
      target,
      output: path.join(dir, `${label.replace(/[^\w.-]+/g, '_')}.speedscope.json`),
      format: 'speedscope',
      rate: cfg.get<number>('rate', 100),
      subprocesses: cfg.get<boolean>('subprocesses', false),
      gil: cfg.get<boolean>('gil', false),
      idle: cfg.get<boolean>('idle', false),
      blocking: cfg.get<boolean>('blocking', false),
      memory: recordMemoryMode(cfg.get('memory'), target.kind === 'attach'),
      memoryFrames: cfg.get<number>('memoryFrames'),
      mode,
    };
    const useTerminal = target.kind === 'launch' && cfg.get<string>('console', 'terminal') === 'terminal';
    const out = outputChannel();
    let terminal: ProgramTerminal | undefined;
    let progressReport: ((e: RecordEvent) => void) | undefined;

    const proc = new RecordingProcess(process.execPath, this.cliPath(), request, {
      onEvent: (e) => {
        this.onRecordEvent(e, label);
        progressReport?.(e);
        if (e.type === 'subprocess') terminal?.note(`following subprocess ${e.pid} (Python ${e.pythonVersion})`);
      },
      onOutput: (text, stream) => {
        if (terminal) terminal.write(text, stream);
        else out.append(text);
      },
    });
    if (useTerminal) {
      terminal = new ProgramTerminal(`pyprof: ${label}`, {
        input: (t) => proc.write(t),
        interrupt: () => this.stop(),
        endInput: () => proc.endInput(),
      });
      this.disposables.push(terminal);
      terminal.show(false); // like "Run Python File": the program may read input
    }
    this.recording = { process: proc, label, terminal };
    void vscode.commands.executeCommand('setContext', 'pyprof.recording', true);
    this.status.start(label);
    log(`recording ${label}: ${[process.execPath, this.cliPath()].join(' ')} ${request.output}`);
    proc.start();

    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `pyprof: profiling ${label}`, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => this.stop());
        progressReport = (e) => {
          if (e.type === 'progress') progress.report({ message: `${formatCount(e.samples)} samples · ${formatDuration(e.elapsedMs)} — cancel to stop` });
          else if (e.type === 'started') progress.report({ message: `sampling pid ${e.pid} (Python ${e.pythonVersion})` });
        };
        return proc.outcome;
      },
    );

    this.recording = undefined;
    this.status.end();
    this.top.endLive();
    void vscode.commands.executeCommand('setContext', 'pyprof.recording', false);
    await this.finishRecording(outcome, target, label, terminal);
    this.removeTempDirs(this.store.current?.sourceFile); // failed recordings leave nothing behind
  }

  private onRecordEvent(e: RecordEvent, label: string): void {
    switch (e.type) {
      case 'started':
        log(`sampling pid ${e.pid} (Python ${e.pythonVersion}): ${e.command}`);
        break;
      case 'progress':
        this.status.update(e.samples, e.elapsedMs);
        break;
      case 'top':
        this.top.showLive(e.rows, e.samples, label);
        break;
      case 'subprocess':
        log(`following subprocess ${e.pid} (Python ${e.pythonVersion})`);
        break;
      case 'done':
        log(`profile written: ${e.output} (${formatCount(e.samples)} samples, ${e.errors} errors, ${formatDuration(e.durationMs)})`);
        for (const n of e.notes) log(`note: ${n}`);
        break;
      case 'error':
        log(`error ${e.code}: ${e.message}`);
        break;
    }
  }

  private async finishRecording(o: RecordingOutcome, target: RecordTarget, label: string, terminal: ProgramTerminal | undefined): Promise<void> {
    const targetName = target.kind === 'attach' ? `process ${target.pid}` : label;
    if (o.done && fs.existsSync(o.done.output)) {
      terminal?.note(`profile: ${formatCount(o.done.samples)} samples in ${formatDuration(o.done.durationMs)}`);
      terminal?.finish();
      if (o.done.samples === 0) {
        this.fail(`No samples were taken from ${targetName}${o.done.notes.length ? ` (${o.done.notes.join('; ')})` : ''}.`, [], 'warning');
        return;
      }
      try {
        const profile = await readProfileFile(o.done.output);
        await this.load(profile, `${label} (recorded)`, { file: o.done.output, format: o.done.format });
      } catch (e) {
        this.fail(`The profile of ${targetName} could not be read: ${(e as Error).message}`);
      }
      return;
    }
    terminal?.finish();
    if (o.error) {
      this.showUserError(describeEngineError(o.error.code, o.error.message, targetName, process.execPath));
      return;
    }
    const why = o.signal ? `was killed (${o.signal})` : `exited with code ${o.exitCode}`;
    const tail = o.stderrTail.trim().split('\n').slice(-3).join(' ');
    this.fail(`The pyprof sampler ${why} without writing a profile${tail ? `: ${tail}` : '.'}`, [{ label: 'Show Output', kind: 'showOutput' }]);
  }

  // ---- loading --------------------------------------------------------------------------------

  async load(profile: Profile, label: string, source?: { file: string; format: string }): Promise<LoadedProfile> {
    this.profileReadyAt = Date.now(); // "profile ready → decorations shown" includes deriving the tables
    const loaded = await prepareProfile(profile, label, source);
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

  /** Deletes recording folders except the one holding `keep` (the loaded profile's file). */
  private removeTempDirs(keep?: string): void {
    for (const dir of [...this.tempDirs]) {
      if (keep && path.dirname(keep) === dir) continue;
      if (this.recording && path.dirname(this.recording.process.request.output) === dir) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      this.tempDirs.delete(dir);
    }
  }

  // ---- messages -------------------------------------------------------------------------------

  private showUserError(err: UserError): void {
    this.fail(err.message, err.actions);
  }

  private fail(message: string, actions: UserError['actions'] = [], severity: 'error' | 'warning' = 'error'): void {
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
      activationMs: this.activationMs ?? null,
      decorationsMs: this.decorationsMs ?? null,
      flamePanel: { open: this.flame.isOpen, loadedMs: this.flame.lastLoadMs ?? null },
      lastError: this.lastError ?? null,
      log: recentLog(),
    };
  }

  dispose(): void {
    this.recording?.process.stop(2000);
    if (!this.recording) this.removeTempDirs();
    for (const d of this.disposables) d.dispose();
  }
}
