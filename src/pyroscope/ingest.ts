// Pushing one profile to Pyroscope's HTTP ingest API, as its server API reference documents it:
// `POST /ingest?name=APP{k=v,...}&from=S&until=S&sampleRate=HZ&spyName=NAME&format=pprof` with the
// pprof (gzip'd protobuf) as the body. With format=pprof, `name` is the application's prefix: the
// server appends the profile type (our samples/cpu sample types are Go's CPU profile's, so the
// series is APP.cpu, service_name=APP, process_cpu:cpu:nanoseconds:cpu:nanoseconds).
// What an answer means for the agent: 2xx sent; 5xx, 408, 429, a timeout or a network error are
// worth retrying, and so are 401/403 (a proxy's credentials being rotated); any other 4xx is the server refusing this profile (retrying cannot help).

import { bodySnippet, httpRequest, HttpFailure, HttpRequest, HttpResult } from './http';
import { PyroscopeConfigError } from './auth';

export const SPY_NAME = 'pyprof';
/** The label the server files spyName under (a tag of that name would be a duplicate label). */
export const SPY_LABEL = 'pyroscope_spy';

export interface IngestTarget {
  /** Server base URL (a path prefix is kept: https://host/pyroscope → https://host/pyroscope/ingest). */
  server: URL;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** One upload window's profile. Times are what the clock said when the window opened and closed. */
export interface WindowProfile {
  fromMs: number;
  untilMs: number;
  /** Measured samples per second in this window (not the asked rate). */
  sampleRate: number;
  /** gzip'd pprof */
  body: Buffer;
  /** Application name with its tags, `app{k=v}`, as the server receives it in `name`. */
  name: string;
  /**
   * A UUID made once per window and kept through every retry and the spool, so every attempt at
   * one window carries the same ID (the Connect API's RawSample.ID; /ingest has no field for it).
   */
  id: string;
}

export type SendOutcome =
  | { kind: 'sent'; status: number }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'rejected'; reason: string };

