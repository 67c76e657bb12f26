// Data for the RSS-over-time chart in the flame panel (like mprof's plot): the profile's memory
// timeline downsampled to at most `maxPoints` points, keeping each bucket's minimum and maximum
// so short spikes (and the peak) survive, plus the labels the chart prints. Pure: the webview
// script (media/rssChart.js) only draws what this returns.

import type { MemoryPoint } from '../../profile/model';
import { formatMemory } from '../../profile/memoryStats';

export interface RssChartData {
  /** [ms from start, bytes] pairs in time order, at most maxPoints of them. */
  points: Array<[number, number]>;
  maxBytes: number;
  /** ms from start at which the maximum was first reached. */
  maxT: number;
  minBytes: number;
  durationMs: number;
  /** `max RSS 212.4 MB at 1.25 s` */
  maxLabel: string;
  /** `RSS` or, for a tracemalloc recording, `RSS (tracemalloc run)` — what the y axis shows. */
  title: string;
  /** y axis: bytes from 0 to a round top at or above the maximum, with their labels (bottom first). */
  yTicks: Array<{ bytes: number; label: string }>;
  /** x axis: ms from start with their labels (`0 s`, `1 s`, … or ms for short runs). */
  xTicks: Array<{ ms: number; label: string }>;
}

/** A "nice" step (1, 2 or 5 × 10^k) so that about `count` steps cover `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** 0 … a round top ≥ max in 2–4 steps of a round number of MB (KB, GB) — like mprof's y axis. */
export function bytesTicks(maxBytes: number): Array<{ bytes: number; label: string }> {
  const unit = maxBytes >= 1024 ** 3 ? 1024 ** 3 : maxBytes >= 1024 ** 2 ? 1024 ** 2 : maxBytes >= 1024 ? 1024 : 1;
  const name = unit === 1024 ** 3 ? 'GB' : unit === 1024 ** 2 ? 'MB' : unit === 1024 ? 'KB' : 'B';
  const step = niceStep(Math.max(maxBytes / unit, 1e-9), 3);
  const top = Math.max(step, Math.ceil(maxBytes / unit / step - 1e-9) * step);
  const out: Array<{ bytes: number; label: string }> = [];
  for (let v = 0; v <= top + step / 2; v += step) out.push({ bytes: v * unit, label: `${Number(v.toFixed(3))} ${name}` });
  return out;
}

/** 0 … duration in about 5 round steps of s (or ms below 2 s). */
export function timeTicks(durationMs: number): Array<{ ms: number; label: string }> {
  const inSeconds = durationMs >= 2000;
  const span = inSeconds ? durationMs / 1000 : Math.max(durationMs, 1);
  const step = niceStep(span, 5);
  const out: Array<{ ms: number; label: string }> = [];
  for (let v = 0; v <= span + 1e-9; v += step) out.push({ ms: inSeconds ? v * 1000 : v, label: `${Number(v.toFixed(3))} ${inSeconds ? 's' : 'ms'}` });
  return out;
}

export const MAX_CHART_POINTS = 1000;

/** Downsamples by time buckets, emitting each bucket's min and max in time order. */
export function rssChartData(memory: readonly MemoryPoint[] | undefined, maxPoints = MAX_CHART_POINTS, title = 'RSS'): RssChartData | undefined {
  const pts = (memory ?? []).filter((p) => Number.isFinite(p.t) && Number.isFinite(p.rssBytes)).slice().sort((a, b) => a.t - b.t);
  if (pts.length === 0) return undefined;
  const limit = Math.max(2, Math.floor(maxPoints));
  let maxBytes = -Infinity;
  let minBytes = Infinity;
  let maxT = 0;
  for (const p of pts) {
    if (p.rssBytes > maxBytes) {
      maxBytes = p.rssBytes;
      maxT = p.t;
    }
    if (p.rssBytes < minBytes) minBytes = p.rssBytes;
  }
  const t0 = pts[0].t;
  const durationMs = pts[pts.length - 1].t - t0;
  let points: Array<[number, number]>;
  if (pts.length <= limit) points = pts.map((p) => [p.t, p.rssBytes]);
  else {
    const buckets = Math.floor(limit / 2);
    const span = durationMs > 0 ? durationMs : 1;
    points = [];
    let i = 0;
    for (let b = 0; b < buckets && i < pts.length; b++) {
      const end = b === buckets - 1 ? Infinity : t0 + ((b + 1) * span) / buckets;
      let lo: MemoryPoint | undefined;
      let hi: MemoryPoint | undefined;
      for (; i < pts.length && pts[i].t < end; i++) {
        const p = pts[i];
        if (!lo || p.rssBytes < lo.rssBytes) lo = p;
        if (!hi || p.rssBytes > hi.rssBytes) hi = p;
      }
      if (!lo || !hi) continue;
      if (lo === hi) points.push([lo.t, lo.rssBytes]);
      else if (lo.t <= hi.t) points.push([lo.t, lo.rssBytes], [hi.t, hi.rssBytes]);
      else points.push([hi.t, hi.rssBytes], [lo.t, lo.rssBytes]);
    }
  }
  return {
    points,
    maxBytes,
    maxT,
    minBytes,
    durationMs,
    maxLabel: `max ${title} ${formatMemory(maxBytes)} at ${(maxT / 1000).toFixed(2)} s`,
    title,
    yTicks: bytesTicks(maxBytes),
    xTicks: timeTicks(durationMs),
  };
}
