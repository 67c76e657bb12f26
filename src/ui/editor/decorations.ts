// Hot-line decorations: gutter heat (HEAT_LEVELS colour steps by self %), a faint whole-line tint,
// overview-ruler marks, and end-of-line text (self % · total % · samples) in every visible editor
// whose file the profile maps to. Lines follow edits through a LineShifter per document (dropped
// on big rewrites) and everything clears when the profile is closed or hot lines are toggled off.
// The per-file tables come precomputed from the store: showing an editor is a map lookup.

import * as vscode from 'vscode';
import { HEAT_LEVELS } from '../../profile/summary';
import type { HotLine } from './hotLines';
import { HotLineMetric, parseMetric } from './memoryView';
import { LineChange, LineShifter } from '../../profile/lineShift';
import type { LoadedProfile, ProfileStore } from '../store';

/** What was applied to one editor, as the test API and PYPROF_TEST_REPORT report it. */
export interface AppliedLine {
  /** 1-based line in the document as it is now (after edits). */
  line: number;
  heat: number;
  text: string;
}

/** A document change event as LineShifter input, with the document's line count before it. */
export function editChanges(e: vscode.TextDocumentChangeEvent): { changes: LineChange[]; lineCountBefore: number } {
  const changes: LineChange[] = e.contentChanges.map((c) => ({
    startLine: c.range.start.line,
    startCharacter: c.range.start.character,
    endLine: c.range.end.line,
    endCharacter: c.range.end.character,
    text: c.text,
  }));
  // The document already has the edit applied; the line count before it is now - added + removed.
  let lineCountBefore = e.document.lineCount;
  for (const c of changes) lineCountBefore += c.endLine - c.startLine - (c.text.split('\n').length - 1);
  return { changes, lineCountBefore };
}

const HEAT_RULER = ['', '#e8c54799', '#f2a33aaa', '#f07c2ebb', '#e4532acc', '#d42a2add'];
const HEAT_TINT = ['', 'rgba(232,197,71,0.05)', 'rgba(242,163,58,0.07)', 'rgba(240,124,46,0.09)', 'rgba(228,83,42,0.11)', 'rgba(212,42,42,0.13)'];

interface DocState {
  lines: readonly HotLine[];
  shifter: LineShifter;
}

export class HotLineDecorations implements vscode.Disposable {
  private readonly heatTypes: vscode.TextEditorDecorationType[] = [];
  private readonly textType: vscode.TextEditorDecorationType;
  private readonly docs = new Map<string, DocState>();
  private readonly applied = new Map<string, AppliedLine[]>();
  private readonly disposables: vscode.Disposable[] = [];
  private enabled: boolean;
  /** `pyprof.hotLines.metric`: memory shows the profile's memory tables when it has them. */
  private metricSetting: HotLineMetric;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after decorations were (re)applied or cleared. */
  readonly onDidApply = this.changed.event;

