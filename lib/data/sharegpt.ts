import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Tokenizer } from '../tokenizer/index.ts';
import { DataError } from './data-error.ts';
import { deriveSeed, splitmix32 } from '../stats/prng.ts';
import type { Prng } from '../stats/prng.ts';
import type { LengthBucket } from './random.ts';
import { resolveTokenizer } from './resolve-tokenizer.ts';
import { formatSkips, noSkips, noUsableEntry, readSharegptFile, SHAREGPT_SKIP_REASONS } from './sharegpt-file.ts';
import type { Exchange, SharegptDataset, SharegptSkipReason } from './sharegpt-file.ts';
import { DATASET_FORMATS } from './dataset-formats.ts';
import type { DatasetFormat } from './dataset-formats.ts';
import { PromptSizing } from './prompt-sizing.ts';
import { DEFAULT_MAX_PROMPT_TOKENS, lengthRule, MIN_SHAREGPT_TOKENS } from './sharegpt-filter.ts';
import type { LengthRule, SharegptLengthFilter } from './sharegpt-filter.ts';
import type { DataSource, DataSourceContext, Prompt, PromptApi, TokenizerOption, TokenizerProvenance } from './source.ts';

export { DEFAULT_MAX_PROMPT_TOKENS, DEFAULT_MAX_TOTAL_TOKENS, MIN_SHAREGPT_TOKENS } from './sharegpt-filter.ts';

/** Config of the `sharegpt` source; mirrors `SharegptDataSchema` in `lib/config` structurally. */
export interface SharegptDataConfig {
  /** Registry key. */
  type: 'sharegpt';
  /** The dataset file (JSONL or a JSON array), absolute or relative to the current working directory. */
  path: string;
  /** Seed of the order the conversations are used in. */
  seed: number;
  /** Fixed max_tokens of every request; unset = the token count of the conversation's reference reply. */
  output_len?: number | undefined;
  /** vLLM's rule: longest prompt kept, in tokens (default {@link DEFAULT_MAX_PROMPT_TOKENS}). */
  max_prompt_tokens?: number | undefined;
  /** vLLM's rule: longest prompt + output kept, in tokens (default 2048). */
  max_total_tokens?: number | undefined;
  /** inference-perf's rule instead of vLLM's: prompt and reply token ranges (see `sharegpt-filter.ts`). */
  length_filter?: SharegptLengthFilter | undefined;
  /** `shuffled` by `seed` (the default, as vLLM) or in `file` order (as inference-perf streams its datasets). */
  order?: 'shuffled' | 'file' | undefined;
  /** How an entry becomes a prompt and reply (`dataset-formats.ts`). Default `sharegpt`. */
  format?: DatasetFormat | undefined;
  /** Read at most this many entries from the start of the file. Default: all. */
  max_entries?: number | undefined;
  /** Tokenizer to count with; defaults to the context's, then `auto`. */
  tokenizer?: TokenizerOption;
}

/** What a ShareGPT source has read, kept and repeated so far: for the report. */
export interface SharegptStats {
  /** The file as named in messages. */
  file: string;
  /** Entries read from the file. */
  entries: number;
  /** Entries with a human + assistant exchange: the candidates, in shuffled order. */
  candidates: number;
  /**
   * Candidates tokenized and filtered so far. `prepare` stops once it has enough prompts (as vLLM
   * does), so on a large file the token-based skip counts cover only these.
   */
  examined: number;
  /** Prompts kept so far. */
  usable: number;
  /** Entries skipped so far, by reason. */
  skipped: Readonly<Record<SharegptSkipReason, number>>;
  /** Requests prepared (the largest `prepare` count). */
  requests: number;
  /** Requests that repeat an earlier prompt because the dataset ran out (0 unless cycled). */
  repeats: number;
  /** Whether prompts repeat: more requests were prepared than the dataset had usable prompts. */
  cycled: boolean;
}

