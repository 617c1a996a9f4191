/**
 * One prefix-cache measurement around a benchmark run: scrape the server's `/metrics`, run the
 * scenario, scrape again, read the run's request records back, and build the report's
 * `prefixCache` section (warm vs cold TTFT, the server's hit rate over the test, the ideal hit
 * rate, the checks). The run's result is returned with the section in its report: a `bench.run`
 * result assembles its report again with it (`withSections`) and publishes that one to
 * `task.meta.llmd`, so reporters carry it.
 *
 * Settings, each overridable from the environment (and then listed in the section's overrides):
 *
 * | setting | default | variable |
 * | --- | --- | --- |
 * | metrics URLs | `<target base URL without /v1>/metrics` | `BENCH_METRICS_URL` (comma-separated: every replica behind a gateway) |
 * | warm p95 / cold p50 bound | 1 | `BENCH_PREFIX_TTFT_RATIO` |
 * | hit-rate floor | 0.75 x the workload's ideal | `BENCH_PREFIX_MIN_HIT_RATE` (0-1) |
 *
 * The target's request headers (its API key among them) go with a scrape only to the target's
 * own origin; a metrics URL elsewhere gets none, so a key never travels to a host it was not
 * configured for.
 */
import type { Data } from '../config/schema/data.ts';
import type { Env } from '../config/substitute.ts';
import { ConfigError } from '../errors/config-error.ts';
import type { TestReport } from '../report/model.ts';
import {
  blockSizeOf,
  DEFAULT_BLOCK_SIZE,
  evaluatePrefixCacheChecks,
  type PrefixCacheCheck,
  type PrefixCacheChecks,
  type PrefixCacheReport,
  renderPrefixCache,
  serverHitRate,
} from './prefix-cache.ts';
import { readTestRequests } from './requests-reader.ts';
import { type ScrapeResult, scrapeMetrics } from './scrape.ts';
import { classifyRequests, idealHitRate, type SharedPrefixShape, warmColdTtft, warmThreshold } from './warm-cold.ts';
import { settings as envSettings } from '../settings/registry.ts';

/** What a prefix-cache measurement needs of the target (the `target` fixture fits). */
export interface PrefixCacheTarget {
  info: { model: string };
  http: { origin: string; displayUrl: string; requestHeaders: Record<string, string>; tlsConnectOptions?(): { ca?: string; rejectUnauthorized?: boolean } };
}

/** Settings a test may give; unset ones take the defaults, and the environment overrides both. */
export type PrefixCacheOptions = Partial<PrefixCacheChecks> & { metricsUrls?: string[]; scrapeTimeoutMs?: number };

/**
 * What a measured run returns: its report, and (a `bench.run` result) a way to have the report
 * assembled again with the prefix-cache section. Without one, the result is copied with a copy
 * of its report that carries the section.
 */
export interface PrefixCacheRun {
  report: TestReport;
  withSections?(sections: { prefixCache: PrefixCacheReport }): this;
}

/** A finished measurement. */
export interface PrefixCacheOutcome<R> {
  /** What `run` returned, with `prefixCache` in its report. */
  result: R;
  prefixCache: PrefixCacheReport;
  /** Checks that failed (skipped ones pass). */
  failures: PrefixCacheCheck[];
  /** The table to print. */
  text: string;
}

const DEFAULT_CHECKS: PrefixCacheChecks = { warmP95ToColdP50: 1, minHitRate: null, minHitRateOfIdeal: 0.75, requireServerMetrics: false };

/** The `/metrics` URL of a vLLM server at `displayUrl`: its root (a trailing `/v1` removed) plus `/metrics`. */
export function defaultMetricsUrl(displayUrl: string): string {
  const u = new URL(displayUrl);
  return `${u.origin}${u.pathname.replace(/\/+$/, '').replace(/\/v\d+$/, '')}/metrics`;
}

