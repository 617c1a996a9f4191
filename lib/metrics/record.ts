/**
 * The raw per-request record: what the runner measured, nothing derived. Every statistic in every
 * report is computed later from these fields (`derive.ts`), so a definition can be checked against
 * the raw times at any time, and `requests.jsonl` holds exactly this.
 *
 * All times are milliseconds on one monotonic clock, `performance.now()` of the client process.
 * `RunClock` maps them to the machine's monotonic clock (`process.hrtime`) and to wall time.
 */
export interface RequestRecord {
  /** Position in the test's request sequence, 0-based, warm-up requests first. */
  seq: number;
  /** `x-request-id` sent with the request; joins this record with server logs. */
  requestId: string;
  /** Warm-up requests run before the measured ones and are excluded from every statistic. */
  warmup: boolean;
  /** Stage of the run the request was sent in (0-based; a single-stage load has stage 0); null for warm-up. */
  stage: number | null;
  /** Workload cell the prompt belongs to (e.g. `prompt=500,max_tokens=100`). */
  cell: string;
  /** API used: `completions` or `chat`. */
  api: string;
  /** Whether the response was requested as a stream. */
  stream: boolean;
  /** Model requested. */
  model: string;
  /** Prompt content tokens by the client's tokenizer. */
  promptTokens: number;
  /** max_tokens requested. */
  maxTokens: number;

  /** The schedule's send time; in a closed loop, when the request's slot became free. */
  intended: number;
  /**
   * When the request was handed to the HTTP client, before a connection was obtained (pool wait
   * and connect come after): where vLLM's benchmark client starts its clock (`st`, taken before
   * `session.post`). Absent in records written before it was recorded; null if never handed.
   */
  handed?: number | null;
  /** Just before the request was written to the socket; null if it never was (e.g. connect failed). */
  sent: number | null;
  /** Response headers received; null if none arrived. */
  headers: number | null;
  /** First chunk with non-empty content (a role-only chunk does not count); null if none. */
  firstChunk: number | null;
  /** Receive time of each content chunk, in order (the first equals `firstChunk`). */
  chunkTimes: number[];
  /**
   * Receive times of the chunks that carried a choice but no output text (a role-only first
   * chunk, a finish-only last one), in order; null when there were none. With `chunkTimes` they
   * are the chunks vLLM's benchmark client times: its TTFT ends at the first of them, its ITL
   * pools the gaps between them, its E2E ends at the last (`lastChoice`). Absent in older records.
   */
  emptyChoiceTimes?: number[] | null;
  /**
   * Receive time of the last chunk that carried a choice (with or without text), before any
   * usage-only chunk and `[DONE]`: where vLLM's E2E ends (`end` is the end of the response).
   * Null when none did (and for a non-streamed response); absent in older records.
   */
  lastChoice?: number | null;
  /**
   * Tokens carried by each content chunk, parallel to `chunkTimes`, when known: from the server's
   * continuous usage, or inferred when the chunk count equals the output token count (each
   * non-empty chunk then carries exactly one token). Null when unknown.
   */
  chunkTokens: number[] | null;
  /** Where `chunkTokens` came from. */
  chunkTokensSource: 'server' | 'inferred' | null;
  /** Response finished (success or failure). */
  end: number;

  /** HTTP status, null if no response. */
  status: number | null;
  /** Server usage (`stream_options.include_usage` or the non-streamed body), null if absent. */
  usage: Usage | null;
  /** Output tokens counted by the client's tokenizer over the text; null when not counted. */
  tokenizerOutputTokens: number | null;
  /** Characters of output text received. */
  outputChars: number;
  /** finish_reason of the choice, null if none was seen. */
  finishReason: string | null;
  /** Headers that identify who served the request (`x-request-id`, any `x-*-pod`), lower-cased names. */
  servedBy: Record<string, string>;
  /** Null for a successful request; otherwise why it failed. */
  error: RequestFailure | null;
  /**
   * Earlier attempts of this request that failed with a retryable error (scenario `retry`), in
   * order; null when it was sent once. The fields above describe the last attempt; `intended` is
   * the first attempt's, so TTFT and E2E from intended include every retry and backoff.
   */
  retries?: RetryAttempt[] | null;
  /**
   * Set when the measuring thread stalled (its event loop blocked, or it waited for a CPU) for
   * longer than the run's schedule-lag limit within this request's `sent`..`end`: its TTFT, ITL
   * and E2E may be late by up to `ms`. The longest such stall; absent or null when none.
   */
  stall?: { start: number; ms: number; runQueueMs: number | null } | null;
  /** The session and turn of a request of a multi-turn session; absent for a single request. */
  session?: SessionTurn;
}

/** Where a request of a multi-turn session sits in it. */
export interface SessionTurn {
  /** The session's id, as sent in the session header. */
  id: string;
  /** Turn index, 0-based. */
  turn: number;
  /** Turns the session planned. */
  turns: number;
  /**
   * Whether the stage's end cut this turn: still in flight at the drain bound (error `cut`), or
   * never sent because the stage ended first (error `cut`, `sent` null; its `intended` is the
   * first such turn's send time, or the end of the turn cut in flight before it). Counted as cut,
   * not as a failure.
   */
  cut: boolean;
  /**
   * Set on the session's last record: how the session ended. `failed`: this turn failed (the
   * reason is its `error`) and the session sent no more; `cut`: the stage's end cut it;
   * `stopped`: the run stopped (cancelled, target gone) with this turn in flight. A session the
   * run stopped while it waited for its next turn has no `end` on its last record; its later
   * turns are not recorded.
   */
  end?: 'completed' | 'failed' | 'cut' | 'stopped';
}

