import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lib/config/format-issues.ts';
import { applyScenarioOverrides } from '../../lib/config/resolve-scenarios.ts';
import { DataSchema } from '../../lib/config/schema/data.ts';
import { ScenarioFileSchema } from '../../lib/config/schema/scenario.ts';
import { createDataSource, DataError, islOslCells, mixOrder } from '../../lib/data/index.ts';
import { getTokenizer } from '../../lib/tokenizer/index.ts';

describe('isl_osl data', () => {
  it('one cell per pair, in order, not the cross product', () => {
    expect(islOslCells({ type: 'isl_osl', pairs: [[8192, 1024], [1024, 128], [128, 1024]], seed: 1 }).map((c) => c.label)).toEqual([
      'prompt=8192,max_tokens=1024',
      'prompt=1024,max_tokens=128',
      'prompt=128,max_tokens=1024',
    ]);
  });

  it('names a bad or repeated pair', () => {
    expect(() => islOslCells({ type: 'isl_osl', pairs: [[10, 5], [10, 5]], seed: 1 })).toThrow(/data\.pairs\[1\]: \[10, 5\] repeats data\.pairs\[0\]/);
    expect(() => islOslCells({ type: 'isl_osl', pairs: [[10, 0]], seed: 1 })).toThrow(DataError);
    expect(() => validateConfig(DataSchema, { type: 'isl_osl', pairs: [[10]] }, { source: 's.yaml' })).toThrow(/s\.yaml: pairs\[0\]/);
    expect(() => validateConfig(DataSchema, { type: 'isl_osl', pairs: [] }, { source: 's.yaml' })).toThrow(/non-empty list/);
  });

  it('builds token-exact prompts with each pair\'s max_tokens, cycling the pairs', async () => {
    const source = await createDataSource({ type: 'isl_osl', pairs: [[50, 7], [120, 3]], seed: 9, tokenizer: 'qwen3' }, { model: 'Qwen/Qwen3-0.6B' });
    expect(source.type).toBe('isl_osl');
    await source.prepare(4);
    const tok = await getTokenizer('qwen3');
    const got = [0, 1, 2, 3].map((i) => source.get(i));
    expect(got.map((p) => [p.tokens, p.maxTokens])).toEqual([[50, 7], [120, 3], [50, 7], [120, 3]]);
    for (const p of got) expect(tok.encode(p.text).length).toBe(p.tokens);
    expect(new Set(got.map((p) => p.text)).size).toBe(4);
  });

  it('BENCH_MAX_TOKENS sets every output length, one cell per input length', () => {
    const file = validateConfig(
      ScenarioFileSchema,
      { scenarios: { m: { num_requests: 4, load: { type: 'concurrency', concurrency: 1 }, data: { type: 'isl_osl', pairs: [[8192, 1024], [8192, 128], [1024, 128]] } } } },
      { source: 's.yaml' },
    );
    const { config, overrides } = applyScenarioOverrides(file, { BENCH_MAX_TOKENS: '16' });
    expect(config.scenarios.m!.data).toMatchObject({ pairs: [[8192, 16], [1024, 16]] });
    expect(overrides).toEqual([{ path: 'scenarios.m.data.pairs', value: [[8192, 16], [1024, 16]], source: 'env BENCH_MAX_TOKENS' }]);
  });
});

describe('mix data', () => {
  it('spreads requests by share with smooth weighted round-robin: exact counts per period, interleaved', () => {
    expect(mixOrder([0.4, 0.4, 0.2])).toEqual([0, 1, 2, 0, 1]);
    expect(mixOrder([0.5, 0.5])).toEqual([0, 1]);
    expect(mixOrder([1])).toEqual([0]);
    const order = mixOrder([0.7, 0.2, 0.1]);
    expect(order).toHaveLength(10);
    expect([0, 1, 2].map((k) => order.filter((x) => x === k).length)).toEqual([7, 2, 1]);
    // Interleaved, not one run of 7 followed by the others.
    expect(order.join('')).not.toMatch(/000000/);
  });

  it('rejects shares that do not sum to 1 or are finer than 0.001, naming the path', () => {
    expect(() => mixOrder([0.5, 0.4])).toThrow(/data\.components: shares sum to 0\.9, not 1/);
    expect(() => mixOrder([0.9995, 0.0005])).toThrow(/data\.components\[0\]\.share: share 0\.9995 is not a multiple of 0\.001/);
  });

  it('builds each component\'s sizes in its share of the requests', async () => {
    const source = await createDataSource(
      { type: 'mix', seed: 4, tokenizer: 'words', components: [{ share: 0.4, prompt_tokens: 20, max_tokens: 5 }, { share: 0.4, prompt_tokens: 60, max_tokens: 10 }, { share: 0.2, prompt_tokens: 200, max_tokens: 50 }] },
      { model: 'x' },
    );
    expect(source.cells).toEqual(['prompt=20,max_tokens=5', 'prompt=60,max_tokens=10', 'prompt=200,max_tokens=50']);
    await source.prepare(100);
    const counts = new Map<string, number>();
    for (let i = 0; i < 100; i++) counts.set(source.get(i).cell, (counts.get(source.get(i).cell) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ 'prompt=20,max_tokens=5': 40, 'prompt=60,max_tokens=10': 40, 'prompt=200,max_tokens=50': 20 });
    expect(source.get(2)).toMatchObject({ tokens: 200, maxTokens: 50 });
  });

  it('BENCH_MAX_TOKENS sets every max_tokens, merging components that become alike', () => {
    const file = validateConfig(
      ScenarioFileSchema,
      { scenarios: { m: { num_requests: 4, load: { type: 'concurrency', concurrency: 1 }, data: { type: 'mix', components: [{ share: 0.3, prompt_tokens: 10, max_tokens: 5 }, { share: 0.3, prompt_tokens: 10, max_tokens: 9 }, { share: 0.4, prompt_tokens: 50, max_tokens: 5 }] } } } },
      { source: 's.yaml' },
    );
    const { config } = applyScenarioOverrides(file, { BENCH_MAX_TOKENS: '16' });
    expect(config.scenarios.m!.data).toMatchObject({ components: [{ share: 0.6, prompt_tokens: 10, max_tokens: 16 }, { share: 0.4, prompt_tokens: 50, max_tokens: 16 }] });
  });
});
