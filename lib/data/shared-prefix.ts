import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Tokenizer } from '../tokenizer/index.ts';
import { DataError } from './data-error.ts';
import { deriveSeed, prngFor } from '../stats/prng.ts';
import { buildRandomText, MAX_RANDOM_TEXT_TOKENS } from './random-text.ts';
import { resolveTokenizer } from './resolve-tokenizer.ts';
import type { DataSource, DataSourceContext, Prompt, PromptApi, TokenizerOption, TokenizerProvenance } from './source.ts';
import { PromptSizing } from './prompt-sizing.ts';
import { getWordPool } from './word-pool.ts';
import { drawShaped, shapeProblem } from './length-shapes.ts';
import type { ShapedLength } from './length-shapes.ts';

/** Config of the `shared_prefix` source; mirrors `SharedPrefixDataSchema` in `lib/config` structurally. */
export interface SharedPrefixDataConfig {
  /** Registry key. */
  type: 'shared_prefix';
  /** Groups, each with its own system prompt. */
  num_groups: number;
  /** Distinct questions per group. */
  num_prompts_per_group: number;
  /** Tokens of a group's system prompt: one number, or a distribution drawn once per group. */
  system_prompt_len: SharedLength;
  /** Tokens of each question: one number, or a distribution drawn per prompt. */
  question_len: SharedLength;
  /** max_tokens of a request: one number, or a distribution drawn per prompt. */
  output_len: SharedLength;
  /** inference-perf's multi-turn chat: the users run as sessions (`session-sources.ts`). */
  enable_multi_turn_chat?: boolean | undefined;
  /** With `enable_multi_turn_chat`: header carrying the session id (default `x-session-id`). */
  session_header?: string | undefined;
  /** With `enable_multi_turn_chat`: rounds per user session (default from the sessions the run plans, see `createSharedPrefixData`). */
  rounds?: number | undefined;
  /** Seed of the texts. */
  seed: number;
  /** Tokenizer to count with; defaults to the context's, then `auto`. */
  tokenizer?: TokenizerOption;
}

/** A length of the source: a number of tokens, or an inference-perf distribution (`sample_from_distribution`). */
export type SharedLength = number | ShapedLength;

/** Stream tags: system prompts, questions and each length draw from unrelated streams of the same seed. */
const SYSTEM_STREAM = 0x53595354;
const QUESTION_STREAM = 0x51554553;
const SYSTEM_LEN_STREAM = 0x53594c4e;
const QUESTION_LEN_STREAM = 0x51554c4e;
const OUTPUT_LEN_STREAM = 0x4f55544c;

/** The largest length `l` can take. */
function largest(l: SharedLength): number {
  return typeof l === 'number' ? l : l.type === 'fixed' ? Math.trunc(l.mean) : l.max;
}
/** Questions tried for one prompt before the source gives up on an exact join. */
const MAX_JOIN_TRIES = 8;
const YIELD_EVERY_MS = 50;

/**
 * Groups of prompts sharing a system prompt (inference-perf's `shared_prefix`), token-exact.
 *
 * Group `g` has one random system prompt of `system_prompt_len` tokens; its prompt `q` is that
 * text, a space, and a random question of `question_len` tokens, so every prompt is exactly
 * `system_prompt_len + question_len` tokens and its first `system_prompt_len` tokens are the
 * group's prefix, byte for byte. A length given as a distribution is drawn as inference-perf
 * draws it (`length-shapes.ts`, `sample`): the system prompt's once per group, the question's
 * and max_tokens once per prompt, each from its own seeded stream. Request `i` goes to group `i mod num_groups`, question
 * `floor(i / num_groups) mod num_prompts_per_group`: round-robin over the groups (every group
 * warm after the first `num_groups` requests, like inference-perf), repeating whole prompts
 * after `num_groups * num_prompts_per_group` requests.
 *
 * One cell, `shared_prefix`: all groups have the same lengths, so per-group statistics would
 * split the sample without telling anything apart.
 */
export class SharedPrefixSource implements DataSource {
  readonly type = 'shared_prefix';
  readonly tokenizer: TokenizerProvenance;
  readonly cells: readonly string[] = Object.freeze(['shared_prefix']);
  readonly #config: SharedPrefixDataConfig;
  readonly #counter: Tokenizer;
  readonly #sizing: PromptSizing;
  readonly #systems = new Map<number, string>();
  readonly #prompts = new Map<number, Prompt>();
  #building: Promise<void> = Promise.resolve();

  /**
   * On the `chat` API the question leaves room for the chat template (see `PromptSizing`), so the
   * shared prefix stays `system_prompt_len` tokens and the server counts the configured total.
   * @throws DataError `DATA_INVALID` naming the first bad config value.
   */
  constructor(config: SharedPrefixDataConfig, tokenizer: Tokenizer, provenance: TokenizerProvenance, api?: PromptApi) {
    checkSharedPrefixConfig(config);
    this.#config = config;
    this.#counter = tokenizer;
    this.#sizing = new PromptSizing(api, tokenizer);
    this.tokenizer = Object.freeze({ ...provenance });
  }

  /** What the chat template took of each prompt, on the chat API. */
  summary(): string | undefined {
    return this.#sizing.note(this.#counter.name);
  }

  /** Group and question of request `i`. */
  slot(i: number): { group: number; question: number } {
    const { num_groups: g, num_prompts_per_group: p } = this.#config;
    return { group: i % g, question: Math.floor(i / g) % p };
  }

  /** The system prompt of group `g` (built by `prepare`). */
  systemPrompt(g: number): string | undefined {
    return this.#systems.get(g);
  }

