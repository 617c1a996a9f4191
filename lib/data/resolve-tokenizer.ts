import { chooseTokenizer, getTokenizer, isTokenizerName } from '../tokenizer/index.ts';
import type { Tokenizer, TokenizerName } from '../tokenizer/index.ts';
import { DataError } from './data-error.ts';
import type { TokenizerOption, TokenizerProvenance } from './source.ts';

/** A loaded tokenizer and what the report says about it. */
export interface ResolvedTokenizer {
  /** The tokenizer prompts are built and counted with. */
  tokenizer: Tokenizer;
  /** Its name, kind, and whether it is the target model's own. */
  provenance: TokenizerProvenance;
}

/**
 * Loads the tokenizer a data source counts with. `auto` takes the target model's own tokenizer
 * when the registry has it, else Qwen3 marked inexact (see `chooseTokenizer`). A named tokenizer
 * is used as asked and is `exact` only when it is also what `auto` would pick as the model's own:
 * the `words` stand-in is therefore never exact here, even for a simulator that counts with it
 * (the data room cannot know what the server counts with).
 *
 * @throws DataError `DATA_INVALID` for an option that names no tokenizer (from untyped callers).
 */
export async function resolveTokenizer(
  option: TokenizerOption,
  model: string,
  /** Loads a tokenizer by name (tests pass one that fails, as a missing package would). */
  load: (name: TokenizerName) => Promise<Tokenizer> = getTokenizer,
): Promise<ResolvedTokenizer> {
  if (option !== 'auto' && !isTokenizerName(option)) {
    throw new DataError('DATA_INVALID', 'data.tokenizer', `unknown tokenizer ${JSON.stringify(option)} (expected auto, qwen3 or words)`);
  }
  const choice = chooseTokenizer(model);
  const name: TokenizerName = option === 'auto' ? choice.name : option;
  let tokenizer: Tokenizer;
  try {
    tokenizer = await load(name);
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    // Asked for by name: the user meant it, so say what is missing. Chosen by `auto`: fall back to
    // the word stand-in, and say so in the report (never silently).
    if (option !== 'auto' || name === 'words') {
      throw new DataError('DATA_INVALID', 'data.tokenizer', `the ${name} tokenizer could not be loaded (${why}); is its package installed (npm ci)?`, { cause: err });
    }
    const words = await load('words');
    return {
      tokenizer: words,
      provenance: {
        name: words.name,
        kind: words.kind,
        exact: false,
        note: `the ${name} tokenizer could not be loaded (${why}): prompt sizes counted with the word stand-in, approximate on the server`,
      },
    };
  }
  return {
    tokenizer,
    provenance: { name: tokenizer.name, kind: tokenizer.kind, exact: choice.exact && choice.name === name },
  };
}
