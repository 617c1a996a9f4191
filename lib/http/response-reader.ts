import { type ApiAdapter, emptyChunkFields } from '../apis/adapter.ts';
import { scanChunk } from '../apis/chunk-scanner.ts';
import type { RequestFailure, RequestRecord } from '../metrics/record.ts';
import { impossibleUsage } from '../metrics/usage-check.ts';
import type { SseParser } from '../sse/parser.ts';
import { errorMessageOf, serverText, tryJson } from './server-text.ts';
import type { TimeoutsMs } from './target.ts';

/** What reading a response needs: the API it speaks, the request's headers and its time limits. */
export interface ReaderOptions {
  adapter: ApiAdapter;
  /** Request headers (content type, auth, extra), shared by all requests of a run. */
  headers: Record<string, string>;
  timeouts: TimeoutsMs;
  /** Keep the output text (to count its tokens) and hand it to `onDone`. */
  keepText: boolean;
}

/**
 * The response side of one exchange: reads each SSE event of a stream (or the whole body of a
 * non-streamed response) into the request record, and judges the response once it has ended.
 * `Exchange` extends it with the transport (dispatch, limits, decoding, timers); the two share
 * one object, so an event reaches the record with no hop between objects.
 */
export abstract class ResponseReader {
  /** Parser of a streamed response, set when its headers say `text/event-stream`. */
  protected parser: SseParser | null = null;
  /** Chunks of a non-streamed body (or of an error body), null while streaming or once dropped. */
  protected body: Buffer[] | null = null;
  protected readonly fields = emptyChunkFields();
  private doneSeen = false;
  /** Set once the record is complete: nothing read after it counts. */
  protected finished = false;
  protected text = '';
  private events = 0;
  /** Continuous-usage bookkeeping: cumulative completion tokens seen, and tokens not yet attributed to a content chunk. */
  private cumulative = 0;
  private pendingTokens = 0;
  private usageOnEveryChunk = true;

  constructor(
    protected readonly rec: RequestRecord,
    protected readonly opts: ReaderOptions,
  ) {}

  /** Stops the request with `failure`, unless it already ended. */
  protected abstract abort(failure: RequestFailure): void;
  /** Arms the total-time limit to fire `ms` from now. */
  protected abstract arm(ms: number): void;
  /** Arms the idle limit to check `ms` from now. */
  protected abstract armIdle(ms: number): void;

  /**
   * The fast path for a single-line event still in the socket buffer: `[DONE]`, or a chunk the
   * scanner reads in place. Anything it declines (errors, unusual shapes) takes `onEvent`.
   */
  protected readonly onRawEvent = (buf: Buffer, start: number, end: number, time: number): void => {
    if (this.finished) return;
    if (end - start === 6 && buf[start] === 91 && buf.toString('latin1', start, end) === '[DONE]') {
      this.events++;
      this.doneSeen = true;
      return;
    }
    if (scanChunk(buf, start, end, this.opts.adapter.type, this.fields)) {
      this.events++;
      return this.take(time);
    }
    this.onEvent(buf.toString('utf8', start, end), time);
  };

  protected readonly onEvent = (data: string, time: number): void => {
    if (this.finished) return;
    this.events++;
    if (data === '[DONE]') {
      this.doneSeen = true;
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return this.abort({ class: 'malformed_event', message: `event ${this.events} is not JSON: ${this.clip(data, 120)}` });
    }
    const f = this.fields;
    if (!this.opts.adapter.read(json, f, false)) {
      const serverError = errorMessageOf(json);
      return this.abort(
        serverError
          ? { class: 'stream_error', message: `error event from server: ${this.clip(serverError, 200)}` }
          : { class: 'malformed_event', message: `event ${this.events} is not a ${this.opts.adapter.type} chunk: ${this.clip(data, 120)}` },
      );
    }
    this.take(time);
  };

