import { describe, expect, it } from 'vitest';
import { DataSchema } from '../../lib/config/schema/data.ts';
import { DataError } from '../../lib/data/data-error.ts';
import { createDataSource } from '../../lib/data/registry.ts';
import { drawSeconds } from '../../lib/data/session-sources.ts';
import type { DataSource } from '../../lib/data/source.ts';
import { getTokenizer } from '../../lib/tokenizer/index.ts';

/** The source of a `data:` config (parsed, defaults applied) with seed 5, on `api`. */
async function source(data: Record<string, unknown>, api: 'chat' | 'completions' = 'completions'): Promise<DataSource> {
  return createDataSource({ seed: 5, ...DataSchema.parse(data) } as Parameters<typeof createDataSource>[0], { model: 'm', tokenizer: 'words', api });
}

describe('conversations source', () => {
  it('think times keep their fractions: a fixed number as it is, a distribution to the millisecond within its bounds, the same for the same seed', () => {
    expect(drawSeconds(0.25, 1, 0)).toBe(0.25);
    const d = { type: 'uniform' as const, min: 0.1, max: 0.3, mean: 0.2, std: 0 };
    const draws = Array.from({ length: 200 }, (_, k) => drawSeconds(d, 1, k));
    for (const s of draws) {
      expect(s).toBeGreaterThanOrEqual(0.1);
      expect(s).toBeLessThanOrEqual(0.3);
      expect(Math.round(s * 1000) / 1000).toBe(s);
    }
    expect(new Set(draws).size).toBeGreaterThan(50);
    expect(draws).toEqual(Array.from({ length: 200 }, (_, k) => drawSeconds(d, 1, k)));
  });

  it('sessions cycle over the blueprints under their own ids; turns have the configured lengths; the first turn has no think time', async () => {
    const src = await source({ type: 'conversations', conversations: 2, system_prompt_tokens: 20, turns: 3, turn_tokens: 12, max_tokens: 7, think_time_s: 0.5, session_header: 'x-s' });
    const sessions = src.sessions!;
    expect(sessions.header).toBe('x-s');
    await sessions.prepare(5);
    const tok = await getTokenizer('words');
    expect([0, 1, 2, 3, 4].map((i) => sessions.session(i).id)).toEqual(['conv_0', 'conv_1', 'slot_0_convo_1', 'slot_1_convo_1', 'slot_0_convo_2']);
    expect(sessions.session(2).turns).toBe(sessions.session(0).turns);
    const plan = sessions.session(1);
    expect(plan.systemTokens).toBe(20);
    expect(tok.count(plan.system)).toBe(20);
    expect(plan.turns.map((t) => t.thinkS)).toEqual([0, 0.5, 0.5]);
    for (const t of plan.turns) {
      // Completions: each turn opens with the space that separates it from the prompt so far.
      expect(t.text.startsWith(' ')).toBe(true);
      expect(t.tokens).toBe(tok.count(t.text));
      expect(t.tokens).toBe(12);
      expect(t.maxTokens).toBe(7);
    }
  });

  it('chat turns are the user messages as built; warm-up prompts share nothing with the sessions', async () => {
    const src = await source({ type: 'conversations', conversations: 1, system_prompt_tokens: 30, turns: 2, turn_tokens: 10, max_tokens: 4 }, 'chat');
    await src.sessions!.prepare(1);
    await src.prepare(2);
    const plan = src.sessions!.session(0);
    expect(plan.turns[0]!.text.startsWith(' ')).toBe(false);
    expect(src.get(0).text.includes(plan.system.slice(0, 40))).toBe(false);
    expect(src.get(1).text).not.toBe(src.get(0).text);
  });

  it('conversations longer than max_model_len are refused, naming the key', async () => {
    const src = await source({ type: 'conversations', turns: 4, turn_tokens: 100, max_tokens: 100, max_model_len: 500 });
    const err = await src.sessions!.prepare(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(/max_model_len/);
  });
});

describe('shared_prefix with enable_multi_turn_chat', () => {
  it('one session per user in inference-perf order, ceil(sessions / users) rounds each, the user prompt after a space', async () => {
    const src = await source({ type: 'shared_prefix', num_groups: 2, num_prompts_per_group: 3, system_prompt_len: 20, question_len: 5, output_len: 4, enable_multi_turn_chat: true });
    await src.sessions!.prepare(13);
    const ids = Array.from({ length: 7 }, (_, i) => src.sessions!.session(i).id);
    expect(new Set(ids.slice(0, 6)).size).toBe(6);
    expect(ids[6]).toBe(`${ids[0]}_1`);
    const plan = src.sessions!.session(0);
    expect(plan.turns).toHaveLength(3);
    expect(plan.turns[0]!.text).toBe(` ${plan.system}${plan.turns[0]!.text.slice(plan.system.length + 1)}`);
    expect(plan.turns[0]!.text.startsWith(` ${plan.system} `)).toBe(true);
  });

  it('rounds, when given, is the round count of every user session, whatever the run plans', async () => {
    const src = await source({ type: 'shared_prefix', num_groups: 2, num_prompts_per_group: 3, system_prompt_len: 20, question_len: 5, output_len: 4, enable_multi_turn_chat: true, rounds: 5 });
    await src.sessions!.prepare(6);
    expect(Array.from({ length: 6 }, (_, i) => src.sessions!.session(i).turns.length)).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('without it, shared_prefix stays single prompts', async () => {
    const src = await source({ type: 'shared_prefix', num_groups: 2, num_prompts_per_group: 3, system_prompt_len: 20, question_len: 5, output_len: 4 });
    expect(src.sessions).toBeUndefined();
  });
});
