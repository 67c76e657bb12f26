// A strict stand-in for a Grafana Pyroscope server, for the tests (no real server can be installed
// here). It enforces the published server API reference rather than accepting whatever it gets:
//   POST /ingest: query parameters name (app{k=v,...}, checked like the server's label parser),
//     from/until (unix seconds, until > from), sampleRate (positive integer), spyName, format=pprof,
//     and nothing it does not know; Content-Type binary/octet-stream; the body a gzip'd pprof that
//     pprof-format decodes and whose ids and string indexes all resolve, with Go's CPU-profile
//     sample types (samples/count, cpu/nanoseconds) and a time inside [from, until].
//   POST /push.v1.PusherService/Push (Connect unary, api/push/v1/push.proto): Content-Type
//     application/proto, Connect-Protocol-Version: 1, a well-formed Connect-Timeout-Ms if any; the
//     body a PushRequest decoded field by field (unknown fields and wire types refused), each
//     series' labels checked as the distributor's ValidateLabels does (__name__ a metric name, here
//     process_cpu for a CPU profile; service_name present; label names valid, no duplicates, no
//     empty values), each RawSample's raw_profile a gzip'd pprof held to the same rules as /ingest's,
//     its time_nanos within the last hour. Errors are Connect errors (JSON {code, message}).
//   POST /querier.v1.QuerierService/SelectMergeProfile (Connect, application/proto, the request's
//     fields 1-4 decoded by hand): the stored profiles of the selected series and time range merged
//     into one google.v1.Profile. POST /querier.v1.QuerierService/LabelValues (Connect JSON).
//   Authentication (bearer / basic) and X-Scope-OrgID when configured: 401 otherwise.
// And it misbehaves on request: answer 5xx, stall (accept and never answer), go down (stop
// listening) and come back on the same port, or store a profile and then cut the connection
// before answering (a lost response: the agent must retry, and a Push retry carries the same ID).
// Like the real server it stores a repeated push again (Pyroscope keeps no record of client IDs);
// it notes every ID it saw more than once in `repeatedIds`. `goPprofRaw` runs `go tool pprof -raw` on a body.

import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { gunzipSync } from 'zlib';
import { Function as PFunction, Line, Location, Profile as PProfile, Sample, StringTable, ValueType } from 'pprof-format';

export interface StoredProfile {
  app: string;
  labels: Record<string, string>;
  from: number;
  until: number;
  sampleRate: number;
  spyName: string;
  body: Buffer;
  profile: PProfile;
  receivedAt: number;
  tenant?: string;
  /** Which write API it came through. */
  api: 'ingest' | 'connect';
  /** RawSample.ID of a push ('' when none was sent); /ingest has no such field. */
  id?: string;
}

export interface ServerAuth {
  bearer?: string;
  basic?: { user: string; password: string };
  tenant?: string;
}

/** `connectCode` overrides the code a Connect path's error carries (by default the status's). */
export type Behaviour = { kind: 'ok' } | { kind: 'status'; status: number; retryAfter?: string; connectCode?: string } | { kind: 'stall' };

