import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Tokenizer } from '../tokenizer/index.ts';
import { DataError } from './data-error.ts';
import { deriveSeed, prngFor } from '../stats/prng.ts';
import type { Prng } from '../stats/prng.ts';
import { buildRandomText, MAX_RANDOM_TEXT_TOKENS } from './random-text.ts';
import { resolveTokenizer } from './resolve-tokenizer.ts';
import type { DataSource, DataSourceContext, Prompt, PromptApi, TokenizerOption, TokenizerProvenance } from './source.ts';
import { PromptSizing } from './prompt-sizing.ts';
import { getWordPool } from './word-pool.ts';
import { drawShaped } from './length-shapes.ts';
import { standardNormal, uniform } from './samplers.ts';

/**
 * A length distribution, in tokens: a truncated normal, or (with `type`) one of inference-perf's
 * distribution types drawn as its `generate_distribution` draws them (`length-shapes.ts`).
 */
export interface LengthDistribution {
  /** inference-perf's distribution type; absent: a truncated normal. */
  type?: 'normal' | 'lognormal' | 'uniform' | 'fixed' | undefined;
  /** Smallest length (integer >= 1). */
  min: number;
  /** Largest length (integer >= min). */
  max: number;
  /** Mean before truncation (min <= mean <= max). */
  mean: number;
  /** Standard deviation before truncation (>= 0; 0 = always round(mean)). */
  std: number;
}

/** Config of the `random` source; mirrors `RandomDataSchema` in `lib/config` structurally. */
export interface RandomDataConfig {
  /** Registry key. */
  type: 'random';
  /** Prompt lengths. */
  input_distribution: LengthDistribution;
  /** max_tokens per request. */
  output_distribution: LengthDistribution;
  /** Distinct prompts, cycled; unset = one per request. */
  total_count?: number | undefined;
  /** Seed of lengths and texts. */
  seed: number;
  /** Tokenizer to count with; defaults to the context's, then `auto`. */
  tokenizer?: TokenizerOption;
}

/** Draws per length before giving up on the truncation and drawing uniformly in `min..max`. */
const MAX_NORMAL_DRAWS = 1000;
/** Input-length buckets of the cells, at most. */
const MAX_BUCKETS = 4;
/** Yield to the event loop at least this often while preparing. */
const YIELD_EVERY_MS = 50;
/** Stream tag of the lengths, so they are independent of the texts of the same seed. */
const LENGTHS_STREAM = 0x4c454e53;


/**
 * One integer length from `d`: a normal draw (Box-Muller), rounded, redrawn while outside
 * `min..max` (a truncated normal, not a clipped one: no pile-up at the bounds). `std` 0 gives
 * `round(mean)`. After {@link MAX_NORMAL_DRAWS} misses (a std far wider than the range) the
 * length is uniform in `min..max`, the limit of a very wide truncated normal.
 */
export function drawLength(d: LengthDistribution, prng: Prng): number {
  if (d.type !== undefined) return drawShaped({ type: d.type, min: d.min, max: d.max, mean: d.mean, std: d.std }, 'generate', prng);
  if (d.std === 0) return Math.min(d.max, Math.max(d.min, Math.round(d.mean)));
  for (let k = 0; k < MAX_NORMAL_DRAWS; k++) {
    const z = standardNormal(prng);
    const n = Math.round(d.mean + d.std * z);
    if (n >= d.min && n <= d.max) return n;
  }
  return d.min + Math.floor(uniform(prng) * (d.max - d.min + 1));
}

/** An input-length bucket: a cell of the random source. */
export interface LengthBucket {
  /** `input=<lo>-<hi>`, or `input=<n>` for a one-length bucket. */
  label: string;
  lo: number;
  hi: number;
}

