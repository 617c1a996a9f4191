/**
 * Server metrics of one test: the GPU, vLLM and controller series over the test's window, as
 * `TestReport.serverMetrics` carries them to every reporter.
 *
 * Two sources, one shape ({@link ServerMetricsReport}):
 * - `prometheus` (when `BENCH_PROMETHEUS_URL` or `BENCH_PROMETHEUS_CLUSTER_DOMAIN` is set): after
 *   the test's run, every metric of the configured sets is read with `query_range` over the
 *   measured window, filtered to the run (see {@link runFilters}); `lib/prom/run-prometheus.ts`.
 * - `scrape` (no Prometheus): the target's own `/metrics` is scraped on a timer while the test
 *   runs (`BENCH_METRICS_SCRAPE_INTERVAL_S`, default 1 s; `BENCH_METRICS_SCRAPE=off` disables it);
 *   gauges become series, counters rates over each interval; `lib/prom/run-scrape.ts`.
 *
 * Time in the report: every point is `[seconds since window.start, value]` (not unix time), so the
 * JSON stays small and a chart's x axis is the test's own time; `window.start` (ISO 8601 UTC) is
 * the anchor. `window.start`/`end` are the measured phase (warm-up excluded): `report.timestamp`
 * and `timestamp + run.durationS`.
 *
 * Size bounds: at most {@link MAX_SERIES_PER_METRIC} series per metric (the rest dropped, with a
 * note; the summary still covers every series) and {@link MAX_POINTS_PER_SERIES} points per series
 * (evenly decimated, first and last kept).
 *
 * Secrets: the report holds the Prometheus base URL without credentials (credentials in
 * `BENCH_PROMETHEUS_URL` are refused) and never the token; reasons come from `PromClient`, which
 * scrubs the token from any server text.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { MetricsSection } from '../config/schema/scenario.ts';
import type { Env } from '../config/substitute.ts';
import { settings } from '../settings/registry.ts';
import type { TestReport } from '../report/model.ts';
import { CONTROLLER_METRICS, GPU_METRICS, VLLM_METRICS, flattenMetrics, type MetricDef, type MetricSet, type RunFilters } from './metric-sets.ts';
import { summarize, type MetricSummary, type MetricWindowResult } from './window.ts';
import type { ServerMetricsFilters, ServerMetricsReport, StageWindow } from '../report/server-metrics.ts';

export type { ServerMetricsFilters, ServerMetricsReport, StageWindow };

/** Most points kept per series; longer series are decimated evenly (first and last point kept). */
export const MAX_POINTS_PER_SERIES = 600;
/** Most series kept per metric (by label order); the rest are dropped with a note. */
export const MAX_SERIES_PER_METRIC = 16;

/** The configured metric sets: `metrics.sets` (default gpu, vllm, controller) then `metrics.extra`. */
export function metricSetsOf(config: MetricsSection | undefined): Array<MetricSet | MetricDef> {
  const byName: Record<string, MetricSet> = { gpu: GPU_METRICS, vllm: VLLM_METRICS, controller: CONTROLLER_METRICS };
  const sets: Array<MetricSet | MetricDef> = (config?.sets ?? ['gpu', 'vllm', 'controller']).map((n) => byName[n]!);
  for (const m of config?.extra ?? []) sets.push({ name: m.name, unit: m.unit, query: m.query });
  // Fails now (ConfigError naming the metric) on a name defined twice, before anything is measured.
  flattenMetrics(sets);
  return sets;
}

/** `BENCH_METRICS_SCRAPE` and `BENCH_METRICS_SCRAPE_INTERVAL_S`: whether to scrape without Prometheus, and how often (s). */
export function scrapeSettings(env: Env): { enabled: boolean; intervalS: number } {
  const s = settings(env);
  const intervalS = s.get('BENCH_METRICS_SCRAPE_INTERVAL_S');
  return { enabled: s.get('BENCH_METRICS_SCRAPE'), intervalS };
}

