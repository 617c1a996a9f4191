import { deriveSeed, prngFor } from '../../stats/prng.ts';
import type { Tokenizer } from '../../tokenizer/index.ts';
import { DataError } from '../data-error.ts';
import { buildRandomText } from '../random-text.ts';
import { resolveTokenizer } from '../resolve-tokenizer.ts';
import type { DataSource, DataSourceContext, Prompt, TimedPrompt, TokenizerOption, TokenizerProvenance, TraceTiming } from '../source.ts';
import { getWordPool } from '../word-pool.ts';
import { expectedCachedTokens, readReplayFiles } from './replay-files.ts';
import type { ReplayFiles, ReplayFilesConfig } from './replay-files.ts';

/**
 * The `trace` data source: the requests of a recorded trace (`readReplayFiles`), one prompt each,
 * in the trace's order, with `timing` saying when the trace sent each one, for the `trace` load.
 * Request index `warmup + k` is the trace's request k; a run that sends more than the trace has
 * (another load type) starts the trace over, and the summary says so.
 */

/** The `data.type: trace` config (mirrors the schema in lib/config/schema/trace-data.ts). */
export interface TraceDataConfig extends ReplayFilesConfig {
  type: 'trace';
  tokenizer?: TokenizerOption | undefined;
}

/** Stream tag of the warm-up prompts' text. */
const WARMUP_STREAM = 0x5741524d;

/** The trace replay as a data source. */
export class TraceSource implements DataSource {
  readonly type = 'trace';
  readonly cells: readonly string[];
  readonly timing: TraceTiming;
  readonly #prompts: readonly TimedPrompt[];
  readonly #warm: Prompt[] = [];
  #cycled = false;

  constructor(
    private readonly config: TraceDataConfig,
    private readonly replay: ReplayFiles,
    private readonly tok: Tokenizer,
    readonly tokenizer: TokenizerProvenance,
    private readonly warmup: number,
  ) {
    this.#prompts = replay.entries.map((e) => e.prompt);
    this.cells = [...new Set(this.#prompts.map((p) => p.cell))];
    const prompts = this.#prompts;
    this.timing = {
      count: prompts.length,
      atS: (k) => prompts[k]!.atS,
      info: {
        format: replay.format,
        file: Array.isArray(config.path) ? config.path.join(', ') : config.path,
        ...(replay.skipped.length > 0 ? { skipped: replay.skipped } : {}),
        blockSize: replay.blockSize,
        expectedCachedTokens: expectedCachedTokens(replay.entries, replay.blockSize),
      },
    };
  }

  /**
   * Builds the warm-up prompts among the first `count`. Warm-up request j is shaped as the trace's
   * request j (its prompt's text length and max_tokens) but its text is random text of its own,
   * from a stream of the seed no trace prompt uses: it shares no block with the trace, so it
   * neither warms the trace's prefix cache nor takes one of its requests.
   */
  async prepare(count: number): Promise<void> {
    const pool = getWordPool(this.tok);
    const seed = deriveSeed(this.config.seed, WARMUP_STREAM);
    for (let j = this.#warm.length; j < Math.min(count, this.warmup); j++) {
      const like = this.#prompts[j % this.#prompts.length]!;
      const text = buildRandomText(this.tok, pool, this.tok.count(like.text), prngFor(seed, j));
      this.#warm.push({ text, tokens: like.tokens, maxTokens: like.maxTokens, cell: like.cell });
    }
  }

  /** Warm-up prompt i, or the trace's request i - warmup (from the start again past its end). */
  get(i: number): Prompt {
    if (i < this.warmup) {
      const p = this.#warm[i];
      if (!p) throw new DataError('DATA_NOT_PREPARED', '', `trace warm-up prompt ${i} asked for before prepare(${i + 1})`);
      return p;
    }
    const k = i - this.warmup;
    if (k >= this.#prompts.length) this.#cycled = true;
    return this.#prompts[k % this.#prompts.length]!;
  }

  /** What was replayed: the format, files, requests and span, what was left out, the predicted cache reuse. */
  summary(): string {
    const { info, count } = this.timing;
    const span = this.timing.atS(count - 1);
    const cut = this.replay.read > count ? `; ${this.replay.read - count} after the window not sent` : '';
    const skipped = info.skipped ? `; ${info.skipped.map((s) => `${s.rows} ${s.reason}`).join('; ')}` : '';
    const reuse = info.expectedCachedTokens === null ? '' : `; block reuse predicts ${info.expectedCachedTokens} cached prompt tokens (${info.blockSize}-token blocks)`;
    const again = this.#cycled ? `; the run sent more requests than the trace's ${count}, so its prompts were sent again from the first` : '';
    return `${info.format} trace ${info.file}: ${count} request(s) over ${span.toFixed(1)} s of trace${cut}${skipped}${reuse}${again}`;
  }
}

/**
 * The `trace` factory for the registry: loads the tokenizer, reads the files (relative paths
 * against the current working directory) and builds every replayed prompt.
 * @throws DataError naming `data.path` (or the key) for a missing, malformed or empty trace.
 */
export async function createTraceSource(config: TraceDataConfig, ctx: DataSourceContext): Promise<TraceSource> {
  const { tokenizer, provenance } = await resolveTokenizer(config.tokenizer ?? ctx.tokenizer ?? 'auto', ctx.model);
  const replay = await readReplayFiles(config, tokenizer, ctx.api);
  return new TraceSource(config, replay, tokenizer, provenance, ctx.warmupRequests ?? 0);
}
