import { describe, expect, test } from 'vitest';
import { validateConfig } from '../../lib/config/format-issues.ts';
import { DataSchema } from '../../lib/config/schema/data.ts';
import { ScenarioFileSchema } from '../../lib/config/schema/scenario.ts';
import { configErrorOf } from './config-error-of.ts';

/** The one-line error of a scenario whose data is `data`. */
const errorFor = (data: Record<string, unknown>) =>
  configErrorOf(() => validateConfig(ScenarioFileSchema, { scenarios: { chat: { num_requests: 4, load: { type: 'concurrency', concurrency: 2 }, data } } }, { source: 's.yaml' }));

describe('data.type: conversations', () => {
  test('every key has its default', () => {
    expect(DataSchema.parse({ type: 'conversations' })).toEqual({
      type: 'conversations', conversations: 50, system_prompt_tokens: 0, turns: 5, turn_tokens: 128, max_tokens: 128, think_time_s: 0, session_header: 'x-session-id',
    });
  });

  test('lengths and think times take a number or a distribution; think times keep their fractions', () => {
    const d = DataSchema.parse({
      type: 'conversations', turns: { type: 'uniform', min: 2, max: 6, mean: 4 }, think_time_s: { type: 'lognormal', min: 0.05, max: 2, mean: 0.5, std: 0.2 }, max_model_len: 4096, seed: 1,
    });
    expect(d).toMatchObject({ turns: { type: 'uniform', min: 2, max: 6, mean: 4, std: 0 }, think_time_s: { min: 0.05, max: 2 }, max_model_len: 4096 });
    expect(DataSchema.parse({ type: 'conversations', think_time_s: 0.25 })).toMatchObject({ think_time_s: 0.25 });
  });

  test('a bad value is one line naming its path', () => {
    expect(errorFor({ type: 'conversations', turns: 0 })).toBe(
      's.yaml: scenarios.chat.data.turns: expected a positive integer (turns) or a distribution {type, min, max, mean, std}',
    );
    expect(errorFor({ type: 'conversations', conversations: 0 })).toBe('s.yaml: scenarios.chat.data.conversations: expected an integer >= 1');
    expect(errorFor({ type: 'conversations', think_time_s: -1 })).toMatch(/^s\.yaml: scenarios\.chat\.data\.think_time_s: [^\n]+$/);
    expect(errorFor({ type: 'conversations', turn_tokens: { type: 'uniform', min: 9, max: 3, mean: 5 } })).toMatch(/^s\.yaml: scenarios\.chat\.data\.turn_tokens(\.min)?: [^\n]*min 9 is above max 3/);
    expect(errorFor({ type: 'conversations', session_header: 'x session' })).toMatch(/^s\.yaml: scenarios\.chat\.data\.session_header: expected an HTTP header name/);
    expect(errorFor({ type: 'conversations', turns_per_conversation: 3 })).toMatch(/^s\.yaml: scenarios\.chat\.data[.:]/);
  });
});

describe('data.type: shared_prefix sessions', () => {
  const sp = { type: 'shared_prefix', num_groups: 2, num_prompts_per_group: 3, system_prompt_len: 100, question_len: 20, output_len: 10 };

  test('enable_multi_turn_chat and session_header are optional', () => {
    expect(DataSchema.parse(sp)).toEqual(sp);
    expect(DataSchema.parse({ ...sp, enable_multi_turn_chat: true, session_header: 'x-user' })).toEqual({ ...sp, enable_multi_turn_chat: true, session_header: 'x-user' });
  });

  test('a bad value is one line naming its path', () => {
    expect(errorFor({ ...sp, enable_multi_turn_chat: 'yes' })).toMatch(/^s\.yaml: scenarios\.chat\.data\.enable_multi_turn_chat: [^\n]+$/);
    expect(errorFor({ ...sp, session_header: '' })).toMatch(/^s\.yaml: scenarios\.chat\.data\.session_header: [^\n]+$/);
  });
});
