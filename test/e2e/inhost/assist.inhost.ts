// pyprof's language-model tools (src/ui/assist/lmTools.ts) invoked in a real VS Code extension host
// through vscode.lm.invokeTool, as an assistant would: the launching tool first shows its
// confirmation (outside a chat VS Code shows it as a modal dialog; the driver reads and answers it),
// then records hot.py with the configured interpreter and loads it into the editor; the query tools
// answer from that profile; refused input and a declined confirmation run nothing.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { answerDialog, test } from './framework';

const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const hotPy = () => path.join(ws(), 'hot.py');
const HOT_LINE = () => fs.readFileSync(hotPy(), 'utf8').split('\n').findIndex((l) => l.includes('# HOT_LINE')) + 1;

/** vscode.lm's tool API (1.95+; @types/vscode here is the 1.91 minimum). */
interface LmTools {
  tools: ReadonlyArray<{ name: string; tags: readonly string[] }>;
  invokeTool(name: string, options: { input: object; toolInvocationToken: undefined }): Thenable<{ content: Array<{ value?: unknown }> }>;
}
const lm = () => vscode.lm as unknown as LmTools;

async function invoke(name: string, input: object): Promise<string> {
  const r = await lm().invokeTool(name, { input, toolInvocationToken: undefined });
  return r.content.map((p) => (typeof p.value === 'string' ? p.value : '')).join('\n');
}

async function refused(name: string, input: object): Promise<string> {
  try {
    const text = await invoke(name, input);
    throw new Error(`${name} ${JSON.stringify(input)} was not refused: ${text}`);
  } catch (e) {
    return (e as Error).message;
  }
}

async function activated(): Promise<void> {
  const ext = vscode.extensions.getExtension('pyprof.pyprof');
  if (!ext) throw new Error('pyprof.pyprof is not loaded in this extension host');
  await ext.activate();
}

test('the seven pyprof tools are registered with vscode.lm', async (t) => {
  await activated();
  if (typeof (vscode.lm as unknown as Partial<LmTools>).invokeTool !== 'function') throw new Error(`VS Code ${vscode.version} has no vscode.lm.invokeTool`);
  const names = lm().tools.filter((x) => x.name.startsWith('pyprof_')).map((x) => x.name).sort();
  t.log(`VS Code ${vscode.version}: ${names.join(', ')}`);
  const expected = ['pyprof_attach', 'pyprof_callers', 'pyprof_compare', 'pyprof_dump_stacks', 'pyprof_hot_lines', 'pyprof_profile', 'pyprof_top_functions'];
  if (JSON.stringify(names) !== JSON.stringify(expected)) throw new Error(`registered: ${names.join(', ')}`);
});

test('pyprof_profile asks first, then records hot.py; pyprof_hot_lines and pyprof_callers answer from the loaded profile', async (t) => {
  await activated();
  const doc = await vscode.workspace.openTextDocument(hotPy());
  await vscode.window.showTextDocument(doc, { preview: false });
  const running = invoke('pyprof_profile', { args: ['2'] }); // no file: the active editor's, as Profile Current File
  const dialog = await answerDialog(true);
  if (!dialog) return t.skip('no driver to answer the confirmation dialog');
  t.log(`confirmation: ${dialog.join(' | ')}`);
  if (!/Run and profile a program\?/.test(dialog[0]) || !/hot\.py 2/.test(dialog[0])) throw new Error(`the confirmation does not name the program: ${dialog[0]}`);
  const recorded = await running;
  t.log(recorded.split('\n').slice(0, 4).join(' / '));
  const line = HOT_LINE();
  if (!new RegExp(`^1\\. hot — hottest line hot\\.py:${line} \\(def line 6\\); own \\d+\\.\\d% \\([\\d,]+ samples\\)`, 'm').test(recorded)) throw new Error(`pyprof_profile answered:\n${recorded}`);

  const hot = await invoke('pyprof_hot_lines', { file: 'hot.py', limit: 3 });
  t.log(hot.split('\n').slice(1, 3).join(' / '));
  if (!new RegExp(`^1\\. hot\\.py:${line} own \\d+\\.\\d% \\([\\d,]+ samples\\), total .*# HOT_LINE$`, 'm').test(hot)) throw new Error(`pyprof_hot_lines answered:\n${hot}`);

  const callers = await invoke('pyprof_callers', { function: 'hot' });
  if (!/^ {2}1\. main at hot\.py:\d+: /m.test(callers)) throw new Error(`pyprof_callers answered:\n${callers}`);
  const top = await invoke('pyprof_top_functions', { limit: 3 });
  if (!/^1\. hot — /m.test(top)) throw new Error(`pyprof_top_functions answered:\n${top}`);
}, { timeoutMs: 120_000 });

test('refused input runs nothing and says why: a file outside the workspace, a duration over the cap, no such PID', async () => {
  await activated();
  const outside = await refused('pyprof_profile', { file: '/etc/hostname' });
  if (!/outside the workspace root/.test(outside)) throw new Error(`outside file: ${outside}`);
  const long = await refused('pyprof_attach', { pid: process.pid, durationSeconds: 100000 });
  if (!/over the cap of 300 s/.test(long)) throw new Error(`over the cap: ${long}`);
  let free = 4_194_000;
  while (fs.existsSync(`/proc/${free}`)) free--;
  const noPid = await refused('pyprof_dump_stacks', { pid: free });
  if (!new RegExp(`there is no process with PID ${free}`).test(noPid)) throw new Error(`no such pid: ${noPid}`);
});

test('pyprof_dump_stacks reads a running program after the user confirms; declining pyprof_attach records nothing', async (t) => {
  await activated();
  const python = process.env.PYPROF_E2E_PYTHON;
  if (!python) return t.skip('PYPROF_E2E_PYTHON not set');
  const target = spawn(python, [hotPy(), '60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((resolve, reject) => {
      target.stdout!.on('data', (d) => String(d).includes('READY') && resolve());
      target.on('exit', () => reject(new Error('hot.py exited early')));
    });
    const dumping = invoke('pyprof_dump_stacks', { pid: target.pid });
    const dialog = await answerDialog(true);
    if (!dialog) return t.skip('no driver to answer the confirmation dialog');
    if (!new RegExp(`process ${target.pid}`).test(dialog[0])) throw new Error(`the confirmation does not name the process: ${dialog[0]}`);
    const dump = await dumping;
    if (!new RegExp(`^Process ${target.pid}: `).test(dump) || !/^ {4}main \(.*hot\.py:\d+\)$/m.test(dump)) throw new Error(`pyprof_dump_stacks answered:\n${dump}`);

    const before = await invoke('pyprof_top_functions', { limit: 1 });
    const attaching = invoke('pyprof_attach', { pid: target.pid, durationSeconds: 1 });
    await answerDialog(false);
    const declined = await attaching.then((text) => `answered: ${text}`, (e: Error) => e.message);
    t.log(`declined attach: ${declined}`);
    if (/^answered/.test(declined)) throw new Error(`pyprof_attach ran although the user declined: ${declined}`);
    const after = await invoke('pyprof_top_functions', { limit: 1 });
    if (after !== before) throw new Error(`the loaded profile changed although the user declined:\n${before}\n---\n${after}`);
  } finally {
    target.kill('SIGKILL');
  }
}, { timeoutMs: 120_000 });
