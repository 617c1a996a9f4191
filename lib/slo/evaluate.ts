import type { RunStats } from '../metrics/aggregate.ts';
import { statOf } from '../stats/summary.ts';
import type { SloFloors, SloLimit, SloProfile } from './profile.ts';

/** One checked condition. */
export interface SloCheck {
  /** Human name, e.g. `TTFT p95`, `success rate`. */
  name: string;
  /** Measured value in `unit`; null when there was nothing to measure (which fails). */
  value: number | null;
  /** `<=` for limits, `>=` for floors. */
  op: '<=' | '>=';
  limit: number;
  unit: string;
  pass: boolean;
  /** Why a check failed beyond the numbers, e.g. no successful requests. */
  note?: string;
}

/** The verdict of one profile on one run: pass only if every check passes. */
export interface SloEvaluation {
  profile: string;
  description: string;
  source: string;
  pass: boolean;
  checks: SloCheck[];
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
 * behind are not a verdict on the server.
 */
export function evaluateSlo(profile: SloProfile, stats: RunStats, floors: SloFloors): SloEvaluation {
  const checks: SloCheck[] = profile.limits.map((l) => {
    const ms = statOf(stats.latency[l.metric], l.stat);
    const value = ms === null ? null : l.unit === 's' ? ms / 1000 : ms;
    const check: SloCheck = { name: limitName(l), value, op: '<=', limit: l.max, unit: l.unit, pass: value !== null && value <= l.max };
    if (value === null) check.note = stats.latency[l.metric].count === 0 ? 'no samples (no successful streamed requests?)' : `${l.stat} not computed`;
    return check;
  });
  const rate = stats.requests.successRate;
  checks.push({
    name: 'success rate',
    value: rate,
    op: '>=',
    limit: floors.minSuccessRate,
    unit: '',
    pass: rate !== null && rate >= floors.minSuccessRate,
    ...(rate === null ? { note: 'no measured requests' } : {}),
  });
  const lag = stats.latency.schedule_lag.percentiles.p99 ?? null;
  checks.push({
    name: 'schedule lag p99 (client kept up)',
    value: lag,
    op: '<=',
    limit: floors.maxScheduleLagP99Ms,
    unit: 'ms',
    pass: lag !== null && lag <= floors.maxScheduleLagP99Ms,
    ...(lag === null ? { note: 'no request was sent' } : {}),
  });
  return {
    profile: profile.name,
    description: profile.description,
    source: profile.source,
    pass: checks.every((c) => c.pass),
    checks,
  };
}

/** Multi-line text of an evaluation: one line per check with value, limit and verdict. */
export function formatEvaluation(e: SloEvaluation): string {
  const lines = [`SLO ${e.profile}: ${e.pass ? 'PASS' : 'FAIL'} (${e.description})`];
  for (const c of e.checks) {
    const v = c.value === null ? 'n/a' : formatValue(c.value, c.unit);
    lines.push(
      `  ${c.pass ? 'pass' : 'FAIL'}  ${c.name.padEnd(34)} ${v.padStart(12)} ${c.op} ${formatValue(c.limit, c.unit)}${c.note ? `  (${c.note})` : ''}`,
    );
  }
  return lines.join('\n');
}

function formatValue(v: number, unit: string): string {
  if (unit === '') return `${(v * 100).toFixed(1)}%`;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${unit}`;
}
