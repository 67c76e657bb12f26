// Wording of a profile comparison, shared by the CLI table, the editor (inline text, CodeLens,
// hover) and the flame graph's detail pane: `+12 ms (+35%)`, `−4.1 pp`, `new`, `gone`. Pure.

import type { Change, DiffSide, FunctionDiff, ItemDiff, ProfileDiff } from './diff';
import { formatCount, formatDuration, formatPercent } from './summary';

const MINUS = '−';

/** `+12 ms`, `−1.25 s`, `±0 ms`. */
export function formatDeltaMs(ms: number): string {
  if (Math.abs(ms) < 0.5) return '±0 ms';
  return `${ms > 0 ? '+' : MINUS}${formatDuration(Math.abs(ms))}`;
}

/** `+35%`, `−50%`, `new`, `gone`. */
export function formatRelative(c: Change): string {
  if (c.status === 'new') return 'new';
  if (c.status === 'gone') return 'gone';
  if (!Number.isFinite(c.relative)) return 'new';
  const pct = c.relative * 100;
  const digits = Math.abs(pct) < 10 ? 1 : 0;
  return `${pct >= 0 ? '+' : MINUS}${Math.abs(pct).toFixed(digits)}%`;
}

/** A share difference in percentage points: `+2.1 pp`. */
export function formatPoints(fraction: number): string {
  const pp = fraction * 100;
  return `${pp >= 0 ? '+' : MINUS}${Math.abs(pp).toFixed(Math.abs(pp) < 10 ? 2 : 1)} pp`;
}

/** The headline of a change: `+12 ms (+35%)` with time, `+2.1 pp (+35%)` without; new/gone spelled out. */
export function changeText(c: Change, d: Pick<ProfileDiff, 'mode'>): string {
  const amount = c.deltaMs !== undefined ? formatDeltaMs(c.deltaMs) : d.mode === 'share' ? formatPoints(c.delta) : formatCount(c.delta);
  if (c.status === 'new' || c.status === 'gone') return `${c.status} (${amount})`;
  return `${amount} (${formatRelative(c)})`;
}

/** Whether the change is significant, in words. */
export function significanceText(c: Change, d: Pick<ProfileDiff, 'confidence'>): string {
  const level = `${+(d.confidence * 100).toFixed(2)}%`;
  if (c.significant === undefined) return 'significance unknown (no sample counts)';
  return c.significant ? `significant at ${level}` : `within the noise at ${level}`;
}

/** One side of an item: `8.1% · 164 ms · 130 samples`, or `—` when absent. */
export function sideText(s: DiffSide | undefined, total: { counts: boolean }): string {
  if (!s) return '—';
  const parts = [formatPercent(s.totalShare)];
  if (s.totalMs !== undefined) parts.push(formatDuration(s.totalMs));
  if (total.counts) parts.push(`${formatCount(s.total)} ${s.total === 1 ? 'sample' : 'samples'}`);
  return parts.join(' · ');
}

/** CodeLens title over a function: `pyprof Δ: −250 ms (−50%) · faster, significant`. */
export function lensDiffTitle(f: FunctionDiff, d: ProfileDiff): string {
  const c = f.change;
  const verdict = c.status === 'unchanged' ? 'no significant change' : c.significant === false ? `${c.status}, within the noise` : c.significant ? `${c.status}, significant` : c.status;
  return `pyprof Δ: ${changeText(c, d)} · ${verdict}`;
}

/** Hover / detail text with both figures, as markdown-free lines. */
export function itemDetail(item: ItemDiff, d: ProfileDiff): string[] {
  const c = item.change;
  const lines = [`base: ${sideText(item.base, d.base)}`, `new:  ${sideText(item.new, d.new)}`, `change: ${changeText(c, d)}, ${significanceText(c, d)}`];
  if (c.interval && Number.isFinite(c.interval.lo) && Number.isFinite(c.interval.hi)) {
    const fmt = (v: number) => (c.deltaMs !== undefined && d.mode === 'time' ? formatDeltaMs(v) : formatPoints(v));
    lines.push(`${+(d.confidence * 100).toFixed(2)}% interval: ${fmt(c.interval.lo)} … ${fmt(c.interval.hi)}`);
  }
  // the new share above is the plain one; the change is measured against the unchanged code
  if (d.normalisation?.by === 'unchanged') lines.push(`compared ${modeText(d)}`);
  return lines;
}

/** Normalisation in words, for headers. */
export function modeText(d: Pick<ProfileDiff, 'mode' | 'normalisation'>): string {
  if (d.mode === 'time') return 'by measured time';
  const n = d.normalisation;
  return n?.by === 'unchanged' ? `by share, normalised by the code that did not change (new shares ÷ ${n.scale.toFixed(3)})` : 'by share of all samples';
}
