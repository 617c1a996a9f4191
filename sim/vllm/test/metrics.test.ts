import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPromValue, PromRegistry } from '../prom-registry.ts';
import { startSimServer, type SimServer } from '../server.ts';
import { buckets125 } from '../vllm-metrics.ts';
import { metric, parseProm, post, readEvents, stream, until } from './sim-client.ts';

const FAMILIES: Array<[string, string]> = [
  ['vllm:num_requests_running', 'gauge'],
  ['vllm:num_requests_waiting', 'gauge'],
  ['vllm:kv_cache_usage_perc', 'gauge'],
  ['vllm:prefix_cache_queries_total', 'counter'],
  ['vllm:prefix_cache_hits_total', 'counter'],
  ['vllm:prompt_tokens_total', 'counter'],
  ['vllm:generation_tokens_total', 'counter'],
  ['vllm:request_success_total', 'counter'],
  ['vllm:time_to_first_token_seconds', 'histogram'],
  ['vllm:inter_token_latency_seconds', 'histogram'],
  ['vllm:e2e_request_latency_seconds', 'histogram'],
  ['vllm:request_queue_time_seconds', 'histogram'],
];

describe('PromRegistry', () => {
  it('formats values like prometheus_client and renders families in order', () => {
    expect([formatPromValue(3), formatPromValue(0.25), formatPromValue(Infinity)]).toEqual(['3.0', '0.25', '+Inf']);
    const r = new PromRegistry();
    const h = r.histogram('x_seconds', 'X.', ['a'], [0.1, 1]).labels('q"1');
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    let collected = 0;
    r.onCollect(() => void collected++);
    r.counter('y', 'Y.', []).labels().inc(2);
    expect(r.render()).toBe(
      [
        '# HELP x_seconds X.',
        '# TYPE x_seconds histogram',
        'x_seconds_bucket{a="q\\"1",le="0.1"} 1.0',
        'x_seconds_bucket{a="q\\"1",le="1.0"} 2.0',
        'x_seconds_bucket{a="q\\"1",le="+Inf"} 3.0',
        'x_seconds_count{a="q\\"1"} 3.0',
        'x_seconds_sum{a="q\\"1"} 5.55',
        '# HELP y_total Y.',
        '# TYPE y_total counter',
        'y_total 2.0',
        '',
      ].join('\n'),
    );
    expect(collected).toBe(1);
    expect(() => r.gauge('y', 'again', [])).toThrow(/registered twice/);
  });

  it("builds vLLM's 1-2-5 token buckets", () => {
    expect(buckets125(1000)).toEqual([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]);
  });
});

describe('GET /metrics', () => {
  let sim: SimServer;
  let url: string;
  const model = 'Qwen/Qwen3-0.6B';
  const L = `{model_name="${model}",engine="0"}`;
  beforeAll(async () => {
    sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words', itl_ms: 1, block_size: 16, kv_cache_blocks: 100 });
    url = sim.url;
  });
  afterAll(() => sim.close());

  it("exposes vLLM's series with HELP, TYPE and vLLM's bucket boundaries", async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const [name, type] of FAMILIES) {
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
      expect(text).toMatch(new RegExp(`# HELP ${name} \\S`));
    }
    const ttftLe = [...text.matchAll(/vllm:time_to_first_token_seconds_bucket\{[^}]*le="([^"]+)"/g)].map((m) => m[1]);
    expect(ttftLe.slice(0, 3)).toEqual(['0.001', '0.005', '0.01']);
    expect(ttftLe.slice(-2)).toEqual(['2560.0', '+Inf']);
    const e2eLe = [...text.matchAll(/vllm:e2e_request_latency_seconds_bucket\{[^}]*le="([^"]+)"/g)].map((m) => m[1]);
    expect(e2eLe.slice(0, 2)).toEqual(['0.3', '0.5']);
    expect(e2eLe.at(-2)).toBe('7680.0');
  });

  it('moves counters and histograms as requests complete; prefix-cache counts are in tokens', async () => {
    const prompt = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    for (let i = 0; i < 3; i++) {
      const r = await stream(`${url}/v1/completions`, { prompt, max_tokens: 5, stream: true, stream_options: { include_usage: true } });
      // 40 prompt tokens: two full blocks are cacheable (the last token never is).
      expect(r.events.at(-2)!.json.usage.prompt_tokens_details.cached_tokens).toBe(i === 0 ? 0 : 32);
    }
    const m = parseProm(await (await fetch(`${url}/metrics`)).text());
    expect(m.get(`vllm:prefix_cache_queries_total${L}`)).toBe(120);
    expect(m.get(`vllm:prefix_cache_hits_total${L}`)).toBe(64);
    expect(m.get(`vllm:prompt_tokens_total${L}`)).toBe(120);
    expect(m.get(`vllm:generation_tokens_total${L}`)).toBe(15);
    expect(m.get(`vllm:request_success_total{model_name="${model}",engine="0",finished_reason="length"}`)).toBe(3);
    expect(m.get(`vllm:time_to_first_token_seconds_count${L}`)).toBe(3);
    expect(m.get(`vllm:inter_token_latency_seconds_count${L}`)).toBe(12);
    expect(m.get(`vllm:e2e_request_latency_seconds_count${L}`)).toBe(3);
    expect(m.get(`vllm:e2e_request_latency_seconds_sum${L}`)).toBeGreaterThan(0);
    const buckets = [...m].filter(([k]) => k.startsWith('vllm:inter_token_latency_seconds_bucket')).map(([, v]) => v);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]!);
    expect(buckets.at(-1)).toBe(12);
  });

  it('reports running requests and KV usage while a request decodes, and 0 after', async () => {
    const prompt = Array.from({ length: 100 }, (_, i) => `k${i}`).join(' ');
    const res = await post(`${url}/v1/completions`, { prompt, max_tokens: 400, stream: true });
    await until(async () => (await metric(url, 'vllm:num_requests_running')) === 1);
    // 100 prompt + generated tokens in 16-token blocks, of 100 blocks.
    expect(await metric(url, 'vllm:kv_cache_usage_perc')).toBeGreaterThanOrEqual(0.07);
    await readEvents(res);
    expect(await metric(url, 'vllm:num_requests_running')).toBe(0);
    expect(await metric(url, 'vllm:kv_cache_usage_perc')).toBe(0);
  });
});
