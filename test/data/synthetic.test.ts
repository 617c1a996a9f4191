import { describe, expect, it } from 'vitest';
import { DataError } from '../../lib/data/data-error.ts';
import type { Prompt } from '../../lib/data/source.ts';
import { createSyntheticSource, SyntheticSource } from '../../lib/data/synthetic.ts';
import type { SyntheticDataConfig } from '../../lib/data/synthetic.ts';
import { getTokenizer } from '../../lib/tokenizer/index.ts';
import type { TokenizerName } from '../../lib/tokenizer/index.ts';

const SIZES = [
  ...Array.from({ length: 40 }, (_, k) => k + 1),
  50, 64, 100, 127, 255, 500, 1000, 2000, 4096, 8192,
];

async function source(name: TokenizerName, config: Partial<SyntheticDataConfig>): Promise<SyntheticSource> {
  const tok = await getTokenizer(name);
  return new SyntheticSource(
    { type: 'synthetic', prompt_tokens: [16], max_tokens: [8], seed: 1, ...config },
    tok,
    { name, kind: tok.kind, exact: false },
  );
}

async function prompts(src: SyntheticSource, count: number): Promise<Prompt[]> {
  await src.prepare(count);
  return Array.from({ length: count }, (_, i) => src.get(i));
}

describe.each<TokenizerName>(['qwen3', 'words'])('synthetic source, %s tokenizer', (name) => {
  it('builds every prompt with exactly its cell size, counted by encoding it', async () => {
    const tok = await getTokenizer(name);
    const src = await source(name, { prompt_tokens: SIZES, seed: 11 });
    const all = await prompts(src, SIZES.length * 2);
    const wrong: string[] = [];
    all.forEach((p, i) => {
      const want = SIZES[i % SIZES.length]!;
      const ids = tok.encode(p.text);
      if (ids.length !== want || p.tokens !== want) wrong.push(`#${i}: want ${want}, encoded ${ids.length}, says ${p.tokens}`);
      // The text survives a round trip, so what the server tokenizes is what was counted (the
      // words stand-in decodes every word with its leading space).
      const back = tok.decode(ids);
      if (back !== p.text && back !== ` ${p.text}`) wrong.push(`#${i}: does not round-trip`);
    });
    expect(wrong).toEqual([]);
  });

  it('gives the same prompts for the same seed in two instances, others for another seed', async () => {
    const config = { prompt_tokens: [30, 200], max_tokens: [10, 20], seed: 42 };
    const a = await prompts(await source(name, config), 40);
    const b = await prompts(await source(name, config), 40);
    const c = await prompts(await source(name, { ...config, seed: 43 }), 40);
    expect(b).toEqual(a);
    const shared = a.filter((p, i) => p.text === c[i]!.text);
    expect(shared).toEqual([]);
  });

  it('never lets two prompts of a run share their first 8 tokens', async () => {
    const tok = await getTokenizer(name);
    const all = await prompts(await source(name, { prompt_tokens: [8, 64, 300], max_tokens: [1, 2], seed: 5 }), 600);
    const prefixes = new Set(all.map((p) => tok.encode(p.text).slice(0, 8).join(',')));
    expect(prefixes.size).toBe(600);
  });

  it('opens every prompt with a word, not a space', async () => {
    const all = await prompts(await source(name, { prompt_tokens: [1, 5, 50], seed: 3 }), 60);
    expect(all.filter((p) => !/^[a-z]/.test(p.text))).toEqual([]);
  });
});

describe('synthetic source, reproducibility across processes', () => {
  // Pinned texts: the same seed must give the same prompt in any process and any later version,
  // or runs stop being comparable. Changing the generator or the pool is a breaking change.
  it.each<[TokenizerName, string]>([
    ['words', 'tibat titar couham daidil bilend'],
    ['qwen3', 'we existing query notify chair'],
  ])('%s: prompt 0 of seed 1 is pinned', async (name, text) => {
    const src = await source(name, { prompt_tokens: [5], seed: 1 });
    await src.prepare(1);
    expect(src.get(0).text).toBe(text);
  });
});

