import { chatTemplateOverhead } from '../tokenizer/chat-template.ts';
import type { Tokenizer } from '../tokenizer/index.ts';
import type { PromptApi } from './source.ts';

/**
 * How many tokens of a prompt's configured length are message text. On the chat API the server
 * counts the chat template too (`usage.prompt_tokens` includes it), so a prompt configured at
 * `n` tokens gets `n - overhead` tokens of text, the overhead measured with the source's
 * tokenizer (`chatTemplateOverhead`): the server then counts `n`. On the completions API the
 * text is the whole prompt. A length at or below the overhead cannot be met: its text is one
 * token, the prompt `overhead + 1` tokens, and `note()` says so.
 */
export class PromptSizing {
  /** Template tokens per prompt (0 on the completions API). */
  readonly overhead: number;
  #shortest = Number.POSITIVE_INFINITY;

  constructor(api: PromptApi | undefined, tokenizer: Tokenizer) {
    this.overhead = api === 'chat' ? chatTemplateOverhead(tokenizer) : 0;
  }

  /** Text tokens of a prompt whose server-counted length should be `total`. */
  textTokens(total: number): number {
    if (total > this.overhead) return total - this.overhead;
    this.#shortest = Math.min(this.#shortest, total);
    return 1;
  }

  /** Tokens the server counts for a prompt with `text` text tokens. */
  total(text: number): number {
    return text + this.overhead;
  }

  /** One line for the report when the template changed what was sent, else undefined. */
  note(tokenizer: string): string | undefined {
    if (this.overhead === 0) return undefined;
    const base = `chat prompts sized to the server's prompt_tokens: ${this.overhead} of each prompt's tokens are the chat template's (measured with the ${tokenizer} tokenizer)`;
    if (this.#shortest === Number.POSITIVE_INFINITY) return base;
    return `${base}; prompts configured at ${this.overhead} tokens or fewer (the shortest ${this.#shortest}) were sent with 1 token of text, ${this.overhead + 1} in all`;
  }
}
