// `pyprof record --pyroscope`: the continuous-profiling agent against a strict stand-in server
// (test/pyroscopeServer.ts; no real Pyroscope can be installed here) with real Python programs.
// Short upload intervals and timeouts keep every scenario to seconds.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ChildProcess, spawnSync } from 'child_process';
import { fixture, killQuietly, startFixture, tmpDir } from '../helpers';
import { runCli } from './cli-support';
import { StrictPyroscopeServer } from '../pyroscopeServer';
import { agent, assertNothingLost, assertSplitMatchesTruth, failThenRecover, lostResponseRun, markerLine, PYTHON, summaryOf, waitFor, withServer } from './pyroscope-support';
import { fetchLabelValues, fetchMergedProfile } from '../../src/pyroscope/query';
import { summarizeProfile } from '../../src/profile/summary';
import { mapProfilePath } from '../../src/profile/pathMap';

test('record --pyroscope sends one valid pprof per window to /ingest; go tool pprof reads them; the split is right', async () => {
  await withServer(async (s) => {
    const spool = tmpDir();
    const r = await agent(['--pyroscope', s.url, '--app', 'checkout', '--tag', 'env=test', '--tag', 'region=eu', '--upload-interval', '1', '--spool-dir', spool, '--', PYTHON, fixture('split_cpu.py'), '4', '0.7']).done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(s.violations, []);
    const sum = summaryOf(r.stderr);
    assert.ok(sum.windows >= 4, r.stderr);
    assert.equal(sum.sent, s.profiles.length);
    assert.equal(sum.dropped, 0);
    assert.ok(s.profiles.length >= 3, `${s.profiles.length} profiles`);
    for (const p of s.profiles) {
      assert.equal(p.app, 'checkout');
      assert.deepEqual(p.labels, { env: 'test', region: 'eu' });
      assert.equal(p.spyName, 'pyprof');
      assert.equal(p.api, 'ingest', 'the default API');
    }
    // windows follow each other without gaps or overlaps (second resolution)
    const sorted = [...s.profiles].sort((a, b) => a.from - b.from);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i].from >= sorted[i - 1].from && sorted[i].from <= sorted[i - 1].until, 'contiguous windows');
    assertSplitMatchesTruth(s, r.stdout); // ground truth: the program's own CPU time split
    fs.rmSync(spool, { recursive: true, force: true });
  });
});

