import type { RequestRecord } from './record.ts';

/**
 * How far the server's `usage.completion_tokens` may differ from the tokenizer's count of the
 * output text before the tokenizer's count is used instead: max(2 tokens, 10% of the tokenizer's
 * count). Within it, the two differ for honest reasons: the end-of-sequence token, which the
 * server counts but which adds no text (1); a sampled token sequence that re-tokenizes
 * differently, e.g. a word generated in two pieces that the tokenizer reads as one (a few per
 * hundred); a tokenizer of the model's family that is not byte-for-byte the server's (its added
 * tokens, its version). Beyond it, the count is not the text's: a server that counts wrong (a
 * multiple of the truth, a constant) or misreports. The tolerance only applies where both counts
 * exist: the tool counts the output with the model's own tokenizer, or when the server gives no
 * usage.
 */
export const USAGE_TOLERANCE = { tokens: 2, share: 0.1 } as const;

/** The tolerance in words, for reports: `max(2 tokens, 10%)`. */
export const USAGE_TOLERANCE_TEXT = `max(${USAGE_TOLERANCE.tokens} tokens, ${USAGE_TOLERANCE.share * 100}%)`;

/** Whether the server's count `server` is further from the tokenizer's `tokenizer` than `USAGE_TOLERANCE` allows. */
export function usageDisagrees(server: number, tokenizer: number): boolean {
  return Math.abs(server - tokenizer) > Math.max(USAGE_TOLERANCE.tokens, USAGE_TOLERANCE.share * tokenizer);
}

/**
 * Whether the stream itself bears the server's count out: as many content chunks as output
 * tokens, or one fewer (an end-of-sequence token is counted and streams no text). A server that
 * streams one token per chunk, as vLLM does by default, is then right by a count the client made
 * itself, whatever a tokenizer reads in the text: a stand-in tokenizer, or a server whose
 * vocabulary is not the one the model name suggests (the simulator's `words` tokenizer), counts
 * the same text differently.
 */
export function chunksBearOut(server: number, contentChunks: number): boolean {
  return contentChunks > 0 && (server === contentChunks || server === contentChunks + 1);
}

/**
 * The output token count N of a request and where it came from: the server's
 * `usage.completion_tokens`, unless the tokenizer also counted the text and disagrees beyond
 * `USAGE_TOLERANCE` while the stream's content chunks do not bear the server's count out
 * (`chunksBearOut`), in which case the tokenizer's count (`overruled` says so); the tokenizer's
 * count alone when the server gave none.
 */
export function outputTokenCount(r: Pick<RequestRecord, 'usage' | 'tokenizerOutputTokens' | 'chunkTimes'>): {
  n: number | null;
  source: 'server' | 'tokenizer' | null;
  overruled: boolean;
} {
  const server = r.usage ? r.usage.completionTokens : null;
  const counted = r.tokenizerOutputTokens;
  if (server !== null && counted !== null && usageDisagrees(server, counted) && !chunksBearOut(server, r.chunkTimes.length)) {
    return { n: counted, source: 'tokenizer', overruled: true };
  }
  if (server !== null) return { n: server, source: 'server', overruled: false };
  return { n: counted, source: counted !== null ? 'tokenizer' : null, overruled: false };
}

/**
 * Why the server's `usage` cannot be true, or null when it can be. Only what is provably
 * impossible counts (it fails the request as `impossible_usage`); a count that is merely
 * implausible is the tokenizer's business (`outputTokenCount`):
 * - a count that is not a non-negative integer (JSON allows -5, 2.5, 1e300);
 * - more completion tokens than the `max_tokens` the request asked for (a server honouring
 *   `max_tokens` stops there), when it asked for a limit;
 * - no completion token for a non-empty output (text is made of tokens);
 * - more cached prompt tokens than prompt tokens (the cached ones are some of them).
 * Fewer tokens than bytes of text is not required: special tokens (an end-of-sequence token, or
 * many of them under `ignore_eos`) are counted and produce no text. Nor is a prompt count near
 * the client's: a chat template adds tokens, and the client's tokenizer may be a stand-in.
 */
export function impossibleUsage(r: Pick<RequestRecord, 'usage' | 'maxTokens' | 'outputChars'>): string | null {
  const u = r.usage;
  if (!u) return null;
  const fields: Array<[string, number | null]> = [
    ['completion_tokens', u.completionTokens],
    ['prompt_tokens', u.promptTokens],
    ['prompt_tokens_details.cached_tokens', u.cachedTokens],
  ];
  for (const [name, v] of fields) {
    if (v !== null && !(Number.isSafeInteger(v) && v >= 0)) return `server usage.${name} is ${v}: not a token count`;
  }
  if (r.maxTokens > 0 && u.completionTokens > r.maxTokens) return `server usage.completion_tokens ${u.completionTokens} > max_tokens ${r.maxTokens} requested`;
  if (u.completionTokens === 0 && r.outputChars > 0) return `server usage.completion_tokens is 0 for ${r.outputChars} characters of output`;
  if (u.cachedTokens !== null && u.cachedTokens > u.promptTokens) {
    return `server usage.prompt_tokens_details.cached_tokens ${u.cachedTokens} > prompt_tokens ${u.promptTokens}`;
  }
  return null;
}
