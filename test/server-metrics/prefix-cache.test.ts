import { describe, expect, test } from 'vitest';
import { evaluatePrefixCacheChecks, renderPrefixCache, serverHitRate, blockSizeOf, type PrefixCacheChecks, type PrefixCacheReport } from '../../lib/server-metrics/prefix-cache.ts';
import { parsePromText } from '../../lib/server-metrics/prom-text.ts';
import type { RequestLine } from '../../lib/server-metrics/requests-reader.ts';
import type { ScrapeResult } from '../../lib/server-metrics/scrape.ts';
import { classifyRequests, idealHitRate, ttftStats, warmColdTtft, warmThreshold, type SharedPrefixShape } from '../../lib/server-metrics/warm-cold.ts';

const SHAPE: SharedPrefixShape = { numGroups: 2, promptsPerGroup: 3, systemPromptTokens: 64, questionTokens: 16 };

/** A successful record: request `seq` sent at `sent` ms, with `cached` tokens (null: the server gave none) and TTFT. */
function line(seq: number, sent: number, cached: number | null, ttft: number, over: Partial<RequestLine> = {}): RequestLine {
  return {
    scenario: 's',
    seq,
    request_id: `x-s-abc-${seq}`,
    warmup: false,
    prompt_tokens: 80,
    sent_ms: sent,
    status: 200,
    usage: { prompt_tokens: 80, completion_tokens: 4, cached_tokens: cached },
    error: null,
    metrics: { ttft_ms: ttft },
    ...over,
  };
}

describe('classifyRequests', () => {
  test('server evidence: warm from half the system prompt cached; a chat template block alone is not warm', () => {
    expect(warmThreshold(SHAPE)).toBe(32);
    const lines = [line(0, 0, 0, 50), line(1, 10, 16, 50), line(2, 20, 64, 10), line(3, 30, 32, 10)];
    const c = classifyRequests(lines, SHAPE);
    expect(c.map((r) => [r.seq, r.group, r.question, r.warm, r.evidence, r.orderWarm])).toEqual([
      [0, 0, 0, false, 'server', false],
      [1, 1, 0, false, 'server', false],
      [2, 0, 1, true, 'server', true],
      [3, 1, 1, true, 'server', true],
    ]);
  });

  test('the server wins over the order guess: requests in flight together may both be cold; an evicted prefix is cold again', () => {
    // seq 0 and 2 (group 0) sent 1 ms apart: both cold on the server. seq 4 (group 0) cold again after an eviction.
    const lines = [line(0, 0, 0, 50), line(2, 1, 0, 52), line(4, 100, 0, 49), line(1, 2, 0, 50), line(3, 90, 64, 9)];
    const c = classifyRequests(lines, SHAPE);
    expect(c.map((r) => [r.seq, r.warm, r.orderWarm])).toEqual([
      [0, false, false],
      [1, false, false],
      [2, false, true],
      [3, true, true],
      [4, false, true],
    ]);
  });

  test('order evidence without cached_tokens: the first of its group to be sent is cold (warm-up included), by send time, not seq', () => {
    const lines = [
      line(0, 0, null, 50, { warmup: true, metrics: null }),
      line(3, 5, null, 51), // group 1, sent before seq 1
      line(1, 6, null, 12),
      line(2, 7, null, 11),
      line(4, 8, null, 12, { usage: null }),
    ];
    const c = classifyRequests(lines, SHAPE);
    expect(c.map((r) => [r.seq, r.warm, r.evidence])).toEqual([
      [0, false, 'order'],
      [1, true, 'order'],
      [2, true, 'order'],
      [3, false, 'order'],
      [4, true, 'order'],
    ]);
    // Warm-up requests are labelled but never measured.
    expect(warmColdTtft(c)).toEqual({ warm: ttftStats([12, 11, 12]), cold: ttftStats([51]) });
  });

  test('a request that never reached the server is not the first of its group; failures have no TTFT', () => {
    const lines = [
      line(0, 0, null, 0, { status: null, usage: null, error: { class: 'connect_refused', message: 'x' }, metrics: { ttft_ms: null } }),
      line(2, 5, null, 40),
      line(4, 9, null, 9),
    ];
    const c = classifyRequests(lines, SHAPE);
    expect(c.map((r) => [r.seq, r.ok, r.warm])).toEqual([
      [0, false, true],
      [2, true, false],
      [4, true, true],
    ]);
    expect(warmColdTtft(c)).toEqual({ warm: ttftStats([9]), cold: ttftStats([40]) });
  });

  test('cycles: whole prompts repeat after groups x prompts requests', () => {
    const c = classifyRequests([line(5, 0, 0, 1), line(6, 1, 79, 1), line(7, 2, 79, 1)], SHAPE);
    expect(c.map((r) => [r.group, r.question, r.cycle])).toEqual([
      [1, 2, 0],
      [0, 0, 1],
      [1, 0, 1],
    ]);
  });
});

