// pyprof inside a real VS Code extension host, asserted through the extension's activate() API
// (src/ui/api.ts) and the vscode API: Profile Current File on hot.py, attach by PID, open a saved
// profile recorded in a container, hide/show/clear. Screenshots go to test-results/inhost-*.png.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { PyprofApi } from '../../../src/ui/api';
import { clickFlameFrame, screenshot, sleep, test, visibleTexts, waitFor } from './framework';

const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const hotPy = () => path.join(ws(), 'hot.py');
const lineOf = (marker: string) => {
  const i = fs.readFileSync(hotPy(), 'utf8').split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`hot.py has no line with ${marker}`);
  return i + 1;
};

async function pyprof(): Promise<PyprofApi> {
  const ext = vscode.extensions.getExtension<PyprofApi>('pyprof.pyprof');
  if (!ext) throw new Error('pyprof.pyprof is not loaded in this extension host');
  return ext.activate();
}

type Applied = ReturnType<PyprofApi['decorationsFor']>;
const selfPct = (d: Applied[number]) => parseFloat(/([\d.]+)% self/.exec(d.text)?.[1] ?? '0');
const hottest = (decos: Applied) => decos.reduce((a, b) => (b.heat > a.heat || (b.heat === a.heat && selfPct(b) > selfPct(a)) ? b : a));
const totalPct = (title: string) => parseFloat(/([\d.]+)% total/.exec(title)?.[1] ?? 'NaN');
const show = (d: Applied) => d.map((x) => `${x.line}: heat ${x.heat} ${x.text}`).join(' | ');

async function openHot(): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(hotPy());
  return vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
}

/** The hot loop's lines carry the hottest decoration; the cold function's line is cooler. */
async function assertHotLines(what: string): Promise<Applied> {
  const api = await pyprof();
  const loop = lineOf('for i in range'), body = lineOf('HOT_LINE'), cold = lineOf('sum(range(1000))');
  const decos = await waitFor(() => (api.decorationsFor(hotPy()).length > 0 ? api.decorationsFor(hotPy()) : undefined), `${what}: decorations on hot.py`);
  const top = hottest(decos);
  if (![loop, body].includes(top.line)) throw new Error(`${what}: hottest line ${top.line}, expected ${loop} or ${body}: ${show(decos)}`);
  if (!/^[\d.]+% self$/.test(top.text)) throw new Error(`${what}: end-of-line text is not the short self share: ${top.text}`);
  if (!/% self/.test(top.detail) || !/% total/.test(top.detail)) throw new Error(`${what}: the hover detail lacks self/total %: ${top.detail}`);
  const coldDeco = decos.find((d) => d.line === cold);
  if (coldDeco && coldDeco.heat >= top.heat) throw new Error(`${what}: cold line ${cold} as hot as the loop: ${show(decos)}`);
  for (const d of decos) if (d.line < 1 || d.line > 40) throw new Error(`${what}: decoration outside the file: ${show(decos)}`);
  return decos;
}

/** The language server's CodeLens sits over `def hot():` with most of the total time. */
async function assertLenses(what: string): Promise<Array<{ line: number; title: string }>> {
  const api = await pyprof();
  const defHot = lineOf('def hot():'), defMain = lineOf('def main(');
  const lenses = await waitFor(async () => {
    const l = await api.lensesFor(hotPy());
    return l.some((x) => x.line === defHot) ? l : undefined;
  }, `${what}: a pyprof CodeLens over def hot() (line ${defHot})`);
  const hot = lenses.find((l) => l.line === defHot)!;
  if (!(totalPct(hot.title) >= 50)) throw new Error(`${what}: lens over hot() says ${hot.title}`);
  if (!lenses.some((l) => l.line === defMain)) throw new Error(`${what}: no lens over def main(): ${JSON.stringify(lenses)}`);
  // What the editor renders must be the current profile's lens, not one cached from an earlier profile.
  const norm = (x: string) => x.replace(/\s+/g, ' ').trim();
  let seen: string[] | undefined;
  await waitFor(async () => {
    seen = await visibleTexts('.monaco-editor .codelens-decoration');
    return seen === undefined || seen.some((x) => norm(x).includes(norm(hot.title)));
  }, `${what}: the editor to render the lens "${hot.title}"`, 15_000).catch((e: Error) => {
    throw new Error(`${e.message}; rendered lenses: ${JSON.stringify(seen)}`);
  });
  return lenses;
}

