/**
 * The multi-turn data sources: `conversations` (conversation blueprints, built by inference-perf's
 * `conversation_replay` rules in `conversations/conversation-replay.ts` from this project's keys)
 * and `shared_prefix` with `enable_multi_turn_chat` (inference-perf's user sessions,
 * `conversations/multi-turn-shared-prefix.ts`). Both give the run sessions (`DataSource.sessions`);
 * their `get(i)` gives the warm-up requests only, single prompts drawn from a stream of their own
 * so warm-up leaves nothing of a measured conversation in the server's prefix cache.
 *
 * On the completions API a session's prompt is its parts joined as they are (`lib/load/sessions.ts`),
 * so each turn's text opens with the space that separates it from what came before, as
 * inference-perf joins `context + " " + prompt`.
 */
import type { Tokenizer } from '../tokenizer/index.ts';
import { deriveSeed, prngFor } from '../stats/prng.ts';
import { buildConversationReplayPlans } from './conversations/conversation-replay.ts';
import type { ConversationReplayConfig } from './conversations/conversation-replay.ts';
import { buildMultiTurnSharedPrefixPlans } from './conversations/multi-turn-shared-prefix.ts';
import { DataError } from './data-error.ts';
import { drawShaped } from './length-shapes.ts';
import type { ShapedLength } from './length-shapes.ts';
import { PromptSizing } from './prompt-sizing.ts';
import { buildRandomText } from './random-text.ts';
import { resolveTokenizer } from './resolve-tokenizer.ts';
import type { SessionPlan, TurnPlan } from './sessions.ts';
import { checkSharedPrefixConfig, createSharedPrefixSource, SharedPrefixSource } from './shared-prefix.ts';
import type { SharedLength, SharedPrefixDataConfig } from './shared-prefix.ts';
import type { DataSource, DataSourceContext, Prompt, PromptApi, SessionSource, TokenizerOption, TokenizerProvenance } from './source.ts';
import { getWordPool } from './word-pool.ts';

/** Config of the `conversations` source; mirrors `ConversationsDataSchema` in `lib/config` structurally. */
export interface ConversationsDataConfig {
  type: 'conversations';
  /** Conversation blueprints; session i follows blueprint i mod conversations. */
  conversations: number;
  /** Tokens of the system prompt every conversation shares. */
  system_prompt_tokens: number;
  /** Tokens of each conversation's own system-prompt part, drawn per conversation. */
  dynamic_system_prompt_tokens?: SharedLength | undefined;
  /** Turns per conversation, drawn per conversation. */
  turns: SharedLength;
  /** Tokens of each turn's new user message, drawn per turn. */
  turn_tokens: SharedLength;
  /** max_tokens of each turn, drawn per turn. */
  max_tokens: SharedLength;
  /** Seconds between a response's end and the next turn: a number, or a distribution of seconds. */
  think_time_s: number | ShapedLength;
  /** Context length the planned conversations must fit in. */
  max_model_len?: number | undefined;
  seed: number;
  tokenizer?: TokenizerOption | undefined;
  /** Header carrying the session id. */
  session_header: string;
}

const THINK_STREAM = 0x5448494e;
const WARMUP_STREAM = 0x5741524d;
const WARMUP_LENGTH_STREAM = 0x57414c4e;
const DEFAULT_HEADER = 'x-session-id';

/** A length in `conversation_replay`'s terms: a number is a fixed distribution. */
function shaped(l: SharedLength): ShapedLength {
  return typeof l === 'number' ? { type: 'fixed', min: l, max: l, mean: l, std: 0 } : l;
}

/**
 * One think time, in seconds: a number as it is; a distribution drawn in milliseconds (its
 * parameters scaled by 1000, so fractions of a second survive the integer draw), Poisson in whole
 * seconds (its shape does not scale).
 */
export function drawSeconds(d: number | ShapedLength, seed: number, k: number): number {
  if (typeof d === 'number') return d;
  const prng = prngFor(deriveSeed(seed, THINK_STREAM), k);
  if (d.type === 'poisson') return drawShaped(d, 'sample', prng);
  const ms = { ...d, min: d.min * 1000, max: d.max * 1000, mean: d.mean * 1000, std: d.std * 1000 };
  return drawShaped(ms, 'sample', prng) / 1000;
}

