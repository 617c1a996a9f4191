/**
 * Server metrics around one test's run, as the `bench` fixture uses them:
 * `startServerMetrics(...)` before the run (reads the settings, starts scraping when there is no
 * Prometheus), `finish(report)` after it (reads Prometheus over the window, or builds the series
 * from the scrapes). Configuration errors (a bad `BENCH_PROMETHEUS_*` or `BENCH_METRICS_*` value,
 * a metric defined twice) throw at the start, before anything is measured; a server that cannot
 * be read never fails the run: its metrics are `missing`, with the reason.
 */
import type { MetricsSection } from '../config/schema/scenario.ts';
import type { Env } from '../config/substitute.ts';
import type { MeasuredTest } from '../report/model.ts';
import { defaultMetricsUrl, metricsUrlsFromEnv } from '../server-metrics/measure.ts';
import { flattenMetrics } from './metric-sets.ts';
import { readPrometheusMetrics } from './run-prometheus.ts';
import { metricSetsOf, missingOf, reportWindow, runFilters, scrapeSettings, testWindow, type ServerMetricsReport } from './run-metrics.ts';
import { buildScrapeReport, MetricsScraper, safeUrl } from './run-scrape.ts';
import { promSettings } from './settings.ts';
import type { MetricWindowResult } from './window.ts';

/** What the session needs of the target (the `target` fixture's OpenedTarget fits). */
export interface ServerMetricsTarget {
  info: { model: string };
  http: { origin: string; displayUrl: string; requestHeaders: Record<string, string>; tlsConnectOptions?(): { ca?: string; rejectUnauthorized?: boolean } };
}

/** Server metrics being collected for one test. */
export interface ServerMetricsSession {
  /** `prometheus`, `scrape`, or `off` (no Prometheus and `BENCH_METRICS_SCRAPE=off`). */
  readonly source: 'prometheus' | 'scrape' | 'off';
  /** The section for the test's report (undefined when `off`); never rejects. */
  finish(report: MeasuredTest): Promise<ServerMetricsReport | undefined>;
  /** Stops scraping without a result (the run failed). */
  cancel(): void;
}

/**
 * Starts collecting for one test. `BENCH_METRICS_URL` (comma-separated) replaces the scraped
 * `/metrics` URL (default: the target's root + `/metrics`); the target's headers go only to its
 * own origin.
 * @throws ConfigError for a bad setting or metric definition.
 */
export function startServerMetrics(input: { target: ServerMetricsTarget; config?: MetricsSection; env?: Env; signal?: AbortSignal }): ServerMetricsSession {
  const env = input.env ?? process.env;
  const sets = metricSetsOf(input.config);
  const prom = promSettings(env);
  const failed = async (report: MeasuredTest, source: 'prometheus' | 'scrape', endpoint: string, err: unknown): Promise<ServerMetricsReport> => {
    const reason = `could not read server metrics: ${(err as Error).message}`;
    const metrics: MetricWindowResult[] = flattenMetrics(sets).map((m) => ({ name: m.name, unit: m.unit, query: m.query, status: 'error', reason, series: [], summary: { min: null, max: null, mean: null, last: null } }));
    const win = await testWindow(report);
    return { source, endpoint, window: reportWindow(win, 0), filters: runFilters(report.target), metrics, missing: missingOf(metrics), notes: [] };
  };
  if (prom) {
    return {
      source: 'prometheus',
      finish: (report) => readPrometheusMetrics(prom, sets, report, input.signal).catch((err: unknown) => failed(report, 'prometheus', prom.url, err)),
      cancel: () => undefined,
    };
  }
  const scrape = scrapeSettings(env);
  if (!scrape.enabled) return { source: 'off', finish: async () => undefined, cancel: () => undefined };
  const urls = metricsUrlsFromEnv(env) ?? [defaultMetricsUrl(input.target.http.displayUrl)];
  const origin = input.target.http.origin;
  const scraper = new MetricsScraper(
    { model: input.target.info.model, urls, headersFor: (url) => (sameOrigin(url, origin) ? input.target.http.requestHeaders : {}),
      tlsFor: (url) => (sameOrigin(url, origin) ? (input.target.http.tlsConnectOptions?.() ?? {}) : {}) },
    scrape.intervalS * 1000,
    input.signal,
  ).start();
  return {
    source: 'scrape',
    finish: async (report) => {
      try {
        return await buildScrapeReport(scraper, await scraper.stop(), sets, report);
      } catch (err) {
        return failed(report, 'scrape', urls.map(safeUrl).join(', '), err);
      }
    },
    cancel: () => scraper.cancel(),
  };
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}
