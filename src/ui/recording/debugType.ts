// The editor side of the `pyprof` debug type: starts the adapter as its own process
// (dist/debugAdapter.js, so ptrace and the native reader never load into the extension host),
// offers "Profile Python file" when F5 is pressed without a launch.json, fills in the workspace's
// interpreter, checks the configuration (errors name the field and open launch.json), and opens
// each finished recording exactly like "Profile Current File" does.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { resolveInterpreter } from './interpreter';
import { log } from '../output';

export const DEBUG_TYPE = 'pyprof';
const PROFILE_READY_EVENT = 'pyprofProfileReady'; // src/debug/adapter.ts
/** After a session ends without its ready event (adapter killed), how long to wait for the file. */
const LATE_PROFILE_WAIT_MS = 15_000;

export const PROFILE_FILE_CONFIG: vscode.DebugConfiguration = {
  type: DEBUG_TYPE,
  request: 'launch',
  name: 'Profile Python file',
  program: '${file}',
  console: 'integratedTerminal',
};

export const ATTACH_CONFIG: vscode.DebugConfiguration = {
  type: DEBUG_TYPE,
  request: 'attach',
  name: 'Profile a running Python process',
  processId: '${command:pyprof.pickProcess}',
};

class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [PROFILE_FILE_CONFIG, ATTACH_CONFIG];
  }

  /** F5 with no launch.json: profile the active Python file. */
  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    if (!config.type && !config.request && !config.name) {
      const doc = vscode.window.activeTextEditor?.document;
      if (doc?.languageId !== 'python' || doc.uri.scheme !== 'file') {
        void vscode.window.showErrorMessage('pyprof: open a Python file to profile it, or add a "pyprof" configuration to launch.json.');
        return undefined;
      }
      return { ...PROFILE_FILE_CONFIG };
    }
    return config;
  }

  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | null | undefined> {
    if (config.request === 'launch' && !vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('pyprof: this workspace is not trusted, so pyprof will not run its programs. Attaching to a running process still works.');
      return undefined;
    }
    const resolved: vscode.DebugConfiguration = { ...config };
    const cfg = vscode.workspace.getConfiguration('pyprof', folder?.uri);
    // Sampling settings the configuration leaves out come from the pyprof.* settings.
    for (const key of ['rate', 'subprocesses', 'gil', 'idle', 'blocking', 'native', 'memoryFrames'] as const) {
      if (resolved[key] === undefined) resolved[key] = cfg.get(key);
    }
    if (resolved.request === 'launch') {
      if (!resolved.cwd && folder) resolved.cwd = folder.uri.fsPath;
      if (!resolved.python) {
        const resource = typeof resolved.program === 'string' ? vscode.Uri.file(path.resolve(resolved.cwd ?? '', resolved.program)) : folder?.uri;
        const interpreter = await resolveInterpreter(resource);
        if (!interpreter) {
          void vscode.window.showErrorMessage('pyprof: no Python interpreter found. Set "python" in launch.json or the pyprof.pythonPath setting.');
          return undefined;
        }
        resolved.python = interpreter.path;
        log(`debug session interpreter: ${interpreter.path} (${interpreter.source})`);
      }
    }
    // Loaded on first use: the formats table it checks against is not needed at activation.
    const { ConfigError, defaultProfileName, resolveConfig } = await import('../../debug/configuration');
    try {
      const checked = resolveConfig(resolved);
      // A known output path lets the extension still find the profile if the adapter dies.
      if (!resolved.output) resolved.output = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-debug-')), defaultProfileName(checked));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      void vscode.window.showErrorMessage(`pyprof: ${e.message}`);
      return null; // null: VS Code opens launch.json so the field can be fixed
    }
    return resolved;
  }
}

class AdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly context: vscode.ExtensionContext) {}
  createDebugAdapterDescriptor(): vscode.DebugAdapterDescriptor {
    const adapter = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'debugAdapter.js').fsPath;
    // In desktop VS Code process.execPath is Electron; ELECTRON_RUN_AS_NODE makes it plain Node.
    return new vscode.DebugAdapterExecutable(process.execPath, [adapter], { env: { ELECTRON_RUN_AS_NODE: '1' } });
  }
}

export function registerDebugging(context: vscode.ExtensionContext): void {
  const opened = new Set<string>();
  const provider = new ConfigurationProvider();
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new AdapterFactory(context)),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider),
    vscode.debug.registerDebugConfigurationProvider(
      DEBUG_TYPE,
      { provideDebugConfigurations: () => provider.provideDebugConfigurations() },
      vscode.DebugConfigurationProviderTriggerKind.Dynamic,
    ),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.session.type !== DEBUG_TYPE || e.event !== PROFILE_READY_EVENT) return;
      const body = e.body as { output: string; label: string; samples: number };
      opened.add(e.session.id);
      log(`debug session "${e.session.name}": ${body.samples} samples in ${body.output}`);
      void vscode.commands.executeCommand('pyprof.openProfile', body.output, body.label);
    }),
    vscode.debug.onDidTerminateDebugSession(async (session) => {
      if (session.type !== DEBUG_TYPE || opened.delete(session.id)) return;
      // No ready event: the adapter was killed or the session ended before the recorder finished.
      // The recorder still writes the profile (it stops when its reader goes away); open it then.
      const output = session.configuration.output as string | undefined;
      if (!output) return;
      const until = Date.now() + LATE_PROFILE_WAIT_MS;
      while (!fs.existsSync(output) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      if (fs.existsSync(output)) void vscode.commands.executeCommand('pyprof.openProfile', output, session.name);
    }),
  );
}
