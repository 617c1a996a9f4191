/**
 * The result of one actuation test: its steps, the requesters of the counted phase with their
 * paths and timings, statistics per path, hit rates, and the SLO evaluation behind
 * `expect(result).toMeetSLO({...})`.
 */
import { PATHS, type ActuationPath } from '../k8s/classify.ts';
import { summarize, type Summary } from '../stats/index.ts';
import type { RequesterRecord } from './record.ts';
import type { StepResult } from './session.ts';
import type { ActuationSummary, PathStats, SloCheck } from '../report/actuation.ts';

export type { ActuationSummary, PathStats, SloCheck };

/** Actuation SLO limits; every given limit must hold. */
export interface ActuationSlo {
  hotP95Seconds?: number;
  warmP95Seconds?: number;
  coldP95Seconds?: number;
  coldLauncherP95Seconds?: number;
  /** p95 of scale request -> Ready over all requesters. */
  totalP95Seconds?: number;
  /** Minimum hot hit rate (hot / N). */
  hitRateMin?: number;
  /** Minimum share of requesters Ready in time (default 1). */
  readyRateMin?: number;
}

function stats(values: Array<number | undefined>): Summary | null {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length ? summarize(v, [50, 90, 95, 99]) : null;
}

/** Statistics of a set of requester records. */
export function summarizeRecords(records: RequesterRecord[]): ActuationSummary {
  const byPath: ActuationSummary['byPath'] = {};
  for (const path of [...PATHS, 'unknown'] as const) {
    const rs = records.filter((r) => r.path === path);
    if (!rs.length) continue;
    byPath[path] = {
      count: rs.length,
      actuation: stats(rs.map((r) => r.timings.actuation?.seconds)),
      total: stats(rs.map((r) => r.timings.total?.seconds)),
      actuationDpc: stats(rs.map((r) => r.timings.actuationDpc?.seconds)),
      firstTokenAfterReady: stats(rs.map((r) => r.timings.firstTokenAfterReady?.seconds)),
    };
  }
  const n = records.length;
  const rate = (p: ActuationPath | 'unknown') => (n ? (byPath[p]?.count ?? 0) / n : 0);
  return {
    n,
    ready: records.filter((r) => r.ready).length,
    byPath,
    hitRates: { hot: rate('hot'), warm: rate('warm'), cold: rate('cold'), coldLauncher: rate('cold_launcher'), unknown: rate('unknown') },
    total: stats(records.map((r) => r.timings.total?.seconds)),
    actuation: stats(records.map((r) => r.timings.actuation?.seconds)),
    disagreements: records.reduce((a, r) => a + r.classification.disagreements.length, 0),
  };
}

/** What one actuation test measured. */
export class ActuationResult {
  constructor(
    readonly suite: string,
    readonly scenario: string,
    readonly clusterKind: 'cluster' | 'simulator',
    readonly steps: StepResult[],
    /** Phases whose requesters count (e.g. only `up_again` in the scaling scenario). */
    readonly countedPhases: string[],
    readonly notes: string[],
    /** The scenario's `slo` from the file, used by `toMeetSLO()` without arguments. */
    readonly configuredSlo: ActuationSlo = {},
  ) {}

  /** The counted requesters. */
  get records(): RequesterRecord[] {
    return this.steps.filter((s) => this.countedPhases.includes(s.phase)).flatMap((s) => s.requesters);
  }

  get summary(): ActuationSummary {
    return summarizeRecords(this.records);
  }

  /** Evaluates `slo`; every limit that is given is checked. */
  evaluate(slo: ActuationSlo): SloCheck[] {
    const s = this.summary;
    const checks: SloCheck[] = [];
    const p95 = (x: Summary | null | undefined) => x?.percentiles.p95 ?? null;
    const le = (name: string, value: number | null, limit: number | undefined) => {
      if (limit !== undefined) checks.push({ name, value, limit, op: '<=', pass: value !== null && value <= limit });
    };
    le('hot actuation p95 (s)', p95(s.byPath.hot?.actuation), slo.hotP95Seconds);
    le('warm actuation p95 (s)', p95(s.byPath.warm?.actuation), slo.warmP95Seconds);
    le('cold actuation p95 (s)', p95(s.byPath.cold?.actuation), slo.coldP95Seconds);
    le('cold-with-launcher actuation p95 (s)', p95(s.byPath.cold_launcher?.actuation), slo.coldLauncherP95Seconds);
    le('scale request -> Ready p95 (s)', p95(s.total), slo.totalP95Seconds);
    if (slo.hitRateMin !== undefined) checks.push({ name: 'hot hit rate', value: s.hitRates.hot, limit: slo.hitRateMin, op: '>=', pass: s.n > 0 && s.hitRates.hot >= slo.hitRateMin });
    const readyRate = s.n ? s.ready / s.n : null;
    checks.push({ name: 'requesters Ready in time', value: readyRate, limit: slo.readyRateMin ?? 1, op: '>=', pass: readyRate !== null && readyRate >= (slo.readyRateMin ?? 1) });
    return checks;
  }
}

/** The checks as lines for a failure message. */
export function formatChecks(checks: SloCheck[]): string {
  return checks
    .map((c) => `  ${c.pass ? 'pass' : 'FAIL'}  ${c.name.padEnd(40)} ${c.value === null ? 'n/a' : Number(c.value.toFixed(3))} ${c.op} ${c.limit}`)
    .join('\n');
}
