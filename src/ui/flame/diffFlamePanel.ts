// The differential flame graph panel: a webview (media/flameDiff.js) showing a comparison's merged
// call tree, red slower / blue faster, both widths in the detail pane, click to open the source.

import * as vscode from 'vscode';
import type { DiffFlameData } from './diffFlameData';
import { diffFlameHtml, makeNonce } from './flameHtml';
import { describeDropped, parseWebviewMessage, RenderedBox } from './webviewMessages';

export type { RenderedBox } from './webviewMessages';

export class DiffFlamePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private data: DiffFlameData | undefined;
  /** What the webview reported drawing last (for tests). */
  rendered: RenderedBox[] | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly host: { revealSource(file: string, line: number, opts: { avoidColumn?: vscode.ViewColumn; toSide?: boolean; preserveFocus?: boolean }): Promise<void>; log(m: string): void },
  ) {}

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Shows `data` (opening the panel beside the editor), or closes the panel when undefined. */
  show(data: DiffFlameData | undefined, preserveFocus = true): void {
    this.data = data;
    this.rendered = undefined;
    if (!data) {
      this.panel?.dispose();
      return;
    }
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      this.send();
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel('pyprof.diffFlameGraph', 'pyprof: Comparison Flame Graph', { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [media],
    });
    this.panel.iconPath = vscode.Uri.joinPath(media, 'pyprof.svg');
    this.panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
    });
    this.panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m));
    const w = this.panel.webview;
    const src = (f: string) => w.asWebviewUri(vscode.Uri.joinPath(media, f)).toString();
    w.html = diffFlameHtml({ cspSource: w.cspSource, nonce: makeNonce(), script: src('flameDiff.js'), style: src('flameDiff.css') });
  }

  private send(): void {
    if (!this.panel || !this.ready || !this.data) return;
    void this.panel.webview.postMessage({ type: 'diff', data: this.data });
    this.panel.title = `pyprof: ${this.data.title}`;
  }

  private onMessage(raw: unknown): void {
    const nodes = this.data?.nodes;
    const m = parseWebviewMessage(raw, ['ready', 'rendered', 'open', 'error'], (file) => !!nodes?.some((n) => n.file === file));
    if (!m) {
      this.host.log(`comparison flame graph: ${describeDropped(raw)}`);
      return;
    }
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.send();
        break;
      case 'rendered':
        this.rendered = m.boxes;
        this.host.log(`comparison flame graph: ${m.boxes.length} boxes drawn`);
        break;
      case 'open':
        void this.host.revealSource(m.file, m.line, { avoidColumn: this.panel?.viewColumn, toSide: m.toSide, preserveFocus: true });
        break;
      case 'error':
        this.host.log(`comparison flame graph: ${m.message}`);
        break;
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
