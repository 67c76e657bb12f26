// The flame-graph panel: a webview running speedscope from media/speedscope/ (no network), fed the
// current profile as base64 speedscope JSON through window.speedscope.loadFileFromBase64 (see
// flameHtml.ts and media/flame.js). A click on a frame comes back as {type:'open', file, line} via
// the build-time patch and opens the source through the path table. Follows the colour theme by
// re-rendering the page with the matching speedscope scheme and re-sending the profile.

import * as vscode from 'vscode';
import { ColorScheme, FlameView, ToWebview, flameHtml, makeNonce, missingFilesHtml } from './flameHtml';
import { SpeedscopeManifest, readFlamePageCode, readSpeedscopeManifest } from './flamePageCode';
import { describeDropped, parseWebviewMessage } from './webviewMessages';
import { rssChartData } from './rssChart';
import type { FlameFrames } from './flameFeed';
import type { LoadedProfile, ProfileStore } from '../store';

export interface FlamePanelHost {
  store: ProfileStore;
  /** speedscope JSON of the loaded profile, base64, with one box per function or per line. */
  speedscopeBase64(p: LoadedProfile, frames: FlameFrames): Promise<string>;
  /**
   * Opens a profile path at a 1-based line through the path table, in an editor column other than
   * `avoidColumn` (the panel's own) and without taking focus from the panel.
   */
  revealSource(file: string, line: number, opts: { avoidColumn?: vscode.ViewColumn; toSide?: boolean; preserveFocus?: boolean }): Promise<void>;
  log(message: string): void;
}

/** `pyprof.flameGraph.frames`: one box per function (default) or per executing line. */
export function flameFrames(): FlameFrames {
  return vscode.workspace.getConfiguration('pyprof').get<string>('flameGraph.frames') === 'line' ? 'line' : 'function';
}

/** Flips `pyprof.flameGraph.frames` where it is set (workspace or user settings); the open panel follows. */
export async function toggleFlameFrames(): Promise<void> {
  const config = vscode.workspace.getConfiguration('pyprof');
  const next: FlameFrames = flameFrames() === 'line' ? 'function' : 'line';
  const inspect = config.inspect<string>('flameGraph.frames');
  const target = inspect?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update('flameGraph.frames', next, target);
  void vscode.window.setStatusBarMessage(`pyprof: flame graph frames by ${next}`, 3000);
}

/** The file name speedscope shows for a profile (its toolbar title and the export name). */
const speedscopeName = (p: LoadedProfile) => (p.label.endsWith('.json') ? p.label : `${p.label}.speedscope.json`);

