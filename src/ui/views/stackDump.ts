// "Dump Stacks of a Python Process…": every thread's current Python stack, in a read-only document
// (language pyprof-stacks: coloured by syntaxes/pyprof-stacks.tmLanguage.json, `file:line` links
// by stackLinks.ts). No debug session is needed: the snapshot is taken by `pyprof dump` run as a
// child process, so the engine (koffi, ptrace) never loads into the extension host. During a
// paused pyprof debug session it shows the session's own snapshot, the one in the Call Stack view.

import { execFile } from 'child_process';
import * as vscode from 'vscode';
import type { ProcessInfo, Snapshot } from '../../engine/types';
import { formatDump, shortenDumpHeaders } from '../../cli/dumpFormat';
import { log } from '../output';
import { STACKS_LANGUAGE } from './stackLinks';

export const STACKS_SCHEME = 'pyprof-stacks';
const DUMP_TIMEOUT_MS = 30_000;

/** Holds the text of every dump shown this session; documents of this scheme are read-only. */
export class StackDumpDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private seq = 0;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(STACKS_SCHEME, this);

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '(this stack dump is no longer available)';
  }

  async show(title: string, dump: string): Promise<vscode.TextEditor> {
    const text = shortenDumpHeaders(dump);
    const uri = vscode.Uri.from({ scheme: STACKS_SCHEME, path: `/${title.replace(/[\\/]/g, '_')} #${++this.seq}.pyprof-stacks` });
    this.texts.set(uri.toString(), text);
    let doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== STACKS_LANGUAGE) doc = await vscode.languages.setTextDocumentLanguage(doc, STACKS_LANGUAGE);
    return vscode.window.showTextDocument(doc, { preview: false });
  }

  dispose(): void {
    this.registration.dispose();
    this.texts.clear();
  }
}

export interface DumpDeps {
  nodePath: string;
  cliPath: string;
  pickProcess(): Promise<number | undefined>;
  documents: StackDumpDocuments;
}

/** Runs `pyprof dump`; resolves to its text, or rejects with the CLI's one-line error. */
export function runDump(nodePath: string, cliPath: string, pid: number, opts: { blocking: boolean; native: boolean }): Promise<string> {
  // --async: an asyncio program's tasks follow its threads (nothing is added for other programs)
  const args = [cliPath, 'dump', '--pid', String(pid), '--async'];
  if (opts.blocking) args.push('--blocking');
  if (opts.native) args.push('--native');
  return new Promise((resolve, reject) => {
    execFile(
      nodePath,
      args,
      { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: DUMP_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const line = stderr.split('\n').find((l) => l.startsWith('pyprof: error: ') || l.startsWith('pyprof dump: '));
        reject(new Error(line ? line.replace(/^pyprof(?: dump)?: (?:error: )?/, '') : `pyprof dump failed: ${err.message}`));
      },
    );
  });
}

/** The paused snapshot of the active pyprof debug session, if there is one. */
async function sessionSnapshot(): Promise<string | undefined> {
  const session = vscode.debug.activeDebugSession;
  if (session?.type !== 'pyprof') return undefined;
  try {
    const r = (await session.customRequest('pyprofSnapshot')) as { info: ProcessInfo; snapshot: Snapshot };
    return r?.info && r.snapshot ? formatDump({ info: r.info, snapshot: r.snapshot }) : undefined;
  } catch {
    return undefined; // not started yet or already ending: pick a process instead
  }
}

export async function dumpStacks(deps: DumpDeps, pidArg?: number | string): Promise<void> {
  let pid = typeof pidArg === 'number' ? pidArg : typeof pidArg === 'string' && /^\d+$/.test(pidArg.trim()) ? Number(pidArg) : undefined;
  if (pid === undefined) {
    const fromSession = await sessionSnapshot();
    if (fromSession) {
      await deps.documents.show(`Stacks of ${vscode.debug.activeDebugSession!.name}`, fromSession);
      return;
    }
    pid = await deps.pickProcess();
    if (pid === undefined) return;
  }
  const cfg = vscode.workspace.getConfiguration('pyprof');
  const opts = { blocking: cfg.get<boolean>('blocking', false), native: cfg.get<boolean>('native', false) };
  try {
    const text = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `pyprof: reading the stacks of process ${pid}` },
      () => runDump(deps.nodePath, deps.cliPath, pid!, opts),
    );
    await deps.documents.show(`Stacks of process ${pid}`, text);
  } catch (e) {
    const message = (e as Error).message;
    log(`dump stacks of ${pid}: ${message}`);
    void vscode.window.showErrorMessage(`pyprof: cannot dump the stacks of process ${pid}: ${message}`);
  }
}
