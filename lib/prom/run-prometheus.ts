/**
 * A test's server metrics from Prometheus, read after the test ran (`source: 'prometheus'`).
 *
 * Scrape lag: the newest samples of the window exist only once Prometheus has scraped the
 * targets after the window's end. Before querying, this waits until
 * `min(timestamp(up{<run's targets>}))` (the latest scrape time of the run's slowest-scraped
 * target; every target when the run has no target filter) is past the window end, polling every
 * 0.5 s, for at most the scrape interval (`BENCH_PROMETHEUS_SCRAPE_INTERVAL_S`) + 2 s; then it
 * queries regardless (the last point may then be missing). No wait when no target of the run is
 * scraped at all (`up` has no such series). Unreachable or refusing Prometheus:
 * no wait, and every metric is reported `error` with that reason.
 *
 * Step: `max(1 s, min(scrape interval, 15 s), duration / 600)`: about one point per scrape, at
 * most 600 per series.
 */
import type { MeasuredTest } from '../report/model.ts';
import { PromClient } from './client.ts';
import { DEFAULT_LABEL_MAP, flattenMetrics, renderQuery, type MetricDef, type MetricSet } from './metric-sets.ts';
import { PromError } from './prom-error.ts';
import type { PromSettings } from './settings.ts';
import { queryWindow, type MetricWindowResult } from './window.ts';
import { MAX_POINTS_PER_SERIES, boundResult, missingOf, reportWindow, runFilters, testWindow, type ServerMetricsFilters, type ServerMetricsReport, type TestWindow } from './run-metrics.ts';

const POLL_MS = 500;

/** Reads the configured metrics over the test's window; never throws for a Prometheus failure. */
export async function readPrometheusMetrics(
  settings: PromSettings,
  sets: ReadonlyArray<MetricSet | MetricDef>,
  report: MeasuredTest,
  signal?: AbortSignal,
): Promise<ServerMetricsReport> {
  return readPrometheusWindow(settings, sets, await testWindow(report), runFilters(report.target), signal ? { signal } : {});
}

/**
 * Reads the configured metrics over any window (a benchmark test's, an actuation test's) for the
 * run's `filters`; never throws for a Prometheus failure. `waitFilters` chooses the targets whose
 * scrape past the window end is awaited (default: `filters`).
 */
export async function readPrometheusWindow(
  settings: PromSettings,
  sets: ReadonlyArray<MetricSet | MetricDef>,
  win: TestWindow,
  filters: ServerMetricsFilters,
  opts: { signal?: AbortSignal; waitFilters?: ServerMetricsFilters } = {},
): Promise<ServerMetricsReport> {
  const signal = opts.signal;
  const durationS = (win.end.getTime() - win.start.getTime()) / 1000;
  const stepS = Math.max(1, Math.min(settings.scrapeIntervalS, 15), Math.ceil(durationS / MAX_POINTS_PER_SERIES));
  const notes: string[] = [];
  if (win.approximate) notes.push(win.approximate);
  if (!filters.namespace && !filters.instance && !filters.podRegex) {
    notes.push('GPU series are not tied to this run (the target is an endpoint with no known namespace or pods): they cover every GPU this Prometheus sees');
  }
  const defs = withFilterLabels(flattenMetrics(sets), filters);
  const client = new PromClient(settings);
  let metrics: MetricWindowResult[];
  try {
    const down = await waitForScrape(client, opts.waitFilters ?? filters, win.end, (settings.scrapeIntervalS + 2) * 1000, signal);
    if (down) {
      const windowS = Math.max(1, durationS);
      metrics = defs.map((m) => ({
        name: m.name,
        unit: m.unit,
        query: renderQuery(m, queryFilters(filters), { rateS: windowS, windowS }),
        status: 'error' as const,
        reason: down,
        series: [],
        summary: { min: null, max: null, mean: null, last: null },
      }));
    } else {
      metrics = await queryWindow(client, defs, { start: win.start, end: win.end, stepS, scrapeIntervalS: settings.scrapeIntervalS }, queryFilters(filters), signal ? { signal } : {});
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  const bounded = metrics.map((m) => boundResult(m, win.start.getTime(), notes));
  return {
    source: 'prometheus',
    endpoint: settings.url,
    window: reportWindow(win, stepS),
    filters,
    metrics: bounded,
    missing: missingOf(bounded),
    notes,
  };
}

/**
 * The metric definitions with the `instance` filter applied: for the embedded simulator, the pod
 * filter's label becomes `instance` (matched exactly), so `$filters` selects the simulator's own
 * scrape target.
 */
function withFilterLabels(defs: MetricDef[], filters: ServerMetricsFilters): MetricDef[] {
  if (filters.instance === undefined) return defs;
  return defs.map((m) => ({ ...m, labels: { ...(m.labels ?? DEFAULT_LABEL_MAP), pod: 'instance' } }));
}

/** Waits for a scrape after `end`; resolves with the server-wide failure (unreachable, unauthorised) or null. */
async function waitForScrape(client: PromClient, filters: ServerMetricsFilters, end: Date, boundMs: number, signal?: AbortSignal): Promise<string | null> {
  const selector = upSelector(filters);
  const deadline = performance.now() + boundMs;
  for (;;) {
    try {
      const r = await client.query(`min(timestamp(up${selector}))`, undefined, signal);
      const t = r.resultType === 'vector' ? r.result[0]?.value : undefined;
      // No target of the run is scraped at all: nothing to wait for (its metrics will be absent).
      if (t === undefined || t * 1000 > end.getTime()) return null;
    } catch (err) {
      if (err instanceof PromError && err.affectsServer) return err.message;
      // A query problem here (an odd server) only costs the wait.
      return null;
    }
    if (performance.now() + POLL_MS > deadline || signal?.aborted) return null;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function upSelector(f: ServerMetricsFilters): string {
  const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  if (f.instance !== undefined) return `{instance="${esc(f.instance)}"}`;
  const m: string[] = [];
  if (f.namespace !== undefined) m.push(`namespace="${esc(f.namespace)}"`);
  if (f.podRegex !== undefined) m.push(`pod=~"${esc(f.podRegex)}"`);
  return m.length ? `{${m.join(',')}}` : '';
}

/** The filters as `queryWindow` applies them: the simulator's instance through the pod filter. */
export function queryFilters(f: ServerMetricsFilters): ServerMetricsFilters {
  return f.instance !== undefined ? { ...f, pods: [f.instance] } : f;
}
