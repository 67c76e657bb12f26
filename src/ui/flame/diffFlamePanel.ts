// The differential flame graph panel: a webview (media/flameDiff.js) showing a comparison's merged
// call tree, red slower / blue faster, both widths in the detail pane, click to open the source.

import * as vscode from 'vscode';
import type { DiffFlameData } from './diffFlameData';
import { contentSecurityPolicy, makeNonce } from './flameHtml';

export interface RenderedBox {
  name: string;
  status: string;
  significant: boolean;
  /** The colour the webview computed for the box. */
  color: string;
  width: number;
}

type FromWebview =
  | { type: 'ready' }
  | { type: 'rendered'; boxes: RenderedBox[] }
  | { type: 'open'; file: string; line: number; toSide: boolean }
  | { type: 'error'; message: string };

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
    this.panel.webview.onDidReceiveMessage((m: FromWebview) => this.onMessage(m));
    const w = this.panel.webview;
    const nonce = makeNonce();
    const src = (f: string) => w.asWebviewUri(vscode.Uri.joinPath(media, f)).toString();
    w.html = `<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(w.cspSource, nonce).replace(/"/g, '&quot;')}">
<link rel="stylesheet" href="${src('flameDiff.css')}"></head>
<body><div id="title"></div>
<div id="legend"><span style="background: rgba(214,39,40,1)">slower</span><span style="background: rgba(31,119,220,1)">faster</span><span style="background: rgb(150,150,150)">no significant change</span> width: the larger of the two shares; darker: larger change</div>
<div id="graph"></div><div id="detail">Hover or click a box: both profiles' figures.</div>
<script nonce="${nonce}" src="${src('flameDiff.js')}"></script></body></html>`;
  }

  private send(): void {
    if (!this.panel || !this.ready || !this.data) return;
    void this.panel.webview.postMessage({ type: 'diff', data: this.data });
    this.panel.title = `pyprof: ${this.data.title}`;
  }

  private onMessage(m: FromWebview): void {
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
