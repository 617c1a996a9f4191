import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Data } from '../../lib/config/schema/data.ts';
import { DATA_TYPES } from '../../lib/config/schema/data.ts';
import { DataError } from '../../lib/data/data-error.ts';
import { createDataSource, DATA_SOURCE_TYPES } from '../../lib/data/registry.ts';
import type { DataConfig } from '../../lib/data/registry.ts';
import type { TokenizerOption } from '../../lib/data/source.ts';
import { getTokenizer } from '../../lib/tokenizer/index.ts';

const synthetic = (tokenizer?: TokenizerOption): DataConfig => ({
  type: 'synthetic',
  prompt_tokens: [24],
  max_tokens: [4],
  seed: 0,
  ...(tokenizer ? { tokenizer } : {}),
});

describe('data source registry', () => {
  it('has exactly the data types of the config schema, and accepts its parsed output once the seed is chosen', () => {
    expect([...DATA_SOURCE_TYPES].sort()).toEqual([...DATA_TYPES].sort());
    expectTypeOf<Data & { seed: number }>().toExtend<DataConfig>();
  });

  it.each<[string, TokenizerOption | undefined, TokenizerOption | undefined, object]>([
    ['Qwen/Qwen3-0.6B', undefined, undefined, { name: 'qwen3', kind: 'model', exact: true }],
    ['meta-llama/Llama-3.1-8B-Instruct', undefined, undefined, { name: 'qwen3', kind: 'model', exact: false }],
    ['Qwen/Qwen3-8B', 'qwen3', undefined, { name: 'qwen3', kind: 'model', exact: true }],
    ['meta-llama/Llama-3.1-8B-Instruct', 'qwen3', undefined, { name: 'qwen3', kind: 'model', exact: false }],
    ['Qwen/Qwen3-8B', 'words', undefined, { name: 'words', kind: 'stand-in', exact: false }],
    ['Qwen/Qwen3-8B', undefined, 'words', { name: 'words', kind: 'stand-in', exact: false }],
    ['Qwen/Qwen3-8B', 'qwen3', 'words', { name: 'qwen3', kind: 'model', exact: true }],
    ['Qwen/Qwen3-8B', 'auto', 'words', { name: 'qwen3', kind: 'model', exact: true }],
  ])('model %s, data.tokenizer %s, context tokenizer %s -> %o', async (model, own, fromCtx, provenance) => {
    const src = await createDataSource(synthetic(own), { model, ...(fromCtx ? { tokenizer: fromCtx } : {}) });
    expect(src.type).toBe('synthetic');
    expect(src.tokenizer).toEqual(provenance);
    // The prompt is exact by the tokenizer the provenance names.
    await src.prepare(1);
    const tok = await getTokenizer(src.tokenizer.name as 'qwen3' | 'words');
    expect(tok.count(src.get(0).text)).toBe(24);
  });

  it('rejects an unknown type, listing the known ones', async () => {
    const config = { type: 'jsonl', path: 'x.jsonl' } as unknown as DataConfig;
    const err = await createDataSource(config, { model: 'm' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('DATA_UNKNOWN_TYPE');
    expect((err as DataError).message).toBe('data.type: unknown data source "jsonl" (known: synthetic, isl_osl, mix, random, shared_prefix, sharegpt, conversations, trace)');
    const inherited = { ...synthetic(), type: 'toString' } as unknown as DataConfig;
    await expect(createDataSource(inherited, { model: 'm' })).rejects.toThrow(/unknown data source "toString"/);
  });

  it('rejects an unknown tokenizer from an untyped caller', async () => {
    const config = { ...synthetic(), tokenizer: 'llama3' } as unknown as DataConfig;
    await expect(createDataSource(config, { model: 'm' })).rejects.toThrow(
      'data.tokenizer: unknown tokenizer "llama3" (expected auto, qwen3 or words)',
    );
  });
});