  /** Builds the prompts requests `0 .. count - 1` use; concurrent calls queue. */
  prepare(count: number): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 0) {
      return Promise.reject(new DataError('DATA_INVALID', '', `shared_prefix data source: prepare(${count}): expected a non-negative integer count`));
    }
    const { num_groups: g, num_prompts_per_group: p } = this.#config;
    const run = this.#building.then(() => this.#extend(Math.min(count, g * p)));
    this.#building = run.catch(() => undefined);
    return run;
  }

  /** The prompt of request `i`. @throws DataError `DATA_NOT_PREPARED` if `prepare` has not built it. */
  get(i: number): Prompt {
    if (!Number.isSafeInteger(i) || i < 0) {
      throw new DataError('DATA_INVALID', '', `shared_prefix data source: request index ${i} is not a non-negative integer`);
    }
    const { group, question } = this.slot(i);
    const prompt = this.#prompts.get(this.#key(group, question));
    if (prompt) return prompt;
    throw new DataError('DATA_NOT_PREPARED', '', `shared_prefix data source: prompt ${i} is not prepared; call prepare(count) with count > ${i} before the run`);
  }

  #key(group: number, question: number): number {
    return group * this.#config.num_prompts_per_group + question;
  }

  /** Length `l` at index `k` of stream `stream`. */
  #length(l: SharedLength, stream: number, k: number): number {
    return typeof l === 'number' ? l : drawShaped(l, 'sample', prngFor(deriveSeed(this.#config.seed, stream), k));
  }

  async #extend(count: number): Promise<void> {
    const c = this.#config;
    const pool = getWordPool(this.#counter);
    const systemSeed = deriveSeed(c.seed, SYSTEM_STREAM);
    const questionSeed = deriveSeed(c.seed, QUESTION_STREAM);
    let since = performance.now();
    for (let i = 0; i < count; i++) {
      const { group, question } = this.slot(i);
      const key = this.#key(group, question);
      if (this.#prompts.has(key)) continue;
      const systemTokens = this.#length(c.system_prompt_len, SYSTEM_LEN_STREAM, group);
      let system = this.#systems.get(group);
      if (system === undefined) {
        system = buildRandomText(this.#counter, pool, systemTokens, prngFor(systemSeed, group));
        this.#systems.set(group, system);
      }
      const questionTokens = this.#sizing.textTokens(this.#length(c.question_len, QUESTION_LEN_STREAM, key));
      const want = systemTokens + questionTokens;
      // The question opens with a word without its space; the join adds it back, and a word with
      // its leading space is one token, so the join is exact. Checked, and redrawn if not.
      const prng = prngFor(questionSeed, key);
      let text = '';
      for (let t = 0; t < MAX_JOIN_TRIES; t++) {
        text = `${system} ${buildRandomText(this.#counter, pool, questionTokens, prng)}`;
        if (this.#counter.count(text) === want) break;
        text = '';
      }
      if (!text) {
        throw new DataError('DATA_UNBUILDABLE', '', `tokenizer ${this.#counter.name} cannot join a system prompt and a question into exactly ${want} tokens`);
      }
      this.#prompts.set(key, Object.freeze({ text, tokens: this.#sizing.total(want), maxTokens: this.#length(c.output_len, OUTPUT_LEN_STREAM, key), cell: 'shared_prefix' }));
      if (performance.now() - since > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        since = performance.now();
      }
    }
  }
}

/** The `shared_prefix` factory for the registry: validates, then loads the tokenizer. */
export async function createSharedPrefixSource(config: SharedPrefixDataConfig, ctx: DataSourceContext): Promise<SharedPrefixSource> {
  checkSharedPrefixConfig(config);
  const { tokenizer, provenance } = await resolveTokenizer(config.tokenizer ?? ctx.tokenizer ?? 'auto', ctx.model);
  return new SharedPrefixSource(config, tokenizer, provenance, ctx.api);
}

/** Checks a shared_prefix config (the schema checks the same; this guards direct callers), naming the path. */
export function checkSharedPrefixConfig(config: SharedPrefixDataConfig): void {
  if (!Number.isSafeInteger(config.seed)) {
    throw new DataError('DATA_INVALID', 'data.seed', `expected an integer, got ${String(config.seed)}`);
  }
  for (const key of ['num_groups', 'num_prompts_per_group'] as const) {
    const v = config[key];
    if (!Number.isSafeInteger(v) || v < 1) throw new DataError('DATA_INVALID', `data.${key}`, `expected an integer >= 1, got ${String(v)}`);
  }
  for (const key of ['system_prompt_len', 'question_len', 'output_len'] as const) {
    const v = config[key];
    if (typeof v === 'number' ? !Number.isSafeInteger(v) || v < 1 : !Number.isSafeInteger(v.min) || v.min < 1 || shapeProblem(v, 'sample') !== undefined || largest(v) < 1) {
      const why = typeof v === 'number' ? `expected an integer >= 1, got ${String(v)}` : (shapeProblem(v, 'sample') ?? `expected lengths of at least 1 token (min ${v.min}, mean ${v.mean})`);
      throw new DataError('DATA_INVALID', `data.${key}`, why);
    }
  }
  if (largest(config.system_prompt_len) + largest(config.question_len) > MAX_RANDOM_TEXT_TOKENS) {
    throw new DataError('DATA_INVALID', 'data.system_prompt_len', `system_prompt_len + question_len is above the largest prompt that can be built (${MAX_RANDOM_TEXT_TOKENS} tokens)`);
  }
}
