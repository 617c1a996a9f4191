import { prngFor } from './prng.ts';
import { Draws } from './random-variates.ts';
import { drawMean, type PreparedSamples, planOf, prepareSamples } from './resample-statistic.ts';

/**
 * Seeded bootstrap confidence intervals for the change of a statistic between two independent
 * sample sets: A, the baseline run, and B, the current run. Used by the regression gate across
 * releases (`lib/baseline/baseline.ts`).
 *
 * Definitions.
 * - Relative change of a statistic S: (S(B) - S(A)) / |S(A)|; +0.2 means B is 20% higher.
 * - Absolute change of a proportion p (success rate): p(B) - p(A), in points of 1 (0.01 = 1 pp).
 * - Bootstrap: each of `resamples` rounds draws n_A values from A and n_B from B with replacement,
 *   computes the change on the two resamples, and the two-sided CI at `confidence` is the
 *   percentile-method interval of those changes: their (1-c)/2 and (1+c)/2 percentiles, by
 *   numpy's linear interpolation (`percentile` in summary.ts). The point estimate is the change on
 *   the original samples.
 *
 * How a resample's statistic is drawn without building the resample:
 * - Percentiles and the mean: `lib/stats/resample-statistic.ts` (exact for percentiles; exact for
 *   the mean within a draw budget, Cornish-Fisher beyond it).
 * - Proportion: the number of successes in a resample is Binomial(n, p) with p the observed rate,
 *   drawn exactly by Knuth's beta splitting (O(log n) beta variates, `Draws.binomial`).
 *
 * Caveat: samples are treated as independent. Pooled inter-token latencies (ITL) are clustered by
 * request, so their intervals are narrower than a request-level bootstrap would give.
 *
 * Accuracy of the percentile method itself: for medians and upper percentiles of a few hundred
 * samples or more, coverage is close to nominal (the test checks 95% intervals cover in 90-98% of
 * repetitions); for extreme percentiles of small samples (p99 of 50 requests) the interval is
 * driven by the one or two largest samples and is wide, as it should be.
 */

/** Defaults of every bootstrap here. */
export const BOOTSTRAP_DEFAULTS = { confidence: 0.95, resamples: 1000, seed: 1 } as const;

/** Options of a bootstrap. */
export interface BootstrapOptions {
  /** Two-sided confidence level, in (0, 1). Default 0.95. */
  confidence?: number;
  /** Bootstrap rounds (>= 10). Default 1000. */
  resamples?: number;
  /** Seed of the generator (splitmix32): the same seed and inputs give the same interval. Default 1. */
  seed?: number;
}

/** The change of one statistic from A (baseline) to B (current), with its bootstrap interval. */
export interface ChangeInterval {
  /** `p50`, `p95`, `mean`, `rate` (sum over a fixed window) or `proportion`. */
  statistic: string;
  /** `relative`: (S(B) - S(A)) / |S(A)|. `absolute`: S(B) - S(A) (proportions, in points of 1). */
  kind: 'relative' | 'absolute';
  /** S(A) and S(B) on the original samples; null when that set is empty. */
  baseline: number | null;
  current: number | null;
  /** Point estimate of the change; null when undefined (an empty set, or S(A) = 0 < |S(B)|). */
  change: number | null;
  /** Percentile-method interval [lo, hi] at `confidence`; null with fewer than 2 samples on a side or no change. */
  ci: [number, number] | null;
  nBaseline: number;
  nCurrent: number;
  confidence: number;
  resamples: number;
  /** Why `change` or `ci` is null (one line), else null. */
  note: string | null;
}

interface Resolved {
  confidence: number;
  resamples: number;
  seed: number;
}

function resolve(options: BootstrapOptions): Resolved {
  const confidence = options.confidence ?? BOOTSTRAP_DEFAULTS.confidence;
  const resamples = options.resamples ?? BOOTSTRAP_DEFAULTS.resamples;
  const seed = options.seed ?? BOOTSTRAP_DEFAULTS.seed;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be within (0, 1), got ${confidence}`);
  if (!Number.isSafeInteger(resamples) || resamples < 10) throw new RangeError(`resamples must be an integer >= 10, got ${resamples}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  return { confidence, resamples, seed };
}

