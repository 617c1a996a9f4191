import type { LatencyMetric, RunStats } from '../metrics/aggregate.ts';
import { statOf } from '../stats/summary.ts';
import { NOT_MEASURABLE_NON_STREAMING, STREAMED_ONLY, type SloFloors, type SloLimit, type SloProfile } from './profile.ts';
import { failedChecks, SCHEDULE_LAG, type SloCheck, type SloEvaluation, SUCCESS_RATE, unjudgedText, verdictWord } from '../report/slo.ts';

export { failedChecks, unjudgedText, verdictWord };
export type { SloCheck, SloEvaluation };

/** How the run was made, as far as it decides what can be judged. */
export interface SloRunContext {
  /** The requests were streamed (default true). A non-streaming run cannot measure TTFT, TPOT or ITL. */
  streamed?: boolean;
}

const METRIC_NAMES: Record<string, string> = {
  ttft: 'TTFT',
  ttft_from_intended: 'TTFT from intended',
  tpot: 'TPOT',
  itl: 'ITL',
  e2e: 'E2E latency',
  e2e_from_intended: 'E2E from intended',
  ntpot: 'NTPOT',
  schedule_lag: 'schedule lag',
};

/** Human name of a limit, e.g. `TTFT p95`. */
export function limitName(l: Pick<SloLimit, 'metric' | 'stat'>): string {
  return `${METRIC_NAMES[l.metric] ?? l.metric} ${l.stat.replace('_', '.')}`;
}

/**
 * Evaluates a profile on a run's statistics, with the run-level floors: success rate, and the
 * client having kept up with its schedule (schedule lag p99) — numbers from a client that fell
 * behind are not a verdict on the server. A limit whose metric has no sample at all is not judged
 * and says why (`not measurable: ...`): on a non-streaming run every limit on a streamed-only
 * metric (TTFT, TTFT from intended, TPOT, ITL); TPOT when every output was 1 token (vLLM's
 * `calculate_metrics` has no TPOT sample for them either); any latency when no request succeeded.
 * The verdict then rests on the limits that could be judged and the floors, which are always
 * judged: with no measured request the success-rate floor fails, so a run where nothing could be
 * judged never passes.
 */
export function evaluateSlo(profile: SloProfile, stats: RunStats, floors: SloFloors, run: SloRunContext = {}): SloEvaluation {
  const streamed = run.streamed ?? true;
  const checks: SloCheck[] = profile.limits.map((l) => {
    const name = limitName(l);
    if (!streamed && STREAMED_ONLY.has(l.metric)) {
      return { name, value: null, op: '<=', limit: l.max, unit: l.unit, pass: null, note: NOT_MEASURABLE_NON_STREAMING };
    }
    const why = stats.latency[l.metric].count === 0 ? notMeasurable(l.metric, stats) : null;
    if (why) return { name, value: null, op: '<=', limit: l.max, unit: l.unit, pass: null, note: why };
    const ms = statOf(stats.latency[l.metric], l.stat);
    const value = ms === null ? null : l.unit === 's' ? ms / 1000 : ms;
    const check: SloCheck = { name, value, op: '<=', limit: l.max, unit: l.unit, pass: value !== null && value <= l.max };
    if (value === null) check.note = stats.latency[l.metric].count === 0 ? 'no samples, for no known reason' : `${l.stat} not computed`;
    return check;
  });
  const rate = stats.requests.successRate;
  checks.push({
    name: SUCCESS_RATE,
    value: rate,
    op: '>=',
    limit: floors.minSuccessRate,
    unit: '',
    pass: rate !== null && rate >= floors.minSuccessRate,
    ...(rate === null ? { note: 'no measured requests' } : {}),
  });
  const lag = stats.latency.schedule_lag.percentiles.p99 ?? null;
  checks.push({
    name: SCHEDULE_LAG,
    value: lag,
    op: '<=',
    limit: floors.maxScheduleLagP99Ms,
    unit: 'ms',
    pass: lag !== null && lag <= floors.maxScheduleLagP99Ms,
    ...(lag === null ? { note: 'no request was sent' } : {}),
  });
  const unjudged = checks.filter((c) => c.pass === null).map((c) => c.name);
  return {
    profile: profile.name,
    description: profile.description,
    source: profile.source,
    pass: checks.every((c) => c.pass !== false),
    checks,
    ...(unjudged.length ? { unjudged } : {}),
  };
}

/**
 * Why a run has no sample of `metric`, as the note of a limit that is not judged; null when
 * nothing explains it (a streamed run whose successful requests have no TTFT), which fails the
 * limit. TPOT needs an output of at least 2 tokens, ITL two content chunks, NTPOT a known output
 * token count; every latency needs a successful request (and schedule lag one that was sent).
 */
function notMeasurable(metric: LatencyMetric, stats: RunStats): string | null {
  const { total, successful } = stats.requests;
  if (total === 0) return 'not measurable: no measured requests';
  if (metric === 'schedule_lag') return 'not measurable: no request was sent';
  if (successful === 0) return 'not measurable: no successful request';
  const known = successful - stats.tokens.outputSource.unknown;
  if ((metric === 'tpot' || metric === 'ntpot') && known === 0) return 'not measurable: output token counts unknown';
  if (metric === 'tpot' && (stats.tokens.output.max ?? 0) <= 1) {
    return known === successful ? 'not measurable: all outputs were 1 token' : 'not measurable: all outputs were 1 token or of unknown length';
  }
  if (metric === 'itl') return 'not measurable: every output came in one chunk';
  return null;
}

/** Multi-line text of an evaluation: one line per check with value, limit and verdict (`----`: not judged). */
export function formatEvaluation(e: SloEvaluation): string {
  const lines = [`SLO ${e.profile}: ${verdictWord(e)} (${e.description})`];
  for (const c of e.checks) {
    const v = c.value === null ? 'n/a' : formatValue(c.value, c.unit);
    const verdict = c.pass === null ? '----' : c.pass ? 'pass' : 'FAIL';
    lines.push(
      `  ${verdict}  ${c.name.padEnd(34)} ${v.padStart(12)} ${c.op} ${formatValue(c.limit, c.unit)}${c.note ? `  (${c.note})` : ''}`,
    );
  }
  const skipped = unjudgedText(e);
  if (skipped) lines.push(`  ${skipped}`);
  return lines.join('\n');
}

function formatValue(v: number, unit: string): string {
  if (unit === '') return `${(v * 100).toFixed(1)}%`;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${unit}`;
}
