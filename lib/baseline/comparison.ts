/**
 * What a comparison of two runs covers and says: the metric keys it compares, its tolerances and
 * options, and the serialisable result ({@link Comparison}) that the regression gate, the
 * side-by-side report and the renderers read. `compareRuns` (`baseline.ts`) produces it.
 */
import type { BootstrapOptions } from '../stats/bootstrap.ts';
import { parsePercentileKey } from '../stats/summary.ts';

/** `schema` of a {@link Comparison}. */
export const COMPARISON_SCHEMA = 'vitest-llm-d/comparison@1';

/** The latency metrics, compared by percentile or mean. */
export const LATENCY = ['ttft', 'tpot', 'itl', 'e2e'] as const;
export type LatencyName = (typeof LATENCY)[number];
/** Every metric a comparison can cover. */
export const COMPARABLE_METRICS = [...LATENCY, 'throughput', 'success_rate'] as const;

/** Metric × statistic compared by default. */
export const DEFAULT_COMPARED: readonly string[] = [
  'ttft.p50',
  'ttft.p95',
  'ttft.p99',
  'tpot.p50',
  'tpot.p95',
  'tpot.p99',
  'itl.p50',
  'itl.p95',
  'e2e.p50',
  'e2e.p95',
  'e2e.p99',
  'throughput',
  'success_rate',
];

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

/** Relative tolerance of latencies and throughput unless configured: 10%. */
export const DEFAULT_RELATIVE_TOLERANCE = 0.1;
/** Success-rate tolerance unless configured: 1 percentage point. */
export const SUCCESS_RATE_TOLERANCE = 0.01;
/** Tolerances when nothing is configured. */
export const DEFAULT_TOLERANCE: ToleranceOptions = { default: DEFAULT_RELATIVE_TOLERANCE, perMetric: {} };

/** Options of `compareRuns` (`baseline.ts`); bootstrap defaults: 95%, 1000 resamples, seed 1. */
export interface CompareOptions extends BootstrapOptions {
  tolerance?: ToleranceOptions;
  /** Metric × statistic keys (`ttft.p95`, `e2e.mean`, `throughput`, `success_rate`); default {@link DEFAULT_COMPARED}. */
  metrics?: readonly string[];
  /** Also compare stage by stage (stages matched by label). Default true. */
  stages?: boolean;
}

/**
 * Verdict of one metric:
 * - `regression`: the change is in the bad direction, beyond the tolerance, and the CI excludes 0
 *   on the bad side (both conditions; either alone is noise or an acceptable drift).
 * - `improvement`: the same in the good direction.
 * - `unchanged`: anything else (`significant` says whether the CI still excludes 0).
 * - `not comparable`: no change or no CI can be computed (`reason` says why): the metric exists in
 *   only one run, fewer than 2 samples on a side, a zero baseline, an empty window. Never a
 *   regression; the count is in `Comparison.notComparable` so a gate can decide.
 * - `too few samples`: a percentile with fewer than `MIN_TAIL_SAMPLES` (`baseline.ts`) samples beyond it in
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

/** The serialisable result of `compareRuns` (`baseline.ts`). */
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

/** A compared key split into metric and statistic; throws RangeError for unknown keys. */
export function parseMetricKey(key: string): { metric: string; stat: string } {
  const [metric, stat, extra] = key.split('.');
  if (extra === undefined && metric !== undefined) {
    if (metric === 'throughput' && stat === undefined) return { metric, stat: 'output' };
    if (metric === 'success_rate' && stat === undefined) return { metric, stat: 'rate' };
    if ((LATENCY as readonly string[]).includes(metric) && stat !== undefined && (stat === 'mean' || parsePercentileKey(stat) !== null))
      return { metric, stat };
  }
  throw new RangeError(`unknown metric "${key}": expected ttft|tpot|itl|e2e with .p50/.p95/.p99/.mean, throughput or success_rate`);
}
