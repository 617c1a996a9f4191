import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lib/config/format-issues.ts';
import { applyScenarioOverrides } from '../../lib/config/resolve-scenarios.ts';
import { DataSchema } from '../../lib/config/schema/data.ts';
import { ScenarioFileSchema } from '../../lib/config/schema/scenario.ts';
import { createDataSource, DataError, islOslCells } from '../../lib/data/index.ts';
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
