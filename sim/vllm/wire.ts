/*
 * vLLM's OpenAI wire format, byte for byte where it matters (field order and the explicit nulls
 * vLLM's `model_dump_json(exclude_unset=True)` emits; vllm/entrypoints/openai/completion/serving.py
 * and chat_completion/serving.py). Stream events are built by concatenating precomputed parts,
 * so the hot path never serialises an object.
 */

/** Which OpenAI endpoint a request came through. */
export type Api = 'completions' | 'chat';

/** The SSE terminator vLLM sends after the last event. */
export const DONE_EVENT = 'data: [DONE]\n\n';

/** Token accounting vLLM reports in `usage`. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Prefix-cache hits; omitted from the JSON when null. */
  cachedTokens: number | null;
}

function usageJson(u: Usage): string {
  const details = u.cachedTokens === null ? '' : `,"prompt_tokens_details":{"cached_tokens":${u.cachedTokens}}`;
  return `{"prompt_tokens":${u.promptTokens},"total_tokens":${u.promptTokens + u.completionTokens},"completion_tokens":${u.completionTokens}${details}}`;
}

/**
 * Builds the SSE events of one streamed response. Constructed once per request; each method
 * returns complete `data: ...\n\n` events.
 */
export class StreamEvents {
  private readonly head: string;
  private readonly contentHead: string;
  private readonly open: string;
  private readonly finalOpen: string;

  constructor(
    readonly api: Api,
    id: string,
    created: number,
    model: string,
    private readonly promptTokens: number,
    private readonly continuousUsage: boolean,
  ) {
    const object = api === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    this.head = `data: {"id":${JSON.stringify(id)},"object":"${object}","created":${created},"model":${JSON.stringify(model)},"choices":`;
    if (api === 'chat') {
      this.contentHead = `${this.head}[{"index":0,"delta":{"content":"`;
      this.open = '"},"logprobs":null,"finish_reason":null,"token_ids":null}]';
      this.finalOpen = '"},"logprobs":null,"finish_reason":"%","stop_reason":null,"token_ids":null}]';
    } else {
      this.contentHead = `${this.head}[{"index":0,"text":"`;
      this.open = '","logprobs":null,"finish_reason":null,"stop_reason":null,"prompt_token_ids":null,"token_ids":null}]';
      this.finalOpen = '","logprobs":null,"finish_reason":"%","stop_reason":null,"prompt_token_ids":null,"token_ids":null}]';
    }
  }

  private tail(completionTokens: number): string {
    if (!this.continuousUsage) return '}\n\n';
    return `,"usage":${usageJson({ promptTokens: this.promptTokens, completionTokens, cachedTokens: null })}}\n\n`;
  }

  /** Chat only: the first event, `delta: {role: "assistant", content: ""}` (empty for completions). */
  role(): string {
    if (this.api !== 'chat') return '';
    return `${this.head}[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]${this.tail(0)}`;
  }

  /**
   * A content event carrying `textJson` (already JSON-escaped). `completionTokens` is the running
   * total after this chunk (for continuous usage); `finishReason` is set on the last chunk only.
   */
  content(textJson: string, completionTokens: number, finishReason: string | null): string {
    const close = finishReason === null ? this.open : this.finalOpen.replace('%', finishReason);
    return this.contentHead + textJson + close + this.tail(completionTokens);
  }

  /** The trailing usage-only event (`choices: []`) sent when `include_usage` is set. */
  usage(u: Usage): string {
    return `${this.head}[],"usage":${usageJson(u)}}\n\n`;
  }

  /** An event whose data is not valid JSON (fault injection): a chunk cut off mid-object. */
  malformed(): string {
    return `${this.contentHead}\n\n`;
  }
}

/** The non-streaming `/v1/completions` response body. */
export function completionBody(id: string, created: number, model: string, text: string, finishReason: string, usage: Usage): string {
  return JSON.stringify({
    id,
    object: 'text_completion',
    created,
    model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason, stop_reason: null, token_ids: null, prompt_logprobs: null, prompt_token_ids: null }],
    service_tier: null,
    system_fingerprint: null,
    usage: JSON.parse(usageJson(usage)) as unknown,
    kv_transfer_params: null,
  });
}

/** The non-streaming `/v1/chat/completions` response body. */
export function chatBody(id: string, created: number, model: string, text: string, finishReason: string, usage: Usage): string {
  return JSON.stringify({
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, refusal: null, annotations: null, audio: null, function_call: null, reasoning: null },
        logprobs: null,
        finish_reason: finishReason,
        stop_reason: null,
        token_ids: null,
      },
    ],
    service_tier: null,
    system_fingerprint: null,
    usage: JSON.parse(usageJson(usage)) as unknown,
    prompt_logprobs: null,
    prompt_token_ids: null,
    kv_transfer_params: null,
  });
}

/** vLLM's response id: `cmpl-<x-request-id>` or `chatcmpl-<x-request-id>`. */
export function responseId(api: Api, requestId: string): string {
  return `${api === 'chat' ? 'chatcmpl' : 'cmpl'}-${requestId}`;
}

/** The non-streaming body of either endpoint. */
export function responseBody(api: Api, requestId: string, model: string, text: string, finishReason: string, usage: Usage): string {
  const build = api === 'chat' ? chatBody : completionBody;
  return build(responseId(api, requestId), Math.floor(Date.now() / 1000), model, text, finishReason, usage);
}

/** vLLM's error body: `{"error": {"message", "type", "param", "code"}}`. */
export function errorBody(status: number, type: string, message: string, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code: status } });
}
