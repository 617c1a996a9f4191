import type { RequestRecord } from './record.ts';
import { outputTokenCount } from './usage-check.ts';

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
export function deriveRequestMetrics(r: RequestRecord): RequestMetrics {
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
export function forEachItl(r: RequestRecord, visit: (gapMs: number, tokens: number | null) => void): void {
  if (r.error !== null) return;
  const t = r.chunkTimes;
  const k = r.chunkTokens;
  for (let i = 1; i < t.length; i++) visit(t[i]! - t[i - 1]!, k ? k[i]! : null);
}
