import { describe, expect, it } from 'vitest';
import { DataError } from '../../lib/data/data-error.ts';
import { splitmix32 } from '../../lib/stats/prng.ts';
import { createRandomSource, drawLength, inputBuckets, RandomSource } from '../../lib/data/random.ts';
import type { LengthDistribution, RandomDataConfig } from '../../lib/data/random.ts';
import type { Prompt } from '../../lib/data/source.ts';
import { getTokenizer } from '../../lib/tokenizer/index.ts';
import type { TokenizerName } from '../../lib/tokenizer/index.ts';

const IN: LengthDistribution = { min: 20, max: 300, mean: 120, std: 50 };
const OUT: LengthDistribution = { min: 1, max: 64, mean: 16, std: 8 };

async function source(name: TokenizerName, over: Partial<RandomDataConfig> = {}): Promise<RandomSource> {
  const tok = await getTokenizer(name);
  return new RandomSource(
    { type: 'random', input_distribution: IN, output_distribution: OUT, seed: 1, ...over },
    tok,
    { name, kind: tok.kind, exact: false },
  );
}

async function prompts(src: RandomSource, count: number): Promise<Prompt[]> {
  await src.prepare(count);
  return Array.from({ length: count }, (_, i) => src.get(i));
}

function moments(xs: number[]): { mean: number; std: number; min: number; max: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs) };
}

describe('drawLength: a truncated normal', () => {
  const draws = (d: LengthDistribution, n = 20_000, seed = 9): number[] => {
    const prng = splitmix32(seed);
    return Array.from({ length: n }, () => drawLength(d, prng));
  };

  it('barely truncated: the moments of the normal (mean 500, std 100 within 3 and 3; SE about 0.7)', () => {
    const m = moments(draws({ min: 100, max: 900, mean: 500, std: 100 }));
    expect(Math.abs(m.mean - 500)).toBeLessThan(3);
    expect(Math.abs(m.std - 100)).toBeLessThan(3);
    expect(m.min).toBeGreaterThanOrEqual(100);
    expect(m.max).toBeLessThanOrEqual(900);
  });

  it('truncated at the mean: a half normal (mean 100 + 50 sqrt(2/pi) = 139.9, std 50 sqrt(1 - 2/pi) = 30.1)', () => {
    const m = moments(draws({ min: 100, max: 1000, mean: 100, std: 50 }));
    expect(Math.abs(m.mean - (100 + 50 * Math.sqrt(2 / Math.PI)))).toBeLessThan(1.5);
    expect(Math.abs(m.std - 50 * Math.sqrt(1 - 2 / Math.PI))).toBeLessThan(1.5);
    expect(m.min).toBe(100);
  });

  it('redraws rather than clips: no pile-up at a tight bound', () => {
    const xs = draws({ min: 90, max: 110, mean: 100, std: 50 });
    const atMax = xs.filter((x) => x === 110).length / xs.length;
    // Uniform-ish over 21 values: about 1/21 each, where clipping would put about 42% at each bound.
    expect(atMax).toBeLessThan(0.07);
    expect(new Set(xs).size).toBe(21);
  });

  it('std 0 is a fixed length', () => {
    expect(new Set(draws({ min: 1, max: 1000, mean: 256.4, std: 0 }, 100))).toEqual(new Set([256]));
  });
});

describe('inputBuckets', () => {
  it('cuts min..max into four equal buckets, fewer for narrow ranges, one for std 0', () => {
    expect(inputBuckets({ min: 100, max: 499, mean: 300, std: 50 }).map((b) => b.label)).toEqual([
      'input=100-199', 'input=200-299', 'input=300-399', 'input=400-499',
    ]);
    expect(inputBuckets({ min: 10, max: 12, mean: 11, std: 1 }).map((b) => b.label)).toEqual(['input=10', 'input=11', 'input=12']);
    expect(inputBuckets({ min: 10, max: 90, mean: 50, std: 0 }).map((b) => b.label)).toEqual(['input=50']);
  });
});

