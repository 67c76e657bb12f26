// The Pyroscope agent's outbox, retry loop, names and time ranges, without a network: real files
// in a temporary spool directory, a send function that fails on command.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Outbox } from '../../src/pyroscope/spool';
import { Uploader } from '../../src/pyroscope/uploader';
import { ingestUrl, parseTag, seriesName, WindowProfile } from '../../src/pyroscope/ingest';
import { parseTimeRange } from '../../src/pyroscope/timeRange';
import { resolveAuth } from '../../src/pyroscope/auth';
import { encodeSelectMergeProfile, labelSelector } from '../../src/pyroscope/query';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-outbox-'));
}

function profile(i: number, bytes = 100): WindowProfile {
  return { name: 'app{}', fromMs: 1_700_000_000_000 + i * 1000, untilMs: 1_700_000_001_000 + i * 1000, sampleRate: 100, body: Buffer.alloc(bytes, i), id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` };
}

test('outbox: a window keeps its ID through the spool; a file spooled without one gets the same derived ID on every read', () => {
  const dir = tmp();
  const o = new Outbox({ memoryItems: 1, spoolDir: dir, spoolMaxBytes: 1 << 20 });
  o.push(profile(1));
  o.push(profile(2)); // 1 spilled to disk
  assert.equal(fs.readdirSync(dir).length, 1);
  const first = o.peek()!;
  assert.equal(first.id, profile(1).id, 'read back from the spool with its ID');
  assert.equal(o.peek()!.id, first.id, 'the same ID on the next attempt');
  // an older spool file: its header has no id
  const file = path.join(dir, fs.readdirSync(dir)[0]);
  const data = fs.readFileSync(file);
  const nl = data.indexOf(0x0a);
  const header = JSON.parse(data.subarray(0, nl).toString('utf8'));
  delete header.id;
  fs.writeFileSync(file, Buffer.concat([Buffer.from(JSON.stringify(header) + '\n'), data.subarray(nl + 1)]));
  const again = new Outbox({ memoryItems: 1, spoolDir: dir, spoolMaxBytes: 1 << 20 });
  const a = again.peek()!.id;
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(new Outbox({ memoryItems: 1, spoolDir: dir, spoolMaxBytes: 1 << 20 }).peek()!.id, a, 'stable across runs');
  fs.rmSync(dir, { recursive: true });
});

test('outbox: memory first, older profiles spilled to the spool in order, oldest dropped past the cap and counted', () => {
  const dir = tmp();
  const drops: number[] = [];
  const o = new Outbox({ memoryItems: 2, spoolDir: dir, spoolMaxBytes: 3 * 200, onDrop: (_r, p) => drops.push(p.fromMs) });
  for (let i = 0; i < 8; i++) o.push(profile(i));
  // 2 in memory, spool holds what fits in 600 bytes (each file = header + 100 bytes), oldest gone
  assert.equal(o.memoryCount, 2);
  assert.ok(o.diskBytes <= 600);
  assert.equal(o.dropped.count, drops.length);
  assert.equal(o.dropped.byReason.overflow, drops.length);
  assert.equal(o.size + o.dropped.count, 8, 'every profile is queued or counted as dropped');
  assert.deepEqual(drops, [...drops].sort((a, b) => a - b), 'oldest first');
  // peek walks oldest → newest; bodies intact
  const seen: number[] = [];
  for (let p = o.peek(); p; p = o.peek()) {
    assert.equal(p.body[0], (p.fromMs - 1_700_000_000_000) / 1000);
    seen.push(p.fromMs);
    o.remove(p);
  }
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  assert.equal(seen.length + drops.length, 8);
  assert.deepEqual(fs.readdirSync(dir), []);
  fs.rmSync(dir, { recursive: true });
});

test('outbox: the profile being sent is not the one the cap removes', () => {
  const dir = tmp();
  const o = new Outbox({ memoryItems: 1, spoolDir: dir, spoolMaxBytes: 2 * 200 });
  o.push(profile(1));
  o.push(profile(2)); // 1 spilled
  const sending = o.peek()!;
  assert.equal(sending.fromMs, profile(1).fromMs);
  for (let i = 3; i < 7; i++) o.push(profile(i)); // over the cap while 1 is in flight
  o.remove(sending); // sent
  assert.ok(o.dropped.count > 0);
  // counted drops are exactly the profiles that are neither queued nor sent
  assert.equal(o.size + o.dropped.count + 1, 6);
  fs.rmSync(dir, { recursive: true });
});

test('outbox: persistRemaining spools memory; a new outbox on the same dir recovers it; .part leftovers are removed', () => {
  const dir = tmp();
  const a = new Outbox({ memoryItems: 10, spoolDir: dir, spoolMaxBytes: 1e6 });
  a.push(profile(1));
  a.push(profile(2));
  a.persistRemaining();
  fs.writeFileSync(path.join(dir, '000000000000001-aaaaaaaaaaaa.spool.part'), 'half');
  fs.symlinkSync('/etc/passwd', path.join(dir, '000000000000002-bbbbbbbbbbbb.spool'));
  const b = new Outbox({ memoryItems: 10, spoolDir: dir, spoolMaxBytes: 1e6 });
  assert.equal(b.recovered, 2, 'the symlink is not a spool file');
  assert.equal(b.peek()!.fromMs, profile(1).fromMs);
  assert.ok(!fs.readdirSync(dir).some((f) => f.endsWith('.part')));
  fs.rmSync(dir, { recursive: true });
});

test('outbox: a spool directory writable by others is refused; profiles then wait in memory', () => {
  const dir = tmp();
  fs.chmodSync(dir, 0o777);
  const o = new Outbox({ memoryItems: 1, spoolDir: dir, spoolMaxBytes: 1e6 });
  assert.match(o.spoolProblem ?? '', /writable by others/);
  o.push(profile(1));
  o.push(profile(2));
  assert.equal(o.dropped.count, 1);
  assert.equal(o.size, 1);
  fs.rmSync(dir, { recursive: true });
});

test('uploader: retries with growing jittered waits until the server answers; rejects are dropped; flush spools the rest', async () => {
  const dir = tmp();
  const o = new Outbox({ memoryItems: 10, spoolDir: dir, spoolMaxBytes: 1e6 });
  let failuresLeft = 3;
  const sent: number[] = [];
  const attemptsAt: number[] = [];
  const up = new Uploader(o, {
    backoffMinMs: 20,
    backoffMaxMs: 200,
    random: () => 1,
    send: async (p) => {
      attemptsAt.push(Date.now());
      if (p.fromMs === profile(2).fromMs) return { kind: 'rejected', reason: 'HTTP 400: bad' };
      if (failuresLeft-- > 0) return { kind: 'retry', reason: 'HTTP 503' };
      sent.push(p.fromMs);
      return { kind: 'sent', status: 200 };
    },
  });
  o.push(profile(1));
  o.push(profile(2));
  o.push(profile(3));
  up.start();
  // (not flush: in a flush the waits are cut to the minimum, to get out before the deadline)
  for (const end = Date.now() + 10_000; sent.length < 2 && Date.now() < end;) await new Promise((r) => setTimeout(r, 10));
  await up.flush(Date.now() + 1000);
  assert.deepEqual(sent, [profile(1).fromMs, profile(3).fromMs]);
  assert.equal(o.dropped.byReason.rejected, 1);
  assert.equal(up.stats.failedAttempts, 3);
  const gaps = attemptsAt.slice(1, 4).map((t, i) => t - attemptsAt[i]);
  assert.ok(gaps[0] >= 15 && gaps[1] >= 35 && gaps[2] >= 75, `waits double: ${gaps}`);
  // a server that never answers: flush gives up at the deadline and spools what is left
  const o2 = new Outbox({ memoryItems: 10, spoolDir: dir, spoolMaxBytes: 1e6 });
  const up2 = new Uploader(o2, { backoffMinMs: 10, backoffMaxMs: 10, send: () => new Promise(() => undefined) });
  o2.push(profile(7));
  const t0 = Date.now();
  await up2.flush(Date.now() + 300);
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.spool')).length, 1);
  assert.equal(o2.dropped.count, 0);
  fs.rmSync(dir, { recursive: true });
});

test('names, tags, ingest URL and the query encoding follow the reference', () => {
  assert.equal(seriesName('checkout', [['region', 'eu'], ['env', 'prod']]), 'checkout{env=prod,region=eu}');
  assert.throws(() => parseTag('env=a b'), /must not contain/);
  assert.throws(() => parseTag('__name__=x'), /must be letters/);
  assert.throws(() => parseTag('service_name=x'), /--app/);
  const u = ingestUrl(new URL('https://host/pyroscope'), { ...profile(0), name: 'a{env=x}', sampleRate: 99.6, fromMs: 1_700_000_000_400, untilMs: 1_700_000_000_600 });
  assert.equal(u.pathname, '/pyroscope/ingest');
  assert.deepEqual(Object.fromEntries(u.searchParams), { name: 'a{env=x}', from: '1700000000', until: '1700000001', sampleRate: '100', spyName: 'pyprof', format: 'pprof' });
  assert.equal(labelSelector('a', [['env', 'p"q']]), '{service_name="a",env="p\\"q"}');
  // field 1 "t", field 2 "{}", start 1, end 300 (varint 0xac 0x02)
  assert.deepEqual([...encodeSelectMergeProfile('t', '{}', 1, 300)], [0x0a, 1, 0x74, 0x12, 2, 0x7b, 0x7d, 0x18, 1, 0x20, 0xac, 0x02]);
});

test('time ranges: relative, absolute, errors', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  assert.deepEqual(parseTimeRange('now-1h', now), { startMs: now - 3_600_000, endMs: now });
  assert.deepEqual(parseTimeRange('now-3h .. now-1h', now), { startMs: now - 3 * 3_600_000, endMs: now - 3_600_000 });
  assert.deepEqual(parseTimeRange('2026-12-04T10:00Z .. 1796382000', now), { startMs: Date.parse('2026-12-04T10:00Z'), endMs: 1796382000000 });
  assert.match(parseTimeRange('yesterday', now) as string, /not a time/);
  assert.match(parseTimeRange('now .. now-1h', now) as string, /ends before/);
});

test('auth: token, basic, tenant from env or files; conflicts and empty files are errors', () => {
  const dir = tmp();
  const f = path.join(dir, 't');
  fs.writeFileSync(f, 'tok\n');
  assert.deepEqual(resolveAuth({ env: { PYROSCOPE_AUTH_TOKEN_FILE: f, PYROSCOPE_TENANT_ID: 'x' } }).headers, { Authorization: 'Bearer tok', 'X-Scope-OrgID': 'x' });
  assert.deepEqual(resolveAuth({ env: { PYROSCOPE_BASIC_AUTH_USER: 'u', PYROSCOPE_BASIC_AUTH_PASSWORD: 'p' } }).headers, { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
  assert.throws(() => resolveAuth({ env: { PYROSCOPE_AUTH_TOKEN: 't', PYROSCOPE_BASIC_AUTH_USER: 'u', PYROSCOPE_BASIC_AUTH_PASSWORD: 'p' } }), /choose one/);
  fs.writeFileSync(f, '\n');
  assert.throws(() => resolveAuth({ env: {}, tokenFile: f }), /empty/);
  assert.throws(() => resolveAuth({ env: { PYROSCOPE_AUTH_TOKEN: 'a\r\nX-Evil: 1' } }), /control characters/);
  assert.doesNotMatch(resolveAuth({ env: { PYROSCOPE_AUTH_TOKEN: 'secret' } }).description, /secret/);
  fs.rmSync(dir, { recursive: true });
});
