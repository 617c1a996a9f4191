/**
 * Report sections of judgement: whether the client measured truthfully (validity), the verdict
 * of an SLO profile on a run (its checks) and goodput under a profile, with the readers the
 * judge and every renderer share (which checks failed, what could not be judged, the verdict
 * word). `lib/slo` and `lib/scenario/validity.ts` compute them.
 */

/** One checked condition. */
export interface SloCheck {
  /** Human name, e.g. `TTFT p95`, `success rate`. */
  name: string;
  /** Measured value in `unit`; null when there was nothing to measure. */
  value: number | null;
  /** `<=` for limits, `>=` for floors. */
  op: '<=' | '>=';
  limit: number;
  unit: string;
  /**
   * true: holds; false: broken; null: not judged, because the run has no sample of the metric at
   * all (`note` says why: TTFT of a non-streaming run, TPOT when every output was 1 token, any
   * latency when no request succeeded). A check that is not judged neither passes nor fails the
   * evaluation; the floors (success rate, schedule lag) are always judged, and fail without data.
   */
  pass: boolean | null;
  /** Why a check failed beyond the numbers (no successful requests), or why it was not judged. */
  note?: string;
}

/** The verdict of one profile on one run. */
export interface SloEvaluation {
  profile: string;
  description: string;
  source: string;
  /** Every judged check holds. Checks the run could not measure (`pass: null`) are listed in `unjudged`, never counted as held. */
  pass: boolean;
  checks: SloCheck[];
  /** Names of the checks not judged (`pass: null`), when there are any: `TTFT p95`, ... */
  unjudged?: string[];
}

/** Goodput of a set of requests under one SLO profile (DESIGN.md: successful requests meeting every per-request SLO / window). */
export interface Goodput {
  /** Profile whose limits were applied to each request. */
  profile: string;
  /** The per-request conditions, e.g. `TTFT <= 2000 ms`, `TPOT <= 100 ms`. */
  conditions: string[];
  /** Measured requests, and the successful ones that met every condition. */
  requests: number;
  good: number;
  /** good / requests; null with no requests. */
  fraction: number | null;
  /** good / measurement window, requests/s; null with an empty window. */
  requestsPerS: number | null;
  /**
   * Limits of the profile left out of the conditions: those with no per-request value (pooled
   * ITL), and on a non-streaming run those on streamed-only metrics (`... (not measurable: non-streaming)`).
   */
  skipped: string[];
}

/** Names of the run-level floor checks every evaluation ends with. */
export const SUCCESS_RATE = 'success rate';
export const SCHEDULE_LAG = 'schedule lag p99 (client kept up)';
const FLOORS = new Set([SUCCESS_RATE, SCHEDULE_LAG]);

/** The checks of an evaluation that failed (not those that could not be judged). */
export function failedChecks(e: SloEvaluation): SloCheck[] {
  return e.checks.filter((c) => c.pass === false);
}

/**
 * What an evaluation could not judge, in one sentence, or null when it judged everything:
 * `TTFT p95, TPOT p95 not judged (not measurable: non-streaming); no latency limit could be
 * judged: the verdict rests on success rate and schedule lag p99 (client kept up) only`. Every
 * renderer shows it next to the verdict, so a pass on a non-streaming run never reads as a pass
 * on limits that were never measured.
 */
export function unjudgedText(e: SloEvaluation): string | null {
  const skipped = e.checks.filter((c) => c.pass === null);
  if (skipped.length === 0) return null;
  const byWhy = new Map<string, string[]>();
  for (const c of skipped) byWhy.set(c.note ?? 'not measurable', [...(byWhy.get(c.note ?? 'not measurable') ?? []), c.name]);
  const what = [...byWhy].map(([why, names]) => `${names.join(', ')} not judged (${why})`).join('; ');
  const judged = e.checks.filter((c) => c.pass !== null).map((c) => c.name);
  return judged.some((n) => !FLOORS.has(n)) ? what : `${what}; no latency limit could be judged: the verdict rests on ${judged.join(' and ')} only`;
}

/** The verdict word of an evaluation: `PASS`, `FAIL`, or `PASS (partly judged)` when some limit could not be judged. */
export function verdictWord(e: SloEvaluation): string {
  if (!e.pass) return 'FAIL';
  return e.checks.some((c) => c.pass === null) ? 'PASS (partly judged)' : 'PASS';
}

/** Did the client measure truthfully? A run is invalid when the load generator could not keep up. */
export interface Validity {
  valid: boolean;
  reasons: string[];
}
