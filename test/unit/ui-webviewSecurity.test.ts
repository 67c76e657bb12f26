// Every webview page the extension generates (the flame graph with and without its RSS chart, the
// comparison flame graph, the page shown when speedscope is missing) is read back and checked: a
// strict Content-Security-Policy before anything loads, every script nonce'd with an unguessable
// nonce, no inline handlers or javascript: URLs. Our webview scripts never turn data into markup
// (profile names reach the page only as JSON, set through textContent; our media/ scripts are
// inlined into the flame page under the nonce, so the same checks cover them there), and every message
// a webview sends back is validated before the host acts on it (issue 21, point 11).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { diffFlameHtml, flameHtml, makeNonce, missingFilesHtml } from '../../src/ui/flame/flameHtml';
import { readFlamePageCode, readSpeedscopeManifest } from '../../src/ui/flame/flamePageCode';
import { parseWebviewMessage } from '../../src/ui/flame/webviewMessages';
import { repoRoot } from '../helpers';

const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';
const uri = (f: string) => `${CSP_SOURCE}/ext/media/${f}`;

function pages(nonce: string): Array<[string, string]> {
  // the flame page with the real media/ code inlined (as the panel builds it), with and without the chart
  const media = path.join(repoRoot, 'media');
  const { chartJs, ...code } = readFlamePageCode(media, readSpeedscopeManifest(media), uri('speedscope'));
  const flame = { cspSource: CSP_SOURCE, nonce, speedscopeScript: uri('speedscope/s.js'), code, colorScheme: 'DARK' as const, view: 'left-heavy' as const };
  return [
    ['flame graph', flameHtml(flame)],
    ['flame graph with RSS chart', flameHtml({ ...flame, code: { ...code, chartJs } })],
    ['comparison flame graph', diffFlameHtml({ cspSource: CSP_SOURCE, nonce, script: uri('flameDiff.js'), style: uri('flameDiff.css') })],
    ['speedscope missing', missingFilesHtml()],
  ];
}

/** The policy of a page's CSP meta tag as directive → sources. */
function policyOf(html: string): Map<string, string[]> {
  const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*>/gi)];
  assert.equal(metas.length, 1, 'exactly one CSP meta tag');
  const at = metas[0].index!;
  for (const tag of ['<script', '<link', '<style', '<img']) {
    const first = html.indexOf(tag);
    assert.ok(first < 0 || first > at, `${tag} comes after the CSP`);
  }
  const text = metas[0][1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&amp;/g, '&');
  return new Map(text.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map((d) => [d[0], d.slice(1)]));
}

for (const [name, html] of pages(makeNonce())) {
  test(`webview CSP: ${name}`, () => {
    const nonce = /'nonce-([A-Za-z0-9]+)'/.exec(html)?.[1];
    const policy = policyOf(html);
    assert.deepEqual(policy.get('default-src'), ["'none'"]);
    const scriptSrc = policy.get('script-src') ?? [];
    for (const s of scriptSrc) {
      assert.ok(!["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", '*', 'data:', 'blob:', 'http:', 'https:'].includes(s), `script-src allows ${s}`);
    }
    for (const [directive, sources] of policy) {
      for (const s of sources) assert.ok(s === CSP_SOURCE || s.startsWith("'") || s === 'data:', `${directive} allows ${s}: only the extension's own files`);
    }
    const scripts = [...html.matchAll(/<script\b([^>]*)>/gi)].map((m) => m[1]);
    if (scripts.length) {
      assert.ok(nonce && nonce.length >= 32, 'scripts need a nonce of ≥ 32 characters');
      for (const attrs of scripts) assert.match(attrs, new RegExp(`\\bnonce="${nonce}"`), `a script without the nonce: <script${attrs}>`);
    } else {
      assert.equal(policy.get('script-src'), undefined, 'a page without scripts allows none');
    }
    for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) {
      assert.ok(!/\son[a-z]+\s*=/i.test(tag), `inline event handler in ${tag}`);
      assert.ok(!/javascript:/i.test(tag), `javascript: URL in ${tag}`);
      assert.ok(!/^<(iframe|object|embed|base|form)\b/i.test(tag), `${tag} has no place in our pages`);
    }
  });
}

