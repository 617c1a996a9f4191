import type { Tokenizer } from '../tokenizer/index.ts';
import { DataError } from './data-error.ts';

/**
 * Pieces that random prompts are made of: a leading space and 2 to 12 lowercase ASCII letters.
 * Such pieces give readable-ish text, and they re-encode stably: byte-level BPE tokenizers
 * (Qwen, Llama 3, GPT) pre-split text on ` ?letters` runs, so a string of these pieces splits
 * back into exactly the pieces it was made of and never merges across them.
 */
const CLEAN_PIECE = /^ [a-z]{2,12}$/;

/** How many pieces are re-encoded per call when checking the pool; one call costs far less than one per piece. */
const VERIFY_CHUNK = 256;

/**
 * Pieces in a pool: the first this many clean pieces by id. BPE ids follow merge order, so these
 * are the tokenizer's most common words (readable text). The cap is for speed: the Qwen3
 * tokenizer keeps the BPE of its last 10,000 distinct words in an LRU cache, and a pool that
 * fits in it (with the openers below) re-encodes a 1,000-token prompt in about 3 ms instead of
 * about 25. 6,144 choices per token still make two prompts sharing 8 tokens a 1-in-10^30 event.
 */
export const WORD_POOL_SIZE = 6144;

/** Pieces that may open a prompt: the first this many of the pool, when they are one token without the space. */
export const WORD_POOL_OPENERS = 512;

/**
 * The word pieces of one tokenizer, ready for sampling. Built once per tokenizer per process
 * (a fraction of a second for Qwen3: running BPE once on each piece, which also warms the
 * tokenizer's cache for the prompts built afterwards).
 */
export interface WordPool {
  /** Number of pieces, at most {@link WORD_POOL_SIZE}; sample with an index in `0 .. size - 1`. */
  readonly size: number;
  /** Pieces `0 .. openers - 1` are the candidates to open a prompt; see {@link WordPool.opens}. */
  readonly openers: number;
  /** Piece `k`, with its leading space: exactly one token alone and inside text of such pieces. */
  piece(k: number): string;
  /**
   * Whether piece `k` without its leading space is also exactly one token, so it can open a
   * prompt (text should not start with a space). Computed on first ask and remembered.
   */
  opens(k: number): boolean;
}

const pools = new WeakMap<Tokenizer, WordPool>();

/** The word pool of `tokenizer`, built on first use; throws `DATA_UNBUILDABLE` if it has no clean word pieces. */
export function getWordPool(tokenizer: Tokenizer): WordPool {
  let pool = pools.get(tokenizer);
  if (!pool) {
    pool = buildWordPool(tokenizer);
    pools.set(tokenizer, pool);
  }
  return pool;
}

function buildWordPool(tokenizer: Tokenizer): WordPool {
  const ids: number[] = [];
  let chunk: number[] = [];
  for (let id = 0; id < tokenizer.vocabSize && ids.length < WORD_POOL_SIZE; id++) {
    if (CLEAN_PIECE.test(tokenizer.piece(id))) chunk.push(id);
    if (chunk.length === VERIFY_CHUNK || id === tokenizer.vocabSize - 1) {
      ids.push(...keepSelfEncoding(tokenizer, chunk));
      chunk = [];
    }
  }
  ids.length = Math.min(ids.length, WORD_POOL_SIZE);
  if (ids.length === 0) {
    throw new DataError(
      'DATA_UNBUILDABLE',
      '',
      `tokenizer ${tokenizer.name} has no word pieces matching ${String(CLEAN_PIECE)} that re-encode to themselves; random prompts cannot be built with it`,
    );
  }
  const pieces = ids.map((id) => tokenizer.piece(id));
  // 0 = not yet known, 1 = opens, 2 = does not.
  const opensMemo = new Uint8Array(pieces.length);
  return {
    size: pieces.length,
    openers: Math.min(pieces.length, WORD_POOL_OPENERS),
    piece: (k) => pieces[k]!,
    opens(k) {
      if (opensMemo[k] === 0) opensMemo[k] = tokenizer.count(pieces[k]!.slice(1)) === 1 ? 1 : 2;
      return opensMemo[k] === 1;
    },
  };
}

/**
 * The ids of `chunk` whose piece encodes back to exactly that id. A BPE vocabulary can hold
 * tokens its merges never produce, and a piece can duplicate another; both are dropped. One
 * encode checks the whole chunk; one encode per piece only when that fails.
 */
function keepSelfEncoding(tokenizer: Tokenizer, chunk: readonly number[]): number[] {
  if (chunk.length === 0) return [];
  const encoded = tokenizer.encode(chunk.map((id) => tokenizer.piece(id)).join(''));
  if (encoded.length === chunk.length && encoded.every((id, k) => id === chunk[k])) return [...chunk];
  return chunk.filter((id) => {
    const alone = tokenizer.encode(tokenizer.piece(id));
    return alone.length === 1 && alone[0] === id;
  });
}
