import { loadQwen3Tokenizer } from './qwen3.ts';
import type { Tokenizer, TokenizerChoice, TokenizerName } from './tokenizer.ts';
import { createWordsTokenizer } from './words.ts';

export type { Tokenizer, TokenizerChoice, TokenizerName } from './tokenizer.ts';

/** Tokenizer loaders keyed by the same name the config uses (`tokenizer: qwen3`). */
const loaders: Record<TokenizerName, () => Promise<Tokenizer>> = {
  qwen3: loadQwen3Tokenizer,
  words: async () => createWordsTokenizer(),
};

/** Model-name patterns whose own tokenizer is in the registry. */
const MODEL_TOKENIZERS: ReadonlyArray<readonly [RegExp, TokenizerName]> = [[/qwen-?3/i, 'qwen3']];

const cache = new Map<TokenizerName, Promise<Tokenizer>>();

/** Whether `name` is a tokenizer in the registry. */
export function isTokenizerName(name: string): name is TokenizerName {
  return Object.hasOwn(loaders, name);
}

/** Loads a tokenizer by registry name, once per process. */
export function getTokenizer(name: TokenizerName): Promise<Tokenizer> {
  let p = cache.get(name);
  if (!p) {
    p = loaders[name]();
    cache.set(name, p);
  }
  return p;
}

/**
 * The tokenizer for a model: its own when the registry has it (`exact: true`), otherwise Qwen3
 * as the nearest general-purpose byte-level BPE (`exact: false`; prompt lengths are then
 * approximate for that model and reports say so; the server's `usage` stays the source of truth).
 */
export function chooseTokenizer(model: string): TokenizerChoice {
  for (const [pattern, name] of MODEL_TOKENIZERS) if (pattern.test(model)) return { name, exact: true };
  return { name: 'qwen3', exact: false };
}
