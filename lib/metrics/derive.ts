import type { RequestRecord } from './record.ts';
import { outputTokenCount } from './usage-check.ts';

/**
 * Which clock points the per-request latencies use (scenario `definitions`; README "Metric
 * dictionary"). `vitest-llm-d` (default): TTFT from `sent` to the first chunk with content, E2E
 * from `sent` to the end of the response, ITL between content chunks. `vllm`: as `vllm bench
 * serve` computes them (vllm/benchmarks/lib/endpoint_request_func.py,
 * `async_request_openai_completions` / `async_request_openai_chat_completions`, and
 * vllm/benchmarks/serve.py `calculate_metrics`): the clock starts when the request is handed to
 * the HTTP client (`st = time.perf_counter()` before `session.post`, i.e. `handed`, connection
 * setup included), TTFT ends at the first chunk carrying a choice (even one without text, such
 * as a chat role chunk), E2E (`latency`) at the last chunk carrying a choice (before the usage
 * chunk and `[DONE]`), ITL is the gap between consecutive such chunks, and TPOT is
 * (E2E - TTFT) / (N - 1) with N = `usage.completion_tokens`, else the tokenizer's count, else 1.
 * Which requests succeed stays this tool's definition under both.
 */
export type Definitions = 'vitest-llm-d' | 'vllm';
/** The definitions used when a scenario names none. */
export const DEFAULT_DEFINITIONS: Definitions = 'vitest-llm-d';

/**
 * Metrics of one request, derived from its raw record. Each follows the metric dictionary
 * (DESIGN.md, README "Metric dictionary"); null when the request cannot define it (failed, not
 * streamed, or too few tokens).
 */
export interface RequestMetrics {
  /** No failure recorded. */
  ok: boolean;
  /** TTFT = firstChunk - sent. Streaming only. */
  ttftMs: number | null;
  /** TTFT from intended = firstChunk - intended: free of coordinated omission. */
  ttftFromIntendedMs: number | null;
  /** E2E latency = end - sent. */
  e2eMs: number | null;
  /** E2E from intended = end - intended. */
  e2eFromIntendedMs: number | null;
  /**
   * Output tokens N: `usage.completion_tokens`, else the tokenizer count of the text; the
   * tokenizer's count also when the two disagree beyond `USAGE_TOLERANCE` (usage-check.ts).
   */
  outputTokens: number | null;
  /** Where N came from. */
  outputTokensSource: 'server' | 'tokenizer' | null;
  /** True when the server's count disagreed with the tokenizer's beyond the tolerance and N is the tokenizer's. */
  usageOverruled: boolean;
  /** Input tokens: `usage.prompt_tokens` (includes any chat template), else the client's prompt count. */
  inputTokens: number;
  /** Where the input token count came from. */
  inputTokensSource: 'server' | 'tokenizer';
  /** True when the server's count and the tokenizer's count of the output both exist and differ. */
  tokenCountMismatch: boolean;
  /** TPOT = (end - firstChunk) / (N - 1), for N >= 2 (vLLM and MLPerf definition). */
  tpotMs: number | null;
  /** NTPOT = E2E / N. */
  ntpotMs: number | null;
  /** Schedule lag = sent - intended: how late the client was (the first attempt's send, when the request was retried: backoff is not the client's lateness). */
  scheduleLagMs: number | null;
}

/** Derives the metrics of one request. Successful-only metrics are null for failed requests. */
export function deriveRequestMetrics(r: RequestRecord, definitions: Definitions = DEFAULT_DEFINITIONS): RequestMetrics {
  if (definitions === 'vllm') return deriveVllm(r);
  const ok = r.error === null;
  const serverN = r.usage ? r.usage.completionTokens : null;
  const { n, source: outputTokensSource, overruled: usageOverruled } = outputTokenCount(r);
  const firstChunk = ok ? r.firstChunk : null;
  const sent = r.sent;
  const e2eMs = ok && sent !== null ? r.end - sent : null;
  return {
    ok,
    ttftMs: firstChunk !== null && sent !== null ? firstChunk - sent : null,
    ttftFromIntendedMs: firstChunk !== null ? firstChunk - r.intended : null,
    e2eMs,
    e2eFromIntendedMs: ok ? r.end - r.intended : null,
    outputTokens: n,
    outputTokensSource,
    usageOverruled,
    inputTokens: r.usage ? r.usage.promptTokens : r.promptTokens,
    inputTokensSource: r.usage ? 'server' : 'tokenizer',
    tokenCountMismatch: serverN !== null && r.tokenizerOutputTokens !== null && serverN !== r.tokenizerOutputTokens,
    tpotMs: firstChunk !== null && n !== null && n >= 2 ? (r.end - firstChunk) / (n - 1) : null,
    ntpotMs: e2eMs !== null && n !== null && n >= 1 ? e2eMs / n : null,
    scheduleLagMs: firstSent(r) !== null ? firstSent(r)! - r.intended : null,
  };
}

