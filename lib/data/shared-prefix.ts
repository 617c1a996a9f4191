import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Tokenizer } from '../tokenizer/index.ts';
import { DataError } from './data-error.ts';
import { deriveSeed, prngFor } from './prng.ts';
import { buildRandomText, MAX_RANDOM_TEXT_TOKENS } from './random-text.ts';
import { resolveTokenizer } from './resolve-tokenizer.ts';
import type { DataSource, DataSourceContext, Prompt, PromptApi, TokenizerOption, TokenizerProvenance } from './source.ts';
import { PromptSizing } from './prompt-sizing.ts';
import { getWordPool } from './word-pool.ts';

/** Config of the `shared_prefix` source; mirrors `SharedPrefixDataSchema` in `lib/config` structurally. */
export interface SharedPrefixDataConfig {
  /** Registry key. */
  type: 'shared_prefix';
  /** Groups, each with its own system prompt. */
  num_groups: number;
  /** Distinct questions per group. */
  num_prompts_per_group: number;
  /** Tokens of a group's system prompt. */
  system_prompt_len: number;
  /** Tokens of each question. */
  question_len: number;
  /** max_tokens of every request. */
  output_len: number;
  /** Seed of the texts. */
  seed: number;
  /** Tokenizer to count with; defaults to the context's, then `auto`. */
  tokenizer?: TokenizerOption;
}

/** Stream tags: system prompts and questions draw from unrelated streams of the same seed. */
const SYSTEM_STREAM = 0x53595354;
const QUESTION_STREAM = 0x51554553;
/** Questions tried for one prompt before the source gives up on an exact join. */
const MAX_JOIN_TRIES = 8;
const YIELD_EVERY_MS = 50;

/**
 * Groups of prompts sharing a system prompt (inference-perf's `shared_prefix`), token-exact.
 *
 * Group `g` has one random system prompt of `system_prompt_len` tokens; its prompt `q` is that
 * text, a space, and a random question of `question_len` tokens, so every prompt is exactly
 * `system_prompt_len + question_len` tokens and its first `system_prompt_len` tokens are the
 * group's prefix, byte for byte. Request `i` goes to group `i mod num_groups`, question
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

  async #extend(count: number): Promise<void> {
    const c = this.#config;
    const pool = getWordPool(this.#counter);
    const questionTokens = this.#sizing.textTokens(c.question_len);
    const want = c.system_prompt_len + questionTokens;
    const systemSeed = deriveSeed(c.seed, SYSTEM_STREAM);
    const questionSeed = deriveSeed(c.seed, QUESTION_STREAM);
    let since = performance.now();
    for (let i = 0; i < count; i++) {
      const { group, question } = this.slot(i);
      const key = this.#key(group, question);
      if (this.#prompts.has(key)) continue;
      let system = this.#systems.get(group);
      if (system === undefined) {
        system = buildRandomText(this.#counter, pool, c.system_prompt_len, prngFor(systemSeed, group));
        this.#systems.set(group, system);
      }
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
      this.#prompts.set(key, Object.freeze({ text, tokens: this.#sizing.total(want), maxTokens: c.output_len, cell: 'shared_prefix' }));
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
  for (const key of ['num_groups', 'num_prompts_per_group', 'system_prompt_len', 'question_len', 'output_len'] as const) {
    const v = config[key];
    if (!Number.isSafeInteger(v) || v < 1) throw new DataError('DATA_INVALID', `data.${key}`, `expected an integer >= 1, got ${String(v)}`);
  }
  if (config.system_prompt_len + config.question_len > MAX_RANDOM_TEXT_TOKENS) {
    throw new DataError('DATA_INVALID', 'data.system_prompt_len', `system_prompt_len + question_len is above the largest prompt that can be built (${MAX_RANDOM_TEXT_TOKENS} tokens)`);
  }
}
