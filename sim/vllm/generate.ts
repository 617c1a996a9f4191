import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { nowUs } from './chunk-log.ts';
import type { SimContext } from './context.ts';
import { drawFault, FAULT_HEADER, injectedError, parseFaultHeader, type Fault } from './faults.ts';
import { BAD_REQUEST, readBody, sendError } from './http-util.ts';
import type { PromptResult } from './prompt.ts';
import { SimRequest } from './sim-request.ts';
import type { Api } from './wire.ts';

type Body = Record<string, unknown>;

/**
 * The header naming a request's session (the client's default `session_header`). vLLM ignores
 * it; the simulator keys its per-session memory of the last turn by it (`SessionTokens`).
 */
export const SESSION_HEADER = 'x-session-id';

/** vLLM's error type for inference requests while the model sleeps. */
export const SLEEPING_ERROR_TYPE = 'ModelSleepingError';
/** vLLM's message for inference requests while the model sleeps. */
export const SLEEPING_MESSAGE = 'Model is currently in sleep mode. Please wake it up first with a POST request to /wake_up';

/** A request that is answered with an error before reaching the engine. */
interface Rejection {
  status: number;
  type: string;
  message: string;
  param: string | null;
  fault?: Fault;
}

function reject(status: number, type: string, message: string, param: string | null = null): Rejection {
  return { status, type, message, param };
}

function isObject(v: unknown): v is Body {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Resolves max_tokens as vLLM does: completions default 16, chat default max_model_len - prompt. */
function resolveMaxTokens(api: Api, body: Body, promptLen: number, maxModelLen: number): number | Rejection {
  const raw = api === 'chat' ? (body.max_completion_tokens ?? body.max_tokens ?? null) : (body.max_tokens ?? 16);
  if (promptLen >= maxModelLen) {
    return reject(400, BAD_REQUEST, `This model's maximum context length is ${maxModelLen} tokens. However, your request has ${promptLen} input tokens. Please reduce the length of the input messages.`, 'input_tokens');
  }
  if (raw === null) return maxModelLen - promptLen;
  if (typeof raw !== 'number' || !Number.isInteger(raw)) return reject(400, BAD_REQUEST, 'max_tokens: expected an integer.', 'max_tokens');
  if (raw < 1) return reject(400, BAD_REQUEST, `max_tokens must be at least 1, got ${raw}.`, 'max_tokens');
  if (promptLen + raw > maxModelLen) {
    return reject(
      400,
      BAD_REQUEST,
      `'max_tokens' or 'max_completion_tokens' is too large: ${raw}. This model's maximum context length is ${maxModelLen} tokens and your request has ${promptLen} input tokens (${raw} > ${maxModelLen} - ${promptLen}).`,
      'max_tokens',
    );
  }
  return raw;
}

/**
 * `POST /v1/completions` and `POST /v1/chat/completions`: validates like vLLM (same statuses,
 * messages and error JSON), applies an injected fault, then hands the request to the engine.
 */
export async function handleGenerate(ctx: SimContext, api: Api, req: IncomingMessage, res: ServerResponse, receivedUs: number, arrivalMs: number): Promise<void> {
  const o = ctx.options;
  const headerId = req.headers['x-request-id'];
  const requestId = typeof headerId === 'string' && headerId !== '' ? headerId : randomUUID();
  const headers: OutgoingHttpHeaders = { 'x-request-id': requestId, 'x-inference-pod': o.pod_name };
  const text = await readBody(req);
  let model = o.models[0]!;
  let stream = false;
  let promptLen = 0;

  const prepare = (): SimRequest | Rejection => {
    if (text === null) return reject(413, BAD_REQUEST, 'Request body too large.');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      return reject(400, 'Bad Request', `JSON decode error: ${(err as Error).message}`);
    }
    if (!isObject(body)) return reject(400, 'Bad Request', 'Input should be a valid dictionary or object to extract fields from');
    if (body.model !== undefined && body.model !== null) {
      if (typeof body.model !== 'string' || !o.models.includes(body.model)) {
        return reject(404, 'NotFoundError', `The model \`${String(body.model)}\` does not exist.`, 'model');
      }
      model = body.model;
    }
    stream = body.stream === true;
    if (body.n !== undefined && body.n !== null && body.n !== 1) return reject(400, BAD_REQUEST, 'The simulator supports n=1 only.', 'n');
    const so = body.stream_options;
    if (so !== undefined && so !== null && !stream) return reject(400, BAD_REQUEST, 'Stream options can only be defined when `stream=True`.', 'stream_options');
    const sessionHeader = req.headers[SESSION_HEADER];
    const session = typeof sessionHeader === 'string' && sessionHeader !== '' ? sessionHeader : null;
    const prompt: PromptResult = api === 'chat' ? ctx.encoder.chatPrompt(body.messages, session) : ctx.encoder.completionPrompt(body.prompt, session);
    if (!prompt.ok) return reject(400, BAD_REQUEST, prompt.message, prompt.param);
    promptLen = prompt.tokens.length;
    const maxTokens = resolveMaxTokens(api, body, promptLen, o.max_model_len);
    if (typeof maxTokens !== 'number') return maxTokens;

    let fault: Fault | null;
    const forced = req.headers[FAULT_HEADER];
    if (typeof forced === 'string') {
      const parsed = parseFaultHeader(forced, o.faults);
      if (typeof parsed === 'string') return reject(400, BAD_REQUEST, parsed, FAULT_HEADER);
      fault = parsed;
    } else fault = drawFault(ctx.faultRng, o.faults);
    if (fault?.kind === 'error') {
      const e = injectedError(fault.status ?? 500);
      return { ...reject(fault.status ?? 500, e.type, e.message), fault };
    }

    const includeUsage = isObject(so) && so.include_usage === true;
    return new SimRequest(
      ctx,
      res,
      {
        api,
        stream,
        model,
        requestId,
        promptTokens: prompt.tokens,
        session: prompt.session ?? null,
        maxTokens,
        ignoreEos: body.ignore_eos === true,
        includeUsage,
        continuousUsage: includeUsage && isObject(so) && so.continuous_usage_stats === true,
        fault,
        receivedUs,
        arrivalMs,
      },
      stream ? { ...headers, 'content-type': 'text/event-stream; charset=utf-8' } : headers,
    );
  };

  // The older vLLM behaviour (docs/source/features/sleep_mode.md @39a39ca): inference endpoints
  // answer 503 ModelSleepingError while the model sleeps.
  let outcome = o.sleeping_requests === 'reject' && ctx.sleep.refusing ? reject(503, SLEEPING_ERROR_TYPE, SLEEPING_MESSAGE) : prepare();
  if (outcome instanceof SimRequest && !outcome.admit()) outcome = reject(429, 'RateLimitError', 'Failed to enqueue request');
  if (outcome instanceof SimRequest) return;
  const us = ctx.chunkLog ? nowUs() : 0;
  sendError(res, outcome.status, outcome.type, outcome.message, outcome.param, headers);
  ctx.chunkLog?.append({
    request_id: requestId,
    model,
    api,
    stream,
    status: outcome.status,
    prompt_tokens: promptLen,
    cached_tokens: 0,
    completion_tokens: 0,
    finish_reason: null,
    fault: outcome.fault?.label ?? null,
    received_us: receivedUs,
    headers_us: ctx.chunkLog ? us : null,
    first_content_us: null,
    content_us: [],
    content_tokens: [],
    end_us: us,
  });
}