/** One failed attempt of a request that was retried. */
export interface RetryAttempt {
  /** Failure key (`http_503`, `connect_reset`, ...). */
  key: string;
  message: string;
  /** When the attempt was sent (null if it never was) and when it failed. */
  sent: number | null;
  end: number;
  /** Wait before the next attempt as it happened (from this attempt's end to the next's start), ms. */
  backoffMs: number;
  /**
   * The wait the server asked for in `Retry-After` (a 429 or 503), ms, when it gave one: the
   * wait is that instead of the computed backoff, at most the policy's `max_backoff_s`.
   */
  retryAfterMs?: number;
}

/** Token usage as the server reported it. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** `prompt_tokens_details.cached_tokens` when the server reports it. */
  cachedTokens: number | null;
}

/**
 * Why a request failed. A failure is any transport error, timeout, HTTP status >= 400, broken
 * stream, or empty completion (DESIGN.md, success rate).
 */
export interface RequestFailure {
  class: ErrorClass;
  /** One line, from the transport or the server's error body (truncated). */
  message: string;
}

/**
 * Failure classes. Reports break failures down by class, and `http_status` further by status code.
 * - `connect_refused`: nothing listens at the address (ECONNREFUSED).
 * - `connect_reset`: the connection was reset or closed before a response started.
 * - `dns`: the host name does not resolve.
 * - `tls`: TLS handshake or certificate failure.
 * - `connect_timeout`: no connection within `timeouts.connect_s`.
 * - `first_token_timeout`: no response, or no content, within `timeouts.first_token_s` of sending.
 * - `headers_timeout`: undici's own backstop on response headers (1 s past `first_token_s`); should not occur.
 * - `idle_timeout`: the stream stalled longer than `timeouts.idle_s` between chunks.
 * - `total_timeout`: the whole request exceeded `timeouts.total_s`.
 * - `http_status`: the server answered with status >= 400.
 * - `malformed_event`: a stream event was not valid JSON or not a completion chunk.
 * - `stream_error`: the server reported an error inside a stream that had started with 200.
 * - `stream_cut`: the stream ended without a finish_reason or `[DONE]`.
 * - `empty_completion`: the response finished with no output text.
 * - `impossible_usage`: the server's `usage` cannot be true (a count that is not a non-negative
 *   integer, more completion tokens than `max_tokens`, none for a non-empty output; see usage-check.ts).
 * - `response_too_large`: the response body passed `limits.max_response_mib`, or one stream event
 *   passed `limits.max_event_mib` (the request is aborted there), or it could not be held in memory.
 * - `cancelled`: the run was stopped (test timeout, Ctrl-C) while the request was in flight.
 * - `cut`: still in flight when its stage ended (its duration and drain bound passed, or a stop
 *   rule ended it); counted as cut, not as a failure, and left out of latency statistics.
 * - `other`: anything else, with the transport's message.
 */
export type ErrorClass =
  | 'connect_refused'
  | 'connect_reset'
  | 'dns'
  | 'tls'
  | 'connect_timeout'
  | 'headers_timeout'
  | 'first_token_timeout'
  | 'idle_timeout'
  | 'total_timeout'
  | 'http_status'
  | 'malformed_event'
  | 'stream_error'
  | 'stream_cut'
  | 'empty_completion'
  | 'impossible_usage'
  | 'response_too_large'
  | 'cancelled'
  | 'cut'
  | 'other';

/** Key a failure is counted under in error breakdowns: its class, or `http_<status>`. */
export function failureKey(record: Pick<RequestRecord, 'error' | 'status'>): string | null {
  if (!record.error) return null;
  return record.error.class === 'http_status' && record.status !== null
    ? `http_${record.status}`
    : record.error.class;
}

/**
 * Anchors of a run's clock: the same instant read on `performance.now()`, on the machine's
 * monotonic clock (`process.hrtime`, shared by every process on the machine, which is how client
 * times are compared with a simulator's logged times) and on the wall clock (for humans only;
 * never used for latency).
 */
export interface RunClock {
  /** `performance.now()` at the anchor, ms. */
  perfMs: number;
  /** `process.hrtime.bigint()` at the anchor, in microseconds. */
  hrtimeUs: number;
  /** Wall time at the anchor, ISO 8601 UTC. */
  wallTime: string;
  /**
   * Wall time at the anchor in ms with sub-ms resolution (`performance.timeOrigin + perfMs`):
   * how a distributed run puts its pods' times on one timeline (with the measured clock offsets).
   * Absent in runs recorded before it was.
   */
  wallMs?: number;
}

/** Reads the three clocks at (nearly) one instant. */
export function readRunClock(): RunClock {
  const hr = process.hrtime.bigint();
  const perfMs = performance.now();
  return { perfMs, hrtimeUs: Number(hr / 1000n), wallTime: new Date().toISOString(), wallMs: performance.timeOrigin + perfMs };
}

/** A `performance.now()` time of this process on the machine's monotonic clock, in microseconds. */
export function toHrtimeUs(clock: RunClock, perfMs: number): number {
  return clock.hrtimeUs + (perfMs - clock.perfMs) * 1000;
}
