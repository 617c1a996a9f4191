import type { Tokenizer } from './tokenizer.ts';

const ONSETS = ['b', 'c', 'd', 'f', 'g', 'h', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ou'];
const CODAS = ['', 'n', 'r', 's', 'l', 't', 'm', 'nd'];

/**
 * The deterministic stand-in tokenizer: one token per whitespace-separated word. Its vocabulary
 * is 8,192 generated two-syllable words; the piece of id `i` is `" " + word(i)`. Unknown words
 * still count as one token each and encode to a hash of the word, so `count` is exact for any
 * text: the number of whitespace-separated runs. It is fast (no allocation to count) and needs
 * no model files, which is why the simulator's throughput profiles and the benchmarks use it.
 */
export function createWordsTokenizer(): Tokenizer {
  const words: string[] = [];
  for (let i = 0; i < 8192; i++) {
    const a = i & 127;
    const b = i >> 7;
    words.push(
      ONSETS[a & 15]! + VOWELS[a >> 4]! + ONSETS[b & 15]! + VOWELS[(b >> 4) & 7]! + CODAS[(a + b) & 7]!,
    );
  }
  const ids = new Map<string, number>();
  for (let i = words.length - 1; i >= 0; i--) ids.set(words[i]!, i);
  const pieces = words.map((w) => ` ${w}`);

  const hashWord = (w: string): number => {
    let h = 2166136261;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
    return (h >>> 0) % words.length;
  };

  return {
    name: 'words',
    kind: 'stand-in',
    vocabSize: words.length,
    encode(text) {
      const out: number[] = [];
      for (const w of text.split(/\s+/)) if (w) out.push(ids.get(w) ?? hashWord(w));
      return out;
    },
    decode: (list) => list.map((id) => pieces[id] ?? '').join(''),
    count(text) {
      let n = 0;
      let inWord = false;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        const space = c === 32 || (c >= 9 && c <= 13);
        if (!space && !inWord) n++;
        inWord = !space;
      }
      return n;
    },
    piece: (id) => pieces[id] ?? '',
  };
}