const INGEST_PARAMS = new Set(['name', 'from', 'until', 'sampleRate', 'spyName', 'format', 'units', 'aggregationType']);
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const CPU_TYPES = ['process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'process_cpu:samples:count:cpu:nanoseconds'];

export class StrictPyroscopeServer {
  readonly profiles: StoredProfile[] = [];
  /** Every refused request with the reason (a test asserts this stays empty). */
  readonly violations: string[] = [];
  readonly requests: Array<{ method: string; url: string; status: number }> = [];
  behaviour: Behaviour = { kind: 'ok' };
  /** This many of the next stored profiles get no answer: the connection is cut after storing. */
  loseResponses = 0;
  /** Push sample IDs in the order received, and the ones received more than once. */
  readonly ids: string[] = [];
  readonly repeatedIds: string[] = [];
  /** Connections accepted (a stalled or cut-off request is counted too). */
  connections = 0;
  auth: ServerAuth = {};
  /** Serve https with this key and certificate (set before start). */
  tls: { key: string; cert: string } | undefined;
  private server: http.Server | undefined;
  private sockets = new Set<net.Socket>();
  port = 0;

  async start(port = 0): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    const server: http.Server = this.tls ? https.createServer(this.tls, handler) : http.createServer(handler);
    server.on(this.tls ? 'secureConnection' : 'connection', (s: net.Socket) => {
      this.sockets.add(s);
      this.connections++;
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** Stops listening and cuts every open connection (a server that went down). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** Down now, back on the same port after `ms`. */
  async downFor(ms: number): Promise<void> {
    const port = this.port;
    await this.stop();
    await new Promise((r) => setTimeout(r, ms));
    await this.start(port);
  }

  private refuse(res: http.ServerResponse, status: number, why: string): void {
    this.violations.push(why);
    res.writeHead(status, { 'Content-Type': 'text/plain' });
    res.end(why + '\n');
  }

  private checkAuth(req: http.IncomingMessage): string | undefined {
    const a = this.auth;
    const got = req.headers.authorization;
    if (a.bearer !== undefined && got !== `Bearer ${a.bearer}`) return `bad or missing bearer token (${got ?? 'none'})`;
    if (a.basic !== undefined && got !== `Basic ${Buffer.from(`${a.basic.user}:${a.basic.password}`).toString('base64')}`) return `bad or missing basic auth (${got ?? 'none'})`;
    if (a.bearer === undefined && a.basic === undefined && got !== undefined) return `unexpected Authorization header`;
    if (a.tenant !== undefined && req.headers['x-scope-orgid'] !== a.tenant) return `bad or missing X-Scope-OrgID (${req.headers['x-scope-orgid'] ?? 'none'})`;
    return undefined;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      const record = (status: number) => this.requests.push({ method: req.method ?? '', url: req.url ?? '', status });
      const b = this.behaviour;
      if (b.kind === 'stall') return; // keep the connection, never answer
      if (b.kind === 'status') {
        record(b.status);
        const connect = url.pathname.startsWith('/push.v1.') || url.pathname.startsWith('/querier.v1.');
        res.writeHead(b.status, { 'Content-Type': connect ? 'application/json' : 'text/plain', ...(b.retryAfter ? { 'Retry-After': b.retryAfter } : {}) });
        res.end(connect ? JSON.stringify({ code: b.connectCode ?? connectCodeOf(b.status), message: 'simulated failure' }) : 'simulated failure\n');
        return;
      }
      const authProblem = this.checkAuth(req);
      if (authProblem) {
        record(401);
        this.refuse(res, 401, authProblem);
        return;
      }
      let status: number;
      if (req.method === 'POST' && url.pathname === '/ingest') status = this.ingest(req, url, body, res);
      else if (req.method === 'POST' && url.pathname === '/push.v1.PusherService/Push') status = this.push(req, body, res);
      else if (req.method === 'POST' && url.pathname === '/querier.v1.QuerierService/SelectMergeProfile') status = this.selectMergeProfile(req, body, res);
      else if (req.method === 'POST' && url.pathname === '/querier.v1.QuerierService/LabelValues') status = this.labelValues(req, body, res);
      else {
        status = 404;
        this.refuse(res, 404, `no such endpoint: ${req.method} ${url.pathname}`);
      }
      record(status);
    });
  }

  private ingest(req: http.IncomingMessage, url: URL, body: Buffer, res: http.ServerResponse): number {
    const q = url.searchParams;
    for (const k of q.keys()) if (!INGEST_PARAMS.has(k)) return this.fail(res, 400, `unknown ingest parameter '${k}'`);
    for (const k of INGEST_PARAMS) if (q.getAll(k).length > 1) return this.fail(res, 400, `parameter '${k}' given twice`);
    if (q.get('format') !== 'pprof') return this.fail(res, 400, `format must be pprof (got ${q.get('format')})`);
    const ct = req.headers['content-type'];
    if (ct !== 'binary/octet-stream') return this.fail(res, 400, `Content-Type for a raw pprof body must be binary/octet-stream (got ${ct})`);
    const parsed = parseName(q.get('name') ?? '');
    if (typeof parsed === 'string') return this.fail(res, 400, `name: ${parsed}`);
    const from = Number(q.get('from'));
    const until = Number(q.get('until'));
    if (!/^\d{10}$/.test(q.get('from') ?? '') || !/^\d{10}$/.test(q.get('until') ?? '')) return this.fail(res, 400, `from/until must be unix seconds (got ${q.get('from')}, ${q.get('until')})`);
    if (!(until > from)) return this.fail(res, 400, `until (${until}) must be after from (${from})`);
    const rate = q.get('sampleRate');
    if (!rate || !/^[1-9]\d*$/.test(rate)) return this.fail(res, 400, `sampleRate must be a positive integer (got ${rate})`);
    const spy = q.get('spyName');
    if (!spy) return this.fail(res, 400, 'spyName missing');
    let profile: PProfile;
    try {
      profile = decodeStrict(body, from, until);
    } catch (e) {
      return this.fail(res, 422, `profile: ${(e as Error).message}`);
    }
    this.profiles.push({
      app: parsed.app, labels: parsed.labels, from, until, sampleRate: Number(rate), spyName: spy, body, profile,
      receivedAt: Date.now(), tenant: req.headers['x-scope-orgid'] as string | undefined, api: 'ingest',
    });
    return this.answerStored(res, {});
  }

  private push(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): number {
    if (req.headers['content-type'] !== 'application/proto') return this.connectError(res, 415, 'invalid_argument', `Content-Type must be application/proto (got ${req.headers['content-type']})`);
    if (req.headers['connect-protocol-version'] !== '1') return this.connectError(res, 400, 'invalid_argument', 'Connect-Protocol-Version: 1 missing');
    const timeout = req.headers['connect-timeout-ms'];
    if (timeout !== undefined && !/^\d{1,10}$/.test(String(timeout))) return this.connectError(res, 400, 'invalid_argument', `Connect-Timeout-Ms must be 1-10 digits (got ${timeout})`);
    let series: Array<{ labels: Array<[string, string]>; samples: Array<{ raw: Buffer; id: string }> }>;
    try {
      series = decodePushRequest(body);
    } catch (e) {
      return this.connectError(res, 400, 'invalid_argument', `PushRequest: ${(e as Error).message}`);
    }
    if (series.length === 0) return this.connectError(res, 400, 'invalid_argument', 'PushRequest has no series');
    const accepted: StoredProfile[] = [];
    const now = Date.now() / 1000;
    for (const s of series) {
      const problem = checkPushLabels(s.labels);
      if (problem) return this.connectError(res, 400, 'invalid_argument', `labels ${JSON.stringify(s.labels)}: ${problem}`);
      if (s.samples.length === 0) return this.connectError(res, 400, 'invalid_argument', 'a series without samples');
      const labels = Object.fromEntries(s.labels);
      const app = labels.service_name;
      const spyName = labels.pyroscope_spy ?? '';
      for (const k of ['__name__', 'service_name', 'pyroscope_spy']) delete labels[k];
      for (const smp of s.samples) {
        if (smp.id !== '' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(smp.id)) return this.connectError(res, 400, 'invalid_argument', `sample ID '${smp.id}' is not a UUID`);
        let profile: PProfile;
        try {
          profile = decodeStrict(smp.raw, Math.floor(now - 3600), Math.ceil(now + 5));
        } catch (e) {
          return this.connectError(res, 400, 'invalid_argument', `raw_profile: ${(e as Error).message}`);
        }
        const from = Math.floor(Number(profile.timeNanos) / 1e9);
        const until = Math.max(from + 1, Math.ceil((Number(profile.timeNanos) + Number(profile.durationNanos)) / 1e9));
        const rate = Number(profile.period) > 0 ? Math.round(1e9 / Number(profile.period)) : 0;
        accepted.push({ app, labels, from, until, sampleRate: rate, spyName, body: smp.raw, profile, receivedAt: Date.now(), tenant: req.headers['x-scope-orgid'] as string | undefined, api: 'connect', id: smp.id });
      }
    }
    this.profiles.push(...accepted); // all or nothing, so a refused request stores none
    for (const p of accepted) {
      if (!p.id) continue;
      if (this.ids.includes(p.id)) this.repeatedIds.push(p.id);
      this.ids.push(p.id);
    }
    return this.answerStored(res, { 'Content-Type': 'application/proto' }); // PushResponse{} is empty
  }

  private selectMergeProfile(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): number {
    if (req.headers['content-type'] !== 'application/proto') return this.connectError(res, 415, 'invalid_argument', `Content-Type must be application/proto (got ${req.headers['content-type']})`);
    if (req.headers['connect-protocol-version'] !== '1') return this.connectError(res, 400, 'invalid_argument', 'Connect-Protocol-Version: 1 missing');
    let fields: Map<number, string | bigint>;
    try {
      fields = decodeFlatMessage(body);
    } catch (e) {
      return this.connectError(res, 400, 'invalid_argument', `request: ${(e as Error).message}`);
    }
    const typeId = fields.get(1);
    const selector = fields.get(2);
    const start = fields.get(3);
    const end = fields.get(4);
    if (typeof typeId !== 'string' || !CPU_TYPES.includes(typeId)) return this.connectError(res, 400, 'invalid_argument', `unknown profile type ${String(typeId)}`);
    if (typeof selector !== 'string') return this.connectError(res, 400, 'invalid_argument', 'label_selector missing');
    if (typeof start !== 'bigint' || typeof end !== 'bigint' || !(end > start)) return this.connectError(res, 400, 'invalid_argument', 'start/end (ms) missing or end <= start');
    const matchers = parseSelector(selector);
    if (typeof matchers === 'string') return this.connectError(res, 400, 'invalid_argument', `label_selector: ${matchers}`);
    const startS = Number(start) / 1000;
    const endS = Number(end) / 1000;
    const picked = this.profiles.filter((p) => p.until > startS && p.from < endS && Object.entries(matchers).every(([k, v]) => (k === 'service_name' ? p.app === v : p.labels[k] === v)));
    const merged = mergeProfiles(picked.map((p) => p.profile), typeId.split(':')[1]);
    res.writeHead(200, { 'Content-Type': 'application/proto' });
    res.end(Buffer.from(merged.encode()));
    return 200;
  }

  private labelValues(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): number {
    if (req.headers['content-type'] !== 'application/json') return this.connectError(res, 415, 'invalid_argument', 'Content-Type must be application/json');
    let r: { name?: string; start?: string; end?: string };
    try {
      r = JSON.parse(body.toString('utf8'));
    } catch {
      return this.connectError(res, 400, 'invalid_argument', 'request is not JSON');
    }
    if (typeof r.name !== 'string') return this.connectError(res, 400, 'invalid_argument', 'name missing');
    if (!/^\d+$/.test(String(r.start)) || !/^\d+$/.test(String(r.end))) return this.connectError(res, 400, 'invalid_argument', 'start/end must be ms (int64 as JSON string)');
    const values = new Set<string>();
    for (const p of this.profiles) {
      const v = r.name === 'service_name' ? p.app : p.labels[r.name];
      if (v !== undefined) values.add(v);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ names: [...values].sort() }));
    return 200;
  }

  /** 200 for a stored profile, or, while loseResponses lasts, a connection cut before any answer. */
  private answerStored(res: http.ServerResponse, headers: http.OutgoingHttpHeaders): number {
    if (this.loseResponses > 0) {
      this.loseResponses--;
      res.socket?.destroy();
      return 0; // recorded as status 0: no answer was sent
    }
    res.writeHead(200, headers);
    res.end();
    return 200;
  }

  private fail(res: http.ServerResponse, status: number, why: string): number {
    this.refuse(res, status, why);
    return status;
  }

  private connectError(res: http.ServerResponse, status: number, code: string, message: string): number {
    this.violations.push(message);
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ code, message }));
    return status;
  }
}