describe.each<TokenizerName>(['qwen3', 'words'])('random source, %s tokenizer', (name) => {
  it('every prompt is exactly its drawn length when encoded, within bounds, in its bucket', async () => {
    const tok = await getTokenizer(name);
    const src = await source(name, { seed: 3 });
    const all = await prompts(src, 200);
    const wrong: string[] = [];
    all.forEach((p, i) => {
      const n = tok.encode(p.text).length;
      if (n !== p.tokens) wrong.push(`#${i}: says ${p.tokens}, encoded ${n}`);
      if (p.tokens < IN.min || p.tokens > IN.max) wrong.push(`#${i}: input ${p.tokens} out of bounds`);
      if (p.maxTokens < OUT.min || p.maxTokens > OUT.max) wrong.push(`#${i}: output ${p.maxTokens} out of bounds`);
      const [lo, hi] = p.cell.replace('input=', '').split('-').map(Number) as [number, number];
      if (p.tokens < lo || p.tokens > hi) wrong.push(`#${i}: ${p.tokens} not in cell ${p.cell}`);
    });
    expect(wrong).toEqual([]);
    expect(src.cells).toEqual(['input=20-89', 'input=90-159', 'input=160-229', 'input=230-300']);
    // The lengths vary: 200 draws of a std-50 distribution.
    const m = moments(all.map((p) => p.tokens));
    expect(Math.abs(m.mean - 120)).toBeLessThan(15);
    expect(m.std).toBeGreaterThan(35);
  });

  it('is deterministic per seed; another seed gives other lengths and texts; prompts are distinct', async () => {
    const a = await prompts(await source(name, { seed: 42 }), 60);
    const b = await prompts(await source(name, { seed: 42 }), 60);
    const c = await prompts(await source(name, { seed: 43 }), 60);
    expect(b).toEqual(a);
    expect(new Set(a.map((p) => p.text)).size).toBe(60);
    expect(a.filter((p, i) => p.text === c[i]!.text)).toEqual([]);
    expect(a.map((p) => p.tokens)).not.toEqual(c.map((p) => p.tokens));
  });

  it('total_count: that many distinct prompts, cycled', async () => {
    const all = await prompts(await source(name, { total_count: 7 }), 30);
    expect(new Set(all.map((p) => p.text)).size).toBe(7);
    all.forEach((p, i) => expect(p).toBe(all[i % 7]));
    // The first prompts are the same with or without total_count: prompt k depends on (seed, k) only.
    const open = await prompts(await source(name), 7);
    expect(open).toEqual(all.slice(0, 7));
  });
});

describe('random source, config errors', () => {
  const ctx = { model: 'Qwen/Qwen3-0.6B', tokenizer: 'words' as const };
  it.each<[Partial<RandomDataConfig>, string]>([
    [{ input_distribution: { ...IN, min: 400 } }, 'data.input_distribution.min: min 400 is above max 300'],
    [{ output_distribution: { ...OUT, mean: 0 } }, 'data.output_distribution.mean: mean 0 is outside min..max (1..64)'],
    [{ output_distribution: { ...OUT, std: -2 } }, 'data.output_distribution.std: expected a number >= 0, got -2'],
    [{ input_distribution: { ...IN, min: 0 } }, 'data.input_distribution.min: expected an integer >= 1, got 0'],
    [{ total_count: 0 }, 'data.total_count: expected a positive integer, got 0'],
  ])('%o -> %s', async (over, message) => {
    const err = await createRandomSource({ type: 'random', input_distribution: IN, output_distribution: OUT, seed: 1, ...over }, ctx).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('DATA_INVALID');
    expect((err as Error).message).toBe(message);
  });

  it('get before prepare says so', async () => {
    const src = await source('words');
    expect(() => src.get(0)).toThrow(/not prepared/);
  });
});
