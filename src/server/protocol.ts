// The pyprof language server's own LSP messages, shared by the server (src/server/) and the VS Code
// client (src/ui/editor/languageClient.ts). Plain method names and JSON shapes, no library imports, so any
// LSP client (Neovim, Helix, Emacs) can send them too. Everything standard (codeLens, hover,
// inlayHint, diagnostics) uses the normal LSP methods.

import type { Profile } from '../profile/model';
import type { PathMapping } from '../profile/pathMap';

/** What the server shows and how it maps paths. Every field optional: only given fields change. */
export interface ServerOptions {
  /** CodeLens over each profiled function's `def` line. Default true. */
  lenses?: boolean;
  /** Inlay hint at the end of each hot line (its self %). Default true. */
  inlayHints?: boolean;
  /** Hover on profiled lines (line stats, callers and callees). Default true. */
  hovers?: boolean;
  /** Information diagnostics on the hottest lines. Default false. */
  diagnostics?: boolean;
  /** Lines below this share of all samples (self and total, 0..100) get no inlay hint. Default 0.5. */
  minPercent?: number;
  /** Lines at or above this self share (0..100) get a diagnostic when diagnostics are on. Default 5. */
  diagnosticPercent?: number;
  /** Profile path prefix → local path, as the `pyprof.pathMappings` setting (already expanded). */
  pathMappings?: PathMapping[];
  /**
   * What lenses measure: 'time' (default) or 'memory' (bytes allocated / freed per function, for
   * profiles recorded with memory data; profiles without it keep showing time).
   */
  metric?: 'time' | 'memory';
}

export const DEFAULT_SERVER_OPTIONS: Required<ServerOptions> = {
  lenses: true,
  inlayHints: true,
  hovers: true,
  diagnostics: false,
  minPercent: 0.5,
  diagnosticPercent: 5,
  pathMappings: [],
  metric: 'time',
};

/**
 * initializationOptions the server understands (all optional): the options above, plus a profile
 * file to load right after initialization (what `pyprof-lsp --profile FILE` does).
 */
export interface InitializationOptions extends ServerOptions {
  profile?: string;
}

/** Request `pyprof/loadProfile`: the server reads and indexes the file itself (or takes the model). */
export const LOAD_PROFILE = 'pyprof/loadProfile';
export interface LoadProfileParams {
  /** A profile file in any format `importProfile` reads (speedscope JSON, …). */
  path?: string;
  /** Or the model itself, when there is no file. `path` wins when both are given. */
  profile?: Profile;
  /** Shown in messages; defaults to the file name. */
  label?: string;
}
export interface LoadProfileResult {
  label: string;
  /** Sum of all sample weights. */
  total: number;
  /** Functions with samples. */
  functions: number;
  /** Distinct source files in the profile, and how many of them map to a local file. */
  files: number;
  mappedFiles: number;
  /** Profile paths that map to no local file (pseudo paths like `<string>` excluded), at most 20. */
  unmapped: string[];
  /** ms the server spent reading + indexing. */
  loadMs: number;
}

/** Request `pyprof/clearProfile`: forget the profile; lenses, hints and diagnostics disappear. */
export const CLEAR_PROFILE = 'pyprof/clearProfile';

/** Request `pyprof/setOptions` (params: ServerOptions); returns the options now in effect. */
export const SET_OPTIONS = 'pyprof/setOptions';

/** Request `pyprof/status`: what is loaded and the options in effect (tests, diagnostics). */
export const STATUS = 'pyprof/status';
export interface StatusResult {
  loaded: LoadProfileResult | null;
  options: Required<ServerOptions>;
}

/** Notification server → client `pyprof/profileChanged` after every load or clear. */
export const PROFILE_CHANGED = 'pyprof/profileChanged';
export interface ProfileChangedParams {
  /** What is loaded now; null after a clear. */
  profile: LoadProfileResult | null;
}

/**
 * workspace/executeCommand commands, for editors without custom-request support (Neovim:
 * `vim.lsp.buf.execute_command{command='pyprof-lsp.loadProfile', arguments={'/path/x.speedscope.json'}}`).
 * Named `pyprof-lsp.*` so they never collide with the extension's `pyprof.*` commands when the
 * VS Code client registers them.
 */
export const COMMAND_LOAD_PROFILE = 'pyprof-lsp.loadProfile';
export const COMMAND_CLEAR_PROFILE = 'pyprof-lsp.clearProfile';
/** The CodeLens command: arguments [uri, 0-based line]; the server asks the client to show that line. */
export const COMMAND_REVEAL_LINE = 'pyprof-lsp.revealLine';
export const SERVER_COMMANDS = [COMMAND_LOAD_PROFILE, COMMAND_CLEAR_PROFILE, COMMAND_REVEAL_LINE];
