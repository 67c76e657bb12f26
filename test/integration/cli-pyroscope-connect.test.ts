// `pyprof record --pyroscope URL --pyroscope-api connect`: the agent pushing through Pyroscope's
// Connect API (push.v1.PusherService/Push) to the strict stand-in server, which decodes every
// PushRequest field by field and checks its labels and raw pprof (test/pyroscopeServer.ts), with
// real Python programs. The same outbox, retries and spool as /ingest: failures, stalls, a server
// that is down, a server that refuses, and caps.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { fixture, killQuietly, startFixture, tmpDir } from '../helpers';
import { runCli } from './cli-support';
import { fetchMergedProfile } from '../../src/pyroscope/query';
import { summarizeProfile } from '../../src/profile/summary';
import { agent, assertNothingLost, assertSplitMatchesTruth, failThenRecover, lostResponseRun, PYTHON, summaryOf, withServer } from './pyroscope-support';

const CONNECT = ['--pyroscope-api', 'connect'];

test('connect: every window arrives as a valid PushRequest with its labels, basic auth and tenant; the split is right; the query reads it back', async () => {
  await withServer(async (s) => {
    const spool = tmpDir();
    s.auth = { basic: { user: '123456', password: 'glc_token' }, tenant: 'team-c' };
    const t0 = Date.now();
    const r = await agent(
      ['--pyroscope', s.url, ...CONNECT, '--app', 'checkout', '--tag', 'env=test', '--tag', 'region=eu', '--tenant', 'team-c', '--upload-interval', '1', '--spool-dir', spool, '--', PYTHON, fixture('split_cpu.py'), '4', '0.7'],
      { PYROSCOPE_BASIC_AUTH_USER: '123456', PYROSCOPE_BASIC_AUTH_PASSWORD: 'glc_token' },
    ).done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(s.violations, []);
    assert.match(r.stderr, /push\.v1\.PusherService\/Push every 1 s/);
    assert.ok(!r.stderr.includes('glc_token'), 'the password is never printed');
    const sum = summaryOf(r.stderr);
    assert.equal(sum.dropped, 0);
    assert.equal(sum.sent, s.profiles.length);
    assert.ok(s.profiles.length >= 3, `${s.profiles.length} profiles`);
    assert.equal(sum.sent, sum.windows - sum.empty, `${sum.sent} of ${sum.windows} windows, ${sum.empty} empty`);
    assert.deepEqual(s.requests.filter((q) => q.url !== '/push.v1.PusherService/Push'), [], 'nothing but Push requests');
    for (const p of s.profiles) {
      assert.equal(p.api, 'connect');
      assert.equal(p.app, 'checkout');
      assert.deepEqual(p.labels, { env: 'test', region: 'eu' });
      assert.equal(p.spyName, 'pyprof');
      assert.equal(p.tenant, 'team-c');
      assert.equal(p.body[0], 0x1f, 'raw_profile is the gzip\'d pprof');
    }
    // the windows' times come from the pprof itself: contiguous, no gaps
    const sorted = [...s.profiles].sort((a, b) => a.from - b.from);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i].from <= sorted[i - 1].until + 1, 'contiguous windows');
    const truth = assertSplitMatchesTruth(s, r.stdout);
    // pushed profiles are found by the same query as ingested ones (process_cpu, service_name)
    const basic = `Basic ${Buffer.from('123456:glc_token').toString('base64')}`;
    const profile = await fetchMergedProfile(
      { server: new URL(s.url), headers: { Authorization: basic, 'X-Scope-OrgID': 'team-c' }, timeoutMs: 5000 },
      { app: 'checkout', tags: [['env', 'test']], startMs: t0 - 60000, endMs: Date.now() + 1000 },
    );
    const a = summarizeProfile(profile).functions.find((f) => f.name === 'cpu_share_a');
    assert.ok(a && Math.abs(a.totalFraction - truth) < 0.15, `cpu_share_a ${a?.totalFraction} of the merged profile`);
    assert.deepEqual(s.violations, []);
    fs.rmSync(spool, { recursive: true, force: true });
  });
});

test('connect: unavailable, resource_exhausted with Retry-After, a stalling server and one that is down lose nothing', async () => {
  for (const scenario of ['unavailable', 'resource_exhausted', 'stall', 'down'] as const) {
    await withServer(async (s) => {
      const spool = tmpDir();
      const a = agent([
        '--pyroscope', s.url, ...CONNECT, '--app', `svc-${scenario}`, '--upload-interval', '0.5', '--upload-timeout', '0.5', '--backoff-max', '0.5', '--queue-max', '2',
        '--spool-dir', spool, '--', PYTHON, fixture('split_cpu.py'), '7',
      ]);
      const failures = { unavailable: { kind: 'status', status: 503 }, resource_exhausted: { kind: 'status', status: 429, retryAfter: '1' }, stall: { kind: 'stall' }, down: 'down' } as const;
      await failThenRecover(s, failures[scenario]);
      const r = await a.done;
      assertNothingLost(s, r, spool, scenario);
      if (scenario === 'unavailable' || scenario === 'resource_exhausted') assert.match(r.stderr, new RegExp(`HTTP \\d+ ${scenario}: simulated failure`), 'the Connect error is read');
      assert.match(r.stderr, /answers again after \d+ failed attempts/, `${scenario}: the recovery is reported`);
      fs.rmSync(spool, { recursive: true, force: true });
    });
  }
});

