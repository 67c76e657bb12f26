// Confidence intervals for comparing sample counts of two profiles. Pure.
//
// The model. A sampling profiler's count for an item (function, line, call path) is x of the n
// samples of a run; its share is p = x/n. If samples were independent, x would be binomial and:
// - share mode (default): the difference of two shares p2 − p1 gets Newcombe's hybrid score
//   interval (method 10 of Newcombe 1998, built from the two Wilson score intervals), which stays
//   sensible for small counts and shares near 0 or 1, where the textbook z-test does not;
// - time mode: counts are Poisson in the time spent, so given x1 + x2 samples in total, x2 is
//   binomial with p = (t2/i2) / (t1/i1 + t2/i2) (i = ms per sample). A Wilson interval on that p
//   becomes an interval on the time ratio t2/t1.
// Samples are not independent: a program spends stretches of its run in one phase, a descheduled
// program leaves many samples of one frozen stack. So each item's variance is measured from its own
// profile by batch means (batchMeans.ts): the run is cut into B consecutive time blocks, and the
// spread of the item's share between blocks gives the variance of its share over the whole run
// (the ratio estimator's linearised variance, as in survey sampling with blocks as clusters). The
// ratio of that variance to the binomial one is the item's design effect (Kish); the intervals
// above then use the effective counts x/deff of n/deff (Korn & Graubard 1998 for Wilson intervals
// under complex sampling), with deff multiplied by (t_{B−1}/z)² so that a variance estimated from
// only B blocks widens the interval as a Student t would. deff is never below 1: blocks that agree
// better than independent samples would (a periodic program sampled at a steady rate) do not make
// the interval narrower than the binomial one. Without a timeline (collapsed stacks, pprof, austin)
// or with too few samples for B blocks, deff = 1: the binomial / Poisson interval.
// A change is significant when its interval excludes no change and it amounts to at least
// MIN_EFFECT_SAMPLES samples (a minimum effect): a difference of a few samples (3 vs 5) is never
// reported, whatever the variance model says. The level is 99.9% by default rather than 95%: one
// comparison tests every function and line at once (hundreds of tests), and at 95% about one
// unchanged function in twenty would be flagged at random.

/** A change smaller than this many samples (of the profile whose samples weigh more) is never significant. */
export const MIN_EFFECT_SAMPLES = 5;

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

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error < 1e-13). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61503916999185, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** Upper tail P(T > t) of Student's t with df degrees of freedom, t ≥ 0. */
export function studentUpperTail(t: number, df: number): number {
  return 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** Two-sided Student t quantile for a confidence level (the t for which P(|T| ≤ t) = level), by bisection. */
export function tForConfidence(level: number, df: number): number {
  const z = zForConfidence(level);
  if (!Number.isFinite(df) || df > 1e6) return z;
  if (!(df >= 1)) throw new RangeError(`degrees of freedom must be at least 1, got ${df}`);
  const tail = (1 - level) / 2;
  let lo = z; // t ≥ z always
  let hi = z;
  while (studentUpperTail(hi, df) > tail) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-10 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentUpperTail(mid, df) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * An item's design effect from batch means: its count in each of B consecutive blocks of the run
 * (`counts`) and every block's total (`sizes`). share: the variance of p = Σx/Σn between blocks over
 * the binomial p(1−p)/n; time: the variance of the count over the Poisson one (x). Multiplied by
 * (t_{B−1}/z)² for a variance estimated from B blocks, and never below 1. 1 for an item absent from
 * the blocks or present in all of them (no spread to estimate).
 */
export function batchDesignEffect(counts: ArrayLike<number>, sizes: ArrayLike<number>, mode: 'share' | 'time', dfFactor: number): number {
  const blocks = sizes.length;
  if (blocks < 2) return 1;
  let x = 0;
  let n = 0;
  for (let b = 0; b < blocks; b++) {
    x += counts[b];
    n += sizes[b];
  }
  if (!(n > 0) || !(x > 0)) return 1;
  const p = x / n;
  // Σ (x_b − p n_b)²: the residuals of the ratio estimator, B/(B−1) for the one fitted ratio.
  let ss = 0;
  for (let b = 0; b < blocks; b++) ss += (counts[b] - p * sizes[b]) ** 2;
  const spread = (ss * blocks) / (blocks - 1);
  // share: Var(p) = spread/n² against p(1−p)/n; time: Var(x) = spread against x.
  const independent = mode === 'share' ? x * (1 - p) : x;
  if (!(independent > 0)) return 1;
  return Math.max(1, (spread / independent) * dfFactor);
}

/**
 * Variance of log(x / R) on one side, where x is an item's count and R the count of the samples the
 * comparison normalises by (diffNormalise.ts: the code that did not change, or all samples), `o` of
 * them shared (samples counted in both: the item's samples whose innermost function is in the
 * reference). Independent samples (Poisson counts o, x − o, R − o; delta method):
 *   o (1/x − 1/R)² + (x − o)/x² + (R − o)/R²
 * which is the binomial (1 − p)/x of a plain share when R is all samples (o = x), and 1/x + 1/R for
 * an item outside the reference. With the profile's time blocks, batch means measure it instead:
 * the spread of x_b − q R_b (q = x/R) between blocks, B/(B − 1) Σ(…)² / x², multiplied by the
 * degrees-of-freedom factor, and never below the independent figure. Returns both, so the caller
 * can report the design effect (measured / independent).
 */
export function ratioLogVariance(
  x: number,
  overlap: number,
  reference: number,
  blocks: { counts: ArrayLike<number>; reference: ArrayLike<number> } | undefined,
  dfFactor: number,
): { variance: number; independent: number } {
  if (!(x > 0) || !(reference > 0)) return { variance: Infinity, independent: Infinity };
  const o = Math.min(overlap, x, reference);
  const independent = o * (1 / x - 1 / reference) ** 2 + (x - o) / (x * x) + (reference - o) / (reference * reference);
  let variance = independent;
  const B = blocks?.reference.length ?? 0;
  if (blocks && B >= 2) {
    const q = x / reference;
    let ss = 0;
    for (let b = 0; b < B; b++) ss += (blocks.counts[b] - q * blocks.reference[b]) ** 2;
    variance = Math.max(independent, ((ss * B) / (B - 1) / (x * x)) * dfFactor);
  }
  return { variance, independent };
}
