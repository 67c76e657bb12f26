// Hot-line decorations: gutter heat (HEAT_LEVELS colour steps, relative to the hottest line), a faint
// whole-line tint and overview-ruler marks in theme colours (package.json contributes.colors:
// light, dark and high-contrast values), and a short end-of-line number in every visible editor
// whose file the profile maps to. Lines follow edits through a LineShifter per document (dropped
// on big rewrites) and everything clears when the profile is closed or hot lines are toggled off.
// The per-file tables come precomputed from the store: showing an editor is a map lookup.

import * as vscode from 'vscode';
import { HEAT_LEVELS } from '../../profile/summary';
import type { HotLine } from './hotLines';
import { HotLineMetric, parseMetric } from './memoryView';
import { LineShifter } from '../../profile/lineShift';
import { followEdit } from './editTracking';
import type { LoadedProfile, ProfileStore } from '../store';

/** What was applied to one editor, as the test API and PYPROF_TEST_REPORT report it. */
export interface AppliedLine {
  /** 1-based line in the document as it is now (after edits). */
  line: number;
  heat: number;
  /** The end-of-line text ('' when the line is below the text threshold). */
  text: string;
  /** The full figures (what the hover says). */
  detail: string;
}

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
          // gutter icons cannot take a theme colour: one file per level for light and dark themes
          light: { gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', `heat-light-${level}.svg`) },
          dark: { gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', `heat-dark-${level}.svg`) },
          gutterIconSize: 'contain',
          isWholeLine: true,
          backgroundColor: new vscode.ThemeColor(`pyprof.heat${level}.background`),
          overviewRulerColor: new vscode.ThemeColor(`pyprof.heat${level}.ruler`),
          overviewRulerLane: vscode.OverviewRulerLane.Right,
          rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        }),
      );
    }
    this.textType = vscode.window.createTextEditorDecorationType({
      after: {
        margin: '0 0 0 2ch',
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
        if (hl.text) {
          // the memory view's full figures (the language server's hover speaks of time)
          const hoverMessage = this.metric === 'memory' ? new vscode.MarkdownString(`**pyprof** · ${hl.detail}`) : undefined;
          texts.push({ range: new vscode.Range(end, end), hoverMessage, renderOptions: { after: { contentText: hl.text } } });
        }
        applied.push({ line: line + 1, heat: hl.heat, text: hl.text, detail: hl.detail });
      }
    }
    this.heatTypes.forEach((t, i) => editor.setDecorations(t, byHeat[i]));
    editor.setDecorations(this.textType, texts);
    const key = doc.uri.toString();
    if (applied.length > 0) this.applied.set(key, applied);
    else this.applied.delete(key);
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const loaded = this.store.current;
    if (followEdit(this.docs, e, (ed) => this.render(ed, loaded))) this.changed.fire();
  }

  dispose(): void {
    for (const t of this.heatTypes) t.dispose();
    this.textType.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
