/**
 * The report section of the regression gate: a test's comparison with a baseline run
 * (`BENCH_BASELINE`), metric by metric with bootstrap confidence intervals. `lib/baseline`
 * computes it; `formatChange` is how every renderer writes a change.
 */

/**
 * Verdict of one metric:
 * - `regression`: the change is in the bad direction, beyond the tolerance, and the CI excludes 0
 *   on the bad side (both conditions; either alone is noise or an acceptable drift).
 * - `improvement`: the same in the good direction.
 * - `unchanged`: anything else (`significant` says whether the CI still excludes 0).
 * - `not comparable`: no change or no CI can be computed (`reason` says why): the metric exists in
 *   only one run, fewer than 2 samples on a side, a zero baseline, an empty window. Never a
 *   regression; the count is in `Comparison.notComparable` so a gate can decide.
 * - `too few samples`: a percentile with fewer than {@link MIN_TAIL_SAMPLES} samples beyond it in
 *   either run (p95 needs 200 requests, p99 1,000): the bootstrap cannot judge it. Never a regression.
 */
export type Verdict = 'regression' | 'improvement' | 'unchanged' | 'not comparable' | 'too few samples';

/** One metric × statistic of one scenario (or stage). */
export interface MetricComparison {
  /** `ttft`, `tpot`, `itl`, `e2e`, `throughput`, `success_rate`. */
  metric: string;
  /** `p50`, `p95`, `mean`, ...; `output` for throughput (output tokens/s), `rate` for the success rate. */
  stat: string;
  /** `ms`, `tok/s`, or `fraction` (success rate, 0..1). */
  unit: string;
  baseline: number | null;
  current: number | null;
  /** Relative change (current - baseline) / baseline; for the success rate, absolute (current - baseline). */
  change: number | null;
  changeKind: 'relative' | 'absolute';
  ci: [number, number] | null;
  /** Tolerance applied, in the unit of `change`. */
  tolerance: number;
  direction: 'lower_is_better' | 'higher_is_better';
  /** The CI excludes 0. */
  significant: boolean;
  verdict: Verdict;
  /** Why the verdict is `not comparable`; null otherwise. */
  reason: string | null;
  nBaseline: number;
  nCurrent: number;
}

/** Comparison of one scenario, or of one stage of it (`stage` set). */
export interface ScenarioComparison {
  scenario: string;
  stage: string | null;
  /** `no baseline`: the baseline has no such scenario (or stage); `metrics` is then empty. */
  status: 'compared' | 'no baseline';
  metrics: MetricComparison[];
}

/** Identity of a compared run. */
export interface RunRef {
  source: string;
  suite: string;
  stamp: string;
  targetKind: string | null;
  model: string | null;
}

/** The serialisable result of {@link compareRuns}. */
export interface Comparison {
  schema: typeof COMPARISON_SCHEMA;
  baseline: RunRef;
  current: RunRef;
  confidence: number;
  resamples: number;
  seed: number;
  tolerances: ToleranceOptions;
  scenarios: ScenarioComparison[];
  /** Scenarios in the baseline but not in the current run (not compared). */
  baselineOnly: string[];
  /** Things that make the comparison less meaningful (target kind or model changed). */
  warnings: string[];
  regressions: number;
  improvements: number;
  notComparable: number;
}

/**
 * Tolerances: how large a change may be before it counts as a regression (or improvement).
 * `default` applies to the relative metrics (latencies, throughput: 0.1 = 10%). `perMetric` keys
 * are `<metric>.<stat>` (`ttft.p95`), `<metric>` (all its statistics: `ttft`, `throughput`) or
 * `success_rate`; the most specific key wins. The success rate is in absolute points (0.01 = one
 * percentage point) and never takes `default`: without its own key it uses
 * {@link SUCCESS_RATE_TOLERANCE}.
 */
export interface ToleranceOptions {
  default: number;
  perMetric: Record<string, number>;
}

/** `schema` of a {@link Comparison}. */
export const COMPARISON_SCHEMA = 'vitest-llm-d/comparison@1';

/** A change as every view of a comparison prints it: `+26.2%` (relative), `-1.00 pp` (absolute: the success rate), `-` for none. */
export function formatChange(c: number | null, kind: MetricComparison['changeKind']): string {
  if (c === null) return '-';
  if (!Number.isFinite(c)) return c > 0 ? '+inf%' : '-inf%';
  const sign = c > 0 ? '+' : c < 0 ? '-' : '';
  const p = Math.abs(c * 100);
  return kind === 'absolute' ? `${sign}${p.toFixed(2)} pp` : `${sign}${p >= 1000 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** What the gate found for one test (`TestReport.baseline`). */
export interface BaselineOutcome {
  /** The baseline as given (`BENCH_BASELINE`, resolved). */
  source: string;
  /** The comparison of this test's scenario (and its stages); null when the baseline could not be used. */
  comparison: Comparison | null;
  /** The failure message listing each regression; null when none regressed. */
  message: string | null;
  /** Why the baseline could not be used (missing, unreadable, another suite, no such scenario). */
  error: string | null;
}
