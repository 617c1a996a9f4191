/**
 * Server metrics without Prometheus (`source: 'scrape'`): the target's vLLM `/metrics` scraped on
 * a timer while the test runs, then turned into the same {@link ServerMetricsReport} shape.
 *
 * - The timer is off the hot path: one HTTP GET per URL per tick on its own connection (never the
 *   benchmark's pool), at most one tick in flight (a slow scrape delays the next, never piles up),
 *   and only the samples of the families read below are kept.
 * - Gauges become series as scraped: `vllm:num_requests_running`, `vllm:num_requests_waiting`,
 *   `vllm:kv_cache_usage_perc`, and the `DCGM_FI_DEV_*` GPU series when the endpoint has them.
 * - Counters become rates over each interval between consecutive scrapes of one URL:
 *   `vllm.requestSuccessRate` = Δ`vllm:request_success_total` / Δt (1/s, per `finished_reason`),
 *   `vllm.prefixCacheHitRate` = Δ`vllm:prefix_cache_hits_total` / Δ`vllm:prefix_cache_queries_total`
 *   (tokens; NaN, i.e. null in JSON, over an interval with no queries, as Prometheus gives it);
 *   a counter that went down (a restart) gives no point for that interval.
 * - A point's time is when its scrape's response was complete, in seconds since the measured
 *   window's start; points from the warm-up (before the start) are dropped, and the scrape that
 *   closes the window (up to one interval after its end) is kept.
 * - Series of a model other than the target's (`model_name`) are skipped; every series gets an
 *   `instance` label (the URL's host:port), as Prometheus would add.
 * - A URL answering 4xx (no `/metrics`, e.g. a hosted API) is not scraped again; every metric is
 *   then reported `error` with that answer, and the run is unaffected.
 * Metrics that only a PromQL query can give (the controller set, a scenario's `metrics.extra`) are
 * `absent` with that reason.
 */
import type { MeasuredTest } from '../report/model.ts';
import type { PromSample } from '../server-metrics/prom-text.ts';
import { scrapeMetrics } from '../server-metrics/scrape.ts';
import { flattenMetrics, type MetricDef, type MetricSet } from './metric-sets.ts';
import type { PromLabels, PromPoint } from './result.ts';
import { boundResult, missingOf, reportWindow, runFilters, testWindow, type ServerMetricsReport } from './run-metrics.ts';
import type { MetricWindowResult } from './window.ts';

/** Gauges by result name: the sample read. */
const GAUGES: Record<string, string> = {
  'gpu.utilizationPct': 'DCGM_FI_DEV_GPU_UTIL',
  'gpu.memoryUsedMiB': 'DCGM_FI_DEV_FB_USED',
  'gpu.memoryFreeMiB': 'DCGM_FI_DEV_FB_FREE',
  'gpu.powerW': 'DCGM_FI_DEV_POWER_USAGE',
  'vllm.requestsRunning': 'vllm:num_requests_running',
  'vllm.requestsWaiting': 'vllm:num_requests_waiting',
  'vllm.kvCacheUsage': 'vllm:kv_cache_usage_perc',
};
const SUCCESS = 'vllm:request_success_total';
const HITS = 'vllm:prefix_cache_hits_total';
const QUERIES = 'vllm:prefix_cache_queries_total';
const KEPT = new Set([...Object.values(GAUGES), SUCCESS, HITS, QUERIES]);

/** One scrape of one URL, reduced to the families read. */
interface Sample {
  url: number;
  atMs: number;
  samples: PromSample[];
}

/** What the scraper needs of the target. */
export interface ScrapeTargetInfo {
  model: string;
  /** `/metrics` URLs (every replica behind a gateway); see `defaultMetricsUrl`. */
  urls: string[];
  /** Request headers for a URL (the target's own only on its own origin). */
  headersFor(url: string): Record<string, string>;
  /** TLS options for a URL (the target's own only on its own origin). */
  tlsFor?(url: string): { ca?: string; rejectUnauthorized?: boolean };
}

