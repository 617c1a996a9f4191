import type { Usage } from '../metrics/record.ts';

/** What a server accepts beyond the OpenAI basics; defaults come from the target's backend. */
export interface Capabilities {
  /** Accepts `ignore_eos` (vLLM, SGLang, llama.cpp): output length is then exactly max_tokens. */
  ignore_eos: boolean;
  /** Accepts `stream_options.include_usage`: a final chunk carries the usage. */
  include_usage: boolean;
  /** Accepts `stream_options.continuous_usage_stats` (vLLM): every chunk carries cumulative usage, giving tokens per chunk. */
  continuous_usage_stats: boolean;
  /** Field that caps output length: `max_tokens`, or `max_completion_tokens` (OpenAI's current chat API). */
  max_tokens_field: 'max_tokens' | 'max_completion_tokens';
}

/** One request's parameters, independent of the API. */
export interface ApiRequest {
  model: string;
  /** Prompt text (the user message for chat). */
  prompt: string;
  maxTokens: number;
  stream: boolean;
}

/**
 * What one stream chunk (or a whole non-streamed body) contributed. Adapters fill a reused
 * instance, so reading a chunk allocates nothing beyond what `JSON.parse` did.
 */
export interface ChunkFields {
  /** Output text in this chunk (content, plus reasoning text for reasoning models), '' if none. */
  text: string;
  /** finish_reason if this chunk carries one. */
  finishReason: string | null;
  /** Usage if this chunk carries one (cumulative in vLLM's continuous mode). */
  usage: Usage | null;
  /**
   * Whether `choices` has at least one element, whatever its text: what vLLM's benchmark client
   * times a chunk by (`if choices := data.get("choices")`), so a role-only or finish-only chunk
   * counts there, and a usage chunk with `"choices": []` does not.
   */
  choice: boolean;
}

/** An OpenAI-style API. Registry key = the config's `api` literal. */
export interface ApiAdapter {
  readonly type: 'completions' | 'chat';
  /** Path under the API root (`<base>/v1`). */
  readonly path: string;
  /** JSON body of a request. */
  body(req: ApiRequest, caps: Capabilities): string;
  /**
   * Reads one parsed stream event (or non-streamed body when `full`) into `out`. Returns false
   * when the object is not a chunk of this API (the caller then classifies it).
   */
  read(json: unknown, out: ChunkFields, full: boolean): boolean;
}

/** A fresh `ChunkFields`. */
export function emptyChunkFields(): ChunkFields {
  return { text: '', finishReason: null, usage: null, choice: false };
}

/** Parses an OpenAI `usage` object; null when absent or not one. */
export function readUsage(u: unknown): Usage | null {
  if (typeof u !== 'object' || u === null) return null;
  const { prompt_tokens: p, completion_tokens: c, prompt_tokens_details: d } = u as Record<string, unknown>;
  if (typeof p !== 'number' || typeof c !== 'number') return null;
  const cached = typeof d === 'object' && d !== null ? (d as Record<string, unknown>).cached_tokens : null;
  return { promptTokens: p, completionTokens: c, cachedTokens: typeof cached === 'number' ? cached : null };
}

/** The common streaming and length fields of both APIs' request bodies. */
export function commonBodyFields(req: ApiRequest, caps: Capabilities): Record<string, unknown> {
  const body: Record<string, unknown> = { model: req.model, [caps.max_tokens_field]: req.maxTokens, stream: req.stream };
  if (caps.ignore_eos) body.ignore_eos = true;
  if (req.stream && caps.include_usage) {
    body.stream_options = caps.continuous_usage_stats
      ? { include_usage: true, continuous_usage_stats: true }
      : { include_usage: true };
  }
  return body;
}
