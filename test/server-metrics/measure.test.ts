/**
 * The prefix-cache measurement end to end, over loopback: real `runScenario` runs of
 * `shared_prefix` data against the vLLM simulator (Qwen3 tokenizer on both sides, completions
 * API, so prompt sizes are exact on the server and the ideal hit rate is exact too), its real
 * `/metrics`, and the run's `requests.jsonl` read back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { capabilitiesFor } from '../../lib/apis/index.ts';
import { ScenarioSchema } from '../../lib/config/schema/scenario.ts';
import { ConfigError } from '../../lib/errors/config-error.ts';
import { HttpTarget } from '../../lib/http/target.ts';
import type { TestReport } from '../../lib/report/model.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import type { OpenTarget } from '../../lib/scenario/open-target.ts';
import { runScenario, type ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { defaultMetricsUrl, measurePrefixCache, resolvePrefixCacheSettings, sharedPrefixShape, type PrefixCacheOptions } from '../../lib/server-metrics/measure.ts';
import { readTestRequests } from '../../lib/server-metrics/requests-reader.ts';
import { type SimServer, startSimServer } from '../../sim/vllm/server.ts';
import { resolveScenarioSlo } from '../../lib/slo/resolve.ts';
import { closedPort, httpServer, MODEL, TIMEOUTS } from '../http/drive.ts';

const KEY = 'sk-prefix-SECRET-9876';
const DATA = { type: 'shared_prefix', num_groups: 4, num_prompts_per_group: 3, system_prompt_len: 512, question_len: 32, output_len: 4 } as const;

let dir: string;
let requests: RequestsFile;
let sim: SimServer;
let bare: SimServer;
let other: Awaited<ReturnType<typeof httpServer>>;
let otherHeaders: IncomingHttpHeaders[] = [];

// Prefill 1 ms + 0.05 ms per uncached token: a cold 544-token prompt ~28 ms, a warm one ~3 ms.
const SIM = { profile: 'test-fast', tokenizer: 'qwen3', prefill_per_token_ms: 0.05, block_size: 16 } as const;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-prefix-'));
  requests = new RequestsFile(join(dir, 'requests.jsonl'));
  sim = await startSimServer(SIM);
  bare = await startSimServer({ ...SIM, prompt_tokens_details: false });
  other = await httpServer((req, res) => {
    otherHeaders.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('vllm:prefix_cache_queries_total{model_name="x"} 1.0\n');
  });
});

afterAll(async () => {
  requests.close();
  await Promise.all([sim.close(), bare.close(), other.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** The simulator at `url` as the fixtures would open it, with an API key (the simulator ignores it). */
function target(url: string): OpenTarget {
  return {
    info: { name: 'simulator', kind: 'simulator', origin: 'test', baseUrl: url, model: MODEL, servedModels: [MODEL], backend: 'vllm', accelerator: null, notes: null, simulator: null },
    http: new HttpTarget({ baseUrl: url, apiKey: KEY, timeouts: TIMEOUTS }),
    caps: capabilitiesFor('vllm'),
    defaultApi: 'completions',
    maxTokens: null,
    tokenizer: 'qwen3',
    timeoutOverrides: undefined,
  };
}

function scenario(over: Record<string, unknown> = {}): ScenarioInput {
  return ScenarioSchema.parse({ num_requests: 12, warmup_requests: 0, load: { type: 'concurrency', concurrency: 1 }, data: DATA, ...over }) as unknown as ScenarioInput;
}

function run(t: OpenTarget, name: string, sc: ScenarioInput): Promise<{ report: TestReport }> {
  return runScenario({
    suite: 'prefix-unit',
    name,
    scenario: sc,
    target: t,
    slo: { ...resolveScenarioSlo(undefined, {}, 'test.yaml'), floors: { minSuccessRate: 0.95, maxScheduleLagP99Ms: 50 } },
    timeouts: TIMEOUTS,
    runDir: dir,
    requests,
    overrides: [],
    seedSalt: 'prefix',
  }).then((report) => ({ report }));
}

function measure(url: string, name: string, sc = scenario(), options: PrefixCacheOptions = {}, env: NodeJS.ProcessEnv = {}) {
  const t = target(url);
  return measurePrefixCache({ target: t, data: sc.data, run: () => run(t, name, sc), options, env });
}