export class FlamePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private sentFor: LoadedProfile | undefined;
  /** The profile (and kind of frames) whose feed the page's HTML carries: 'ready' need not send it again. */
  private embedded: { profile: LoadedProfile; frames: FlameFrames } | undefined;
  /** Counts render() calls: a render that finished building its page after a newer one began drops it. */
  private renders = 0;
  private openedAt = 0;
  /** When createWebviewPanel returned (Date.now()): the log says how long the page took after it. */
  private createdAt = 0;
  /** Set while the editor layout is being prepared for a new panel. */
  private opening: Promise<void> | undefined;
  /** ms from show() to the canvas rendering, as the webview reported it (-1 failed). */
  lastLoadMs: number | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly loadedEmitter = new vscode.EventEmitter<number>();
  readonly onDidLoad = this.loadedEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly host: FlamePanelHost,
  ) {
    this.disposables.push(
      host.store.onDidChange((p) => {
        if (!this.panel) return;
        if (!p) {
          this.panel.dispose();
          return;
        }
        this.openedAt = Date.now(); // the load time of the new profile
        this.lastLoadMs = undefined;
        void this.send();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!this.panel || !e.affectsConfiguration('pyprof.flameGraph.frames')) return;
        // the same profile again, with the other kind of frames
        this.openedAt = Date.now();
        this.lastLoadMs = undefined;
        this.sentFor = undefined;
        void this.send();
      }),
      vscode.window.onDidChangeActiveColorTheme(() => {
        if (!this.panel) return;
        this.openedAt = Date.now();
        void this.render();
      }),
      this.loadedEmitter,
    );
  }

  get isOpen(): boolean {
    return this.panel !== undefined || this.opening !== undefined;
  }

  get isLoaded(): boolean {
    return this.panel !== undefined && this.lastLoadMs !== undefined && this.lastLoadMs >= 0 && this.sentFor === this.host.store.current;
  }

  /**
   * Opens (or reveals) the panel where it does not squeeze the code (`pyprof.flameGraph.location`):
   * by default in an editor group below the editors, so the hot lines keep their whole width and
   * their end-of-line numbers stay in view; after a recording it opens without taking focus.
   */
  show(preserveFocus = false): void {
    if (this.panel) {
      // Already showing (or loading) the current profile: a profile change sends itself. Keep the
      // load time: no new 'loaded' message comes for a panel that is only revealed.
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    if (this.opening) return;
    this.openedAt = Date.now();
    this.lastLoadMs = undefined;
    // Build the data while the webview starts (the result is cached per profile).
    const current = this.host.store.current;
    if (current) void this.host.speedscopeBase64(current, flameFrames()).catch(() => undefined);
    this.opening = this.placement()
      .then((viewColumn) => this.create(viewColumn, preserveFocus))
      .catch((e: Error) => this.host.log(`flame graph: cannot open the panel: ${e.message}`))
      .finally(() => (this.opening = undefined));
  }

  /**
   * The column for a new panel. `below` (default): with one editor group, the layout becomes two
   * groups stacked (code 60 %, flame graph 40 %); with several, the first group that is not the
   * active one. `beside`: a group to the side (halves the code's width). `active`: the active group.
   */
  private async placement(): Promise<vscode.ViewColumn> {
    const where = vscode.workspace.getConfiguration('pyprof').get<string>('flameGraph.location', 'below');
    if (!vscode.window.activeTextEditor || where === 'active') return vscode.ViewColumn.Active;
    if (where === 'beside') return vscode.ViewColumn.Beside;
    const groups = vscode.window.tabGroups.all;
    if (groups.length > 1) return groups.find((g) => !g.isActive)?.viewColumn ?? vscode.ViewColumn.Beside;
    // orientation 1: groups stacked vertically
    await vscode.commands.executeCommand('vscode.setEditorLayout', { orientation: 1, groups: [{ size: 0.6 }, { size: 0.4 }] });
    return vscode.ViewColumn.Two;
  }

  private create(viewColumn: vscode.ViewColumn, preserveFocus: boolean): void {
    if (this.panel) return;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel(
      'pyprof.flameGraph',
      'pyprof: Flame Graph',
      { viewColumn, preserveFocus },
      { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [media] },
    );
    this.createdAt = Date.now();
    this.panel.iconPath = vscode.Uri.joinPath(media, 'pyprof.svg');
    this.panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
      this.sentFor = undefined;
      void vscode.commands.executeCommand('setContext', 'pyprof.flamePanelOpen', false);
    });
    this.panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m));
    void vscode.commands.executeCommand('setContext', 'pyprof.flamePanelOpen', true);
    void this.render();
  }

  /**
   * Sets the page. The current profile's feed (built while the panel opened, cached) goes into the
   * page itself, so its first frame is painted as soon as the page runs, without waiting for the
   * 'ready' → 'load' round trip through the extension host.
   */
  private async render(): Promise<void> {
    const panel = this.panel;
    if (!panel) return;
    const token = ++this.renders;
    this.ready = false;
    this.sentFor = undefined;
    this.embedded = undefined;
    const current = this.host.store.current;
    const frames = flameFrames();
    let profile: { name: string; base64: string } | undefined;
    if (current) {
      try {
        profile = { name: speedscopeName(current), base64: await this.host.speedscopeBase64(current, frames) };
      } catch {
        profile = undefined; // send() reports it when it tries again
      }
      if (token !== this.renders || panel !== this.panel) return;
      if (this.host.store.current !== current || flameFrames() !== frames) profile = undefined; // replaced meanwhile: it comes as a message
    }
    const w = panel.webview;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const speedscopeDir = vscode.Uri.joinPath(media, 'speedscope');
    let m: SpeedscopeManifest;
    let code: ReturnType<typeof readFlamePageCode>;
    try {
      m = readSpeedscopeManifest(media.fsPath);
      code = readFlamePageCode(media.fsPath, m, w.asWebviewUri(speedscopeDir).toString());
    } catch {
      panel.webview.html = missingFilesHtml();
      return;
    }
    const kind = vscode.window.activeColorTheme.kind;
    const scheme: ColorScheme = kind === vscode.ColorThemeKind.Light || kind === vscode.ColorThemeKind.HighContrastLight ? 'LIGHT' : 'DARK';
    const view = vscode.workspace.getConfiguration('pyprof').get<FlameView>('flameGraph.view', 'left-heavy');
    w.html = flameHtml({
      cspSource: w.cspSource,
      nonce: makeNonce(),
      speedscopeScript: w.asWebviewUri(vscode.Uri.joinPath(speedscopeDir, m.script)).toString(),
      code,
      profile,
      colorScheme: scheme,
      workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => ({ name: f.name, path: f.uri.fsPath })),
      view: ['time-ordered', 'left-heavy', 'sandwich'].includes(view) ? view : 'left-heavy',
    });
    if (profile && current) this.embedded = { profile: current, frames };
    const now = Date.now();
    this.host.log(`flame graph: page set ${now - this.openedAt} ms after opening (${now - this.createdAt} ms after the panel was created)${profile ? ', with the profile in it' : ''}`);
  }

  private async send(): Promise<void> {
    const p = this.host.store.current;
    if (!this.panel || !this.ready || !p || this.sentFor === p) return;
    this.sentFor = p;
    // the RSS chart first: it is small and independent of speedscope's (slow) load
    const chart: ToWebview = { type: 'memory', chart: rssChartData(p.profile.memory) ?? null };
    void this.panel.webview.postMessage(chart);
    try {
      const frames = flameFrames();
      const inPage = this.embedded?.profile === p && this.embedded.frames === frames;
      this.embedded = undefined;
      if (!inPage) {
        const base64 = await this.host.speedscopeBase64(p, frames);
        if (this.sentFor !== p || !this.panel) return; // replaced meanwhile
        const msg: ToWebview = { type: 'load', name: speedscopeName(p), base64 };
        await this.panel.webview.postMessage(msg);
      }
      this.panel.title = `pyprof: ${p.label}${frames === 'line' ? ' (by line)' : ''}`;
    } catch (e) {
      this.sentFor = undefined;
      this.host.log(`flame graph: cannot send the profile: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`pyprof: cannot show the flame graph: ${(e as Error).message}`);
    }
  }

  private onMessage(raw: unknown): void {
    const files = this.host.store.current?.profile.frames;
    const m = parseWebviewMessage(raw, ['ready', 'loaded', 'open', 'error'], (file) => !!files?.some((f) => f.file === file));
    if (!m) {
      this.host.log(`flame graph: ${describeDropped(raw)}`);
      return;
    }
    switch (m.type) {
      case 'ready':
        this.ready = true;
        void this.send();
        break;
      case 'loaded':
        this.lastLoadMs = m.ms < 0 ? -1 : Date.now() - this.openedAt;
        this.host.log(m.ms < 0 ? 'flame graph: speedscope did not render' : `flame graph shown ${this.lastLoadMs} ms after opening`);
        this.loadedEmitter.fire(this.lastLoadMs);
        break;
      case 'open':
        void this.host.revealSource(m.file, m.line, { avoidColumn: this.panel?.viewColumn, toSide: m.toSide, preserveFocus: true });
        break;
      case 'error':
        this.host.log(`flame graph: ${m.message}`);
        break;
    }
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
