// Starts the pyprof language server (dist/server.js, its own Node process, over node-ipc) from the
// extension and keeps it showing what the extension shows: the loaded profile and the options.
//
// API for extension.ts / controller.ts — every function may be called at any time, also before
// startLanguageClient() or while the server is starting or restarting:
//
//   startLanguageClient(context, { inlayHints? }) → Promise<boolean>
//       Call once from activate() (it imports vscode-languageclient lazily, so it is cheap to call;
//       no need to await it). Resolves true once the server runs, false when it could not start
//       (then keep using the extension-side LocalCodeLensProvider fallback). When it resolves
//       true, disable that fallback: the server serves CodeLens (and hovers) for Python files.
//       inlayHints defaults to false in VS Code because the hot-line decorations already print
//       the same numbers at the end of the line; other editors get them by default.
//   loadProfileInServer(pathOrProfile, label?) → Promise<LoadProfileResult | undefined>
//       Prefer the path of the profile file (recordings have one: the CLI's output file): the
//       server reads and indexes it itself, so nothing big crosses the IPC channel. A Profile
//       object also works. Resolves undefined when the server is not running (yet): the profile
//       is remembered and loaded as soon as it runs (and again after a server restart).
//       Load failures are logged to the "pyprof" output channel and resolve undefined.
//   clearProfileInServer() → Promise<void>          when the profile is closed.
//   setLensesVisible(on) → Promise<void>            with the hot-lines toggle.
//   setServerOptions({ inlayHints?, hovers?, diagnostics?, … }) → Promise<void>
//   stopLanguageClient() → Promise<void>            from deactivate() (context.subscriptions also stops it).
//
// `pyprof.pathMappings` and `pyprof.hotLines.minPercent` are forwarded to the server here, also
// when they change. Lens clicks run the server's `pyprof-lsp.revealLine` command, which
// vscode-languageclient registers itself; the server answers with window/showDocument.

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { Profile } from '../../profile/model';
import {
  CLEAR_PROFILE,
  LOAD_PROFILE,
  LoadProfileParams,
  LoadProfileResult,
  PROFILE_CHANGED,
  ProfileChangedParams,
  SET_OPTIONS,
  ServerOptions,
} from '../../server/protocol';
import { outputChannel } from '../output';
import { pathMappings } from '../store';

interface Desired {
  /** What should be loaded: undefined = nothing. */
  profile?: LoadProfileParams;
  /** The same profile as an object, sent when the server cannot read `profile.path`. */
  fallback?: LoadProfileParams;
  options: ServerOptions;
}

const desired: Desired = { options: {} };
let client: LanguageClient | undefined;
let starting: Promise<boolean> | undefined;
/** Bumped on every load/clear so a slow earlier load cannot win over a later clear. */
let profileSeq = 0;

/** What the server says it has loaded (its pyprof/profileChanged notifications), for the test report. */
let serverProfile: LoadProfileResult | null = null;
const serverProfileEmitter = new vscode.EventEmitter<LoadProfileResult | null>();
export const onServerProfileChanged = serverProfileEmitter.event;
export function serverLoadedProfile(): LoadProfileResult | null {
  return serverProfile;
}

function running(): LanguageClient | undefined {
  return client?.isRunning() ? client : undefined;
}

function configOptions(): ServerOptions {
  const cfg = vscode.workspace.getConfiguration('pyprof');
  return {
    pathMappings: pathMappings(),
    minPercent: Math.max(0, Number(cfg.get<number>('hotLines.minPercent', 0.5)) || 0),
    metric: cfg.get('hotLines.metric') === 'memory' ? 'memory' : 'time',
  };
}

export function isLanguageClientRunning(): boolean {
  return running() !== undefined;
}

export function startLanguageClient(context: vscode.ExtensionContext, opts: { inlayHints?: boolean } = {}): Promise<boolean> {
  starting ??= start(context, opts);
  return starting;
}

