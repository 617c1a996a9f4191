/**
 * The prefix-cache section of a test report: warm vs cold TTFT (`warm-cold.ts`), the server's
 * prefix-cache hit rate over the test's window from two scrapes of its `/metrics`, the hit rate
 * an ideal cache would reach on the same requests, and the checks a suite asserts.
 *
 * Hit rate, vLLM's definition: `vllm:prefix_cache_hits_total` / `vllm:prefix_cache_queries_total`,
 * both counted in prompt tokens, here as the increase of each between a scrape just before the
 * test's first request and one just after its last (Δhits / Δqueries), summed over every
 * scraped server and over the series of the target's model (`model_name`). Anything else the
 * server did in that window counts too: on a shared endpoint the rate is the server's, not only
 * this test's.
 */
import { counterDelta, type LabelFilter, seriesKey } from './counters.ts';
import type { ScrapeResult } from './scrape.ts';
import type { TtftStats, WarmColdEvidence } from './warm-cold.ts';
import type { PrefixCacheCheck, PrefixCacheChecks, PrefixCacheReport, ServerHitRate } from '../report/server-metrics.ts';

export type { PrefixCacheCheck, PrefixCacheChecks, PrefixCacheReport, ServerHitRate };

export const QUERIES = 'vllm:prefix_cache_queries_total';
export const HITS = 'vllm:prefix_cache_hits_total';
/** vLLM's default KV block size, assumed when the server does not say (`vllm:cache_config_info`). */
export const DEFAULT_BLOCK_SIZE = 16;

/**
 * Δhits / Δqueries between two scrape rounds of the same servers (`before[i]` and `after[i]`
 * are one URL). Unavailable, with the reason, when any scrape failed, a counter is missing or
 * was reset between the rounds.
 */
export function serverHitRate(before: readonly ScrapeResult[], after: readonly ScrapeResult[], filter: LabelFilter): ServerHitRate {
  const urls = after.map((s) => s.url);
  let queried = 0;
  let hit = 0;
  const notes: string[] = [];
  for (let i = 0; i < after.length; i++) {
    const b = before[i]!;
    const a = after[i]!;
    const where = after.length > 1 ? `${a.url}: ` : '';
    if (!b.ok) return { available: false, urls, reason: `${where}before the run: ${b.reason}` };
    if (!a.ok) return { available: false, urls, reason: `${where}after the run: ${a.reason}` };
    const q = counterDelta(b.samples, a.samples, QUERIES, filter);
    if (!q.ok) return { available: false, urls, reason: `${where}${q.reason}${legacyHint(a)}` };
    const h = counterDelta(b.samples, a.samples, HITS, filter);
    if (!h.ok) return { available: false, urls, reason: `${where}${h.reason}` };
    if (h.delta > q.delta) return { available: false, urls, reason: `${where}${HITS} rose by ${h.delta}, more than ${QUERIES} (${q.delta}): not token counts of one cache` };
    for (const key of q.added) notes.push(`${where}${q.name}${key} appeared during the test (counted from 0)`);
    queried += q.delta;
    hit += h.delta;
  }
  return { available: true, urls, filter, queriedTokens: queried, hitTokens: hit, hitRate: queried > 0 ? hit / queried : null, notes };
}

/** vLLM V0 exposed a cumulative gauge instead of the two counters; say so when that is what the server has. */
function legacyHint(s: ScrapeResult): string {
  if (!s.ok) return '';
  return s.samples.some((x) => x.name === 'vllm:gpu_prefix_cache_hit_rate')
    ? ' (the server has vllm:gpu_prefix_cache_hit_rate, a lifetime gauge of vLLM V0: no rate over this test can be read from it)'
    : '';
}

/** The KV block size a vLLM server reports in `vllm:cache_config_info{block_size=...}`, if any. */
export function blockSizeOf(scrapes: readonly ScrapeResult[]): number | null {
  for (const s of scrapes) {
    if (!s.ok) continue;
    const info = s.samples.find((x) => x.name === 'vllm:cache_config_info' && x.labels.block_size !== undefined);
    const n = info ? Number(info.labels.block_size) : Number.NaN;
    if (Number.isSafeInteger(n) && n > 0) return n;
  }
  return null;
}