/**
 * The cells of the random source: `min..max` of the input distribution cut into at most four
 * buckets of equal width (fewer when the range has fewer lengths; one when std is 0). Buckets
 * are fixed by the config, not by the draws, so the cells are known before any prompt is built
 * and are the same in every run of the config; an edge bucket may see few requests.
 */
export function inputBuckets(d: LengthDistribution): LengthBucket[] {
  const one = d.type === 'fixed' ? Math.trunc(d.mean) : d.std === 0 && (d.type === undefined || d.type === 'normal') ? Math.min(d.max, Math.max(d.min, Math.round(d.mean))) : undefined;
  const lo = one ?? d.min;
  const hi = one ?? d.max;
  const n = Math.min(MAX_BUCKETS, hi - lo + 1);
  const buckets: LengthBucket[] = [];
  for (let k = 0; k < n; k++) {
    const a = lo + Math.floor(((hi - lo + 1) * k) / n);
    const b = lo + Math.floor(((hi - lo + 1) * (k + 1)) / n) - 1;
    buckets.push({ label: a === b ? `input=${a}` : `input=${a}-${b}`, lo: a, hi: b });
  }
  return buckets;
}

/**
 * Random prompts with truncated-normal lengths (inference-perf's `random` data), token-exact.
 *
 * Prompt `k` (of `total_count`, or of every request when unset) draws its input length, then
 * its max_tokens, from a stream seeded by `(seed, k)`, and its text from another (so changing a
 * distribution does not change which words are used). Request `i` sends prompt
 * `i mod total_count`. Cells are input-length buckets ({@link inputBuckets}).
 */
export class RandomSource implements DataSource {
  readonly type = 'random';
  readonly tokenizer: TokenizerProvenance;
  readonly cells: readonly string[];
  readonly #config: RandomDataConfig;
  readonly #buckets: readonly LengthBucket[];
  readonly #counter: Tokenizer;
  readonly #sizing: PromptSizing;
  readonly #prompts: Prompt[] = [];
  #building: Promise<void> = Promise.resolve();

  /**
   * On the `chat` API each prompt's text leaves room for the chat template (see `PromptSizing`).
   * @throws DataError `DATA_INVALID` naming the first bad config value.
   */
  constructor(config: RandomDataConfig, tokenizer: Tokenizer, provenance: TokenizerProvenance, api?: PromptApi) {
    checkRandomConfig(config);
    this.#config = config;
    this.#buckets = inputBuckets(config.input_distribution);
    this.cells = Object.freeze(this.#buckets.map((b) => b.label));
    this.#counter = tokenizer;
    this.#sizing = new PromptSizing(api, tokenizer);
    this.tokenizer = Object.freeze({ ...provenance });
  }

  /** What the chat template took of each prompt, on the chat API. */
  summary(): string | undefined {
    return this.#sizing.note(this.#counter.name);
  }

  /** Builds the prompts requests `0 .. count - 1` use; concurrent calls queue. */
  prepare(count: number): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 0) {
      return Promise.reject(new DataError('DATA_INVALID', '', `random data source: prepare(${count}): expected a non-negative integer count`));
    }
    const distinct = Math.min(count, this.#config.total_count ?? count);
    const run = this.#building.then(() => this.#extend(distinct));
    this.#building = run.catch(() => undefined);
    return run;
  }

  /** The prompt of request `i`. @throws DataError `DATA_NOT_PREPARED` if `prepare` has not built it. */
  get(i: number): Prompt {
    const total = this.#config.total_count;
    const k = total === undefined ? i : i % total;
    const prompt = Number.isSafeInteger(i) && i >= 0 ? this.#prompts[k] : undefined;
    if (prompt) return prompt;
    if (!Number.isSafeInteger(i) || i < 0) {
      throw new DataError('DATA_INVALID', '', `random data source: request index ${i} is not a non-negative integer`);
    }
    throw new DataError('DATA_NOT_PREPARED', '', `random data source: prompt ${i} is not prepared; call prepare(count) with count > ${i} before the run`);
  }

