// Confidence intervals for comparing sample counts of two profiles. Pure.
//
// A sampling profiler's count for a function is, to a good approximation, binomial: each of the n
// samples lands in the function with probability p = its share of the time. So:
// - share mode (default): the difference of two shares p2 − p1 gets Newcombe's hybrid score
//   interval (method 10 of Newcombe 1998, built from the two Wilson score intervals), which stays
//   sensible for small counts and shares near 0 or 1, where the textbook z-test does not;
// - time mode: counts are Poisson in the time spent, so given x1 + x2 samples in total, x2 is
//   binomial with p = (t2/i2) / (t1/i1 + t2/i2) (i = ms per sample). A Wilson interval on that p
//   becomes an interval on the time ratio t2/t1.
// A change is significant when its interval excludes "no change". The level is 99.9% by default
// rather than 95%: one comparison tests every function and line at once (hundreds of tests), and at
// 95% about one unchanged function in twenty would be flagged at random.

/** Two-sided normal quantile for a confidence level (0.5 < level < 1), by Acklam's rational approximation. */
export function zForConfidence(level: number): number {
  if (!(level > 0.5 && level < 1)) throw new RangeError(`confidence level must be between 0.5 and 1, got ${level}`);
  const p = 1 - (1 - level) / 2;
  // Acklam's inverse normal CDF (relative error < 1.2e-9), upper region and central region.
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  if (p > 0.97575) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

export const DEFAULT_CONFIDENCE = 0.999;

export interface Interval {
  lo: number;
  hi: number;
}

/** Wilson score interval for x successes in n trials. n = 0 gives [0, 1]. */
export function wilson(x: number, n: number, z: number): Interval {
  if (!(n > 0)) return { lo: 0, hi: 1 };
  const p = x / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/** Newcombe's hybrid score interval for p2 − p1 (x1 of n1 vs x2 of n2). */
export function shareDifferenceInterval(x1: number, n1: number, x2: number, n2: number, z: number): Interval {
  const p1 = n1 > 0 ? x1 / n1 : 0;
  const p2 = n2 > 0 ? x2 / n2 : 0;
  const w1 = wilson(x1, n1, z);
  const w2 = wilson(x2, n2, z);
  const d = p2 - p1;
  return {
    lo: d - Math.sqrt((p2 - w2.lo) ** 2 + (w1.hi - p1) ** 2),
    hi: d + Math.sqrt((w2.hi - p2) ** 2 + (p1 - w1.lo) ** 2),
  };
}

/**
 * Interval for the time ratio t2 / t1 from counts x1, x2 at ms-per-sample i1, i2 (Poisson counts,
 * conditioned on their sum). hi is Infinity when x1 = 0 (nothing in the base to compare with).
 */
export function timeRatioInterval(x1: number, i1: number, x2: number, i2: number, z: number): Interval {
  const n = x1 + x2;
  if (!(n > 0)) return { lo: 0, hi: Infinity };
  const w = wilson(x2, n, z);
  // p = x2/n estimates (t2/i2) / (t1/i1 + t2/i2), so t2/t1 = p/(1−p) · i2/i1.
  const ratio = (p: number) => (p >= 1 ? Infinity : (p / (1 - p)) * (i2 / i1));
  return { lo: ratio(w.lo), hi: ratio(w.hi) };
}
