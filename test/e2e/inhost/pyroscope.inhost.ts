// "pyprof: Open from Pyroscope…" in a real VS Code: the agent (`pyprof record --pyroscope`) sends
// hot.py's profiles, run from a copy in another directory (as in a container: /srv/app/hot.py),
// to the strict stand-in server (test/pyroscopeServer.ts, in this extension host's process); the
// command fetches them back through the querier API and the workspace's hot.py gets its hot lines,
// matched by path mapping. Then Compare with… works on it like on any profile.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { PyprofApi } from '../../../src/ui/api';
import { StrictPyroscopeServer } from '../../pyroscopeServer';
import { screenshot, test, waitFor } from './framework';

const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

async function pyprof(): Promise<{ api: PyprofApi; cli: string }> {
  const ext = vscode.extensions.getExtension<PyprofApi>('pyprof.pyprof');
  if (!ext) throw new Error('pyprof.pyprof is not loaded in this extension host');
  return { api: await ext.activate(), cli: path.join(ext.extensionPath, 'dist', 'cli.js') };
}

function runAgent(cli: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [cli, 'record', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

test('Open from Pyroscope: the server\'s merged profile shows as hot lines on the workspace file', async (t) => {
  const python = process.env.PYPROF_E2E_PYTHON;
  if (!python) t.skip('PYPROF_E2E_PYTHON not set');
  const { api, cli } = await pyprof();
  const server = new StrictPyroscopeServer();
  await server.start();
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-container-'));
  try {
    const remote = path.join(elsewhere, 'srv', 'app');
    fs.mkdirSync(remote, { recursive: true });
    fs.copyFileSync(path.join(ws(), 'hot.py'), path.join(remote, 'hot.py'));
    const r = await runAgent(cli, ['--pyroscope', server.url, '--app', 'e2e-hot', '--tag', 'env=test', '--upload-interval', '0.5', '--spool-dir', path.join(elsewhere, 'spool'), '--', python!, path.join(remote, 'hot.py'), '2']);
    if (r.code !== 0) throw new Error(`agent failed (${r.code}): ${r.stderr}`);
    if (server.profiles.length < 2) throw new Error(`server received ${server.profiles.length} profiles: ${r.stderr}`);
    t.log(`agent: ${r.stderr.trim().split('\n').pop()}`);

    // as on a real server, the path the profiles name does not exist here (else it maps to itself)
    fs.rmSync(path.join(elsewhere, 'srv'), { recursive: true, force: true });
    const errorBefore = api.lastError;
    await vscode.commands.executeCommand('pyprof.openFromPyroscope', { url: server.url, app: 'e2e-hot', tags: 'env=test', range: 'now-10m' });
    if (api.lastError !== errorBefore) throw new Error(`open from Pyroscope failed: ${api.lastError}`);
    if (server.violations.length) throw new Error(`the server refused requests: ${server.violations.join('; ')}`);
    const profile = await waitFor(() => api.currentProfile(), 'the fetched profile to load');
    if (profile.meta.source !== 'pyroscope') throw new Error(`loaded profile's source is ${profile.meta.source}`);
    const hotPy = path.join(ws(), 'hot.py');
    const doc = await vscode.workspace.openTextDocument(hotPy);
    await vscode.window.showTextDocument(doc, { preview: false });
    const decos = await waitFor(() => (api.decorationsFor(hotPy).length > 0 ? api.decorationsFor(hotPy) : undefined), 'hot lines on the workspace hot.py (mapped from /tmp/…/srv/app/hot.py)');
    const hotLine = fs.readFileSync(hotPy, 'utf8').split('\n').findIndex((l) => l.includes('HOT_LINE')) + 1;
    const loopLine = hotLine - 1;
    const top = decos.reduce((a, b) => (b.heat > a.heat ? b : a));
    if (![hotLine, loopLine].includes(top.line)) throw new Error(`hottest line ${top.line}, expected ${loopLine} or ${hotLine}: ${decos.map((d) => `${d.line}:${d.heat}`).join(' ')}`);
    t.log(`hot lines from Pyroscope: ${decos.map((d) => `${d.line}: ${d.text}`).join(' | ')}`);
    await screenshot('inhost-pyroscope-hotlines');
    // it joined the history like a recording, so Compare with… can pick it later
    if (!api.historyEntries().some((e) => e.label.startsWith('Pyroscope: e2e-hot{env=test}'))) throw new Error('the fetched profile is not in the history');
  } finally {
    await server.stop();
    fs.rmSync(elsewhere, { recursive: true, force: true });
  }
});
