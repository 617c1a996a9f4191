/**
 * Prometheus: the HTTP API client, its settings from `BENCH_PROMETHEUS_*`, the default metric
 * sets (GPU, vLLM, dual-pods controller) and reading them over a test's window.
 */
export { PromClient } from './client.ts';
export { PromError, type PromErrorCode } from './prom-error.ts';
export {
  promSettings,
  describePromSettings,
  clusterDomainUrl,
  SERVICE_ACCOUNT_TOKEN_PATH,
  OPENSHIFT_PROMETHEUS_HOST_PREFIX,
  DEFAULT_PROM_TIMEOUT_S,
  DEFAULT_SCRAPE_INTERVAL_S,
  type PromSettings,
} from './settings.ts';
export { parseSampleValue, type PromLabels, type PromPoint, type PromInstantSample, type PromRangeSeries, type PromQueryResult, type PromRangeResult } from './result.ts';
export { planRange, PROM_MAX_POINTS, type RangePart } from './range-plan.ts';
export {
  GPU_METRICS,
  VLLM_METRICS,
  CONTROLLER_METRICS,
  DEFAULT_METRIC_SETS,
  DEFAULT_LABEL_MAP,
  flattenMetrics,
  promString,
  regexLiteral,
  renderMatchers,
  renderQuery,
  type MetricDef,
  type MetricLabelMap,
  type MetricSet,
  type RunFilters,
  type TemplateDurations,
} from './metric-sets.ts';
export { queryWindow, summarize, type MetricWindow, type MetricSummary, type MetricWindowResult, type QueryWindowOptions } from './window.ts';
