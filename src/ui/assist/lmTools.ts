// pyprof's assistant tools (src/assist/) as VS Code language-model tools (`vscode.lm.registerTool`,
// declared in package.json contributes.languageModelTools). The VS Code side only: launching follows
// Profile Current File (workspace trust, the active editor's saved Python file, the same interpreter
// choice), recordings load into the editor like any other, and every launch/attach/dump is
// confirmed by the user first (prepareInvocation's confirmationMessages).
// The LM tools API is stable from VS Code 1.95; on older hosts nothing is registered.

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { AssistInputError, AssistRunError } from '../../assist/errors';
import { DEFAULT_MAX_DURATION_S } from '../../assist/inputs';
import { TOOLS } from '../../assist/toolDefinitions';
import type { AssistHost, LoadedProfile, RecordWish } from '../../assist/tools';
import type { Profile } from '../../profile/model';
import { log } from '../output';
import { UNTRUSTED_MESSAGE } from '../recording/errors';
import { resolveInterpreter } from '../recording/interpreter';
import type { ProfileStore } from '../store';

/** What the tools need from the controller. */
export interface LmToolsController {
  readonly store: ProfileStore;
  load(profile: Profile, label: string, source?: { file: string; format: string }): Promise<unknown>;
  remember(file: string, label: string): void;
}

/** The subset of the 1.95+ API used here (@types/vscode is pinned to the engines minimum, 1.91). */
interface LmToolsApi {
  registerTool(name: string, tool: {
    invoke(options: { input: unknown }, token: vscode.CancellationToken): Promise<unknown>;
    prepareInvocation?(options: { input: unknown }, token: vscode.CancellationToken): Promise<{ invocationMessage?: string; confirmationMessages?: { title: string; message: string | vscode.MarkdownString } } | undefined>;
  }): vscode.Disposable;
}
interface LmResultClasses {
  LanguageModelToolResult: new (content: unknown[]) => unknown;
  LanguageModelTextPart: new (value: string) => unknown;
}

/** Recording folders kept (older ones are removed; the loaded profile's folder never is). */
const KEEP_RECORDINGS = 5;

class VscodeAssistHost implements AssistHost {
  readonly maxDurationS = DEFAULT_MAX_DURATION_S;
  private readonly recorded: Array<{ file: string; dir: string }> = [];

  constructor(
    private readonly controller: LmToolsController,
    private readonly cli: string,
  ) {}

  roots(): readonly string[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  }

  /** The active editor's Python file, saved, as Profile Current File takes it. */
  private async activeFile(): Promise<string> {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || doc.uri.scheme !== 'file') throw new AssistInputError("no Python file is open in the editor: give 'file' (relative to the workspace folder)");
    if (!(doc.languageId === 'python' || /\.pyw?$/i.test(doc.uri.fsPath))) throw new AssistInputError(`the active editor's ${path.basename(doc.uri.fsPath)} is not a Python file: give 'file'`);
    if (doc.isDirty && !(await doc.save())) throw new AssistRunError(`${path.basename(doc.uri.fsPath)} has unsaved changes that could not be saved`);
    return doc.uri.fsPath;
  }

  async record(wish: RecordWish): Promise<LoadedProfile & { file: string; programOutput?: string }> {
    let python: string | undefined;
    if (wish.kind === 'launch') {
      if (!vscode.workspace.isTrusted) throw new AssistRunError(UNTRUSTED_MESSAGE);
      if (!wish.command) {
        wish = { ...wish, file: wish.file ?? (await this.activeFile()) };
        const interpreter = await resolveInterpreter(vscode.Uri.file(wish.file!));
        if (!interpreter) throw new AssistRunError('no Python interpreter found: select one (Python extension), set pyprof.pythonPath, or put python3 on PATH');
        log(`assistant tool: interpreter ${interpreter.path} (${interpreter.source})`);
        python = interpreter.path;
      }
    }
    const { recordWithCli } = await import('../../assist/cliRunner'); // profile formats load on first use
    const rec = await recordWithCli({ node: process.execPath, cli: this.cli }, wish, python, this.roots());
    this.recorded.push({ file: rec.file, dir: rec.dir });
    await this.controller.load(rec.profile, rec.label, { file: rec.file, format: 'speedscope' });
    this.controller.remember(rec.file, rec.label);
    this.prune();
    return rec;
  }

  private prune(): void {
    const loaded = this.controller.store.current?.sourceFile;
    while (this.recorded.length > KEEP_RECORDINGS) {
      const i = this.recorded.findIndex((r) => r.file !== loaded);
      if (i < 0) break;
      fs.rmSync(this.recorded[i].dir, { recursive: true, force: true });
      this.recorded.splice(i, 1);
    }
  }

  async dumpStacks(pid: number): Promise<string> {
    const { dumpWithCli } = await import('../../assist/cliRunner');
    return dumpWithCli({ node: process.execPath, cli: this.cli }, pid);
  }

  current(): LoadedProfile | undefined {
    const cur = this.controller.store.current;
    return cur ? { profile: cur.profile, label: cur.label, file: cur.sourceFile } : undefined;
  }

  ownFiles(): ReadonlySet<string> {
    const files = new Set(this.recorded.map((r) => r.file));
    const loaded = this.controller.store.current?.sourceFile;
    if (loaded) files.add(loaded); // a recording of the editor's own commands (in a temporary folder)
    return files;
  }

  dispose(): void {
    for (const r of this.recorded) fs.rmSync(r.dir, { recursive: true, force: true });
    this.recorded.length = 0;
  }
}

/** Registers every tool of src/assist/toolDefinitions.ts; a no-op (logged) before VS Code 1.95. */
export function registerLmTools(context: vscode.ExtensionContext, controller: LmToolsController, cliPath: string): void {
  const lm = vscode.lm as unknown as Partial<LmToolsApi> | undefined;
  const classes = vscode as unknown as Partial<LmResultClasses>;
  if (typeof lm?.registerTool !== 'function' || !classes.LanguageModelToolResult || !classes.LanguageModelTextPart) {
    log(`language-model tools not registered: VS Code ${vscode.version} has no vscode.lm.registerTool (1.95+)`);
    return;
  }
  const host = new VscodeAssistHost(controller, cliPath);
  context.subscriptions.push({ dispose: () => host.dispose() });
  const { LanguageModelToolResult, LanguageModelTextPart } = classes as LmResultClasses;
  for (const def of TOOLS) {
    const tool = {
      async prepareInvocation(options: { input: unknown }) {
        const { consentFor } = await import('../../assist/tools');
        let consent: ReturnType<typeof consentFor>;
        try {
          consent = consentFor(def.name, options.input, host, vscode.window.activeTextEditor?.document.uri.fsPath);
        } catch {
          consent = undefined; // invalid input: invoke() answers with the reason, nothing runs
        }
        return { invocationMessage: `pyprof: ${def.title.toLowerCase()}…`, confirmationMessages: consent && { title: `pyprof: ${consent.title}`, message: new vscode.MarkdownString(consent.message) } };
      },
      async invoke(options: { input: unknown }) {
        const { runTool } = await import('../../assist/tools');
        try {
          return new LanguageModelToolResult([new LanguageModelTextPart(await runTool(def.name, options.input, host))]);
        } catch (e) {
          // Thrown with a message the model can act on (VS Code passes it to the model as the tool's error).
          if (e instanceof AssistInputError || e instanceof AssistRunError) throw new Error(`pyprof: ${e.message}`);
          throw e;
        }
      },
    };
    context.subscriptions.push(lm.registerTool(def.name, tool));
  }
}