/**
 * The label filters tying series to the run behind `target`:
 * - always the served model (`model_name` on vLLM series);
 * - a provisioned stack (`BENCH_PROVISION`): its namespace and its Deployment's pods (`<deployment>-.*`);
 * - the embedded simulator: Prometheus' `instance` = its `host:port` (what a scrape config pointed at it writes);
 * - any other endpoint: the model only (GPU series then are not tied to the run: a note says so).
 */
export function runFilters(target: TestReport['target']): ServerMetricsFilters {
  const out: ServerMetricsFilters = { model: target.model };
  const pv = target.provisioned;
  if (pv) {
    out.namespace = pv.namespace;
    out.podRegex = `${pv.deployment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-.*`;
  } else if (target.kind === 'simulator') {
    try {
      out.instance = new URL(target.baseUrl).host;
    } catch {
      // A simulator always has a URL; without one, the model alone filters.
    }
  }
  return out;
}

/** The measured window of a test and of each stage, from its report and request records. */
export interface TestWindow {
  start: Date;
  end: Date;
  stages: Array<{ label: string; start: Date; end: Date }>;
  /** Set when the stage windows could not be read from the request records and were laid end to end. */
  approximate?: string;
}

/**
 * The test's measured window: from `timestamp` for `run.durationS`. Each stage's window is its
 * measurement window (first measured intended send to last measured end, as the stage's
 * `durationS`), read from the run's lines of `requests.jsonl`; when those cannot be read, stages
 * are laid end to end from the start, each `durationS` long (and `approximate` says why).
 */
export async function testWindow(report: Pick<TestReport, 'timestamp' | 'run' | 'stages' | 'runDir' | 'files' | 'suite' | 'scenario'>): Promise<TestWindow> {
  const start = new Date(report.timestamp);
  const end = new Date(start.getTime() + report.run.durationS * 1000);
  const anchor = Date.parse(report.run.clock.wallTime);
  let bounds: Map<number, { from: number; to: number }> | null = null;
  let approximate: string | undefined;
  try {
    bounds = await stageBounds(join(report.runDir, report.files.requests), `${report.suite}-${report.scenario}-${report.run.clock.hrtimeUs.toString(36)}-`);
  } catch (err) {
    approximate = `stage windows laid end to end (request records unreadable: ${(err as Error).message})`;
  }
  let cursor = start.getTime();
  const stages = report.stages.map((st, k) => {
    const b = bounds?.get(k);
    if (b) return { label: st.label, start: new Date(anchor + b.from), end: new Date(anchor + b.to) };
    if (bounds && !approximate) approximate = `stage windows without requests laid end to end`;
    const s = { label: st.label, start: new Date(cursor), end: new Date(Math.min(end.getTime(), cursor + st.durationS * 1000)) };
    cursor = s.end.getTime();
    return s;
  });
  return { start, end, stages, ...(approximate ? { approximate } : {}) };
}

/** Per reported stage: earliest measured `intended_ms` and latest `end_ms` (ms from the clock anchor). */
async function stageBounds(path: string, prefix: string): Promise<Map<number, { from: number; to: number }>> {
  const out = new Map<number, { from: number; to: number }>();
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (!line.includes(`"request_id":"${prefix}`)) continue;
    let r: { warmup?: unknown; stage?: unknown; intended_ms?: unknown; end_ms?: unknown };
    try {
      r = JSON.parse(line) as typeof r;
    } catch {
      continue;
    }
    if (r.warmup === true || typeof r.stage !== 'number' || typeof r.intended_ms !== 'number') continue;
    const to = typeof r.end_ms === 'number' ? r.end_ms : r.intended_ms;
    const b = out.get(r.stage);
    if (!b) out.set(r.stage, { from: r.intended_ms, to });
    else {
      if (r.intended_ms < b.from) b.from = r.intended_ms;
      if (to > b.to) b.to = to;
    }
  }
  return out;
}

