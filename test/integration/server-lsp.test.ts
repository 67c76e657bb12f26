// The language server as an editor meets it: `node dist/server.js --stdio` as a real child process,
// spoken to over LSP (vscode-languageserver-protocol, the same library editors' clients use).
// Loads a speedscope profile written by our exporter, opens the Python file it profiled, asks for
// lenses / hovers / inlay hints / diagnostics, edits the document, and clears the profile.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { createProtocolConnection, ProtocolConnection } from 'vscode-languageserver-protocol/node';
import { exportProfile } from '../../src/profile/formats/index';
import type { Profile } from '../../src/profile/model';
import { killQuietly, repoRoot, tmpDir } from '../helpers';
import { APP_SOURCE, appProfile } from '../unit/server-scenario';

const SERVER = path.join(repoRoot, 'dist', 'server.js');

interface CodeLensLike {
  range: { start: { line: number } };
  command?: { title: string; command: string; arguments?: unknown[] };
}
interface HoverLike {
  contents: { kind: string; value: string };
}
interface InlayLike {
  position: { line: number; character: number };
  label: string;
}
interface DiagnosticsParams {
  uri: string;
  diagnostics: Array<{ range: { start: { line: number } }; message: string; severity: number }>;
}

/** A minimal LSP client around one server process, recording what the server pushes. */
class Client {
  readonly notifications: Array<{ method: string; params: any }> = [];
  readonly serverRequests: Array<{ method: string; params: any }> = [];
  private waiters: Array<() => void> = [];
  private stderr = '';

  private constructor(readonly child: ChildProcess, readonly conn: ProtocolConnection) {}

