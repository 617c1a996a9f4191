import type { Tokenizer } from '../tokenizer/index.ts';
import { DataError } from './data-error.ts';
import type { Prng } from '../stats/prng.ts';
import type { WordPool } from './word-pool.ts';

/** Rounds of append/trim after the first count; by construction the first count is already exact. */
const MAX_ADJUSTMENTS = 8;
/** Draws tried for a piece that can open a text without its leading space (most of the common words can). */
const MAX_OPENING_DRAWS = 64;

/**
 * The largest random prompt, in tokens (1 Mi). More than the context window of the models
 * commonly served; a larger size is most likely a typo (an extra zero) that would take minutes
 * and gigabytes to build, so it is refused up front.
 */
export const MAX_RANDOM_TEXT_TOKENS = 1_048_576;

/**
 * Random text of exactly `tokens` tokens by `tokenizer`: word pieces sampled uniformly from
 * `pool` with `prng`, the first without its leading space. This is vLLM's random dataset
 * (random token ids, decoded) restricted to clean word pieces, so the text is readable-ish and
 * re-encodes to the same length.
 *
 * Exactness is checked, not assumed: the text is encoded once and, should the count differ
 * (a tokenizer that merges across pieces), pieces are appended or trimmed at the end and the
 * text counted again. Linear in `tokens`; the same `prng` state always yields the same text.
 *
 * @throws DataError `DATA_UNBUILDABLE` when no adjustment reaches the exact count.
 */
export function buildRandomText(tokenizer: Tokenizer, pool: WordPool, tokens: number, prng: Prng): string {
  const parts: string[] = [openingPiece(pool, prng)];
  for (let k = 1; k < tokens; k++) parts.push(pool.piece(prng.below(pool.size)));
  let text = parts.join('');
  let counted = tokenizer.count(text);
  for (let round = 0; counted !== tokens && round < MAX_ADJUSTMENTS; round++) {
    if (counted < tokens) {
      for (let k = counted; k < tokens; k++) parts.push(pool.piece(prng.below(pool.size)));
    } else {
      parts.length = Math.max(1, parts.length - (counted - tokens));
    }
    text = parts.join('');
    counted = tokenizer.count(text);
  }
  if (counted !== tokens) {
    throw new DataError(
      'DATA_UNBUILDABLE',
      '',
      `tokenizer ${tokenizer.name} cannot yield a random prompt of exactly ${tokens} token(s) (closest built: ${counted})`,
    );
  }
  return text;
}

/** The first piece: an opener that is a single token without its leading space, else any piece as is. */
function openingPiece(pool: WordPool, prng: Prng): string {
  let k = prng.below(pool.openers);
  for (let draw = 1; !pool.opens(k) && draw < MAX_OPENING_DRAWS; draw++) k = prng.below(pool.openers);
  return pool.opens(k) ? pool.piece(k).slice(1) : pool.piece(k);
}