/**
 * A metric's result made report-sized, times relative to `startMs`: the summary computed on every
 * series first, then at most {@link MAX_SERIES_PER_METRIC} series (sorted by labels) of at most
 * {@link MAX_POINTS_PER_SERIES} points. `absoluteTimes` says the points are unix seconds (Prometheus)
 * rather than seconds since the start already.
 */
export function boundResult(r: MetricWindowResult, startMs: number, notes: string[], absoluteTimes = true): MetricWindowResult {
  if (r.status !== 'ok') return r;
  const summary: MetricSummary = summarize(r.series);
  const sorted = [...r.series].sort((a, b) => labelText(a.labels).localeCompare(labelText(b.labels)));
  if (sorted.length > MAX_SERIES_PER_METRIC) notes.push(`${r.name}: ${sorted.length} series, the first ${MAX_SERIES_PER_METRIC} by labels kept (the summary covers all)`);
  const series = sorted.slice(0, MAX_SERIES_PER_METRIC).map((s) => ({
    labels: s.labels,
    points: decimate(s.points).map(([t, v]): [number, number] => [Math.round((absoluteTimes ? t - startMs / 1000 : t) * 1000) / 1000, v]),
  }));
  return { ...r, series, summary };
}

/** At most {@link MAX_POINTS_PER_SERIES} points, evenly spaced in index, first and last kept. */
export function decimate<T>(points: readonly T[], max = MAX_POINTS_PER_SERIES): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.round((i * (points.length - 1)) / (max - 1))]!);
  return out;
}

function labelText(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** The `missing` list of a set of results: every metric not `ok`, with its reason. */
export function missingOf(metrics: readonly MetricWindowResult[]): Array<{ name: string; reason: string }> {
  return metrics.filter((m) => m.status !== 'ok').map((m) => ({ name: m.name, reason: m.reason ?? m.status }));
}

/** The window part of a report. */
export function reportWindow(w: TestWindow, stepS: number): ServerMetricsReport['window'] {
  return {
    start: w.start.toISOString(),
    end: w.end.toISOString(),
    stepS,
    stages: w.stages.map((s) => ({ label: s.label, start: s.start.toISOString(), end: s.end.toISOString() })),
  };
}

/**
 * What a test reads of its server metrics: `result.serverMetrics` of a `bench.run`.
 *
 * ```ts
 * const result = await bench.run(suite.scenario('latency_benchmark'));
 * expect(result.serverMetrics.metric('gpu.memoryUsedMiB')?.summary.max).toBeLessThan(70_000);
 * expect(result.serverMetrics.summary('vllm.requestsWaiting').max).toBe(0); // throws with the reason when absent
 * ```
 */
export class ServerMetricsView {
  constructor(
    /** The report's section; undefined when nothing was read (`BENCH_METRICS_SCRAPE=off` without Prometheus). */
    readonly report: ServerMetricsReport | undefined,
  ) {}

  /** The metric by name (e.g. `gpu.memoryUsedMiB`), whatever its status; undefined when it was not configured or nothing was read. */
  metric(name: string): MetricWindowResult | undefined {
    return this.report?.metrics.find((m) => m.name === name);
  }

  /** A metric's summary; throws an Error saying why when it has no data (absent, failed, not read). */
  summary(name: string): MetricSummary {
    const m = this.metric(name);
    if (!this.report) throw new Error(`no server metrics were read for this test (no Prometheus configured and BENCH_METRICS_SCRAPE=off)`);
    if (!m) throw new Error(`no server metric ${JSON.stringify(name)}; metrics: ${this.report.metrics.map((x) => x.name).join(', ') || 'none'}`);
    if (m.status !== 'ok') throw new Error(`server metric ${name} has no data (${m.status}): ${m.reason ?? ''}`);
    return m.summary;
  }

  /** Metrics with no data and why. */
  get missing(): Array<{ name: string; reason: string }> {
    return this.report?.missing ?? [];
  }
}