/** Pyroscope's label names follow Prometheus's; names starting with __ are reserved. */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The legacy `name` syntax has no quoting: these characters would change its meaning. */
const FORBIDDEN_IN_NAME = /[{}=,\s"]/;

export function parseServerUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new PyroscopeConfigError(`not a URL: '${raw}' (expected e.g. http://localhost:4040)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new PyroscopeConfigError(`the Pyroscope URL must be http:// or https:// (got ${u.protocol})`);
  if (u.username || u.password) {
    throw new PyroscopeConfigError('put no credentials in the Pyroscope URL (they would show in ps); use PYROSCOPE_BASIC_AUTH_USER / PYROSCOPE_BASIC_AUTH_PASSWORD or a token file');
  }
  if (u.search || u.hash) throw new PyroscopeConfigError(`the Pyroscope URL takes no query or fragment: ${raw}`);
  return u;
}

export function checkAppName(app: string): string {
  if (!app) throw new PyroscopeConfigError('--app needs a name');
  if (FORBIDDEN_IN_NAME.test(app)) throw new PyroscopeConfigError(`application name '${app}' must not contain spaces or any of { } = , "`);
  return app;
}

/** `k=v` → [k, v], checked against what the server's name parser accepts. */
export function parseTag(raw: string): [string, string] {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new PyroscopeConfigError(`a tag is KEY=VALUE (got '${raw}')`);
  const key = raw.slice(0, eq);
  const value = raw.slice(eq + 1);
  if (!LABEL_NAME.test(key) || key.startsWith('__')) throw new PyroscopeConfigError(`tag name '${key}' must be letters, digits and _, not start with a digit or __`);
  if (key === 'service_name') throw new PyroscopeConfigError("the tag 'service_name' is set from --app; give the name there");
  if (key === SPY_LABEL) throw new PyroscopeConfigError(`the tag '${SPY_LABEL}' is set by the agent (${SPY_NAME})`);
  if (!value) throw new PyroscopeConfigError(`tag '${key}' has an empty value`);
  if (FORBIDDEN_IN_NAME.test(value)) throw new PyroscopeConfigError(`tag value '${value}' must not contain spaces or any of { } = , "`);
  return [key, value];
}

/** `app{k=v,k2=v2}` (tags sorted so one series is always spelled the same). */
export function seriesName(app: string, tags: ReadonlyArray<readonly [string, string]>): string {
  const sorted = [...tags].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `${app}{${sorted.map(([k, v]) => `${k}=${v}`).join(',')}}`;
}

/**
 * `app{k=v,...}` back into the application and its tags: a spooled profile carries only its series
 * name, and the Connect API wants labels. Exact, since names and values were checked to hold none
 * of `{ } = ,` (a name that is not of this form throws).
 */
export function parseSeriesName(name: string): { app: string; tags: Array<[string, string]> } {
  const m = /^([^{}=,\s"]+)\{([^{}]*)\}$/.exec(name);
  if (!m) throw new PyroscopeConfigError(`'${name}' is not a series name app{k=v,...}`);
  const tags = m[2] === '' ? [] : m[2].split(',').map((pair) => parseTag(pair));
  return { app: m[1], tags };
}

/** A URL below the server's base path (keeps a reverse proxy's prefix). */
export function endpoint(server: URL, path: string): URL {
  const base = server.href.endsWith('/') ? server.href : `${server.href}/`;
  return new URL(path.replace(/^\//, ''), base);
}

export function ingestUrl(server: URL, p: WindowProfile): URL {
  const u = endpoint(server, 'ingest');
  u.searchParams.set('name', p.name);
  // Unix seconds; `until` strictly after `from` even for a sub-second final window.
  const from = Math.floor(p.fromMs / 1000);
  u.searchParams.set('from', String(from));
  u.searchParams.set('until', String(Math.max(from + 1, Math.ceil(p.untilMs / 1000))));
  u.searchParams.set('sampleRate', String(Math.max(1, Math.round(p.sampleRate))));
  u.searchParams.set('spyName', SPY_NAME);
  u.searchParams.set('format', 'pprof');
  return u;
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

export async function sendProfile(target: IngestTarget, p: WindowProfile): Promise<SendOutcome> {
  return postForOutcome({
    method: 'POST',
    url: ingestUrl(target.server, p),
    headers: { ...target.headers, 'Content-Type': 'binary/octet-stream' },
    body: p.body,
    timeoutMs: target.timeoutMs,
    maxResponseBytes: 1024 * 1024,
  });
}

/**
 * Sends one upload and says what its answer means for the agent (see the top of this file).
 * `readError` turns an error answer into its reason and, when the body says so (a Connect error
 * code), whether to retry; without that the HTTP status decides.
 */
export async function postForOutcome(
  req: HttpRequest,
  readError: (res: HttpResult) => { reason: string; retry?: boolean } = (res) => ({ reason: `HTTP ${res.status}${bodySnippet(res.body) ? `: ${bodySnippet(res.body)}` : ''}` }),
  isSuccess: (status: number) => boolean = (status) => status >= 200 && status < 300,
): Promise<SendOutcome> {
  try {
    const res = await httpRequest(req);
    if (isSuccess(res.status)) return { kind: 'sent', status: res.status };
    const { reason, retry } = readError(res);
    // 401/403 too: an authenticating proxy being reconfigured must not cost the queued profiles.
    const retryable = retry ?? (res.status >= 500 || [401, 403, 408, 429].includes(res.status));
    if (retryable) return { kind: 'retry', reason, retryAfterMs: retryAfterMs(res.headers['retry-after']) };
    return { kind: 'rejected', reason };
  } catch (e) {
    if (e instanceof HttpFailure) return { kind: 'retry', reason: e.message };
    throw e;
  }
}