/** Where the buckets of an unbounded prompt range stop: the last bucket is `input=16384+`. */
const LAST_CUT = 16384;

/**
 * The cells of the sharegpt source: prompt-length buckets cut at 64, 256, 1024, 4096, ... tokens
 * (geometric, since conversation prompts are mostly short with a long tail), from `lo` (default
 * {@link MIN_SHAREGPT_TOKENS}) to `maxPromptTokens` (`Infinity`: no limit, the last bucket open
 * above 16384); a cut is used only when at most half of `maxPromptTokens`, so the last bucket is
 * never a sliver. Labelled like the random source's, `input=4-63`; fixed by the config, so every
 * run of it reports the same cells.
 */
export function promptBuckets(maxPromptTokens: number, lo = MIN_SHAREGPT_TOKENS): LengthBucket[] {
  const buckets: LengthBucket[] = [];
  for (let cut = 64; cut <= maxPromptTokens / 2 && cut <= LAST_CUT; cut *= 4) {
    if (cut <= lo) continue;
    buckets.push({ label: `input=${lo}-${cut - 1}`, lo, hi: cut - 1 });
    lo = cut;
  }
  const label = maxPromptTokens === Number.POSITIVE_INFINITY ? `input=${lo}+` : lo === maxPromptTokens ? `input=${lo}` : `input=${lo}-${maxPromptTokens}`;
  buckets.push({ label, lo, hi: maxPromptTokens });
  return buckets;
}

/** Stream tag of the shuffle. */
const SHUFFLE_STREAM = 0x53484646;
const YIELD_EVERY_MS = 50;
const TWO_21 = 2097152;
const TWO_53 = 9007199254740992;

/** A uniform integer in `0 .. n - 1` for any `n` up to 2^53 (53 random bits past 2^21). */
function indexBelow(prng: Prng, n: number): number {
  if (n <= TWO_21) return prng.below(n);
  const x = prng.next() * TWO_21 + (prng.next() >>> 11);
  return Math.min(n - 1, Math.floor((x / TWO_53) * n));
}

/**
 * Conversations from a ShareGPT-shaped dataset, as vLLM's `benchmark_serving` uses them.
 *
 * Each usable entry gives one exchange: the first human turn (the prompt, sent verbatim, never
 * padded or cut) and the assistant turn after it (the reference reply). The exchanges are shuffled
 * by `seed` (Fisher-Yates over splitmix32: the same file and seed give the same order in any
 * process), or kept in file order with `order: file`, and used in that order; `prepare` tokenizes and filters them lazily, as vLLM does,
 * until it has enough, by vLLM's length rule or, with `length_filter`, inference-perf's (see
 * `sharegpt-filter.ts`); a skipped entry is counted by reason ({@link SharegptSource.stats}).
 * Prompts are never cut or padded. `max_tokens` is the reply's token count, or `output_len`.
 *
 * When a run needs more prompts than the dataset has after filtering, request `i` reuses prompt
 * `i mod usable`: the source says so (`cycled`, `repeats`), since a repeated prompt can be served
 * from a server's prefix cache and look faster than a fresh one.
 *
 * Cells are prompt-length buckets ({@link promptBuckets}).
 */
export class SharegptSource implements DataSource {
  readonly type = 'sharegpt';
  readonly tokenizer: TokenizerProvenance;
  readonly cells: readonly string[];
  /** The dataset file as configured. */
  readonly file: string;
  readonly #counter: Tokenizer;
  readonly #buckets: readonly LengthBucket[];
  readonly #outputLen: number | undefined;
  readonly #rule: LengthRule;
  readonly #sizing: PromptSizing;
  readonly #entries: number;
  readonly #lines: number;
  /** Shuffled exchanges; each is dropped (set to undefined) once examined. */
  readonly #candidates: Array<Exchange | undefined>;
  readonly #skipped: Record<SharegptSkipReason, number>;
  readonly #prompts: Prompt[] = [];
  #examined = 0;
  #requests = 0;
  #building: Promise<void> = Promise.resolve();

