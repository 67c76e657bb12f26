// The Connect push request's bytes and labels, the series name read back, and which Connect
// error codes are retried, without a network (the agent against a server: cli-pyroscope-connect).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { encodePushRequest, pushLabels } from '../../src/pyroscope/push';
import { parseSeriesName, seriesName } from '../../src/pyroscope/ingest';
import { connectCodeRetryable, connectErrorText } from '../../src/pyroscope/connect';

test('push: labels are __name__, service_name, pyroscope_spy and the tags, sorted; the series name round-trips', () => {
  const name = seriesName('checkout', [['region', 'eu'], ['env', 'prod']]);
  assert.deepEqual(parseSeriesName(name), { app: 'checkout', tags: [['env', 'prod'], ['region', 'eu']] });
  assert.deepEqual(parseSeriesName('a{}'), { app: 'a', tags: [] });
  assert.throws(() => parseSeriesName('a'), /not a series name/);
  assert.throws(() => parseSeriesName('a{env}'), /KEY=VALUE/);
  assert.deepEqual(pushLabels(name), [['__name__', 'process_cpu'], ['env', 'prod'], ['pyroscope_spy', 'pyprof'], ['region', 'eu'], ['service_name', 'checkout']]);
});

test('push: PushRequest{series: [{labels, samples: [{raw_profile, ID}]}]} byte for byte', () => {
  const body = encodePushRequest([['a', 'b']], Buffer.from([0x1f, 0x8b]), 'u1');
  // series (1, len 18) → LabelPair (1, len 6: name "a", value "b"), RawSample (2, len 8: raw_profile 1f 8b, ID "u1")
  assert.deepEqual([...body], [0x0a, 18, 0x0a, 6, 0x0a, 1, 0x61, 0x12, 1, 0x62, 0x12, 8, 0x0a, 2, 0x1f, 0x8b, 0x12, 2, 0x75, 0x31]);
});

test('connect errors: codes decide retries, an error page falls back to the status', () => {
  for (const c of ['unavailable', 'resource_exhausted', 'deadline_exceeded', 'internal', 'unauthenticated']) assert.equal(connectCodeRetryable(c), true, c);
  for (const c of ['invalid_argument', 'failed_precondition', 'unimplemented', 'out_of_range']) assert.equal(connectCodeRetryable(c), false, c);
  assert.equal(connectCodeRetryable(undefined), undefined);
  const json = { 'content-type': 'application/json' };
  assert.equal(connectErrorText(400, json, Buffer.from('{"code":"invalid_argument","message":"bad labels"}')), 'HTTP 400 invalid_argument: bad labels');
  assert.equal(connectErrorText(502, { 'content-type': 'text/html' }, Buffer.from('<html>\nBad Gateway')), 'HTTP 502: <html>');
});