describe('measurePrefixCache against the simulator', () => {
  test('one at a time: the first of each group is cold, the rest warm, by the server; hit rate = ideal = usage; checks pass', async () => {
    const m = await measure(sim.url, 'sequential');
    const pc = m.prefixCache;
    expect(m.result.report.prefixCache).toBe(pc);
    expect(pc.evidence).toBe('server');
    expect(pc.labelled).toEqual({ server: 12, order: 0, orderDisagrees: 0 });
    expect([pc.cold.count, pc.warm.count]).toEqual([4, 8]);
    expect(pc.warm.p95Ms!).toBeLessThan(pc.cold.p50Ms!);
    // 12 prompts of 544 tokens; 8 warm ones hit the 512-token system prompt (32 whole blocks).
    const ideal = (8 * 512) / (12 * 544);
    expect(pc.ideal).toEqual({ hitRate: ideal, blockSize: 16, blockSizeFrom: 'server' });
    expect(pc.usageHitRate).toBe(ideal);
    expect(pc.server).toMatchObject({ available: true, queriedTokens: 12 * 544, hitTokens: 8 * 512, hitRate: ideal, filter: { model_name: MODEL }, urls: [`${sim.url}/metrics`], notes: [] });
    expect(pc.checks.map((c) => [c.pass, c.skipped])).toEqual([
      [true, false],
      [true, false],
    ]);
    expect(m.failures).toEqual([]);
    expect(m.text).toMatch(/^prefix-unit\/sequential {2}prefix cache: 4 groups x 3 prompts, system prompt 512 \+ question 32 tokens, 12 requests\n/);
    expect(m.text).toContain('evidence: server (usage.prompt_tokens_details.cached_tokens on 12 of 12 requests, cached_tokens >= 256 = warm; the order guess agrees on all)');
    expect(JSON.parse(JSON.stringify(pc))).toEqual(pc);
  });

  test('warm-up requests count on the server and warm their groups: fewer cold measured requests, same exact hit rate', async () => {
    const m = await measure(sim.url, 'warmup', scenario({ warmup_requests: 2, num_requests: 10 }));
    const pc = m.prefixCache;
    expect(pc.workload.requests).toBe(12);
    expect([pc.cold.count, pc.warm.count]).toEqual([2, 8]);
    expect(pc.server).toMatchObject({ available: true, hitRate: pc.ideal.hitRate });
    expect(pc.ideal.hitRate).toBe((8 * 512) / (12 * 544));
  });

  test('no cached_tokens from the server: the order guess labels, and says so; the hit rate still comes from /metrics', async () => {
    const m = await measure(bare.url, 'no-details');
    const pc = m.prefixCache;
    expect(pc.evidence).toBe('order');
    expect(pc.labelled).toEqual({ server: 0, order: 12, orderDisagrees: 0 });
    expect([pc.cold.count, pc.warm.count]).toEqual([4, 8]);
    expect(pc.usageHitRate).toBeNull();
    expect(pc.server).toMatchObject({ available: true, hitRate: pc.ideal.hitRate });
    expect(m.text).toContain('evidence: order (the server gave no cached_tokens');
  });

  test('metrics unreachable: the hit rate is unavailable with the reason, TTFT is still split, the check is skipped', async () => {
    const port = await closedPort();
    const m = await measure(sim.url, 'no-metrics', scenario(), { metricsUrls: [`http://127.0.0.1:${port}/metrics`] });
    const pc = m.prefixCache;
    expect(pc.server).toMatchObject({ available: false, reason: expect.stringMatching(/^before the run: connection refused/) });
    expect([pc.cold.count, pc.warm.count]).toEqual([4, 8]);
    expect(pc.checks[1]).toMatchObject({ skipped: true, pass: true, detail: expect.stringMatching(/^server metrics unavailable: before the run: connection refused/) });
    expect(m.failures).toEqual([]);
    expect(m.text).toContain('server metrics unavailable: before the run: connection refused');
    // Required: the same run fails the check.
    const strict = await measure(sim.url, 'no-metrics-strict', scenario(), { metricsUrls: [`http://127.0.0.1:${port}/metrics`], requireServerMetrics: true });
    expect(strict.failures.map((c) => c.name)).toEqual([expect.stringMatching(/^server prefix-cache hit rate/)]);
  });

  test("the target's key goes to its own origin's /metrics only, and never into a reason", async () => {
    otherHeaders = [];
    const m = await measure(sim.url, 'other-origin', scenario({ num_requests: 4 }), { metricsUrls: [`${other.url}/metrics`] });
    expect(otherHeaders).toHaveLength(2);
    for (const h of otherHeaders) expect(h.authorization).toBeUndefined();
    expect(m.prefixCache.server).toMatchObject({ available: false });
    expect(JSON.stringify(m.prefixCache)).not.toContain(KEY);
    expect(m.text).not.toContain(KEY);
  });

  test('prompts an earlier run left cached (a pinned data.seed): the server calls every request warm, the order guess disagrees, the check says why', async () => {
    const pinned = scenario({ num_requests: 8, data: { ...DATA, seed: 77 } });
    await measure(sim.url, 'pinned-first', pinned);
    const m = await measure(sim.url, 'pinned-again', pinned);
    const pc = m.prefixCache;
    expect([pc.cold.count, pc.warm.count]).toEqual([0, 8]);
    expect(pc.labelled).toEqual({ server: 8, order: 0, orderDisagrees: 4 });
    expect(m.text).toContain('the order guess would have mislabelled 4');
    expect(m.failures[0]).toMatchObject({ name: 'warm TTFT p95 < 1 x cold TTFT p50', detail: expect.stringMatching(/^no cold request measured: every group \(4\) was warm before the measured requests \(warm-up requests, or an earlier run with the same data.seed\)/) });
  });

  test('a failing check is returned, not thrown', async () => {
    const m = await measure(sim.url, 'strict-ratio', scenario({ num_requests: 8 }), { warmP95ToColdP50: 0.001, minHitRate: 0.99 });
    expect(m.failures.map((c) => c.pass)).toEqual([false, false]);
  });
});