  /** Folds the chunk just read into `this.fields` into the record. */
  private take(time: number): void {
    const f = this.fields;
    const rec = this.rec;
    let delta = 0;
    if (f.usage) {
      rec.usage = f.usage;
      delta = f.usage.completionTokens - this.cumulative;
      this.cumulative = f.usage.completionTokens;
    }
    if (f.text.length > 0) {
      if (rec.firstChunk === null) {
        rec.firstChunk = time;
        this.arm(this.opts.timeouts.total - (time - rec.sent!));
        // Idle counts from the first output on: before it, first_token_s is the limit.
        this.armIdle(this.opts.timeouts.idle);
      }
      rec.chunkTimes.push(time);
      rec.outputChars += f.text.length;
      if (this.opts.keepText) this.text += f.text;
      if (f.usage && this.usageOnEveryChunk) (rec.chunkTokens ??= []).push(this.pendingTokens + delta);
      else this.usageOnEveryChunk = false;
      this.pendingTokens = 0;
    } else {
      this.pendingTokens += delta;
    }
    if (f.finishReason) rec.finishReason = f.finishReason;
    if (f.choice) {
      rec.lastChoice = time;
      if (f.text.length === 0) (rec.emptyChoiceTimes ??= []).push(time);
    }
  }

  /** Server text for a message: one line, at most `n` characters, and without the API key should the server quote it. */
  protected clip(text: string, n: number): string {
    return serverText(text, n, this.opts.headers.authorization?.replace(/^Bearer /, ''));
  }

  /** Failure (or null) of a response that ended normally at the transport level. */
  protected outcome(): RequestFailure | null {
    const rec = this.rec;
    if (rec.status !== null && rec.status >= 400) {
      const raw = Buffer.concat(this.body ?? []).toString('utf8');
      return { class: 'http_status', message: `HTTP ${rec.status}: ${this.clip(errorMessageOf(tryJson(raw)) ?? raw, 200)}` };
    }
    if (this.parser) {
      const partial = this.parser.end();
      if (!this.doneSeen && rec.finishReason === null) {
        return {
          class: 'stream_cut',
          message: `stream ended after ${rec.chunkTimes.length} content chunks without finish_reason or [DONE]${partial ? ' (mid-event)' : ''}`,
        };
      }
    } else if (this.body) {
      const raw = Buffer.concat(this.body).toString('utf8');
      const json = tryJson(raw);
      if (json === undefined || !this.opts.adapter.read(json, this.fields, true)) {
        return { class: 'malformed_event', message: `response body is not a ${this.opts.adapter.type} response: ${this.clip(raw, 120)}` };
      }
      rec.usage = this.fields.usage;
      rec.finishReason = this.fields.finishReason;
      rec.outputChars = this.fields.text.length;
      if (this.opts.keepText) this.text = this.fields.text;
    }
    if (rec.outputChars === 0) return { class: 'empty_completion', message: 'response finished with no output text' };
    const impossible = impossibleUsage(rec);
    if (impossible) return { class: 'impossible_usage', message: impossible };
    return null;
  }

  /**
   * Tokens per content chunk: exact from continuous usage (tokens of text-less chunks go to the
   * next content chunk, trailing ones to the last); otherwise, when there are exactly as many
   * content chunks as output tokens, each non-empty chunk carried one token.
   */
  protected attributeChunkTokens(): void {
    const rec = this.rec;
    const k = rec.chunkTokens;
    if (k && this.usageOnEveryChunk && k.length === rec.chunkTimes.length && k.length > 0) {
      k[k.length - 1]! += this.pendingTokens;
      rec.chunkTokensSource = 'server';
      return;
    }
    rec.chunkTokens = null;
    const n = rec.usage?.completionTokens;
    if (n !== undefined && n === rec.chunkTimes.length && n > 0) {
      rec.chunkTokens = new Array<number>(n).fill(1);
      rec.chunkTokensSource = 'inferred';
    }
  }
}
