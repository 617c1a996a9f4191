/**
 * Time to first token after actuation (protocol section 10.6): one streamed `/v1/completions`
 * request through the provider once the duo is Ready, made by the same exchange the load runner
 * uses, so the clock starts before the request is written (not after the response headers, the
 * LDB pitfall) and the first token means the first chunk with content.
 */
import { capabilitiesFor } from '../apis/capabilities.ts';
import { completionsAdapter } from '../apis/completions.ts';
import { Exchange } from '../http/exchange.ts';
import { HttpTarget } from '../http/target.ts';
import type { RequestRecord } from '../metrics/record.ts';

export interface FirstTokenResult {
  /** `process.hrtime.bigint()` just before the request was written, and at the first token. */
  sentHr: bigint | null;
  firstTokenHr: bigint | null;
  /** TTFT in real ms (client clock). */
  ttftMs: number | null;
  status: number | null;
  error: string | null;
  url: string;
}

/**
 * Sends one streamed completion of `maxTokens` tokens for `model` to `baseUrl` and reports when
 * the first token arrived. Never throws: a failure is in `error`.
 */
export async function firstToken(baseUrl: string, model: string, options: { prompt?: string; maxTokens?: number; timeoutMs?: number; apiKey?: string } = {}): Promise<FirstTokenResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const target = new HttpTarget({ baseUrl, apiKey: options.apiKey, timeouts: { connect: 10_000, firstToken: timeoutMs, idle: timeoutMs, total: timeoutMs } });
  const pool = target.createPool(1);
  const perfAnchor = performance.now();
  const hrAnchor = process.hrtime.bigint();
  const toHr = (perf: number | null): bigint | null => (perf === null ? null : hrAnchor + BigInt(Math.round((perf - perfAnchor) * 1e6)));
  const caps = capabilitiesFor('vllm');
  const body = completionsAdapter.body({ model, prompt: options.prompt ?? 'Once upon a time,', maxTokens: options.maxTokens ?? 16, stream: true }, caps);
  const rec: RequestRecord = {
    seq: 0, requestId: 'actuation-first-token', warmup: false, stage: 0, cell: 'first-token', api: 'completions', stream: true, model,
    promptTokens: 0, maxTokens: options.maxTokens ?? 16, intended: performance.now(), sent: null, headers: null,
    firstChunk: null, chunkTimes: [], chunkTokens: null, chunkTokensSource: null, end: 0, status: null,
    usage: null, tokenizerOutputTokens: null, outputChars: 0, finishReason: null, servedBy: {}, error: null,
  };
  try {
    const done = await new Promise<RequestRecord>((resolve) => {
      const ex = new Exchange(rec, {
        adapter: completionsAdapter,
        path: `${target.apiRoot}${completionsAdapter.path}`,
        headers: { ...target.requestHeaders, 'x-request-id': rec.requestId },
        body,
        timeouts: target.timeouts,
        keepText: false,
        onDone: (r) => resolve(r),
      });
      ex.start(pool);
    });
    return {
      sentHr: toHr(done.sent),
      firstTokenHr: toHr(done.firstChunk),
      ttftMs: done.sent !== null && done.firstChunk !== null ? done.firstChunk - done.sent : null,
      status: done.status,
      error: done.error ? `${done.error.class}: ${done.error.message}` : null,
      url: target.displayUrl,
    };
  } finally {
    await pool.destroy().catch(() => {});
  }
}