/** The workload shape of a `shared_prefix` data config. @throws ConfigError for any other data type. */
export function sharedPrefixShape(data: Data, where = 'data'): SharedPrefixShape {
  if (data.type !== 'shared_prefix') throw new ConfigError(where, 'type', `the prefix-cache measurement needs shared_prefix data, got ${data.type}`);
  // A length given as a distribution counts at its mean: the ideal hit rate is then the expected one.
  const nominal = (l: typeof data.system_prompt_len): number => (typeof l === 'number' ? l : l.type === 'fixed' ? Math.trunc(l.mean) : l.mean);
  return { numGroups: data.num_groups, promptsPerGroup: data.num_prompts_per_group, systemPromptTokens: nominal(data.system_prompt_len), questionTokens: nominal(data.question_len) };
}

/**
 * `BENCH_METRICS_URL`: comma-separated http(s) URLs of the model servers' `/metrics`, without
 * credentials (they would show in reports; the target's headers go to URLs of its origin).
 * Undefined when unset; a `ConfigError` that quotes no credentials when unusable.
 */
export function metricsUrlsFromEnv(env: Env): string[] | undefined {
  const text = envSettings(env).get('BENCH_METRICS_URL');
  if (text === undefined) return undefined;
  const urls = text.split(',').map((u) => u.trim()).filter((u) => u !== '');
  for (const u of urls) {
    let url: URL | null = null;
    try {
      url = new URL(u);
    } catch {}
    if (url && (url.username || url.password)) {
      throw new ConfigError('env', 'BENCH_METRICS_URL', 'credentials in the URL are not allowed (they would show in reports); a metrics URL of the target\'s origin is sent the target\'s headers');
    }
    if (!url || !['http:', 'https:'].includes(url.protocol)) throw new ConfigError('env', 'BENCH_METRICS_URL', `expected http(s) URLs separated by commas, got "${u}"`);
  }
  return urls;
}

/** Settings in effect: the defaults, then the test's, then the environment's; and the list of what the environment changed. */
export function resolvePrefixCacheSettings(
  target: PrefixCacheTarget,
  options: PrefixCacheOptions,
  env: Env,
): { settings: PrefixCacheChecks & { metricsUrls: string[] }; overrides: Array<{ path: string; value: unknown; source: string }> } {
  const { scrapeTimeoutMs: _, metricsUrls, ...checks } = options;
  const settings = { ...DEFAULT_CHECKS, ...checks, metricsUrls: metricsUrls ?? [defaultMetricsUrl(target.http.displayUrl)] };
  const overrides: Array<{ path: string; value: unknown; source: string }> = [];
  const urls = metricsUrlsFromEnv(env);
  if (urls !== undefined) {
    settings.metricsUrls = urls;
    overrides.push({ path: 'prefix_cache.metrics_urls', value: settings.metricsUrls, source: 'env BENCH_METRICS_URL' });
  }
  const ratio = envSettings(env).get('BENCH_PREFIX_TTFT_RATIO');
  if (ratio !== undefined) {
    settings.warmP95ToColdP50 = ratio;
    overrides.push({ path: 'prefix_cache.warm_p95_to_cold_p50', value: ratio, source: 'env BENCH_PREFIX_TTFT_RATIO' });
  }
  const floor = envSettings(env).get('BENCH_PREFIX_MIN_HIT_RATE');
  if (floor !== undefined) {
    settings.minHitRate = floor;
    overrides.push({ path: 'prefix_cache.min_hit_rate', value: floor, source: 'env BENCH_PREFIX_MIN_HIT_RATE' });
  }
  return { settings, overrides };
}

/**
 * Measures the prefix cache around `run` (a `bench.run` of a `shared_prefix` scenario).
 * Server metrics that cannot be read leave the hit rate unavailable, with the reason; the
 * warm/cold TTFT is measured regardless.
 * @throws ConfigError for non-shared_prefix data or a bad override; BenchError when the run's request records cannot be read back.
 */
