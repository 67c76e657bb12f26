// Pushing one profile through Pyroscope's Connect API, `push.v1.PusherService/Push`
// (api/push/v1/push.proto): a PushRequest with one RawProfileSeries, whose labels are the series
// (`__name__`, `service_name`, `pyroscope_spy` and the --tag labels) and whose one RawSample is the
// window's gzip'd pprof as it is with the window's UUID as its ID, sent as binary protobuf (`application/proto`, Connect unary over
// HTTP/1.1). Unlike /ingest there are no from/until parameters: the server takes the window from
// the pprof's time_nanos and duration_nanos, which the exporter sets from the clock.
// The answer is read like any Connect call: 200 is success, an error's code decides whether to
// retry (connect.ts), a proxy's error page falls back to the HTTP status as /ingest does.
// No vscode import.

import { bytesField, connectCodeRetryable, connectErrorText, connectProtoHeaders, parseConnectError, stringField } from './connect';
import { endpoint, IngestTarget, parseSeriesName, postForOutcome, SendOutcome, SPY_LABEL, SPY_NAME, WindowProfile } from './ingest';

/**
 * `__name__` of a CPU profile: with the pprof's sample types (samples/count, cpu/nanoseconds) the
 * server files it as process_cpu:cpu:nanoseconds:cpu:nanoseconds, the type /ingest's `APP.cpu`
 * series get and the one "Open from Pyroscope…" queries.
 */
export const PUSH_PROFILE_NAME = 'process_cpu';

export const PUSH_PATH = 'push.v1.PusherService/Push';

/** The labels of one series, sorted by name as the server keeps them. */
export function pushLabels(seriesName: string): Array<[string, string]> {
  const { app, tags } = parseSeriesName(seriesName);
  const labels: Array<[string, string]> = [['__name__', PUSH_PROFILE_NAME], ['service_name', app], [SPY_LABEL, SPY_NAME], ...tags];
  return labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * PushRequest{series: [RawProfileSeries{labels, samples: [RawSample{raw_profile, ID}]}]}. The ID is
 * the same on every retry of a window: a push whose answer was lost and is sent again can be told
 * apart from a new profile (Pyroscope's distributor logs it as profile_id; it stores each push
 * under a fresh ID of its own, so it does not drop the repeat).
 */
export function encodePushRequest(labels: ReadonlyArray<readonly [string, string]>, rawProfile: Uint8Array, id: string): Buffer {
  const labelPairs = labels.map(([name, value]) => bytesField(1, Buffer.concat([stringField(1, name), stringField(2, value)])));
  const sample = bytesField(2, Buffer.concat([bytesField(1, rawProfile), stringField(2, id)]));
  return bytesField(1, Buffer.concat([...labelPairs, sample]));
}

export async function pushProfile(target: IngestTarget, p: WindowProfile): Promise<SendOutcome> {
  return postForOutcome(
    {
      method: 'POST',
      url: endpoint(target.server, PUSH_PATH),
      headers: { ...target.headers, ...connectProtoHeaders(target.timeoutMs) },
      body: encodePushRequest(pushLabels(p.name), p.body, p.id),
      timeoutMs: target.timeoutMs,
      maxResponseBytes: 1024 * 1024,
    },
    (res) => ({ reason: connectErrorText(res.status, res.headers, res.body), retry: connectCodeRetryable(parseConnectError(res.headers, res.body).code) }),
    // Connect unary: success is 200 exactly
    (status) => status === 200,
  );
}