  constructor(
    private readonly store: ProfileStore,
    extensionUri: vscode.Uri,
  ) {
    for (let level = 1; level <= HEAT_LEVELS; level++) {
      this.heatTypes.push(
        vscode.window.createTextEditorDecorationType({
          gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', `heat-${level}.svg`),
          gutterIconSize: 'contain',
          isWholeLine: true,
          backgroundColor: HEAT_TINT[level],
          overviewRulerColor: HEAT_RULER[level],
          overviewRulerLane: vscode.OverviewRulerLane.Right,
          rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        }),
      );
    }
    this.textType = vscode.window.createTextEditorDecorationType({
      after: {
        margin: '0 0 0 3em',
        color: new vscode.ThemeColor('editorCodeLens.foreground'),
        fontStyle: 'italic',
      },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.enabled = vscode.workspace.getConfiguration('pyprof').get<boolean>('hotLines.enabled', true);
    this.metricSetting = parseMetric(vscode.workspace.getConfiguration('pyprof').get('hotLines.metric'));
    void vscode.commands.executeCommand('setContext', 'pyprof.hotLinesVisible', this.enabled);
    this.disposables.push(
      store.onDidChange(() => {
        this.docs.clear();
        this.refreshAll();
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.refreshAll()),
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      vscode.workspace.onDidCloseTextDocument((d) => this.docs.delete(d.uri.toString())),
      this.changed,
    );
  }

  get visible(): boolean {
    return this.enabled;
  }

  /** What the decorations show now: memory only when asked for and the profile has memory data. */
  get metric(): HotLineMetric {
    return this.metricSetting === 'memory' && this.store.current?.memory ? 'memory' : 'time';
  }

  setMetric(m: HotLineMetric): void {
    this.metricSetting = m;
    this.docs.clear();
    this.refreshAll();
  }

  setVisible(on: boolean): void {
    this.enabled = on;
    void vscode.commands.executeCommand('setContext', 'pyprof.hotLinesVisible', on);
    this.refreshAll();
  }

  /** What is applied to the document now (1-based lines), for tests. */
  appliedFor(uri: vscode.Uri | string): AppliedLine[] {
    const key = typeof uri === 'string' ? (uri.includes('://') ? uri : vscode.Uri.file(uri).toString()) : uri.toString();
    return this.applied.get(key) ?? [];
  }

  /** Every decorated document (uri string → lines). */
  allApplied(): ReadonlyMap<string, AppliedLine[]> {
    return this.applied;
  }

  private tableFor(doc: vscode.TextDocument, loaded: LoadedProfile | undefined): DocState | undefined {
    if (!loaded || doc.uri.scheme !== 'file') return undefined;
    const key = doc.uri.toString();
    let st = this.docs.get(key);
    if (!st) {
      const table = this.metric === 'memory' && loaded.memory ? loaded.memory.hotLines : loaded.hotLines;
      const lines = table.get(doc.uri.fsPath);
      if (!lines) return undefined;
      st = { lines, shifter: new LineShifter(lines.map((l) => l.line), doc.lineCount) };
      this.docs.set(key, st);
    }
    return st;
  }

  refreshAll(): void {
    const loaded = this.store.current;
    const seen = new Set<string>();
    for (const editor of vscode.window.visibleTextEditors) {
      seen.add(editor.document.uri.toString());
      this.render(editor, loaded);
    }
    // Documents no longer visible keep their shifters (edits still tracked) but are not "applied".
    for (const key of [...this.applied.keys()]) if (!seen.has(key)) this.applied.delete(key);
    this.changed.fire();
  }

  private render(editor: vscode.TextEditor, loaded: LoadedProfile | undefined): void {
    const doc = editor.document;
    const st = this.enabled ? this.tableFor(doc, loaded) : undefined;
    const byHeat: vscode.Range[][] = this.heatTypes.map(() => []);
    const texts: vscode.DecorationOptions[] = [];
    const applied: AppliedLine[] = [];
    if (st && !st.shifter.allDropped) {
      const cur = st.shifter.current();
      for (let i = 0; i < st.lines.length; i++) {
        const line = cur[i];
        if (line < 0 || line >= doc.lineCount) continue;
        const hl = st.lines[i];
        const end = doc.lineAt(line).range.end;
        if (hl.heat > 0) byHeat[hl.heat - 1].push(new vscode.Range(line, 0, line, 0));
        texts.push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: hl.text } } });
        applied.push({ line: line + 1, heat: hl.heat, text: hl.text });
      }
    }
    this.heatTypes.forEach((t, i) => editor.setDecorations(t, byHeat[i]));
    editor.setDecorations(this.textType, texts);
    const key = doc.uri.toString();
    if (applied.length > 0) this.applied.set(key, applied);
    else this.applied.delete(key);
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const st = this.docs.get(e.document.uri.toString());
    if (!st || e.contentChanges.length === 0) return;
    const { changes, lineCountBefore } = editChanges(e);
    st.shifter.apply(changes, lineCountBefore);
    // Re-render even when nothing moved: the end-of-line text anchors at the (changed) line end.
    const loaded = this.store.current;
    let any = false;
    for (const ed of vscode.window.visibleTextEditors) {
      if (ed.document === e.document) {
        this.render(ed, loaded);
        any = true;
      }
    }
    if (any) this.changed.fire();
  }

  dispose(): void {
    for (const t of this.heatTypes) t.dispose();
    this.textType.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
