// Which Python runs "Profile Current File". Order:
//   1. `pyprof.pythonPath` when the user set it (an explicit pyprof setting is the most specific wish);
//   2. the Python extension's active environment for the file (@vscode/python-extension), when that
//      extension is installed;
//   3. `python.defaultInterpreterPath` when set by the user or workspace (not its built-in "python");
//   4. `python3`, then `python`, found on PATH.
// Workspace-provided paths are only used in trusted workspaces; callers refuse earlier otherwise.

import * as fs from 'fs';
import * as vscode from 'vscode';
import { findOnPath } from '../../files/findOnPath';

export interface Interpreter {
  path: string;
  /** Where it came from, for the output channel: "pyprof.pythonPath", "Python extension", … */
  source: string;
}

function expandVars(p: string, resource: vscode.Uri | undefined): string {
  const folder = resource ? vscode.workspace.getWorkspaceFolder(resource) : vscode.workspace.workspaceFolders?.[0];
  return p
    .replace(/\$\{workspaceFolder\}/g, folder?.uri.fsPath ?? '')
    .replace(/\$\{userHome\}/g, require('os').homedir())
    .replace(/^~(?=\/|$)/, require('os').homedir());
}

function userSetting(section: string, key: string, resource: vscode.Uri | undefined): string | undefined {
  const i = vscode.workspace.getConfiguration(section, resource).inspect<string>(key);
  const v = i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

async function fromPythonExtension(resource: vscode.Uri | undefined): Promise<string | undefined> {
  if (!vscode.extensions.getExtension('ms-python.python')) return undefined;
  try {
    const { PythonExtension } = await import('@vscode/python-extension');
    const api = await withTimeout(PythonExtension.api(), 10000);
    const envPath = api.environments.getActiveEnvironmentPath(resource);
    const resolved = await withTimeout(api.environments.resolveEnvironment(envPath), 10000);
    return resolved?.executable.uri?.fsPath ?? (envPath.path && fs.existsSync(envPath.path) && fs.statSync(envPath.path).isFile() ? envPath.path : undefined);
  } catch {
    return undefined; // extension broken or slow: fall back to settings
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

export async function resolveInterpreter(resource: vscode.Uri | undefined): Promise<Interpreter | undefined> {
  const own = userSetting('pyprof', 'pythonPath', resource);
  if (own) return { path: expandVars(own, resource), source: 'pyprof.pythonPath' };
  const ext = await fromPythonExtension(resource);
  if (ext) return { path: ext, source: 'Python extension' };
  const def = userSetting('python', 'defaultInterpreterPath', resource);
  if (def) return { path: expandVars(def, resource), source: 'python.defaultInterpreterPath' };
  for (const name of ['python3', 'python', 'python2']) {
    const p = findOnPath(name);
    if (p) return { path: p, source: `${name} on PATH` };
  }
  return undefined;
}
