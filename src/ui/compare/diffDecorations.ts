// The editor side of a comparison: gutter colour by change (red slower, blue faster, orange new,
// grey gone — significant changes only), `+12 ms (+35%)` at the end of the line, a hover with both
// profiles' figures, and a CodeLens delta over each function. Lines follow edits like hot lines do.

import * as vscode from 'vscode';
import { LineShifter } from '../../profile/lineShift';
import { followEdit } from '../editor/editTracking';
import type { ComparisonView, DiffLineView } from './diffLines';

const STATUSES = ['slower', 'faster', 'new', 'gone'] as const;
const RULER: Record<(typeof STATUSES)[number], string> = { slower: '#d42a2acc', faster: '#2a6fd4cc', new: '#e08a1ecc', gone: '#8a8a8a99' };

/** What was applied to one editor, for the test API. */
export interface AppliedDiffLine {
  line: number;
  status: DiffLineView['status'];
  text: string;
}

interface DocState {
  rows: readonly DiffLineView[];
  shifter: LineShifter;
}

export class DiffDecorations implements vscode.Disposable, vscode.CodeLensProvider {
  private readonly types = new Map<string, vscode.TextEditorDecorationType>();
  private readonly textType: vscode.TextEditorDecorationType;
  private view: ComparisonView | undefined;
  private title = '';
  private readonly docs = new Map<string, DocState>();
  private readonly applied = new Map<string, AppliedDiffLine[]>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;

  constructor(extensionUri: vscode.Uri) {
    for (const s of STATUSES) {
      this.types.set(
        s,
        vscode.window.createTextEditorDecorationType({
          gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', `diff-${s}.svg`),
          gutterIconSize: 'contain',
          overviewRulerColor: RULER[s],
          overviewRulerLane: vscode.OverviewRulerLane.Left,
          rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        }),
      );
    }
    this.textType = vscode.window.createTextEditorDecorationType({
      after: { margin: '0 0 0 2em', fontStyle: 'italic' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.disposables.push(
      vscode.window.onDidChangeVisibleTextEditors(() => this.refreshAll()),
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      vscode.workspace.onDidCloseTextDocument((d) => this.docs.delete(d.uri.toString())),
      vscode.languages.registerCodeLensProvider({ scheme: 'file', language: 'python' }, this),
      this.lensesChanged,
    );
  }

  get active(): boolean {
    return this.view !== undefined;
  }

  /** Shows a comparison (`title` names the baseline in hovers), or clears it. */
  show(view: ComparisonView | undefined, title = ''): void {
    this.view = view;
    this.title = title;
    this.docs.clear();
    void vscode.commands.executeCommand('setContext', 'pyprof.comparing', view !== undefined);
    this.refreshAll();
    this.lensesChanged.fire();
  }

  appliedFor(uri: vscode.Uri | string): AppliedDiffLine[] {
    const key = typeof uri === 'string' ? vscode.Uri.file(uri).toString() : uri.toString();
    return this.applied.get(key) ?? [];
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const list = this.view?.lenses.get(doc.uri.fsPath) ?? [];
    return list
      .filter((l) => l.line >= 1 && l.line <= doc.lineCount)
      .map((l) => new vscode.CodeLens(new vscode.Range(l.line - 1, 0, l.line - 1, 0), { title: l.title, command: '', tooltip: `pyprof: change since ${this.title}` }));
  }

  private stateFor(doc: vscode.TextDocument): DocState | undefined {
    if (!this.view || doc.uri.scheme !== 'file') return undefined;
    const key = doc.uri.toString();
    let st = this.docs.get(key);
    if (!st) {
      const rows = this.view.lines.get(doc.uri.fsPath);
      if (!rows) return undefined;
      st = { rows, shifter: new LineShifter(rows.map((r) => r.line - 1), doc.lineCount) };
      this.docs.set(key, st);
    }
    return st;
  }

  refreshAll(): void {
    const seen = new Set<string>();
    for (const editor of vscode.window.visibleTextEditors) {
      seen.add(editor.document.uri.toString());
      this.render(editor);
    }
    for (const key of [...this.applied.keys()]) if (!seen.has(key)) this.applied.delete(key);
  }

  private render(editor: vscode.TextEditor): void {
    const doc = editor.document;
    const st = this.stateFor(doc);
    const ranges = new Map<string, vscode.Range[]>(STATUSES.map((s) => [s, []]));
    const texts: vscode.DecorationOptions[] = [];
    const applied: AppliedDiffLine[] = [];
    if (st && !st.shifter.allDropped) {
      const cur = st.shifter.current();
      st.rows.forEach((row, i) => {
        const line = cur[i];
        if (line < 0 || line >= doc.lineCount) return;
        ranges.get(row.status)!.push(new vscode.Range(line, 0, line, 0));
        const end = doc.lineAt(line).range.end;
        const hover = new vscode.MarkdownString(`**pyprof: ${row.status}** since ${this.title}\n\n` + row.hover.map((h) => (h ? `    ${h}` : '')).join('\n'));
        const color = new vscode.ThemeColor(row.status === 'slower' ? 'editorError.foreground' : row.status === 'faster' ? 'editorInfo.foreground' : row.status === 'new' ? 'editorWarning.foreground' : 'editorCodeLens.foreground');
        texts.push({ range: new vscode.Range(end, end), hoverMessage: hover, renderOptions: { after: { contentText: row.text, color } } });
        applied.push({ line: line + 1, status: row.status, text: row.text });
      });
    }
    for (const [s, t] of this.types) editor.setDecorations(t, ranges.get(s)!);
    editor.setDecorations(this.textType, texts);
    const key = doc.uri.toString();
    if (applied.length > 0) this.applied.set(key, applied);
    else this.applied.delete(key);
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    followEdit(this.docs, e, (ed) => this.render(ed));
  }

  dispose(): void {
    for (const t of this.types.values()) t.dispose();
    this.textType.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