test('Profile Current File puts hot lines and CodeLens on hot() and Show Flame Graph opens the panel', async (t) => {
  const api = await pyprof();
  await openHot();
  await vscode.commands.executeCommand('pyprof.profileFile'); // resolves when the program exited and the profile is loaded
  if (api.lastError) throw new Error(`profiling failed: ${api.lastError}`);
  if (api.profileLabel() !== 'hot.py (recorded)') throw new Error(`profile label ${api.profileLabel()}`);
  const profile = api.currentProfile()!;
  const samples = profile.samples.reduce((n, s) => n + s.weight, 0);
  if (!(samples > 0)) throw new Error('the recorded profile has no samples');
  t.log(`${samples} samples; activation ${api.activationMs} ms; profile→decorations ${api.decorationsMs} ms`);
  const decos = await assertHotLines('recorded');
  const lenses = await assertLenses('recorded');
  t.log(`decorations: ${show(decos)}`);
  t.log(`lenses: ${lenses.map((l) => `${l.line}: ${l.title}`).join(' | ')}`);

  // A picture of the editor alone: no bottom panel, hot.py the only editor group.
  await vscode.commands.executeCommand('workbench.action.closePanel');
  await sleep(1000); // let the editor re-render after the layout change before the screenshot
  await screenshot('inhost-editor-hot-lines');

  await vscode.commands.executeCommand('pyprof.showFlameGraph');
  await waitFor(() => api.flamePanelOpen() && api.flamePanelLoaded(), 'the flame graph panel to open and render', 60_000);
  await vscode.commands.executeCommand('workbench.action.toggleMaximizeEditorGroup').then(undefined, () => undefined);
  await sleep(1500); // speedscope re-lays out its canvas on resize
  await screenshot('inhost-flame-graph');
  await vscode.commands.executeCommand('workbench.action.toggleMaximizeEditorGroup').then(undefined, () => undefined);
}, { timeoutMs: 120_000 });

test('a click on hot() in the flame graph opens hot.py at `def hot():`', async (t) => {
  const api = await pyprof();
  if (!api.flamePanelOpen()) await vscode.commands.executeCommand('pyprof.showFlameGraph');
  await waitFor(() => api.flamePanelLoaded(), 'the flame graph to render', 60_000);
  // Only the panel is open, so the jump has to open hot.py itself.
  for (const e of vscode.window.visibleTextEditors) {
    await vscode.window.showTextDocument(e.document, e.viewColumn);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  }
  await waitFor(() => !vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === hotPy()), 'hot.py to close');
  const tip = await clickFlameFrame('hot');
  if (!tip) t.skip('no driver to click the flame graph');
  t.log(`clicked: ${tip!.join(' / ')}`);
  const defHot = lineOf('def hot():');
  const editor = await waitFor(
    () => vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === hotPy()),
    'the click to open hot.py',
    15_000,
  );
  await waitFor(() => editor.selection.active.line + 1 === defHot, `the cursor on line ${defHot}`, 5_000).catch(() => {
    throw new Error(`hot.py opened at line ${editor.selection.active.line + 1}, expected ${defHot}`);
  });
  if (!api.flamePanelOpen()) throw new Error('the flame panel closed when the source opened');
  await sleep(500);
  await screenshot('inhost-flame-click-opened-source');
});

