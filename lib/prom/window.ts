/**
 * Reading metric sets over one test's window: one `query_range` per metric, each with its own
 * outcome. A metric with no series is `absent` (never zero); a failed query is an `error` with its
 * reason while the others still run; when the server itself is unreachable or refuses the token,
 * the remaining metrics get that reason without waiting out one timeout each.
 */
import type { PromClient } from './client.ts';
import { PromError } from './prom-error.ts';
import { DEFAULT_SCRAPE_INTERVAL_S } from './settings.ts';
import type { PromLabels, PromPoint } from './result.ts';
import { flattenMetrics, renderQuery, type MetricDef, type MetricSet, type RunFilters } from './metric-sets.ts';
import type { MetricSummary, MetricWindowResult } from '../report/server-metrics.ts';

export type { MetricSummary, MetricWindowResult };

/** The time range of a test and the resolution to read it at. */
export interface MetricWindow {
  start: Date;
  end: Date;
  /** Seconds between points. */
  stepS: number;
  /** The server's scrape interval in seconds, for `$rate` (default 30, or the settings' value). */
  scrapeIntervalS?: number;
}

/** How to read a window. */
export interface QueryWindowOptions {
  /** Queries in flight at once. Default 4. */
  concurrency?: number;
  /** Cancels the remaining queries. */
  signal?: AbortSignal;
}

const EMPTY_SUMMARY: MetricSummary = { min: null, max: null, mean: null, last: null };

/**
 * Reads every metric of `sets` over `window` for the run's `filters`. Resolves with one result
 * per metric, in order; never rejects for a query or server failure (those are per-metric
 * `error`s), only for invalid metric definitions (a ConfigError).
 */
export async function queryWindow(
  client: Pick<PromClient, 'queryRange'>,
  sets: readonly (MetricSet | MetricDef)[],
  window: MetricWindow,
  filters: RunFilters = {},
  opts: QueryWindowOptions = {},
): Promise<MetricWindowResult[]> {
  const metrics = flattenMetrics(sets);
  const scrape = window.scrapeIntervalS ?? DEFAULT_SCRAPE_INTERVAL_S;
  const rateS = Math.max(window.stepS + scrape, 4 * scrape);
  const windowS = Math.max(rateS, (window.end.getTime() - window.start.getTime()) / 1000);
  const queries = metrics.map((m) => renderQuery(m, filters, { rateS, windowS }));
  const results: MetricWindowResult[] = new Array(metrics.length);
  let serverDown: string | null = null;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < metrics.length) {
      const i = next++;
      const m = metrics[i]!;
      const base = { name: m.name, unit: m.unit, query: queries[i]! };
      if (serverDown !== null) {
        results[i] = { ...base, status: 'error', reason: serverDown, series: [], summary: EMPTY_SUMMARY };
        continue;
      }
      try {
        const r = await client.queryRange(base.query, window.start, window.end, window.stepS, opts.signal);
        const series = r.series.filter((s) => s.points.length > 0).map((s) => ({ labels: s.labels, points: s.points }));
        results[i] = series.length
          ? { ...base, status: 'ok', series, summary: summarize(series) }
          : { ...base, status: 'absent', reason: 'no series matched in the window', series: [], summary: EMPTY_SUMMARY };
      } catch (err) {
        const reason = (err as Error).message;
        if (err instanceof PromError && err.affectsServer) serverDown = reason;
        results[i] = { ...base, status: 'error', reason, series: [], summary: EMPTY_SUMMARY };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, metrics.length) }, worker));
  return results;
}

/** The summary of a metric's series (non-finite points are skipped). */
export function summarize(series: ReadonlyArray<{ points: readonly PromPoint[] }>): MetricSummary {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  let lastT = -Infinity;
  let lastSum = 0;
  let lastN = 0;
  for (const s of series) {
    for (const [t, v] of s.points) {
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      n++;
      if (t > lastT) {
        lastT = t;
        lastSum = v;
        lastN = 1;
      } else if (t === lastT) {
        lastSum += v;
        lastN++;
      }
    }
  }
  if (n === 0) return EMPTY_SUMMARY;
  return { min, max, mean: sum / n, last: lastSum / lastN };
}
