import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Tokenizer } from '../tokenizer/index.ts';
import { DataError } from './data-error.ts';
import { prngFor } from '../stats/prng.ts';
import { buildRandomText, MAX_RANDOM_TEXT_TOKENS } from './random-text.ts';
import { resolveTokenizer } from './resolve-tokenizer.ts';
import type { DataSource, DataSourceContext, Prompt, PromptApi, TokenizerOption, TokenizerProvenance } from './source.ts';
import { PromptSizing } from './prompt-sizing.ts';
import { getWordPool } from './word-pool.ts';

/**
 * Config of the `synthetic` source: the input/output length matrix. Structural on purpose: the
 * zod schema in `lib/config` is the source of truth for the user-facing documentation, and its
 * output type is assignable to this one.
 */
export interface SyntheticDataConfig {
  /** Registry key. */
  type: 'synthetic';
  /** Prompt sizes in tokens (by the source's tokenizer), each an integer in `1 .. 1,048,576`; the outer loop of the cells. */
  prompt_tokens: readonly number[];
  /** `max_tokens` values to request, each an integer >= 1; the inner loop of the cells. */
  max_tokens: readonly number[];
  /** Seed of the prompt texts (any safe integer): prompt `i` is the same text for the same seed in any run or process. */
  seed: number;
  /** Tokenizer to count with; defaults to the context's, then `auto`. */
  tokenizer?: TokenizerOption;
}

/** Config of the `isl_osl` source: explicit `[input tokens, output tokens]` pairs, one cell each. */
export interface IslOslDataConfig {
  type: 'isl_osl';
  pairs: ReadonlyArray<readonly [number, number]>;
  seed: number;
  tokenizer?: TokenizerOption;
}

/** Config of the `mix` source: request sizes by share; one cell per component. */
export interface MixDataConfig {
  type: 'mix';
  components: ReadonlyArray<{ share: number; prompt_tokens: number; max_tokens: number }>;
  seed: number;
  tokenizer?: TokenizerOption;
}

type SizedConfig = SyntheticDataConfig | IslOslDataConfig | MixDataConfig;

/** One cell of the synthetic matrix. */
export interface SyntheticCell {
  /** `prompt=<promptTokens>,max_tokens=<maxTokens>`. */
  label: string;
  /** Prompt size in tokens. */
  promptTokens: number;
  /** `max_tokens` to request. */
  maxTokens: number;
}

/** Yield to the event loop at least this often while preparing, so timers and I/O are not starved. */
const YIELD_EVERY_MS = 50;

/**
 * The input/output length matrix with random, token-exact, distinct prompts.
 *
 * Cells are `prompt_tokens x max_tokens`, prompt size outer and `max_tokens` inner; request `i`
 * belongs to cell `i mod cells.length`, so any request count covers the cells evenly and in order.
 * Prompt `i` is random word pieces seeded by `(seed, i)` (see `buildRandomText`): reproducible
 * across runs and processes, and no two prompts share more than a chance prefix, so a server's
 * prefix cache does not make later requests faster (which would bias TTFT). Running the same
 * seed twice against one server does repeat the prompts; vary the seed, or reset the server's
 * prefix cache, between runs that must not warm each other.
 */
export class SyntheticSource implements DataSource {
  /** Registry key: `synthetic`, or `isl_osl` for explicit pairs. */
  readonly type: 'synthetic' | 'isl_osl' | 'mix';
  /** Tokenizer provenance for the report. */
  readonly tokenizer: TokenizerProvenance;
  /** Cell labels, `prompt=<tokens>,max_tokens=<n>`, in cycling order. */
  readonly cells: readonly string[];
  readonly #cells: readonly SyntheticCell[];
  /** Cell index of request `i` is `#order[i % #order.length]`. */
  readonly #order: readonly number[];
  readonly #seed: number;
  readonly #counter: Tokenizer;
  readonly #sizing: PromptSizing;
  readonly #prompts: Prompt[] = [];
  #building: Promise<void> = Promise.resolve();

