// pyprof's language-model tools (src/ui/assist/lmTools.ts) invoked in a real VS Code extension host
// through vscode.lm.invokeTool, as an assistant would: the launching tool records hot.py with the
// configured interpreter and loads it into the editor; the query tools answer from that profile;
// refused input runs nothing. The confirmation itself cannot be seen here: outside a chat VS Code
// asks through its DialogService, which confirms every dialog by itself while an extension test
// runs (skipDialogs() when extensionTestsLocationURI is set); its text is checked in
// test/unit/assist-definitions.test.ts.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { test } from './framework';

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

test('pyprof_profile records the active editor\'s hot.py; pyprof_hot_lines and pyprof_callers answer from the loaded profile', async (t) => {
  await activated();
  const doc = await vscode.workspace.openTextDocument(hotPy());
  await vscode.window.showTextDocument(doc, { preview: false });
  const recorded = await invoke('pyprof_profile', { args: ['2'] }); // no file: the active editor's, as Profile Current File
  t.log(recorded.split('\n').slice(0, 4).join(' / '));
  const line = HOT_LINE();
  if (!new RegExp(`^1\\. hot — hottest line hot\\.py:${line} \\(def line 6\\); own \\d+(?:\\.\\d)?% \\([\\d,]+ samples\\)`, 'm').test(recorded)) throw new Error(`pyprof_profile answered:\n${recorded}`);

  const hot = await invoke('pyprof_hot_lines', { file: 'hot.py', limit: 3 });
  t.log(hot.split('\n').slice(1, 3).join(' / '));
  if (!new RegExp(`^1\\. hot\\.py:${line} own \\d+(?:\\.\\d)?% \\([\\d,]+ samples\\), total .*# HOT_LINE$`, 'm').test(hot)) throw new Error(`pyprof_hot_lines answered:\n${hot}`);

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

test('pyprof_dump_stacks and pyprof_attach read a running program', async (t) => {
  await activated();
  const python = process.env.PYPROF_E2E_PYTHON;
  if (!python) return t.skip('PYPROF_E2E_PYTHON not set');
  const target = spawn(python, [hotPy(), '60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((resolve, reject) => {
      target.stdout!.on('data', (d) => String(d).includes('READY') && resolve());
      target.on('exit', () => reject(new Error('hot.py exited early')));
    });
    const dump = await invoke('pyprof_dump_stacks', { pid: target.pid });
    if (!new RegExp(`^Process ${target.pid}: `).test(dump) || !/^ {4}main \(.*hot\.py:\d+\)$/m.test(dump)) throw new Error(`pyprof_dump_stacks answered:\n${dump}`);

    const attached = await invoke('pyprof_attach', { pid: target.pid, durationSeconds: 1 });
    t.log(attached.split('\n').slice(0, 3).join(' / '));
    if (!new RegExp(`^1\\. hot — hottest line hot\\.py:${HOT_LINE()} `, 'm').test(attached)) throw new Error(`pyprof_attach answered:\n${attached}`);
  } finally {
    target.kill('SIGKILL');
  }
}, { timeoutMs: 120_000 });
