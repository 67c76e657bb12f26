// Messages from our webviews to the extension host. A webview is a web page: whatever runs in it
// (a bug, or script smuggled in through a profile's names should the CSP ever fail) can post any
// value, of any size. So every message is checked here before the host acts on it: unknown types,
// wrong types and oversized fields are dropped, and `open` may only name a file the shown profile
// has (a page cannot make the editor open arbitrary files). Pure, so it is unit-tested.

/** Longest file path / message text accepted from a webview. */
const MAX_PATH = 4096;
const MAX_TEXT = 2000;
const MAX_BOXES = 100_000;
const MAX_LINE = 2 ** 31 - 1;

export interface RenderedBox {
  name: string;
  status: string;
  significant: boolean;
  /** The colour the webview computed for the box. */
  color: string;
  width: number;
}

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'loaded'; ms: number }
  | { type: 'open'; file: string; line: number; toSide: boolean }
  | { type: 'error'; message: string }
  | { type: 'rendered'; boxes: RenderedBox[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shortString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/**
 * The message if it is one `accepts` lists and well-formed, else undefined. `knownFile` says
 * whether a path is one of the shown profile's source files.
 */
export function parseWebviewMessage(m: unknown, accepts: ReadonlyArray<WebviewMessage['type']>, knownFile: (file: string) => boolean): WebviewMessage | undefined {
  if (!isObject(m) || typeof m.type !== 'string' || !(accepts as readonly string[]).includes(m.type)) return undefined;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'loaded':
      return typeof m.ms === 'number' && Number.isFinite(m.ms) ? { type: 'loaded', ms: m.ms } : undefined;
    case 'open': {
      if (!shortString(m.file, MAX_PATH) || m.file === '' || m.file.includes('\0') || !knownFile(m.file)) return undefined;
      const line = typeof m.line === 'number' && Number.isInteger(m.line) && m.line >= 0 && m.line <= MAX_LINE ? m.line : 0;
      return { type: 'open', file: m.file, line, toSide: m.toSide === true };
    }
    case 'error':
      return { type: 'error', message: typeof m.message === 'string' ? m.message.slice(0, MAX_TEXT) : '(a malformed error report)' };
    case 'rendered': {
      if (!Array.isArray(m.boxes) || m.boxes.length > MAX_BOXES) return undefined;
      const boxes: RenderedBox[] = [];
      for (const b of m.boxes) {
        if (!isObject(b) || !shortString(b.name, MAX_TEXT * 10) || !shortString(b.status, 64) || !shortString(b.color, 64) || typeof b.width !== 'number' || !Number.isFinite(b.width)) return undefined;
        boxes.push({ name: b.name, status: b.status, significant: b.significant === true, color: b.color, width: b.width });
      }
      return { type: 'rendered', boxes };
    }
  }
  return undefined;
}

/** A short description of a dropped message for the log (never the whole, possibly huge, value). */
export function describeDropped(m: unknown): string {
  const type = isObject(m) && typeof m.type === 'string' ? JSON.stringify(m.type.slice(0, 40)) : typeof m;
  return `ignored a malformed or unexpected message from the webview (type ${type})`;
}