  async #extend(count: number): Promise<void> {
    if (this.#prompts.length >= count) return;
    const pool = getWordPool(this.#counter);
    const { seed, input_distribution: inD, output_distribution: outD } = this.#config;
    const lengthsSeed = deriveSeed(seed, LENGTHS_STREAM);
    let since = performance.now();
    for (let k = this.#prompts.length; k < count; k++) {
      const lengths = prngFor(lengthsSeed, k);
      const tokens = drawLength(inD, lengths);
      const maxTokens = drawLength(outD, lengths);
      const textTokens = this.#sizing.textTokens(tokens);
      const text = buildRandomText(this.#counter, pool, textTokens, prngFor(seed, k));
      const cell = this.#buckets.find((b) => tokens >= b.lo && tokens <= b.hi)!.label;
      this.#prompts.push(Object.freeze({ text, tokens: this.#sizing.total(textTokens), maxTokens, cell }));
      if (performance.now() - since > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        since = performance.now();
      }
    }
  }
}

/** The `random` factory for the registry: validates, then loads the tokenizer. */
export async function createRandomSource(config: RandomDataConfig, ctx: DataSourceContext): Promise<RandomSource> {
  checkRandomConfig(config);
  const { tokenizer, provenance } = await resolveTokenizer(config.tokenizer ?? ctx.tokenizer ?? 'auto', ctx.model);
  return new RandomSource(config, tokenizer, provenance, ctx.api);
}

/** Checks a random config (the schema checks the same; this guards direct callers), naming the path. */
export function checkRandomConfig(config: RandomDataConfig): void {
  if (!Number.isSafeInteger(config.seed)) {
    throw new DataError('DATA_INVALID', 'data.seed', `expected an integer, got ${String(config.seed)}`);
  }
  checkDistribution(config.input_distribution, 'data.input_distribution', MAX_RANDOM_TEXT_TOKENS);
  checkDistribution(config.output_distribution, 'data.output_distribution', Number.MAX_SAFE_INTEGER);
  const t = config.total_count;
  if (t !== undefined && (!Number.isSafeInteger(t) || t < 1)) {
    throw new DataError('DATA_INVALID', 'data.total_count', `expected a positive integer, got ${String(t)}`);
  }
}

function checkDistribution(d: LengthDistribution, path: string, limit: number): void {
  if (typeof d !== 'object' || d === null) throw new DataError('DATA_INVALID', path, 'expected {min, max, mean, std}');
  for (const key of ['min', 'max'] as const) {
    const v = d[key];
    if (!Number.isSafeInteger(v) || v < 1) throw new DataError('DATA_INVALID', `${path}.${key}`, `expected an integer >= 1, got ${String(v)}`);
    if (v > limit) throw new DataError('DATA_INVALID', `${path}.${key}`, `${v} is above the largest allowed (${limit})`);
  }
  if (d.min > d.max) throw new DataError('DATA_INVALID', `${path}.min`, `min ${d.min} is above max ${d.max}`);
  // Only a normal distribution needs its mean inside min..max (inference-perf checks just that one).
  const normal = d.type === undefined || d.type === 'normal';
  if (!Number.isFinite(d.mean) || (normal && (d.mean < d.min || d.mean > d.max))) {
    throw new DataError('DATA_INVALID', `${path}.mean`, `mean ${String(d.mean)} is outside min..max (${d.min}..${d.max})`);
  }
  if (d.type === 'fixed' && (Math.trunc(d.mean) < 1 || Math.trunc(d.mean) > limit)) {
    throw new DataError('DATA_INVALID', `${path}.mean`, `a fixed length is int(mean), here ${Math.trunc(d.mean)}: expected 1..${limit}`);
  }
  if (!Number.isFinite(d.std) || d.std < 0) throw new DataError('DATA_INVALID', `${path}.std`, `expected a number >= 0, got ${String(d.std)}`);
}
