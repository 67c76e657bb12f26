// The "Top Functions" tree in the pyprof view container: functions by own % and total %, fed by
// the CLI's `top` events while recording (about once a second) and by the loaded profile after.
// Clicking a row opens the function's hottest line (pyprof.revealSource).

import * as vscode from 'vscode';
import type { TopRow } from '../../recording/events';
import { formatPercent, formatCount, heatLevel, topBySelf } from '../../profile/summary';
import type { ProfileStore } from '../store';

export interface TopItem {
  name: string;
  file: string;
  /** def line (1-based, 0 unknown) */
  line: number;
  /** line to open: hottest own line, else the def line */
  target: number;
  self: number;
  total: number;
}

const MAX_ROWS = 200;
/** Rows without own time and under this total share are noise (import machinery, callers of callers). */
const MIN_TOTAL_WITHOUT_SELF = 0.01;
const worthShowing = (self: number, total: number) => self > 0 || total >= MIN_TOTAL_WITHOUT_SELF;

export class TopViewProvider implements vscode.TreeDataProvider<TopItem>, vscode.Disposable {
  private rows: TopItem[] = [];
  private readonly emitter = new vscode.EventEmitter<TopItem | undefined | void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private view: vscode.TreeView<TopItem> | undefined;
  private live = false;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly store: ProfileStore) {
    this.subscription = store.onDidChange(() => {
      if (!this.live) this.showProfile();
    });
  }

  attach(view: vscode.TreeView<TopItem>): void {
    this.view = view;
    this.showProfile();
  }

  get items(): readonly TopItem[] {
    return this.rows;
  }

  /** Live rows from a `top` event. */
  showLive(rows: readonly TopRow[], samples: number, label: string): void {
    this.live = true;
    this.rows = rows.filter((r) => worthShowing(r.self, r.total)).slice(0, MAX_ROWS).map((r) => ({ name: r.name, file: r.file, line: r.line, target: r.hotLine || r.line, self: r.self, total: r.total }));
    if (this.view) this.view.message = `Recording ${label} · ${formatCount(samples)} samples`;
    this.emitter.fire();
  }

  /** Leaves live mode (recording ended) and shows the loaded profile. */
  endLive(): void {
    this.live = false;
    this.showProfile();
  }

  /** Rows from the loaded profile (or none). */
  showProfile(): void {
    const loaded = this.store.current;
    if (!loaded) {
      this.rows = [];
      if (this.view) this.view.message = undefined;
    } else {
      const total = loaded.summary.total;
      this.rows = topBySelf(loaded.summary, Number.MAX_SAFE_INTEGER)
        .filter((f) => worthShowing(total > 0 ? f.self / total : 0, total > 0 ? f.total / total : 0))
        .slice(0, MAX_ROWS)
        .map((f) => ({
        name: f.name,
        file: f.file,
        line: f.line,
        target: f.hotLine || f.line,
        self: total > 0 ? f.self / total : 0,
        total: total > 0 ? f.total / total : 0,
      }));
      const meta = loaded.profile.meta;
      if (this.view) this.view.message = `${loaded.label} · ${formatCount(meta.sampleCount ?? total)} samples`;
    }
    this.emitter.fire();
  }

  getTreeItem(r: TopItem): vscode.TreeItem {
    const item = new vscode.TreeItem(r.name || '<unknown>', vscode.TreeItemCollapsibleState.None);
    item.description = `${formatPercent(r.self)} own · ${formatPercent(r.total)} total`;
    const where = r.file ? `${r.file}${r.target ? `:${r.target}` : ''}` : '';
    item.tooltip = new vscode.MarkdownString(
      `**${r.name}**\n\n${where ? `\`${where}\`\n\n` : ''}own ${formatPercent(r.self)} · total ${formatPercent(r.total)}`,
    );
    const heat = heatLevel(r.self, this.rows.reduce((m, x) => Math.max(m, x.self), 0)); // relative to the hottest row
    item.iconPath = new vscode.ThemeIcon(
      heat >= 5 ? 'flame' : 'symbol-function',
      heat >= 5 ? new vscode.ThemeColor('charts.red') : heat >= 4 ? new vscode.ThemeColor('charts.orange') : heat >= 3 ? new vscode.ThemeColor('charts.yellow') : undefined,
    );
    if (r.file) item.command = { command: 'pyprof.revealSource', title: 'Open Source', arguments: [r.file, r.target] };
    item.contextValue = 'pyprof.function';
    return item;
  }

  getChildren(element?: TopItem): TopItem[] {
    return element ? [] : this.rows;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
