import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Tokenizer } from '../../tokenizer/index.ts';
import { DataError } from '../data-error.ts';
import { deriveSeed, prngFor } from '../../stats/prng.ts';
import { PromptSizing } from '../prompt-sizing.ts';
import { buildRandomText, MAX_RANDOM_TEXT_TOKENS } from '../random-text.ts';
import type { TimedPrompt } from '../source.ts';
import type { PromptApi } from '../source.ts';
import { getWordPool } from '../word-pool.ts';
import type { WordPool } from '../word-pool.ts';
import type { TraceRequest } from './trace.ts';

/**
 * Prompts for a trace's requests, token-exact by the run's tokenizer, with the trace's prefix
 * reuse made real. The traces record lengths, not texts, so texts are built the way AIPerf builds
 * them for Mooncake (`src/aiperf/dataset/generator/prompt.py`, `_build_token_sequence`): each hash
 * id stands for one block of `blockSize` tokens of seeded random text (the same id is the same
 * text in every request and every run of a seed), and a request's prompt is its blocks in order,
 * the last one cut to what `input_length` leaves.
 * Two requests whose `hash_ids` start with the same `k` ids therefore start with the same
 * `k * blockSize` tokens, so the server's prefix cache sees the trace's reuse. Where AIPerf
 * refuses a request whose `hash_ids` do not number `ceil(input_length / blockSize)`, here ids
 * beyond the length are not used, and tokens the blocks do not cover (no hash ids, as in the
 * Azure and BurstGPT traces, or too few) are random text of that request alone. A cut last block
 * is the start of that id's full block, so the same id is the same tokens wherever it appears.
 *
 * Exactness: block texts are made of word pieces that are one token each with their leading
 * space (`word-pool.ts`), joined with a space, so a prompt of `n` pieces is `n` tokens; every
 * prompt is counted again and refused if it is not.
 */

/** How prompts are built from a trace. */
export interface TracePromptOptions {
  /** Seed of the block and padding texts. */
  seed: number;
  /** API the prompts go to; on `chat` the text leaves room for the chat template (`PromptSizing`). */
  api?: PromptApi;
  /** Tokens per hash id; default the trace's own (Mooncake 512). */
  blockSize?: number;
  /** Cell label of every prompt; default `trace:<format>`. */
  cell?: string;
}

/** Stream tags: block texts and per-request padding draw from unrelated streams of the seed. */
const BLOCK_STREAM = 0x424c4f43;
const PAD_STREAM = 0x50414444;
const YIELD_EVERY_MS = 50;

/** The word pieces of a text built by `buildRandomText` (the first without its leading space). */
function pieces(text: string): string[] {
  return text.split(' ');
}

/**
 * One `TimedPrompt` per request of `requests` (a trace's, or `replayWindow`'s output), in
 * order: `atS` and `session` from the request, a prompt of exactly `inputTokens` tokens as the
 * server counts them, `maxTokens` the recorded output (at least 1: a failed request the trace
 * kept with output 0 asks for one token).
 * @throws DataError `DATA_UNBUILDABLE` if the tokenizer does not count a built prompt as intended.
 */
export async function tracePrompts(trace: { format: string; blockSize?: number | undefined }, requests: readonly TraceRequest[], tokenizer: Tokenizer, options: TracePromptOptions): Promise<TimedPrompt[]> {
  const blockSize = options.blockSize ?? trace.blockSize ?? 0;
  if (requests.some((r) => r.hashIds !== undefined && r.hashIds.length > 0) && !(Number.isSafeInteger(blockSize) && blockSize >= 1)) {
    throw new DataError('DATA_INVALID', 'data.block_size', `expected an integer >= 1 for a trace with hash ids, got ${String(blockSize)}`);
  }
  const sizing = new PromptSizing(options.api, tokenizer);
  const pool = getWordPool(tokenizer);
  const blocks = new Map<number, string[]>();
  const blockSeed = deriveSeed(options.seed, BLOCK_STREAM);
  const padSeed = deriveSeed(options.seed, PAD_STREAM);
  const block = (id: number): string[] => {
    let b = blocks.get(id);
    if (!b) {
      b = pieces(buildRandomText(tokenizer, pool, blockSize, prngFor(blockSeed, id)));
      blocks.set(id, b);
    }
    return b;
  };
  const cell = options.cell ?? `trace:${trace.format}`;
  const out: TimedPrompt[] = [];
  let since = performance.now();
  for (const [i, r] of requests.entries()) {
    const want = sizing.textTokens(r.inputTokens);
    if (want > MAX_RANDOM_TEXT_TOKENS) {
      throw new DataError('DATA_INVALID', 'data.path', `line ${r.line}: a prompt of ${want} tokens is above the largest that can be built (${MAX_RANDOM_TEXT_TOKENS})`);
    }
    const text = promptText(r, want, blockSize, block, pool, tokenizer, prngFor(padSeed, i));
    const counted = tokenizer.count(text);
    if (counted !== want) {
      throw new DataError('DATA_UNBUILDABLE', '', `tokenizer ${tokenizer.name} counts ${counted} tokens in the prompt built for line ${r.line}, not ${want}`);
    }
    const prompt: TimedPrompt = { text, tokens: sizing.total(want), maxTokens: Math.max(1, r.outputTokens), cell, atS: r.atS };
    if (r.session !== undefined) prompt.session = r.session;
    out.push(prompt);
    if (performance.now() - since > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      since = performance.now();
    }
  }
  return out;
}

/** The text of one request: its blocks in order up to `want` pieces, then padding of its own. */
function promptText(r: TraceRequest, want: number, blockSize: number, block: (id: number) => string[], pool: WordPool, tokenizer: Tokenizer, pad: ReturnType<typeof prngFor>): string {
  const parts: string[] = [];
  let have = 0;
  for (const id of r.hashIds ?? []) {
    if (have >= want) break;
    const take = Math.min(blockSize, want - have);
    const b = block(id);
    parts.push(take === blockSize ? b.join(' ') : b.slice(0, take).join(' '));
    have += take;
  }
  if (have < want) parts.push(buildRandomText(tokenizer, pool, want - have, pad));
  return parts.join(' ');
}
