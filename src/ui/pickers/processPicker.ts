// "Attach to Process…": a filterable QuickPick of running Python processes (command line, pid,
// version, user). Typing a PID that is not listed offers it anyway (the engine then says what is
// wrong with it). A refresh button re-reads the process list.

import * as vscode from 'vscode';
import type { ProcessInfo } from '../../engine/types';
import { parsePid, processRows, processUid, userName } from './processItems';

interface PidItem extends vscode.QuickPickItem {
  pid: number;
}

/** Resolves to the chosen PID, or undefined when cancelled. */
export async function pickPythonProcess(list: () => Promise<readonly ProcessInfo[]>, title = 'pyprof: Attach to Python Process'): Promise<number | undefined> {
  const qp = vscode.window.createQuickPick<PidItem>();
  qp.title = title;
  qp.placeholder = 'Filter by command line, pid, version or user — or type a PID';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.busy = true;
  const refresh: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('refresh'), tooltip: 'Refresh' };
  qp.buttons = [refresh];
  let listed: PidItem[] = [];
  const users = new Map<number, string>();
  const userOf = (pid: number) => {
    const uid = processUid(pid);
    if (uid === undefined) return '?';
    let u = users.get(uid);
    if (u === undefined) users.set(uid, (u = userName(uid)));
    return u;
  };

  const typedItem = (): PidItem[] => {
    const pid = parsePid(qp.value);
    if (pid === undefined || listed.some((i) => i.pid === pid)) return [];
    return [{ pid, label: `$(debug-alt) Attach to PID ${pid}`, description: 'not in the list of recognised Python processes', alwaysShow: true }];
  };
  const show = () => (qp.items = [...typedItem(), ...listed]);

  const load = async () => {
    qp.busy = true;
    try {
      const rows = processRows(await list(), process.pid, userOf);
      listed = rows.map((r) => ({ pid: r.pid, label: r.label, description: r.description, detail: r.detail }));
      if (listed.length === 0) qp.placeholder = 'No Python processes found — type a PID to attach anyway';
    } catch (e) {
      listed = [];
      qp.placeholder = `Cannot list processes (${(e as Error).message}) — type a PID`;
    } finally {
      qp.busy = false;
      show();
    }
  };

  return new Promise<number | undefined>((resolve) => {
    let done = false;
    const finish = (pid: number | undefined) => {
      if (done) return;
      done = true;
      resolve(pid);
      qp.dispose();
    };
    qp.onDidChangeValue(show);
    qp.onDidTriggerButton((b) => {
      if (b === refresh) void load();
    });
    qp.onDidAccept(() => {
      const sel = qp.selectedItems[0] ?? qp.activeItems[0];
      finish(sel?.pid ?? parsePid(qp.value));
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
    void load();
  });
}
