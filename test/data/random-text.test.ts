import { describe, expect, it } from 'vitest';
import { DataError } from '../../lib/data/data-error.ts';
import { prngFor } from '../../lib/stats/prng.ts';
import { buildRandomText } from '../../lib/data/random-text.ts';
import { getWordPool, WORD_POOL_SIZE } from '../../lib/data/word-pool.ts';
import { getTokenizer } from '../../lib/tokenizer/index.ts';
import type { Tokenizer } from '../../lib/tokenizer/index.ts';

/**
 * A small whitespace tokenizer with knobs: `merge` makes the word pair `a b` one token (so text
 * of self-encoding pieces can still count short), `extra` adds tokens to every count.
 */
function fakeTokenizer(vocab: string[], knobs: { merge?: [string, string]; extra?: number } = {}): Tokenizer {
  const encode = (text: string): number[] => {
    const words = text.split(/\s+/).filter(Boolean);
    const ids: number[] = [];
    for (let k = 0; k < words.length; k++) {
      const id = vocab.indexOf(` ${words[k]}`);
      ids.push(id < 0 ? vocab.length : id);
      if (knobs.merge && words[k] === knobs.merge[0] && words[k + 1] === knobs.merge[1]) k++;
    }
    return ids;
  };
  return {
    name: 'fake',
    kind: 'stand-in',
    vocabSize: vocab.length,
    encode,
    decode: (ids) => ids.map((id) => vocab[id] ?? '').join(''),
    count: (text) => encode(text).length + (knobs.extra ?? 0),
    piece: (id) => vocab[id] ?? '',
  };
}

const countWords = (text: string): number => text.split(/\s+/).filter(Boolean).length;

describe('buildRandomText', () => {
  it('appends pieces until exact when the tokenizer merges across pieces', () => {
    const tok = fakeTokenizer([' aa', ' bb', ' cc'], { merge: ['aa', 'bb'] });
    const pool = getWordPool(tok);
    let compensated = 0;
    for (let size = 1; size <= 80; size++) {
      for (let seed = 0; seed < 5; seed++) {
        const text = buildRandomText(tok, pool, size, prngFor(seed, size));
        expect(tok.count(text), `size ${size} seed ${seed}`).toBe(size);
        if (countWords(text) > size) compensated++;
      }
    }
    // With 3 words, "aa bb" turns up in most texts: the adjustment path must have run.
    expect(compensated).toBeGreaterThan(100);
  });

  it('throws DATA_UNBUILDABLE when no adjustment reaches the size', () => {
    const tok = fakeTokenizer([' aa', ' bb'], { extra: 1 });
    const pool = getWordPool(tok);
    expect(() => buildRandomText(tok, pool, 1, prngFor(0, 0))).toThrow(DataError);
    expect(() => buildRandomText(tok, pool, 1, prngFor(0, 0))).toThrow(
      /tokenizer fake cannot yield a random prompt of exactly 1 token\(s\) \(closest built: 2\)/,
    );
  });

  it('opens the text without a leading space and is the same for the same generator state', async () => {
    const tok = await getTokenizer('words');
    const pool = getWordPool(tok);
    const a = buildRandomText(tok, pool, 40, prngFor(9, 3));
    const b = buildRandomText(tok, pool, 40, prngFor(9, 3));
    expect(a).toBe(b);
    expect(a).toMatch(/^[a-z]+( [a-z]+){39}$/);
    expect(buildRandomText(tok, pool, 40, prngFor(9, 4))).not.toBe(a);
  });
});

describe('getWordPool', () => {
  it('keeps only clean pieces that encode to their own id, dropping duplicates and unreachable ones', () => {
    // ' bb' twice (id 3 duplicates id 1); ' dd' encodes to another id here, so it is unreachable;
    // 'Xy', ' q' and the 16-letter word are not clean word pieces.
    const base = fakeTokenizer([' aa', ' bb', 'Xy', ' bb', ' q', ' toolongtobeaword', ' dd']);
    const tok: Tokenizer = { ...base, encode: (t) => (t.includes('dd') ? [99] : base.encode(t)) };
    const pool = getWordPool(tok);
    const pieces = Array.from({ length: pool.size }, (_, k) => pool.piece(k));
    expect(pieces).toEqual([' aa', ' bb']);
  });

  it('refuses a tokenizer without clean word pieces', () => {
    const tok = fakeTokenizer(['A1', '!!', ' x']);
    expect(() => getWordPool(tok)).toThrow(/tokenizer fake has no word pieces matching/);
  });

  it('caps the pool, samples the tokenizer\'s first pieces, and every piece is one token', async () => {
    const tok = await getTokenizer('words');
    const pool = getWordPool(tok);
    expect(pool.size).toBe(WORD_POOL_SIZE);
    expect(getWordPool(tok)).toBe(pool);
    expect(pool.piece(0)).toBe(tok.piece(0));
    for (let k = 0; k < pool.size; k++) {
      const piece = pool.piece(k);
      if (!/^ [a-z]{2,12}$/.test(piece) || tok.count(piece) !== 1) throw new Error(`bad piece ${k}: ${piece}`);
    }
  });
});