describe('readTestRequests', () => {
  test('reads only the run behind the report, even when the same scenario ran twice into one file', async () => {
    const sc = scenario({ num_requests: 4 });
    const a = await run(target(sim.url), 'twice', sc);
    const b = await run(target(sim.url), 'twice', sc);
    const la = await readTestRequests(a.report);
    const lb = await readTestRequests(b.report);
    expect(la.map((l) => l.seq)).toEqual([0, 1, 2, 3]);
    expect(lb.map((l) => l.seq)).toEqual([0, 1, 2, 3]);
    expect(new Set([...la, ...lb].map((l) => l.request_id)).size).toBe(8);
  });

  test('no record of the run: an error naming the file', async () => {
    const { report } = await run(target(sim.url), 'gone', scenario({ num_requests: 1 }));
    await expect(readTestRequests({ ...report, scenario: 'never-ran' })).rejects.toThrow(/holds no record of prefix-unit\/never-ran/);
    await expect(readTestRequests({ ...report, runDir: join(dir, 'nope') })).rejects.toThrow(/cannot read the request records/);
  });
});

describe('settings', () => {
  const t = target('http://127.0.0.1:8000');

  test('defaults, then the test, then the environment (recorded)', () => {
    expect(resolvePrefixCacheSettings(t, {}, {})).toEqual({
      settings: { warmP95ToColdP50: 1, minHitRate: null, minHitRateOfIdeal: 0.75, requireServerMetrics: false, metricsUrls: ['http://127.0.0.1:8000/metrics'] },
      overrides: [],
    });
    const r = resolvePrefixCacheSettings(t, { warmP95ToColdP50: 0.5, minHitRate: 0.2 }, { BENCH_METRICS_URL: 'http://a:1/metrics, http://b:2/metrics', BENCH_PREFIX_TTFT_RATIO: '0.8', BENCH_PREFIX_MIN_HIT_RATE: '0.6' });
    expect(r.settings).toMatchObject({ warmP95ToColdP50: 0.8, minHitRate: 0.6, metricsUrls: ['http://a:1/metrics', 'http://b:2/metrics'] });
    expect(r.overrides.map((o) => o.source)).toEqual(['env BENCH_METRICS_URL', 'env BENCH_PREFIX_TTFT_RATIO', 'env BENCH_PREFIX_MIN_HIT_RATE']);
  });

  test.each([
    [{ BENCH_PREFIX_MIN_HIT_RATE: '1.5' }, 'env: BENCH_PREFIX_MIN_HIT_RATE: expected a number > 0 and <= 1, got "1.5"'],
    [{ BENCH_PREFIX_TTFT_RATIO: 'fast' }, /BENCH_PREFIX_TTFT_RATIO/],
    [{ BENCH_METRICS_URL: 'localhost:9090' }, 'env: BENCH_METRICS_URL: expected http(s) URLs separated by commas, got "localhost:9090"'],
    // Credentials are refused without being quoted: they would show in reports.
    [
      { BENCH_METRICS_URL: 'http://a:1/metrics,http://user:s3cret-pw@b:2/metrics' },
      "env: BENCH_METRICS_URL: credentials in the URL are not allowed (they would show in reports); a metrics URL of the target's origin is sent the target's headers",
    ],
  ])('%o is a config error', (env, message) => {
    const err = (() => {
      try {
        resolvePrefixCacheSettings(t, {}, env);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    if (typeof message === 'string') expect((err as Error).message).toBe(message);
    else expect((err as Error).message).toMatch(message);
  });

  test.each([
    ['http://127.0.0.1:8000', 'http://127.0.0.1:8000/metrics'],
    ['http://127.0.0.1:8000/', 'http://127.0.0.1:8000/metrics'],
    ['https://api.example/v1', 'https://api.example/metrics'],
    ['http://gw.example/ns/model/v1', 'http://gw.example/ns/model/metrics'],
    ['http://gw.example/ns/model', 'http://gw.example/ns/model/metrics'],
  ])('defaultMetricsUrl(%s) = %s', (base, url) => {
    expect(defaultMetricsUrl(base)).toBe(url);
  });

  test('only shared_prefix data can be measured', () => {
    expect(() => sharedPrefixShape({ type: 'synthetic', prompt_tokens: [1], max_tokens: [1] })).toThrow(ConfigError);
    expect(sharedPrefixShape(DATA)).toEqual({ numGroups: 4, promptsPerGroup: 3, systemPromptTokens: 512, questionTokens: 32 });
  });
});
