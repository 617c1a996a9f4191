import { parsePercentileKey, percentile } from './summary.ts';
import type { Draws } from './random-variates.ts';

/**
 * A sample set prepared for the bootstrap (sorted once, with its moments), and how one bootstrap
 * resample's statistic is drawn without building the resample (exactness stated per case):
 * - Percentile (p50, p95, ...): the numpy-linear percentile of a resample of size n is
 *   x*(k) + f (x*(k+1) - x*(k)) with k = floor((n-1)q) + 1 and f its fraction, where x*(k) is the
 *   resample's k-th order statistic. Drawing n indices uniformly from 1..n and keeping the k-th
 *   smallest is the same as ceil(n U(k)) with U(k) the k-th smallest of n uniforms on (0,1), and
 *   U(k) ~ Beta(k, n+1-k); given U(k), U(k+1) = U(k) + (1 - U(k)) Beta(1, n-k). So x*(k) and
 *   x*(k+1) are x[ceil(n U(k))] and x[ceil(n U(k+1))] of the sorted sample: the exact bootstrap
 *   distribution (up to 53-bit uniforms), at O(1) per resample (two gamma variates, Marsaglia and
 *   Tsang) after one sort. The only error is the Monte Carlo error of `resamples` rounds.
 * - Mean, and a sum over a fixed window (throughput): exact index resampling while
 *   n x resamples <= 2^23 draws; beyond that, the resample mean is drawn from its Cornish-Fisher
 *   form mean + (s / sqrt n)(z + (g / 6)(z^2 - 1)), z standard normal, s the population standard
 *   deviation and g = skewness / sqrt n the skewness of the resample mean. This matches the exact
 *   bootstrap distribution's first three moments; its quantiles are off by O(1/n) relative to the
 *   standard error (with n > 8,000 at 1,000 resamples: well under the Monte Carlo error).
 */

/** Exact index resampling of a mean while n x resamples stays within this many draws. */
export const EXACT_MEAN_BUDGET = 2 ** 23;

/** A sample set sorted once, with the moments the mean's bootstrap needs. */
export interface PreparedSamples {
  /** The values, ascending. */
  readonly sorted: Float64Array;
  readonly n: number;
  /** Mean, population standard deviation (ddof = 0) and skewness (m3 / sd^3; 0 when sd = 0); null when empty. */
  readonly mean: number | null;
  readonly sd: number | null;
  readonly skewness: number | null;
}

/** Sorts `values` (not modified) and computes mean, standard deviation and skewness. */
export function prepareSamples(values: ArrayLike<number> | PreparedSamples): PreparedSamples {
  if (isPrepared(values)) return values;
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { sorted, n, mean: null, sd: null, skewness: null };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i]! - mean;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= n;
  m3 /= n;
  const sd = Math.sqrt(m2);
  return { sorted, n, mean, sd, skewness: sd > 0 ? m3 / sd ** 3 : 0 };
}

function isPrepared(x: ArrayLike<number> | PreparedSamples): x is PreparedSamples {
  return (x as PreparedSamples).sorted instanceof Float64Array && typeof (x as PreparedSamples).n === 'number';
}

/** A statistic of a sample set and how to draw it from a bootstrap resample. */
export interface StatisticPlan {
  /** The statistic on the original samples; null when empty. */
  point(s: PreparedSamples): number | null;
  /** The statistic on one bootstrap resample of `s` (n >= 1). */
  draw(s: PreparedSamples, g: Draws, resamples: number): number;
}

/** A percentile key (`p95`, `p99_9`) or `mean`; throws for anything else. */
export function planOf(statistic: string): StatisticPlan {
  if (statistic === 'mean') {
    return { point: (s) => s.mean, draw: drawMean };
  }
  const q = parsePercentileKey(statistic);
  if (q === null) throw new RangeError(`unknown statistic "${statistic}": expected mean or a percentile key like p95`);
  return {
    point: (s) => percentile(s.sorted, q),
    draw: (s, g) => drawPercentile(s, q, g),
  };
}

/** The numpy-linear percentile q of a bootstrap resample of `s`, from its order statistics (see the module comment). */
function drawPercentile(s: PreparedSamples, q: number, g: Draws): number {
  const n = s.n;
  const x = s.sorted;
  const h = ((n - 1) * q) / 100;
  const lo = Math.floor(h);
  const f = h - lo;
  const k = lo + 1;
  const u1 = k === 1 ? g.betaOneB(n) : k === n ? g.betaAOne(n) : g.beta(k, n + 1 - k);
  const v1 = x[indexOf(u1, n)]!;
  if (f === 0 || k >= n) return v1;
  const u2 = u1 + (1 - u1) * g.betaOneB(n - k);
  return v1 + f * (x[indexOf(u2, n)]! - v1);
}

/** 0-based index ceil(n u) - 1 of a uniform u, clamped to the sample. */
function indexOf(u: number, n: number): number {
  const i = Math.ceil(n * u) - 1;
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** The mean of a bootstrap resample: exact within the draw budget, Cornish-Fisher beyond it. */
export function drawMean(s: PreparedSamples, g: Draws, resamples: number): number {
  const n = s.n;
  if (n * resamples <= EXACT_MEAN_BUDGET) {
    const x = s.sorted;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x[g.below(n)]!;
    return sum / n;
  }
  const z = g.normal();
  const skew = s.skewness! / Math.sqrt(n);
  // Clamped so z -> z + skew/6 (z^2 - 1) stays monotone over |z| < 6.
  const c = Math.max(-0.25, Math.min(0.25, skew / 6));
  return s.mean! + (s.sd! / Math.sqrt(n)) * (z + c * (z * z - 1));
}

