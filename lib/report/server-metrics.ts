/**
 * Report sections of what the server said about a test: its metrics over the test's window
 * (from Prometheus, or scraped from the target's `/metrics`; `lib/prom`) and the prefix-cache
 * reading of a `shared_prefix` test (`lib/server-metrics`).
 */

/** A series' label set (`__name__` included when the query kept it). */
export type PromLabels = Record<string, string>;

/** One point: `[unix time in seconds, value]`. */
export type PromPoint = [number, number];

/** min / max / mean over every finite point of every series, and `last`; null without a finite point. */
export interface MetricSummary {
  min: number | null;
  max: number | null;
  mean: number | null;
  /**
   * The value at the latest time any series has a finite point: that series' value, or the
   * mean of several series' values at that same time.
   */
  last: number | null;
}

/** One metric over the window. */
export interface MetricWindowResult {
  name: string;
  unit: string;
  /** The PromQL that was run (filters and durations filled in). */
  query: string;
  /** `ok`: series found; `absent`: the query matched no series; `error`: see `reason`. */
  status: 'ok' | 'absent' | 'error';
  /** Why it is absent or failed (one line, no token). */
  reason?: string;
  /** Points as Prometheus gave them (`NaN` and infinities kept; JSON turns them into null). */
  series: Array<{ labels: PromLabels; points: PromPoint[] }>;
  summary: MetricSummary;
}

/** What ties the series to this run. Every field is optional; an absent one filters nothing. */
export interface RunFilters {
  /** Kubernetes namespace of the run's pods. */
  namespace?: string;
  /** Exact names of the run's pods (matched as a regex alternation, each name escaped). */
  pods?: readonly string[];
  /** A pod-name regex (RE2, fully anchored by Prometheus), used when `pods` is not given. */
  podRegex?: string;
  /** Served model name (vLLM's `model_name` label). */
  model?: string;
}

/** What tied the series to the run: {@link RunFilters}, plus the scrape target for the embedded simulator. */
export interface ServerMetricsFilters extends RunFilters {
  /** Prometheus' `instance` label (`host:port` of the simulator), matched exactly. */
  instance?: string;
}

/** One stage's window (ISO 8601 UTC), in the order of `TestReport.stages`. */
export interface StageWindow {
  label: string;
  start: string;
  end: string;
}

/**
 * The server metrics of one test (`TestReport.serverMetrics`; summary.json `server_metrics`).
 *
 * `metrics` holds one entry per configured metric, in set order, each with `status`
 * (`ok`, `absent`: no series; `error`: the read failed) and, when not `ok`, a `reason`.
 * Series points are `[t, value]` with `t` in **seconds since `window.start`** (rounded to the ms)
 * and `value` a number (`null` in JSON where Prometheus said NaN, e.g. a hit rate with no queries).
 *
 * `summary` of a metric (computed before any series or point was dropped) is over every finite
 * point of every series in the window: `min`, `max`, `mean` (the arithmetic mean of the points; the
 * points are evenly spaced, `stepS` apart, so for a gauge this is its time-weighted mean over the
 * window, pooled over series: with 2 GPUs, the mean per GPU), and `last` (the value at the latest
 * point; the mean over series sharing that time).
 */
export interface ServerMetricsReport {
  source: 'prometheus' | 'scrape';
  /** The Prometheus base URL, or the scraped `/metrics` URL(s) comma-separated; never with credentials. */
  endpoint: string;
  window: {
    /** Measured phase start, ISO 8601 UTC: the time origin of every point. */
    start: string;
    end: string;
    /** Seconds between points (the range query's step, or the scrape interval). */
    stepS: number;
    stages: StageWindow[];
  };
  filters: ServerMetricsFilters;
  metrics: MetricWindowResult[];
  /** Every metric with no data, and why (status `absent` or `error`). */
  missing: Array<{ name: string; reason: string }>;
  /** What the reader should know: series dropped, filters not tying GPU series to the run, stage windows approximated. */
  notes: string[];
}

/** Labels a series must carry, with these exact values. */
export type LabelFilter = Record<string, string>;

/** Where a request's warm/cold label came from. */
export type WarmColdEvidence = 'server' | 'order';

/** TTFT of one class of requests, ms. */
export interface TtftStats {
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  meanMs: number | null;
}

/** The server's hit rate over the test's window, or why there is none. */
export type ServerHitRate =
  | {
      available: true;
      /** Scraped URLs (no credentials). */
      urls: string[];
      /** Series filter, e.g. `{ model_name: 'Qwen/Qwen3-0.6B' }`. */
      filter: LabelFilter;
      /** Δ of the queries counter, tokens. */
      queriedTokens: number;
      /** Δ of the hits counter, tokens. */
      hitTokens: number;
      /** hitTokens / queriedTokens; null when nothing was queried. */
      hitRate: number | null;
      notes: string[];
    }
  | { available: false; urls: string[]; reason: string };

/** A check a prefix-cache test asserts. */
export interface PrefixCacheCheck {
  name: string;
  /** Measured value (ms or a rate); null when it could not be measured. */
  value: number | null;
  /** The bound it is held to. */
  limit: number | null;
  pass: boolean;
  /** Not evaluated (no data to evaluate it on, and not required); a skipped check does not fail. */
  skipped: boolean;
  /** One line: what was compared, or why it was skipped or failed. */
  detail: string;
}

/** What a prefix-cache test asserts (see `resolveChecks` in `measure.ts` for defaults and env). */
export interface PrefixCacheChecks {
  /** Warm TTFT p95 must be below this times cold TTFT p50 (default 1: every warm request but the slowest 5% beats a typical cold one). */
  warmP95ToColdP50: number;
  /** Floor of the server's hit rate, 0-1; null: `minHitRateOfIdeal` x the ideal rate of the workload. */
  minHitRate: number | null;
  /** The floor as a share of the ideal hit rate when `minHitRate` is null (default 0.75). */
  minHitRateOfIdeal: number;
  /** Fail, not skip, the hit-rate check when the server's metrics cannot be read (default false). */
  requireServerMetrics: boolean;
}

/** The `prefixCache` section of a `TestReport`. */
export interface PrefixCacheReport {
  workload: {
    groups: number;
    promptsPerGroup: number;
    systemPromptTokens: number;
    questionTokens: number;
    /** Requests of the run, warm-up included (the server's counters see them all). */
    requests: number;
  };
  /** `server` when every measured request was labelled by `cached_tokens`, `order` when none was, else `mixed`. */
  evidence: WarmColdEvidence | 'mixed';
  /** Measured successful requests labelled by each kind of evidence; `orderDisagrees`: of those labelled by the server, how many the order guess got wrong. */
  labelled: { server: number; order: number; orderDisagrees: number };
  /** Cached tokens from which the server's evidence calls a request warm. */
  warmThresholdTokens: number;
  warm: TtftStats;
  cold: TtftStats;
  /** Σ cached_tokens / Σ prompt_tokens over the run's successful requests, from usage; null without cached_tokens. */
  usageHitRate: number | null;
  /** Hit rate of an ideal cache on the same requests in send order, and the block size assumed. */
  ideal: { hitRate: number | null; blockSize: number; blockSizeFrom: 'server' | 'assumed' };
  server: ServerHitRate;
  checks: PrefixCacheCheck[];
  /** Check settings in effect, and which came from the environment. */
  settings: PrefixCacheChecks & { metricsUrls: string[] };
  overrides: Array<{ path: string; value: unknown; source: string }>;
}