  /**
   * A source over `dataset` (from {@link readSharegptFile}), counting with `tokenizer`.
   * @throws DataError `DATA_INVALID` naming the first bad config value.
   */
  constructor(config: SharegptDataConfig, dataset: SharegptDataset, tokenizer: Tokenizer, provenance: TokenizerProvenance, api?: PromptApi) {
    checkSharegptConfig(config);
    this.file = dataset.file;
    this.#counter = tokenizer;
    this.tokenizer = Object.freeze({ ...provenance });
    this.#outputLen = config.output_len;
    this.#rule = lengthRule(config);
    this.#sizing = new PromptSizing(api, tokenizer);
    this.#buckets = promptBuckets(this.#rule.hi, this.#rule.lo);
    this.cells = Object.freeze(this.#buckets.map((b) => b.label));
    this.#entries = dataset.entries;
    this.#lines = dataset.lines;
    this.#skipped = { ...noSkips(), ...dataset.skipped };
    const order: Array<Exchange | undefined> = [...dataset.exchanges];
    const prng = splitmix32(deriveSeed(config.seed, SHUFFLE_STREAM));
    for (let k = config.order === 'file' ? 0 : order.length - 1; k > 0; k--) {
      const j = indexBelow(prng, k + 1);
      [order[k], order[j]] = [order[j], order[k]];
    }
    this.#candidates = order;
  }

  /** Whether prompts repeat: more requests were prepared than the dataset has usable prompts. */
  get cycled(): boolean {
    return this.#requests > this.#prompts.length;
  }

  /** Requests prepared that repeat an earlier prompt (0 unless {@link cycled}). */
  get repeats(): number {
    return Math.max(0, this.#requests - this.#prompts.length);
  }

  /** Entries skipped so far, by reason (a copy). */
  get skipped(): Readonly<Record<SharegptSkipReason, number>> {
    return Object.freeze({ ...this.#skipped });
  }

  /** What was read, kept, skipped and repeated so far. */
  stats(): SharegptStats {
    return {
      file: this.file,
      entries: this.#entries,
      candidates: this.#candidates.length,
      examined: this.#examined,
      usable: this.#prompts.length,
      skipped: this.skipped,
      requests: this.#requests,
      repeats: this.repeats,
      cycled: this.cycled,
    };
  }

  /**
   * One line for a report: `sharegpt data/x.jsonl: 120 entries read, 96 prompts used of 100
   * examined; skipped 24 (too_few_turns 20, prompt_too_long 4); cycled: ...`.
   */
  summary(): string {
    const s = this.stats();
    const total = SHAREGPT_SKIP_REASONS.reduce((a, r) => a + s.skipped[r], 0);
    const examined = s.examined < s.candidates ? ` (${s.examined} of ${s.candidates} candidates examined)` : '';
    const skips = total > 0 ? `; skipped ${total} (${formatSkips(s.skipped)})` : '; none skipped';
    const cycled = s.cycled
      ? `; cycled: ${s.requests} requests over ${s.usable} prompts, ${s.repeats} repeats (a server's prefix cache can serve repeats)`
      : '';
    return `sharegpt ${s.file}: ${s.entries} entries read, ${s.usable} prompts usable${examined}${skips}${cycled}`;
  }

  /** Tokenizes and filters candidates until requests `0 .. count - 1` have prompts; concurrent calls queue. */
  prepare(count: number): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 0) {
      return Promise.reject(new DataError('DATA_INVALID', '', `sharegpt data source: prepare(${count}): expected a non-negative integer count`));
    }
    const run = this.#building.then(() => this.#extend(count));
    this.#building = run.catch(() => undefined);
    return run;
  }

  /** The prompt of request `i`. @throws DataError `DATA_NOT_PREPARED` if `prepare` has not covered it. */
  get(i: number): Prompt {
    if (!Number.isSafeInteger(i) || i < 0) {
      throw new DataError('DATA_INVALID', '', `sharegpt data source: request index ${i} is not a non-negative integer`);
    }
    if (i < this.#requests) return this.#prompts[i % this.#prompts.length]!;
    throw new DataError('DATA_NOT_PREPARED', '', `sharegpt data source: prompt ${i} is not prepared; call prepare(count) with count > ${i} before the run`);
  }

  async #extend(count: number): Promise<void> {
    if (count <= this.#requests) return;
    let since = performance.now();
    while (this.#prompts.length < count && this.#examined < this.#candidates.length) {
      const x = this.#candidates[this.#examined]!;
      this.#candidates[this.#examined++] = undefined;
      const reason = this.#examine(x);
      if (reason) this.#skipped[reason]++;
      if (performance.now() - since > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        since = performance.now();
      }
    }
    if (this.#prompts.length === 0) throw noUsableEntry({ file: this.file, entries: this.#entries, lines: this.#lines }, this.#skipped);
    this.#requests = count;
  }

  /** Keeps `x` as the next prompt, or says why not (the config's length rule, in its order). */
  #examine(x: Exchange): SharegptSkipReason | undefined {
    const tokens = this.#counter.count(x.prompt);
    let reply: number | undefined;
    const replyTokens = (): number => (reply ??= this.#counter.count(x.reply));
    const output = (r: number): number => this.#outputLen ?? r;
    const reason = this.#rule.check(tokens, replyTokens, output);
    if (reason) return reason;
    const maxTokens = this.#outputLen ?? replyTokens();
    const cell = this.#buckets.find((b) => tokens >= b.lo && tokens <= b.hi)!.label;
    // The text is sent verbatim; on the chat API the server also counts the template around it.
    this.#prompts.push(Object.freeze({ text: x.prompt, tokens: this.#sizing.total(tokens), maxTokens, cell }));
    return undefined;
  }
}

/**
 * The `sharegpt` factory for the registry: validates, then reads the file (relative paths against
 * the current working directory) and loads the tokenizer, together.
 */
export async function createSharegptSource(config: SharegptDataConfig, ctx: DataSourceContext): Promise<SharegptSource> {
  checkSharegptConfig(config);
  const [dataset, { tokenizer, provenance }] = await Promise.all([
    readSharegptFile(config.path, { maxEntries: config.max_entries, read: DATASET_FORMATS[config.format ?? 'sharegpt'] }),
    resolveTokenizer(config.tokenizer ?? ctx.tokenizer ?? 'auto', ctx.model),
  ]);
  return new SharegptSource(config, dataset, tokenizer, provenance, ctx.api);
}

/** Checks a sharegpt config (the schema checks the same; this guards direct callers), naming the path. */
export function checkSharegptConfig(config: SharegptDataConfig): void {
  if (typeof config.path !== 'string' || config.path === '') {
    throw new DataError('DATA_INVALID', 'data.path', `expected the path of a dataset file, got ${JSON.stringify(config.path)}`);
  }
  if (!Number.isSafeInteger(config.seed)) {
    throw new DataError('DATA_INVALID', 'data.seed', `expected an integer, got ${String(config.seed)}`);
  }
  const mins = { output_len: 1, max_prompt_tokens: MIN_SHAREGPT_TOKENS, max_total_tokens: 1, max_entries: 1 } as const;
  for (const [key, min] of Object.entries(mins) as Array<[keyof typeof mins, number]>) {
    const v = config[key];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) {
      throw new DataError('DATA_INVALID', `data.${key}`, `expected an integer >= ${min}, got ${String(v)}`);
    }
  }
  if (config.format !== undefined && !Object.hasOwn(DATASET_FORMATS, config.format)) {
    throw new DataError('DATA_INVALID', 'data.format', `unknown format ${JSON.stringify(config.format)} (known: ${Object.keys(DATASET_FORMATS).join(', ')})`);
  }
  lengthRule(config);
}
