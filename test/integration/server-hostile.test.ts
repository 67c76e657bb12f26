// The language server under hostile input (issue 21, point 11): the real `node dist/server.js
// --stdio` process gets broken JSON-RPC frames, wrong-typed and out-of-range params for every
// request it serves, oversized documents, and a profile full of hostile strings (script tags,
// U+2028, Markdown link syntax, 1 MB names). It must answer each with a result or an error, never
// exit, and its hovers must not let a name break out of its code span. Seeded: the same garbage
// every run (PYPROF_FUZZ_SEED overrides).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { createProtocolConnection } from 'vscode-languageserver-protocol/node';
import { exportProfile } from '../../src/profile/formats/index';
import { ProfileBuilder } from '../../src/profile/model';
import { killQuietly, repoRoot, tmpDir } from '../helpers';
import { seeded as prng } from '../seeded';

const SERVER = path.join(repoRoot, 'dist', 'server.js');
const SEED = Number(process.env.PYPROF_FUZZ_SEED ?? 20211221);

const HOSTILE_NAME = '</script><script>alert(1)</script>`\n\n[click](command:workbench.action.terminal.new)\u2028<img src=x onerror=alert(1)>';

function hostileProfile(file: string): Buffer {
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples' });
  const t = b.internThread(1, '<b>thread</b>\u2029');
  const main = b.internFrame('main', file, 1);
  const evil = b.internFrame(HOSTILE_NAME, file, 3);
  const huge = b.internFrame('h'.repeat(1024 * 1024), file, 6);
  const weird = b.internFrame('w', '/tmp/]](javascript:alert(1))\n.py', 1);
  const root = b.internNode(-1, main, 2);
  b.addSample(t, b.internNode(b.internNode(root, evil, 4), huge, 7), 50);
  b.addSample(t, b.internNode(root, weird, 1), 10);
  b.addSample(t, root, 40);
  return exportProfile(b.finish(), 'speedscope');
}