/**
 * The vLLM variants (see `Definitions`). The start is `handed` (records from before it was kept:
 * `sent`); a streamed request's first and last choice chunks come from `chunkTimes`,
 * `emptyChoiceTimes` and `lastChoice`; a non-streamed one (vLLM's client always streams) has no
 * TTFT or TPOT and its E2E ends at `end`. The `*FromIntended` and schedule-lag values are this
 * tool's (vLLM has none).
 */
function deriveVllm(r: RequestRecord): RequestMetrics {
  const base = deriveRequestMetrics(r, 'vitest-llm-d');
  const start = r.handed ?? r.sent;
  if (!base.ok || start === null) return { ...base, ttftMs: null, e2eMs: null, tpotMs: null, ntpotMs: null };
  // serve.py calculate_metrics: output_len = output_tokens, or when 0 the tokenizer's count of the
  // text (1 without a tokenizer).
  const serverN = r.usage ? r.usage.completionTokens : 0;
  const n = serverN || (r.tokenizerOutputTokens ?? 1);
  let ttftMs: number | null = null;
  let e2eMs: number;
  if (r.stream) {
    const first = firstChoice(r);
    const last = r.lastChoice ?? r.chunkTimes.at(-1) ?? null;
    if (first === null || last === null) return { ...base, ttftMs: null, e2eMs: null, tpotMs: null, ntpotMs: null };
    ttftMs = first - start;
    e2eMs = last - start;
  } else e2eMs = r.end - start;
  return {
    ...base,
    ttftMs,
    e2eMs,
    outputTokens: n,
    tpotMs: ttftMs !== null && n > 1 ? (e2eMs - ttftMs) / (n - 1) : null,
    ntpotMs: n >= 1 ? e2eMs / n : null,
  };
}

/** Receive time of the first chunk that carried a choice, with or without text. */
function firstChoice(r: RequestRecord): number | null {
  const a = r.chunkTimes.length > 0 ? r.chunkTimes[0]! : null;
  const b = r.emptyChoiceTimes && r.emptyChoiceTimes.length > 0 ? r.emptyChoiceTimes[0]! : null;
  return a === null ? b : b === null ? a : Math.min(a, b);
}

/** When the request was first sent: its first attempt's send when it was retried. */
function firstSent(r: RequestRecord): number | null {
  const first = r.retries?.[0];
  return first ? first.sent : r.sent;
}

/**
 * Calls `visit(gapMs, tokens)` for each inter-chunk gap of a successful streamed request: ITL as
 * vLLM defines it, the gap between consecutive content chunks, pooled over requests by the
 * caller. `tokens` is the token count of the later chunk when known (null otherwise), so a
 * per-token view can be derived (a chunk of k tokens stands for k gaps of gap/k).
 */
export function forEachItl(r: RequestRecord, visit: (gapMs: number, tokens: number | null) => void, definitions: Definitions = DEFAULT_DEFINITIONS): void {
  if (r.error !== null) return;
  const e = r.emptyChoiceTimes;
  if (definitions === 'vllm' && e && e.length > 0) return forEachChoiceGap(r.chunkTimes, e, visit);
  const t = r.chunkTimes;
  const k = r.chunkTokens;
  for (let i = 1; i < t.length; i++) visit(t[i]! - t[i - 1]!, k ? k[i]! : null);
}

/**
 * vLLM's ITL (endpoint_request_func.py: `output.itl.append(timestamp - most_recent_timestamp)` for
 * every chunk with a choice after the first): the gaps between consecutive chunks of the merged,
 * time-ordered `content` and `empty` receive times. Tokens per gap are not attributed (null).
 */
function forEachChoiceGap(content: number[], empty: number[], visit: (gapMs: number, tokens: number | null) => void): void {
  let i = 0;
  let j = 0;
  let prev: number | null = null;
  while (i < content.length || j < empty.length) {
    const t = j >= empty.length || (i < content.length && content[i]! <= empty[j]!) ? content[i++]! : empty[j++]!;
    if (prev !== null) visit(t - prev, null);
    prev = t;
  }
}