export async function measurePrefixCache<R extends PrefixCacheRun>(input: {
  target: PrefixCacheTarget;
  data: Data;
  run: () => Promise<R>;
  options?: PrefixCacheOptions;
  env?: Env;
  signal?: AbortSignal;
}): Promise<PrefixCacheOutcome<R>> {
  const shape = sharedPrefixShape(input.data);
  const options = input.options ?? {};
  const { settings, overrides } = resolvePrefixCacheSettings(input.target, options, input.env ?? process.env);
  const scrapeAll = (): Promise<ScrapeResult[]> =>
    Promise.all(
      settings.metricsUrls.map((url) =>
        scrapeMetrics(url, {
          timeoutMs: options.scrapeTimeoutMs ?? 10_000,
          headers: sameOrigin(url, input.target.http.origin) ? input.target.http.requestHeaders : {},
          ...(sameOrigin(url, input.target.http.origin) && input.target.http.tlsConnectOptions ? { tls: input.target.http.tlsConnectOptions() } : {}),
          ...(input.signal ? { signal: input.signal } : {}),
        }),
      ),
    );

  const before = await scrapeAll();
  const result = await input.run();
  const after = await scrapeAll();
  const report = result.report;

  const lines = await readTestRequests(report);
  const requests = classifyRequests(lines, shape);
  const measured = requests.filter((r) => !r.warmup && r.ok && r.ttftMs !== null);
  const server = measured.filter((r) => r.evidence === 'server');
  const { warm, cold } = warmColdTtft(requests);
  const ok = requests.filter((r) => r.ok);
  const withCached = ok.filter((r) => r.cachedTokens !== null);
  const cachedSum = withCached.reduce((s, r) => s + r.cachedTokens!, 0);
  const promptSum = withCached.reduce((s, r) => s + r.promptTokens, 0);
  const serverBlock = blockSizeOf(after);
  const blockSize = serverBlock ?? DEFAULT_BLOCK_SIZE;

  const hitRate = serverHitRate(before, after, { model_name: input.target.info.model });
  const section: PrefixCacheReport = {
    workload: {
      groups: shape.numGroups,
      promptsPerGroup: shape.promptsPerGroup,
      systemPromptTokens: shape.systemPromptTokens,
      questionTokens: shape.questionTokens,
      requests: lines.length,
    },
    // With no measured request at all (every one failed) there is no server evidence: `order`.
    evidence: server.length === 0 ? 'order' : server.length === measured.length ? 'server' : 'mixed',
    labelled: { server: server.length, order: measured.length - server.length, orderDisagrees: server.filter((r) => r.warm !== r.orderWarm).length },
    warmThresholdTokens: warmThreshold(shape),
    warm,
    cold,
    usageHitRate: withCached.length > 0 && promptSum > 0 ? cachedSum / promptSum : null,
    ideal: { hitRate: idealHitRate(requests, lines, shape, blockSize), blockSize, blockSizeFrom: serverBlock === null ? 'assumed' : 'server' },
    server: hitRate.available ? hitRate : { ...hitRate, reason: withHint(hitRate.reason, settings.metricsUrls) },
    checks: [],
    settings,
    overrides,
  };
  section.checks = evaluatePrefixCacheChecks(section, settings);
  return {
    result: result.withSections ? result.withSections({ prefixCache: section }) : { ...result, report: { ...report, prefixCache: section } },
    prefixCache: section,
    failures: section.checks.filter((c) => !c.pass),
    text: renderPrefixCache(`${report.suite}/${report.scenario}`, section),
  };
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

/** A 404 on a gateway's `/metrics` usually means the model servers' metrics live elsewhere. */
function withHint(reason: string, urls: string[]): string {
  return /HTTP 404/.test(reason) ? `${reason}; set BENCH_METRICS_URL to the model servers' /metrics (comma-separated), not ${urls.join(', ')}` : reason;
}