/** Random values of every JSON type, nested, for params that should have been objects of a shape. */
function garbage(rnd: () => number, depth = 0): unknown {
  const k = Math.floor(rnd() * (depth > 3 ? 7 : 9));
  switch (k) {
    case 0: return null;
    case 1: return rnd() < 0.5;
    case 2: return [-1, 0, 1e308, -1e308, 2 ** 53 + 1, 0.5, 2 ** 31][Math.floor(rnd() * 7)];
    case 3: return ['', '../../../../etc/passwd', 'file:///etc/shadow', HOSTILE_NAME, 'x'.repeat(100_000), '\ud800'][Math.floor(rnd() * 6)];
    case 4: return 'line';
    case 5: return -7;
    case 6: return {};
    case 7: return Array.from({ length: Math.floor(rnd() * 4) }, () => garbage(rnd, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (const key of ['textDocument', 'position', 'range', 'uri', 'line', 'character', 'path', 'profile', 'label', 'command', 'arguments', 'contentChanges', 'text', 'version', 'start', 'end', '__proto__', 'constructor']) {
        if (rnd() < 0.35) o[key] = garbage(rnd, depth + 1);
      }
      return o;
    }
  }
}

test('the language server survives broken frames, wrong-typed requests and hostile profiles', { timeout: 180_000 }, async () => {
  assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run \`npm run build\``);
  const dir = tmpDir();
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  const conn = createProtocolConnection(child.stdout!, child.stdin!);
  conn.onError(() => undefined);
  conn.listen();
  const alive = async (what: string) => {
    assert.equal(exited, undefined, `server ${exited} after ${what}; stderr: ${stderr.slice(-2000)}`);
    const st = await conn.sendRequest('pyprof/status');
    assert.ok(st && typeof st === 'object', `status after ${what}`);
  };
  try {
    const py = path.join(dir, 'app.py');
    fs.writeFileSync(py, ['def main():', '    evil()', '', 'def evil():', '    huge()', '', 'def huge():', '    pass', ''].join('\n'));
    const rootUri = pathToFileURL(dir).toString();
    await conn.sendRequest('initialize', { processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: 'ws' }], capabilities: { textDocument: { hover: { contentFormat: ['markdown'] } } }, initializationOptions: { minPercent: 'lots', pathMappings: 'nope', metric: '<script>' } });
    await conn.sendNotification('initialized', {});
    await alive('hostile initializationOptions');

    // 1. broken JSON-RPC frames written straight to its stdin, each followed by a valid request
    const raw = (s: string | Buffer) => new Promise<void>((r) => child.stdin!.write(s, () => r()));
    const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    for (const bad of [
      frame('{not json'), frame('[]'), frame('null'), frame('{"jsonrpc":"2.0","id":{"a":1},"method":"pyprof/status"}'),
      frame('{"jsonrpc":"2.0","id":1e999,"method":"textDocument/hover","params":null}'), frame('{"jsonrpc":"2.0","method":42}'),
      frame(JSON.stringify({ jsonrpc: '2.0', id: 'x', method: 'textDocument/hover', params: { textDocument: { uri: 'file:///x' }, position: { line: -1, character: 1e20 } } })),
      frame(JSON.stringify({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri: 42, text: null } } })),
    ]) {
      await raw(bad);
      await alive(`frame ${JSON.stringify(bad.slice(0, 80))}`);
    }

    // 2. every method it serves, with seeded garbage params
    const rnd = prng(SEED);
    const methods = ['textDocument/hover', 'textDocument/codeLens', 'textDocument/inlayHint', 'workspace/executeCommand', 'pyprof/loadProfile', 'pyprof/setOptions', 'pyprof/clearProfile'];
    const notifications = ['textDocument/didOpen', 'textDocument/didChange', 'textDocument/didClose', 'workspace/didChangeConfiguration'];
    let answered = 0;
    let errors = 0;
    for (let i = 0; i < 300; i++) {
      const params = garbage(rnd);
      if (i % 3 === 2) {
        await conn.sendNotification(notifications[i % notifications.length], params);
        continue;
      }
      try {
        await conn.sendRequest(methods[i % methods.length], params);
        answered++;
      } catch {
        errors++;
      }
      if (i % 25 === 0) await alive(`garbage request ${i}`);
    }
    await alive('300 garbage messages');
    console.log(`# lsp fuzz (seed ${SEED}): ${answered} requests answered, ${errors} answered with an error, 100 garbage notifications`);

    // 3. options must still be sane after all that
    const st = (await conn.sendRequest('pyprof/status')) as { options: { minPercent: unknown; metric: unknown; pathMappings: unknown } };
    assert.equal(typeof st.options.minPercent, 'number');
    assert.ok(st.options.metric === 'time' || st.options.metric === 'memory');
    assert.ok(Array.isArray(st.options.pathMappings));

    // 4. an oversized document and a hostile profile: hovers keep names inside their code span
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: 'file:///big.py', languageId: 'python', version: 1, text: 'x = 1\n'.repeat(2_000_000) } });
    await alive('a 12 MB document');
    const profileFile = path.join(dir, 'hostile.speedscope.json');
    fs.writeFileSync(profileFile, hostileProfile(py));
    const loaded = (await conn.sendRequest('pyprof/loadProfile', { path: profileFile })) as { functions: number };
    assert.ok(loaded.functions >= 3);
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: pathToFileURL(py).toString(), languageId: 'python', version: 1, text: fs.readFileSync(py, 'utf8') } });
    for (const line of [0, 1, 3, 4, 6]) {
      const h = (await conn.sendRequest('textDocument/hover', { textDocument: { uri: pathToFileURL(py).toString() }, position: { line, character: 4 } })) as { contents: { value: string } } | null;
      if (!h) continue;
      const md = h.contents.value;
      assert.ok(md.length < 20_000, `hover of ${md.length} characters: names are cut`);
      const outsideCode = md.replace(/`[^`\n]*`/g, '');
      // a link is `[text](target)` with an unescaped `]`
      assert.ok(!/(?<!\\)\]\(command:/.test(outsideCode), `a name became a command link: ${md.slice(0, 400)}`);
      assert.ok(!/(?<!\\)\]\(javascript:/.test(outsideCode), `a file name became a javascript: link: ${md.slice(0, 400)}`);
      assert.ok(!/<(script|img)\b/i.test(outsideCode), `HTML outside a code span: ${md.slice(0, 400)}`);
      assert.ok(!/[\u2028\u2029]/.test(md), 'line separators are flattened');
      for (const span of md.match(/`[^`]*`/g) ?? []) assert.ok(!span.includes('\n'), `a code span broken by a newline: ${span.slice(0, 100)}`);
    }
    await alive('hostile hovers');
    const lenses = (await conn.sendRequest('textDocument/codeLens', { textDocument: { uri: pathToFileURL(py).toString() } })) as unknown[];
    assert.ok(Array.isArray(lenses));
    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
  } finally {
    conn.dispose();
    killQuietly(child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
