// CodeLens over profiled functions, served in the extension host. The language server
// (src/server/, client in src/ui/editor/languageClient.ts) is the primary provider; this one is the
// fallback used only when the server cannot be started, so the product still shows lenses.
// Same titles as the server (profile/summary.ts lensTitle); lens lines follow edits.

import * as vscode from 'vscode';
import { FunctionSummary, deservesLens } from '../../profile/summary';
import { LineShifter } from '../../profile/lineShift';
import { followEdit } from './editTracking';
import { HotLineMetric, parseMetric } from './memoryView';
import type { ProfileStore } from '../store';

interface DocLenses {
  fns: Array<Pick<FunctionSummary, 'file' | 'line' | 'hotLine' | 'title'>>;
  shifter: LineShifter;
}

export class LocalCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.emitter.event;
  private readonly docs = new Map<string, DocLenses>();
  private readonly disposables: vscode.Disposable[] = [];
  private enabled = true;
  private metric: HotLineMetric = parseMetric(vscode.workspace.getConfiguration('pyprof').get('hotLines.metric'));

  constructor(private readonly store: ProfileStore) {
    this.disposables.push(
      store.onDidChange(() => {
        this.docs.clear();
        this.emitter.fire();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => followEdit(this.docs, e)),
      vscode.workspace.onDidCloseTextDocument((d) => this.docs.delete(d.uri.toString())),
      this.emitter,
    );
  }

  /** `memory`: lens titles are bytes allocated / freed (when the profile has memory data). */
  setMetric(m: HotLineMetric): void {
    this.metric = m;
    this.docs.clear();
    this.emitter.fire();
  }

  setVisible(on: boolean): void {
    this.enabled = on;
    this.emitter.fire();
  }

  private stateFor(doc: vscode.TextDocument): DocLenses | undefined {
    const loaded = this.store.current;
    if (!loaded || doc.uri.scheme !== 'file') return undefined;
    const key = doc.uri.toString();
    let st = this.docs.get(key);
    if (!st) {
      const profilePaths = loaded.paths.toProfile.get(doc.uri.fsPath);
      if (!profilePaths) return undefined;
      const memory = this.metric === 'memory' ? loaded.memory : undefined;
      const fns = memory
        ? profilePaths.flatMap((p) => memory.lenses.get(p) ?? []).filter(deservesLens).map((l) => ({ file: l.file, line: l.line, hotLine: 0, title: l.title }))
        : profilePaths.flatMap((p) => loaded.summary.files.get(p)?.functions ?? []).filter((f) => f.line > 0 && f.total > 0 && deservesLens(f));
      st = { fns, shifter: new LineShifter(fns.map((f) => f.line - 1), doc.lineCount) };
      this.docs.set(key, st);
    }
    return st;
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.enabled) return [];
    const st = this.stateFor(doc);
    if (!st) return [];
    const cur = st.shifter.current();
    const out: vscode.CodeLens[] = [];
    st.fns.forEach((f, i) => {
      const line = cur[i];
      if (line < 0 || line >= doc.lineCount) return;
      out.push(
        new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
          title: f.title,
          command: 'pyprof.revealSource',
          arguments: [f.file, f.hotLine || f.line],
          tooltip: f.hotLine ? `Go to the hottest line (${f.hotLine})` : undefined,
        }),
      );
    });
    return out;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