/** Relative change (b - a) / |a|; 0 when both are 0, +-Infinity when only a is. */
function relative(a: number, b: number): number {
  if (a === 0) return b === 0 ? 0 : b > 0 ? Infinity : -Infinity;
  return (b - a) / Math.abs(a);
}

/** The percentile-method interval of `changes` (sorted in place); copes with infinite changes. */
function intervalOf(changes: Float64Array, confidence: number): [number, number] {
  changes.sort();
  const at = (q: number): number => {
    const h = (changes.length - 1) * q;
    const lo = Math.floor(h);
    const a = changes[lo]!;
    const b = changes[Math.min(lo + 1, changes.length - 1)]!;
    if (a === b) return a;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return h - lo < 0.5 ? a : b;
    return a + (h - lo) * (b - a);
  };
  return [at((1 - confidence) / 2), at((1 + confidence) / 2)];
}

/** Why no interval can be given for sizes nA, nB; null when both have at least 2 samples. */
function tooFew(nA: number, nB: number): string | null {
  const side = (n: number, name: string): string | null =>
    n === 0 ? `no samples in the ${name}` : n < 2 ? `only 1 sample in the ${name}: no confidence interval (needs at least 2)` : null;
  return side(nA, 'baseline') ?? side(nB, 'current run');
}

/** Common frame: point estimate, size checks, then `resamples` rounds of `round()` (the resample change). */
function run(
  statistic: string,
  kind: ChangeInterval['kind'],
  pointA: number | null,
  pointB: number | null,
  nA: number,
  nB: number,
  o: Resolved,
  round: () => number,
): ChangeInterval {
  const out: ChangeInterval = {
    statistic,
    kind,
    baseline: pointA,
    current: pointB,
    change: null,
    ci: null,
    nBaseline: nA,
    nCurrent: nB,
    confidence: o.confidence,
    resamples: o.resamples,
    note: null,
  };
  if (pointA === null || pointB === null) {
    out.note = tooFew(nA, nB);
    return out;
  }
  if (kind === 'absolute') out.change = pointB - pointA;
  else if (pointA === 0 && pointB !== 0) {
    out.note = `baseline ${statistic} is 0: relative change undefined`;
    return out;
  } else out.change = relative(pointA, pointB);
  const few = tooFew(nA, nB);
  if (few !== null) {
    out.note = few;
    return out;
  }
  const changes = new Float64Array(o.resamples);
  for (let i = 0; i < o.resamples; i++) changes[i] = round();
  out.ci = intervalOf(changes, o.confidence);
  return out;
}

/** The generators of side A and side B for a seed: two unrelated splitmix32 streams. */
function drawsOf(seed: number): [Draws, Draws] {
  return [new Draws(prngFor(seed, 0)), new Draws(prngFor(seed, 1))];
}

/**
 * Relative change of `statistic` (`mean`, or a percentile key `p50`, `p95`, `p99`, `p99_9`) from
 * sample set A (baseline) to B (current), with its bootstrap CI; see the module comment for the
 * method. Pass `prepareSamples` results to reuse one sort across several statistics. Deterministic
 * for a seed.
 */
export function bootstrapChange(
  a: ArrayLike<number> | PreparedSamples,
  b: ArrayLike<number> | PreparedSamples,
  statistic: string,
  options: BootstrapOptions = {},
): ChangeInterval {
  const o = resolve(options);
  const plan = planOf(statistic);
  const sa = prepareSamples(a);
  const sb = prepareSamples(b);
  const [ga, gb] = drawsOf(o.seed);
  return run(statistic, 'relative', plan.point(sa), plan.point(sb), sa.n, sb.n, o, () =>
    relative(plan.draw(sa, ga, o.resamples), plan.draw(sb, gb, o.resamples)),
  );
}

/** {@link bootstrapChange} for several statistics of the same two sets, sorting each set once. */
export function bootstrapChanges(
  a: ArrayLike<number> | PreparedSamples,
  b: ArrayLike<number> | PreparedSamples,
  statistics: readonly string[],
  options: BootstrapOptions = {},
): ChangeInterval[] {
  const sa = prepareSamples(a);
  const sb = prepareSamples(b);
  return statistics.map((s) => bootstrapChange(sa, sb, s, options));
}

