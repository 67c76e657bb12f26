// The one "pyprof" output channel (ARCHITECTURE.md conventions). Everything extension-side that logs
// — recordings, the language client, the debug adapter glue — should write here via outputChannel()
// instead of creating a second channel with the same name.

import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;
const recent: string[] = [];

export function outputChannel(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('pyprof', { log: true });
  return channel;
}

/** Logs an info line and keeps the last 50 for the test report. */
export function log(message: string): void {
  outputChannel().info(message);
  recent.push(message);
  if (recent.length > 50) recent.shift();
}

export function recentLog(): string[] {
  return [...recent];
}
