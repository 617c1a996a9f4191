import type { Tokenizer } from '../../lib/tokenizer/index.ts';
import type { Rng } from './rng.ts';

/**
 * The pieces the simulator "generates": clean lowercase word pieces of the tokenizer (a leading
 * space and 2-12 letters, e.g. `" the"`), each exactly one token of that tokenizer. Their JSON
 * escapes are precomputed so the hot path concatenates strings without escaping anything.
 */
export interface OutputVocabulary {
  /** Token ids, parallel to `json`. */
  readonly ids: Int32Array;
  /** JSON-string-escaped text of each piece (without the quotes). */
  readonly json: readonly string[];
}

const CLEAN_PIECE = /^ [a-z]{2,12}$/;

/** Scans the tokenizer's vocabulary (lowest ids first) for up to `max` clean pieces. */
export function buildOutputVocabulary(tokenizer: Tokenizer, max = 4096): OutputVocabulary {
  const ids: number[] = [];
  const json: string[] = [];
  for (let id = 0; id < tokenizer.vocabSize && ids.length < max; id++) {
    const piece = tokenizer.piece(id);
    if (!CLEAN_PIECE.test(piece)) continue;
    ids.push(id);
    json.push(JSON.stringify(piece).slice(1, -1));
  }
  if (ids.length === 0) throw new Error(`tokenizer ${tokenizer.name} has no clean word pieces to generate`);
  return { ids: Int32Array.from(ids), json };
}

/**
 * Appends `count` pseudo-random pieces to `text` (escaped), drawing indices from `rng`; with
 * `ids`, also pushes each piece's token id there (the same draws either way).
 */
export function appendPieces(vocab: OutputVocabulary, rng: Rng, count: number, text = '', ids?: number[]): string {
  const n = vocab.json.length;
  for (let i = 0; i < count; i++) {
    const k = Math.floor(rng.next() * n);
    text += vocab.json[k]!;
    ids?.push(vocab.ids[k]!);
  }
  return text;
}