describe('synthetic source cells', () => {
  it('cycles prompt size (outer) x max_tokens (inner) and labels each prompt', async () => {
    const src = await source('words', { prompt_tokens: [10, 20], max_tokens: [5, 7, 9] });
    expect(src.cells).toEqual([
      'prompt=10,max_tokens=5',
      'prompt=10,max_tokens=7',
      'prompt=10,max_tokens=9',
      'prompt=20,max_tokens=5',
      'prompt=20,max_tokens=7',
      'prompt=20,max_tokens=9',
    ]);
    const all = await prompts(src, 14);
    expect(all.map((p) => [p.cell, p.tokens, p.maxTokens])).toEqual(
      Array.from({ length: 14 }, (_, i) => [src.cells[i % 6], i % 6 < 3 ? 10 : 20, [5, 7, 9][i % 3]]),
    );
    expect(src.type).toBe('synthetic');
    expect(Object.isFrozen(all[0])).toBe(true);
  });

  it('builds only the missing prompts when prepared again, with the same result as one prepare', async () => {
    const config = { prompt_tokens: [12, 40], max_tokens: [3] };
    const stepwise = await source('words', config);
    await stepwise.prepare(5);
    const fifth = stepwise.get(4);
    await Promise.all([stepwise.prepare(12), stepwise.prepare(9)]);
    expect(stepwise.get(4)).toBe(fifth);
    const once = await prompts(await source('words', config), 12);
    expect(Array.from({ length: 12 }, (_, i) => stepwise.get(i))).toEqual(once);
  });
});

describe('synthetic source errors', () => {
  const bad: Array<[string, Partial<SyntheticDataConfig>, RegExp]> = [
    ['size 0', { prompt_tokens: [10, 0] }, /^data\.prompt_tokens\[1\]: prompt size 0 is below 1$/],
    ['negative size', { prompt_tokens: [-3] }, /^data\.prompt_tokens\[0\]: prompt size -3 is below 1$/],
    ['fractional size', { prompt_tokens: [1.5] }, /^data\.prompt_tokens\[0\]: prompt size 1\.5 is not an integer$/],
    ['huge size', { prompt_tokens: [2_000_000] }, /^data\.prompt_tokens\[0\]: prompt size 2000000 is above the largest prompt that can be built \(1048576 tokens\)$/],
    ['no sizes', { prompt_tokens: [] }, /^data\.prompt_tokens: expected a non-empty list/],
    ['repeated size', { prompt_tokens: [8, 9, 8] }, /^data\.prompt_tokens\[2\]: prompt size 8 repeats data\.prompt_tokens\[0\]/],
    ['max_tokens 0', { max_tokens: [0] }, /^data\.max_tokens\[0\]: max_tokens 0 is below 1$/],
    ['fractional seed', { seed: 0.5 }, /^data\.seed: expected an integer, got 0\.5$/],
  ];
  it.each(bad)('rejects %s, naming the value', async (_, config, message) => {
    const err = await source('words', config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('DATA_INVALID');
    expect((err as DataError).message).toMatch(message);
  });

  it('rejects a bad config in the factory before loading a tokenizer', async () => {
    await expect(
      createSyntheticSource({ type: 'synthetic', prompt_tokens: [0], max_tokens: [1], seed: 0 }, { model: 'm' }),
    ).rejects.toThrow(/prompt size 0 is below 1/);
  });

  it('tells the caller to prepare before get', async () => {
    const src = await source('words', {});
    expect(() => src.get(0)).toThrow(/^synthetic data source: prompt 0 is not prepared \(none prepared\); call prepare\(count\) with count > 0/);
    await src.prepare(5);
    expect(src.get(4).tokens).toBe(16);
    let err: unknown;
    try {
      src.get(5);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('DATA_NOT_PREPARED');
    expect((err as DataError).message).toMatch(/prompt 5 is not prepared \(prepared 0\.\.4\); call prepare\(count\) with count > 5/);
  });

  it('rejects a bad index or count', async () => {
    const src = await source('words', {});
    await src.prepare(2);
    expect(() => src.get(-1)).toThrow(/request index -1 is not a non-negative integer/);
    expect(() => src.get(0.5)).toThrow(/request index 0\.5 is not a non-negative integer/);
    await expect(src.prepare(-1)).rejects.toThrow(/prepare\(-1\): expected a non-negative integer count/);
    // A failed prepare does not wedge the queue.
    await src.prepare(3);
    expect(src.get(2).tokens).toBe(16);
  });
});
