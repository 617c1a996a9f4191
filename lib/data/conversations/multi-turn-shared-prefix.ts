/**
 * inference-perf's `shared_prefix` data with `enable_multi_turn_chat: true`, as session plans.
 * Definition: kubernetes-sigs/inference-perf `inference_perf/datagen/synthetic/shared_prefix_datagen.py`
 * (`_generate_prompts`, `load_lazy_data`, `get_data`) and `inference_perf/apis/user_session.py`
 * (`LocalUserSession`, `UserSessionCompletionAPIData`), commit 7de5ef2e.
 *
 * What it means there:
 * - `num_groups` groups (alias `num_unique_system_prompts`), each with one system prompt of
 *   `system_prompt_len` tokens; `num_prompts_per_group` users per group (alias
 *   `num_users_per_system_prompt`), so `num_groups * num_prompts_per_group` user sessions, each
 *   with one question of `question_len` tokens and one `output_len`.
 * - A user's prompt is its group's system prompt, a space and its question; the session starts
 *   with the system prompt as its context. Every round the user sends the same prompt again,
 *   appended to the conversation so far (`context + " " + prompt`), and the response is appended
 *   after it: the context grows by prompt and response each round.
 * - The users are shuffled once (seeded); request `i` is round `floor(i / users)` of user
 *   `i mod users`, and a user's round waits for its previous one (the session lock). Only the
 *   completions API has sessions there (`UserSessionChatAPIData` is not implemented).
 *
 * Here each user is a {@link SessionPlan}: `system` is the group's system prompt, every turn's
 * `text` is the user's prompt (system prompt, space, question), built by {@link SharedPrefixSource}
 * so it is exactly `system_prompt_len + question_len` tokens by the run's tokenizer. The plans are
 * in the shuffled user order, so request `i` is turn `floor(i / plans.length)` of plan
 * `i mod plans.length`, as upstream.
 */
import type { Tokenizer } from '../../tokenizer/index.ts';
import { DataError } from '../data-error.ts';
import { deriveSeed, prngFor } from '../../stats/prng.ts';
import { uniform } from '../samplers.ts';
import { SharedPrefixSource } from '../shared-prefix.ts';
import type { SharedPrefixDataConfig } from '../shared-prefix.ts';
import type { SessionPlan, TurnPlan } from '../sessions.ts';
import type { TokenizerProvenance } from '../source.ts';

/** Stream tag of the user shuffle (unrelated to the source's text and length streams). */
const SHUFFLE_STREAM = 0x53485546;

/** Options of {@link buildMultiTurnSharedPrefixPlans}. */
export interface MultiTurnSharedPrefixOptions {
  /**
   * Rounds planned per user (turns of each plan). inference-perf has no per-user limit: a user
   * keeps sending rounds while the load's schedule has requests, so this is
   * `ceil(requests / users)` for a run of `requests` requests.
   */
  rounds: number;
}

/** The seeded permutation of `0 .. n - 1` the users are sent in (Fisher-Yates). */
export function userOrder(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const prng = prngFor(deriveSeed(seed, SHUFFLE_STREAM), 0);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform(prng) * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * The user sessions of a multi-turn `shared_prefix` workload, one plan per user in the order
 * inference-perf sends them, each with `options.rounds` identical turns (think time 0: a round
 * goes out as soon as the schedule reaches it and the previous round has its response).
 * Session ids are inference-perf's, `user_session_<num_prompts_per_group * group + prompt>`.
 * Same config and seed, same plans.
 *
 * @throws DataError `DATA_INVALID` for a bad config value or round count; `DATA_UNBUILDABLE`
 *   when the tokenizer cannot yield an exact prompt.
 */
export async function buildMultiTurnSharedPrefixPlans(
  config: SharedPrefixDataConfig,
  tokenizer: Tokenizer,
  provenance: TokenizerProvenance,
  options: MultiTurnSharedPrefixOptions,
): Promise<SessionPlan[]> {
  if (!Number.isSafeInteger(options.rounds) || options.rounds < 1) {
    throw new DataError('DATA_INVALID', '', `multi-turn shared_prefix: rounds must be an integer >= 1, got ${String(options.rounds)}`);
  }
  // Completions: the turn text carries no chat-template allowance, as inference-perf's sessions.
  const source = new SharedPrefixSource(config, tokenizer, provenance);
  const { num_groups: groups, num_prompts_per_group: perGroup } = config;
  const users = groups * perGroup;
  await source.prepare(users);
  return userOrder(users, config.seed).map((user) => {
    const group = Math.floor(user / perGroup);
    const question = user % perGroup;
    // SharedPrefixSource's request index of (group, question): round-robin over the groups.
    const prompt = source.get(question * groups + group);
    const system = source.systemPrompt(group)!;
    const turn: TurnPlan = Object.freeze({ text: prompt.text, tokens: prompt.tokens, maxTokens: prompt.maxTokens, thinkS: 0 });
    return Object.freeze({
      id: `user_session_${user}`,
      system,
      systemTokens: tokenizer.count(system),
      turns: Array.from({ length: options.rounds }, () => turn),
      cell: 'shared_prefix',
    });
  });
}

/** Request `i` of the run as inference-perf maps it: which plan, and which of its turns. */
export function multiTurnRequest(i: number, plans: number): { plan: number; turn: number } {
  return { plan: i % plans, turn: Math.floor(i / plans) };
}
