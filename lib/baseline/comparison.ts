/**
 * What a comparison of two runs covers and says: the metric keys it compares, its tolerances and
 * options, and the serialisable result ({@link Comparison}) that the regression gate, the
 * side-by-side report and the renderers read. `compareRuns` (`baseline.ts`) produces it.
 */
import type { BootstrapOptions } from '../stats/bootstrap.ts';
import { parsePercentileKey } from '../stats/summary.ts';
import type { ToleranceOptions } from '../report/baseline.ts';

// The serialisable comparison is part of the report model; its types are declared there.
export { COMPARISON_SCHEMA, type Comparison, type MetricComparison, type RunRef, type ScenarioComparison, type ToleranceOptions, type Verdict } from '../report/baseline.ts';

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
