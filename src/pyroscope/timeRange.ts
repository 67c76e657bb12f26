// The time ranges a user types when reading profiles back from Pyroscope: `now-1h` (until now),
// `now-3h .. now-1h`, or two absolute times (`2026-12-04T10:00 .. 2026-12-04T11:30`, unix seconds
// or milliseconds). The same relative units as Pyroscope's own `from`/`until` (s m h d w). Pure.

export interface TimeRange {
  startMs: number;
  endMs: number;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** One point in time; undefined when it is not one of the accepted forms. */
export function parseInstant(text: string, nowMs: number): number | undefined {
  const t = text.trim();
  if (t === 'now') return nowMs;
  const rel = /^now-(\d+(?:\.\d+)?)([smhdw])$/.exec(t);
  if (rel) return nowMs - Number(rel[1]) * UNIT_MS[rel[2]];
  if (/^\d{10}$/.test(t)) return Number(t) * 1000;
  if (/^\d{13}$/.test(t)) return Number(t);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?(Z|[+-]\d{2}:?\d{2})?$/.test(t)) {
    const ms = Date.parse(t.replace(' ', 'T'));
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

/** `FROM` (until now) or `FROM .. UNTIL`; a string is the error to show. */
export function parseTimeRange(text: string, nowMs: number): TimeRange | string {
  const parts = text.split('..');
  if (parts.length > 2) return `'${text}' has more than one '..'`;
  const start = parseInstant(parts[0], nowMs);
  if (start === undefined) return `'${parts[0].trim()}' is not a time: use now-1h, an ISO date (2026-12-04T10:00) or unix seconds`;
  const end = parts.length === 2 ? parseInstant(parts[1], nowMs) : nowMs;
  if (end === undefined) return `'${parts[1].trim()}' is not a time: use now, now-30m, an ISO date or unix seconds`;
  if (!(end > start)) return 'the range ends before it starts';
  return { startMs: start, endMs: end };
}
