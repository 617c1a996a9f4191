/**
 * Server metrics: the Prometheus text a model server exposes (`GET /metrics`), parsed, scraped
 * and differenced, and the prefix-cache measurement built on them (warm vs cold TTFT, the
 * server's hit rate over a test).
 */
export { parsePromText, parsePromValue, familyOf, type PromSample, type PromFamily, type PromText, type PromParseResult, type PromParseError } from './prom-text.ts';
export { scrapeMetrics, type ScrapeOptions, type ScrapeResult, type Scrape, type ScrapeFailure } from './scrape.ts';
export { counterValue, counterDelta, counterSeries, seriesKey, type LabelFilter, type CounterValue, type CounterDelta, type CounterProblem } from './counters.ts';
export { readTestRequests, requestIdPrefix, type RequestLine } from './requests-reader.ts';
export { classifyRequests, idealHitRate, ttftStats, warmColdTtft, warmThreshold, type ClassifiedRequest, type SharedPrefixShape, type TtftStats, type WarmColdEvidence } from './warm-cold.ts';
export {
  blockSizeOf,
  evaluatePrefixCacheChecks,
  renderPrefixCache,
  serverHitRate,
  type PrefixCacheCheck,
  type PrefixCacheChecks,
  type PrefixCacheReport,
  type ServerHitRate,
} from './prefix-cache.ts';
export { defaultMetricsUrl, measurePrefixCache, resolvePrefixCacheSettings, sharedPrefixShape, type PrefixCacheOptions, type PrefixCacheOutcome, type PrefixCacheTarget } from './measure.ts';