/** Opens each turn's text with a space on the completions API, counted again. */
function spaced(plan: SessionPlan, tokenizer: Tokenizer, api: PromptApi): SessionPlan {
  if (api === 'chat') return plan;
  const turns = plan.turns.map((t, k): TurnPlan => {
    if (k === 0 && !plan.system) return t;
    const text = ` ${t.text}`;
    return Object.freeze({ ...t, text, tokens: tokenizer.count(text) });
  });
  return Object.freeze({ ...plan, turns });
}

/**
 * Sessions cycling over blueprints: session i is blueprint `i mod n` under id `idOf(c, r)`, r the
 * repeat (0 for its first session). Built once, by the first `prepare`.
 */
class CycledSessions implements SessionSource {
  #plans: readonly SessionPlan[] | null = null;
  #building: Promise<void> | null = null;

  constructor(
    readonly header: string,
    private readonly build: (count: number) => Promise<SessionPlan[]>,
    private readonly idOf: (c: number, r: number, plan: SessionPlan) => string,
  ) {}

  prepare(count: number): Promise<void> {
    this.#building ??= this.build(Math.max(1, count)).then((plans) => {
      this.#plans = Object.freeze(plans);
    });
    return this.#building;
  }

  session(i: number): SessionPlan {
    const plans = this.#plans;
    if (!plans) throw new DataError('DATA_NOT_PREPARED', '', `session ${i} is not prepared; call sessions.prepare(count) before the run`);
    const c = i % plans.length;
    const r = Math.floor(i / plans.length);
    const plan = plans[c]!;
    return r === 0 ? plan : { ...plan, id: this.idOf(c, r, plan) };
  }
}

/** Warm-up prompts of `tokens(i)` tokens (as the server counts them) from a seeded stream of their own. */
class WarmupPrompts {
  readonly #prompts = new Map<number, Prompt>();
  readonly #sizing: PromptSizing;

  constructor(
    private readonly tokenizer: Tokenizer,
    api: PromptApi | undefined,
    private readonly seed: number,
    private readonly size: (i: number) => { tokens: number; maxTokens: number },
    private readonly cell: string,
  ) {
    this.#sizing = new PromptSizing(api, tokenizer);
  }

  prepare(count: number): void {
    const pool = getWordPool(this.tokenizer);
    for (let i = this.#prompts.size; i < count; i++) {
      const { tokens, maxTokens } = this.size(i);
      const n = Math.max(1, this.#sizing.textTokens(tokens));
      const text = buildRandomText(this.tokenizer, pool, n, prngFor(deriveSeed(this.seed, WARMUP_STREAM), i));
      this.#prompts.set(i, Object.freeze({ text, tokens: this.#sizing.total(n), maxTokens, cell: this.cell }));
    }
  }

  get(i: number): Prompt {
    const p = this.#prompts.get(i);
    if (!p) throw new DataError('DATA_NOT_PREPARED', '', `warm-up prompt ${i} is not prepared; call prepare(count) with count > ${i} before the run`);
    return p;
  }
}

/** Where a multi-turn source's warm-up prompts come from. */
type Warmup = Pick<DataSource, 'get' | 'summary'> & { prepare(count: number): Promise<void> | void };

/** A multi-turn source: its sessions, and single warm-up prompts. */
class SessionDataSource implements DataSource {
  constructor(
    readonly type: string,
    readonly tokenizer: TokenizerProvenance,
    readonly cells: readonly string[],
    readonly sessions: SessionSource,
    private readonly warmup: Warmup,
  ) {}

  async prepare(count: number): Promise<void> {
    await this.warmup.prepare(count);
  }

  get(i: number): Prompt {
    return this.warmup.get(i);
  }