/** Successes out of a total: a proportion's raw data. */
export interface ProportionSample {
  successes: number;
  total: number;
}

/**
 * Absolute change of a proportion (success rate = successes / total) from A to B, in points of 1
 * (-0.02 = two percentage points lower), with its bootstrap CI: each round draws the successes of
 * each resample as Binomial(total, observed rate), exactly. A rate of 1 (or 0) on both sides gives
 * the interval [0, 0]: the bootstrap sees no variation, so pair it with a tolerance.
 */
export function bootstrapProportionChange(a: ProportionSample, b: ProportionSample, options: BootstrapOptions = {}): ChangeInterval {
  for (const [s, name] of [
    [a, 'baseline'],
    [b, 'current'],
  ] as const) {
    if (!Number.isSafeInteger(s.total) || s.total < 0 || !Number.isSafeInteger(s.successes) || s.successes < 0 || s.successes > s.total)
      throw new RangeError(`${name} proportion must have integer 0 <= successes <= total, got ${s.successes}/${s.total}`);
  }
  const o = resolve(options);
  const pa = a.total > 0 ? a.successes / a.total : null;
  const pb = b.total > 0 ? b.successes / b.total : null;
  const [ga, gb] = drawsOf(o.seed);
  return run('proportion', 'absolute', pa, pb, a.total, b.total, o, () => gb.binomial(b.total, pb!) / b.total - ga.binomial(a.total, pa!) / a.total);
}

/** Per-item values summed over a fixed window: a rate's raw data (e.g. output tokens per request, window in s). */
export interface RateSample {
  /** One value per item (request); failed requests count 0 tokens but still count as items. */
  values: ArrayLike<number> | PreparedSamples;
  /** The denominator, fixed under resampling (e.g. the measurement window in seconds); > 0. */
  window: number;
}

/**
 * Relative change of a ratio of sums with a fixed denominator, rate = sum(values) / window
 * (throughput: output tokens / measurement window), from A to B, with its bootstrap CI: each round
 * resamples the items (requests) with replacement and keeps the window, so rate* = n mean* /
 * window, with mean* drawn as for the `mean` statistic. The window does not vary, so the interval
 * reflects how the values vary across items only: with the same output tokens for every request it
 * collapses to the point estimate, and a verdict on it rests on the tolerance alone.
 */
export function bootstrapRateChange(a: RateSample, b: RateSample, options: BootstrapOptions = {}): ChangeInterval {
  for (const [s, name] of [
    [a, 'baseline'],
    [b, 'current'],
  ] as const) {
    if (!(s.window > 0 && Number.isFinite(s.window))) throw new RangeError(`${name} window must be a positive number, got ${s.window}`);
  }
  const o = resolve(options);
  const sa = prepareSamples(a.values);
  const sb = prepareSamples(b.values);
  const rate = (s: PreparedSamples, window: number, mean: number | null): number | null => (mean === null ? null : (mean * s.n) / window);
  const [ga, gb] = drawsOf(o.seed);
  return run('rate', 'relative', rate(sa, a.window, sa.mean), rate(sb, b.window, sb.mean), sa.n, sb.n, o, () =>
    relative((drawMean(sa, ga, o.resamples) * sa.n) / a.window, (drawMean(sb, gb, o.resamples) * sb.n) / b.window),
  );
}

/**
 * The bootstrap distribution of `statistic` (`mean` or a percentile key) of one sample set: its
 * value on each of `resamples` resamples, drawn as `bootstrapChange` draws them (for checks and
 * plots; the intervals above do not need it). Empty input gives an empty array.
 */
export function bootstrapDistribution(
  values: ArrayLike<number> | PreparedSamples,
  statistic: string,
  options: Pick<BootstrapOptions, 'resamples' | 'seed'> = {},
): Float64Array {
  const o = resolve(options);
  const plan = planOf(statistic);
  const s = prepareSamples(values);
  const out = new Float64Array(s.n === 0 ? 0 : o.resamples);
  const g = new Draws(prngFor(o.seed, 0));
  for (let i = 0; i < out.length; i++) out[i] = plan.draw(s, g, o.resamples);
  return out;
}