test('ttftStats: count, numpy-linear p50/p95, mean; empty', () => {
  expect(ttftStats([10, 20, 30, 40])).toEqual({ count: 4, p50Ms: 25, p95Ms: 38.5, meanMs: 25 });
  expect(ttftStats([])).toEqual({ count: 0, p50Ms: null, p95Ms: null, meanMs: null });
});

describe('idealHitRate', () => {
  test('first of a group hits nothing, later ones the system prompt in whole blocks, repeats all but the last token', () => {
    // 2 groups x 3 prompts, 80-token prompts, block 16: 64 of the system prompt (4 blocks) is shareable.
    const lines = Array.from({ length: 8 }, (_, i) => line(i, i, null, 1));
    const c = classifyRequests(lines, SHAPE);
    // seq 0,1: 0; seq 2..5: 64 each; seq 6,7 repeat prompts of seq 0,1: floor(79/16)*16 = 64.
    expect(idealHitRate(c, lines, SHAPE, 16)).toBeCloseTo((4 * 64 + 2 * 64) / (8 * 80), 12);
    // Block 48: one block of the system prompt (48), repeats: floor(79/48)*48 = 48.
    expect(idealHitRate(c, lines, SHAPE, 48)).toBeCloseTo((6 * 48) / (8 * 80), 12);
  });

  test('send order decides who is first; failed requests are left out; nothing ok: null', () => {
    const lines = [line(2, 0, null, 1), line(0, 1, null, 1), line(1, 2, null, 1, { error: { class: 'http_status', message: '' } })];
    const c = classifyRequests(lines, SHAPE);
    expect(idealHitRate(c, lines, SHAPE, 16)).toBeCloseTo(64 / 160, 12);
    expect(idealHitRate([], [], SHAPE, 16)).toBeNull();
  });
});

function scrape(url: string, text: string): ScrapeResult {
  const r = parsePromText(text);
  if (!r.ok) throw new Error(r.error.message);
  return { ok: true, url, samples: r.value.samples, families: r.value.families, atMs: 0 };
}

const counters = (q: number, h: number, model = 'm') =>
  `vllm:prefix_cache_queries_total{model_name="${model}",engine="0"} ${q}\nvllm:prefix_cache_hits_total{model_name="${model}",engine="0"} ${h}\n`;