const ms = (x: number | null): string => (x === null ? '-' : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

/** The checks: warm p95 against cold p50, and the server's hit rate against its floor. */
export function evaluatePrefixCacheChecks(
  r: Pick<PrefixCacheReport, 'warm' | 'cold' | 'server' | 'ideal' | 'workload'>,
  c: PrefixCacheChecks,
): PrefixCacheCheck[] {
  const out: PrefixCacheCheck[] = [];
  const ratioName = `warm TTFT p95 < ${c.warmP95ToColdP50} x cold TTFT p50`;
  if (r.warm.p95Ms === null || r.cold.p50Ms === null) {
    const missing = r.cold.count === 0 ? 'cold' : 'warm';
    const why =
      r.cold.count + r.warm.count === 0
        ? 'no measured request has a TTFT (every one failed, or the scenario does not stream)'
        : missing === 'cold'
        ? `no cold request measured: every group (${r.workload.groups}) was warm before the measured requests (warm-up requests, or an earlier run with the same data.seed)`
        : `no warm request measured: each group had at most one measured request (num_prompts_per_group ${r.workload.promptsPerGroup}, ${r.workload.requests} requests)`;
    out.push({ name: ratioName, value: r.warm.p95Ms, limit: null, pass: false, skipped: false, detail: why });
  } else {
    const limit = c.warmP95ToColdP50 * r.cold.p50Ms;
    const pass = r.warm.p95Ms < limit;
    out.push({ name: ratioName, value: r.warm.p95Ms, limit, pass, skipped: false, detail: `${ms(r.warm.p95Ms)} ms ${pass ? '<' : '>='} ${ms(limit)} ms` });
  }
  const floor = c.minHitRate ?? (r.ideal.hitRate === null ? null : c.minHitRateOfIdeal * r.ideal.hitRate);
  const floorText = c.minHitRate !== null ? pct(floor) : `${pct(floor)} (${c.minHitRateOfIdeal} x ideal ${pct(r.ideal.hitRate)})`;
  const hitName = `server prefix-cache hit rate >= ${floorText}`;
  if (!r.server.available) {
    const detail = `server metrics unavailable: ${r.server.reason}`;
    out.push({ name: hitName, value: null, limit: floor, pass: !c.requireServerMetrics, skipped: !c.requireServerMetrics, detail });
  } else if (r.server.hitRate === null || floor === null) {
    out.push({ name: hitName, value: r.server.hitRate, limit: floor, pass: false, skipped: false, detail: r.server.hitRate === null ? 'the server counted no prefix-cache queries during the test' : 'no successful request to compute the ideal hit rate from' });
  } else {
    const pass = r.server.hitRate >= floor;
    out.push({ name: hitName, value: r.server.hitRate, limit: floor, pass, skipped: false, detail: `${pct(r.server.hitRate)} ${pass ? '>=' : '<'} ${pct(floor)}` });
  }
  return out;
}

/** The terminal table of a prefix-cache section (what the suite prints). */
export function renderPrefixCache(title: string, r: PrefixCacheReport): string {
  const w = r.workload;
  const lines = [
    `${title}  prefix cache: ${w.groups} groups x ${w.promptsPerGroup} prompts, system prompt ${w.systemPromptTokens} + question ${w.questionTokens} tokens, ${w.requests} requests`,
    `  ${'TTFT (ms)'.padEnd(12)}${['n', 'p50', 'p95', 'mean'].map((h) => h.padStart(9)).join('')}`,
  ];
  for (const [name, s] of [['cold', r.cold], ['warm', r.warm]] as const) {
    lines.push(`  ${name.padEnd(12)}${[String(s.count), ms(s.p50Ms), ms(s.p95Ms), ms(s.meanMs)].map((x) => x.padStart(9)).join('')}`);
  }
  if (r.warm.p50Ms !== null && r.cold.p50Ms !== null && r.cold.p50Ms > 0) {
    lines.push(`  warm p50 is ${(r.warm.p50Ms / r.cold.p50Ms).toFixed(2)} x cold p50; warm p95 is ${r.warm.p95Ms === null ? '-' : (r.warm.p95Ms / r.cold.p50Ms).toFixed(2)} x cold p50`);
  }
  lines.push(`  evidence: ${describeEvidence(r)}`);
  const s = r.server;
  const ideal = `ideal ${pct(r.ideal.hitRate)} (block size ${r.ideal.blockSize}${r.ideal.blockSizeFrom === 'assumed' ? ', assumed' : ', from the server'})`;
  const usage = r.usageHitRate === null ? '' : `, from usage ${pct(r.usageHitRate)}`;
  if (s.available) {
    lines.push(
      `  server hit rate ${pct(s.hitRate)} over the test (Δhits ${s.hitTokens} / Δqueries ${s.queriedTokens} tokens, ${seriesKey(s.filter)} at ${s.urls.join(', ')}); ${ideal}${usage}`,
    );
    for (const n of s.notes) lines.push(`  note: ${n}`);
  } else {
    lines.push(`  server metrics unavailable: ${s.reason}`, `  hit rate: ${ideal}${usage}`);
  }
  for (const c of r.checks) lines.push(`  ${c.skipped ? 'skip' : c.pass ? 'pass' : 'FAIL'}  ${c.name}: ${c.detail}`);
  return lines.join('\n');
}

function describeEvidence(r: PrefixCacheReport): string {
  const { server, order, orderDisagrees } = r.labelled;
  const total = server + order;
  const threshold = `cached_tokens >= ${r.warmThresholdTokens} = warm`;
  if (r.evidence === 'server') {
    const agree = orderDisagrees === 0 ? 'the order guess agrees on all' : `the order guess would have mislabelled ${orderDisagrees}`;
    return `server (usage.prompt_tokens_details.cached_tokens on ${server} of ${total} requests, ${threshold}; ${agree})`;
  }
  if (r.evidence === 'order') return `order (the server gave no cached_tokens: the first request of each group to be sent is called cold, the rest warm; a client-side guess)`;
  return `mixed (server cached_tokens on ${server} requests, ${threshold}; order guess on ${order})`;
}
