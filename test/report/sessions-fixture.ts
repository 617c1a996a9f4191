/**
 * Synthesized `TestReport.sessions` and `TestReport.trace` sections for the renderer tests: per-turn
 * statistics built through the real accumulator from records whose TTFT falls turn by turn, with
 * `mark` (a hostile string, or '') in every string a server, a trace file or a config chose.
 */
import type { SessionsReport, TraceReport, ValueSummary } from '../../lib/report/model.ts';
import { failedRecord, statsOf, timedRecord } from '../slo/stats.ts';

/** TTFT (ms) of every turn at each index: 200, 120, 80, 60 (turn 4 half the sessions reached). */
export const TURN_TTFT = [200, 120, 80, 60] as const;

const summary = (over: Partial<ValueSummary>): ValueSummary => ({ count: 0, mean: null, p50: null, p95: null, p99: null, min: null, max: null, ...over });

/**
 * Ten sessions of four planned turns: turn k's TTFTs are `TURN_TTFT[k-1]` + 0..9 ms, TPOT 10 ms;
 * turn 2 has one failed request (its session ended there, the error names the session id); the
 * stage's end cut four sessions before turn 4 (their 4 turns never sent) and one in flight.
 */
export function sessionsReport(mark = ''): SessionsReport {
  const turn = (k: number, n: number, failed = 0) =>
    statsOf([
      ...Array.from({ length: n }, (_, i) => timedRecord(TURN_TTFT[k - 1]! + i, 10)),
      ...Array.from({ length: failed }, () => failedRecord({ error: { class: 'http_status', message: `HTTP 503 for session s-7 ${mark}` } })),
    ]);
  return {
    header: `x-session-id${mark}`,
    started: 10,
    completed: 4,
    failed: 1,
    cut: 5,
    stopped: 0,
    turnsPlanned: 40,
    turnsSent: 33,
    turnsCut: 7,
    durationS: summary({ count: 5, mean: 2.2, p50: 2.1, p95: 3.4, p99: 3.5, min: 1.2, max: 3.5 }),
    turnsCompleted: summary({ count: 10, mean: 3.1, p50: 3, p95: 4, p99: 4, min: 1, max: 4 }),
    byTurn: [
      { turn: 1, stats: turn(1, 10), cachedTokensMean: 0, cachedFraction: 0 },
      { turn: 2, stats: turn(2, 9, 1), cachedTokensMean: 96, cachedFraction: 0.5 },
      { turn: 3, stats: turn(3, 9), cachedTokensMean: 240, cachedFraction: 0.75 },
      { turn: 4, stats: turn(4, 4), cachedTokensMean: null, cachedFraction: null },
    ],
  };
}

/** A Mooncake replay of 200 requests at speed-up 2, with a skipped-rows reason and file name carrying `mark`. */
export function traceReport(mark = ''): TraceReport {
  return {
    format: 'mooncake',
    file: `examples/data/mooncake${mark}.jsonl`,
    requests: 200,
    skipped: [{ reason: `no timestamp${mark}`, rows: 3 }],
    speedup: 2,
    traceSpanS: 120,
    replaySpanS: 60,
    arrivalLagMs: summary({ count: 200, mean: 0.6, p50: 0.4, p95: 1.5, p99: 2.1, min: 0.1, max: 3.2 }),
    blockSize: 512,
    expectedCachedTokens: 12288,
    promptTokens: 51200,
    reportedCachedTokens: 11776,
  };
}