describe('serverHitRate', () => {
  test('Δhits / Δqueries, summed over every scraped server', () => {
    const r = serverHitRate([scrape('u1', counters(100, 10)), scrape('u2', counters(0, 0))], [scrape('u1', counters(1100, 810)), scrape('u2', counters(1000, 200))], { model_name: 'm' });
    expect(r).toEqual({ available: true, urls: ['u1', 'u2'], filter: { model_name: 'm' }, queriedTokens: 2000, hitTokens: 1000, hitRate: 0.5, notes: [] });
  });

  test('unavailable with the reason: a failed scrape, a reset, a missing counter (with the V0 hint), hits above queries', () => {
    const fail: ScrapeResult = { ok: false, url: 'u', reason: 'connection refused' };
    expect(serverHitRate([fail], [scrape('u', counters(1, 1))], {})).toEqual({ available: false, urls: ['u'], reason: 'before the run: connection refused' });
    expect(serverHitRate([scrape('u', counters(500, 100))], [scrape('u', counters(20, 5))], { model_name: 'm' })).toMatchObject({
      available: false,
      reason: expect.stringMatching(/^counter reset: vllm:prefix_cache_queries_total\{engine="0",model_name="m"\} went down from 500 to 20/),
    });
    const v0 = scrape('u', 'vllm:gpu_prefix_cache_hit_rate{model_name="m"} 0.4\n');
    expect(serverHitRate([v0], [v0], { model_name: 'm' })).toMatchObject({ available: false, reason: expect.stringContaining('lifetime gauge of vLLM V0') });
    expect(serverHitRate([scrape('u', counters(0, 0))], [scrape('u', counters(10, 20))], {})).toMatchObject({ available: false, reason: expect.stringContaining('more than') });
    expect(serverHitRate([scrape('u', counters(0, 0, 'other'))], [scrape('u', counters(10, 5, 'other'))], { model_name: 'm' })).toMatchObject({
      available: false,
      reason: 'after the run: no vllm:prefix_cache_queries_total series with {model_name="m"} (seen model_name: other)',
    });
  });

  test('a series that appeared during the test is a note', () => {
    const r = serverHitRate([scrape('u', '')], [scrape('u', counters(10, 5))], { model_name: 'm' });
    expect(r).toMatchObject({ available: true, hitRate: 0.5, notes: ['vllm:prefix_cache_queries_total{engine="0",model_name="m"} appeared during the test (counted from 0)'] });
  });
});

test('blockSizeOf reads vllm:cache_config_info, else null', () => {
  expect(blockSizeOf([{ ok: false, url: 'x', reason: 'r' }, scrape('u', 'vllm:cache_config_info{block_size="32",engine="0"} 1.0\n')])).toBe(32);
  expect(blockSizeOf([scrape('u', 'x 1\n')])).toBeNull();
});

const CHECKS: PrefixCacheChecks = { warmP95ToColdP50: 1, minHitRate: null, minHitRateOfIdeal: 0.75, requireServerMetrics: false };

function section(over: Partial<PrefixCacheReport> = {}): PrefixCacheReport {
  return {
    workload: { groups: 2, promptsPerGroup: 3, systemPromptTokens: 64, questionTokens: 16, requests: 6 },
    evidence: 'server',
    labelled: { server: 6, order: 0, orderDisagrees: 0 },
    warmThresholdTokens: 32,
    warm: { count: 4, p50Ms: 10, p95Ms: 12, meanMs: 10.5 },
    cold: { count: 2, p50Ms: 50, p95Ms: 52, meanMs: 50 },
    usageHitRate: 0.53,
    ideal: { hitRate: 0.5333, blockSize: 16, blockSizeFrom: 'server' },
    server: { available: true, urls: ['http://h/metrics'], filter: { model_name: 'm' }, queriedTokens: 480, hitTokens: 256, hitRate: 256 / 480, notes: [] },
    checks: [],
    settings: { ...CHECKS, metricsUrls: ['http://h/metrics'] },
    overrides: [],
    ...over,
  };
}

