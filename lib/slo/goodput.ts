import type { LatencyMetric } from '../metrics/aggregate.ts';
import type { RequestMetrics } from '../metrics/derive.ts';
import { NOT_MEASURABLE_NON_STREAMING, STREAMED_ONLY, type SloProfile } from './profile.ts';
import type { Goodput } from '../report/slo.ts';

export type { Goodput };

/**
 * Per-request value of each latency metric for goodput, ms; null where the request has none (it
 * is then not good). TPOT is vLLM's: a successful request whose output is 1 token has no TPOT sample,
 * but counts with TPOT 0 and so meets any TPOT limit (`calculate_metrics`: "if output_len <= 1,
 * we regard tpot as 0 for goodput"). The TPOT statistics keep no sample for it; only goodput
 * reads it as 0. An output of unknown length (no usage, no tokenizer count) is not good: vLLM
 * always has a count (its tokenizer's), this tool then has none to judge by.
 */
const PER_REQUEST: Partial<Record<LatencyMetric, (m: RequestMetrics) => number | null>> = {
  ttft: (m) => m.ttftMs,
  ttft_from_intended: (m) => m.ttftFromIntendedMs,
  tpot: (m) => m.tpotMs ?? (m.ok && m.outputTokens !== null && m.outputTokens <= 1 ? 0 : null),
  e2e: (m) => m.e2eMs,
  e2e_from_intended: (m) => m.e2eFromIntendedMs,
  ntpot: (m) => m.ntpotMs,
  schedule_lag: (m) => m.scheduleLagMs,
};

/**
 * Counts goodput as vLLM's `--goodput` does (vllm/benchmarks/serve.py, `calculate_metrics`): a
 * profile's limits become per-request limits (a `TTFT p95 <= 2 s` profile counts requests with
 * TTFT <= 2 s, a value at the limit meets it), and a request is good when it succeeded and meets
 * every one; a failed request is never good. As in vLLM, a successful request with a 1-token
 * output meets any TPOT limit (its TPOT counts as 0). The metrics vLLM's goodput does not know
 * (TTFT and E2E from the intended time, NTPOT, schedule lag) count the same way; a request
 * without a value a condition needs (TPOT or NTPOT of an output of unknown length) is not good. ITL
 * is pooled over chunks and has no per-request value, so an ITL limit is reported as skipped
 * rather than guessed. On a non-streaming run (`streamed: false`) limits on TTFT, TPOT and ITL
 * are skipped too (no request can have them), so goodput counts the limits that can be judged
 * (E2E, NTPOT) rather than no request at all. The denominator of `fraction` is every measured
 * request, failed ones included; `requestsPerS` is vLLM's `request_goodput` (good / window).
 */
export class GoodputCounter {
  private readonly checks: Array<{ value: (m: RequestMetrics) => number | null; maxMs: number }> = [];
  private readonly conditions: string[] = [];
  private readonly skipped: string[] = [];
  private requests = 0;
  private good = 0;

  constructor(private readonly profile: SloProfile, run: { streamed?: boolean } = {}) {
    for (const l of profile.limits) {
      const value = PER_REQUEST[l.metric];
      const maxMs = l.unit === 's' ? l.max * 1000 : l.max;
      if (run.streamed === false && STREAMED_ONLY.has(l.metric)) {
        this.skipped.push(`${l.metric} ${l.stat} <= ${l.max} ${l.unit} (${NOT_MEASURABLE_NON_STREAMING})`);
        continue;
      }
      if (!value) {
        this.skipped.push(`${l.metric} ${l.stat} <= ${l.max} ${l.unit}`);
        continue;
      }
      this.checks.push({ value, maxMs });
      this.conditions.push(`${l.metric} <= ${l.max} ${l.unit}`);
    }
  }

  /** Counts one measured request by its derived metrics. */
  add(m: RequestMetrics): void {
    this.requests++;
    if (!m.ok) return;
    for (const c of this.checks) {
      const v = c.value(m);
      if (v === null || v > c.maxMs) return;
    }
    this.good++;
  }

  /** The counts so far, for `absorb` in another process's counter of the same profile. */
  encode(): { profile: string; requests: number; good: number } {
    return { profile: this.profile.name, requests: this.requests, good: this.good };
  }

  /** Adds another counter's counts (`encode`); they must have been counted under the same profile. */
  absorb(e: { profile: string; requests: number; good: number }): void {
    if (e.profile !== this.profile.name) throw new RangeError(`goodput counted under SLO profile ${e.profile} cannot join a count under ${this.profile.name}`);
    this.requests += e.requests;
    this.good += e.good;
  }

  /** Goodput over a measurement window of `windowMs`. */
  result(windowMs: number): Goodput {
    return {
      profile: this.profile.name,
      conditions: [...this.conditions],
      requests: this.requests,
      good: this.good,
      fraction: this.requests > 0 ? this.good / this.requests : null,
      requestsPerS: windowMs > 0 ? (this.good * 1000) / windowMs : null,
      skipped: [...this.skipped],
    };
  }
}
