/**
 * Metric sets: the server-side series a benchmark reads from Prometheus over a test's window,
 * as PromQL templates tied to the run by label filters (namespace, the run's pods, the model).
 *
 * A metric is `{ name, unit, query, labels? }`. `query` is PromQL with placeholders:
 * - `$filters`: the run's label matchers, comma-separated, to put inside `{...}`
 *   (`namespace="bench",pod=~"vllm-0|vllm-1",model_name="Qwen/Qwen3-0.6B"`; empty without filters);
 * - `$exported_filters`: the same with `exported_` before the namespace and pod label names
 *   (a scrape target's own `namespace`/`pod` labels push an exporter's ones to `exported_*`
 *   unless `honorLabels` is set, as for NVIDIA's DCGM exporter under OpenShift monitoring);
 * - `$rate`: a `rate()` window, `max(step + scrape interval, 4 x scrape interval)` (Grafana's `$__rate_interval`);
 * - `$window`: the test's window (at least `$rate`), for quantities over the whole test: the
 *   last point of such a series is the value for the whole window.
 * `labels` maps each run filter to the label name it applies to in this metric; a filter the
 * map does not name is not applied. Default: `{namespace: 'namespace', pod: 'pod', model: 'model_name'}`.
 */
import { ConfigError } from '../errors/config-error.ts';
import type { RunFilters } from '../report/server-metrics.ts';

export type { RunFilters };

/** One server-side metric to read over a window. */
export interface MetricDef {
  /** Dotted name in results, e.g. `gpu.memoryUsedMiB`. */
  name: string;
  /** Unit of its values, e.g. `%`, `MiB`, `W`, `requests`, `ratio`, `1/s`, `s`. */
  unit: string;
  /** PromQL template (see the module comment for `$filters`, `$exported_filters`, `$rate`, `$window`). */
  query: string;
  /** Label name each run filter applies to; omitted filters are not applied. */
  labels?: MetricLabelMap;
}

/** Label names the run's filters apply to, per metric. */
export interface MetricLabelMap {
  namespace?: string;
  pod?: string;
  model?: string;
}

/** A named group of metrics (`gpu`, `vllm`, `controller`, or a user's). */
export interface MetricSet {
  name: string;
  metrics: MetricDef[];
}

/** Durations the `$rate` and `$window` placeholders expand to, in whole seconds. */
export interface TemplateDurations {
  rateS: number;
  windowS: number;
}

/** The label map a metric gets when it names none. */
export const DEFAULT_LABEL_MAP: Readonly<MetricLabelMap> = { namespace: 'namespace', pod: 'pod', model: 'model_name' };

const GPU_LABELS: MetricLabelMap = { namespace: 'namespace', pod: 'pod' };
const VLLM_LABELS: MetricLabelMap = { namespace: 'namespace', pod: 'pod', model: 'model_name' };
/** The dual-pods controller's metric carries the requester's namespace as `exported_namespace` (`FMA:docs/metrics.md`). */
const CONTROLLER_LABELS: MetricLabelMap = { namespace: 'exported_namespace' };

/** `X{$filters} or X{$exported_filters}`: DCGM series whether or not the exporter's pod labels were honoured. */
function dcgm(field: string): string {
  return `${field}{$filters} or ${field}{$exported_filters}`;
}

/** NVIDIA DCGM exporter series, one per GPU (`gpu`, `UUID`, `Hostname`, ... labels). */
export const GPU_METRICS: MetricSet = {
  name: 'gpu',
  metrics: [
    { name: 'gpu.utilizationPct', unit: '%', query: dcgm('DCGM_FI_DEV_GPU_UTIL'), labels: GPU_LABELS },
    { name: 'gpu.memoryUsedMiB', unit: 'MiB', query: dcgm('DCGM_FI_DEV_FB_USED'), labels: GPU_LABELS },
    { name: 'gpu.memoryFreeMiB', unit: 'MiB', query: dcgm('DCGM_FI_DEV_FB_FREE'), labels: GPU_LABELS },
    { name: 'gpu.powerW', unit: 'W', query: dcgm('DCGM_FI_DEV_POWER_USAGE'), labels: GPU_LABELS },
  ],
};

/** vLLM's own series (V1 names), one per server (and per `finished_reason` for successes). */
export const VLLM_METRICS: MetricSet = {
  name: 'vllm',
  metrics: [
    { name: 'vllm.requestsRunning', unit: 'requests', query: 'vllm:num_requests_running{$filters}', labels: VLLM_LABELS },
    { name: 'vllm.requestsWaiting', unit: 'requests', query: 'vllm:num_requests_waiting{$filters}', labels: VLLM_LABELS },
    { name: 'vllm.kvCacheUsage', unit: 'ratio', query: 'vllm:kv_cache_usage_perc{$filters}', labels: VLLM_LABELS },
    {
      // Hits / queries in tokens over the rate window; NaN while nothing was queried.
      name: 'vllm.prefixCacheHitRate',
      unit: 'ratio',
      query: 'rate(vllm:prefix_cache_hits_total{$filters}[$rate]) / rate(vllm:prefix_cache_queries_total{$filters}[$rate])',
      labels: VLLM_LABELS,
    },
    { name: 'vllm.requestSuccessRate', unit: '1/s', query: 'rate(vllm:request_success_total{$filters}[$rate])', labels: VLLM_LABELS },
  ],
};

