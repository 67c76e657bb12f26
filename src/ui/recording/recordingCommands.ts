// "Profile Current File", "Attach to Process" and Stop: chooses the target, runs the recorder
// (src/recording/recordingProcess.ts) with the pyprof.* settings, shows its progress (status bar,
// notification, live top view, the program's terminal) and hands the finished profile to the
// controller to load. Recording folders are temporary: each is removed once its profile is no
// longer loaded.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { RecordEvent } from '../../recording/events';
import { RecordRequest, RecordTarget, RecordingOutcome, RecordingProcess } from '../../recording/recordingProcess';
import type { Profile } from '../../profile/model';
import { formatCount, formatDuration } from '../../profile/summary';
import { recordMemoryMode } from '../editor/memoryView';
import { log, outputChannel } from '../output';
import { pickPythonProcess } from '../pickers/processPicker';
import { readProfileFile } from '../profileIO';
import type { ProfileStore } from '../store';
import type { TopViewProvider } from '../views/topView';
import { describeEngineError, UNTRUSTED_MESSAGE, UserError } from './errors';
import { resolveInterpreter } from './interpreter';
import { RecordingStatus } from './statusBar';
import { ProgramTerminal } from './terminal';
import { recoverJournal } from '../../recording/journalRecovery';

/** What recording needs from the controller: the loaded profile, the top view, loading, messages. */
export interface RecordingHost {
  readonly store: ProfileStore;
  readonly top: TopViewProvider;
  load(profile: Profile, label: string, source?: { file: string; format: string }): Promise<unknown>;
  /** Keeps a finished recording in the workspace's profile history (Compare with… offers it). */
  remember(file: string, label: string): void;
  fail(message: string, actions?: UserError['actions'], severity?: 'error' | 'warning'): void;
  showUserError(err: UserError): void;
  /** Opens a profile file, or a recording journal (replayed through replayJournal below). */
  openProfile(file: string, label?: string): Promise<void>;
}

interface ActiveRecording {
  process: RecordingProcess;
  label: string;
  terminal?: ProgramTerminal;
}

export class RecordingCommands implements vscode.Disposable {
  private readonly status = new RecordingStatus();
  private readonly disposables: vscode.Disposable[] = [this.status];
  private recording: ActiveRecording | undefined;
  /** True between a profiling command's start and its recording's start (interpreter lookup, picker). */
  private preparing = false;
  /** Temporary folders of recordings; each is removed once its profile is no longer loaded. */
  private readonly tempDirs = new Set<string>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly host: RecordingHost,
  ) {
    void vscode.commands.executeCommand('setContext', 'pyprof.recording', false);
  }

  get isRecording(): boolean {
    return this.recording !== undefined;
  }

  async profileFile(resource?: vscode.Uri, mode: 'sample' | 'trace' = 'sample'): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      this.host.fail(UNTRUSTED_MESSAGE, [{ label: 'Manage Workspace Trust', kind: 'command', command: 'workbench.trust.manage' }], 'warning');
      return;
    }
    const uri = resource instanceof vscode.Uri ? resource : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file') {
      this.host.fail('Open a Python file (saved on disk) to profile it.');
      return;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!(doc?.languageId === 'python' || /\.pyw?$/i.test(uri.fsPath))) {
      this.host.fail(`${path.basename(uri.fsPath)} is not a Python file.`);
      return;
    }
    if (doc?.isDirty && !(await doc.save())) {
      this.host.fail(`${path.basename(uri.fsPath)} has unsaved changes that could not be saved.`);
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
      this.host.showUserError(describeEngineError('INTERPRETER_NOT_FOUND', 'no python3 on PATH', path.basename(uri.fsPath)));
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
      const { listPythonProcesses } = await import('../../engine/proc/processList');
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
      native: cfg.get<boolean>('native', false),
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
    this.host.top.endLive();
    void vscode.commands.executeCommand('setContext', 'pyprof.recording', false);
    await this.finishRecording(outcome, target, label, terminal);
    this.removeTempDirs(this.host.store.current?.sourceFile); // failed recordings leave nothing behind
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
        this.host.top.showLive(e.rows, e.samples, label);
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
      // What the recording left out or could not deliver (rate achieved, --gil/idle share, child
      // processes not followed, processes added up): shown where the program ran, not only in the log.
      for (const n of o.done.notes) terminal?.note(`note: ${n}`);
      terminal?.finish();
      if (o.done.samples === 0) {
        this.host.fail(`No samples were taken from ${targetName}${o.done.notes.length ? ` (${o.done.notes.join('; ')})` : ''}.`, [], 'warning');
        return;
      }
      try {
        const profile = await readProfileFile(o.done.output);
        await this.host.load(profile, `${label} (recorded)`, { file: o.done.output, format: o.done.format });
        this.host.remember(o.done.output, `${label} (recorded)`);
      } catch (e) {
        this.host.fail(`The profile of ${targetName} could not be read: ${(e as Error).message}`);
      }
      return;
    }
    terminal?.finish();
    if (o.error) {
      this.host.showUserError(describeEngineError(o.error.code, o.error.message, targetName, process.execPath));
      return;
    }
    const why = o.signal ? `was killed (${o.signal})` : `exited with code ${o.exitCode}`;
    if (o.journal) {
      const open = 'Open Recovered Profile';
      const pick = await vscode.window.showWarningMessage(`The pyprof sampler ${why} before writing the profile of ${targetName}; its journal kept the samples up to its last second.`, open);
      if (pick === open) await this.host.openProfile(o.journal, `${label} (recovered)`);
      return;
    }
    const tail = o.stderrTail.trim().split('\n').slice(-3).join(' ');
    this.host.fail(`The pyprof sampler ${why} without writing a profile${tail ? `: ${tail}` : '.'}`, [{ label: 'Show Output', kind: 'showOutput' }]);
  }

  /** A journal left by a killed recorder → its profile, written by the CLI into a private temp folder. */
  async replayJournal(journal: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-'));
    this.tempDirs.add(dir);
    const output = path.join(dir, `${path.basename(journal).replace(/(\.[0-9a-f]{12})?\.journal$/, '')}.speedscope.json`);
    const notes = await recoverJournal(process.execPath, this.cliPath(), journal, output);
    for (const n of notes) log(`note: ${n}`);
    return output;
  }

  /** Deletes recording folders except the one holding `keep` (the loaded profile's file). */
  removeTempDirs(keep?: string): void {
    for (const dir of [...this.tempDirs]) {
      if (keep && path.dirname(keep) === dir) continue;
      if (this.recording && path.dirname(this.recording.process.request.output) === dir) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      this.tempDirs.delete(dir);
    }
  }

  dispose(): void {
    this.recording?.process.stop(2000);
    if (!this.recording) this.removeTempDirs();
    for (const d of this.disposables) d.dispose();
  }
}
