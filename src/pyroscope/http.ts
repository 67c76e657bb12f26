// One HTTP(S) request to a Pyroscope server with a hard deadline: node's http/https (TLS checked
// against the system's CA store as well as node's own list: systemCa.ts), the whole exchange (connect, send,
// wait, read) bounded by `timeoutMs`, so a server that accepts the connection and then stalls
// costs a timeout, never a hung agent. No vscode import.

import * as http from 'http';
import * as https from 'https';
import { trustedCertificates } from './systemCa';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: Uint8Array;
  timeoutMs: number;
  /** Responses larger than this are cut off with an error (a misbehaving server cannot fill memory). */
  maxResponseBytes?: number;
}

export class HttpFailure extends Error {
  constructor(message: string, readonly kind: 'timeout' | 'network' | 'too-large') {
    super(message);
    this.name = 'HttpFailure';
  }
}

const USER_AGENT = 'pyprof';

/** Sends the request; resolves with any HTTP status, rejects with HttpFailure when no full answer came. */
export function httpRequest(req: HttpRequest): Promise<HttpResult> {
  const lib = req.url.protocol === 'https:' ? https : http;
  const limit = req.maxResponseBytes ?? 256 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const headers: Record<string, string | number> = { 'User-Agent': USER_AGENT, ...req.headers };
    if (req.body) headers['Content-Length'] = req.body.length;
    const tlsOptions = req.url.protocol === 'https:' ? { ca: trustedCertificates() } : {};
    const r = lib.request(req.url, { method: req.method, headers, agent: false, ...tlsOptions }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          finish(() => reject(new HttpFailure(`response larger than ${limit} bytes`, 'too-large')));
          r.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })));
      res.on('error', (e) => finish(() => reject(new HttpFailure(e.message, 'network'))));
    });
    const timer = setTimeout(() => {
      finish(() => reject(new HttpFailure(`no complete answer within ${(req.timeoutMs / 1000).toFixed(1)} s`, 'timeout')));
      r.destroy();
    }, req.timeoutMs);
    r.on('error', (e: NodeJS.ErrnoException) => finish(() => reject(new HttpFailure(e.code ? `${e.code}: ${e.message}` : e.message, 'network'))));
    r.end(req.body);
  });
}

/** The first line of a server's error body, shortened, for one-line messages. */
export function bodySnippet(body: Buffer): string {
  const line = body.toString('utf8').split(/\r?\n/).find((l) => l.trim()) ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