  static async start(root: string, extraArgs: string[] = [], initializationOptions?: object): Promise<Client> {
    assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run \`npm run build\``);
    const child = spawn(process.execPath, [SERVER, '--stdio', ...extraArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createProtocolConnection(child.stdout!, child.stdin!);
    const c = new Client(child, conn);
    child.stderr!.on('data', (d) => (c.stderr += d));
    for (const method of ['pyprof/profileChanged', 'textDocument/publishDiagnostics', 'window/logMessage', 'window/showMessage']) {
      conn.onNotification(method, (params: any) => {
        c.notifications.push({ method, params });
        c.wake();
      });
    }
    for (const m of ['workspace/codeLens/refresh', 'workspace/inlayHint/refresh', 'window/showDocument']) {
      conn.onRequest(m, (params: any) => {
        c.serverRequests.push({ method: m, params });
        c.wake();
        return m === 'window/showDocument' ? { success: true } : null;
      });
    }
    conn.listen();
    const rootUri = pathToFileURL(root).toString();
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'ws' }],
      capabilities: {
        workspace: { codeLens: { refreshSupport: true }, inlayHint: { refreshSupport: true } },
        window: { showDocument: { support: true } },
        textDocument: { hover: { contentFormat: ['markdown'] } },
      },
      initializationOptions,
    });
    await conn.sendNotification('initialized', {});
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `pred` holds for something the server pushed (no timing assertion: the test runner's timeout applies). */
  async until<T>(pred: () => T | undefined): Promise<T> {
    for (;;) {
      const v = pred();
      if (v !== undefined) return v;
      if (this.child.exitCode !== null) throw new Error(`server exited (${this.child.exitCode}): ${this.stderr}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  request<R>(method: string, params?: unknown): Promise<R> {
    return this.conn.sendRequest(method, params) as Promise<R>;
  }

  notify(method: string, params: unknown): Promise<void> {
    return this.conn.sendNotification(method, params);
  }

  open(file: string, text: string, version = 1): Promise<void> {
    return this.notify('textDocument/didOpen', { textDocument: { uri: uri(file), languageId: 'python', version, text } });
  }

  async lenses(file: string): Promise<Array<[number, string]>> {
    const ls = await this.request<CodeLensLike[]>('textDocument/codeLens', { textDocument: { uri: uri(file) } });
    return ls.map((l) => [l.range.start.line, l.command!.title]);
  }

  async hover(file: string, line: number): Promise<string | undefined> {
    const h = await this.request<HoverLike | null>('textDocument/hover', { textDocument: { uri: uri(file) }, position: { line, character: 4 } });
    return h?.contents.value;
  }

  async inlays(file: string, lines: number): Promise<Array<[number, number, string]>> {
    const hs = await this.request<InlayLike[]>('textDocument/inlayHint', {
      textDocument: { uri: uri(file) },
      range: { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } },
    });
    return hs.map((h) => [h.position.line, h.position.character, h.label]);
  }

  async stop(): Promise<void> {
    try {
      await this.request('shutdown');
      await this.notify('exit', undefined);
      if (this.child.exitCode === null) await new Promise((r) => this.child.once('exit', r));
    } finally {
      this.conn.dispose();
      killQuietly(this.child);
    }
  }
}

function uri(file: string): string {
  return pathToFileURL(file).toString();
}

function writeProfile(dir: string, profile: Profile, name = 'run.speedscope.json'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, exportProfile(profile, 'speedscope'));
  return file;
}

// No lens for the module (`<module>`, line 1): it would sit over the docstring saying "100% total".
const TITLES = {
  helper: 'pyprof: 90.0% total · 90.0% self · 90 samples · called from 2 places',
  run: 'pyprof: 70.0% total · 0% self · 70 samples · called from 1 place',
  decorated: 'pyprof: 70.0% total · 0% self · 70 samples · called from 1 place',
  main: 'pyprof: 100% total · 10.0% self · 100 samples · called from 1 place',
};

test('lenses, hovers and inlay hints from a loaded profile; they follow edits; clear removes them', async () => {
  const dir = tmpDir('pyprof-lsp-');
  const app = path.join(dir, 'app.py');
  fs.writeFileSync(app, APP_SOURCE);
  const profileFile = writeProfile(dir, appProfile(app));
  const c = await Client.start(dir);
  try {
    const loaded = await c.request<any>('pyprof/loadProfile', { path: profileFile });
    assert.equal(loaded.label, 'run.speedscope.json');
    assert.equal(loaded.total, 100);
    assert.equal(loaded.functions, 5);
    assert.deepEqual([loaded.files, loaded.mappedFiles, loaded.unmapped], [1, 1, []]);
    await c.until(() => c.notifications.find((n) => n.method === 'pyprof/profileChanged'));
    assert.ok(c.serverRequests.some((r) => r.method === 'workspace/codeLens/refresh'), 'the client is told to re-query lenses');

    await c.open(app, APP_SOURCE);
    assert.deepEqual(await c.lenses(app), [
      [2, TITLES.helper],
      [8, TITLES.run],
      [11, TITLES.decorated], // the decorator line: co_firstlineno of a decorated function
      [15, TITLES.main],
    ]);

    const hot = await c.hover(app, 5);
    assert.ok(hot, 'hover on the hottest line');
    assert.match(hot, /\*\*pyprof\*\* · line 6 in `helper`/);
    assert.match(hot, /80\.0% self · 80\.0% total · 80 samples/);
    assert.match(hot, /\*\*`helper` is called from\*\*\n\n- 70\.0% · 70 samples — `Worker\.run` — \[app\.py:10\]\(file:\/\/.*app\.py#L10\)\n- 20\.0% · 20 samples — `main` — \[app\.py:19\]/);
    const site = await c.hover(app, 17);
    assert.match(site!, /\*\*Calls from this line\*\*\n\n- 70\.0% · 70 samples — `decorated`/);
    const def = await c.hover(app, 2);
    assert.match(def!, /^\*\*pyprof\*\* · `helper`\n\n90\.0% total · 90\.0% self/);
    assert.equal(await c.hover(app, 3), undefined, 'a line without samples has no hover');

    const lines = APP_SOURCE.split('\n');
    const end = (l: number) => lines[l].length;
    assert.deepEqual(await c.inlays(app, lines.length), [
      [4, end(4), '10.0% self'],
      [5, end(5), '80.0% self'],
      [9, end(9), '70.0% total'],
      [13, end(13), '70.0% total'],
      [16, end(16), '10.0% self'],
      [17, end(17), '70.0% total'],
      [18, end(18), '20.0% total'],
      [20, end(20), '100% total'],
    ]);

    // Insert three lines at the top: every lens, hover and hint moves down with its code.
    await c.notify('textDocument/didChange', {
      textDocument: { uri: uri(app), version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'import os\nimport re\nimport sys\n' }],
    });
    assert.deepEqual(
      (await c.lenses(app)).map(([l]) => l),
      [5, 11, 14, 18],
    );
    assert.match((await c.hover(app, 8))!, /line 9 \(line 6 when profiled\) in `helper`/);
    assert.deepEqual((await c.inlays(app, lines.length + 3)).find(([, , label]) => label === '80.0% self'), [8, end(5), '80.0% self']);

    // Rename helper in the editor: its lens and its lines go; the others stay.
    await c.notify('textDocument/didChange', {
      textDocument: { uri: uri(app), version: 3 },
      contentChanges: [{ range: { start: { line: 5, character: 4 }, end: { line: 5, character: 10 } }, text: 'squares' }],
    });
    const afterRename = await c.lenses(app);
    assert.deepEqual(afterRename.map(([, t]) => t), [TITLES.run, TITLES.decorated, TITLES.main]);
    assert.equal(await c.hover(app, 8), undefined);

    // The lens command asks the client to show the function's hottest line.
    const ls = await c.request<CodeLensLike[]>('textDocument/codeLens', { textDocument: { uri: uri(app) } });
    const runLens = ls.find((l) => l.command?.title === TITLES.run)!;
    assert.equal(runLens.command!.command, 'pyprof-lsp.revealLine');
    await c.request('workspace/executeCommand', { command: runLens.command!.command, arguments: runLens.command!.arguments });
    const shown = await c.until(() => c.serverRequests.find((r) => r.method === 'window/showDocument'));
    assert.equal(shown.params.uri, uri(app));
    assert.equal(shown.params.selection.start.line, 12, "Worker.run's hottest line (10), moved by 3");

    await c.request('pyprof/clearProfile');
    assert.deepEqual(await c.lenses(app), []);
    assert.equal(await c.hover(app, 12), undefined);
    assert.deepEqual(c.notifications.filter((n) => n.method === 'pyprof/profileChanged').map((n) => n.params.profile === null), [false, true]);
  } finally {
    await c.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('standalone start with --profile; container paths by workspace suffix and by pathMappings; diagnostics', async () => {
  const dir = tmpDir('pyprof-lsp-');
  for (const sub of ['a', 'b']) {
    fs.mkdirSync(path.join(dir, sub));
    fs.writeFileSync(path.join(dir, sub, 'app.py'), APP_SOURCE);
  }
  // Recorded in a container as /opt/svc/app.py: no such local file.
  const profileFile = writeProfile(dir, appProfile('/opt/svc/app.py'));
  const a = path.join(dir, 'a', 'app.py');
  const b = path.join(dir, 'b', 'app.py');
  // Relative, as in an editor config: not in the server's cwd (the repo), so taken from the workspace root.
  const c = await Client.start(dir, ['--profile', path.basename(profileFile)]);
  try {
    const changed = await c.until(() => c.notifications.find((n) => n.method === 'pyprof/profileChanged'));
    assert.equal(changed.params.profile.mappedFiles, 1, 'found in the workspace by its trailing path segments');
    await c.open(a, APP_SOURCE);
    await c.open(b, APP_SOURCE);
    // Two equally good suffix matches: the stable choice is a/app.py (same length, alphabetical).
    assert.equal((await c.lenses(a)).length, 4);
    assert.deepEqual(await c.lenses(b), []);

    const opts = await c.request<any>('pyprof/setOptions', { pathMappings: [{ from: '/opt/svc', to: path.join(dir, 'b') }], diagnostics: true });
    assert.equal(opts.diagnostics, true);
    assert.deepEqual(await c.lenses(a), []);
    assert.deepEqual((await c.lenses(b)).map(([l]) => l), [2, 8, 11, 15]);

    const diags = await c.until(() =>
      c.notifications.find((n) => n.method === 'textDocument/publishDiagnostics' && n.params.uri === uri(b) && n.params.diagnostics.length > 0),
    );
    const p = diags.params as DiagnosticsParams;
    assert.deepEqual(
      p.diagnostics.map((d) => [d.range.start.line, d.severity, d.message]),
      [
        [4, 3, 'pyprof: hot line — 10.0% self · 10.0% total · 10 samples'],
        [5, 3, 'pyprof: hot line — 80.0% self · 80.0% total · 80 samples'],
        [16, 3, 'pyprof: hot line — 10.0% self · 10.0% total · 10 samples'],
      ],
    );

    await c.request('pyprof/setOptions', { lenses: false, inlayHints: false });
    assert.deepEqual(await c.lenses(b), []);
    assert.deepEqual(await c.inlays(b, 30), []);
    assert.ok(await c.hover(b, 5), 'hovers stay on');
  } finally {
    await c.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('load errors name the file and the problem; the previous profile stays', async () => {
  const dir = tmpDir('pyprof-lsp-');
  const app = path.join(dir, 'app.py');
  fs.writeFileSync(app, APP_SOURCE);
  const good = writeProfile(dir, appProfile(app));
  const bad = path.join(dir, 'notes.txt');
  fs.writeFileSync(bad, 'not a profile\n');
  const c = await Client.start(dir);
  try {
    await c.request('pyprof/loadProfile', { path: good });
    await assert.rejects(c.request('pyprof/loadProfile', { path: path.join(dir, 'missing.json') }), /cannot read .*missing\.json: ENOENT/);
    await assert.rejects(c.request('pyprof/loadProfile', { path: bad }), /notes\.txt.*(unrecognised profile format|line 1: expected)/);
    await assert.rejects(c.request('pyprof/loadProfile', {}), /needs "path"/);
    await c.open(app, APP_SOURCE);
    assert.equal((await c.lenses(app)).length, 4);
    const status = await c.request<any>('pyprof/status');
    assert.equal(status.loaded.label, 'run.speedscope.json');
  } finally {
    await c.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pyprof-lsp without a transport explains itself; --help and --version exit 0', async () => {
  const { spawnSync } = await import('child_process');
  const run = (...args: string[]) => spawnSync(process.execPath, [SERVER, ...args], { encoding: 'utf8', timeout: 20000 });
  const none = run();
  assert.equal(none.status, 2);
  assert.match(none.stderr, /choose a transport \(normally --stdio\)[\s\S]*usage: pyprof-lsp --stdio \[--profile FILE\]/);
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--profile FILE/);
  assert.equal(run('--version').stdout.trim(), 'pyprof-lsp 0.1.0');
  const missing = run('--stdio', '--profile');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--profile needs a file/);
});

test('metric "memory": lenses show bytes allocated / freed per function; "time" brings the time lenses back', async () => {
  const dir = tmpDir('pyprof-lsp-');
  const app = path.join(dir, 'app.py');
  fs.writeFileSync(app, APP_SOURCE);
  const profile = appProfile(app);
  // helper:6 (the 60-sample stack via Worker.run) allocated 12.3 MB and freed 4 MB; main:17 freed 1 MB
  const MB = 1 << 20;
  const leafLine = (s: Profile['samples'][number]) => profile.nodes[s.node].line;
  const viaRun = profile.samples.find((s) => s.weight === 60)!;
  viaRun.allocBytes = 12.3 * MB;
  viaRun.freedBytes = 4 * MB;
  profile.samples.find((s) => leafLine(s) === 17)!.freedBytes = 1 * MB;
  const c = await Client.start(dir);
  try {
    await c.request('pyprof/loadProfile', { path: writeProfile(dir, profile) });
    await c.open(app, APP_SOURCE);
    assert.equal((await c.lenses(app)).length, 4, 'time lenses by default (no module lens)');
    const opts = await c.request<any>('pyprof/setOptions', { metric: 'memory' });
    assert.equal(opts.metric, 'memory');
    assert.deepEqual(await c.lenses(app), [
      [2, 'pyprof: +12.3 MB alloc · \u22124.0 MB freed'],
      [8, 'pyprof: +12.3 MB alloc · \u22124.0 MB freed'],
      [11, 'pyprof: +12.3 MB alloc · \u22124.0 MB freed'],
      [15, 'pyprof: +12.3 MB alloc · \u22125.0 MB freed'],
    ]);
    // inlay hints (other editors; VS Code draws decorations instead): a line's own bytes
    const lines = APP_SOURCE.split('\n');
    assert.deepEqual(await c.inlays(app, lines.length), [[5, lines[5].length, '+12.3 MB alloc · \u22124.0 MB freed'], [16, lines[16].length, '\u22121.0 MB freed']]);
    await c.request('pyprof/setOptions', { metric: 'bogus' });
    assert.equal((await c.request<any>('pyprof/status')).options.metric, 'memory', 'an unknown metric changes nothing');
    await c.request('pyprof/setOptions', { metric: 'time' });
    assert.equal((await c.lenses(app))[0][1], TITLES.helper);
    // a profile without memory data keeps its time lenses in the memory view
    await c.request('pyprof/setOptions', { metric: 'memory' });
    await c.request('pyprof/loadProfile', { path: writeProfile(dir, appProfile(app), 'plain.speedscope.json') });
    assert.equal((await c.lenses(app))[0][1], TITLES.helper);
  } finally {
    await c.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