test('bearer token from a file and X-Scope-OrgID; the query API gives the merged profile back, mapped to local paths', async () => {
  await withServer(async (s) => {
    const dir = tmpDir();
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, 's3cret-token\n', { mode: 0o600 });
    s.auth = { bearer: 's3cret-token', tenant: 'team-a' };
    const t0 = Date.now();
    const r = await agent(['--pyroscope', s.url, '--app', 'api', '--tenant', 'team-a', '--upload-interval', '0.5', '--spool-dir', path.join(dir, 'spool'), '--', PYTHON, fixture('split_cpu.py'), '2', '0.7'], { PYROSCOPE_AUTH_TOKEN_FILE: tokenFile }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(s.violations, []);
    assert.ok(s.profiles.length >= 2);
    assert.ok(s.profiles.every((p) => p.tenant === 'team-a'));
    assert.ok(!r.stderr.includes('s3cret'), 'the token is never printed');
    const target = { server: new URL(s.url), headers: { Authorization: 'Bearer s3cret-token', 'X-Scope-OrgID': 'team-a' }, timeoutMs: 5000 };
    assert.deepEqual(await fetchLabelValues(target, 'service_name', t0 - 60000, Date.now() + 1000), ['api']);
    const profile = await fetchMergedProfile(target, { app: 'api', tags: [], startMs: t0 - 60000, endMs: Date.now() + 1000 });
    assert.deepEqual(s.violations, []);
    const summary = summarizeProfile(profile);
    const hot = summary.files.get(fixture('split_cpu.py'))?.lines.find((l) => l.line === markerLine('HOT_A'));
    assert.ok(hot && hot.self > 0, 'HOT_A is a sampled line of the fetched profile, with its file and line');
    const a = summary.functions.find((f) => f.name === 'cpu_share_a');
    assert.ok(a && Math.abs(a.totalFraction - 0.7) < 0.15, `cpu_share_a ${a?.totalFraction} of the merged profile`);
    assert.equal(profile.meta.unit, 'nanoseconds', 'measured time, not counts');
    // a container prefix on the server side maps onto the workspace like any profile
    const local = mapProfilePath('/srv/app/split_cpu.py', { mappings: [{ from: '/srv/app', to: path.dirname(fixture('split_cpu.py')) }], exists: fs.existsSync });
    assert.equal(local, fixture('split_cpu.py'));
    // wrong token: the query is refused with the server's reason
    await assert.rejects(fetchMergedProfile({ ...target, headers: { Authorization: 'Bearer nope', 'X-Scope-OrgID': 'team-a' } }, { app: 'api', tags: [], startMs: t0, endMs: Date.now() }), /HTTP 401/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/** A throwaway CA and a certificate for 127.0.0.1 it signed (openssl), or undefined without openssl. */
function makeCa(dir: string): { caFile: string; key: string; cert: string } | undefined {
  const run = (args: string[]) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (run(['version']).status !== 0) return undefined;
  const steps = [
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=pyprof test CA'],
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1'],
  ];
  for (const a of steps) assert.equal(run(a).status, 0, a.join(' '));
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  const sign = run(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '1', '-extfile', 'ext.cnf']);
  assert.equal(sign.status, 0, sign.stderr);
  return { caFile: path.join(dir, 'ca.pem'), key: fs.readFileSync(path.join(dir, 'srv.key'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'srv.pem'), 'utf8') };
}

test('https: the server certificate is checked against the system CA store (SSL_CERT_FILE), and refused when it is not in it', async (t) => {
  const dir = tmpDir();
  const ca = makeCa(dir);
  if (!ca) {
    t.skip('openssl is not installed');
    return;
  }
  const s = new StrictPyroscopeServer();
  s.tls = { key: ca.key, cert: ca.cert };
  await s.start();
  try {
    const args = ['--pyroscope', s.url, '--app', 'tls', '--upload-interval', '0.5', '--flush-timeout', '1', '--spool-dir', path.join(dir, 'spool'), '--', PYTHON, fixture('split_cpu.py'), '1.5'];
    const untrusted = await agent(args, { SSL_CERT_FILE: '/dev/null', NODE_EXTRA_CA_CERTS: '' }).done;
    assert.equal(s.profiles.length, 0);
    assert.match(untrusted.stderr, /cannot send to .*(certificate|CERT)/i);
    assert.ok(summaryOf(untrusted.stderr).left > 0, `kept for later: ${untrusted.stderr}`);
    const trusted = await agent(args, { SSL_CERT_FILE: ca.caFile, NODE_EXTRA_CA_CERTS: '' }).done;
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.equal(summaryOf(trusted.stderr).left, 0, trusted.stderr);
    const sent = summaryOf(trusted.stderr).sent;
    assert.equal(s.profiles.length, sent);
    assert.ok(sent >= summaryOf(untrusted.stderr).left, 'the first run\'s spooled profiles arrive with the second run\'s');
    assert.deepEqual(s.violations, []);
  } finally {
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('basic auth from the environment', async () => {
  await withServer(async (s) => {
    const spool = tmpDir();
    s.auth = { basic: { user: 'agent', password: 'pa:ss word' } };
    const r = await agent(['--pyroscope', s.url, '--app', 'b', '--upload-interval', '0.5', '--spool-dir', spool, '--', PYTHON, fixture('split_cpu.py'), '1.5'], { PYROSCOPE_BASIC_AUTH_USER: 'agent', PYROSCOPE_BASIC_AUTH_PASSWORD: 'pa:ss word' }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(s.violations, []);
    assert.ok(s.profiles.length >= 2);
    fs.rmSync(spool, { recursive: true, force: true });
  });
});

test('5xx, a stalling server and a server down for a while lose nothing: every window arrives', async () => {
  for (const scenario of ['5xx', 'stall', 'down'] as const) {
    await withServer(async (s) => {
      const spool = tmpDir();
      const a = agent(['--pyroscope', s.url, '--app', `svc-${scenario}`, '--upload-interval', '0.5', '--upload-timeout', '0.5', '--backoff-max', '0.5', '--queue-max', '2', '--spool-dir', spool, '--', PYTHON, fixture('split_cpu.py'), '7']);
      await failThenRecover(s, scenario === '5xx' ? { kind: 'status', status: 503, retryAfter: '0' } : scenario === 'stall' ? { kind: 'stall' } : 'down');
      assertNothingLost(s, await a.done, spool, scenario);
      fs.rmSync(spool, { recursive: true, force: true });
    });
  }
});

test('/ingest: a lost response is retried and the window stored twice (the ingest API has no ID to tell a repeat; README says so)', async () => {
  await withServer(async (s) => {
    const spool = tmpDir();
    const { copies } = await lostResponseRun(s, 'ingest', spool);
    assert.ok(copies.every((p) => p.api === 'ingest' && p.id === undefined));
    assert.deepEqual(s.repeatedIds, []);
    fs.rmSync(spool, { recursive: true, force: true });
  });
});

test('past the caps the oldest profiles are dropped, each drop counted and reported; the spool is sent by the next run', async () => {
  await withServer(async (s) => {
    const spool = tmpDir();
    await s.stop(); // down for the whole first run
    const r = await agent(['--pyroscope', s.url, '--app', 'capped', '--upload-interval', '0.3', '--upload-timeout', '0.3', '--backoff-max', '0.3', '--queue-max', '1', '--spool-max-mb', '0.0015', '--flush-timeout', '0.5', '--spool-dir', spool, '--', PYTHON, fixture('split_cpu.py'), '3']).done;
    assert.equal(r.code, 0, r.stderr);
    const sum = summaryOf(r.stderr);
    assert.equal(sum.sent, 0);
    assert.ok(sum.dropped > 0, r.stderr);
    assert.equal((r.stderr.match(/dropped the profile of capped\{\}/g) ?? []).length, sum.dropped, 'one line per drop');
    assert.match(r.stderr, /\d+ overflow/);
    const left = fs.readdirSync(spool).filter((f) => f.endsWith('.spool'));
    assert.equal(left.length, sum.left);
    assert.ok(left.length > 0);
    const spoolBytes = left.reduce((a, f) => a + fs.statSync(path.join(spool, f)).size, 0);
    assert.ok(spoolBytes <= 0.0015 * 1024 * 1024, `spool ${spoolBytes} B within its cap`);
    // what is left is the newest: every dropped one is older than every kept one
    await s.start(s.port);
    const fixtureRun = await startFixture(PYTHON, fixture('split_cpu.py'), ['30']);
    try {
      const r2 = await agent(['--pyroscope', s.url, '--app', 'capped', '--upload-interval', '0.5', '--duration', '1', '--spool-dir', spool, '--pid', String(fixtureRun.pid)]).done;
      assert.equal(r2.code, 0, r2.stderr);
      assert.match(r2.stderr, new RegExp(`found ${left.length} profiles an earlier run left`));
      assert.ok(s.profiles.length >= left.length, `${s.profiles.length} received, ${left.length} were spooled`);
      assert.deepEqual(fs.readdirSync(spool), [], 'the spool was emptied');
      assert.deepEqual(s.violations, []);
    } finally {
      killQuietly(fixtureRun);
    }
    fs.rmSync(spool, { recursive: true, force: true });
  });
});

test('SIGTERM flushes the partial window within the deadline; the attached program keeps running', async () => {
  await withServer(async (s) => {
    const spool = tmpDir();
    let target: ChildProcess | undefined;
    try {
      target = await startFixture(PYTHON, fixture('split_cpu.py'), ['30']);
      const a = agent(['--pyroscope', s.url, '--app', 'term', '--upload-interval', '60', '--spool-dir', spool, '--pid', String(target.pid)]);
      let err = '';
      a.child.stderr!.on('data', (d) => (err += d));
      await waitFor(() => err.includes(`sending ${target!.pid}`), 30000, 'the agent to start sampling');
      await new Promise((r) => setTimeout(r, 1500));
      a.child.kill('SIGTERM');
      const r = await a.done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(s.profiles.length, 1, r.stderr);
      assert.ok(s.profiles[0].until - s.profiles[0].from <= 4);
      assert.equal(target.exitCode, null, 'attached program not stopped');
      assert.deepEqual(s.violations, []);
    } finally {
      killQuietly(target);
      fs.rmSync(spool, { recursive: true, force: true });
    }
  });
});

test('usage errors: credentials in the URL, bad tags, file options, no --app', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--pyroscope', 'http://u:p@localhost:4040', '--app', 'a', '--pid', '1'], /no credentials in the Pyroscope URL/],
    [['--pyroscope', 'http://localhost:4040', '--app', 'a', '--tag', 'env', '--pid', '1'], /KEY=VALUE/],
    [['--pyroscope', 'http://localhost:4040', '--app', 'a', '--tag', 'e=a,b', '--pid', '1'], /must not contain/],
    [['--pyroscope', 'http://localhost:4040', '--app', 'a', '-o', 'x.json', '--pid', '1'], /--output writes a profile file/],
    [['--pyroscope', 'http://localhost:4040', '--pid', '1'], /needs --app/],
    [['--app', 'a', '--pid', '1'], /--app goes with --pyroscope/],
    [['--pyroscope', 'ftp://x', '--app', 'a', '--pid', '1'], /http:\/\/ or https:\/\//],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(['record', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});
