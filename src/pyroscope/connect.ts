// What the Pyroscope client needs of the Connect protocol (connectrpc.com/docs/protocol), unary
// calls over HTTP/1.1: the request headers, a few protobuf field encoders (our messages are small
// and fixed, so hand-written encoding beats a protobuf runtime dependency), and reading a Connect
// error (JSON {code, message} with an HTTP status) into a message and a retry decision.
// No vscode import.

import type { IncomingHttpHeaders } from 'http';
import { bodySnippet } from './http';

// ---- protobuf wire format (varint = 0, length-delimited = 2) ----

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** A length-delimited field: bytes, a string's UTF-8, or an embedded message. */
export function bytesField(field: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...varint(BigInt((field << 3) | 2)), ...varint(BigInt(bytes.length))]), bytes]);
}

export function stringField(field: number, s: string): Buffer {
  return bytesField(field, Buffer.from(s, 'utf8'));
}

export function int64Field(field: number, n: number): Buffer {
  return Buffer.from([...varint(BigInt(field << 3)), ...varint(BigInt(Math.round(n)))]);
}

// ---- requests ----

/** Headers of a Connect unary call with a binary protobuf body; the deadline travels with it. */
export function connectProtoHeaders(timeoutMs?: number): Record<string, string> {
  const h: Record<string, string> = { 'Content-Type': 'application/proto', 'Connect-Protocol-Version': '1' };
  if (timeoutMs !== undefined) h['Connect-Timeout-Ms'] = String(Math.max(1, Math.round(timeoutMs)));
  return h;
}

// ---- errors ----

export interface ConnectError {
  /** Connect's error code (unavailable, invalid_argument…), when the body was a Connect error. */
  code?: string;
  message?: string;
}

/** A Connect error body is JSON {code, message}; a proxy's HTML or text page gives neither. */
export function parseConnectError(headers: IncomingHttpHeaders, body: Buffer): ConnectError {
  if (!/^application\/json\b/.test(headers['content-type'] ?? '')) return {};
  try {
    const e = JSON.parse(body.toString('utf8')) as { code?: unknown; message?: unknown };
    return { code: typeof e.code === 'string' ? e.code : undefined, message: typeof e.message === 'string' ? e.message : undefined };
  } catch {
    return {};
  }
}

/** One line for messages: `HTTP 400 invalid_argument: …`, or the body's first line. */
export function connectErrorText(status: number, headers: IncomingHttpHeaders, body: Buffer): string {
  const e = parseConnectError(headers, body);
  if (e.code || e.message) return `HTTP ${status} ${e.code ?? ''}: ${e.message ?? ''}`.trim();
  return `HTTP ${status}${bodySnippet(body) ? `: ${bodySnippet(body)}` : ''}`;
}

/**
 * Codes worth trying again later: the server (or what is in front of it) is down, overloaded,
 * slow, or refusing our credentials for now (a proxy's being rotated; the ingest path retries
 * 401/403 too). The others (invalid_argument, failed_precondition, out_of_range, unimplemented…)
 * say this request will never be accepted.
 */
const RETRYABLE_CODES = new Set(['unavailable', 'resource_exhausted', 'deadline_exceeded', 'aborted', 'internal', 'unknown', 'canceled', 'unauthenticated', 'permission_denied']);

/** true/false from a Connect error code; undefined when there is none (decide by HTTP status). */
export function connectCodeRetryable(code: string | undefined): boolean | undefined {
  return code === undefined ? undefined : RETRYABLE_CODES.has(code);
}
