// The object activate() returns: test hooks for the end-to-end tests (and other extensions).
//
//   const api = vscode.extensions.getExtension('pyprof.pyprof')!.exports as PyprofApi;
//   await api.whenProfileLoaded();            // next profile (or the current one if already loaded)
//   api.decorationsFor(uri)                    // [{ line (1-based, follows edits), heat 0..5, text }]
//   await api.lensesFor(uri)                   // [{ line (1-based), title }] — pyprof lenses VS Code
//                                              //   has for the document (language server or fallback)
//   api.flamePanelOpen() / api.flamePanelLoaded()
//   api.lastError                              // last error/warning shown to the user (never reset), or undefined
//
// Without access to the extension host (driving the UI from a browser), set PYPROF_TEST_REPORT=
// /path/report.json in the extension host's environment: see testReport.ts for the JSON written.

import * as vscode from 'vscode';
import type { Profile } from '../profile/model';
import type { Controller } from './controller';
import type { AppliedLine } from './editor/decorations';
import type { AppliedDiffLine } from './compare/diffDecorations';
import type { RenderedBox } from './flame/diffFlamePanel';

export interface PyprofApi {
  currentProfile(): Profile | undefined;
  /** Label of the loaded profile ("demo.py (recorded)", "run.speedscope.json"). */
  profileLabel(): string | undefined;
  isRecording(): boolean;
  decorationsFor(uri: vscode.Uri | string): AppliedLine[];
  lensesFor(uri: vscode.Uri | string): Promise<Array<{ line: number; title: string }>>;
  flamePanelOpen(): boolean;
  flamePanelLoaded(): boolean;
  readonly lastError: string | undefined;
  /** ms spent in activate(). */
  readonly activationMs: number | undefined;
  /** ms from a profile being ready to its decorations being applied (last load). */
  readonly decorationsMs: number | undefined;
  /** Resolves when a profile is loaded (immediately if one is), rejects after timeoutMs. */
  whenProfileLoaded(timeoutMs?: number): Promise<void>;
  /**
   * Same as the commands, without dialogs or pickers. Each resolves when its work is over:
   * openProfile once the profile is shown; profileFile once the program exited (or stop() was
   * called) and its profile is loaded; attach once stop() was called (or the target exited) and
   * the profile is loaded. Failures resolve too, with `lastError` set.
   */
  openProfile(file: string): Promise<void>;
  profileFile(file: string): Promise<void>;
  attach(pid: number): Promise<void>;
  stop(): void;
  /** Compare with… without the pick: `file` is the baseline (a history entry's file or any profile). */
  compareWith(file: string): Promise<void>;
  /** Profiles kept for Compare with…, newest first. */
  historyEntries(): Array<{ file: string; label: string; time: number }>;
  /** The comparison's decorations applied to a document (1-based lines, status, inline text). */
  diffDecorationsFor(uri: vscode.Uri | string): AppliedDiffLine[];
  /** Boxes the comparison flame graph drew (name, status, computed colour), once it rendered. */
  diffFlameRendered(): RenderedBox[] | undefined;
}

const toUri = (u: vscode.Uri | string) => (typeof u === 'string' ? (u.includes('://') ? vscode.Uri.parse(u) : vscode.Uri.file(u)) : u);

export function makeApi(controller: () => Controller): PyprofApi {
  return {
    currentProfile: () => controller().store.current?.profile,
    profileLabel: () => controller().store.current?.label,
    isRecording: () => controller().isRecording,
    decorationsFor: (uri) => controller().decorations.appliedFor(toUri(uri)),
    async lensesFor(uri) {
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', toUri(uri), 100)) ?? [];
      return lenses
        .filter((l) => l.command?.title.startsWith('pyprof'))
        .map((l) => ({ line: l.range.start.line + 1, title: l.command!.title }))
        .sort((a, b) => a.line - b.line);
    },
    flamePanelOpen: () => controller().flame.isOpen,
    flamePanelLoaded: () => controller().flame.isLoaded,
    get lastError() {
      return controller().lastError;
    },
    get activationMs() {
      return controller().activationMs;
    },
    get decorationsMs() {
      return controller().testReport().decorationsMs ?? undefined;
    },
    whenProfileLoaded(timeoutMs = 120000) {
      const c = controller();
      if (c.store.current) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => (sub.dispose(), reject(new Error(`no profile loaded within ${timeoutMs} ms`))), timeoutMs);
        const sub = c.store.onDidChange((p) => {
          if (!p) return;
          clearTimeout(timer);
          sub.dispose();
          resolve();
        });
      });
    },
    openProfile: (file) => controller().openProfile(file),
    profileFile: (file) => controller().profileFile(vscode.Uri.file(file)),
    attach: (pid) => controller().attach(pid),
    stop: () => controller().stop(),
    compareWith: (file) => controller().compareWith(file),
    historyEntries: () => controller().history().entries(),
    diffDecorationsFor: (uri) => controller().diffView.appliedFor(toUri(uri)),
    diffFlameRendered: () => controller().diffFlame.rendered,
  };
}
