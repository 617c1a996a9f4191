import { describe } from 'vitest';
import { expect, loadScenarios, measurePrefixCache, type PrefixCacheOptions } from 'vitest-llm-d';

const prefixCache = loadScenarios(import.meta.url);
const { test } = prefixCache;

/**
 * What each scenario must show. `warmP95ToColdP50`: warm TTFT p95 below this times cold TTFT
 * p50. `minHitRate`: the server's hit rate over the test (Δhits / Δqueries of
 * `vllm:prefix_cache_*_total`) at least this; unset, `minHitRateOfIdeal` (default 0.75) times
 * what an ideal cache reaches on the same requests. Server metrics that cannot be read skip the
 * hit-rate check (the reason is printed) unless `requireServerMetrics`. Environment:
 * BENCH_PREFIX_TTFT_RATIO, BENCH_PREFIX_MIN_HIT_RATE, BENCH_METRICS_URL.
 */
const CHECKS: Record<string, PrefixCacheOptions | undefined> = {
  warm_vs_cold: { warmP95ToColdP50: 1 },
  concurrent_groups: { warmP95ToColdP50: 1 },
};

// One test per scenario of prefix-cache.yaml (each must be shared_prefix data).
describe('prefix-cache', () => {
  for (const name of prefixCache.names) {
    test(name, async ({ bench, target, signal }) => {
      const ref = prefixCache.scenario(name);
      const m = await measurePrefixCache({ target, data: ref.config!.data, run: () => bench.run(ref), options: CHECKS[name], signal });
      console.log(m.text);
      expect(m.result).toMeetSLO();
      expect(m.failures, m.failures.map((c) => `${c.name}: ${c.detail}`).join('\n')).toEqual([]);
    });
  }
});
