import type { Transform } from 'node:stream';
import type { Dispatcher } from 'undici';
import { DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from '../config/schema/limits.ts';
import type { RequestFailure, RequestRecord } from '../metrics/record.ts';
import { SseParser } from '../sse/parser.ts';
import { KEY_HEADER_PATTERN } from '../config/secrets.ts';
import { ClassifiedError, classifyTransportError } from './classify.ts';
import { contentDecoder } from './decode.ts';
import { type ReaderOptions, ResponseReader } from './response-reader.ts';
import { errorMessageOf, tryJson } from './server-text.ts';
import { mib } from './target.ts';

/** What one exchange needs besides the record it fills. */
export interface ExchangeOptions extends ReaderOptions {
  /** Full request path (API root + adapter path). */
  path: string;
  body: string;
  /** Response size limits; default `DEFAULT_RESPONSE_LIMITS`. */
  limits?: ResponseLimits;
  /** Called once, when the record is complete. `text` is '' unless `keepText`. */
  onDone(record: RequestRecord, text: string, response: ResponseHints): void;
}

/** What a response said about its request beyond the record. */
export interface ResponseHints {
  /** The wait a 429 or 503 response asked for in `Retry-After` (seconds or an HTTP date), ms; null when none. */
  retryAfterMs: number | null;
}

const MAX_ERROR_BODY = 2048;
/** Margin of undici's own headers timeout over ours, so ours always fires first. */
const BACKSTOP_MS = 1000;
/** Response headers that say who served a request: request ids and anything naming a pod or backend. */
const SERVED_BY = /^x-(request-id|inference-|.*(pod|server|instance|backend|upstream|endpoint))/;

/**
 * One request/response as an undici dispatch handler. It stamps `handed` when it hands the
 * request to undici (`start`, before any pool wait and connect), `sent` in `onRequestStart`,
 * which undici calls right before writing the request to the socket (after any pool wait and
 * connect), and each body chunk's receive time in `onResponseData`, then feeds the SSE parser,
 * whose events the `ResponseReader` it extends folds into the record. Every outcome ends in
 * exactly one `onDone` with the failure, if any, in the record.
 *
 * A body past `limits.responseBytes` (or an event past `limits.eventBytes`) aborts the request at
 * once, so no more than a limit is ever held. A body with a `content-encoding` (a server that
 * compresses although the request asks for `identity`) is decoded as it arrives, each chunk
 * then stamped when its decoded bytes come out of zlib.
 */
export class Exchange extends ResponseReader implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private timer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Receive time of the last body bytes, for the idle limit. */
  private lastData = 0;
  private bodyBytes = 0;
  /** Decoded body bytes received so far, for the size limit. */
  private received = 0;
  private decoder: Transform | null = null;
  /** The transport delivered the whole body (the decoder may still hold some). */
  private responseEnded = false;
  private failure: RequestFailure | null = null;
  private retryAfterMs: number | null = null;
  private readonly limits: ResponseLimits;
  declare protected readonly opts: ExchangeOptions;

  constructor(rec: RequestRecord, opts: ExchangeOptions) {
    super(rec, opts);
    this.limits = opts.limits ?? DEFAULT_RESPONSE_LIMITS;
  }

  /** Dispatches the request on `dispatcher`. */
  start(dispatcher: Dispatcher): void {
    const { timeouts } = this.opts;
    this.rec.handed = performance.now();
    try {
      dispatcher.dispatch(
        {
          path: this.opts.path,
          method: 'POST',
          headers: this.opts.headers,
          body: this.opts.body,
          // Our own timers enforce first_token_s and idle_s (precisely, with a clear message);
          // undici's are backstops. Its body timer runs from the response headers, which vLLM
          // sends before queueing and prefill, so it would cut a slow first token short of
          // first_token_s; and it ticks in 0.5 s steps.
          headersTimeout: timeouts.firstToken + BACKSTOP_MS,
          bodyTimeout: Math.max(timeouts.firstToken, timeouts.idle) + BACKSTOP_MS,
        },
        this,
      );
    } catch (err) {
      this.finish(classifyTransportError(err, false));
    }
  }

  /** Stops the exchange: run cancelled (class `cancelled`), or cut at the end of its stage (class `cut`). */
  cancel(message: string, cls: 'cancelled' | 'cut' = 'cancelled'): void {
    this.abort({ class: cls, message });
  }

  /**
   * Whether the request is still running and has run longer than `ms` since it was sent: for
   * `ttft`, without its first content chunk yet; for `e2e`, without its end.
   */
  runningLongerThan(ms: number, metric: 'e2e' | 'ttft', now: number): boolean {
    const r = this.rec;
    if (this.finished || r.sent === null || (metric === 'ttft' && r.firstChunk !== null)) return false;
    return now - r.sent > ms;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.finished) return controller.abort(new ClassifiedError(this.failure!));
    this.rec.sent = performance.now();
    this.arm(Math.min(this.opts.timeouts.firstToken, this.opts.timeouts.total));
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: Record<string, unknown>): void {
    if (this.finished || this.failure) return;
    const rec = this.rec;
    rec.headers = performance.now();
    rec.status = status;
    for (const name in headers) {
      const v = headers[name];
      // A key-bearing header (`x-upstream-token`) is never recorded, whatever it names: its value may be a secret the run does not know.
      if (SERVED_BY.test(name) && !KEY_HEADER_PATTERN.test(name) && v !== undefined) rec.servedBy[name] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    if (status === 429 || status === 503) this.retryAfterMs = parseRetryAfter(headers['retry-after'], Date.now());
    const encoding = headers['content-encoding'];
    if (encoding !== undefined) {
      const decoder = contentDecoder(String(encoding));
      if (typeof decoder === 'string') return this.abort({ class: 'malformed_event', message: this.clip(decoder, 200) });
      if (decoder) this.startDecoder(decoder);
    }
    const type = String(headers['content-type'] ?? '');
    if (status < 400 && rec.stream && type.startsWith('text/event-stream')) {
      const limits = this.limits;
      this.parser = new SseParser(this.onEvent, this.onRawEvent, {
        maxEventBytes: limits.eventBytes,
        onTooLarge: (bytes) =>
          this.abort({ class: 'response_too_large', message: `stream event larger than ${mib(limits.eventBytes)} (limits.max_event_mib): cut at ${bytes} bytes` }),
      });
    } else {
      this.body = [];
      this.lastData = rec.headers;
      this.armIdle(this.opts.timeouts.idle);
    }
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    const now = performance.now();
    this.lastData = now;
    if (this.finished || this.failure) return;
    if (this.decoder) {
      this.decoder.write(chunk);
      return;
    }
    this.receive(chunk, now);
  }

  onResponseEnd(): void {
    this.responseEnded = true;
    if (this.decoder && !this.finished && !this.failure) this.decoder.end();
    else this.finish(this.failure);
  }

  /** Takes decoded body bytes: counts them against the limit, then parses or keeps them. */
  private receive(chunk: Buffer, now: number): void {
    try {
      this.received += chunk.length;
      if (this.received > this.limits.responseBytes) return this.tooLarge(this.limits.responseBytes);
      if (this.parser) return this.parser.push(chunk, now);
      if (this.body && this.bodyBytes < (this.rec.status! >= 400 ? MAX_ERROR_BODY : Infinity)) {
        this.body.push(chunk);
        this.bodyBytes += chunk.length;
      }
    } catch (err) {
      // A handler must not throw into undici: whatever goes wrong here fails this request alone.
      this.body = null;
      this.abort(classifyTransportError(err, true));
    }
  }

  /** The body passed the size limit: stop holding it and abort the request. */
  private tooLarge(limit: number): void {
    const rec = this.rec;
    const over = `response body larger than ${mib(limit)} (limits.max_response_mib)`;
    if (rec.status !== null && rec.status >= 400) {
      const raw = Buffer.concat(this.body ?? []).toString('utf8');
      this.body = null;
      return this.abort({ class: 'http_status', message: `HTTP ${rec.status}: ${this.clip(errorMessageOf(tryJson(raw)) ?? raw, 150)} (${over}, cut)` });
    }
    this.body = null;
    this.abort({ class: 'response_too_large', message: `${over}: cut after ${this.received} bytes` });
  }

  /** Decodes the body through `decoder`; decoded chunks take the regular path, in order. */
  private startDecoder(decoder: Transform): void {
    this.decoder = decoder;
    decoder.on('data', (out: Buffer) => {
      if (!this.finished && !this.failure) this.receive(out, performance.now());
    });
    decoder.on('error', (err: Error) => {
      this.abort({ class: 'malformed_event', message: `response body does not decode (${this.clip(err.message, 120)})` });
    });
    decoder.on('end', () => this.finish(this.failure));
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.finish(this.failure ?? classifyTransportError(err, this.rec.headers !== null));
  }

  protected override abort(failure: RequestFailure): void {
    if (this.finished || this.failure) return;
    this.failure = failure;
    if (this.decoder) this.decoder.destroy();
    // After the transport's end nothing more comes from undici (only the decoder was still busy).
    if (this.controller && !this.responseEnded) this.controller.abort(new ClassifiedError(failure));
    else this.finish(failure);
  }

  protected override arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(this.onTimeout, Math.max(0, ms));
  }

  protected override armIdle(ms: number): void {
    this.idleTimer = setTimeout(this.onIdle, Math.max(0, ms));
  }

  /** Checks the time since the last body bytes (cheaper than re-arming a timer per chunk). */
  private readonly onIdle = (): void => {
    const { idle } = this.opts.timeouts;
    const quiet = performance.now() - this.lastData;
    if (quiet < idle) return this.armIdle(idle - quiet);
    this.abort({ class: 'idle_timeout', message: `no data for ${idle / 1000} s after ${this.rec.chunkTimes.length} content chunks` });
  };

  private readonly onTimeout = (): void => {
    const { firstToken, total } = this.opts.timeouts;
    const elapsed = performance.now() - this.rec.sent!;
    this.abort(
      this.rec.firstChunk === null && firstToken < total && elapsed < total
        ? {
            class: 'first_token_timeout',
            message: `no ${this.rec.headers === null ? 'response' : 'output'} within ${firstToken / 1000} s of sending`,
          }
        : { class: 'total_timeout', message: `request not finished within ${total / 1000} s` },
    );
  };

  /**
   * Completes the record and calls `onDone`, exactly once whatever happens: an error thrown while
   * judging the response (a body too large for a string, say) becomes the request's failure.
   */
  private finish(failure: RequestFailure | null): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.decoder && !this.decoder.destroyed) this.decoder.destroy();
    const rec = this.rec;
    rec.end = performance.now();
    try {
      rec.error = failure ?? this.outcome();
      this.attributeChunkTokens();
    } catch (err) {
      rec.error = classifyTransportError(err, rec.headers !== null);
    }
    this.body = null;
    this.opts.onDone(rec, this.text, { retryAfterMs: this.retryAfterMs });
  }
}

/**
 * A `Retry-After` value (RFC 9110 10.2.3: delay-seconds or an HTTP-date) as a wait in ms from
 * `nowMs` (wall clock); null when absent or unreadable. A date in the past is no wait.
 */
export function parseRetryAfter(value: unknown, nowMs: number): number | null {
  const v = (Array.isArray(value) ? value[0] : value);
  if (typeof v !== 'string') return null;
  const text = v.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return null;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : null;
}