/** Quantile `q` of `fma_actuation_seconds` by path over the window (a classic histogram; buckets 0 ... 1920 s). */
function actuationQuantile(q: number): string {
  return `histogram_quantile(${q}, sum by (path, le) (increase(fma_actuation_seconds_bucket{$filters}[$window])))`;
}

/**
 * The dual-pods controller's actuation latency (`fma_actuation_seconds{exported_namespace, path,
 * instancesDeleted, isc_name}`, observed once per requester on its first readiness relay): count
 * and quantiles by `path` (`cold`, `warm`, `hot`) over the window. Read the last point: it covers
 * the whole window. Direct-provider cold starts are counted as `hot` by the controller.
 */
export const CONTROLLER_METRICS: MetricSet = {
  name: 'controller',
  metrics: [
    { name: 'controller.actuations', unit: 'actuations', query: 'sum by (path) (increase(fma_actuation_seconds_count{$filters}[$window]))', labels: CONTROLLER_LABELS },
    { name: 'controller.actuationP50S', unit: 's', query: actuationQuantile(0.5), labels: CONTROLLER_LABELS },
    { name: 'controller.actuationP90S', unit: 's', query: actuationQuantile(0.9), labels: CONTROLLER_LABELS },
    { name: 'controller.actuationP99S', unit: 's', query: actuationQuantile(0.99), labels: CONTROLLER_LABELS },
  ],
};

/** The default sets, in report order. */
export const DEFAULT_METRIC_SETS: readonly MetricSet[] = [GPU_METRICS, VLLM_METRICS, CONTROLLER_METRICS];

/** The metrics of sets and loose metrics, in order; throws a ConfigError on a duplicate name. */
export function flattenMetrics(items: readonly (MetricSet | MetricDef)[]): MetricDef[] {
  const out: MetricDef[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    for (const m of 'metrics' in item ? item.metrics : [item]) {
      if (seen.has(m.name)) throw new ConfigError('metrics', m.name, 'defined twice');
      seen.add(m.name);
      out.push(m);
    }
  }
  return out;
}

/** `value` as the inside of a PromQL double-quoted string literal (backslash, quote, newline escaped). */
export function promString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** `text` matched literally in an RE2 regex. */
export function regexLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The label matchers of `filters` for a metric's label map, comma-separated, every value
 * escaped (`namespace="bench",pod=~"vllm\\.0|vllm\\.1"`); `prefix` goes before the namespace
 * and pod label names (`exported_`). Empty when nothing applies.
 */
export function renderMatchers(filters: RunFilters, map: MetricLabelMap = DEFAULT_LABEL_MAP, prefix = ''): string {
  const out: string[] = [];
  const name = (label: string, prefixed: boolean): string => {
    const n = prefixed ? `${prefix}${label}` : label;
    if (!LABEL_NAME.test(n)) throw new ConfigError('metrics', 'labels', `invalid label name ${JSON.stringify(n)}`);
    return n;
  };
  if (map.namespace && filters.namespace !== undefined) out.push(`${name(map.namespace, true)}="${promString(filters.namespace)}"`);
  if (map.pod) {
    const regex = filters.pods !== undefined ? filters.pods.map(regexLiteral).join('|') : filters.podRegex;
    // No pods at all matches nothing: `!~".*"` fails for every value, the absent label included.
    if (filters.pods?.length === 0) out.push(`${name(map.pod, true)}!~".*"`);
    else if (regex !== undefined) out.push(`${name(map.pod, true)}=~"${promString(regex)}"`);
  }
  if (map.model && filters.model !== undefined) out.push(`${name(map.model, false)}="${promString(filters.model)}"`);
  return out.join(',');
}

/** A metric's query with its placeholders filled in for this run. */
export function renderQuery(metric: MetricDef, filters: RunFilters, d: TemplateDurations): string {
  const map = metric.labels ?? DEFAULT_LABEL_MAP;
  const values: Record<string, string> = {
    filters: renderMatchers(filters, map),
    exported_filters: renderMatchers(filters, map, 'exported_'),
    rate: `${Math.max(1, Math.ceil(d.rateS))}s`,
    window: `${Math.max(1, Math.ceil(d.windowS))}s`,
  };
  return metric.query.replace(/\$(exported_filters|filters|rate|window)\b/g, (_, key: string) => values[key]!);
}