/** Scrapes the URLs every `intervalMs` from {@link start} until {@link stop}. */
export class MetricsScraper {
  private readonly scrapes: Sample[] = [];
  /** First failure per URL; a 4xx also stops that URL's scrapes. */
  readonly failures = new Map<number, string>();
  private readonly dead = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> | null = null;
  private stopped = false;

  constructor(
    readonly target: ScrapeTargetInfo,
    readonly intervalMs: number,
    private readonly signal?: AbortSignal,
  ) {}

  /** Scrapes now, then every interval. */
  start(): this {
    this.tick();
    return this;
  }

  /** Stops the timer, waits for a scrape in flight, scrapes once more (closing the window). */
  async stop(): Promise<Sample[]> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inflight;
    await this.scrapeAll();
    return this.scrapes;
  }

  /** Stops without a last scrape (the run failed). */
  cancel(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private tick(): void {
    if (this.stopped) return;
    this.inflight = this.scrapeAll().finally(() => {
      this.inflight = null;
      if (this.stopped) return;
      this.timer = setTimeout(() => this.tick(), this.intervalMs);
      this.timer.unref();
    });
  }

  private async scrapeAll(): Promise<void> {
    await Promise.all(
      this.target.urls.map(async (url, i) => {
        if (this.dead.has(i)) return;
        const r = await scrapeMetrics(url, { headers: this.target.headersFor(url), ...(this.target.tlsFor ? { tls: this.target.tlsFor(url) } : {}), timeoutMs: Math.max(2000, this.intervalMs * 2), samples: KEPT, ...(this.signal ? { signal: this.signal } : {}) });
        if (r.ok) {
          this.scrapes.push({ url: i, atMs: r.atMs, samples: r.samples.filter((s) => KEPT.has(s.name)) });
          return;
        }
        if (!this.failures.has(i)) this.failures.set(i, `GET ${safeUrl(url)}: ${r.reason}`);
        if (/^HTTP 4\d\d/.test(r.reason)) this.dead.add(i);
      }),
    );
  }
}

