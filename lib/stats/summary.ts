/**
 * Pure statistics over exact samples (for bounded memory over long runs, see `SampleStore`; for
 * merging across processes, `LogHistogram`). Percentiles interpolate linearly between order statistics
 * (numpy's default `linear` method: rank h = (n - 1) * q / 100, value = x[floor h] + (h - floor h) *
 * (x[floor h + 1] - x[floor h])). Standard deviation is the population one (numpy's default,
 * ddof = 0), as inference-perf and the llm-d benchmark report use it.
 */

/**
 * Percentiles every summary carries unless configured otherwise: the set the llm-d benchmark
 * report's Statistics object has (p0.1, p1, p5, p10, p25, p50, p75, p90, p95, p99, p99.9), so
 * `benchmark-report/*.json` fills every field from computed values.
 */
export const DEFAULT_PERCENTILES: readonly number[] = [0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9];

/**
 * Statistics of one metric. Empty sample sets have `count: 0` and null values. A summary without
 * `exact` is exact (every sample kept); one from a histogram (a sample store past its cap, or
 * histograms merged across processes) has `exact: false` and says how far its percentiles may be
 * off. `count`, `mean`, `min` and `max` are exact either way.
 */
export interface Summary {
  count: number;
  mean: number | null;
  stddev: number | null;
  min: number | null;
  max: number | null;
  /** Keyed by `percentileKey(q)`: `p50`, `p95`, `p99_9`, ... */
  percentiles: Record<string, number | null>;
  /** False when the percentiles are estimated from a histogram; absent (never true) when exact. */
  exact?: false;
  /**
   * With `exact: false`: bound on the relative error of each percentile (0.0009765625 is 0.098%):
   * |estimate - exact| <= relativeError x |exact| (for a percentile between samples of opposite
   * signs, x the larger magnitude of the two).
   */
  relativeError?: number;
}

/** The key a percentile is stored under: 50 → `p50`, 99.9 → `p99_9`. */
export function percentileKey(q: number): string {
  return `p${String(q).replace('.', '_')}`;
}

/** Linear-interpolated percentile `q` (0-100) of ascending `sorted`; null when empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile must be within 0..100, got ${q}`);
  const h = ((n - 1) * q) / 100;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  if (lo + 1 >= n) return a;
  return a + (h - lo) * (sorted[lo + 1]! - a);
}

/**
 * Placeholder views of sample stores that no longer hold their samples (see `SampleBuffer.view`),
 * each with the store's own summary, so `summarize(buffer.view())` stays right past the cap.
 */
const standIns = new WeakMap<object, (percentiles: readonly number[]) => Summary>();

/** Makes `summarize(view)` return `by(percentiles)`: for `SampleBuffer.view` after folding only. */
export function registerStandIn(view: object, by: (percentiles: readonly number[]) => Summary): void {
  standIns.set(view, by);
}

/** Summary of `samples` (any order; not modified). */
export function summarize(samples: ArrayLike<number>, percentiles: readonly number[] = DEFAULT_PERCENTILES): Summary {
  const standIn = standIns.get(samples);
  if (standIn !== undefined) return standIn(percentiles);
  const n = samples.length;
  const sorted = Float64Array.from(samples).sort();
  const out: Summary = { count: n, mean: null, stddev: null, min: null, max: null, percentiles: {} };
  for (const q of percentiles) out.percentiles[percentileKey(q)] = percentile(sorted, q);
  if (n === 0) return out;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (sorted[i]! - mean) ** 2;
  out.mean = mean;
  out.stddev = Math.sqrt(sq / n);
  out.min = sorted[0]!;
  out.max = sorted[n - 1]!;
  return out;
}

/**
 * A summary's value by stat name: `mean`, `stddev`, `min`, `max` or a percentile key like `p95`.
 * Null when the sample set is empty or the percentile was not computed (see `parsePercentileKey`).
 */
export function statOf(summary: Summary, stat: string): number | null {
  switch (stat) {
    case 'mean':
      return summary.mean;
    case 'stddev':
      return summary.stddev;
    case 'min':
      return summary.min;
    case 'max':
      return summary.max;
    default:
      return summary.percentiles[stat] ?? null;
  }
}

/** The percentile a key names: `p95` → 95, `p99_9` → 99.9; null if `key` is not a percentile key. */
export function parsePercentileKey(key: string): number | null {
  const m = /^p(\d{1,2}(?:_\d+)?|100)$/.exec(key);
  return m ? Number(m[1]!.replace('_', '.')) : null;
}
