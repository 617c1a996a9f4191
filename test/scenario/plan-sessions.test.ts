import { describe, expect, test } from 'vitest';
import { DataSchema } from '../../lib/config/schema/data.ts';
import { planData } from '../../lib/scenario/plan-data.ts';

const ctx = { model: 'Qwen/Qwen3-0.6B', tokenizer: 'words' as const, api: 'completions' as const, warmupRequests: 2, sample: 8, checkSeed: 11 };

describe('the plan of session data', () => {
  test('conversations: a sample of sessions (turns, tokens, think times, the last turn at its longest), no single-prompt sample', async () => {
    const data = DataSchema.parse({ type: 'conversations', conversations: 4, system_prompt_tokens: 100, turns: 3, turn_tokens: 20, max_tokens: 10, think_time_s: 0.25, session_header: 'x-conv' });
    const plan = await planData(data, ctx);
    expect(plan.sample).toBeNull();
    expect(plan.sessions).toMatchObject({
      header: 'x-conv',
      sessions: 8,
      turns: { min: 3, max: 3 },
      systemTokens: { min: 100, max: 100 },
      maxTokens: { min: 10, max: 10 },
      thinkMs: { min: 250, max: 250 },
      // System prompt, three turns, and the two answers before the last turn.
      lastTurnTokens: { min: 100 + 3 * 20 + 2 * 10, max: 100 + 3 * 20 + 2 * 10 },
    });
    // Completions turns open with a separating space, one more token by the words tokenizer at most.
    expect(plan.sessions!.turnTokens.min).toBeGreaterThanOrEqual(20);
  });

  test('multi-turn shared_prefix: rounds follow the sessions the run plans', async () => {
    const data = DataSchema.parse({ type: 'shared_prefix', num_groups: 2, num_prompts_per_group: 2, system_prompt_len: 30, question_len: 5, output_len: 4, enable_multi_turn_chat: true });
    const plan = await planData(data, { ...ctx, sample: 4, plannedRequests: 12 });
    expect(plan.sessions).toMatchObject({ header: 'x-session-id', sessions: 4, turns: { min: 3, max: 3 }, systemTokens: { min: 30, max: 30 } });
  });
});
