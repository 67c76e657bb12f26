// Reading profiles back from Pyroscope through its querier Connect API, as the server API reference
// documents it: `SelectMergeProfile` returns the matching profiles of a time range merged into one
// pprof (google.v1.Profile) that keeps file names and line numbers, which is what hot lines need
// (the legacy /pyroscope/render flame graph has function names only). The request is sent as
// binary protobuf (`application/proto`, Connect unary), so the answer is the pprof bytes
// themselves and goes through the same importer as a .pb.gz file. `LabelValues` (Connect JSON)
// lists the applications for a picker. No vscode import.

import { importPprof } from '../profile/formats/pprof';
import type { Profile } from '../profile/model';
import { PyroscopeConfigError } from './auth';
import { endpoint } from './ingest';
import { httpRequest } from './http';
import { connectErrorText, connectProtoHeaders, int64Field, stringField } from './connect';

/** What `pyprof record --pyroscope` sends shows up as (Go's CPU profile type). */
export const CPU_PROFILE_TYPE = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

export interface QueryTarget {
  server: URL;
  headers: Record<string, string>;
  timeoutMs: number;
}

export interface MergeQuery {
  app: string;
  /** Extra label matchers (env=prod…). */
  tags: ReadonlyArray<readonly [string, string]>;
  startMs: number;
  endMs: number;
  profileType?: string;
}

export class PyroscopeQueryError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'PyroscopeQueryError';
  }
}

/** A label value inside double quotes, escaped as the PromQL-like selector syntax wants. */
function quote(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function labelSelector(app: string, tags: ReadonlyArray<readonly [string, string]>): string {
  return `{${[['service_name', app] as const, ...tags].map(([k, v]) => `${k}=${quote(v)}`).join(',')}}`;
}

// SelectMergeProfileRequest: fields 1-4 (string, string, int64, int64).
export function encodeSelectMergeProfile(profileTypeId: string, selector: string, startMs: number, endMs: number): Buffer {
  return Buffer.concat([stringField(1, profileTypeId), stringField(2, selector), int64Field(3, startMs), int64Field(4, endMs)]);
}

/** The merged profile of `q` as our model; a time range with no data is an error that says so. */
export async function fetchMergedProfile(t: QueryTarget, q: MergeQuery): Promise<Profile> {
  if (!(q.endMs > q.startMs)) throw new PyroscopeConfigError('the time range is empty (end must be after start)');
  const typeId = q.profileType ?? CPU_PROFILE_TYPE;
  const selector = labelSelector(q.app, q.tags);
  const res = await httpRequest({
    method: 'POST',
    url: endpoint(t.server, 'querier.v1.QuerierService/SelectMergeProfile'),
    headers: { ...t.headers, ...connectProtoHeaders() },
    body: encodeSelectMergeProfile(typeId, selector, q.startMs, q.endMs),
    timeoutMs: t.timeoutMs,
  });
  if (res.status !== 200) throw new PyroscopeQueryError(`${t.server.origin} refused the query ${selector}: ${connectErrorText(res.status, res.headers, res.body)}`, res.status);
  const where = `${typeId}${selector} ${new Date(q.startMs).toISOString()} – ${new Date(q.endMs).toISOString()}`;
  if (res.body.length === 0) throw new PyroscopeQueryError(`no profiles of ${where} on ${t.server.origin}`);
  let profile: Profile;
  try {
    profile = importPprof(res.body, `pyroscope ${where}`);
  } catch (e) {
    if (/no samples/.test((e as Error).message)) throw new PyroscopeQueryError(`no profiles of ${where} on ${t.server.origin}`);
    throw e;
  }
  profile.meta.source = 'pyroscope';
  profile.meta.startTime = q.startMs;
  profile.meta.durationMs = q.endMs - q.startMs;
  profile.meta.notes = [
    ...(profile.meta.notes ?? []),
    `merged by ${t.server.origin} from every profile of ${selector} between ${new Date(q.startMs).toISOString()} and ${new Date(q.endMs).toISOString()} (${typeId}); times are the server's sums over all processes and hosts in the series`,
  ];
  return profile;
}

/** Values of one label (service_name: the applications) seen in the time range. */
export async function fetchLabelValues(t: QueryTarget, label: string, startMs: number, endMs: number): Promise<string[]> {
  const res = await httpRequest({
    method: 'POST',
    url: endpoint(t.server, 'querier.v1.QuerierService/LabelValues'),
    headers: { ...t.headers, 'Content-Type': 'application/json', 'Connect-Protocol-Version': '1' },
    // int64 fields are strings in protobuf's JSON mapping
    body: Buffer.from(JSON.stringify({ name: label, start: String(Math.round(startMs)), end: String(Math.round(endMs)) })),
    timeoutMs: t.timeoutMs,
  });
  if (res.status !== 200) throw new PyroscopeQueryError(`${t.server.origin} refused to list ${label}: ${connectErrorText(res.status, res.headers, res.body)}`, res.status);
  const names = (JSON.parse(res.body.toString('utf8')) as { names?: unknown }).names;
  return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
}
