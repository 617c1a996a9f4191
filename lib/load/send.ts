import { Exchange } from '../http/exchange.ts';
import type { TimeoutsMs } from '../http/target.ts';
import type { ResponseLimits } from '../config/schema/limits.ts';
import { failureKey, type RequestRecord } from '../metrics/record.ts';
import type { Connections } from './connections.ts';
import type { RecordSink } from './measurement.ts';
import type { RunControl, StageState } from './run-control.ts';
import type { RequestSpec, RetryPolicy, RunnerOptions } from './run-options.ts';
import type { RunCoordination } from './run-plan.ts';
import type { Tally } from './tally.ts';

/**
 * Sends the run's requests: request i's payload (awaited when not ready yet), its record, its
 * attempts (a retryable failure waits out its backoff and goes again), and when its last attempt
 * finished, the bookkeeping (`Tally`), the caller's `after` and the record's delivery
 * (`RecordSink`). Per request it creates the record, the exchange and its `onDone`, nothing else.
 */
export class Sender {
  private nextSeq = 0;
  private readonly path: string;
  private readonly timeouts: TimeoutsMs;
  private readonly limits: ResponseLimits;
  private readonly retry: RetryPolicy | null;

  constructor(
    private readonly o: RunnerOptions,
    private readonly coordination: RunCoordination,
    private readonly control: RunControl,
    private readonly tally: Tally,
    private readonly sink: RecordSink,
    private readonly connections: Connections,
  ) {
    this.path = o.target.apiRoot + o.adapter.path;
    this.timeouts = o.timeouts ?? o.target.timeouts;
    this.limits = o.limits ?? o.target.limits;
    this.retry = o.retry ?? null;
  }

  /** Sends the next request, of stage `st` (null: warm-up); `after` runs when it finished (deferred if it finished synchronously). */
  send(st: StageState | null, intended: number, after: (end: number) => void): void {
    const i = this.nextSeq++;
    const spec = this.o.request(i);
    if (spec instanceof Promise) {
      void spec.then(
        (ready) => {
          if (this.control.dropped(st)) return after(performance.now());
          this.dispatch(i, ready, st, intended, after);
        },
        (err: unknown) => {
          this.control.fail(err, 'a request could not be prepared');
          after(performance.now());
        },
      );
    } else this.dispatch(i, spec, st, intended, after);
  }

  /**
   * Sends `spec`, ready now, as the next request of stage `st` (a session's turn); `after` gets
   * its record before the record is delivered.
   */
  sendSpec(st: StageState, intended: number, spec: RequestSpec, after: Finished): void {
    this.dispatch(this.nextSeq++, spec, st, intended, after);
  }

  /**
   * Records `spec` as a request of `st` that was never sent because its stage ended (a session's
   * turn due after the stage's time was up): error `cut`, booked and delivered like any record.
   */
  cutUnsent(st: StageState, intended: number, spec: RequestSpec, message: string): void {
    const rec = this.recordOf(this.nextSeq++, spec, st, intended);
    rec.end = performance.now();
    rec.error = { class: 'cut', message };
    this.tally.book(rec, st);
    this.sink.later(rec, '');
  }

  private dispatch(i: number, spec: RequestSpec, st: StageState | null, intended: number, after: Finished): void {
    this.attempt(this.recordOf(i, spec, st, intended), spec, st, after);
  }

  private recordOf(i: number, spec: RequestSpec, st: StageState | null, intended: number): RequestRecord {
    const o = this.o;
    const warmup = st === null;
    const seq = this.coordination.seqOf(i);
    const requestId = `${o.requestIdPrefix}-${seq}`;
    const rec: RequestRecord = {
      seq, requestId, warmup, stage: st ? st.index : null, cell: spec.cell, api: o.adapter.type, stream: o.stream,
      model: spec.model ?? o.model, promptTokens: spec.promptTokens, maxTokens: spec.maxTokens, intended, sent: null, headers: null,
      firstChunk: null, chunkTimes: [], chunkTokens: null, chunkTokensSource: null, end: 0, status: null,
      usage: null, tokenizerOutputTokens: null, outputChars: 0, finishReason: null, servedBy: {}, error: null,
      handed: null, emptyChoiceTimes: null, lastChoice: null,
    };
    if (spec.session) rec.session = spec.session;
    return rec;
  }