test('hot lines follow edits: two lines inserted above move them down by two', async () => {
  const api = await pyprof();
  const editor = await openHot();
  const before = hottest(await assertHotLines('before the edit')).line;
  const ok = await editor.edit((e) => e.insert(new vscode.Position(0, 0), '# one\n# two\n'));
  if (!ok) throw new Error('the edit was not applied');
  try {
    await waitFor(() => api.decorationsFor(hotPy()).some((d) => d.line === before + 2) && !api.decorationsFor(hotPy()).some((d) => d.line === 1), `the hot line to move from ${before} to ${before + 2}`);
  } finally {
    await editor.edit((e) => e.delete(new vscode.Range(0, 0, 2, 0)));
    await editor.document.save();
  }
  await waitFor(() => api.decorationsFor(hotPy()).some((d) => d.line === before), `the hot line back on ${before}`);
});

test('Attach to Process by PID, then Stop: the profile loads and the program keeps running', async (t) => {
  const api = await pyprof();
  const python = process.env.PYPROF_E2E_PYTHON;
  if (!python) throw new Error('PYPROF_E2E_PYTHON is not set by the driver');
  const target = spawn(python, [hotPy(), '120'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    target.stdout!.on('data', (d) => (out += d));
    await waitFor(() => out.includes('READY'), 'the target to print READY', 20_000);
    const errorBefore = api.lastError;
    const attached = vscode.commands.executeCommand('pyprof.attach', target.pid);
    await waitFor(() => api.isRecording(), 'the recording to start', 20_000);
    await sleep(3000);
    await vscode.commands.executeCommand('pyprof.stop');
    await attached;
    if (api.lastError !== errorBefore) throw new Error(`attach reported: ${api.lastError}`);
    const label = api.profileLabel() ?? '';
    if (!label.includes(`process ${target.pid}`)) throw new Error(`profile label ${label}`);
    const samples = api.currentProfile()!.samples.reduce((n, s) => n + s.weight, 0);
    if (!(samples > 0)) throw new Error('the attached profile has no samples');
    t.log(`${samples} samples from pid ${target.pid}`);
    await openHot();
    await assertHotLines('attached');
    if (target.exitCode !== null || target.signalCode !== null) throw new Error(`the target ended after Stop (${target.exitCode ?? target.signalCode})`);
  } finally {
    target.kill('SIGKILL');
  }
}, { timeoutMs: 90_000 });

test('Open Profile maps a profile recorded in a container (/app/hot.py) onto the workspace', async () => {
  const api = await pyprof();
  const saved = path.join(ws(), 'profiles', 'hot-in-container.speedscope.json');
  await vscode.commands.executeCommand('pyprof.clearProfile');
  await waitFor(() => api.currentProfile() === undefined, 'the previous profile to clear');
  await vscode.commands.executeCommand('pyprof.openProfile', saved);
  if (api.profileLabel() !== 'hot-in-container.speedscope.json') throw new Error(`label ${api.profileLabel()}; lastError ${api.lastError}`);
  await openHot();
  await assertHotLines('saved profile');
  await assertLenses('saved profile');
  await screenshot('inhost-saved-profile');
});

test('Hide Hot Lines removes decorations and lenses, Show brings them back, Clear Profile removes them', async () => {
  const api = await pyprof();
  await openHot();
  await assertHotLines('loaded');
  await vscode.commands.executeCommand('pyprof.hideHotLines');
  await waitFor(() => api.decorationsFor(hotPy()).length === 0, 'decorations to disappear when hidden');
  await waitFor(async () => (await api.lensesFor(hotPy())).length === 0, 'lenses to disappear when hidden');
  await vscode.commands.executeCommand('pyprof.showHotLines');
  await assertHotLines('shown again');
  await assertLenses('shown again');
  await vscode.commands.executeCommand('pyprof.clearProfile');
  await waitFor(() => api.currentProfile() === undefined && api.decorationsFor(hotPy()).length === 0, 'the profile and its decorations to clear');
  await waitFor(async () => (await api.lensesFor(hotPy())).length === 0, 'lenses to clear with the profile');
});