describe('evaluatePrefixCacheChecks', () => {
  test('both pass: warm p95 below cold p50, hit rate above 0.75 x ideal', () => {
    const checks = evaluatePrefixCacheChecks(section(), CHECKS);
    expect(checks.map((c) => [c.name, c.pass, c.skipped, c.detail])).toEqual([
      ['warm TTFT p95 < 1 x cold TTFT p50', true, false, '12.0 ms < 50.0 ms'],
      ['server prefix-cache hit rate >= 40.0% (0.75 x ideal 53.3%)', true, false, '53.3% >= 40.0%'],
    ]);
  });

  test('fail: warm not faster enough under a tighter ratio; hit rate below an absolute floor', () => {
    const checks = evaluatePrefixCacheChecks(section(), { ...CHECKS, warmP95ToColdP50: 0.2, minHitRate: 0.6 });
    expect(checks.map((c) => [c.name, c.pass, c.detail])).toEqual([
      ['warm TTFT p95 < 0.2 x cold TTFT p50', false, '12.0 ms >= 10.0 ms'],
      ['server prefix-cache hit rate >= 60.0%', false, '53.3% < 60.0%'],
    ]);
  });

  test('no cold (or no warm) request measured fails with the likely cause', () => {
    const [noCold] = evaluatePrefixCacheChecks(section({ cold: { count: 0, p50Ms: null, p95Ms: null, meanMs: null } }), CHECKS);
    expect(noCold).toMatchObject({ pass: false, detail: expect.stringMatching(/^no cold request measured: every group \(2\) was warm/) });
    const none = { count: 0, p50Ms: null, p95Ms: null, meanMs: null };
    const [noWarm] = evaluatePrefixCacheChecks(section({ warm: none }), CHECKS);
    expect(noWarm).toMatchObject({ pass: false, detail: expect.stringMatching(/^no warm request measured/) });
    const [nothing] = evaluatePrefixCacheChecks(section({ warm: none, cold: none }), CHECKS);
    expect(nothing).toMatchObject({ pass: false, detail: 'no measured request has a TTFT (every one failed, or the scenario does not stream)' });
  });

  test('server metrics unavailable: the hit-rate check is skipped, or fails when required', () => {
    const down = section({ server: { available: false, urls: ['u'], reason: 'HTTP 404' } });
    expect(evaluatePrefixCacheChecks(down, CHECKS)[1]).toMatchObject({ pass: true, skipped: true, detail: 'server metrics unavailable: HTTP 404' });
    expect(evaluatePrefixCacheChecks(down, { ...CHECKS, requireServerMetrics: true })[1]).toMatchObject({ pass: false, skipped: false });
  });
});

test('renderPrefixCache: the table, evidence, hit rates and checks', () => {
  const r = section();
  r.checks = evaluatePrefixCacheChecks(r, CHECKS);
  expect(renderPrefixCache('prefix-cache/x', r)).toBe(
    [
      'prefix-cache/x  prefix cache: 2 groups x 3 prompts, system prompt 64 + question 16 tokens, 6 requests',
      '  TTFT (ms)           n      p50      p95     mean',
      '  cold                2     50.0     52.0     50.0',
      '  warm                4     10.0     12.0     10.5',
      '  warm p50 is 0.20 x cold p50; warm p95 is 0.24 x cold p50',
      '  evidence: server (usage.prompt_tokens_details.cached_tokens on 6 of 6 requests, cached_tokens >= 32 = warm; the order guess agrees on all)',
      '  server hit rate 53.3% over the test (Δhits 256 / Δqueries 480 tokens, {model_name="m"} at http://h/metrics); ideal 53.3% (block size 16, from the server), from usage 53.0%',
      '  pass  warm TTFT p95 < 1 x cold TTFT p50: 12.0 ms < 50.0 ms',
      '  pass  server prefix-cache hit rate >= 40.0% (0.75 x ideal 53.3%): 53.3% >= 40.0%',
    ].join('\n'),
  );
  const down = section({ evidence: 'order', labelled: { server: 0, order: 6, orderDisagrees: 0 }, usageHitRate: null, server: { available: false, urls: ['u'], reason: 'HTTP 404' } });
  down.checks = evaluatePrefixCacheChecks(down, CHECKS);
  const text = renderPrefixCache('p/x', down);
  expect(text).toContain('  evidence: order (the server gave no cached_tokens');
  expect(text).toContain('  server metrics unavailable: HTTP 404\n  hit rate: ideal 53.3% (block size 16, from the server)\n');
  expect(text).toContain('  skip  server prefix-cache hit rate');
});
