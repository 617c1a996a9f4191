import { describe, expect, it } from 'vitest';
import { DataError } from '../../lib/data/data-error.ts';
import { createSharedPrefixSource, SharedPrefixSource } from '../../lib/data/shared-prefix.ts';
import type { SharedPrefixDataConfig } from '../../lib/data/shared-prefix.ts';
import type { Prompt } from '../../lib/data/source.ts';
import { getTokenizer } from '../../lib/tokenizer/index.ts';
import type { TokenizerName } from '../../lib/tokenizer/index.ts';

const CONFIG: SharedPrefixDataConfig = {
  type: 'shared_prefix',
  num_groups: 3,
  num_prompts_per_group: 4,
  system_prompt_len: 120,
  question_len: 17,
  output_len: 9,
  seed: 5,
};

async function source(name: TokenizerName, over: Partial<SharedPrefixDataConfig> = {}): Promise<SharedPrefixSource> {
  const tok = await getTokenizer(name);
  return new SharedPrefixSource({ ...CONFIG, ...over }, tok, { name, kind: tok.kind, exact: false });
}

async function prompts(src: SharedPrefixSource, count: number): Promise<Prompt[]> {
  await src.prepare(count);
  return Array.from({ length: count }, (_, i) => src.get(i));
}

describe.each<TokenizerName>(['qwen3', 'words'])('shared_prefix source, %s tokenizer', (name) => {
  it('every prompt is exactly system_prompt_len + question_len tokens, max_tokens output_len, one cell', async () => {
    const tok = await getTokenizer(name);
    const src = await source(name);
    const all = await prompts(src, 12);
    for (const p of all) {
      expect(tok.encode(p.text).length).toBe(137);
      expect(p).toMatchObject({ tokens: 137, maxTokens: 9, cell: 'shared_prefix' });
    }
    expect(src.cells).toEqual(['shared_prefix']);
  });

  it('prefixes are byte- and token-identical within a group and differ across groups; questions are distinct', async () => {
    const tok = await getTokenizer(name);
    const src = await source(name);
    const all = await prompts(src, 12);
    const systems = [0, 1, 2].map((g) => src.systemPrompt(g)!);
    expect(new Set(systems).size).toBe(3);
    all.forEach((p, i) => {
      const system = systems[i % 3]!;
      expect(p.text.startsWith(`${system} `)).toBe(true);
      // Token-identical: the prompt's first system_prompt_len tokens are the system prompt's tokens.
      expect(tok.encode(p.text).slice(0, 120)).toEqual(tok.encode(system));
    });
    const firstTokens = (g: number): string => tok.encode(systems[g]!).slice(0, 8).join(',');
    expect(new Set([0, 1, 2].map(firstTokens)).size).toBe(3);
    expect(new Set(all.map((p) => p.text)).size).toBe(12);
    const questions = all.map((p, i) => p.text.slice(systems[i % 3]!.length + 1));
    expect(new Set(questions).size).toBe(12);
  });

  it('round-robin over groups, then repeats whole prompts after num_groups x num_prompts_per_group', async () => {
    const src = await source(name);
    const all = await prompts(src, 30);
    expect(all.slice(0, 6).map((_, i) => src.slot(i))).toEqual([
      { group: 0, question: 0 }, { group: 1, question: 0 }, { group: 2, question: 0 },
      { group: 0, question: 1 }, { group: 1, question: 1 }, { group: 2, question: 1 },
    ]);
    all.forEach((p, i) => expect(p).toBe(all[i % 12]));
  });

  it('is deterministic per seed, and another seed changes every prefix', async () => {
    const a = await prompts(await source(name), 12);
    const b = await prompts(await source(name), 12);
    const c = await prompts(await source(name, { seed: 6 }), 12);
    expect(b).toEqual(a);
    expect(a.filter((p, i) => p.text.slice(0, 40) === c[i]!.text.slice(0, 40))).toEqual([]);
  });
});

describe('shared_prefix source, config errors', () => {
  it.each<[Partial<SharedPrefixDataConfig>, string]>([
    [{ num_groups: 0 }, 'data.num_groups: expected an integer >= 1, got 0'],
    [{ question_len: 2.5 }, 'data.question_len: expected an integer >= 1, got 2.5'],
    [{ system_prompt_len: 2_000_000 }, 'data.system_prompt_len: system_prompt_len + question_len is above the largest prompt that can be built (1048576 tokens)'],
  ])('%o -> %s', async (over, message) => {
    const err = await createSharedPrefixSource({ ...CONFIG, ...over }, { model: 'x', tokenizer: 'words' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toBe(message);
  });
});

describe("shared_prefix lengths as inference-perf's distributions", () => {
  /** inference-perf's examples/vllm/config-shared-prefix-distributions.yml, smaller. */
  const DISTRIBUTIONS: Partial<SharedPrefixDataConfig> = {
    num_groups: 4,
    num_prompts_per_group: 30,
    system_prompt_len: { type: 'uniform', min: 40, max: 80, mean: 0, std: 0 },
    question_len: { type: 'skew_normal', min: 10, max: 200, mean: 60, std: 25, skew: 2.5 },
    output_len: { type: 'lognormal', min: 1, max: 4096, mean: 150, std: 60 },
  };

  it('the system prompt is drawn once per group, the question and max_tokens once per prompt, each exact and within its bounds', async () => {
    const tok = await getTokenizer('words');
    const src = await source('words', DISTRIBUTIONS);
    const all = await prompts(src, 120);
    const systems = [0, 1, 2, 3].map((g) => tok.encode(src.systemPrompt(g)!).length);
    for (const s of systems) expect(s).toBeGreaterThanOrEqual(40), expect(s).toBeLessThanOrEqual(80);
    const questions = all.map((p, i) => p.tokens - systems[i % 4]!);
    all.forEach((p) => expect(tok.encode(p.text).length).toBe(p.tokens));
    expect(Math.min(...questions)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...questions)).toBeLessThanOrEqual(200);
    // Right-skewed: most questions above the mean's location, a long tail up.
    expect(questions.reduce((a, b) => a + b, 0) / questions.length).toBeGreaterThan(70);
    const outputs = all.map((p) => p.maxTokens);
    expect(new Set(outputs).size).toBeGreaterThan(60);
    expect(outputs.reduce((a, b) => a + b, 0) / outputs.length).toBeGreaterThan(120);
    expect(outputs.reduce((a, b) => a + b, 0) / outputs.length).toBeLessThan(180);
  });

  it('the same seed builds the same prompts, lengths included; a prompt keeps its lengths whichever request reaches it first', async () => {
    const a = await prompts(await source('words', DISTRIBUTIONS), 120);
    const b = await prompts(await source('words', DISTRIBUTIONS), 120);
    expect(b).toEqual(a);
    const c = await prompts(await source('words', { ...DISTRIBUTIONS, seed: 6 }), 120);
    expect(c.map((p) => p.tokens)).not.toEqual(a.map((p) => p.tokens));
  });

  it("a distribution inference-perf cannot draw is refused with its path", async () => {
    await expect(source('words', { question_len: { type: 'lognormal', min: 1, max: 10, mean: 0, std: 1 } })).rejects.toThrow('a lognormal distribution needs mean > 0');
  });
});
