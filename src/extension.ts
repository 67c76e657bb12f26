// Extension entry point: wires pyprof.* commands to the Controller (src/ui/controller.ts) and
// returns the test API (src/ui/api.ts). Activation is on the commands and the pyprof view only;
// heavy modules (profile formats, the engine's process list, the Python extension API, the
// language client) are imported on first use, so activation stays cheap.

import * as vscode from 'vscode';
import { makeApi, PyprofApi } from './ui/api';
import { Controller } from './ui/controller';
import { registerLmTools } from './ui/assist/lmTools';
import { registerDebugging } from './ui/recording/debugType';
import { dumpStacks, StackDumpDocuments } from './ui/views/stackDump';
import { registerStackLinks } from './ui/views/stackLinks';
import { toggleFlameFrames } from './ui/flame/flamePanel';
import { openFromPyroscope, PyroscopeOpenPreset } from './ui/pickers/pyroscopePicker';

let controller: Controller | undefined;

export function activate(context: vscode.ExtensionContext): PyprofApi {
  const started = performance.now();
  const c = (controller = new Controller(context));
  context.subscriptions.push(c);
  const command = (id: string, fn: (...args: any[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));

  command('pyprof.profileFile', (uri?: vscode.Uri) => c.profileFile(uri));
  command('pyprof.profileFileTracing', (uri?: vscode.Uri) => c.profileFile(uri, 'trace'));
  command('pyprof.attach', (pid?: number | string) => c.attach(pid));
  command('pyprof.pickProcess', async () => {
    const pid = await c.pickProcess();
    return pid === undefined ? undefined : String(pid); // launch.json ${command:pyprof.pickProcess}
  });
  command('pyprof.stop', () => c.stop());
  command('pyprof.openProfile', (uri?: vscode.Uri | string, label?: string) => c.openProfile(uri, label));
  command('pyprof.saveProfile', () => c.saveProfile());
  command('pyprof.showFlameGraph', () => c.showFlameGraph());
  command('pyprof.toggleFlameFrames', () => toggleFlameFrames());
  command('pyprof.toggleHotLines', () => c.toggleHotLines());
  command('pyprof.hideHotLines', () => c.setHotLinesVisible(false)); // title-bar button, eye icon
  command('pyprof.showHotLines', () => c.setHotLinesVisible(true)); // title-bar button, eye-closed icon
  command('pyprof.clearProfile', () => c.clearProfile());
  command('pyprof.compareWith', (file?: vscode.Uri | string) => c.compareWith(file instanceof vscode.Uri ? file.fsPath : file));
  command('pyprof.clearComparison', () => c.clearComparison());
  command('pyprof.showDiffFlameGraph', () => c.showDiffFlameGraph());
  command('pyprof.openFromPyroscope', (preset?: PyroscopeOpenPreset) =>
    openFromPyroscope({
      storageDir: (context.storageUri ?? context.globalStorageUri).fsPath,
      openProfile: (file, label) => c.openProfile(file, label),
      fail: (message) => c.fail(message),
    }, typeof preset === 'object' && preset ? preset : {}),
  );
  command('pyprof.revealSource', (file: string, line: number) => c.revealSource(file, line));

  registerDebugging(context); // the `pyprof` debug type: launch.json profiling and Pause → Call Stack
  const dumps = new StackDumpDocuments();
  context.subscriptions.push(dumps, registerStackLinks());
  const cli = vscode.Uri.joinPath(context.extensionUri, 'dist', 'cli.js').fsPath;
  registerLmTools(context, c, cli); // the assistant tools (src/assist/) for Copilot Chat and vscode.lm.invokeTool
  command('pyprof.dumpStacks', (pid?: number | string) => dumpStacks({ nodePath: process.execPath, cliPath: cli, pickProcess: () => c.pickProcess(), documents: dumps }, pid));

  c.activationMs = Math.round((performance.now() - started) * 10) / 10;
  return makeApi(() => c);
}

export function deactivate(): void {
  controller?.dispose();
  controller = undefined;
}