  /**
   * A source counting with `tokenizer`, described by `provenance` in reports; on the `chat` API
   * each prompt's text leaves room for the chat template (see `PromptSizing`).
   * @throws DataError `DATA_INVALID` naming the first bad config value.
   */
  constructor(config: SizedConfig, tokenizer: Tokenizer, provenance: TokenizerProvenance, api?: PromptApi) {
    this.type = config.type;
    this.#cells = cellsOf(config);
    this.#order = config.type === 'mix' ? mixOrder(config.components.map((c) => c.share)) : this.#cells.map((_, k) => k);
    this.cells = Object.freeze(this.#cells.map((c) => c.label));
    this.#seed = config.seed;
    this.#counter = tokenizer;
    this.#sizing = new PromptSizing(api, tokenizer);
    this.tokenizer = Object.freeze({ ...provenance });
  }

  /** What the chat template took of each prompt, on the chat API. */
  summary(): string | undefined {
    return this.#sizing.note(this.#counter.name);
  }

  /** Builds prompts up to `count - 1` that are not built yet; concurrent calls queue. */
  prepare(count: number): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 0) {
      return Promise.reject(
        new DataError('DATA_INVALID', '', `synthetic data source: prepare(${count}): expected a non-negative integer count`),
      );
    }
    const run = this.#building.then(() => this.#extend(count));
    this.#building = run.catch(() => undefined);
    return run;
  }

  /** The prompt of request `i`. @throws DataError `DATA_NOT_PREPARED` if `prepare` has not built it. */
  get(i: number): Prompt {
    const prompt = this.#prompts[i];
    if (prompt) return prompt;
    if (!Number.isSafeInteger(i) || i < 0) {
      throw new DataError('DATA_INVALID', '', `synthetic data source: request index ${i} is not a non-negative integer`);
    }
    const built = this.#prompts.length === 0 ? 'none prepared' : `prepared 0..${this.#prompts.length - 1}`;
    throw new DataError(
      'DATA_NOT_PREPARED',
      '',
      `synthetic data source: prompt ${i} is not prepared (${built}); call prepare(count) with count > ${i} before the run`,
    );
  }

  async #extend(count: number): Promise<void> {
    if (this.#prompts.length >= count) return;
    const pool = getWordPool(this.#counter);
    let since = performance.now();
    for (let i = this.#prompts.length; i < count; i++) {
      const cell = this.#cells[this.#order[i % this.#order.length]!]!;
      const textTokens = this.#sizing.textTokens(cell.promptTokens);
      const text = buildRandomText(this.#counter, pool, textTokens, prngFor(this.#seed, i));
      this.#prompts.push(
        Object.freeze({ text, tokens: this.#sizing.total(textTokens), maxTokens: cell.maxTokens, cell: cell.label }),
      );
      if (performance.now() - since > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        since = performance.now();
      }
    }
  }
}

/**
 * The `synthetic` factory for the registry: validates the config, then loads the tokenizer
 * (`config.tokenizer`, else `ctx.tokenizer`, else `auto`). Prompts are built by `prepare`.
 */
export async function createSyntheticSource(config: SizedConfig, ctx: DataSourceContext): Promise<SyntheticSource> {
  cellsOf(config);
  if (config.type === 'mix') mixOrder(config.components.map((c) => c.share));
  const { tokenizer, provenance } = await resolveTokenizer(config.tokenizer ?? ctx.tokenizer ?? 'auto', ctx.model);
  return new SyntheticSource(config, tokenizer, provenance, ctx.api);
}

/** The cells of a synthetic config in cycling order, or a `DATA_INVALID` error naming the bad value. */
export function syntheticCells(config: SyntheticDataConfig): SyntheticCell[] {
  if (!Number.isSafeInteger(config.seed)) {
    throw new DataError('DATA_INVALID', 'data.seed', `expected an integer, got ${String(config.seed)}`);
  }
  checkSizes(config.prompt_tokens, 'data.prompt_tokens', 'prompt size', {
    max: MAX_RANDOM_TEXT_TOKENS,
    why: `the largest prompt that can be built (${MAX_RANDOM_TEXT_TOKENS} tokens)`,
  });
  checkSizes(config.max_tokens, 'data.max_tokens', 'max_tokens', {
    max: Number.MAX_SAFE_INTEGER,
    why: 'the largest safe integer',
  });
  const cells: SyntheticCell[] = [];
  for (const promptTokens of config.prompt_tokens) {
    for (const maxTokens of config.max_tokens) {
      cells.push({ label: `prompt=${promptTokens},max_tokens=${maxTokens}`, promptTokens, maxTokens });
    }
  }
  return cells;
}

function cellsOf(config: SizedConfig): SyntheticCell[] {
  if (config.type === 'isl_osl') return islOslCells(config);
  if (config.type === 'mix') return islOslCells({ ...config, type: 'isl_osl', pairs: config.components.map((c) => [c.prompt_tokens, c.max_tokens] as const) }, 'data.components');
  return syntheticCells(config);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The cycle of component indices for `shares` (summing to 1, each a multiple of 0.001): whole
 * weights reduced by their common divisor, spread by smooth weighted round-robin (nginx's), so
 * each period holds component j exactly `weight_j` times and no component's requests bunch up.
 * `[0.4, 0.4, 0.2]` gives weights 2, 2, 1 and the cycle `0 1 2 0 1`.
 */
export function mixOrder(shares: readonly number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) throw new DataError('DATA_INVALID', 'data.components', `shares sum to ${Number(sum.toFixed(6))}, not 1`);
  const weights = shares.map((s, k) => {
    const w = Math.round(s * 1000);
    if (w < 1 || Math.abs(w - s * 1000) > 1e-6) throw new DataError('DATA_INVALID', `data.components[${k}].share`, `share ${s} is not a multiple of 0.001 above 0`);
    return w;
  });
  const g = weights.reduce(gcd);
  const w = weights.map((x) => x / g);
  const total = w.reduce((a, b) => a + b, 0);
  const current = w.map(() => 0);
  const order: number[] = [];
  for (let step = 0; step < total; step++) {
    let pick = 0;
    for (let j = 0; j < w.length; j++) {
      current[j]! += w[j]!;
      if (current[j]! > current[pick]!) pick = j;
    }
    current[pick]! -= total;
    order.push(pick);
  }
  return order;
}

/** The cells of an `isl_osl` config, one per pair in order, or a `DATA_INVALID` error naming the bad pair. */
export function islOslCells(config: IslOslDataConfig, path = 'data.pairs'): SyntheticCell[] {
  if (!Number.isSafeInteger(config.seed)) {
    throw new DataError('DATA_INVALID', 'data.seed', `expected an integer, got ${String(config.seed)}`);
  }
  if (!Array.isArray(config.pairs) || config.pairs.length === 0) throw new DataError('DATA_INVALID', path, 'expected a non-empty list of pairs');
  const seen = new Map<string, number>();
  return config.pairs.map(([promptTokens, maxTokens], k) => {
    const at = `${path}[${k}]`;
    checkSizes([promptTokens], `${at}[0]`, 'input length', { max: MAX_RANDOM_TEXT_TOKENS, why: `the largest prompt that can be built (${MAX_RANDOM_TEXT_TOKENS} tokens)` });
    checkSizes([maxTokens], `${at}[1]`, 'output length', { max: Number.MAX_SAFE_INTEGER, why: 'the largest safe integer' });
    const label = `prompt=${promptTokens},max_tokens=${maxTokens}`;
    const first = seen.get(label);
    if (first !== undefined) throw new DataError('DATA_INVALID', at, `[${promptTokens}, ${maxTokens}] repeats ${path}[${first}]; cells must be distinct`);
    seen.set(label, k);
    return { label, promptTokens, maxTokens };
  });
}

function checkSizes(
  values: readonly number[],
  path: string,
  what: string,
  limit: { max: number; why: string },
): void {
  if (!Array.isArray(values) || values.length === 0) {
    throw new DataError('DATA_INVALID', path, 'expected a non-empty list of integers');
  }
  values.forEach((v, k) => {
    const at = `${path}[${k}]`;
    if (!Number.isInteger(v)) throw new DataError('DATA_INVALID', at, `${what} ${String(v)} is not an integer`);
    if (v < 1) throw new DataError('DATA_INVALID', at, `${what} ${v} is below 1`);
    if (v > limit.max) throw new DataError('DATA_INVALID', at, `${what} ${v} is above ${limit.why}`);
    const first = values.indexOf(v);
    if (first !== k) throw new DataError('DATA_INVALID', at, `${what} ${v} repeats ${path}[${first}]; cells must be distinct`);
  });
}