/** The URL without credentials, for reports. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

/** The test's report section from the scrapes. */
export async function buildScrapeReport(scraper: MetricsScraper, scrapes: readonly Sample[], sets: ReadonlyArray<MetricSet | MetricDef>, report: MeasuredTest): Promise<ServerMetricsReport> {
  const win = await testWindow(report);
  const clock = report.run.clock;
  const startPerf = clock.perfMs + (win.start.getTime() - Date.parse(clock.wallTime));
  const durationS = (win.end.getTime() - win.start.getTime()) / 1000;
  const intervalS = scraper.intervalMs / 1000;
  const urls = scraper.target.urls;
  const notes: string[] = [];
  if (win.approximate) notes.push(win.approximate);
  const rel = (atMs: number): number => (atMs - startPerf) / 1000;
  const inWindow = (t: number): boolean => t >= 0 && t <= durationS + intervalS;
  const model = scraper.target.model;
  const ofModel = (s: PromSample): boolean => s.labels.model_name === undefined || s.labels.model_name === model;
  const seen = new Set(scrapes.flatMap((s) => s.samples.map((x) => x.name)));
  const failed = urls.map((_, i) => scraper.failures.get(i)).filter((x): x is string => x !== undefined);
  const withInstance = (labels: Record<string, string>, url: number): PromLabels => ({ ...labels, instance: hostOf(urls[url]!) });

  const gauge = (sample: string): Array<{ labels: PromLabels; points: PromPoint[] }> => {
    const series = new Map<string, { labels: PromLabels; points: PromPoint[] }>();
    for (const sc of scrapes) {
      const t = rel(sc.atMs);
      if (!inWindow(t)) continue;
      for (const s of sc.samples) {
        if (s.name !== sample || !ofModel(s)) continue;
        const labels = withInstance(s.labels, sc.url);
        const key = JSON.stringify(labels);
        let e = series.get(key);
        if (!e) series.set(key, (e = { labels, points: [] }));
        e.points.push([t, s.value]);
      }
    }
    return [...series.values()];
  };
  /** Per series (labels, URL): `value(cur) - value(prev)` over consecutive scrapes, turned into a point by `f`. */
  const deltas = (names: string[], f: (d: number[], dtS: number) => number): Array<{ labels: PromLabels; points: PromPoint[] }> => {
    const series = new Map<string, { labels: PromLabels; points: PromPoint[] }>();
    const prev = new Map<number, Sample>();
    for (const sc of scrapes) {
      const before = prev.get(sc.url);
      prev.set(sc.url, sc);
      if (!before) continue;
      const t = rel(sc.atMs);
      if (!inWindow(t)) continue;
      const value = (s: Sample, name: string, labels: Record<string, string>): number | undefined =>
        s.samples.find((x) => x.name === name && JSON.stringify(x.labels) === JSON.stringify(labels))?.value;
      for (const s of sc.samples) {
        if (s.name !== names[0] || !ofModel(s)) continue;
        const d: number[] = [];
        for (const n of names) {
          const a = value(before, n, s.labels);
          const b = value(sc, n, s.labels);
          if (a === undefined || b === undefined || b < a) break;
          d.push(b - a);
        }
        if (d.length !== names.length) continue;
        const labels = withInstance(s.labels, sc.url);
        const key = JSON.stringify(labels);
        let e = series.get(key);
        if (!e) series.set(key, (e = { labels, points: [] }));
        e.points.push([t, f(d, (sc.atMs - before.atMs) / 1000)]);
      }
    }
    return [...series.values()];
  };

  const read: Record<string, { query: string; needs: string[]; series: () => Array<{ labels: PromLabels; points: PromPoint[] }> }> = {
    'vllm.requestSuccessRate': { query: `Δ${SUCCESS} / Δt per scrape interval`, needs: [SUCCESS], series: () => deltas([SUCCESS], ([d], dt) => d! / dt) },
    'vllm.prefixCacheHitRate': { query: `Δ${HITS} / Δ${QUERIES} per scrape interval`, needs: [HITS, QUERIES], series: () => deltas([HITS, QUERIES], ([h, q]) => h! / q!) },
  };
  for (const [name, sample] of Object.entries(GAUGES)) read[name] = { query: `${sample} (gauge as scraped)`, needs: [sample], series: () => gauge(sample) };

  const metrics: MetricWindowResult[] = flattenMetrics(sets).map((m) => {
    const base = { name: m.name, unit: m.unit, series: [], summary: { min: null, max: null, mean: null, last: null } };
    const how = read[m.name];
    if (!how) return { ...base, query: m.query, status: 'absent', reason: 'a PromQL metric, read only from Prometheus (set BENCH_PROMETHEUS_URL or BENCH_PROMETHEUS_CLUSTER_DOMAIN)' };
    if (scrapes.length === 0) return { ...base, query: how.query, status: 'error', reason: failed.join('; ') || 'no scrape completed' };
    const missingName = how.needs.find((n) => !seen.has(n));
    if (missingName) return { ...base, query: how.query, status: 'absent', reason: `${missingName} is not on ${urls.map(safeUrl).join(', ')}` };
    const series = how.series().filter((s) => s.points.length > 0);
    if (series.length === 0) return { ...base, query: how.query, status: 'absent', reason: `no sample in the window${m.name === 'vllm.requestSuccessRate' || m.name === 'vllm.prefixCacheHitRate' ? ' (a rate needs two scrapes)' : ''}` };
    return boundResult({ ...base, query: how.query, status: 'ok', series }, 0, notes, false);
  });
  if (scrapes.length > 0 && failed.length > 0) notes.push(`some scrapes failed: ${failed.join('; ')}`);
  return {
    source: 'scrape',
    endpoint: urls.map(safeUrl).join(', '),
    window: reportWindow(win, intervalS),
    filters: { model: runFilters(report.target).model ?? model },
    metrics,
    missing: missingOf(metrics),
    notes,
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
