import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { scrub, scrubValue } from '../config/secrets.ts';
import { BenchError } from '../errors/bench-error.ts';
import { DEFAULT_DEFINITIONS, type Definitions, type RequestMetrics } from '../metrics/derive.ts';
import type { RequestRecord, RunClock, SessionTurn } from '../metrics/record.ts';
import { USAGE_TOLERANCE_TEXT } from '../metrics/usage-check.ts';

const r3 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);

/**
 * `requests.jsonl`: one JSON line per finished request, appended with one `write` each as the
 * request finishes, so a crash loses nothing already measured and concurrent writers (several
 * test files of one suite) never interleave within a line. Times are ms relative to the test's
 * clock anchor (`run.clock` in summary.json), rounded to the microsecond.
 */
export class RequestsFile {
  private fd: number | null;

  constructor(readonly path: string) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.fd = openSync(path, 'a');
    } catch (err) {
      throw new BenchError('RESULTS_UNWRITABLE', `cannot write results to ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Appends one record with its derived metrics (null for warm-up requests), derived under `definitions`. */
  append(scenario: string, clock: RunClock, r: RequestRecord, m: RequestMetrics | null, definitions: Definitions = DEFAULT_DEFINITIONS): void {
    if (this.fd === null) return;
    const t = (x: number | null): number | null => (x === null ? null : r3(x - clock.perfMs));
    const line = {
      scenario,
      seq: r.seq,
      request_id: r.requestId,
      warmup: r.warmup,
      stage: r.stage,
      cell: r.cell,
      api: r.api,
      stream: r.stream,
      // Strings a server or a config chose are scrubbed of every secret the run knows (a key echoed in a header, say).
      model: scrub(r.model),
      prompt_tokens: r.promptTokens,
      max_tokens: r.maxTokens,
      intended_ms: t(r.intended),
      handed_ms: t(r.handed ?? null),
      sent_ms: t(r.sent),
      headers_ms: t(r.headers),
      first_chunk_ms: t(r.firstChunk),
      end_ms: t(r.end),
      chunk_ms: r.chunkTimes.map((x) => r3(x - clock.perfMs)),
      empty_choice_ms: r.emptyChoiceTimes ? r.emptyChoiceTimes.map((x) => r3(x - clock.perfMs)) : null,
      last_choice_ms: t(r.lastChoice ?? null),
      chunk_tokens: r.chunkTokens,
      chunk_tokens_source: r.chunkTokensSource,
      status: r.status,
      usage: r.usage && { prompt_tokens: r.usage.promptTokens, completion_tokens: r.usage.completionTokens, cached_tokens: r.usage.cachedTokens },
      tokenizer_output_tokens: r.tokenizerOutputTokens,
      output_chars: r.outputChars,
      finish_reason: r.finishReason === null ? null : scrub(r.finishReason),
      served_by: scrubValue(r.servedBy),
      error: r.error && scrubValue(r.error),
      retries: r.retries?.map((a) => ({ key: a.key, message: scrub(a.message), sent_ms: t(a.sent), end_ms: t(a.end), backoff_ms: r3(a.backoffMs), ...(a.retryAfterMs !== undefined ? { retry_after_ms: a.retryAfterMs } : {}) })) ?? null,
      stall: r.stall ? { start_ms: t(r.stall.start), ms: r3(r.stall.ms), run_queue_ms: r3(r.stall.runQueueMs) } : null,
      // A turn of a multi-turn session (turn 0-based, as recorded); only then, so other lines stay as they were.
      ...(r.session ? { session: { ...r.session, id: scrub(r.session.id) } } : {}),
      metrics: m && {
        // Only when not the default, so lines of default runs stay as they were.
        ...(definitions !== DEFAULT_DEFINITIONS ? { definitions } : {}),
        ttft_ms: r3(m.ttftMs),
        ttft_from_intended_ms: r3(m.ttftFromIntendedMs),
        tpot_ms: r3(m.tpotMs),
        e2e_ms: r3(m.e2eMs),
        e2e_from_intended_ms: r3(m.e2eFromIntendedMs),
        ntpot_ms: r3(m.ntpotMs),
        schedule_lag_ms: r3(m.scheduleLagMs),
        output_tokens: m.outputTokens,
        output_tokens_source: m.outputTokensSource,
        ...(m.usageOverruled ? { output_tokens_note: `server usage.completion_tokens ${r.usage!.completionTokens} disagrees with the tokenizer's ${r.tokenizerOutputTokens} by more than ${USAGE_TOLERANCE_TEXT}: the tokenizer's count is used` } : {}),
        input_tokens: m.inputTokens,
      },
    };
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** One line of `requests.jsonl` as `RequestsFile.append` writes it (the fields `recordFromLine` reads). */
export interface RequestLine {
  scenario: string;
  seq: number;
  request_id: string;
  warmup: boolean;
  stage: number | null;
  cell: string;
  api: string;
  stream: boolean;
  model: string;
  prompt_tokens: number;
  max_tokens: number;
  intended_ms: number;
  /** Absent in files written before it was recorded. */
  handed_ms?: number | null;
  sent_ms: number | null;
  headers_ms: number | null;
  first_chunk_ms: number | null;
  end_ms: number;
  chunk_ms: number[];
  /** Absent in files written before they were recorded. */
  empty_choice_ms?: number[] | null;
  last_choice_ms?: number | null;
  chunk_tokens: number[] | null;
  chunk_tokens_source: RequestRecord['chunkTokensSource'];
  status: number | null;
  usage: { prompt_tokens: number; completion_tokens: number; cached_tokens: number | null } | null;
  tokenizer_output_tokens: number | null;
  output_chars: number;
  finish_reason: string | null;
  served_by: Record<string, string>;
  error: RequestRecord['error'];
  retries: Array<{ key: string; message: string; sent_ms: number | null; end_ms: number; backoff_ms: number; retry_after_ms?: number }> | null;
  /** The stall of the measuring thread the request overlapped (`RequestRecord.stall`); absent in files written before it was recorded. */
  stall?: { start_ms: number; ms: number; run_queue_ms: number | null } | null;
  /** The session and turn of a multi-turn session's request (`RequestRecord.session`, turn 0-based); absent for a single request. */
  session?: SessionTurn;
}

/**
 * The raw record of a `requests.jsonl` line, its times put back on a `performance.now()` timeline
 * whose anchor is at `anchorMs` (the test's `clock.perfMs`, or where a merge places that pod's
 * anchor). The inverse of `append` up to its microsecond rounding; derived metrics are not read.
 */
export function recordFromLine(l: RequestLine, anchorMs: number): RequestRecord {
  const t = (x: number | null): number | null => (x === null ? null : x + anchorMs);
  return {
    seq: l.seq,
    requestId: l.request_id,
    warmup: l.warmup,
    stage: l.stage,
    cell: l.cell,
    api: l.api,
    stream: l.stream,
    model: l.model,
    promptTokens: l.prompt_tokens,
    maxTokens: l.max_tokens,
    intended: l.intended_ms + anchorMs,
    handed: t(l.handed_ms ?? null),
    sent: t(l.sent_ms),
    headers: t(l.headers_ms),
    firstChunk: t(l.first_chunk_ms),
    chunkTimes: l.chunk_ms.map((x) => x + anchorMs),
    emptyChoiceTimes: l.empty_choice_ms ? l.empty_choice_ms.map((x) => x + anchorMs) : null,
    lastChoice: t(l.last_choice_ms ?? null),
    chunkTokens: l.chunk_tokens,
    chunkTokensSource: l.chunk_tokens_source,
    end: l.end_ms + anchorMs,
    status: l.status,
    usage: l.usage && { promptTokens: l.usage.prompt_tokens, completionTokens: l.usage.completion_tokens, cachedTokens: l.usage.cached_tokens },
    tokenizerOutputTokens: l.tokenizer_output_tokens,
    outputChars: l.output_chars,
    finishReason: l.finish_reason,
    servedBy: l.served_by,
    error: l.error,
    retries: l.retries?.map((a) => ({ key: a.key, message: a.message, sent: t(a.sent_ms), end: a.end_ms + anchorMs, backoffMs: a.backoff_ms, ...(a.retry_after_ms !== undefined ? { retryAfterMs: a.retry_after_ms } : {}) })) ?? null,
    ...(l.stall ? { stall: { start: l.stall.start_ms + anchorMs, ms: l.stall.ms, runQueueMs: l.stall.run_queue_ms ?? null } } : {}),
    ...(l.session ? { session: { ...l.session } } : {}),
  };
}