test('nonces come from a CSPRNG: distinct, 32 alphanumerics, every character used', () => {
  const seen = new Set<string>();
  const chars = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const n = makeNonce();
    assert.match(n, /^[A-Za-z0-9]{32}$/);
    seen.add(n);
    for (const c of n) chars.add(c);
  }
  assert.equal(seen.size, 2000);
  assert.equal(chars.size, 62);
  const a = pages(makeNonce())[0][1];
  const b = pages(makeNonce())[0][1];
  assert.notEqual(/'nonce-(\w+)'/.exec(a)![1], /'nonce-(\w+)'/.exec(b)![1], 'a fresh nonce per render');
});

test('our webview scripts never turn data into markup or code', () => {
  const media = path.join(repoRoot, 'media');
  const scripts = fs.readdirSync(media).filter((f) => f.endsWith('.js'));
  assert.ok(scripts.length >= 3, `media scripts: ${scripts.join(', ')}`);
  for (const f of scripts) {
    const src = fs.readFileSync(path.join(media, f), 'utf8');
    for (const sink of [/\.innerHTML\b/, /\.outerHTML\b/, /insertAdjacentHTML/, /document\.write/, /\beval\s*\(/, /new\s+Function\s*\(/, /setTimeout\s*\(\s*['"`]/, /\.src\s*=\s*[^;]*\bmsg\b/]) {
      assert.ok(!sink.test(src), `media/${f} uses ${sink}`);
    }
  }
});

test('messages from a webview are validated: wrong types, oversized fields, unknown files and types are dropped', () => {
  const files = new Set(['/app/main.py']);
  const known = (f: string) => files.has(f);
  const all = ['ready', 'loaded', 'open', 'error', 'rendered'] as const;
  const parse = (m: unknown) => parseWebviewMessage(m, all, known);
  assert.deepEqual(parse({ type: 'open', file: '/app/main.py', line: 12, toSide: true, name: 'x' }), { type: 'open', file: '/app/main.py', line: 12, toSide: true });
  assert.deepEqual(parse({ type: 'open', file: '/app/main.py', line: -5, toSide: 'yes' }), { type: 'open', file: '/app/main.py', line: 0, toSide: false });
  assert.deepEqual(parse({ type: 'open', file: '/app/main.py', line: 1e300 }), { type: 'open', file: '/app/main.py', line: 0, toSide: false });
  for (const hostile of [
    null, undefined, 42, 'open', [], [{ type: 'open' }], {}, { type: 7 }, { type: 'execute', command: 'rm -rf /' }, { type: '__proto__' }, { type: 'constructor' },
    { type: 'open', file: '/etc/shadow', line: 1 }, { type: 'open', file: 42, line: 1 }, { type: 'open', file: '/app/main.py\0x', line: 1 },
    { type: 'open', file: 'x'.repeat(10 * 1024 * 1024), line: 1 }, { type: 'open', file: ['/app/main.py'], line: 1 }, { type: 'loaded', ms: 'soon' }, { type: 'loaded', ms: NaN },
    { type: 'rendered', boxes: 'many' }, { type: 'rendered', boxes: [{ name: 1 }] }, { type: 'rendered', boxes: new Array(100_001).fill({ name: 'a', status: 's', color: 'c', width: 1 }) },
  ]) {
    assert.equal(parse(hostile), undefined, `accepted ${JSON.stringify(hostile)?.slice(0, 80)}`);
  }
  const err = parse({ type: 'error', message: 'x'.repeat(10 * 1024 * 1024) });
  assert.ok(err && err.type === 'error' && err.message.length <= 2000, 'a huge error text is cut');
  assert.deepEqual(parse({ type: 'error', message: { toString: 1 } }), { type: 'error', message: '(a malformed error report)' });
  assert.equal(parseWebviewMessage({ type: 'rendered', boxes: [] }, ['ready', 'open'], known), undefined, 'a panel accepts only its own message types');
  const proto = JSON.parse('{"type":"ready","__proto__":{"polluted":true}}');
  assert.deepEqual(parse(proto), { type: 'ready' });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