  /** Sends one attempt of `rec`; a retryable failure schedules the next, anything else completes it. */
  private attempt(rec: RequestRecord, spec: RequestSpec, st: StageState | null, after: Finished): void {
    const { control, retry } = this;
    let starting = true;
    const ex = new Exchange(rec, {
      adapter: this.o.adapter, path: this.path, body: spec.body, timeouts: this.timeouts, limits: this.limits,
      keepText: this.o.keepText || spec.session !== undefined,
      headers: spec.headers
        ? { ...this.o.target.requestHeaders, ...spec.headers, 'x-request-id': rec.requestId }
        : { ...this.o.target.requestHeaders, 'x-request-id': rec.requestId },
      onDone: (r, text, response) => {
        control.inFlight.delete(ex);
        const retries = r.retries?.length ?? 0;
        const key = r.error && retry ? failureKey(r) : null;
        if (key !== null && retry!.on.has(key) && retries + 1 < retry!.maxAttempts && !control.dropped(st)) {
          const retryAfterMs = response.retryAfterMs;
          const backoffMs = retryAfterMs !== null ? Math.min(retryAfterMs, retry!.maxBackoffMs) : backoffOf(retry!, retries, r.seq);
          (r.retries ??= []).push({ key, message: r.error!.message, sent: r.sent, end: r.end, backoffMs, ...(retryAfterMs !== null ? { retryAfterMs } : {}) });
          const finishAsIs = (): void => this.complete(r, text, st, after, starting);
          const timer = setTimeout(() => {
            control.backingOff.delete(timer);
            // The wait as it happened (timers fire on whole milliseconds, late under load).
            const a = r.retries![r.retries!.length - 1]!;
            a.backoffMs = performance.now() - a.end;
            resetAttempt(r);
            this.attempt(r, spec, st, after);
          }, backoffMs);
          control.backingOff.set(timer, {
            st,
            giveUp: () => {
              // Ends as the failure it last had: the retry never happened.
              r.retries!.pop();
              finishAsIs();
            },
          });
          return;
        }
        this.complete(r, text, st, after, starting);
      },
    });
    control.inFlight.set(ex, st);
    ex.start(this.connections.pool);
    starting = false;
  }

  /** Books a finished request (its last attempt) and hands it to `after` and the sink. */
  private complete(r: RequestRecord, text: string, st: StageState | null, after: Finished, starting: boolean): void {
    this.tally.book(r, st);
    if (starting) setImmediate(after, r.end, r, text);
    else after(r.end, r, text);
    // Recorded on the next turn of the event loop, outside undici's callback, so the next
    // request is dispatched first; its bytes may still leave after the bookkeeping, and any
    // such delay shows in its schedule lag.
    this.sink.later(r, text);
  }
}

/**
 * What runs when a request finished (its last attempt): with its end, its record (not yet
 * delivered, so it may still be annotated) and its text ('' unless kept).
 */
export type Finished = (end: number, record: RequestRecord, text: string) => void;

/** Clears what one attempt measured, keeping the request's identity, `intended` and its retries. */
function resetAttempt(r: RequestRecord): void {
  r.handed = null;
  r.emptyChoiceTimes = null;
  r.lastChoice = null;
  r.sent = null;
  r.headers = null;
  r.firstChunk = null;
  r.chunkTimes = [];
  r.chunkTokens = null;
  r.chunkTokensSource = null;
  r.end = 0;
  r.status = null;
  r.usage = null;
  r.tokenizerOutputTokens = null;
  r.outputChars = 0;
  r.finishReason = null;
  r.servedBy = {};
  r.error = null;
}

/**
 * Wait before the next attempt of request `seq`, after `previousRetries` retries so far:
 * exponential, capped, times a jitter factor drawn from the request's sequence number and
 * attempt, so a run is repeatable and retries of many requests spread out.
 */
export function backoffOf(p: RetryPolicy, previousRetries: number, seq: number): number {
  const base = Math.min(p.initialBackoffMs * p.multiplier ** previousRetries, p.maxBackoffMs);
  if (p.jitter === 0) return base;
  // 32-bit integer hash of (seq, attempt) to [0, 1).
  let h = Math.imul(seq ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(previousRetries + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h ^= h >>> 15;
  const u = (h >>> 0) / 2 ** 32;
  return base * (1 - p.jitter + 2 * p.jitter * u);
}