test('connect: past the cap the oldest are dropped and counted, the rest is pushed by the next run; invalid_argument drops and counts', async () => {
  await withServer(async (s) => {
    const spool = tmpDir();
    await s.stop(); // down for the whole first run
    const r = await agent([
      '--pyroscope', s.url, ...CONNECT, '--app', 'capped', '--tag', 'env=ci', '--upload-interval', '0.3', '--upload-timeout', '0.3', '--backoff-max', '0.3', '--queue-max', '1',
      '--spool-max-mb', '0.0015', '--flush-timeout', '0.5', '--spool-dir', spool, '--', PYTHON, fixture('split_cpu.py'), '3',
    ]).done;
    assert.equal(r.code, 0, r.stderr);
    const sum = summaryOf(r.stderr);
    assert.equal(sum.sent, 0);
    assert.ok(sum.dropped > 0, r.stderr);
    assert.equal((r.stderr.match(/dropped the profile of capped\{env=ci\}/g) ?? []).length, sum.dropped, 'one line per drop');
    assert.match(r.stderr, new RegExp(`dropped ${sum.dropped} \\(${sum.dropped} overflow\\)`));
    const left = fs.readdirSync(spool).filter((f) => f.endsWith('.spool'));
    assert.equal(left.length, sum.left);
    assert.ok(left.length > 0);

    // back up: the next run pushes what was spooled (labels rebuilt from the spooled series name)
    await s.start(s.port);
    const target = await startFixture(PYTHON, fixture('split_cpu.py'), ['30']);
    try {
      const r2 = await agent(['--pyroscope', s.url, ...CONNECT, '--app', 'capped', '--tag', 'env=ci', '--upload-interval', '0.5', '--duration', '1', '--spool-dir', spool, '--pid', String(target.pid)]).done;
      assert.equal(r2.code, 0, r2.stderr);
      assert.match(r2.stderr, new RegExp(`found ${left.length} profiles an earlier run left`));
      assert.equal(summaryOf(r2.stderr).sent, s.profiles.length);
      assert.ok(s.profiles.length >= left.length + 1, `${s.profiles.length} received, ${left.length} were spooled`);
      assert.ok(s.profiles.every((p) => p.app === 'capped' && p.labels.env === 'ci'));
      assert.deepEqual(fs.readdirSync(spool), [], 'the spool was emptied');
      assert.deepEqual(s.violations, []);

      // a server that refuses the request (invalid_argument): retrying cannot help, each is dropped and counted
      s.behaviour = { kind: 'status', status: 400 };
      const r3 = await agent(['--pyroscope', s.url, ...CONNECT, '--app', 'capped', '--upload-interval', '0.5', '--duration', '1.6', '--spool-dir', spool, '--pid', String(target.pid)]).done;
      assert.equal(r3.code, 0, r3.stderr);
      const sum3 = summaryOf(r3.stderr);
      assert.ok(sum3.dropped >= 2, r3.stderr);
      assert.equal(sum3.sent, 0);
      assert.match(r3.stderr, new RegExp(`dropped ${sum3.dropped} \\(${sum3.dropped} rejected\\)`));
      assert.match(r3.stderr, /refused a profile of capped\{\} \(HTTP 400 invalid_argument: simulated failure\)/);
      assert.deepEqual(fs.readdirSync(spool), []);
    } finally {
      killQuietly(target);
      fs.rmSync(spool, { recursive: true, force: true });
    }
  });
});

test('connect: a push whose answer is lost is sent again with the same ID, which the server sees repeated; every window has its own UUID', async () => {
  await withServer(async (s) => {
    const spool = tmpDir();
    const { r, copies } = await lostResponseRun(s, 'connect', spool);
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    assert.ok(s.profiles.every((p) => uuid.test(p.id ?? '')), 'a random (v4) UUID on every push');
    assert.equal(copies[0].id, copies[1].id, 'the retry carries the first attempt\'s ID');
    assert.deepEqual(s.repeatedIds, [copies[0].id], 'the only ID seen twice is the retried window\'s');
    assert.equal(new Set(s.ids).size, summaryOf(r.stderr).sent, 'one ID per window');
    fs.rmSync(spool, { recursive: true, force: true });
  });
});

test('connect: usage errors name the choices; a tag cannot take the agent\'s own labels', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--pyroscope', 'http://localhost:4040', '--pyroscope-api', 'grpc', '--app', 'a', '--pid', '1'], /--pyroscope-api is one of ingest, connect \(got 'grpc'\)/],
    [['--pyroscope-api', 'connect', '--app', 'a', '--pid', '1'], /--pyroscope-api goes with --pyroscope/],
    [['--pyroscope', 'http://localhost:4040', '--pyroscope-api', 'connect', '--app', 'a', '--tag', 'pyroscope_spy=x', '--pid', '1'], /'pyroscope_spy' is set by the agent/],
    [['--pyroscope', 'http://localhost:4040', '--pyroscope-api', 'connect', '--app', 'a', '--tag', '__name__=x', '--pid', '1'], /not start with a digit or __/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(['record', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});