/** `app{k=v,k2=v2}` as Pyroscope's legacy name parser reads it; a string is the error. */
export function parseName(name: string): { app: string; labels: Record<string, string> } | string {
  const m = /^([^{}=,\s"]+)\{(.*)\}$/.exec(name);
  if (!m) return `'${name}' is not app{labels}`;
  const labels: Record<string, string> = {};
  if (m[2] !== '') {
    for (const pair of m[2].split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) return `label '${pair}' is not k=v`;
      const k = pair.slice(0, eq);
      const v = pair.slice(eq + 1);
      if (!LABEL_NAME.test(k) || k.startsWith('__')) return `bad label name '${k}'`;
      if (!v || /[{}=,\s"]/.test(v)) return `bad label value '${v}'`;
      if (k in labels) return `label '${k}' twice`;
      labels[k] = v;
    }
  }
  return { app: m[1], labels };
}

function parseSelector(sel: string): Record<string, string> | string {
  const m = /^\{(.*)\}$/.exec(sel.trim());
  if (!m) return `'${sel}' is not {k="v",...}`;
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  const body = m[1];
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const x = re.exec(body);
    if (!x) return `cannot parse '${body.slice(pos)}'`;
    out[x[1]] = x[2].replace(/\\(.)/g, '$1');
    pos = re.lastIndex;
  }
  return out;
}

function decodeStrict(body: Buffer, from: number, until: number): PProfile {
  if (body[0] !== 0x1f || body[1] !== 0x8b) throw new Error('body is not gzip');
  const p = PProfile.decode(gunzipSync(body));
  const str = p.stringTable.strings;
  const s = (i: unknown) => {
    const n = Number(i);
    if (!(n >= 0 && n < str.length)) throw new Error(`string index ${n} out of range`);
    return str[n];
  };
  if (str[0] !== '') throw new Error('string table must start with ""');
  const types = p.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`);
  if (types.join(',') !== 'samples/count,cpu/nanoseconds') throw new Error(`sample types ${types.join(',')} (a CPU profile has samples/count,cpu/nanoseconds)`);
  if (!p.periodType || `${s(p.periodType.type)}/${s(p.periodType.unit)}` !== 'cpu/nanoseconds') throw new Error('period type must be cpu/nanoseconds');
  if (!(Number(p.period) > 0)) throw new Error('period must be > 0');
  const t = Number(p.timeNanos) / 1e9;
  if (!(t >= from && t <= until)) throw new Error(`timeNanos ${t} outside [from ${from}, until ${until}]`);
  if (!(Number(p.durationNanos) > 0)) throw new Error('durationNanos must be > 0');
  const fns = new Set(p.function.map((f) => {
    s(f.name);
    s(f.filename);
    return Number(f.id);
  }));
  const locs = new Set<number>();
  for (const l of p.location) {
    if (!(Number(l.id) > 0)) throw new Error('location id 0');
    for (const ln of l.line) if (!fns.has(Number(ln.functionId))) throw new Error(`unknown function ${ln.functionId}`);
    locs.add(Number(l.id));
  }
  if (p.sample.length === 0) throw new Error('no samples');
  for (const smp of p.sample) {
    if (smp.value.length !== 2) throw new Error('a sample needs 2 values');
    for (const id of smp.locationId) if (!locs.has(Number(id))) throw new Error(`unknown location ${id}`);
  }
  return p;
}

/** Merges profiles by (function, file, line) stacks into one single-sample-type profile. */
function mergeProfiles(profiles: PProfile[], sampleType: string): PProfile {
  const strings = new StringTable();
  const fnIds = new Map<string, number>();
  const functions: PFunction[] = [];
  const locIds = new Map<string, number>();
  const locations: Location[] = [];
  const stacks = new Map<string, { ids: number[]; value: number }>();
  for (const p of profiles) {
    const st = p.stringTable.strings;
    const vi = p.sampleType.findIndex((t) => st[Number(t.type)] === sampleType);
    const fById = new Map(p.function.map((f) => [Number(f.id), f]));
    const lById = new Map(p.location.map((l) => [Number(l.id), l]));
    for (const smp of p.sample) {
      const ids: number[] = [];
      for (const lid of smp.locationId) {
        const loc = lById.get(Number(lid))!;
        const ln = loc.line[0];
        const f = fById.get(Number(ln.functionId))!;
        const fkey = `${st[Number(f.name)]}\0${st[Number(f.filename)]}\0${f.startLine}`;
        let fid = fnIds.get(fkey);
        if (fid === undefined) {
          fid = functions.length + 1;
          functions.push(new PFunction({ id: fid, name: strings.dedup(st[Number(f.name)]), systemName: strings.dedup(st[Number(f.name)]), filename: strings.dedup(st[Number(f.filename)]), startLine: f.startLine }));
          fnIds.set(fkey, fid);
        }
        const lkey = `${fid}:${ln.line}`;
        let id = locIds.get(lkey);
        if (id === undefined) {
          id = locations.length + 1;
          locations.push(new Location({ id, line: [new Line({ functionId: fid, line: ln.line })] }));
          locIds.set(lkey, id);
        }
        ids.push(id);
      }
      const key = ids.join(',');
      const e = stacks.get(key) ?? { ids, value: 0 };
      e.value += Number(smp.value[vi]);
      stacks.set(key, e);
    }
  }
  const unit = sampleType === 'cpu' ? 'nanoseconds' : 'count';
  return new PProfile({
    sampleType: [new ValueType({ type: strings.dedup(sampleType), unit: strings.dedup(unit) })],
    sample: [...stacks.values()].map((e) => new Sample({ locationId: e.ids, value: [e.value] })),
    location: locations,
    function: functions,
    stringTable: strings,
    periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    period: 10_000_000,
  });
}

type WireField = { field: number; wire: 0; value: bigint } | { field: number; wire: 2; value: Buffer };

/** The fields of one protobuf message, in order; only varint and length-delimited wire types. */
function readFields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (field === 0) throw new Error('field number 0');
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (i + len > buf.length) throw new Error('truncated field');
      out.push({ field, wire, value: buf.subarray(i, i + len) });
      i += len;
    } else throw new Error(`unexpected wire type ${wire} for field ${field}`);
  }
  return out;
}

/** Decodes a protobuf message of string and varint fields (what SelectMergeProfileRequest's 1-4 are). */
function decodeFlatMessage(buf: Buffer): Map<number, string | bigint> {
  const out = new Map<number, string | bigint>();
  for (const f of readFields(buf)) out.set(f.field, f.wire === 2 ? f.value.toString('utf8') : f.value);
  return out;
}

/** A length-delimited field's bytes, refusing a varint where the schema has a message/string/bytes. */
function lengthDelimited(f: WireField, what: string): Buffer {
  if (f.wire !== 2) throw new Error(`${what} (field ${f.field}) must be length-delimited`);
  return f.value;
}

function utf8(buf: Buffer, what: string): string {
  const s = buf.toString('utf8');
  if (!Buffer.from(s, 'utf8').equals(buf)) throw new Error(`${what} is not valid UTF-8`);
  return s;
}

/** push.v1.PushRequest → its series (labels, raw samples); annotations (field 3) are allowed and ignored, as the server drops them. */
function decodePushRequest(buf: Buffer): Array<{ labels: Array<[string, string]>; samples: Array<{ raw: Buffer; id: string }> }> {
  return readFields(buf).map((sf) => {
    if (sf.field !== 1) throw new Error(`unknown PushRequest field ${sf.field}`);
    const labels: Array<[string, string]> = [];
    const samples: Array<{ raw: Buffer; id: string }> = [];
    for (const f of readFields(lengthDelimited(sf, 'series'))) {
      if (f.field === 1) {
        let name = '';
        let value = '';
        for (const lf of readFields(lengthDelimited(f, 'LabelPair'))) {
          if (lf.field === 1) name = utf8(lengthDelimited(lf, 'LabelPair.name'), 'a label name');
          else if (lf.field === 2) value = utf8(lengthDelimited(lf, 'LabelPair.value'), 'a label value');
          else throw new Error(`unknown LabelPair field ${lf.field}`);
        }
        labels.push([name, value]);
      } else if (f.field === 2) {
        let raw: Buffer = Buffer.alloc(0);
        let id = '';
        for (const rf of readFields(lengthDelimited(f, 'RawSample'))) {
          if (rf.field === 1) raw = lengthDelimited(rf, 'RawSample.raw_profile');
          else if (rf.field === 2) id = utf8(lengthDelimited(rf, 'RawSample.ID'), 'a sample ID');
          else throw new Error(`unknown RawSample field ${rf.field}`);
        }
        samples.push({ raw, id });
      } else if (f.field === 3) lengthDelimited(f, 'annotations');
      else throw new Error(`unknown RawProfileSeries field ${f.field}`);
    }
    return { labels, samples };
  });
}

/** The distributor's ValidateLabels, for a CPU profile; a string is the problem. */
function checkPushLabels(labels: Array<[string, string]>): string | undefined {
  if (labels.length === 0) return 'no labels';
  const names = labels.map(([k]) => k);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) return `duplicate label name '${dup}'`;
  const get = (k: string) => labels.find(([n]) => n === k)?.[1];
  const metric = get('__name__');
  if (metric === undefined || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric)) return `invalid metric name (__name__ = ${metric})`;
  if (metric !== 'process_cpu') return `__name__ ${metric} is not the CPU profile's process_cpu`;
  if (!get('service_name')) return 'service name is not provided';
  for (const [k, v] of labels) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) return `invalid label name '${k}'`;
    if (v === '') return `empty value for '${k}'`;
  }
  return undefined;
}

/** The Connect code a server sends with this HTTP status (connectrpc.com/docs/protocol's code → status table, read backwards). */
function connectCodeOf(status: number): string {
  const byStatus: Record<number, string> = { 400: 'invalid_argument', 401: 'unauthenticated', 403: 'permission_denied', 404: 'not_found', 409: 'aborted', 429: 'resource_exhausted', 499: 'canceled', 500: 'internal', 501: 'unimplemented', 503: 'unavailable', 504: 'deadline_exceeded' };
  return byStatus[status] ?? 'unknown';
}

/** `go tool pprof -raw` over one body: its output, or undefined when Go is not installed. */
export function goPprofRaw(body: Buffer): { status: number | null; stdout: string; stderr: string } | undefined {
  if (spawnSync('go', ['version']).status !== 0) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-gopprof-'));
  try {
    const file = path.join(dir, 'window.pb.gz');
    fs.writeFileSync(file, body);
    const r = spawnSync('go', ['tool', 'pprof', '-raw', file], { encoding: 'utf8', env: { ...process.env, HOME: dir, GOCACHE: path.join(dir, 'gocache') }, timeout: 60000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
