// Rows of the "Attach to process" picker, built from the engine's ProcessInfo list. No vscode
// import: the picker (processPicker.ts) turns these into QuickPickItems, tests check the wording.

import * as fs from 'fs';
import type { ProcessInfo } from '../../engine/types';

export interface ProcessRow {
  pid: number;
  /** `python3.12 app.py --port 80` shortened for the label. */
  label: string;
  /** `pid 1234 · Python 3.12.1 · alice` */
  description: string;
  /** Full command line. */
  detail: string;
  user: string;
}

/** Login name for a uid from /etc/passwd (the numeric uid when absent). */
export function userName(uid: number, passwd?: string): string {
  let text = passwd;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/etc/passwd', 'utf8');
    } catch {
      return String(uid);
    }
  }
  for (const line of text.split('\n')) {
    const parts = line.split(':');
    if (parts.length > 3 && Number(parts[2]) === uid) return parts[0];
  }
  return String(uid);
}

/** Owner uid of a process (real uid from /proc/PID/status), or undefined if it is gone. */
export function processUid(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^Uid:\s+(\d+)/m.exec(status);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const LABEL_MAX = 80;

/** The script part of a command line: drop the interpreter's own path, keep the name. */
export function shortCommand(commandLine: string, executable: string): string {
  const cmd = commandLine.trim();
  const exeName = executable.split('/').pop() ?? executable;
  let rest = cmd;
  const first = cmd.split(/\s+/)[0] ?? '';
  const firstName = first.split('/').pop() ?? first;
  // The interpreter's own path is noise in a label: keep its name (`python3`), keep the rest.
  if (first === executable || first.endsWith(`/${exeName}`) || /^python[\d.]*[dmu]*$/.test(firstName)) {
    rest = `${firstName}${cmd.slice(first.length)}`;
  }
  return rest.length > LABEL_MAX ? `${rest.slice(0, LABEL_MAX - 1)}…` : rest;
}

export function processRows(list: readonly ProcessInfo[], selfPid: number, userOf: (pid: number) => string): ProcessRow[] {
  return list
    .filter((p) => p.pid !== selfPid)
    .map((p) => {
      const user = userOf(p.pid);
      return {
        pid: p.pid,
        label: shortCommand(p.commandLine || p.executable, p.executable),
        description: `pid ${p.pid} · Python ${p.version} · ${user}`,
        detail: p.commandLine || p.executable,
        user,
      };
    })
    .sort((a, b) => b.pid - a.pid); // newest first: the process just started is usually the one wanted
}

/** A typed PID ("1234", " pid 1234 "), or undefined when the text is not one. */
export function parsePid(text: string): number | undefined {
  const m = /^\s*(?:pid\s*)?(\d{1,9})\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 ? n : undefined;
}