  summary(): string | undefined {
    return this.warmup.summary?.();
  }
}

/** Checks that every conversation fits in `max_model_len` (system prompt, every turn's message and max_tokens). */
function checkFits(plans: readonly SessionPlan[], maxModelLen: number | undefined): void {
  if (maxModelLen === undefined) return;
  for (const p of plans) {
    const need = p.turns.reduce((sum, t) => sum + t.tokens + t.maxTokens, p.systemTokens);
    if (need > maxModelLen) {
      throw new DataError('DATA_INVALID', 'data.max_model_len', `conversation ${p.id} needs ${need} tokens (system prompt, turns and responses), above max_model_len ${maxModelLen}`);
    }
  }
}

/** The conversation blueprints of a `conversations` config: `conversation_replay`'s, with this source's think times. */
export async function conversationPlans(c: ConversationsDataConfig, tokenizer: Tokenizer, provenance: TokenizerProvenance, api: PromptApi): Promise<SessionPlan[]> {
  const replay: ConversationReplayConfig = {
    seed: c.seed,
    num_conversations: c.conversations,
    shared_system_prompt_len: c.system_prompt_tokens,
    ...(c.dynamic_system_prompt_tokens === undefined ? {} : { dynamic_system_prompt_len: shaped(c.dynamic_system_prompt_tokens) }),
    turns_per_conversation: shaped(c.turns),
    input_tokens_per_turn: shaped(c.turn_tokens),
    output_tokens_per_turn: shaped(c.max_tokens),
  };
  let k = 0;
  const plans = (await buildConversationReplayPlans(replay, tokenizer, provenance)).map((plan) => {
    // The pause after turn t (its global index k) is turn t + 1's think time, as conversation_replay's tool latency.
    const turns = plan.turns.map((t, at): TurnPlan => Object.freeze({ ...t, thinkS: at === 0 ? 0 : drawSeconds(c.think_time_s, c.seed, k + at - 1) }));
    k += turns.length;
    return spaced(Object.freeze({ ...plan, turns, cell: 'conversations' }), tokenizer, api);
  });
  checkFits(plans, c.max_model_len);
  return plans;
}

/** The `conversations` factory for the registry: loads the tokenizer; the blueprints are built by `sessions.prepare`. */
export async function createConversationsSource(config: ConversationsDataConfig, ctx: DataSourceContext): Promise<DataSource> {
  const { tokenizer, provenance } = await resolveTokenizer(config.tokenizer ?? ctx.tokenizer ?? 'auto', ctx.model);
  const api = ctx.api ?? 'completions';
  const sessions = new CycledSessions(config.session_header ?? DEFAULT_HEADER, () => conversationPlans(config, tokenizer, provenance, api), (c, r) => `slot_${c}_convo_${r}`);
  const first = (l: SharedLength, k: number): number => drawShaped(shaped(l), 'sample', prngFor(deriveSeed(config.seed, WARMUP_LENGTH_STREAM), k));
  const warmup = new WarmupPrompts(tokenizer, ctx.api, config.seed, (i) => ({ tokens: config.system_prompt_tokens + first(config.turn_tokens, i), maxTokens: first(config.max_tokens, i) }), 'conversations');
  return new SessionDataSource('conversations', provenance, ['conversations'], sessions, warmup);
}

/**
 * The `shared_prefix` factory: inference-perf's single prompts, or with `enable_multi_turn_chat`
 * its user sessions, each of `rounds` rounds. Without `rounds`, the first `sessions.prepare(count)`
 * fixes them: every user runs `ceil(count / users)` rounds. The run's sessions beyond the users
 * repeat them under new ids.
 */
export async function createSharedPrefixData(config: SharedPrefixDataConfig, ctx: DataSourceContext): Promise<DataSource> {
  if (!config.enable_multi_turn_chat) return createSharedPrefixSource(config, ctx);
  checkSharedPrefixConfig(config);
  const { tokenizer, provenance } = await resolveTokenizer(config.tokenizer ?? ctx.tokenizer ?? 'auto', ctx.model);
  const api = ctx.api ?? 'completions';
  const users = config.num_groups * config.num_prompts_per_group;
  const build = async (count: number): Promise<SessionPlan[]> => {
    const rounds = config.rounds ?? Math.ceil(count / users);
    return (await buildMultiTurnSharedPrefixPlans(config, tokenizer, provenance, { rounds })).map((p) => spaced(p, tokenizer, api));
  };
  const sessions = new CycledSessions(config.session_header ?? DEFAULT_HEADER, build, (_c, r, plan) => `${plan.id}_${r}`);
  // Warm-up: the same shapes from an unrelated seed, so no measured group's prefix is warmed.
  const warm = new SharedPrefixSource({ ...config, seed: deriveSeed(config.seed, WARMUP_STREAM) }, tokenizer, provenance, ctx.api);
  return new SessionDataSource('shared_prefix', provenance, ['shared_prefix'], sessions, warm);
}