async function start(context: vscode.ExtensionContext, opts: { inlayHints?: boolean }): Promise<boolean> {
  const out = outputChannel();
  try {
    const lc = await import('vscode-languageclient/node');
    const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath;
    desired.options = { inlayHints: opts.inlayHints ?? false, ...desired.options, ...configOptions() };
    const c = new lc.LanguageClient(
      'pyprof',
      'pyprof language server',
      {
        run: { module, transport: lc.TransportKind.ipc },
        debug: { module, transport: lc.TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
      },
      {
        documentSelector: [{ scheme: 'file', language: 'python' }],
        outputChannel: out,
        // Options first, so a restarted server shows the right things before any profile arrives.
        initializationOptions: () => ({ ...desired.options }),
      },
    );
    client = c;
    let runs = 0;
    context.subscriptions.push(
      c.onDidChangeState((e) => {
        // After a crash vscode-languageclient restarts the server with nothing loaded: resend.
        if (e.newState === lc.State.Running && ++runs > 1) void sync(c);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pyprof.pathMappings') || e.affectsConfiguration('pyprof.hotLines.minPercent') || e.affectsConfiguration('pyprof.hotLines.metric')) {
          void setServerOptions(configOptions());
        }
      }),
      { dispose: () => void stopLanguageClient() },
    );
    await c.start();
    c.onNotification(PROFILE_CHANGED, (p: ProfileChangedParams) => {
      serverProfile = p?.profile ?? null;
      serverProfileEmitter.fire(serverProfile);
    });
    await sync(c);
    return true;
  } catch (e) {
    out.error(`pyprof language server did not start: ${(e as Error).message}`);
    client = undefined;
    return false;
  }
}

/** Brings a (re)started server to the desired state. */
async function sync(c: LanguageClient): Promise<void> {
  try {
    await c.sendRequest(SET_OPTIONS, desired.options);
    if (desired.profile) await sendLoad(c, desired.profile, profileSeq);
  } catch (e) {
    outputChannel().warn(`pyprof language server: ${(e as Error).message}`);
  }
}

async function sendLoad(c: LanguageClient, params: LoadProfileParams, seq: number): Promise<LoadProfileResult | undefined> {
  try {
    const r = await c.sendRequest<LoadProfileResult>(LOAD_PROFILE, params);
    if (seq !== profileSeq) return undefined; // a later load or clear is (or was) on its way
    outputChannel().info(`language server loaded ${r.label}: ${r.functions} functions, ${r.mappedFiles}/${r.files} files mapped (${r.loadMs} ms)`);
    return r;
  } catch (e) {
    if (seq !== profileSeq) return undefined;
    outputChannel().warn(`language server could not load the profile: ${(e as Error).message}`);
    // Never leave the previous profile's lenses and hovers up beside this profile's hot lines:
    // send the profile itself, and if even that fails, clear the server.
    const fallback = desired.fallback;
    if (fallback && params !== fallback) return sendLoad(c, fallback, seq);
    await c.sendRequest(CLEAR_PROFILE).catch(() => undefined);
    return undefined;
  }
}

/**
 * `source`: the profile file (preferred: the server reads it itself) or the Profile; `fallback`
 * is the same profile as an object, sent when the server cannot read the file.
 */
export async function loadProfileInServer(source: string | Profile, label?: string, fallback?: Profile): Promise<LoadProfileResult | undefined> {
  const params: LoadProfileParams = typeof source === 'string' ? { path: source } : { profile: source };
  if (label) params.label = label;
  desired.profile = params;
  desired.fallback = fallback && typeof source === 'string' ? { profile: fallback, ...(label ? { label } : {}) } : undefined;
  const seq = ++profileSeq;
  const c = running();
  return c ? sendLoad(c, params, seq) : undefined;
}

export async function clearProfileInServer(): Promise<void> {
  desired.profile = undefined;
  desired.fallback = undefined;
  profileSeq++;
  const c = running();
  if (c) await c.sendRequest(CLEAR_PROFILE).catch(() => undefined);
}

export async function setServerOptions(o: ServerOptions): Promise<void> {
  desired.options = { ...desired.options, ...o };
  const c = running();
  if (c) await c.sendRequest(SET_OPTIONS, o).catch((e: Error) => outputChannel().warn(`language server options: ${e.message}`));
}

export function setLensesVisible(on: boolean): Promise<void> {
  return setServerOptions({ lenses: on });
}

export async function stopLanguageClient(): Promise<void> {
  const c = client;
  client = undefined;
  starting = undefined;
  if (c?.isRunning()) await c.stop().catch(() => undefined);
}
