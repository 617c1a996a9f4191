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
